//! Identities → Service accounts: the account's OAuth2 clients with their Associated policies
//! (the count, linking to them); Add a service account (its `clientId` and `clientSecret` shown
//! once), Edit (name, description), Delete with the seed's advice.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_core::Error;
use latchkey_core::authz;
use latchkey_core::model::{Flow, ServiceAccount};
use latchkey_core::names::{CallbackUrl, ClientId, Description, DisplayName};
use latchkey_core::service::service_accounts::ServiceAccountRequest;
use latchkey_core::store::ServiceAccountChanges;
use maud::{Markup, html};
use serde::Deserialize;

use super::SERVICE_ACCOUNTS as PATH;
use super::forms::{
    Errors, NoFields, confirm_delete, form_error, input, secret_value, select, shown_once, submit,
    textarea,
};
use super::layout::{Nav, csrf, notice, page, page_with};
use super::listing::{
    ListQuery, done, done_message, filter_form, page_of, pager, segment, when, window,
};
use super::session::{Answer, Console, Form, OrShow, Shown};

/// The warning shown beside a new service account's secret.
pub const SHOWN_ONCE: &str = "Copy the client secret immediately and store it in a secure \
    location. It will not be displayed again.";

fn client_path(id: &ClientId) -> String {
    format!("{PATH}/{}", segment(id.as_str()))
}

/// `GET /console/identities/service-accounts` — `account:apiovh:me/api/oauth2/client/get`.
pub async fn list(console: Console, Query(q): Query<ListQuery>) -> Answer {
    let permit = console.permit(&authz::CLIENT_GET)?;
    let all = console
        .app
        .directory
        .service_accounts_of(&permit)
        .await
        .or_show(&console)?;
    let (query, number) = page_of(&q.name, q.page);
    let (shown, total) = window(&all, |sa| sa.name.as_str(), &query);
    let nic = &console.caller.principal.account.nic;
    let plate = &console.app.plate;
    let content = html! {
        h1 { "Service accounts" }
        @if let Some(done) = done_message("Service account", q.done.as_deref(), q.subject.as_deref(), |done, client| {
            (done == "deleted").then(|| format!("Service account {client} is deleted; its secret no longer authenticates."))
        }) { (notice("success", html! { p { (done) } })) }
        div.bar {
            (filter_form(PATH, "Filter by name", &q.name, &[]))
            a.button href={ (PATH) "/new" } { "Add a service account" }
        }
        @if shown.is_empty() {
            div.empty {
                @if query.filter.is_empty() {
                    p { "This account has no service accounts. Add one to let an application authenticate with OAuth2 client credentials." }
                } @else {
                    p { "No service account's name contains “" (q.name.trim()) "”." }
                }
            }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Description" }
                    th scope="col" { "Associated policies" }
                    th scope="col" { "Creation" }
                    th scope="col" { "Actions" }
                } }
                tbody {
                    @for sa in &shown {
                        @let urn = sa.urn(plate, nic);
                        @let count = console.app.directory.attached_policies(&permit, &urn);
                        (row(sa, urn.as_str(), count))
                    }
                }
            }
            (pager(PATH, &query, total, number))
        }
    };
    Ok(page(
        &console,
        "Service accounts",
        Nav::ServiceAccounts,
        content,
    ))
}

