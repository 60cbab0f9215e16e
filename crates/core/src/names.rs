//! Validated names. A value of these types can only exist valid: the constructor is the one place
//! that checks, so the rest of the code never re-validates.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// Checks the shared shape of identifiers: 1..=max ASCII letters, digits, `.`, `_`, `-`,
/// starting with a letter or digit.
fn check_identifier(what: &str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() {
        return Err(Error::invalid(format!("{what} must not be empty")));
    }
    if s.chars().count() > max {
        return Err(Error::invalid(format!(
            "{what} is longer than {max} characters"
        )));
    }
    if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid(format!(
            "{what} must start with a letter or a digit"
        )));
    }
    if let Some(bad) = s.chars().find(|c| !is_name_char(*c)) {
        return Err(Error::invalid(format!(
            "{what} contains {bad:?}; only letters, digits, '.', '_' and '-' are allowed"
        )));
    }
    Ok(())
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(s: &str) -> Result<Self> {
                check_identifier($what, s, $max)?;
                Ok(Self(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

identifier!(
    /// A local user's login, unique within its account.
    Login, "login", 255
);
identifier!(
    /// A group's name, unique within its account.
    GroupName, "group name", 255
);
identifier!(
    /// A personal access token's name, unique per user.
    TokenName, "token name", 128
);
identifier!(
    /// An IAM policy's name, unique within its account.
    PolicyName, "policy name", 128
);

/// An account's identifier (its "nic handle"), e.g. `lk0001-lk`: lowercase letters, digits, then
/// `-` and a lowercase suffix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nic(String);

impl Nic {
    pub fn parse(s: &str) -> Result<Self> {
        let err = || {
            Error::invalid(format!(
                "account {s:?} is not a valid nic: expected letters and digits, '-', then a \
                 suffix of 2 to 8 letters (for example lk0001-lk)"
            ))
        };
        let s = s.to_ascii_lowercase();
        let (head, suffix) = s.split_once('-').ok_or_else(err)?;
        let letters = head.chars().take_while(|c| c.is_ascii_lowercase()).count();
        let digits = &head[letters..];
        let ok = (2..=4).contains(&letters)
            && (1..=10).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && (2..=8).contains(&suffix.len())
            && suffix.chars().all(|c| c.is_ascii_lowercase());
        if ok { Ok(Self(s)) } else { Err(err()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The nic generated for the `number`th account: `lk0001-lk`, …, `lk12345-lk`.
pub fn generated_nic(number: u64) -> Result<Nic> {
    Nic::parse(&format!("lk{number:04}-lk"))
}

/// The number of a generated nic (`lk0042-lk` → 42); `None` for any other nic.
pub fn generated_nic_number(nic: &str) -> Option<u64> {
    let digits = nic.strip_prefix("lk")?.strip_suffix("-lk")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl fmt::Display for Nic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Nic {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// An OAuth2 client's identifier: 16 lowercase hexadecimal characters, as the OVHcloud API
/// shows them (`0f0f0f0f0f0f0f0f`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(String);

impl ClientId {
    pub const LEN: usize = 16;

    pub fn parse(s: &str) -> Result<Self> {
        if s.len() == Self::LEN
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(Error::invalid(format!(
                "client id {s:?} must be 16 lowercase hexadecimal characters"
            )))
        }
    }

    /// A fresh random client id.
    pub fn generate() -> Self {
        Self(format!("{:016x}", rand::random::<u64>()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ClientId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A display name for people: 1 to 128 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_LEN: usize = 128;

    pub fn parse(s: &str) -> Result<Self> {
        if s.trim().is_empty() {
            return Err(Error::invalid("name must not be empty"));
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(Error::invalid(format!(
                "name is longer than {} characters",
                Self::MAX_LEN
            )));
        }
        if s.chars().any(char::is_control) {
            return Err(Error::invalid("name contains control characters"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for DisplayName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DisplayName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An OAuth2 redirection URI: `https://…`, or `http://` for a loopback host, at most 2,048
/// characters, no fragment (RFC 6749 §3.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl(String);

impl CallbackUrl {
    pub fn parse(s: &str) -> Result<Self> {
        let err = |why: &str| Err(Error::invalid(format!("callback URL {s:?} {why}")));
        if s.len() > 2048 {
            return err("is longer than 2048 characters");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return err("contains spaces or control characters");
        }
        if s.contains('#') {
            return err("must not have a fragment");
        }
        let host = if let Some(rest) = s.strip_prefix("https://") {
            rest
        } else if let Some(rest) = s.strip_prefix("http://") {
            let host = rest.split(['/', '?']).next().unwrap_or_default();
            let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
            if !matches!(name, "localhost" | "127.0.0.1" | "[::1]") {
                return err("must use https (http is allowed for loopback hosts only)");
            }
            rest
        } else {
            return err("must start with https://");
        };
        if host.split(['/', '?']).next().unwrap_or_default().is_empty() {
            return err("has no host");
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for CallbackUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CallbackUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A region "plate" (`eu`, `ca`, `us`, …): 2 to 8 lowercase letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Plate(String);

impl Plate {
    pub fn parse(s: &str) -> Result<Self> {
        if (2..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_lowercase()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(Error::invalid(format!(
                "plate {s:?} must be 2 to 8 lowercase letters"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address: one `@` with text on both sides, no whitespace, at most 254 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self> {
        let valid = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(s.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(Error::invalid(format!(
                "email {s:?} is not a valid address"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Free text shown to people: at most 1,024 characters, no control characters but newlines and tabs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    pub const MAX_LEN: usize = 1024;

    pub fn parse(s: &str) -> Result<Self> {
        if s.chars().count() > Self::MAX_LEN {
            return Err(Error::invalid(format!(
                "description is longer than {} characters",
                Self::MAX_LEN
            )));
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(Error::invalid("description contains control characters"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for Description {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Description {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod generated_nic_tests {
    use super::*;

    #[test]
    fn generated_nics_read_back_their_number_and_no_other_nic_does() {
        for n in [1, 42, 9999, 10_000, 1_234_567] {
            let nic = generated_nic(n).unwrap();
            assert_eq!(generated_nic_number(nic.as_str()), Some(n), "{nic}");
        }
        assert_eq!(generated_nic(7).unwrap().as_str(), "lk0007-lk");
        for other in ["lk-lk", "lkx12-lk", "ab0001-lk", "lk0001-ovh", "lk12a-lk"] {
            assert_eq!(generated_nic_number(other), None, "{other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_accepts_letters_digits_and_separators() {
        assert_eq!(
            Login::parse("john.smith-2_x").unwrap().as_str(),
            "john.smith-2_x"
        );
    }

    #[test]
    fn login_refuses_empty_long_and_odd_characters() {
        assert!(Login::parse("").is_err());
        assert!(Login::parse(&"a".repeat(255)).is_ok());
        assert!(Login::parse(&"a".repeat(256)).is_err());
        assert!(Login::parse("-john").is_err());
        assert!(Login::parse("jo hn").is_err());
        assert!(Login::parse("jo/hn").is_err());
        assert!(Login::parse("jöhn").is_err());
    }

    #[test]
    fn token_name_allows_128_characters_and_no_more() {
        assert!(TokenName::parse(&"a".repeat(128)).is_ok());
        assert!(TokenName::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn nic_is_normalised_to_lowercase_and_checked() {
        assert_eq!(Nic::parse("LK0001-LK").unwrap().as_str(), "lk0001-lk");
        assert!(Nic::parse("xx11111-ovh").is_ok());
        for bad in [
            "",
            "lk0001",
            "lk-lk",
            "0001-lk",
            "lk0001-",
            "lk0001-l",
            "lk00a1-lk",
            "lk0001-lk-x",
        ] {
            assert!(Nic::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn email_needs_one_at_sign_with_both_sides() {
        assert!(Email::parse("a@b.c").is_ok());
        for bad in ["", "a", "@b", "a@", "a@b@c", "a b@c"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn client_id_is_sixteen_lowercase_hex() {
        let id = ClientId::generate();
        assert_eq!(ClientId::parse(id.as_str()).unwrap(), id);
        for bad in [
            "",
            "0f0f",
            "0F0F0F0F0F0F0F0F",
            "0f0f0f0f0f0f0f0g",
            "0f0f0f0f0f0f0f0f0",
        ] {
            assert!(ClientId::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn display_name_needs_text_and_no_control_characters() {
        assert!(DisplayName::parse("CI deployer").is_ok());
        assert!(DisplayName::parse("  ").is_err());
        assert!(DisplayName::parse("tab\there").is_err());
        assert!(DisplayName::parse(&"n".repeat(129)).is_err());
    }

    #[test]
    fn callback_url_requires_https_except_on_loopback() {
        for ok in [
            "https://app.example.com/cb",
            "http://localhost:8080/cb",
            "http://127.0.0.1/cb?x=1",
        ] {
            assert!(CallbackUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://app.example.com/cb",
            "ftp://x",
            "https://",
            "https://a/b#frag",
            "https://a b",
        ] {
            assert!(CallbackUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn description_refuses_control_characters_and_excess_length() {
        assert!(Description::parse("two\nlines\tok").is_ok());
        assert!(Description::parse("bell\u{7}").is_err());
        assert!(Description::parse(&"x".repeat(1025)).is_err());
    }
}
