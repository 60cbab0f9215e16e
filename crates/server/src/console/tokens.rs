//! A user's Manage tokens: the table of its personal access tokens, Add a token (the value
//! shown once, on the answer to the form, never again), Delete with a confirmation.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use latchkey_core::Error;
use latchkey_core::authz;
use latchkey_core::model::Pat;
use latchkey_core::names::{Description, Login, TokenName};
use latchkey_core::service::pats::Expiry;
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{Errors, NoFields, confirm_delete as confirmation, secret_value, shown_once};
use super::layout::{Nav, csrf, notice, page, page_with};
use super::listing::{done, done_message, filter_form, page_of, pager, segment, when, window};
use super::session::{Answer, Console, Form, OrShow};
use super::users::user_path;

/// The warning shown beside a new token's value.
pub const SHOWN_ONCE: &str = "Copy the token value immediately and store it in a secure \
    location. It will not be displayed again.";

fn tokens_path(login: &Login) -> String {
    format!("{}/tokens", user_path(login))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    name: String,
    page: Option<u64>,
    add: Option<String>,
    done: Option<String>,
    subject: Option<String>,
}

/// `GET …/users/{login}/tokens` — `account:apiovh:me/identity/user/token/get`; with `?add`, the
/// Add a token form.
pub async fn list(
    console: Console,
    Path(login): Path<String>,
    Query(q): Query<ListQuery>,
) -> Answer {
    let login = Login::parse(&login).or_show(&console)?;
    if q.add.is_some() {
        return Ok(add_form(
            &console,
            &login,
            &TokenFields::default(),
            &Errors::default(),
            StatusCode::OK,
        ));
    }
    let permit = console.permit(&authz::TOKEN_GET)?;
    let pats = console
        .app
        .directory
        .pats_of(&permit, &login)
        .await
        .or_show(&console)?;
    let now = console.app.directory.clock().now();
    let base = tokens_path(&login);
    let (query, number) = page_of(&q.name, q.page);
    let (shown, total) = window(&pats, |p| p.name.as_str(), &query);
    let done = done_message(
        "Token",
        q.done.as_deref(),
        q.subject.as_deref(),
        |done, token| {
            (done == "deleted")
                .then(|| format!("Token {token} is deleted; it no longer authenticates."))
        },
    );
    let content = html! {
        p.crumbs { a href=(super::USERS) { "Local users" } " › " (login) }
        h1 { "Manage tokens of " (login) }
        @if let Some(done) = done { (notice("success", html! { p { (done) } })) }
        div.bar {
            p.hint { "Personal access tokens authenticate as " (login) " with " code { "Authorization: Bearer …" } " or as the password of a " code { "pat_jwt_…" } " Basic user." }
            a.button href={ (base) "?add=1" } { "Add a token" }
        }
        @if !pats.is_empty() { div.bar { (filter_form(&base, "Filter by name", &q.name, &[])) } }
        @if pats.is_empty() {
            div.empty { p { (login) " has no tokens. Add a token to let a script or a tool act as this user." } }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Description" }
                    th scope="col" { "Creation" }
                    th scope="col" { "Expiry date" }
                    th scope="col" { "Status" }
                    th scope="col" { "Last used" }
                    th scope="col" { "Actions" }
                } }
                tbody { @for pat in &shown { (row(&base, pat, now)) } }
            }
            (pager(&base, &query, total, number))
        }
    };
    Ok(page(
        &console,
        &format!("Manage tokens of {login}"),
        Nav::Users,
        content,
    ))
}

fn row(base: &str, pat: &Pat, now: chrono::DateTime<Utc>) -> Markup {
    html! {
        tr {
            td { strong { (pat.name) } }
            td { (pat.description.as_str()) }
            td { (when(pat.created_at)) }
            td { @match pat.expires_at { Some(at) => (when(at)), None => "Never" } }
            td {
                @if pat.is_expired_at(now) { span.status.off { "Expired" } }
                @else { span.status.ok { "Active" } }
            }
            td { @match pat.last_used { Some(at) => (when(at)), None => "Never used" } }
            td.actions {
                a.danger href={ (base) "/" (segment(pat.name.as_str())) "/delete" }
                    aria-label={ "Delete token " (pat.name) } { "Delete" }
            }
        }
    }
}

