//! `/v3/OS-TRUST/trusts`: a trustor delegates roles on a project to a trustee
//! ([`latchkey_core::service::keystone::trusts`]). The trustor and the trustee read a trust;
//! the trustor deletes it; the operator's administrators and system readers read every trust
//! and an administrator deletes any.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use latchkey_core::authz::Subject;
use latchkey_core::keystone;
use latchkey_core::service::Directory;
use latchkey_core::service::keystone::trusts::{NewTrust, Trust, trust_fields};
use serde_json::{Value, json};

use super::{
    KsCaller, KsError, KsResult, collection, opt_bool, opt_str, self_link, views, wrapped,
};

/// The caller's own user id (hex), if the caller is a user.
fn me(caller: &KsCaller) -> Option<i64> {
    match &caller.0.subject {
        Subject::User(u) => Some(u.id.0),
        Subject::ServiceAccount(_) => None,
    }
}

/// Whether the caller administers trusts: the operator's cloud administrator.
fn administers(caller: &KsCaller) -> bool {
    caller.0.account.operator && caller.0.has_role("admin")
}

fn view(directory: &Directory, trust: &Trust, summary: bool) -> Value {
    let mut map = trust_fields(trust);
    map.insert(
        "links".into(),
        self_link(directory, &format!("OS-TRUST/trusts/{}", trust.id)),
    );
    if !summary {
        let roles: Vec<Value> = trust
            .roles
            .iter()
            .filter_map(|id| directory.keystone_role(id).ok())
            .map(|r| views::role(directory, &r))
            .collect();
        map.insert("roles".into(), json!(roles));
        map.insert(
            "roles_links".into(),
            json!({ "self": null, "previous": null, "next": null }),
        );
    }
    Value::Object(map)
}

/// A trust the caller may read: its trustor, its trustee, or those who read every domain.
async fn readable(directory: &Directory, caller: &KsCaller, id: &str) -> KsResult<Trust> {
    let trust = directory.trust(id).await?;
    let mine = me(caller).is_some_and(|u| u == trust.trustor || u == trust.trustee);
    if mine || caller.reads_every_domain() {
        Ok(trust)
    } else {
        Err(KsError::not_found(format!("Could not find trust: {id}.")))
    }
}

/// An `expires_at`: RFC 3339, or without an offset (UTC).
fn parse_time(s: &str) -> KsResult<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .map(|t| t.and_utc())
        .map_err(|_| KsError::bad_request(format!("Invalid input for field 'expires_at': {s:?}.")))
}

pub async fn create(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    body: Bytes,
) -> KsResult<Response> {
    let t = wrapped(&body, "trust")?;
    let field = |key: &str| -> KsResult<String> {
        opt_str(&t, key)?
            .map(str::to_owned)
            .ok_or_else(|| KsError::bad_request(format!("'{key}' is a required property")))
    };
    let roles = match t.get("roles") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|r| {
                r.get("id")
                    .or_else(|| r.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        KsError::bad_request("'roles' is a list of {\"id\"} or {\"name\"}")
                    })
            })
            .collect::<KsResult<Vec<_>>>()?,
        _ => return Err(KsError::bad_request("'roles' is a required list")),
    };
    let remaining_uses = match t.get("remaining_uses") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    KsError::bad_request("'remaining_uses' must be a positive integer")
                })?,
        ),
    };
    let new = NewTrust {
        trustor: field("trustor_user_id")?,
        trustee: field("trustee_user_id")?,
        project_id: field("project_id")?,
        roles,
        impersonation: opt_bool(&t, "impersonation")?
            .ok_or_else(|| KsError::bad_request("'impersonation' is a required property"))?,
        expires_at: opt_str(&t, "expires_at")?.map(parse_time).transpose()?,
        remaining_uses,
    };
    let trust = directory.create_trust(&caller.0, new).await?;
    let body = json!({ "trust": view(&directory, &trust, false) });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn list(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    RawQuery(query): RawQuery,
) -> KsResult<Response> {
    let query = crate::iam::query::Query::parse(query.as_deref());
    let trustor = query.last("trustor_user_id").map(str::to_owned);
    let trustee = query.last("trustee_user_id").map(str::to_owned);
    let everything = caller.reads_every_domain();
    let me = me(&caller);
    let items: Vec<Value> = directory
        .trusts()
        .await?
        .iter()
        .filter(|t| everything || me.is_some_and(|u| u == t.trustor || u == t.trustee))
        .filter(|t| {
            let hex = |k| keystone::user_id(latchkey_core::model::UserId(k));
            trustor.as_deref().is_none_or(|x| hex(t.trustor) == x)
                && trustee.as_deref().is_none_or(|x| hex(t.trustee) == x)
        })
        .map(|t| view(&directory, t, true))
        .collect();
    Ok(collection(
        &directory,
        "trusts",
        "OS-TRUST/trusts",
        json!(items),
    ))
}

pub async fn get(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let trust = readable(&directory, &caller, &id).await?;
    Ok(axum::Json(json!({ "trust": view(&directory, &trust, false) })).into_response())
}

pub async fn delete(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let trust = readable(&directory, &caller, &id).await?;
    if me(&caller) != Some(trust.trustor) && !administers(&caller) {
        return Err(KsError::forbidden("Only the trustor deletes a trust."));
    }
    directory.delete_trust(&trust).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn roles(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    Path(id): Path<String>,
) -> KsResult<Response> {
    let trust = readable(&directory, &caller, &id).await?;
    let roles: Vec<Value> = trust
        .roles
        .iter()
        .filter_map(|r| directory.keystone_role(r).ok())
        .map(|r| views::role(&directory, &r))
        .collect();
    Ok(collection(
        &directory,
        "roles",
        &format!("OS-TRUST/trusts/{id}/roles"),
        json!(roles),
    ))
}

/// `GET` (the role) or `HEAD` (200) of a role the trust delegates; 404 otherwise.
pub async fn role(
    State(directory): State<Arc<Directory>>,
    caller: KsCaller,
    method: Method,
    Path((id, role)): Path<(String, String)>,
) -> KsResult<Response> {
    let trust = readable(&directory, &caller, &id).await?;
    if !trust.roles.contains(&role) {
        return Err(KsError::not_found(format!(
            "Role {role} is not delegated by trust {id}."
        )));
    }
    if method == Method::HEAD {
        return Ok(StatusCode::OK.into_response());
    }
    let role = directory.keystone_role(&role)?;
    Ok(axum::Json(json!({ "role": views::role(&directory, &role) })).into_response())
}
