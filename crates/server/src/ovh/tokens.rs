use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use latchkey_core::authz;
use latchkey_core::names::{Description, TokenName};
use latchkey_core::service::pats::Expiry;
use serde::{Deserialize, Deserializer};

use super::login_param;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Caller, PathParams, name};
use crate::state::AppState;
use crate::views::{CreatedTokenView, TokenView};

/// `expiresAt`: an RFC 3339 date-time, or a bare date (`2026-12-31`, midnight UTC).
#[derive(Debug, Clone, Copy)]
pub struct ExpiryDate(DateTime<Utc>);

impl<'de> Deserialize<'de> for ExpiryDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if let Ok(at) = DateTime::parse_from_rfc3339(&s) {
            return Ok(Self(at.with_timezone(&Utc)));
        }
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| Self(dt.and_utc()))
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "expiresAt {s:?} is not an RFC 3339 date-time (2026-12-31T23:59:59Z) or a date (2026-12-31)"
                ))
            })
    }
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateToken {
    name: TokenName,
    description: Description,
    expires_at: Option<ExpiryDate>,
    expires_in: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateToken {
    description: Option<Description>,
    #[serde(default, deserialize_with = "present")]
    expires_at: Option<Option<ExpiryDate>>,
    expires_in: Option<i64>,
}

fn expiry(at: Option<Option<ExpiryDate>>, within: Option<i64>) -> ApiResult<Option<Expiry>> {
    match (at, within) {
        (Some(Some(_)), Some(_)) | (Some(None), Some(_)) => Err(ApiError::bad_request(
            "give either expiresAt or expiresIn, not both",
        )),
        (Some(Some(ExpiryDate(at))), None) => Ok(Some(Expiry::At(at))),
        (Some(None), None) => Ok(Some(Expiry::Never)),
        (None, Some(secs)) => Ok(Some(Expiry::In(secs))),
        (None, None) => Ok(None),
    }
}

/// `GET /me/identity/user/{user}/token` — `account:apiovh:me/identity/user/token/get`.
pub async fn list(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(user): PathParams<String>,
) -> ApiResult<Json<Vec<TokenName>>> {
    let permit = app.directory.authorize(&who, &authz::TOKEN_GET)?;
    let login = login_param(&who, &user)?;
    Ok(Json(app.directory.list_pats(&permit, &login).await?))
}

/// `POST /me/identity/user/{user}/token` — `account:apiovh:me/identity/user/token/create`.
/// The response carries the value in `token`, this once.
pub async fn create(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(user): PathParams<String>,
    Body(body): Body<CreateToken>,
) -> ApiResult<Json<CreatedTokenView>> {
    let permit = app.directory.authorize(&who, &authz::TOKEN_CREATE)?;
    let login = login_param(&who, &user)?;
    let expiry = expiry(body.expires_at.map(Some), body.expires_in)?.unwrap_or(Expiry::Never);
    let created = app
        .directory
        .create_pat(&permit, &login, body.name, body.description, expiry)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), login = %login, token = %created.pat.name, "token created");
    Ok(Json(CreatedTokenView {
        token: created.value.expose().to_owned(),
        meta: created.pat.into(),
    }))
}

/// `GET /me/identity/user/{user}/token/{name}` — `account:apiovh:me/identity/user/token/get`.
pub async fn get(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams((user, token)): PathParams<(String, String)>,
) -> ApiResult<Json<TokenView>> {
    let permit = app.directory.authorize(&who, &authz::TOKEN_GET)?;
    let login = login_param(&who, &user)?;
    let pat = app
        .directory
        .pat(&permit, &login, &name(&token, TokenName::parse)?)
        .await?;
    Ok(Json(pat.into()))
}

/// `PUT /me/identity/user/{user}/token/{name}` — `account:apiovh:me/identity/user/token/edit`.
/// Absent fields stay; `"expiresAt": null` makes the token never expire.
pub async fn update(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams((user, token)): PathParams<(String, String)>,
    Body(body): Body<UpdateToken>,
) -> ApiResult<Json<TokenView>> {
    let permit = app.directory.authorize(&who, &authz::TOKEN_EDIT)?;
    let login = login_param(&who, &user)?;
    let token = name(&token, TokenName::parse)?;
    let expiry = expiry(body.expires_at, body.expires_in)?;
    let pat = app
        .directory
        .update_pat(&permit, &login, &token, body.description, expiry)
        .await?;
    tracing::info!(by = %who.urn(&app.plate), login = %login, token = %token, "token updated");
    Ok(Json(pat.into()))
}

/// `DELETE /me/identity/user/{user}/token/{name}` — `account:apiovh:me/identity/user/token/delete`.
pub async fn delete(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams((user, token)): PathParams<(String, String)>,
) -> ApiResult<Json<()>> {
    let permit = app.directory.authorize(&who, &authz::TOKEN_DELETE)?;
    let login = login_param(&who, &user)?;
    let token = name(&token, TokenName::parse)?;
    app.directory.delete_pat(&permit, &login, &token).await?;
    tracing::info!(by = %who.urn(&app.plate), login = %login, token = %token, "token deleted");
    Ok(Json(()))
}
