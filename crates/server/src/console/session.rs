//! Who is signed in: the session cookie, the [`Console`] extractor every page takes, and forms
//! with their CSRF token.
//!
//! The cookie is `HttpOnly; SameSite=Strict; Path=/`, and `Secure` with the `__Host-` prefix
//! when the public URL is https. A request whose session has ended is sent to the sign-in page
//! (and changes nothing).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_core::Error;
use latchkey_core::authz::{Action, Permit};
use latchkey_core::service::console::ConsoleCaller;
use serde::de::DeserializeOwned;

use crate::state::AppState;

use super::layout::{self, CSRF_FIELD, Frame, Framed};

/// The session cookie's name over https (the `__Host-` prefix: host-only, `Secure`, `Path=/`).
pub const SECURE_COOKIE: &str = "__Host-latchkey_session";
/// The session cookie's name over plain http (a development setup).
pub const PLAIN_COOKIE: &str = "latchkey_session";
/// The cookie the sign-in form is bound to (before any session exists).
pub const SIGN_IN_COOKIE: &str = "latchkey_sign_in";

/// The value of the named cookie in a request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// Whether the console is served over https (its public URL says so).
pub fn https(app: &AppState) -> bool {
    app.directory.issuer().starts_with("https://")
}

pub fn session_cookie_name(app: &AppState) -> &'static str {
    if https(app) {
        SECURE_COOKIE
    } else {
        PLAIN_COOKIE
    }
}

/// A `Set-Cookie` value: `value` for `max_age` seconds (0 ends it).
pub fn set_cookie(app: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if https(app) { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// A page already made (a refusal, an error) that a handler answers instead of its own.
#[derive(Debug)]
pub struct Shown(Box<Response>);

impl IntoResponse for Shown {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for Shown {
    fn from(res: Response) -> Self {
        Self(Box::new(res))
    }
}

/// What a console handler answers: its page, or the page of what stopped it.
pub type Answer = Result<Response, Shown>;

/// An operation's result, its error shown as a console page.
pub trait OrShow<T> {
    fn or_show(self, console: &Console) -> Result<T, Shown>;
}

impl<T> OrShow<T> for latchkey_core::Result<T> {
    fn or_show(self, console: &Console) -> Result<T, Shown> {
        self.map_err(|e| console.error(e).into())
    }
}

/// Adds a `Set-Cookie` to an answer (cookies are made of base62 values and fixed attributes:
/// always a valid header).
pub fn add_cookie(res: &mut Response, cookie: &str) {
    if let Ok(value) = axum::http::HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// A signed-in console request: the application, the caller and its session.
#[derive(Debug, Clone)]
pub struct Console {
    pub app: AppState,
    pub caller: ConsoleCaller,
}

impl Console {
    /// A permit for `action`, decided exactly as for the API; a refusal renders the page that
    /// names the missing action.
    pub fn permit(&self, action: &Action) -> Result<Permit, Shown> {
        self.app
            .directory
            .authorize(&self.caller.principal, action)
            .or_show(self)
    }

    /// An error of an operation as a page in the console's frame.
    pub fn error(&self, error: Error) -> Response {
        layout::failure(self, error)
    }
}

impl Framed for Console {
    fn frame(&self) -> Frame<'_> {
        let principal = &self.caller.principal;
        Frame {
            account: principal.account.nic.as_str(),
            who: principal
                .user()
                .map_or_else(String::new, |u| u.login.to_string()),
            csrf: self.caller.csrf(),
            operator: principal.is_operator(),
        }
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let value = cookie(&parts.headers, session_cookie_name(app));
        let signed = match value {
            Some(value) => app.directory.console_session(value).await,
            None => Err(Error::unauthenticated("not signed in")),
        };
        match signed {
            Ok(caller) => {
                crate::middleware::refusals::remember(caller.principal.clone());
                Ok(Console {
                    app: app.clone(),
                    caller,
                })
            }
            Err(Error::Unauthenticated(_)) => Err(to_sign_in(parts)),
            Err(e) => Err(layout::bare_failure(e)),
        }
    }
}

/// The sign-in page, coming back to this page (a GET) or to the console's home afterwards.
fn to_sign_in(parts: &Parts) -> Response {
    let path = parts.uri.path();
    let next = if parts.method == Method::GET && path.starts_with(super::ROOT) {
        parts
            .uri
            .path_and_query()
            .map_or(path, |p| p.as_str())
            .to_owned()
    } else {
        super::ROOT.to_owned()
    };
    let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    Redirect::to(&format!("{}?{query}", super::SIGN_IN)).into_response()
}

/// A form posted by a signed-in user, whose CSRF token matched its session. A form without it,
/// or with another session's, gets 403 and changes nothing.
#[derive(Debug)]
pub struct Form<T> {
    pub console: Console,
    pub fields: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Form<T> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let console = Console::from_request_parts(&mut parts, app).await?;
        let bytes = axum::body::to_bytes(body, crate::extract::MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                layout::bare_status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The form is too large to be read.",
                )
            })?;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
        let csrf = pairs
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.as_str());
        if !app.directory.csrf_matches(&console.caller, csrf) {
            return Err(layout::csrf_refused(&console));
        }
        let fields = serde_urlencoded::from_bytes::<T>(&bytes).map_err(|e| {
            console.error(Error::invalid(format!("the form could not be read: {e}")))
        })?;
        Ok(Form { console, fields })
    }
}
