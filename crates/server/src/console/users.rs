//! Identities → Local users: the account's users, a page at a time, filtered by login; Add a
//! user, Edit, Enable / Disable, Delete (after a confirmation).

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_core::Error;
use latchkey_core::authz;
use latchkey_core::model::{User, UserStatus, UserType};
use latchkey_core::names::{Description, Email, GroupName, Login};
use latchkey_core::secret::Secret;
use latchkey_core::service::users::{UserRequest, UserUpdate};
use latchkey_core::store::Page;
use maud::{Markup, html};
use serde::Deserialize;

use super::USERS as PATH;
use super::forms::{Errors, NoFields, confirm_delete, form_error, input, select, submit};
use super::layout::{Nav, csrf, notice, page, page_with};
use super::listing::{ListQuery, done, done_message, filter_form, page_of, pager, segment, when};
use super::session::{Answer, Console, Form, OrShow};

/// The path of a user's pages.
pub fn user_path(login: &Login) -> String {
    format!("{PATH}/{}", segment(login.as_str()))
}

/// `GET /console/identities/users` — `account:apiovh:me/identity/user/get`.
pub async fn list(console: Console, Query(q): Query<ListQuery>) -> Answer {
    let permit = console.permit(&authz::USER_GET)?;
    let (query, number) = page_of(&q.name, q.page);
    let (users, total) = console
        .app
        .directory
        .users_page(&permit, &query)
        .await
        .or_show(&console)?;
    let content = html! {
        h1 { "Local users" }
        @if let Some(done) = done_message("User", q.done.as_deref(), q.subject.as_deref(), |done, user| match done {
            "deleted" => Some(format!("User {user} is deleted with its tokens.")),
            "disabled" => Some(format!("User {user} is disabled; its tokens and sessions have ended.")),
            _ => None,
        }) { (notice("success", html! { p { (done) } })) }
        div.bar {
            (filter_form(PATH, "Filter by login", &q.name, &[]))
            a.button href={ (PATH) "/new" } { "Add a user" }
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

fn range(page: &Page, shown: usize, total: u64) -> String {
    let first = page.offset + 1;
    let last = page.offset + shown as u64;
    format!("Users {first}–{last} of {total}")
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
                a href={ (base) "/edit" } aria-label={ "Edit " (user.login) } { "Edit" }
                " "
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
                @if user.kind != UserType::Root {
                    " "
                    a.danger href={ (base) "/delete" } aria-label={ "Delete " (user.login) } { "Delete" }
                }
            }
        }
    }
}

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
    Ok(done(
        PATH,
        if enabled { "enabled" } else { "disabled" },
        user.login.as_str(),
    ))
}

/// The Add a user and Edit forms' fields, as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserFields {
    login: String,
    email: String,
    group: String,
    description: String,
    password: String,
    kind: String,
}

impl UserFields {
    fn of(user: &User) -> Self {
        Self {
            login: user.login.to_string(),
            email: user.email.as_str().to_owned(),
            group: user.group.to_string(),
            description: user.description.as_str().to_owned(),
            password: String::new(),
            kind: user.kind.to_string(),
        }
    }
}

/// The account's groups, as options; an identity not allowed to list them types the name.
async fn group_options(console: &Console) -> Option<Vec<(String, String)>> {
    let permit = console.permit(&authz::GROUP_GET).ok()?;
    let names = console.app.directory.list_groups(&permit).await.ok()?;
    Some(
        names
            .into_iter()
            .map(|n| (n.to_string(), n.to_string()))
            .collect(),
    )
}

fn password_hint() -> Markup {
    html! {
        "Between " (latchkey_core::password::MIN_LEN) " and "
        (latchkey_core::password::MAX_LEN) " characters."
    }
}

async fn user_form(
    console: &Console,
    editing: Option<&User>,
    f: &UserFields,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let groups = group_options(console).await;
    let (title, action) = match editing {
        Some(user) => (
            format!("Edit {}", user.login),
            format!("{}/edit", user_path(&user.login)),
        ),
        None => ("Add a user".to_owned(), PATH.to_owned()),
    };
    let group = if f.group.is_empty() {
        "DEFAULT"
    } else {
        f.group.as_str()
    };
    let kinds =
        [("USER", "User"), ("SERVICE", "Service")].map(|(v, l)| (v.to_owned(), l.to_owned()));
    let content = html! {
        p.crumbs { a href=(PATH) { "Local users" } " › " (title) }
        h1 { (title) }
        (form_error(errors))
        form method="post" action=(action) {
            (csrf(console))
            @if editing.is_none() {
                (input("login", "Login", "text", &f.login, Some(html! { "Letters, digits, " code { "-" } ", " code { "_" } " and " code { "." } "." }), errors))
            }
            (input("email", "E-mail", "email", &f.email, None, errors))
            @match &groups {
                Some(options) => (select("group", "Group", options, group, errors)),
                None => (input("group", "Group", "text", &f.group, None, errors)),
            }
            (input("description", "Description", "text", &f.description, None, errors))
            @if editing.is_none() {
                (select("kind", "Type", &kinds, if f.kind.is_empty() { "USER" } else { &f.kind }, errors))
                (input("password", "Password", "password", "", Some(password_hint()), errors))
            } @else {
                (input("password", "New password", "password", "", Some(html! { "Leave empty to keep the password. " (password_hint()) }), errors))
            }
            (submit(editing.is_some(), PATH))
        }
    };
    page_with(console, status, &title, Nav::Users, content)
}

