//! The action patterns a policy holds, valid by construction: an action
//! `{resourceType}:{api}:{operation}` where `*` may stand anywhere as a glob
//! (`account:apiovh:me/identity/user/*`, `*:get`, `*`). URN patterns sit with URNs
//! ([`crate::urn::UrnPattern`]).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

/// An action pattern: `*` may stand anywhere and matches any run of characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActionPattern {
    text: Box<str>,
    glob: Glob,
}

/// How an action pattern matches, decided once at parse time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Glob {
    Exact,
    /// One `*`, at the end: the text before it is a prefix.
    Prefix,
    /// One `*`, at the start: the text after it is a suffix.
    Suffix,
    /// Only `*`s.
    Any,
    /// Anything else: pieces between `*`s, in order.
    Pieces(Box<[Box<str>]>),
}

impl ActionPattern {
    pub const MAX_LEN: usize = 256;

    pub fn parse(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(Error::invalid("action must not be empty"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(Error::invalid(format!(
                "action is longer than {} characters",
                Self::MAX_LEN
            )));
        }
        if let Some(bad) = s.chars().find(|c| !is_action_char(*c)) {
            return Err(Error::invalid(format!(
                "action {s:?} contains {bad:?}; actions are made of letters, digits, ':', '/', \
                 '_', '.', '-' and '*'"
            )));
        }
        if !s.contains('*') {
            let parts: Vec<&str> = s.splitn(3, ':').collect();
            // Latchkey's own operator-side actions are `latchkey:{operation}`.
            let own = parts.len() == 2 && parts[0] == "latchkey" && !parts[1].is_empty();
            if !own && (parts.len() < 3 || parts.iter().any(|p| p.is_empty())) {
                return Err(Error::invalid(format!(
                    "action {s:?} is not of the form {{resourceType}}:{{api}}:{{operation}}"
                )));
            }
        }
        let stars = s.matches('*').count();
        let glob = if stars == 0 {
            Glob::Exact
        } else if stars == s.len() {
            Glob::Any
        } else if stars == 1 && s.ends_with('*') {
            Glob::Prefix
        } else if stars == 1 && s.starts_with('*') {
            Glob::Suffix
        } else {
            Glob::Pieces(s.split('*').map(Into::into).collect())
        };
        Ok(Self {
            text: s.into(),
            glob,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern has no `*`.
    pub fn is_exact(&self) -> bool {
        self.glob == Glob::Exact
    }

    /// Whether `action` is one the pattern names.
    pub fn matches(&self, action: &str) -> bool {
        let text = &*self.text;
        match &self.glob {
            Glob::Exact => action == text,
            Glob::Prefix => action.starts_with(&text[..text.len() - 1]),
            Glob::Suffix => action.ends_with(&text[1..]),
            Glob::Any => true,
            Glob::Pieces(pieces) => pieces_match(pieces, action),
        }
    }
}

fn is_action_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '.' | '-' | '*')
}

/// `pieces` are the parts of a glob between its `*`s: the first is anchored at the start, the
/// last at the end, and those between are found in order.
fn pieces_match(pieces: &[Box<str>], text: &str) -> bool {
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
        return true;
    };
    let Some(mut rest) = text.strip_prefix(&**first) else {
        return false;
    };
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(&**piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(&**last)
}

impl fmt::Display for ActionPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for ActionPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ActionPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_globs_match_anywhere() {
        let cases = [
            ("account:apiovh:me/get", "account:apiovh:me/get", true),
            ("account:apiovh:me/get", "account:apiovh:me/gets", false),
            (
                "account:apiovh:me/identity/*",
                "account:apiovh:me/identity/user/get",
                true,
            ),
            (
                "account:apiovh:me/identity/*",
                "account:apiovh:me/get",
                false,
            ),
            ("*:get", "account:apiovh:me/get", false),
            ("*/get", "account:apiovh:me/get", true),
            (
                "account:*:me/*/get",
                "account:apiovh:me/identity/user/get",
                true,
            ),
            (
                "account:*:me/*/get",
                "account:apiovh:me/identity/user/create",
                false,
            ),
            ("*", "anything:at:all", true),
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("**", "x:y:z", true),
        ];
        for (pattern, action, expected) in cases {
            let p = ActionPattern::parse(pattern).unwrap();
            assert_eq!(p.matches(action), expected, "{pattern} vs {action}");
        }
    }

    #[test]
    fn malformed_actions_are_refused() {
        for bad in [
            "",
            "me/get",
            "account::me/get",
            "account:apiovh:me get",
            "account:apiovh:é",
            "vps:reboot",
            "latchkey:",
        ] {
            assert!(ActionPattern::parse(bad).is_err(), "{bad:?}");
        }
        assert!(ActionPattern::parse(&"a:b:".repeat(100)).is_err());
        assert!(ActionPattern::parse("latchkey:iam/resource/manage").is_ok());
    }
}
