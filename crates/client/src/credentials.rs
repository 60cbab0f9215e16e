//! What the SDK authenticates with, and where it finds it: arguments, `LATCHKEY_*` environment
//! variables, or the `OS_*` variables an OpenRC file sets.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// A credential. PATs are used as they are; the others are exchanged for short-lived tokens that
/// the token manager renews.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A personal access token (`lkpat_…`), sent as `Authorization: Bearer`.
    Pat(Secret),
    /// A local user's password, `{nic}/{login}`, sent as HTTP Basic on every call (each call
    /// costs the server a password hash: prefer a PAT for anything repeated).
    Password { user: String, password: Secret },
    /// A service account: the OAuth2 client-credentials grant gives a bearer access token.
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    /// Keystone's `password` method: a Keystone token in `X-Auth-Token`.
    KeystonePassword {
        user: KeystoneUser,
        password: Secret,
        scope: KeystoneScope,
    },
    /// Keystone's `application_credential` method (a service account's client id and secret).
    ApplicationCredential {
        id: String,
        secret: Secret,
        scope: KeystoneScope,
    },
}

/// A Keystone user: by id, or by name in a domain (id or name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeystoneUser {
    Id(String),
    Name { name: String, domain: Domain },
}

/// A Keystone domain, by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Domain {
    Id(String),
    Name(String),
}

/// What a Keystone token is scoped to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum KeystoneScope {
    /// No scope (an application credential gets its first project).
    #[default]
    Unscoped,
    ProjectId(String),
    ProjectName {
        name: String,
        domain: Domain,
    },
    Domain(Domain),
    System,
}

/// Where the server is and how to authenticate to it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server's base URL (`http://127.0.0.1:5080`), without `/v3`.
    pub url: String,
    pub credentials: Credentials,
}

impl Settings {
    /// From the process environment; see [`Settings::from_vars`].
    pub fn from_env() -> Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// From variables, first match wins:
    /// - `LATCHKEY_TOKEN`: a PAT;
    /// - `LATCHKEY_CLIENT_ID` and `LATCHKEY_CLIENT_SECRET`: a service account;
    /// - `LATCHKEY_USER` (`{nic}/{login}`) and `LATCHKEY_PASSWORD`: a local user's password;
    /// - `OS_APPLICATION_CREDENTIAL_ID` and `OS_APPLICATION_CREDENTIAL_SECRET`;
    /// - `OS_USERNAME` (or `OS_USER_ID`) and `OS_PASSWORD`, with `OS_USER_DOMAIN_NAME` /
    ///   `OS_USER_DOMAIN_ID` and the scope from `OS_PROJECT_ID`, or `OS_PROJECT_NAME` (or
    ///   `OS_TENANT_NAME`) with `OS_PROJECT_DOMAIN_NAME` / `OS_PROJECT_DOMAIN_ID`.
    ///
    /// The server is `LATCHKEY_URL`, else `OS_AUTH_URL` without its `/v3` suffix.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let url = match var("LATCHKEY_URL") {
            Some(url) => url,
            None => match var("OS_AUTH_URL") {
                Some(auth) => base_of_auth_url(&auth),
                None => {
                    return Err(Error::Config(
                        "no server: set LATCHKEY_URL (or OS_AUTH_URL)".into(),
                    ));
                }
            },
        };
        let credentials = credentials_from_vars(&var)?;
        Ok(Settings {
            url: url.trim_end_matches('/').to_owned(),
            credentials,
        })
    }

    /// From an OpenRC file's text (the `export OS_…=…` lines; nothing is executed), with the
    /// variables of `fallback` (typically the environment, for `OS_PASSWORD`) where the file is
    /// silent.
    pub fn from_openrc(text: &str, fallback: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let file = parse_openrc(text);
        Self::from_vars(|name| {
            if name.starts_with("LATCHKEY_") {
                return None;
            }
            file.get(name).cloned().or_else(|| fallback(name))
        })
    }
}

