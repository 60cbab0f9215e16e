//! The `<type>Details` objects, in OVHcloud's field names (`audit.Log*Details` of `me.json`).
//! They name and describe; they never carry a secret.

use serde_json::{Value, json};

use crate::model::{Group, Pat, User};
use crate::names::Login;
use crate::policy::Policy;

/// `audit.LogUserDetails`.
pub fn user_fields(user: &User) -> Value {
    json!({
        "description": user.description.as_str(),
        "group": user.group.as_str(),
        "passwordRecoveryEmail": user.email.as_str(),
        "userType": user.kind.as_str(),
    })
}

/// `USER_CREATED`.
pub fn user_created(user: &User) -> Value {
    json!({
        "user": user.login.as_str(),
        "userCreatedAt": user.created_at,
        "userType": user.kind.as_str(),
        "new": user_fields(user),
    })
}

/// `USER_MODIFIED`.
pub fn user_modified(old: &User, new: &User) -> Value {
    json!({
        "user": new.login.as_str(),
        "userCreatedAt": new.created_at,
        "old": user_fields(old),
        "new": user_fields(new),
    })
}

/// `USER_DELETED`.
pub fn user_deleted(old: &User) -> Value {
    json!({
        "user": old.login.as_str(),
        "userCreatedAt": old.created_at,
        "userType": old.kind.as_str(),
        "old": user_fields(old),
    })
}

/// `USER_PASSWORD_CHANGED` (and `ACCOUNT_PASSWORD_CHANGED`, for the ROOT user).
pub fn password_changed(user: &User) -> Value {
    json!({
        "user": user.login.as_str(),
        "userCreatedAt": user.created_at,
    })
}

/// `audit.LogGroupDetails`.
pub fn group_fields(group: &Group) -> Value {
    json!({
        "name": group.name.as_str(),
        "role": group.role.as_str(),
        "description": group.description.as_str(),
    })
}

/// `GROUP_CREATED` (`new`), `GROUP_MODIFIED` (`old`, `new`), `GROUP_DELETED` (`old`).
pub fn group_change(old: Option<&Group>, new: Option<&Group>) -> Value {
    let name = new.or(old).map(|g| g.name.as_str()).unwrap_or_default();
    let mut details = json!({ "group": name });
    if let Some(old) = old {
        details["old"] = group_fields(old);
    }
    if let Some(new) = new {
        details["new"] = group_fields(new);
    }
    details
}

/// `audit.LogTokenDetails`.
pub fn token_fields(pat: &Pat) -> Value {
    json!({
        "description": pat.description.as_str(),
        "expiresAt": pat.expires_at,
    })
}

/// `TOKEN_CREATED` (`new`), `TOKEN_MODIFIED` (`old`, `new`), `TOKEN_DELETED` (`old`).
pub fn token_change(user: &Login, old: Option<&Pat>, new: Option<&Pat>) -> Value {
    let pat = new.or(old);
    let mut details = json!({
        "user": user.as_str(),
        "tokenName": pat.map(|p| p.name.as_str()).unwrap_or_default(),
        "tokenCreatedAt": pat.map(|p| p.created_at),
    });
    if let Some(old) = old {
        details["old"] = token_fields(old);
    }
    if let Some(new) = new {
        details["new"] = token_fields(new);
    }
    details
}

/// `audit.LogPolicyDetails`.
fn policy_fields(policy: &Policy) -> Value {
    json!({
        "name": policy.name.as_str(),
        "description": policy.description.as_str(),
    })
}

/// What `names` holds that `of` does not.
fn missing_from(names: &[String], of: &[String]) -> Vec<String> {
    names.iter().filter(|n| !of.contains(n)).cloned().collect()
}

fn identities(policy: Option<&Policy>) -> Vec<String> {
    policy.map_or_else(Vec::new, |p| {
        p.identities.iter().map(|i| i.as_str().to_owned()).collect()
    })
}

fn resources(policy: Option<&Policy>) -> Vec<String> {
    policy.map_or_else(Vec::new, |p| {
        p.resources.iter().map(|r| r.as_str().to_owned()).collect()
    })
}

/// `POLICY_CREATED`, `POLICY_MODIFIED`, `POLICY_DELETED`: the identities and resources `added`
/// and `removed`, the `old` and `new` name and description.
pub fn policy_change(old: Option<&Policy>, new: Option<&Policy>) -> Value {
    let policy = new.or(old);
    let (old_ids, new_ids) = (identities(old), identities(new));
    let (old_res, new_res) = (resources(old), resources(new));
    let mut details = json!({
        "policyId": policy.map(|p| p.id.to_string()),
        "policyName": policy.map(|p| p.name.as_str()),
    });
    if new.is_some() {
        details["added"] = json!({
            "identities": missing_from(&new_ids, &old_ids),
            "resources": missing_from(&new_res, &old_res),
        });
        details["new"] = new.map(policy_fields).unwrap_or_default();
    }
    if old.is_some() {
        details["removed"] = json!({
            "identities": missing_from(&old_ids, &new_ids),
            "resources": missing_from(&old_res, &new_res),
        });
        details["old"] = old.map(policy_fields).unwrap_or_default();
    }
    details
}
