//! The OVH-style /1.0 API (also served under /v1): `/me`, local users, groups and personal
//! access tokens. Each handler names its IAM action and gets a permit before touching anything.

mod clients;
mod groups;
mod me;
pub(crate) mod openrc;
mod tokens;
mod users;

use axum::Router;
use axum::routing::{get, post};
use latchkey_core::authz::Principal;
use latchkey_core::names::Login;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The routes under `prefix` (`/1.0` or `/v1`). Paths are spelled out in full rather than
/// nested, which spares every request a prefix-stripping layer.
pub fn router(prefix: &str) -> Router<AppState> {
    let at = |path: &str| format!("{prefix}{path}");
    Router::new()
        .route(&at("/me"), get(me::get))
        .route(
            &at("/me/identity/user"),
            get(users::list).post(users::create),
        )
        .route(
            &at("/me/identity/user/{user}"),
            get(users::get).put(users::update).delete(users::delete),
        )
        .route(&at("/me/identity/user/{user}/enable"), post(users::enable))
        .route(&at("/me/identity/user/{user}/openrc"), get(openrc::get))
        .route(
            &at("/me/identity/user/{user}/disable"),
            post(users::disable),
        )
        .route(
            &at("/me/identity/user/{user}/token"),
            get(tokens::list).post(tokens::create),
        )
        .route(
            &at("/me/identity/user/{user}/token/{name}"),
            get(tokens::get).put(tokens::update).delete(tokens::delete),
        )
        .route(
            &at("/me/identity/group"),
            get(groups::list).post(groups::create),
        )
        .route(
            &at("/me/api/oauth2/client"),
            get(clients::list).post(clients::create),
        )
        .route(
            &at("/me/api/oauth2/client/{client}"),
            get(clients::get)
                .put(clients::update)
                .delete(clients::delete),
        )
        .route(
            &at("/me/identity/group/{group}"),
            get(groups::get).put(groups::update).delete(groups::delete),
        )
}

/// The login named by a `{user}` path segment: `login`, or `{nic}/login` for the caller's own
/// account (the form the Control Panel shows).
fn login_param(who: &Principal, raw: &str) -> ApiResult<Login> {
    let login = match raw.split_once('/') {
        Some((nic, login)) if nic.eq_ignore_ascii_case(who.account.nic.as_str()) => login,
        Some(_) => {
            return Err(ApiError(latchkey_core::Error::not_found(format!(
                "user {raw} does not exist"
            ))));
        }
        None => raw,
    };
    Ok(Login::parse(login)?)
}
