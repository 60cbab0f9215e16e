//! Operator (the operator account's ROOT user only): the installation's accounts, creating one
//! (its ROOT password shown once when generated), and the signing keys with their rotation.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_core::Error;
use latchkey_core::authz::{self, OperatorAction, OperatorPermit};
use latchkey_core::model::DomainFields;
use latchkey_core::names::{Email, Nic};
use latchkey_core::secret::Secret;
use latchkey_core::service::accounts::AccountRequest;
use maud::html;
use serde::Deserialize;

use super::OPERATOR as PATH;
use super::forms::{Errors, NoFields, form_error, input, secret_value, shown_once};
use super::layout::{Nav, csrf, notice, page, page_with};
use super::listing::when;
use super::session::{Answer, Console, Form, OrShow, Shown};

fn operator(console: &Console, action: &OperatorAction) -> Result<OperatorPermit, Shown> {
    console
        .app
        .directory
        .authorize_operator(&console.caller.principal, action)
        .or_show(console)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OverviewQuery {
    rotated: Option<String>,
}

/// `GET /console/operator` — `account:apiovh:admin/account/manage`.
pub async fn overview(
    console: Console,
    axum::extract::Query(q): axum::extract::Query<OverviewQuery>,
) -> Answer {
    render(
        &console,
        &q,
        &AccountFields::default(),
        &Errors::default(),
        StatusCode::OK,
    )
    .await
}

async fn render(
    console: &Console,
    q: &OverviewQuery,
    f: &AccountFields,
    errors: &Errors,
    status: StatusCode,
) -> Result<Response, Shown> {
    let accounts_permit = operator(console, &authz::ADMIN_ACCOUNT_MANAGE)?;
    let directory = &console.app.directory;
    let accounts = directory
        .list_accounts(&accounts_permit)
        .await
        .or_show(console)?;
    let keys = match operator(console, &authz::ADMIN_KEYS_ROTATE) {
        Ok(permit) => directory.signing_keys(&permit).await.or_show(console)?,
        Err(_) => Vec::new(),
    };
    let content = html! {
        h1 { "Operator" }
        @if q.rotated.is_some() { (notice("success", html! { p { "The signing keys are rotated: the staged key signs from now on; the former primary key verifies until its last token expires." } })) }
        h2 { "Accounts" }
        table {
            thead { tr {
                th scope="col" { "Nic" }
                th scope="col" { "E-mail" }
                th scope="col" { "Domain" }
                th scope="col" { "Creation" }
                th scope="col" { "Status" }
            } }
            tbody {
                @for a in &accounts {
                    tr {
                        td { strong { (a.nic) } @if a.operator { span.sub { "Operator account" } } }
                        td { (a.email.as_str()) }
                        td { (a.domain.name.as_ref().map_or(a.nic.as_str(), |n| n.as_str())) }
                        td { (when(a.created_at)) }
                        td { @if a.domain.enabled { span.status.ok { "Enabled" } } @else { span.status.off { "Disabled" } } }
                    }
                }
            }
        }
        h2 #new-account { "Create an account" }
        (form_error(errors))
        form method="post" action={ (PATH) "/accounts" } aria-labelledby="new-account" {
            (csrf(console))
            (input("nichandle", "Nic", "text", &f.nichandle, Some(html! { "Optional: the next free " code { "lkNNNN-lk" } " when empty." }), errors))
            (input("email", "E-mail", "email", &f.email, None, errors))
            (input("admin_password", "ROOT password", "password", "", Some(html! { "Optional: generated and shown once when empty." }), errors))
            p { button type="submit" { "Create the account" } }
        }
        h2 #keys { "Signing keys" }
        table {
            thead { tr {
                th scope="col" { "Key id" }
                th scope="col" { "State" }
                th scope="col" { "Creation" }
                th scope="col" { "Primary since" }
                th scope="col" { "Verifies until" }
            } }
            tbody {
                @for k in &keys {
                    tr {
                        td { code { (k.kid) } }
                        td { (k.state.as_str()) }
                        td { (when(k.created_at)) }
                        td { @match k.activated_at { Some(at) => (when(at)), None => "—" } }
                        td { @match k.verify_until { Some(at) => (when(at)), None => "—" } }
                    }
                }
            }
        }
        form method="post" action={ (PATH) "/keys/rotate" } {
            (csrf(console))
            p { button.secondary type="submit" { "Rotate the signing keys" } }
        }
    };
    Ok(page_with(
        console,
        status,
        "Operator",
        Nav::Operator,
        content,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccountFields {
    nichandle: String,
    email: String,
    admin_password: String,
}

/// `POST /console/operator/accounts` — `account:apiovh:admin/account/manage`.
pub async fn create_account(form: Form<AccountFields>) -> Answer {
    let Form { console, fields: f } = form;
    let permit = operator(&console, &authz::ADMIN_ACCOUNT_MANAGE)?;
    let mut errors = Errors::default();
    let nic = match f.nichandle.trim() {
        "" => Some(None),
        nic => errors.check("nichandle", Nic::parse(nic)).map(Some),
    };
    let email = errors.check("email", Email::parse(f.email.trim()));
    let (Some(nic), Some(email)) = (nic, email) else {
        return render(
            &console,
            &OverviewQuery::default(),
            &f,
            &errors,
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let request = AccountRequest {
        nic,
        email,
        admin_password: (!f.admin_password.is_empty())
            .then(|| Secret::new(f.admin_password.clone())),
        domain: DomainFields::default(),
    };
    let created = match console.app.directory.create_account(&permit, request).await {
        Ok(created) => created,
        Err(Error::Invalid(m) | Error::Conflict(m)) => {
            let field = if m.contains("password") {
                "admin_password"
            } else {
                "nichandle"
            };
            return render(
                &console,
                &OverviewQuery::default(),
                &f,
                &Errors::of(field, m),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        Err(e) => return Err(console.error(e).into()),
    };
    let content = html! {
        p.crumbs { a href=(PATH) { "Operator" } " › Create an account" }
        h1 { "Account " (created.account.nic) " created" }
        p { "Its ROOT user is " code { (created.account.nic) "/" (created.root_login) } "." }
        @if let Some(password) = &created.generated_password {
            (shown_once("ROOT password", "Copy the password immediately and give it to the account's owner. It will not be displayed again.", PATH, secret_value("root-password", password.expose())))
        }
        p { a.button href=(PATH) { "Back to the operator page" } }
    };
    Ok(page(&console, "Account created", Nav::Operator, content))
}

/// `POST /console/operator/keys/rotate` — `account:apiovh:admin/keys/rotate`.
pub async fn rotate_keys(form: Form<NoFields>) -> Answer {
    let console = form.console;
    let permit = operator(&console, &authz::ADMIN_KEYS_ROTATE)?;
    console
        .app
        .directory
        .rotate_keys(&permit)
        .await
        .or_show(&console)?;
    Ok(Redirect::to(&format!("{PATH}?rotated=1")).into_response())
}
