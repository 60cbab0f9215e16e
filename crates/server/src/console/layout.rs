//! The page frame every console page shares: a header with the account and the signed-in
//! identity, a navigation column, the page's content; and the pages of failures (a refusal
//! naming the missing IAM action, a missing object, an unreachable store).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_core::Error;
use maud::{DOCTYPE, Markup, html};

use crate::middleware::refusals::Refused;

/// The navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Users,
    Groups,
    ServiceAccounts,
    Policies,
    PermissionsGroups,
    Keystone,
    Audit,
    Operator,
    None,
}

/// The CSRF field every state-changing form carries.
pub const CSRF_FIELD: &str = "csrf";

/// What the frame shows of a signed-in request.
#[derive(Debug)]
pub struct Frame<'a> {
    pub account: &'a str,
    pub who: String,
    pub csrf: &'a str,
    /// The operator's ROOT user: the Operator entry is shown.
    pub operator: bool,
}

/// A signed-in request, as the frame sees it.
pub trait Framed {
    fn frame(&self) -> Frame<'_>;
}

/// A full page in the console's frame.
pub fn page(console: &impl Framed, title: &str, nav: Nav, content: Markup) -> Response {
    page_with(console, StatusCode::OK, title, nav, content)
}

pub fn page_with(
    console: &impl Framed,
    status: StatusCode,
    title: &str,
    nav: Nav,
    content: Markup,
) -> Response {
    let frame = console.frame();
    let (account, who) = (frame.account, &frame.who);
    let current = |entry: Nav| (entry == nav).then_some("page");
    let body = html! {
        a.skip href="#content" { "Skip to content" }
        header.top {
            a.brand href=(super::ROOT) { "Latchkey" }
            div.who {
                span { "Account " strong { (account) } }
                span { "Signed in as " strong { (who) } }
                form method="post" action=(super::SIGN_OUT) {
                    (csrf(console))
                    button type="submit" { "Sign out" }
                }
            }
        }
        div.frame {
            nav.side aria-label="Console" {
                h2 { "Identities" }
                ul {
                    li { a href=(super::USERS) aria-current=[current(Nav::Users)] { "Local users" } }
                    li { a href=(super::GROUPS) aria-current=[current(Nav::Groups)] { "User groups" } }
                    li { a href=(super::SERVICE_ACCOUNTS) aria-current=[current(Nav::ServiceAccounts)] { "Service accounts" } }
                }
                h2 { "Identity and Access Management" }
                ul {
                    li { a href=(super::POLICIES) aria-current=[current(Nav::Policies)] { "Policies" } }
                    li { a href=(super::PERMISSIONS_GROUPS) aria-current=[current(Nav::PermissionsGroups)] { "Permissions groups" } }
                    li { a href=(super::AUDIT) aria-current=[current(Nav::Audit)] { "Audit logs" } }
                }
                h2 { "OpenStack" }
                ul {
                    li { a href=(super::KEYSTONE) aria-current=[current(Nav::Keystone)] { "Keystone" } }
                }
                @if frame.operator {
                    h2 { "Installation" }
                    ul {
                        li { a href=(super::OPERATOR) aria-current=[current(Nav::Operator)] { "Operator" } }
                    }
                }
            }
            main id="content" { (content) }
        }
    };
    (status, document(title, body)).into_response()
}

/// The hidden field that carries the session's CSRF token.
pub fn csrf(console: &impl Framed) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(console.frame().csrf); }
}

/// The HTML document around a page's body.
pub fn document(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Latchkey" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body { (body) }
        }
    }
}

/// A message box: `kind` is `error`, `success` or `warning`.
pub fn notice(kind: &str, content: Markup) -> Markup {
    let role = if kind == "error" { "alert" } else { "status" };
    html! { div class={ "notice " (kind) } role=(role) { (content) } }
}

