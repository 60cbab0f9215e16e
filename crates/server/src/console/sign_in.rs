//! Signing in with `{nic}/{login}` and password (the same Argon2id check, throttles and
//! failure records as Basic authentication), and signing out.
//!
//! The sign-in form is bound to a cookie of its own (a random value the form repeats), so a
//! page elsewhere cannot sign a browser in to another account.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use latchkey_core::Error;
use latchkey_core::secret::Secret;
use maud::html;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::state::AppState;

use super::SIGN_IN as PATH;
use super::forms::NoFields;
use super::layout::{document, notice};
use super::session::{Form, SIGN_IN_COOKIE, add_cookie, cookie, session_cookie_name, set_cookie};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Next {
    next: Option<String>,
    signed_out: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignIn {
    user: String,
    password: String,
    binding: String,
    next: String,
}

/// Only a console page is a place to come back to.
fn next_page(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with(super::ROOT) && !n.contains("//") && !n.contains('\\') => n,
        _ => super::ROOT,
    }
}

/// `GET /console/sign-in`.
pub async fn form(State(app): State<AppState>, Query(q): Query<Next>) -> Response {
    let message = q.signed_out.is_some().then_some("You are signed out.");
    render(
        &app,
        StatusCode::OK,
        "",
        next_page(q.next.as_deref()),
        None,
        message,
    )
}

fn render(
    app: &AppState,
    status: StatusCode,
    user: &str,
    next: &str,
    error: Option<&str>,
    message: Option<&str>,
) -> Response {
    let binding = latchkey_core::secret::random_base62(32);
    let body = html! {
        main.signin id="content" {
            h1 { "Sign in to Latchkey" }
            @if let Some(message) = message { (notice("success", html! { p { (message) } })) }
            @if let Some(error) = error {
                (notice("error", html! { p id="sign-in-error" { (error) } }))
            }
            form method="post" action=(PATH) {
                input type="hidden" name="binding" value=(binding);
                input type="hidden" name="next" value=(next);
                label for="user" { "Account and login" }
                p.hint id="user-hint" { "Your account's nic and your login: " code { "{nic}/{login}" } ", for example " code { "lk0001-lk/admin" } "." }
                input #user type="text" name="user" value=(user) required autocomplete="username"
                    aria-describedby="user-hint" autofocus;
                label for="password" { "Password" }
                input #password type="password" name="password" required autocomplete="current-password"
                    aria-describedby=[error.map(|_| "sign-in-error")];
                p { button type="submit" { "Sign in" } }
            }
        }
    };
    let mut res = (status, document("Sign in", body)).into_response();
    add_cookie(&mut res, &set_cookie(app, SIGN_IN_COOKIE, &binding, 3600));
    res
}

/// `POST /console/sign-in`.
pub async fn submit(State(app): State<AppState>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers: &HeaderMap = &parts.headers;
    let Ok(raw) = axum::body::to_bytes(body, crate::extract::MAX_BODY_BYTES).await else {
        return super::layout::bare_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form is too large to be read.",
        );
    };
    let fields: SignIn = serde_urlencoded::from_bytes(&raw).unwrap_or_default();
    let next = next_page(Some(&fields.next)).to_owned();
    let bound = cookie(headers, SIGN_IN_COOKIE).unwrap_or_default();
    if fields.binding.is_empty() || !bool::from(bound.as_bytes().ct_eq(fields.binding.as_bytes())) {
        return render(
            &app,
            StatusCode::FORBIDDEN,
            &fields.user,
            &next,
            Some("The sign-in form has expired; please sign in again."),
            None,
        );
    }
    let client = crate::extract::client_address(&parts.extensions);
    let password = Secret::new(fields.password);
    match app
        .directory
        .open_console_session(fields.user.trim(), &password, client)
        .await
    {
        Ok(opened) => {
            let max_age = (opened.expires_at - app.directory.clock().now()).num_seconds();
            let session = set_cookie(
                &app,
                session_cookie_name(&app),
                opened.value.expose(),
                max_age.max(1),
            );
            let binding = set_cookie(&app, SIGN_IN_COOKIE, "", 0);
            let mut res = Redirect::to(&next).into_response();
            add_cookie(&mut res, &session);
            add_cookie(&mut res, &binding);
            res
        }
        Err(Error::Unauthenticated(_)) => render(
            &app,
            StatusCode::UNAUTHORIZED,
            &fields.user,
            &next,
            Some("The account, login or password is not right."),
            None,
        ),
        Err(Error::RateLimited {
            message,
            retry_after,
        }) => {
            let mut res = render(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                &fields.user,
                &next,
                Some(&message),
                None,
            );
            crate::error::retry_in(&mut res, retry_after);
            res
        }
        Err(e) => super::layout::bare_failure(e),
    }
}

/// `POST /console/sign-out`: the session ends on every node; the cookie is cleared.
pub async fn sign_out(form: Form<NoFields>) -> Response {
    let Form { console, .. } = form;
    if let Err(e) = console
        .app
        .directory
        .close_console_session(&console.caller)
        .await
    {
        return console.error(e);
    }
    let clear = set_cookie(&console.app, session_cookie_name(&console.app), "", 0);
    let mut res = Redirect::to(&format!("{PATH}?signed_out=1")).into_response();
    add_cookie(&mut res, &clear);
    res
}
