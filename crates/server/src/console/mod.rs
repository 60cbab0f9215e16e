//! The web console under `/console/`: the account's pages, rendered on the server with maud
//! (ADR 0012). It is a client of the same operations as the API, not a second implementation:
//! each page asks the `latchkey_core::service::Directory` for a permit with the signed-in
//! identity's IAM action, exactly as the API's handler of the same operation does, and shows a
//! refusal naming the missing action.
//!
//! - `session`: the session cookie, the signed-in `Console` extractor, forms and
//!   their CSRF check.
//! - `layout`: the page frame (navigation column, header), messages, the error page.
//! - `sign_in`: sign-in and sign-out.
//! - `forms`: fields with their errors, the confirmation of a deletion.
//! - `listing`: pages of rows, the filter by name, dates.
//! - `users`: Identities → Local users.
//! - `groups`: Identities → User groups.
//! - `service_accounts`: Identities → Service accounts.
//! - `policies`: Policies, with their pickers and View JSON.
//! - `keystone`: the account's Keystone projects and grants, Download OpenRC.
//! - `audit`: Audit logs, over the records `/1.0/me/logs/audit` serves.
//! - `operator`: the operator's accounts and signing keys.
//! - `tokens`: a user's Manage tokens, Add a token, Delete.
//!
//! Every answer under `/console/` carries a strict `Content-Security-Policy` (no inline script
//! or style), `frame-ancestors 'none'`, `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy: same-origin`; pages are `Cache-Control: no-store`.

mod audit;
mod forms;
mod groups;
mod keystone;
mod layout;
mod listing;
mod operator;
mod permissions_groups;
mod policies;
mod service_accounts;
mod session;
mod sign_in;
mod tokens;
mod users;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::state::AppState;

pub use layout::error_page;

/// Where the console lives.
pub const ROOT: &str = "/console/";

// The console's pages, named here so that every page can link to every other.
pub(crate) const AUDIT: &str = "/console/audit";
pub(crate) const GROUPS: &str = "/console/identities/groups";
pub(crate) const KEYSTONE: &str = "/console/keystone";
pub(crate) const OPENRC: &str = "/console/keystone/openrc";
pub(crate) const OPERATOR: &str = "/console/operator";
pub(crate) const PERMISSIONS_GROUPS: &str = "/console/iam/permissions-groups";
pub(crate) const POLICIES: &str = "/console/iam/policies";
pub(crate) const SERVICE_ACCOUNTS: &str = "/console/identities/service-accounts";
pub(crate) const SIGN_IN: &str = "/console/sign-in";
pub(crate) const SIGN_OUT: &str = "/console/sign-out";
pub(crate) const USERS: &str = "/console/identities/users";

const CSS: &str = include_str!("../../console/console.css");
const JS: &str = include_str!("../../console/console.js");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::to(ROOT) }))
        .route("/console/", get(home))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/console.js", get(js))
        .route("/console/sign-in", get(sign_in::form).post(sign_in::submit))
        .route("/console/sign-out", post(sign_in::sign_out))
        .route(
            "/console/identities/users",
            get(users::list).post(users::create),
        )
        .route("/console/identities/users/new", get(users::new))
        .route(
            "/console/identities/users/{login}/edit",
            get(users::edit_form).post(users::edit),
        )
        .route(
            "/console/identities/users/{login}/delete",
            get(users::confirm).post(users::delete),
        )
        .route(
            "/console/identities/users/{login}/enable",
            post(users::enable),
        )
        .route(
            "/console/identities/users/{login}/disable",
            post(users::disable),
        )
        .route(
            "/console/identities/groups",
            get(groups::list).post(groups::create),
        )
        .route("/console/identities/groups/new", get(groups::new))
        .route(
            "/console/identities/groups/{group}/edit",
            get(groups::edit_form).post(groups::edit),
        )
        .route(
            "/console/identities/groups/{group}/delete",
            get(groups::confirm).post(groups::delete),
        )
        .route(
            "/console/identities/service-accounts",
            get(service_accounts::list).post(service_accounts::create),
        )
        .route(
            "/console/identities/service-accounts/new",
            get(service_accounts::new),
        )
        .route(
            "/console/identities/service-accounts/{client}/edit",
            get(service_accounts::edit_form).post(service_accounts::edit),
        )
        .route(
            "/console/identities/service-accounts/{client}/delete",
            get(service_accounts::confirm).post(service_accounts::delete),
        )
        .route(
            "/console/iam/policies",
            get(policies::list).post(policies::create),
        )
        .route("/console/iam/policies/new", get(policies::new))
        .route("/console/iam/policies/{id}/json", get(policies::json))
        .route(
            "/console/iam/policies/{id}/edit",
            get(policies::edit_form).post(policies::edit),
        )
        .route(
            "/console/iam/policies/{id}/delete",
            get(policies::confirm).post(policies::delete),
        )
        .route(
            "/console/iam/permissions-groups",
            get(permissions_groups::list).post(permissions_groups::create),
        )
        .route(
            "/console/iam/permissions-groups/new",
            get(permissions_groups::new),
        )
        .route(
            "/console/iam/permissions-groups/{name}/edit",
            get(permissions_groups::edit_form).post(permissions_groups::edit),
        )
        .route(
            "/console/iam/permissions-groups/{name}/delete",
            get(permissions_groups::confirm).post(permissions_groups::delete),
        )
        .route("/console/audit", get(audit::list))
        .route("/console/operator", get(operator::overview))
        .route("/console/operator/accounts", post(operator::create_account))
        .route("/console/operator/keys/rotate", post(operator::rotate_keys))
        .route("/console/keystone", get(keystone::overview))
        .route("/console/keystone/openrc", get(keystone::openrc))
        .route(
            "/console/identities/users/{login}/tokens",
            get(tokens::list).post(tokens::create),
        )
        .route(
            "/console/identities/users/{login}/tokens/{name}/delete",
            get(tokens::confirm_delete).post(tokens::delete),
        )
        .layer(axum::middleware::from_fn(headers))
}

/// Whether a request to `/` comes from a browser that wants a page (Keystone clients ask for
/// JSON and keep getting the version document).
pub fn wants_page(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("text/html")))
}

async fn home() -> Redirect {
    Redirect::to(USERS)
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// The headers every console answer carries.
async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    secure(res.headers_mut());
    res
}

/// Sets the console's security headers (and `no-store` unless the answer chose its caching).
pub(crate) fn secure(h: &mut axum::http::HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
