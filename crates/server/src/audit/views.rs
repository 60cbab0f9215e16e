//! The shapes of a record: OVHcloud's `audit.Log`, Latchkey's whole record, and a CADF event
//! (DMTF's Cloud Auditing Data Federation, as Keystone's `notification_format = cadf` emits).

use latchkey_core::audit::{AuditKind, AuditRecord};
use latchkey_core::names::Nic;
use serde_json::{Map, Value, json};

/// OVHcloud's `audit.Log`, with the request id and the credential used.
pub fn ovh_view(r: &AuditRecord) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!(r.kind));
    out.insert("createdAt".into(), json!(r.at));
    out.insert("ip".into(), json!(r.origin.ip.map(|ip| ip.to_string())));
    let auth = r
        .author
        .kind
        .map(|kind| json!({ "userDetails": { "type": kind.as_str(), "user": r.author.user } }));
    out.insert("authDetails".into(), json!(auth));
    if let Some(kind) = AuditKind::parse(&r.kind) {
        out.insert(kind.details_key(), Value::Object(r.details.clone()));
    }
    out.insert("requestId".into(), json!(r.origin.request_id));
    out.insert("credential".into(), json!(r.author.credential));
    Value::Object(out)
}

/// Every field Latchkey keeps of a record.
pub fn full_view(r: &AuditRecord, nic: Option<&Nic>) -> Value {
    let mut out = ovh_view(r);
    if let Value::Object(map) = &mut out {
        map.insert("id".into(), json!(r.id));
        map.insert("account".into(), json!(nic.map(Nic::as_str)));
        map.insert("identity".into(), json!(r.author.identity));
        map.insert("userAgent".into(), json!(r.origin.user_agent));
        map.insert("count".into(), json!(r.count));
        map.insert("lastAt".into(), json!(r.last_at));
    }
    out
}

/// What a CADF event says was done, and to what kind of thing, for each type.
fn cadf_action(kind: AuditKind) -> (&'static str, &'static str) {
    use AuditKind::*;
    let target = match kind {
        UserCreated | UserModified | UserDeleted | UserPasswordChanged | AccountPasswordChanged => {
            "data/security/account/user"
        }
        GroupCreated | GroupModified | GroupDeleted | GroupMemberAdded | GroupMemberRemoved => {
            "data/security/group"
        }
        TokenCreated | TokenModified | TokenDeleted | AccessTokenIssued | AccessTokenRevoked
        | KeystoneTokenIssued | KeystoneTokenRevoked => "service/security/account/user/token",
        PolicyCreated | PolicyModified | PolicyDeleted => "data/security/policy",
        ProjectCreated | ProjectModified | ProjectDeleted => "data/security/project",
        DomainModified | AccountCreated | AccountDeleted => "data/security/domain",
        RoleGranted | RoleRevoked => "data/security/role/assignment",
        ServiceAccountCreated | ServiceAccountModified | ServiceAccountDeleted => {
            "data/security/account/service"
        }
        CredentialCreated | CredentialModified | CredentialDeleted => "data/security/credential",
        CatalogModified | KeystoneBootstrapped => "data/security/catalog",
        SigningKeysRotated => "data/security/keys",
        LoginSuccess | LoginFailed | SessionClosed => "service/security/account/user",
        _ => "data/security",
    };
    let action = match kind {
        LoginSuccess | LoginFailed | KeystoneTokenIssued | AccessTokenIssued => "authenticate",
        SessionClosed => "logout",
        AccessDenied => "read",
        k if k.as_str().ends_with("_CREATED") || k == RoleGranted || k == GroupMemberAdded => {
            "created"
        }
        k if k.as_str().ends_with("_DELETED")
            || k.as_str().ends_with("_REVOKED")
            || k == GroupMemberRemoved =>
        {
            "deleted"
        }
        _ => "updated",
    };
    (action, target)
}

/// A record as a CADF event: `typeURI`, `eventType`, `action`, `outcome`, `initiator`, `target`,
/// `observer`, as Keystone's CADF notifications carry them.
pub fn cadf_view(r: &AuditRecord, nic: Option<&Nic>) -> Value {
    let kind = AuditKind::parse(&r.kind);
    let (action, target) = kind.map_or(("updated", "data/security"), cadf_action);
    let failed = matches!(kind, Some(AuditKind::LoginFailed | AuditKind::AccessDenied));
    let target_id = [
        "user",
        "group",
        "tokenName",
        "policyId",
        "project",
        "clientId",
        "id",
    ]
    .iter()
    .find_map(|k| r.details.get(*k).and_then(Value::as_str))
    .unwrap_or_default();
    json!({
        "typeURI": "http://schemas.dmtf.org/cloud/audit/1.0/event",
        "id": format!("latchkey-audit-{}", r.id),
        "eventType": "activity",
        "eventTime": r.at,
        "action": kind.map_or_else(|| action.to_owned(), |k| format!("{action}.{}", k.as_str().to_ascii_lowercase())),
        "outcome": if failed { "failure" } else { "success" },
        "initiator": {
            "typeURI": "service/security/account/user",
            "id": r.author.identity,
            "name": r.author.user,
            "credential": r.author.credential,
            "host": { "address": r.origin.ip.map(|ip| ip.to_string()), "agent": r.origin.user_agent },
        },
        "target": { "typeURI": target, "id": target_id, "domain": nic.map(Nic::as_str) },
        "observer": { "typeURI": "service/security", "id": "latchkey" },
        "requestId": r.origin.request_id,
        "reason": r.details.get("reason"),
        "attachments": [{ "name": "details", "typeURI": "mime:application/json", "content": Value::Object(r.details.clone()) }],
    })
}