/// `GET /console/identities/users/new`: the Add a user form.
pub async fn new(console: Console) -> Answer {
    Ok(user_form(
        &console,
        None,
        &UserFields::default(),
        &Errors::default(),
        StatusCode::OK,
    )
    .await)
}

/// An operation's refusal of a field, shown next to the field it names.
fn field_of(message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    ["login", "email", "group", "password", "description"]
        .into_iter()
        .find(|f| lower.contains(f) || (*f == "email" && lower.contains("e-mail")))
        .unwrap_or("form")
}

/// `POST /console/identities/users` — `account:apiovh:me/identity/user/create`.
pub async fn create(form: Form<UserFields>) -> Answer {
    let Form { console, fields: f } = form;
    let permit = console.permit(&authz::USER_CREATE)?;
    let mut errors = Errors::default();
    let login = errors.check("login", Login::parse(f.login.trim()));
    let email = errors.check("email", Email::parse(f.email.trim()));
    let group = errors.check("group", GroupName::parse(f.group.trim()));
    let description = errors.check("description", Description::parse(&f.description));
    let kind = errors.check("kind", f.kind.parse::<UserType>());
    if f.password.is_empty() {
        errors.set("password", "give the user a password");
    }
    let (Some(login), Some(email), Some(group), Some(description), Some(kind)) =
        (login, email, group, description, kind)
    else {
        return Ok(user_form(&console, None, &f, &errors, StatusCode::BAD_REQUEST).await);
    };
    if !errors.is_empty() {
        return Ok(user_form(&console, None, &f, &errors, StatusCode::BAD_REQUEST).await);
    }
    let request = UserRequest {
        login,
        email,
        group: Some(group),
        description,
        password: Secret::new(f.password.clone()),
        kind: Some(kind),
    };
    match console.app.directory.create_user(&permit, request).await {
        Ok(user) => Ok(done(PATH, "created", user.login.as_str())),
        Err(Error::Invalid(m)) => {
            let errors = Errors::of(field_of(&m), m);
            Ok(user_form(&console, None, &f, &errors, StatusCode::BAD_REQUEST).await)
        }
        Err(Error::Conflict(m)) => {
            let errors = Errors::of("login", m);
            Ok(user_form(&console, None, &f, &errors, StatusCode::CONFLICT).await)
        }
        Err(e) => Err(console.error(e).into()),
    }
}

async fn the_user(console: &Console, login: &str) -> Result<User, super::session::Shown> {
    let permit = console.permit(&authz::USER_GET)?;
    let login = Login::parse(login).or_show(console)?;
    console
        .app
        .directory
        .user(&permit, &login)
        .await
        .or_show(console)
}

/// `GET …/{login}/edit`: the Edit form.
pub async fn edit_form(console: Console, Path(login): Path<String>) -> Answer {
    let user = the_user(&console, &login).await?;
    let fields = UserFields::of(&user);
    Ok(user_form(
        &console,
        Some(&user),
        &fields,
        &Errors::default(),
        StatusCode::OK,
    )
    .await)
}

/// `POST …/{login}/edit` — `account:apiovh:me/identity/user/edit`.
pub async fn edit(Path(login): Path<String>, form: Form<UserFields>) -> Answer {
    let Form { console, fields: f } = form;
    let permit = console.permit(&authz::USER_EDIT)?;
    let user = the_user(&console, &login).await?;
    let mut errors = Errors::default();
    let email = errors.check("email", Email::parse(f.email.trim()));
    let group = errors.check("group", GroupName::parse(f.group.trim()));
    let description = errors.check("description", Description::parse(&f.description));
    if !errors.is_empty() {
        return Ok(user_form(&console, Some(&user), &f, &errors, StatusCode::BAD_REQUEST).await);
    }
    let update = UserUpdate {
        email,
        group: group.filter(|g| *g != user.group),
        description,
        password: (!f.password.is_empty()).then(|| Secret::new(f.password.clone())),
        ..UserUpdate::default()
    };
    match console
        .app
        .directory
        .update_user(&permit, &user.login, update)
        .await
    {
        Ok(saved) => Ok(done(PATH, "edited", saved.login.as_str())),
        Err(Error::Invalid(m) | Error::Conflict(m)) => {
            let errors = Errors::of(field_of(&m), m);
            Ok(user_form(&console, Some(&user), &f, &errors, StatusCode::BAD_REQUEST).await)
        }
        Err(e) => Err(console.error(e).into()),
    }
}

/// `GET …/{login}/delete`: the confirmation.
pub async fn confirm(console: Console, Path(login): Path<String>) -> Answer {
    let user = the_user(&console, &login).await?;
    let base = user_path(&user.login);
    let what = html! {
        p { "The user " strong { (user.login) } " and its personal access tokens are deleted; everything that uses them is refused from now on. This cannot be undone." }
    };
    let content = html! {
        p.crumbs { a href=(PATH) { "Local users" } " › Delete " (user.login) }
        h1 { "Delete the user " (user.login) "?" }
        (confirm_delete(&console, what, &format!("{base}/delete"), PATH))
    };
    Ok(page(&console, "Delete a user", Nav::Users, content))
}

/// `POST …/{login}/delete` — `account:apiovh:me/identity/user/delete`.
pub async fn delete(Path(login): Path<String>, form: Form<NoFields>) -> Answer {
    let console = form.console;
    let permit = console.permit(&authz::USER_DELETE)?;
    let login = Login::parse(&login).or_show(&console)?;
    console
        .app
        .directory
        .delete_user(&permit, &login)
        .await
        .or_show(&console)?;
    Ok(done(PATH, "deleted", login.as_str()))
}
