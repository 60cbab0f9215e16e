//! URN patterns, as policies hold them: an identity or resource URN, exact or with `*` at its
//! start, its end, or both (`urn:v1:eu:identity:user:lk0001-lk/*`, `*/john`, `*`). Valid by
//! construction.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::{Error, Result};

/// Which kind of URN a pattern may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrnKind {
    Identity,
    Resource,
}

impl UrnKind {
    fn segment(self) -> &'static str {
        match self {
            UrnKind::Identity => "identity",
            UrnKind::Resource => "resource",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    Exact,
    /// `literal*`
    Prefix,
    /// `*literal`
    Suffix,
    /// `*literal*`
    Contains,
    /// `*`
    Any,
}

/// A URN in a policy: exact, or with `*` at the start and/or the end.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UrnPattern {
    text: Box<str>,
    shape: Shape,
}

impl UrnPattern {
    pub const MAX_LEN: usize = 512;

    /// A pattern naming identities (`urn:v1:{plate}:identity:…`).
    pub fn identity(s: &str) -> Result<Self> {
        Self::parse(s, UrnKind::Identity)
    }

    /// A pattern naming resources (`urn:v1:{plate}:resource:…`).
    pub fn resource(s: &str) -> Result<Self> {
        Self::parse(s, UrnKind::Resource)
    }

    /// Parses `s` as a pattern of URNs of `kind`.
    pub fn parse(s: &str, kind: UrnKind) -> Result<Self> {
        let what = kind.segment();
        if s.is_empty() {
            return Err(Error::invalid(format!("{what} URN must not be empty")));
        }
        if s.len() > Self::MAX_LEN {
            return Err(Error::invalid(format!(
                "{what} URN is longer than {} characters",
                Self::MAX_LEN
            )));
        }
        if let Some(bad) = s.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(Error::invalid(format!(
                "{what} URN {s:?} contains {bad:?}; URNs are printable ASCII without spaces"
            )));
        }
        let start = usize::from(s.starts_with('*'));
        let end = if s.len() > start && s.ends_with('*') {
            s.len() - 1
        } else {
            s.len()
        };
        let literal = &s[start..end];
        if literal.contains('*') {
            return Err(Error::invalid(format!(
                "{what} URN {s:?} has a '*' in the middle; a '*' may stand only at the start or \
                 the end"
            )));
        }
        if kind == UrnKind::Resource && is_resource_group_urn(s) {
            // A resource group, named exactly: `urn:v1:{plate}:resourceGroup:{uuid}`.
            return Ok(Self {
                text: s.into(),
                shape: Shape::Exact,
            });
        }
        if start == 0 {
            check_urn_prefix(s, literal, end < s.len(), kind)?;
        }
        let shape = match (start == 1, end < s.len()) {
            (false, false) => Shape::Exact,
            (false, true) => Shape::Prefix,
            (true, false) if s.len() == 1 => Shape::Any,
            (true, false) => Shape::Suffix,
            (true, true) => Shape::Contains,
        };
        Ok(Self {
            text: s.into(),
            shape,
        })
    }

    /// The text without its wildcards.
    fn literal(&self) -> &str {
        let t = &*self.text;
        match self.shape {
            Shape::Exact => t,
            Shape::Prefix => &t[..t.len() - 1],
            Shape::Suffix => &t[1..],
            Shape::Contains => &t[1..t.len() - 1],
            Shape::Any => "",
        }
    }

    /// Whether the pattern has no wildcard.
    pub fn is_exact(&self) -> bool {
        self.shape == Shape::Exact
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `urn` is one the pattern names.
    pub fn matches(&self, urn: &str) -> bool {
        let literal = self.literal();
        match self.shape {
            Shape::Exact => urn == literal,
            Shape::Prefix => urn.starts_with(literal),
            Shape::Suffix => urn.ends_with(literal),
            Shape::Contains => urn.contains(literal),
            Shape::Any => true,
        }
    }
}

/// Whether `s` is a resource group's URN: `urn:v1:{plate}:resourceGroup:{uuid}`.
pub fn is_resource_group_urn(s: &str) -> bool {
    s.strip_prefix("urn:v1:")
        .and_then(|rest| rest.split_once(':'))
        .filter(|(plate, _)| !plate.is_empty())
        .and_then(|(_, rest)| rest.strip_prefix("resourceGroup:"))
        .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
}

