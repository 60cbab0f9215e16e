//! Keystone ids of the resources the store keys by number (local users, groups), 32 lowercase
//! hex digits as Keystone's own ids are. The store gives new users and groups random keys of at
//! least 2^32 ([`FIRST_RANDOM_KEY`]), spelled as a mix of the key (16 digits) then the key (16
//! digits), so the ids look as random as they are and cannot be guessed or counted. Keys below
//! were counted by stores made before; their ids keep their old spelling, the key in 32 digits.
//! Each key has one spelling: any other is not an id. Other Keystone ids (projects, roles, the
//! catalog) are random and kept as given.

use std::fmt;

use crate::model::{GroupId, UserId};

/// The smallest random key; every key below was counted.
pub const FIRST_RANDOM_KEY: i64 = 1 << 32;

/// The first half of a random key's id: a fixed mix of the key (SplitMix64's finaliser).
fn mix(key: u64) -> u64 {
    let mut z = key;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The first 16 digits of the id of `key`: zeros for a counted key, its mix for a random one.
fn upper_half(key: i64) -> u64 {
    if key < FIRST_RANDOM_KEY {
        0
    } else {
        mix(key as u64)
    }
}

/// The id of the store key `key`.
fn spell(key: i64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{:016x}{:016x}", upper_half(key), key as u64)
}

/// The store key a 32-lowercase-hex-digit id spells, when it is the key's one spelling.
fn parse_hex(id: &str) -> Option<i64> {
    if id.len() != 32
        || !id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return None;
    }
    let upper = u64::from_str_radix(&id[..16], 16).ok()?;
    let key = i64::from_str_radix(&id[16..], 16).ok()?;
    (key > 0 && upper == upper_half(key)).then_some(key)
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
                spell(self.0.0, f)
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

    #[test]
    fn a_random_key_is_spelled_with_its_mix_first_and_only_so() {
        let id = KsUserId(UserId(0x1234_5678_9abc_def0));
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(&text[16..], "123456789abcdef0");
        assert_ne!(&text[..16], "0000000000000000");
        assert_eq!(KsUserId::parse(&text), Some(id));
        // The same key spelled another way is not an id: zeros first, or another mix.
        assert_eq!(
            KsUserId::parse(&format!("{:032x}", 0x1234_5678_9abc_def0_u64)),
            None
        );
        let mut other = text.clone().into_bytes();
        other[0] = if other[0] == b'0' { b'1' } else { b'0' };
        assert_eq!(KsUserId::parse(std::str::from_utf8(&other).unwrap()), None);
        // The smallest random key, and the largest counted one.
        let first = KsGroupId(GroupId(FIRST_RANDOM_KEY));
        assert_ne!(&first.to_string()[..16], "0000000000000000");
        assert_eq!(KsGroupId::parse(&first.to_string()), Some(first));
        let last = KsGroupId(GroupId(FIRST_RANDOM_KEY - 1));
        assert_eq!(last.to_string(), format!("{:032x}", FIRST_RANDOM_KEY - 1));
        assert_eq!(KsGroupId::parse(&last.to_string()), Some(last));
    }
}
