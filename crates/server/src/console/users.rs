//! Identities → Local users: the account's users, a page at a time, filtered by login; enabling
//! and disabling them.

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Utc};
use latchkey_core::authz;
use latchkey_core::model::{User, UserStatus};
use latchkey_core::names::Login;
use latchkey_core::store::Page;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Nav, csrf, notice, page};
use super::session::{Answer, Console, Form, OrShow};

pub const PATH: &str = "/console/identities/users";

/// Rows per page of a listing.
pub const PAGE_SIZE: u32 = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    name: String,
    page: Option<u64>,
    /// What was just done (`enabled`, `disabled`) to which user: the sentence is the console's.
    done: Option<String>,
    user: Option<String>,
}

/// A date and time as the console shows it.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The path of a user's pages.
pub fn user_path(login: &Login) -> String {
    format!("{PATH}/{}", segment(login.as_str()))
}

/// A value as one path segment.
pub fn segment(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `GET /console/identities/users` — `account:apiovh:me/identity/user/get`.
pub async fn list(console: Console, Query(q): Query<ListQuery>) -> Answer {
    let permit = console.permit(&authz::USER_GET)?;
    let number = q.page.unwrap_or(1).max(1);
    let query = Page {
        filter: q.name.trim().to_owned(),
        offset: (number - 1).saturating_mul(u64::from(PAGE_SIZE)),
        limit: PAGE_SIZE,
    };
    let (users, total) = console
        .app
        .directory
        .users_page(&permit, &query)
        .await
        .or_show(&console)?;
    let content = html! {
        h1 { "Local users" }
        @if let Some(done) = done_message(&q) { (notice("success", html! { p { (done) } })) }
        div.bar {
            form method="get" action=(PATH) role="search" {
                div {
                    label for="name" { "Filter by login" }
                    input #name type="search" name="name" value=(q.name);
                }
                button.secondary type="submit" { "Filter" }
            }
        }
        @if users.is_empty() {
            div.empty {
                @if query.filter.is_empty() {
                    p { "This account has no local users yet." }
                } @else {
                    p { "No user's login contains “" (query.filter) "”." }
                }
            }
        } @else {
            table {
                caption.hint { (range(&query, users.len(), total)) }
                thead { tr {
                    th scope="col" { "Login" }
                    th scope="col" { "Group" }
                    th scope="col" { "Type" }
                    th scope="col" { "Creation" }
                    th scope="col" { "Last password update" }
                    th scope="col" { "Status" }
                    th scope="col" { "Actions" }
                } }
                tbody {
                    @for user in &users { (row(&console, user)) }
                }
            }
            (pager(PATH, &query, total, number))
        }
    };
    Ok(page(&console, "Local users", Nav::Users, content))
}

fn done_message(q: &ListQuery) -> Option<String> {
    let user = q.user.as_deref()?;
    match q.done.as_deref()? {
        "enabled" => Some(format!("User {user} is enabled.")),
        "disabled" => Some(format!(
            "User {user} is disabled; its tokens and sessions have ended."
        )),
        _ => None,
    }
}

fn range(page: &Page, shown: usize, total: u64) -> String {
    let first = page.offset + 1;
    let last = page.offset + shown as u64;
    format!("Users {first}–{last} of {total}")
}

/// Previous / Next links of a listing.
pub fn pager(path: &str, page: &Page, total: u64, number: u64) -> Markup {
    let pages = total.div_ceil(u64::from(page.limit)).max(1);
    let link = |n: u64| {
        let query =
            serde_urlencoded::to_string([("name", page.filter.clone()), ("page", n.to_string())])
                .unwrap_or_default();
        format!("{path}?{query}")
    };
    html! {
        nav.pager aria-label="Pages" {
            @if number > 1 { a href=(link(number - 1)) rel="prev" { "Previous" } }
            span { "Page " (number) " of " (pages) }
            @if number < pages { a href=(link(number + 1)) rel="next" { "Next" } }
        }
    }
}

fn status(user: &User) -> Markup {
    match user.status {
        UserStatus::Ok => html! { span.status.ok { "Enabled" } },
        UserStatus::Disabled => html! { span.status.off { "Disabled" } },
        UserStatus::PasswordChangeRequired => {
            html! { span.status.warn { "Password change required" } }
        }
    }
}

fn row(console: &Console, user: &User) -> Markup {
    let base = user_path(&user.login);
    let enabled = user.status != UserStatus::Disabled;
    html! {
        tr {
            td {
                strong { (user.login) }
                @if !user.description.as_str().is_empty() { span.sub { (user.description.as_str()) } }
            }
            td { (user.group) }
            td { (user.kind) }
            td { (when(user.created_at)) }
            td { (when(user.password_updated_at)) }
            td { (status(user)) }
            td.actions {
                a href={ (base) "/tokens" } aria-label={ "Manage tokens of " (user.login) } { "Manage tokens" }
                " "
                @if enabled {
                    form method="post" action={ (base) "/disable" } {
                        (csrf(console))
                        button.link type="submit" aria-label={ "Disable " (user.login) } { "Disable" }
                    }
                } @else {
                    form method="post" action={ (base) "/enable" } {
                        (csrf(console))
                        button.link type="submit" aria-label={ "Enable " (user.login) } { "Enable" }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

/// `POST …/{login}/enable` — `account:apiovh:me/identity/user/enable`.
pub async fn enable(Path(login): Path<String>, form: Form<NoFields>) -> Answer {
    set_enabled(form.console, &login, true).await
}

/// `POST …/{login}/disable` — `account:apiovh:me/identity/user/disable`.
pub async fn disable(Path(login): Path<String>, form: Form<NoFields>) -> Answer {
    set_enabled(form.console, &login, false).await
}

async fn set_enabled(console: Console, login: &str, enabled: bool) -> Answer {
    let action = if enabled {
        &authz::USER_ENABLE
    } else {
        &authz::USER_DISABLE
    };
    let permit = console.permit(action)?;
    let login = Login::parse(login).or_show(&console)?;
    let user = console
        .app
        .directory
        .set_user_enabled(&permit, &login, enabled)
        .await
        .or_show(&console)?;
    let done = if enabled { "enabled" } else { "disabled" };
    let query = serde_urlencoded::to_string([("done", done), ("user", user.login.as_str())])
        .unwrap_or_default();
    Ok(Redirect::to(&format!("{PATH}?{query}")).into_response())
}