/// The Add a token form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenFields {
    name: String,
    description: String,
    /// The Expiry date toggle: absent = never expires.
    expires: Option<String>,
    /// `duration` or `date`.
    expiry_kind: String,
    amount: String,
    /// `minutes`, `hours` or `days`.
    unit: String,
    date: String,
}

fn field_error(id: &str, error: Option<&str>) -> Markup {
    html! { @if let Some(e) = error { p.field-error id=(id) { (e) } } }
}

fn add_form(
    console: &Console,
    login: &Login,
    f: &TokenFields,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let base = tokens_path(login);
    let duration = f.expiry_kind != "date";
    let unit = if f.unit.is_empty() {
        "days"
    } else {
        f.unit.as_str()
    };
    let amount = if f.amount.is_empty() {
        "1"
    } else {
        f.amount.as_str()
    };
    let content = html! {
        p.crumbs { a href=(super::USERS) { "Local users" } " › " a href=(base) { (login) } " › Add a token" }
        h1 { "Add a token" }
        (super::forms::form_error(errors))
        form method="post" action=(base) novalidate {
            (csrf(console))
            label for="name" { "Name" }
            p.hint id="name-hint" { "Letters, digits, " code { "-" } ", " code { "_" } " and " code { "." } "; unique among " (login) "'s tokens." }
            input #name type="text" name="name" value=(f.name) required
                aria-describedby={ "name-hint" @if errors.get("name").is_some() { " name-error" } }
                aria-invalid=[errors.get("name").map(|_| "true")];
            (field_error("name-error", errors.get("name")))
            label for="description" { "Description" }
            input #description type="text" name="description" value=(f.description)
                aria-describedby=[errors.get("description").map(|_| "description-error")];
            (field_error("description-error", errors.get("description")))
            fieldset.expiry {
                legend { "Expiry date" }
                div.inline {
                    input #expires type="checkbox" name="expires" value="on" checked[f.expires.is_some()];
                    label for="expires" { "The token expires" }
                }
                p.hint { "Off: the token never expires." }
                div.expiry-options {
                    div.inline {
                        input #kind-duration type="radio" name="expiry_kind" value="duration" checked[duration];
                        label for="kind-duration" { "After a duration" }
                        label for="amount" class="skip" { "Duration" }
                        input #amount type="number" name="amount" min="1" value=(amount);
                        label for="unit" class="skip" { "Unit" }
                        select #unit name="unit" {
                            @for (value, label) in [("minutes", "minutes"), ("hours", "hours"), ("days", "days")] {
                                option value=(value) selected[unit == value] { (label) }
                            }
                        }
                    }
                    div.inline {
                        input #kind-date type="radio" name="expiry_kind" value="date" checked[!duration];
                        label for="kind-date" { "On a date" }
                        label for="date" class="skip" { "Date" }
                        input #date type="date" name="date" value=(f.date);
                    }
                    (field_error("expiry-error", errors.get("expiry")))
                }
            }
            p {
                button type="submit" { "Create" }
                " "
                a.button.secondary href=(base) { "Cancel" }
            }
        }
    };
    page_with(console, status, "Add a token", Nav::Users, content)
}