/// What an operation's error shows, inside the frame.
pub fn failure(console: &impl Framed, error: Error) -> Response {
    let (status, title, message) = describe(&error);
    let content = match &error {
        Error::Forbidden { actions } => html! {
            h1 { "Not allowed" }
            (notice("error", html! {
                p { "Your identity is not allowed to do this. The account's IAM policies do not grant:" }
                ul { @for action in actions { li { code { (action) } } } }
                p.hint { "Ask an administrator of the account for a policy that allows it." }
            }))
        },
        _ => html! {
            h1 { (title) }
            (notice("error", html! { p { (message) } }))
            p { a href=(super::ROOT) { "Back to the console" } }
        },
    };
    let mut res = page_with(console, status, title, Nav::None, content);
    finish(&mut res, error);
    res
}

/// What an error shows outside the frame (before a session is known).
pub fn bare_failure(error: Error) -> Response {
    if matches!(error, Error::Unauthenticated(_)) {
        return Redirect::to(super::SIGN_IN).into_response();
    }
    let (status, title, message) = describe(&error);
    let mut res = bare(status, title, &message);
    finish(&mut res, error);
    res
}

/// A page with a status and a sentence, outside the frame.
pub fn bare_status(status: StatusCode, message: &str) -> Response {
    bare(
        status,
        status.canonical_reason().unwrap_or("Error"),
        message,
    )
}

/// The console's answer to an error the edge renders for a console path (a timeout, a body
/// too large), with the console's security headers.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let mut res = bare_status(status, message);
    super::secure(res.headers_mut());
    res
}

fn bare(status: StatusCode, title: &str, message: &str) -> Response {
    let body = html! {
        main.signin id="content" {
            h1 { (title) }
            (notice("error", html! { p { (message) } }))
            p { a href=(super::ROOT) { "Back to the console" } }
        }
    };
    (status, document(title, body)).into_response()
}

/// A form posted without its session's CSRF token: nothing was changed.
pub fn csrf_refused(console: &impl Framed) -> Response {
    let content = html! {
        h1 { "The form has expired" }
        (notice("error", html! {
            p { "The form was not sent from this session's page (its CSRF token is missing or wrong), so nothing was changed." }
            p { "Go back, reload the page and try again." }
        }))
    };
    page_with(
        console,
        StatusCode::FORBIDDEN,
        "The form has expired",
        Nav::None,
        content,
    )
}

fn describe(error: &Error) -> (StatusCode, &'static str, String) {
    match error {
        Error::Invalid(m) => (StatusCode::BAD_REQUEST, "Invalid request", m.clone()),
        Error::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m.clone()),
        Error::Conflict(m) => (StatusCode::CONFLICT, "Conflict", m.clone()),
        Error::Unauthenticated(m) => (StatusCode::UNAUTHORIZED, "Signed out", m.clone()),
        Error::Forbidden { .. } => (
            StatusCode::FORBIDDEN,
            "Not allowed",
            "User not granted for this request".to_owned(),
        ),
        Error::RateLimited { message, .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            message.clone(),
        ),
        Error::Unavailable { .. } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable",
            latchkey_core::error::UNAVAILABLE_MESSAGE.to_owned(),
        ),
        Error::Internal(_) => {
            let id = crate::middleware::request_id::current().unwrap_or_default();
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                format!("Internal server error (request id {id})"),
            )
        }
    }
}

/// What an error's answer carries beside its page: the refused actions for the audit log,
/// `Retry-After`, the internal cause in the log.
fn finish(res: &mut Response, error: Error) {
    match error {
        Error::Forbidden { actions } => {
            res.extensions_mut().insert(Refused {
                actions,
                reason: None,
            });
        }
        Error::RateLimited { retry_after, .. } | Error::Unavailable { retry_after } => {
            crate::error::retry_in(res, retry_after);
        }
        Error::Internal(cause) => crate::error::log_internal(cause.as_ref()),
        _ => {}
    }
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
}