fn credentials_from_vars(var: &impl Fn(&str) -> Option<String>) -> Result<Credentials> {
    if let Some(pat) = var("LATCHKEY_TOKEN") {
        return Ok(Credentials::Pat(Secret::new(pat)));
    }
    match (var("LATCHKEY_CLIENT_ID"), var("LATCHKEY_CLIENT_SECRET")) {
        (Some(client_id), Some(secret)) => {
            return Ok(Credentials::ClientCredentials {
                client_id,
                client_secret: Secret::new(secret),
            });
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::Config(
                "LATCHKEY_CLIENT_ID and LATCHKEY_CLIENT_SECRET go together".into(),
            ));
        }
        (None, None) => {}
    }
    match (var("LATCHKEY_USER"), var("LATCHKEY_PASSWORD")) {
        (Some(user), Some(password)) => {
            return Ok(Credentials::Password {
                user,
                password: Secret::new(password),
            });
        }
        (Some(_), None) => {
            return Err(Error::Config(
                "LATCHKEY_USER is set but LATCHKEY_PASSWORD is not".into(),
            ));
        }
        _ => {}
    }
    let scope = scope_from_vars(var);
    if let (Some(id), Some(secret)) = (
        var("OS_APPLICATION_CREDENTIAL_ID"),
        var("OS_APPLICATION_CREDENTIAL_SECRET"),
    ) {
        return Ok(Credentials::ApplicationCredential {
            id,
            secret: Secret::new(secret),
            scope,
        });
    }
    let user = match (var("OS_USER_ID"), var("OS_USERNAME")) {
        (Some(id), _) => Some(KeystoneUser::Id(id)),
        (None, Some(name)) => Some(KeystoneUser::Name {
            name,
            domain: domain_from(var, "OS_USER_DOMAIN_ID", "OS_USER_DOMAIN_NAME"),
        }),
        (None, None) => None,
    };
    match (user, var("OS_PASSWORD")) {
        (Some(user), Some(password)) => Ok(Credentials::KeystonePassword {
            user,
            password: Secret::new(password),
            scope,
        }),
        (Some(_), None) => Err(Error::Config(
            "OS_USERNAME is set but OS_PASSWORD is not".into(),
        )),
        (None, _) => Err(Error::Config(
            "no credentials: set LATCHKEY_TOKEN (a PAT), LATCHKEY_CLIENT_ID and \
             LATCHKEY_CLIENT_SECRET (a service account), or the OS_* variables of an OpenRC file"
                .into(),
        )),
    }
}

fn domain_from(var: &impl Fn(&str) -> Option<String>, id: &str, name: &str) -> Domain {
    match (var(id), var(name)) {
        (Some(id), _) => Domain::Id(id),
        (None, Some(name)) => Domain::Name(name),
        (None, None) => Domain::Id("default".into()),
    }
}

fn scope_from_vars(var: &impl Fn(&str) -> Option<String>) -> KeystoneScope {
    if let Some(id) = var("OS_PROJECT_ID").or_else(|| var("OS_TENANT_ID")) {
        return KeystoneScope::ProjectId(id);
    }
    if let Some(name) = var("OS_PROJECT_NAME").or_else(|| var("OS_TENANT_NAME")) {
        return KeystoneScope::ProjectName {
            name,
            domain: domain_from(var, "OS_PROJECT_DOMAIN_ID", "OS_PROJECT_DOMAIN_NAME"),
        };
    }
    if var("OS_SYSTEM_SCOPE").is_some() {
        return KeystoneScope::System;
    }
    match (var("OS_DOMAIN_ID"), var("OS_DOMAIN_NAME")) {
        (Some(id), _) => KeystoneScope::Domain(Domain::Id(id)),
        (None, Some(name)) => KeystoneScope::Domain(Domain::Name(name)),
        (None, None) => KeystoneScope::Unscoped,
    }
}

/// `http://host:5080/v3/` → `http://host:5080`.
pub(crate) fn base_of_auth_url(auth: &str) -> String {
    let trimmed = auth.trim_end_matches('/');
    trimmed
        .strip_suffix("/v3")
        .unwrap_or(trimmed)
        .trim_end_matches('/')
        .to_owned()
}

/// The `export NAME=value` lines of a shell file; values may be bare, `'single'` (with `'\''`
/// escapes) or `"double"` quoted.
pub fn parse_openrc(text: &str) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("export ") else {
            continue;
        };
        let Some((name, raw)) = rest.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        vars.insert(name.to_owned(), unquote(raw.trim()));
    }
    vars
}

