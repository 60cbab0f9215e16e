//! Keystone ids of the resources the store keys by number (local users, groups): the key as
//! 32 lowercase hex digits, the shape of Keystone's own ids. The store gives new users and
//! groups random 63-bit keys, so their ids cannot be guessed or counted; rows made before keep
//! their sequential keys and ids. Other Keystone ids (projects, roles, the catalog) are random
//! and kept as given.

use std::fmt;

use crate::model::{GroupId, UserId};

/// The store key a 32-lowercase-hex-digit id spells.
fn parse_hex(id: &str) -> Option<i64> {
    if id.len() != 32
        || !id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return None;
    }
    i64::from_str_radix(id, 16).ok()
}

macro_rules! hex_ids {
    ($($(#[$doc:meta])* $name:ident($key:ident);)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $key);

        impl $name {
            /// The id `id` spells, when it is one (32 lowercase hex digits).
            pub fn parse(id: &str) -> Option<Self> {
                parse_hex(id).map(|key| Self($key(key)))
            }

            /// Whether `id` is this id.
            pub fn is(&self, id: &str) -> bool {
                Self::parse(id) == Some(*self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:032x}", self.0.0)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}

hex_ids! {
    /// The Keystone id of a local user.
    KsUserId(UserId);
    /// The Keystone id of a group.
    KsGroupId(GroupId);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_lowercase_hex_digits_of_the_key() {
        let id = KsUserId(UserId(255));
        assert_eq!(id.to_string(), format!("{}ff", "0".repeat(30)));
        assert_eq!(KsUserId::parse(&id.to_string()), Some(id));
        assert!(id.is(&id.to_string()));
        assert_eq!(
            serde_json::to_value(KsGroupId(GroupId(16))).unwrap(),
            serde_json::json!(format!("{}10", "0".repeat(30)))
        );
        for bad in [
            "ff",
            &format!("{}FF", "0".repeat(30)),
            &format!("{}zz", "0".repeat(30)),
            &"0".repeat(33),
            "lk0001-lk",
        ] {
            assert_eq!(KsUserId::parse(bad), None, "{bad}");
        }
    }
}