/// What the form asks for, or what is wrong with it, field by field (in the API's words).
fn read_fields(f: &TokenFields) -> Result<(TokenName, Description, Expiry), Errors> {
    let mut errors = Errors::default();
    let name = errors.check("name", TokenName::parse(f.name.trim()));
    let description = errors.check("description", Description::parse(&f.description));
    let expiry = if f.expires.is_none() {
        Some(Expiry::Never)
    } else if f.expiry_kind == "date" {
        match NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d") {
            Ok(day) => day.and_hms_opt(0, 0, 0).map(|t| Expiry::At(t.and_utc())),
            Err(_) => {
                errors.set("expiry", "give the expiry date as a day (2026-12-31)");
                None
            }
        }
    } else {
        let unit = match f.unit.as_str() {
            "minutes" => Some(60),
            "hours" => Some(3600),
            "days" | "" => Some(86_400),
            _ => None,
        };
        match (f.amount.trim().parse::<i64>(), unit) {
            (Ok(n), Some(unit)) if n >= 1 => Some(Expiry::In(n.saturating_mul(unit))),
            _ => {
                errors.set(
                    "expiry",
                    "give the duration as a whole number of minutes, hours or days, at least 1",
                );
                None
            }
        }
    };
    match (name, description, expiry) {
        (Some(n), Some(d), Some(e)) if errors.is_empty() => Ok((n, d, e)),
        _ => Err(errors),
    }
}

/// `POST …/users/{login}/tokens` — `account:apiovh:me/identity/user/token/create`. The answer
/// shows the value, this once.
pub async fn create(Path(login): Path<String>, form: Form<TokenFields>) -> Answer {
    let Form { console, fields } = form;
    let login = Login::parse(&login).or_show(&console)?;
    let permit = console.permit(&authz::TOKEN_CREATE)?;
    let (name, description, expiry) = match read_fields(&fields) {
        Ok(asked) => asked,
        Err(errors) => {
            return Ok(add_form(
                &console,
                &login,
                &fields,
                &errors,
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    let created = match console
        .app
        .directory
        .create_pat(&permit, &login, name, description, expiry)
        .await
    {
        Ok(created) => created,
        Err(Error::Conflict(m)) => {
            let errors = Errors::of("name", m);
            return Ok(add_form(
                &console,
                &login,
                &fields,
                &errors,
                StatusCode::CONFLICT,
            ));
        }
        Err(Error::Invalid(m)) => {
            let errors = Errors::of("expiry", m);
            return Ok(add_form(
                &console,
                &login,
                &fields,
                &errors,
                StatusCode::BAD_REQUEST,
            ));
        }
        Err(e) => return Err(console.error(e).into()),
    };
    let base = tokens_path(&login);
    let pat = &created.pat;
    let content = html! {
        p.crumbs { a href=(super::USERS) { "Local users" } " › " a href=(base) { (login) } " › Add a token" }
        h1 { "Token " (pat.name) " created" }
        (shown_once("Token value", SHOWN_ONCE, &base, secret_value("token-value", created.value.expose())))
        dl {
            dt { "Expiry date" }
            dd { @match pat.expires_at { Some(at) => (when(at)), None => "Never" } }
        }
        p { a.button href=(base) { "Back to the tokens" } }
    };
    Ok(page(&console, "Token created", Nav::Users, content))
}

/// `GET …/tokens/{name}/delete`: the confirmation.
pub async fn confirm_delete(
    console: Console,
    Path((login, name)): Path<(String, String)>,
) -> Answer {
    let login = Login::parse(&login).or_show(&console)?;
    let base = tokens_path(&login);
    let content = html! {
        p.crumbs { a href=(super::USERS) { "Local users" } " › " a href=(base) { (login) } " › Delete a token" }
        h1 { "Delete the token " (name) "?" }
        (confirmation(&console, html! { p { "Anything that uses the token " strong { (name) } " will be refused from now on. This cannot be undone." } }, &format!("{base}/{}/delete", segment(&name)), &base))
    };
    Ok(page(&console, "Delete a token", Nav::Users, content))
}

/// `POST …/tokens/{name}/delete` — `account:apiovh:me/identity/user/token/delete`.
pub async fn delete(Path((login, name)): Path<(String, String)>, form: Form<NoFields>) -> Answer {
    let console = form.console;
    let login = Login::parse(&login).or_show(&console)?;
    let permit = console.permit(&authz::TOKEN_DELETE)?;
    let name = TokenName::parse(&name).or_show(&console)?;
    console
        .app
        .directory
        .delete_pat(&permit, &login, &name)
        .await
        .or_show(&console)?;
    Ok(done(&tokens_path(&login), "deleted", name.as_str()))
}