fn row(sa: &ServiceAccount, urn: &str, policies: usize) -> Markup {
    let base = client_path(&sa.client_id);
    let query = serde_urlencoded::to_string([("identity", urn)]).unwrap_or_default();
    html! {
        tr {
            td { strong { (sa.name.as_str()) } span.sub { code { (sa.client_id) } } }
            td { (sa.description.as_str()) }
            td { a href={ (super::POLICIES) "?" (query) } aria-label={ (policies) " associated policies of " (sa.name.as_str()) } { (policies) } }
            td { (when(sa.created_at)) }
            td.actions {
                a href={ (base) "/edit" } aria-label={ "Edit " (sa.name.as_str()) } { "Edit" }
                " "
                a.danger href={ (base) "/delete" } aria-label={ "Delete " (sa.name.as_str()) } { "Delete" }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClientFields {
    name: String,
    description: String,
    flow: String,
    callback_urls: String,
    /// The form's one-time id: sent twice (a reload), it makes nothing the second time.
    once: String,
}

fn flows() -> Vec<(String, String)> {
    [
        (
            "CLIENT_CREDENTIALS",
            "CLIENT_CREDENTIALS: an application with its own identity",
        ),
        (
            "AUTHORIZATION_CODE",
            "AUTHORIZATION_CODE: an application acting for users",
        ),
    ]
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .to_vec()
}

fn client_form(
    console: &Console,
    editing: Option<&ServiceAccount>,
    f: &ClientFields,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let (title, action) = match editing {
        Some(sa) => (
            format!("Edit {}", sa.name.as_str()),
            format!("{}/edit", client_path(&sa.client_id)),
        ),
        None => ("Add a service account".to_owned(), PATH.to_owned()),
    };
    let flow = if f.flow.is_empty() {
        "CLIENT_CREDENTIALS"
    } else {
        f.flow.as_str()
    };
    let once = latchkey_core::secret::random_base62(24);
    let content = html! {
        p.crumbs { a href=(PATH) { "Service accounts" } " › " (title) }
        h1 { (title) }
        (form_error(errors))
        form method="post" action=(action) {
            (csrf(console))
            input type="hidden" name="once" value=(once);
            (input("name", "Name", "text", &f.name, None, errors))
            (input("description", "Description", "text", &f.description, None, errors))
            @if editing.is_none() {
                (select("flow", "Flow", &flows(), flow, errors))
                (textarea("callback_urls", "Callback URLs", html! { "One per line, for AUTHORIZATION_CODE only." }, &f.callback_urls, errors))
            }
            (submit(editing.is_some(), PATH))
        }
    };
    page_with(console, status, &title, Nav::ServiceAccounts, content)
}

/// `GET /console/identities/service-accounts/new`.
pub async fn new(console: Console) -> Answer {
    Ok(client_form(
        &console,
        None,
        &ClientFields::default(),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// `POST /console/identities/service-accounts` — `account:apiovh:me/api/oauth2/client/create`.
/// The answer shows the client id and the secret, this once.
pub async fn create(form: Form<ClientFields>) -> Answer {
    let Form { console, fields: f } = form;
    let permit = console.permit(&authz::CLIENT_CREATE)?;
    let mut errors = Errors::default();
    let name = errors.check("name", DisplayName::parse(f.name.trim()));
    let description = errors.check("description", Description::parse(&f.description));
    let flow = errors.check("flow", f.flow.parse::<Flow>());
    let urls: Vec<_> = f
        .callback_urls
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(|l| errors.check("callback_urls", CallbackUrl::parse(l)))
        .collect();
    let (Some(name), Some(description), Some(flow)) = (name, description, flow) else {
        return Ok(client_form(
            &console,
            None,
            &f,
            &errors,
            StatusCode::BAD_REQUEST,
        ));
    };
    if !errors.is_empty() {
        return Ok(client_form(
            &console,
            None,
            &f,
            &errors,
            StatusCode::BAD_REQUEST,
        ));
    }
    if !console.caller.spend_form(&f.once) {
        let errors = Errors::of(
            "form",
            "This form was already sent: the service account it made is in the list, and its secret is not shown again.",
        );
        return Ok(client_form(
            &console,
            None,
            &f,
            &errors,
            StatusCode::CONFLICT,
        ));
    }
    let request = ServiceAccountRequest {
        name,
        description,
        flow,
        callback_urls: urls,
    };
    let created = match console
        .app
        .directory
        .create_service_account(&permit, request)
        .await
    {
        Ok(created) => created,
        Err(Error::Invalid(m)) => {
            let field = if m.contains("callback") {
                "callback_urls"
            } else {
                "form"
            };
            return Ok(client_form(
                &console,
                None,
                &f,
                &Errors::of(field, m),
                StatusCode::BAD_REQUEST,
            ));
        }
        Err(e) => return Err(console.error(e).into()),
    };
    let sa = &created.service_account;
    let content = html! {
        p.crumbs { a href=(PATH) { "Service accounts" } " › Add a service account" }
        h1 { "Service account " (sa.name.as_str()) " created" }
        (shown_once("Client credentials", SHOWN_ONCE, PATH, html! {
            h3 { "clientId" }
            (secret_value("client-id", sa.client_id.as_str()))
            h3 { "clientSecret" }
            (secret_value("client-secret", created.secret.expose()))
        }))
        p { "The service account has no rights until a policy names it: create one on the " a href=(super::POLICIES) { "Policies" } " page." }
        p { a.button href=(PATH) { "Back to the service accounts" } }
    };
    Ok(page(
        &console,
        "Service account created",
        Nav::ServiceAccounts,
        content,
    ))
}

async fn the_client(console: &Console, id: &str) -> Result<ServiceAccount, Shown> {
    let permit = console.permit(&authz::CLIENT_GET)?;
    let id = ClientId::parse(id).or_show(console)?;
    console
        .app
        .directory
        .service_account(&permit, &id)
        .await
        .or_show(console)
}

/// `GET …/{clientId}/edit`.
pub async fn edit_form(console: Console, Path(id): Path<String>) -> Answer {
    let sa = the_client(&console, &id).await?;
    let fields = ClientFields {
        name: sa.name.as_str().to_owned(),
        description: sa.description.as_str().to_owned(),
        ..ClientFields::default()
    };
    Ok(client_form(
        &console,
        Some(&sa),
        &fields,
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// `POST …/{clientId}/edit` — `account:apiovh:me/api/oauth2/client/edit`.
pub async fn edit(Path(id): Path<String>, form: Form<ClientFields>) -> Answer {
    let Form { console, fields: f } = form;
    let permit = console.permit(&authz::CLIENT_EDIT)?;
    let sa = the_client(&console, &id).await?;
    let mut errors = Errors::default();
    let name = errors.check("name", DisplayName::parse(f.name.trim()));
    let description = errors.check("description", Description::parse(&f.description));
    if !errors.is_empty() {
        return Ok(client_form(
            &console,
            Some(&sa),
            &f,
            &errors,
            StatusCode::BAD_REQUEST,
        ));
    }
    let changes = ServiceAccountChanges {
        name,
        description,
        callback_urls: None,
    };
    let saved = console
        .app
        .directory
        .update_service_account(&permit, &sa.client_id, changes)
        .await
        .or_show(&console)?;
    Ok(done(PATH, "edited", saved.client_id.as_str()))
}

/// `GET …/{clientId}/delete`: the confirmation, with the seed's advice.
pub async fn confirm(console: Console, Path(id): Path<String>) -> Answer {
    let sa = the_client(&console, &id).await?;
    let what = html! {
        p { "Before you delete the service account " strong { (sa.name.as_str()) } ", detach it from the policies that name it (edit or delete them on the Policies page)." }
        p { "Deletion is permanent: applications using its client ID " code { (sa.client_id) } " can no longer authenticate." }
    };
    let content = html! {
        p.crumbs { a href=(PATH) { "Service accounts" } " › Delete " (sa.name.as_str()) }
        h1 { "Delete the service account " (sa.name.as_str()) "?" }
        (confirm_delete(&console, what, &format!("{}/delete", client_path(&sa.client_id)), PATH))
    };
    Ok(page(
        &console,
        "Delete a service account",
        Nav::ServiceAccounts,
        content,
    ))
}

/// `POST …/{clientId}/delete` — `account:apiovh:me/api/oauth2/client/delete`.
pub async fn delete(Path(id): Path<String>, form: Form<NoFields>) -> Answer {
    let console = form.console;
    let permit = console.permit(&authz::CLIENT_DELETE)?;
    let id = ClientId::parse(&id).or_show(&console)?;
    console
        .app
        .directory
        .delete_service_account(&permit, &id)
        .await
        .or_show(&console)?;
    Ok(done(PATH, "deleted", id.as_str()))
}
