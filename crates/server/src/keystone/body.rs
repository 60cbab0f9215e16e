//! Typed Keystone request bodies. Keystone wraps a resource in its name (`{"user": {…}}`);
//! [`KsBody`] unwraps and parses it into the resource's request struct, and every refusal is
//! a 400 in Keystone's format naming the field at fault, as `Body<T>` does for the /1.0 API.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use serde_json::{Map, Value};

use super::KsError;

/// A request struct Keystone sends wrapped in `KEY` (`{"project": {…}}`).
pub trait Wrapped: DeserializeOwned {
    const KEY: &'static str;
}

/// The request body `{T::KEY: {…}}`, parsed into `T`.
#[derive(Debug)]
pub struct KsBody<T>(pub T);

/// A whole request body parsed into `T`, in Keystone's error format.
#[derive(Debug)]
pub struct KsJson<T>(pub T);

async fn read<S: Send + Sync>(req: Request, state: &S) -> Result<Value, KsError> {
    let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            KsError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request is too large.")
        } else {
            KsError::bad_request(format!("Cannot read the request body: {rejection}"))
        }
    })?;
    json_of(&bytes)
}

pub(crate) fn json_of(bytes: &[u8]) -> Result<Value, KsError> {
    serde_json::from_slice(bytes).map_err(|e| {
        KsError::bad_request(format!("Expecting to find valid JSON in request body: {e}"))
    })
}

/// Parses `value` into `T`, naming the field at fault as Keystone's schema errors do
/// (`Invalid input for field 'enabled': …`).
pub(crate) fn parse<T: DeserializeOwned>(value: Value) -> Result<T, KsError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." || path.is_empty() {
            KsError::bad_request(format!("Invalid input: {}", e.inner()))
        } else {
            KsError::bad_request(format!("Invalid input for field '{path}': {}", e.inner()))
        }
    })
}

/// Takes the object under `key` out of a request document.
pub(crate) fn unwrap(mut value: Value, key: &str) -> Result<Map<String, Value>, KsError> {
    match value.get_mut(key).map(Value::take) {
        Some(Value::Object(inner)) => Ok(inner),
        Some(_) => Err(KsError::bad_request(format!("'{key}' must be an object"))),
        None => Err(KsError::bad_request(format!(
            "'{key}' is a required property"
        ))),
    }
}

impl<S, T> FromRequest<S> for KsBody<T>
where
    S: Send + Sync,
    T: Wrapped,
{
    type Rejection = KsError;

    async fn from_request(req: Request, state: &S) -> Result<Self, KsError> {
        let value = read(req, state).await?;
        parse(Value::Object(unwrap(value, T::KEY)?)).map(KsBody)
    }
}

impl<S, T> FromRequest<S> for KsJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = KsError;

    async fn from_request(req: Request, state: &S) -> Result<Self, KsError> {
        parse(read(req, state).await?).map(KsJson)
    }
}

/// The free-form object under `key` of a request body, for the documents kept whole (policies,
/// consumers, endpoint groups, domain configurations) whose fields the model checks.
pub(crate) fn free_form(body: &[u8], key: &str) -> Result<Map<String, Value>, KsError> {
    unwrap(json_of(body)?, key)
}

/// A field that is absent (`None`), null (`Some(None)`) or given (`Some(Some(v))`): for the
/// updates where null clears a value. Use with `#[serde(default, deserialize_with = "present")]`.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A required field: refused with Keystone's "'name' is a required property".
pub(crate) fn required<T>(field: Option<T>, name: &str) -> Result<T, KsError> {
    field.ok_or_else(|| KsError::bad_request(format!("'{name}' is a required property")))
}

/// A role a request names, by id or by name (`{"id": …}` or `{"name": …}`).
#[derive(Debug, Deserialize)]
pub struct RoleRef {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// The `roles` of a request, as ids or names; a reference with neither is refused.
pub(crate) fn role_refs(roles: Option<Vec<RoleRef>>) -> Result<Vec<String>, KsError> {
    roles
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            r.id.or(r.name)
                .ok_or_else(|| KsError::bad_request("'roles' is a list of {\"id\"} or {\"name\"}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Thing {
        name: Option<String>,
        enabled: Option<bool>,
        #[serde(default, deserialize_with = "present")]
        parent: Option<Option<String>>,
    }

    fn message(e: KsError) -> String {
        e.message
    }

    #[test]
    fn the_field_at_fault_is_named() {
        let cases = [
            (r#"{"thing": {"enabled": "yes"}}"#, "field 'enabled'"),
            (r#"{"thing": {"name": 7}}"#, "field 'name'"),
            (r#"{"thing": 7}"#, "'thing' must be an object"),
            (r#"{"other": {}}"#, "'thing' is a required property"),
        ];
        for (body, expected) in cases {
            let value: Value = serde_json::from_str(body).unwrap();
            let got = unwrap(value, "thing").and_then(|m| parse::<Thing>(Value::Object(m)));
            let e = got.expect_err(body);
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{body}");
            assert!(message(e).contains(expected), "{body}");
        }
    }

    #[test]
    fn absent_null_and_given_are_three_answers() {
        let parse_thing =
            |s: &str| parse::<Thing>(serde_json::from_str::<Value>(s).unwrap()).unwrap();
        assert_eq!(parse_thing("{}").parent, None);
        assert_eq!(parse_thing(r#"{"parent": null}"#).parent, Some(None));
        assert_eq!(
            parse_thing(r#"{"parent": "p"}"#).parent,
            Some(Some("p".to_owned()))
        );
        let t = parse_thing(r#"{"name": null, "enabled": false}"#);
        assert_eq!((t.name, t.enabled), (None, Some(false)));
    }

    #[test]
    fn roles_are_named_by_id_or_name() {
        let refs: Vec<RoleRef> =
            serde_json::from_str(r#"[{"id": "r1"}, {"name": "reader"}]"#).unwrap();
        assert_eq!(role_refs(Some(refs)).unwrap(), ["r1", "reader"]);
        assert!(
            role_refs(Some(vec![RoleRef {
                id: None,
                name: None
            }]))
            .is_err()
        );
        assert!(role_refs(None).unwrap().is_empty());
    }
}