fn unquote(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(next) = chars.next() {
                                out.push(next);
                            }
                        }
                        _ => out.push(c),
                    }
                }
            }
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            c if c.is_whitespace() => break,
            '#' if out.is_empty() => break,
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn a_pat_wins_over_a_service_account_and_openrc_variables() {
        let s = Settings::from_vars(vars(&[
            ("LATCHKEY_URL", "http://h:1/"),
            ("LATCHKEY_TOKEN", "lkpat_x"),
            ("LATCHKEY_CLIENT_ID", "c"),
            ("LATCHKEY_CLIENT_SECRET", "s"),
            ("OS_USERNAME", "u"),
            ("OS_PASSWORD", "p"),
        ]))
        .unwrap();
        assert_eq!(s.url, "http://h:1");
        assert!(matches!(s.credentials, Credentials::Pat(ref p) if p.expose() == "lkpat_x"));
    }

    #[test]
    fn a_half_service_account_or_a_user_without_password_is_refused() {
        let half = Settings::from_vars(vars(&[("LATCHKEY_URL", "u"), ("LATCHKEY_CLIENT_ID", "c")]));
        assert!(matches!(half, Err(Error::Config(m)) if m.contains("go together")));
        let no_pw = Settings::from_vars(vars(&[("LATCHKEY_URL", "u"), ("OS_USERNAME", "bob")]));
        assert!(matches!(no_pw, Err(Error::Config(m)) if m.contains("OS_PASSWORD")));
        let nothing = Settings::from_vars(vars(&[("LATCHKEY_URL", "u")]));
        assert!(matches!(nothing, Err(Error::Config(m)) if m.contains("LATCHKEY_TOKEN")));
        let no_url = Settings::from_vars(vars(&[("LATCHKEY_TOKEN", "t")]));
        assert!(matches!(no_url, Err(Error::Config(m)) if m.contains("LATCHKEY_URL")));
    }

    #[test]
    fn an_openrc_file_gives_the_server_user_and_project_scope() {
        let text = "#!/usr/bin/env sh\n\
                    export OS_AUTH_URL='http://10.0.0.1:5080/v3/'\n\
                    export OS_IDENTITY_API_VERSION='3'\n\
                    export OS_USER_DOMAIN_NAME='lk0001-lk'\n\
                    export OS_PROJECT_DOMAIN_NAME='lk0001-lk'\n\
                    export OS_USERNAME='o'\\''brien'\n\
                    export OS_PROJECT_NAME=\"web prod\"\n\
                    if [ -z \"${OS_PASSWORD:-}\" ]; then\n    read -rs OS_PASSWORD\nfi\n";
        let s = Settings::from_openrc(text, vars(&[("OS_PASSWORD", "pw"), ("LATCHKEY_URL", "x")]))
            .unwrap();
        assert_eq!(s.url, "http://10.0.0.1:5080");
        let Credentials::KeystonePassword {
            user,
            password,
            scope,
        } = s.credentials
        else {
            panic!("a password credential")
        };
        assert_eq!(
            user,
            KeystoneUser::Name {
                name: "o'brien".into(),
                domain: Domain::Name("lk0001-lk".into())
            }
        );
        assert_eq!(password.expose(), "pw");
        assert_eq!(
            scope,
            KeystoneScope::ProjectName {
                name: "web prod".into(),
                domain: Domain::Name("lk0001-lk".into())
            }
        );
    }

    #[test]
    fn application_credentials_come_from_their_os_variables() {
        let s = Settings::from_vars(vars(&[
            ("OS_AUTH_URL", "http://h/v3"),
            ("OS_APPLICATION_CREDENTIAL_ID", "id"),
            ("OS_APPLICATION_CREDENTIAL_SECRET", "sec"),
            ("OS_PROJECT_ID", "p1"),
        ]))
        .unwrap();
        assert_eq!(s.url, "http://h");
        assert!(matches!(
            s.credentials,
            Credentials::ApplicationCredential { ref id, ref scope, .. }
                if id == "id" && *scope == KeystoneScope::ProjectId("p1".into())
        ));
    }

    #[test]
    fn a_password_comes_after_tokens_and_service_accounts() {
        let s = Settings::from_vars(vars(&[
            ("LATCHKEY_URL", "http://h"),
            ("LATCHKEY_USER", "lk1-lk/admin"),
            ("LATCHKEY_PASSWORD", "pw"),
        ]))
        .unwrap();
        assert!(matches!(
            s.credentials,
            Credentials::Password { ref user, ref password } if user == "lk1-lk/admin" && password.expose() == "pw"
        ));
        let half = Settings::from_vars(vars(&[("LATCHKEY_URL", "u"), ("LATCHKEY_USER", "a/b")]));
        assert!(matches!(half, Err(Error::Config(m)) if m.contains("LATCHKEY_PASSWORD")));
    }

    #[test]
    fn secrets_never_print() {
        let c = Credentials::ClientCredentials {
            client_id: "c".into(),
            client_secret: Secret::new("lksec_very_secret"),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("very_secret"), "{shown}");
        assert!(shown.contains("***"));
    }
}