/// A pattern that does not start with `*` must be a URN of the right kind, or a prefix of one.
fn check_urn_prefix(s: &str, literal: &str, open_end: bool, kind: UrnKind) -> Result<()> {
    let what = kind.segment();
    let expected = || {
        Error::invalid(format!(
            "{s:?} is not a {what} URN: expected urn:v1:{{plate}}:{what}:{{type}}:{{id}}, \
             with '*' allowed at the start or the end"
        ))
    };
    const HEAD: &str = "urn:v1:";
    let Some(rest) = literal.strip_prefix(HEAD) else {
        // `urn:*` and the like: a prefix of the head, only with an open end.
        return if open_end && HEAD.starts_with(literal) {
            Ok(())
        } else {
            Err(expected())
        };
    };
    let parts: Vec<&str> = rest.splitn(4, ':').collect();
    // parts: plate, kind, type, id — each complete part must be non-empty and the kind right.
    for (i, part) in parts.iter().enumerate() {
        let complete = i + 1 < parts.len() || !open_end;
        if complete && part.is_empty() {
            return Err(expected());
        }
        let kind_known = i == 1 && (complete || !kind.segment().starts_with(part));
        if kind_known && *part != kind.segment() {
            return Err(expected());
        }
    }
    if !open_end && parts.len() < 4 {
        return Err(expected());
    }
    Ok(())
}

impl fmt::Display for UrnPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for UrnPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_urns_match_only_themselves() {
        let p = UrnPattern::identity("urn:v1:eu:identity:user:lk0001-lk/john").unwrap();
        assert!(p.is_exact());
        assert!(p.matches("urn:v1:eu:identity:user:lk0001-lk/john"));
        assert!(!p.matches("urn:v1:eu:identity:user:lk0001-lk/johnny"));
        assert!(!p.matches("urn:v1:eu:identity:user:lk0001-lk/joh"));
    }

    #[test]
    fn wildcards_at_either_end_match_prefixes_suffixes_and_everything() {
        let prefix = UrnPattern::identity("urn:v1:eu:identity:user:lk0001-lk/*").unwrap();
        assert!(prefix.matches("urn:v1:eu:identity:user:lk0001-lk/john"));
        assert!(!prefix.matches("urn:v1:eu:identity:user:lk0002-lk/john"));
        let suffix = UrnPattern::identity("*/john").unwrap();
        assert!(suffix.matches("urn:v1:eu:identity:user:lk0001-lk/john"));
        assert!(!suffix.matches("urn:v1:eu:identity:user:lk0001-lk/johnny"));
        let both = UrnPattern::resource("*:account:*").unwrap();
        assert!(both.matches("urn:v1:eu:resource:account:lk0001-lk"));
        assert!(!both.matches("urn:v1:eu:resource:vps:vps-1"));
        let any = UrnPattern::resource("*").unwrap();
        assert!(any.matches("urn:v1:eu:resource:vps:vps-1"));
        assert!(UrnPattern::resource("urn:v1:eu:resource:*").is_ok());
        assert!(UrnPattern::resource("urn:v1:*").is_ok());
        assert!(UrnPattern::resource("urn:*").is_ok());
        assert!(UrnPattern::identity("urn:v1:eu:ident*").is_ok());
    }

    #[test]
    fn malformed_urns_are_refused_with_a_reason() {
        for bad in [
            "",
            "urn:v1:eu:identity:user:a*b",
            "urn:v1:eu:identity:user",
            "urn:v1:eu:identity:user:",
            "urn:v2:eu:identity:user:x/y",
            "john",
            "urn:v1::identity:user:x/y",
            "urn:v1:eu:identity:user:x y",
            "urn:v1:eu:identity:user:x/é",
            "**x",
        ] {
            let err = UrnPattern::identity(bad).unwrap_err();
            assert!(matches!(err, Error::Invalid(_)), "{bad:?}: {err:?}");
        }
        let long = format!("urn:v1:eu:identity:user:x/{}", "a".repeat(600));
        assert!(UrnPattern::identity(&long).is_err());
    }

    #[test]
    fn resource_groups_are_named_exactly() {
        let group = "urn:v1:eu:resourceGroup:9167fb26-382b-11ee-895a-0050568ce122";
        let p = UrnPattern::resource(group).unwrap();
        assert!(p.is_exact() && p.matches(group));
        for bad in [
            "urn:v1:eu:resourceGroup:*",
            "urn:v1:eu:resourceGroup:not-a-uuid",
            "urn:v1::resourceGroup:9167fb26-382b-11ee-895a-0050568ce122",
        ] {
            assert!(UrnPattern::resource(bad).is_err(), "{bad}");
        }
        assert!(UrnPattern::identity(group).is_err());
    }

    #[test]
    fn identities_and_resources_are_not_interchangeable() {
        assert!(UrnPattern::identity("urn:v1:eu:resource:account:lk0001-lk").is_err());
        assert!(UrnPattern::resource("urn:v1:eu:identity:user:lk0001-lk/john").is_err());
        assert!(UrnPattern::resource("urn:v1:eu:identity:*").is_err());
        assert!(UrnPattern::identity("urn:v1:eu:identity:*").is_ok());
    }
}
