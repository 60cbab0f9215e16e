//! The body of `POST /v3/auth/tokens`, typed: one method under `identity`, an optional scope.
//! A malformed shape is a 400; a method this server does not implement, a 401, as in Keystone.

use latchkey_core::secret::Secret;
use latchkey_core::service::keystone::request::{
    DomainRef, Method, ProjectRef, ScopeRequest, UserRef,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::body::{Wrapped, json_of, parse, unwrap};
use super::{KsError, KsResult};

/// `{"auth": {"identity": …, "scope": …}}`.
#[derive(Debug, Deserialize)]
pub struct AuthBody {
    identity: Option<Identity>,
    /// An object naming one scope, or the string `unscoped`.
    scope: Option<Value>,
}

impl Wrapped for AuthBody {
    const KEY: &'static str = "auth";
}

#[derive(Debug, Deserialize)]
struct Identity {
    methods: Option<Vec<String>>,
    /// Each method's payload under its name; only the one `methods` names is read.
    #[serde(flatten)]
    payloads: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct PasswordPayload {
    user: Option<PasswordUser>,
}

#[derive(Debug, Deserialize)]
struct PasswordUser {
    id: Option<String>,
    name: Option<String>,
    password: Option<Secret>,
    domain: Option<NameOrId>,
}

#[derive(Debug, Deserialize)]
struct TokenPayload {
    id: Option<Secret>,
}

#[derive(Debug, Deserialize)]
struct AppCredentialPayload {
    id: Option<String>,
    secret: Option<Secret>,
}

/// A domain or project named by `id`, or by `name`.
#[derive(Debug, Deserialize)]
struct NameOrId {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ProjectScope {
    id: Option<String>,
    name: Option<String>,
    domain: Option<NameOrId>,
}

#[derive(Debug, Deserialize)]
struct SystemScope {
    all: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct TrustScope {
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Scope {
    project: Option<ProjectScope>,
    domain: Option<NameOrId>,
    system: Option<SystemScope>,
    #[serde(rename = "OS-TRUST:trust")]
    trust: Option<TrustScope>,
}

/// The methods this server implements.
const METHODS: &[&str] = &["password", "token", "application_credential"];

/// The scopes a request may name.
const SCOPES: &[&str] = &["project", "domain", "system", "OS-TRUST:trust"];

/// Reads a whole `POST /v3/auth/tokens` body as the route does: the method and the scope, or
/// the refusal (400 for a malformed shape, 401 for a method not implemented). The fuzz target
/// `keystone_auth_body` calls it with arbitrary bytes.
pub fn auth_request(body: &[u8]) -> KsResult<(Method, ScopeRequest)> {
    let auth = unwrap(json_of(body)?, AuthBody::KEY)?;
    parse::<AuthBody>(Value::Object(auth))?.into_request()
}

impl AuthBody {
    /// The method and scope the request asks for.
    pub fn into_request(self) -> KsResult<(Method, ScopeRequest)> {
        let identity = self
            .identity
            .ok_or_else(|| KsError::bad_request("'identity' is a required property"))?;
        let method = identity.method()?;
        let scope = match self.scope {
            None | Some(Value::Null) => ScopeRequest::Default,
            Some(Value::String(s)) if s == "unscoped" => ScopeRequest::Default,
            Some(Value::Object(scope)) => scope_of(scope)?,
            Some(_) => return Err(KsError::bad_request("'scope' must be an object")),
        };
        Ok((method, scope))
    }
}

impl Identity {
    fn method(mut self) -> KsResult<Method> {
        let methods = self
            .methods
            .ok_or_else(|| KsError::bad_request("'methods' is a required property"))?;
        let [name] = methods.as_slice() else {
            if methods.is_empty() {
                return Err(KsError::bad_request("'methods' must name one method"));
            }
            return Err(KsError::unauthorized(
                "Attempted to authenticate with an unsupported method: one method at a time is \
                 supported.",
            ));
        };
        if !METHODS.contains(&name.as_str()) {
            return Err(KsError::unauthorized(format!(
                "Attempted to authenticate with an unsupported method: {name}."
            )));
        }
        let payload = match self.payloads.remove(name) {
            Some(payload @ Value::Object(_)) => payload,
            Some(_) => return Err(KsError::bad_request(format!("'{name}' must be an object"))),
            None => {
                return Err(KsError::bad_request(format!(
                    "Expecting to find {name} in identity."
                )));
            }
        };
        match name.as_str() {
            "password" => parse::<PasswordPayload>(payload)?.method(),
            "token" => {
                let id = parse::<TokenPayload>(payload)?
                    .id
                    .ok_or_else(|| KsError::bad_request("Expecting to find id in token."))?;
                Ok(Method::Token(id))
            }
            _ => {
                let credential = parse::<AppCredentialPayload>(payload)?;
                let secret = credential.secret.ok_or_else(|| {
                    KsError::bad_request("Expecting to find secret in application_credential.")
                })?;
                let id = credential.id.ok_or_else(|| {
                    KsError::unauthorized(
                        "Identify the application credential by its id (a service account's clientId).",
                    )
                })?;
                Ok(Method::ApplicationCredential { id, secret })
            }
        }
    }
}

impl PasswordPayload {
    fn method(self) -> KsResult<Method> {
        let user = self
            .user
            .ok_or_else(|| KsError::bad_request("Expecting to find user in password."))?;
        let password = user.password.unwrap_or_else(|| Secret::new(""));
        // As in Keystone, a name (with its domain) wins over an id.
        let user = match (user.name, user.id) {
            (Some(name), _) => UserRef::Name {
                name,
                domain: domain_ref(user.domain, "user")?,
            },
            (None, Some(id)) => UserRef::Id(id),
            (None, None) => {
                return Err(KsError::bad_request(
                    "Expecting to find id or name in user.",
                ));
            }
        };
        Ok(Method::Password { user, password })
    }
}

/// A domain named by id or name; required.
fn domain_ref(domain: Option<NameOrId>, of: &str) -> KsResult<DomainRef> {
    let domain =
        domain.ok_or_else(|| KsError::bad_request(format!("Expecting to find domain in {of}.")))?;
    match (domain.id, domain.name) {
        (Some(id), _) => Ok(DomainRef::Id(id)),
        (None, Some(name)) => Ok(DomainRef::Name(name)),
        (None, None) => Err(KsError::bad_request(
            "Expecting to find id or name in domain.",
        )),
    }
}

fn scope_of(scope: Map<String, Value>) -> KsResult<ScopeRequest> {
    if scope.len() > 1 {
        return Err(KsError::bad_request(
            "Only one of project, domain or system may be given as the scope.",
        ));
    }
    let Some(kind) = scope.keys().next().cloned() else {
        return Ok(ScopeRequest::Default);
    };
    if !SCOPES.contains(&kind.as_str()) {
        return Err(KsError::bad_request(format!(
            "Unknown scope {kind:?}; expected project, domain or system."
        )));
    }
    let not_object = || KsError::bad_request(format!("'{kind}' must be an object"));
    let parsed: Scope = parse(Value::Object(scope))?;
    match kind.as_str() {
        "project" => {
            let project = parsed.project.ok_or_else(not_object)?;
            match (project.id, project.name) {
                (Some(id), _) => Ok(ScopeRequest::Project(ProjectRef::Id(id))),
                (None, Some(name)) => Ok(ScopeRequest::Project(ProjectRef::Name {
                    name,
                    domain: domain_ref(project.domain, "project")?,
                })),
                (None, None) => Err(KsError::bad_request(
                    "Expecting to find id or name in project.",
                )),
            }
        }
        "domain" => Ok(ScopeRequest::Domain(domain_ref(parsed.domain, "scope")?)),
        "system" => match parsed.system {
            Some(SystemScope { all: Some(true) }) => Ok(ScopeRequest::System),
            _ => Err(KsError::bad_request("'system' must be {\"all\": true}")),
        },
        _ => match parsed.trust.ok_or_else(not_object)?.id {
            Some(id) => Ok(ScopeRequest::Trust(id)),
            None => Err(KsError::bad_request(
                "Expecting to find id in OS-TRUST:trust.",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Value) -> KsResult<(Method, ScopeRequest)> {
        parse::<AuthBody>(body)?.into_request()
    }

    #[test]
    fn a_password_by_name_needs_its_domain() {
        let (method, scope) = request(serde_json::json!({
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "alice", "domain": {"id": "default"}, "password": "pw"}}},
            "scope": {"project": {"id": "p1"}}
        }))
        .unwrap();
        assert!(matches!(
            method,
            Method::Password { user: UserRef::Name { ref name, domain: DomainRef::Id(ref d) }, .. }
                if name == "alice" && d == "default"
        ));
        assert!(matches!(scope, ScopeRequest::Project(ProjectRef::Id(ref p)) if p == "p1"));
        let e = request(serde_json::json!({
            "identity": {"methods": ["password"], "password": {"user": {"name": "alice"}}}
        }))
        .unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn malformed_shapes_are_400_and_unknown_methods_401() {
        use axum::http::StatusCode;
        let cases = [
            (serde_json::json!({}), StatusCode::BAD_REQUEST),
            (
                serde_json::json!({"identity": {"methods": "password"}}),
                StatusCode::BAD_REQUEST,
            ),
            (
                serde_json::json!({"identity": {"methods": ["totp"], "totp": {}}}),
                StatusCode::UNAUTHORIZED,
            ),
            (
                serde_json::json!({"identity": {"methods": ["token", "password"]}}),
                StatusCode::UNAUTHORIZED,
            ),
            (
                serde_json::json!({"identity": {"methods": ["token"], "token": {"id": "t"}},
                                   "scope": {"project": {"id": "p"}, "domain": {"id": "d"}}}),
                StatusCode::BAD_REQUEST,
            ),
            (
                serde_json::json!({"identity": {"methods": ["token"], "token": {"id": "t"}},
                                   "scope": {"system": {"all": false}}}),
                StatusCode::BAD_REQUEST,
            ),
            (
                serde_json::json!({"identity": {"methods": ["token"], "token": {"id": "t"}},
                                   "scope": {"galaxy": {}}}),
                StatusCode::BAD_REQUEST,
            ),
        ];
        for (body, status) in cases {
            let got = request(body.clone()).map(|_| ()).map_err(|e| e.status);
            assert_eq!(got, Err(status), "{body}");
        }
    }

    #[test]
    fn scopes_are_read_by_kind() {
        let token = serde_json::json!({"methods": ["token"], "token": {"id": "t"}});
        let scope = |s: Value| request(serde_json::json!({"identity": token, "scope": s}));
        assert!(matches!(
            scope(serde_json::json!({"system": {"all": true}}))
                .unwrap()
                .1,
            ScopeRequest::System
        ));
        assert!(matches!(
            scope(serde_json::json!({"domain": {"name": "Default"}})).unwrap().1,
            ScopeRequest::Domain(DomainRef::Name(ref n)) if n == "Default"
        ));
        assert!(matches!(
            scope(serde_json::json!({"OS-TRUST:trust": {"id": "tr"}})).unwrap().1,
            ScopeRequest::Trust(ref t) if t == "tr"
        ));
        assert!(matches!(
            scope(serde_json::json!("unscoped")).unwrap().1,
            ScopeRequest::Default
        ));
    }
}
