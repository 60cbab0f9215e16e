//! The opaque format of long-lived secrets: a prefix that says what it is (`lkpat_`, `lksec_`),
//! 30 base62 characters of randomness (≈178 bits) and 6 base62 characters of CRC32 over
//! everything before them. Making the randomness is the caller's (the server's); checking the
//! format is anyone's, and costs no lookup.

use subtle::ConstantTimeEq;

/// The base62 alphabet.
pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Characters of randomness after the prefix.
pub const RANDOM_LEN: usize = 30;
/// Characters of checksum at the end.
pub const CHECKSUM_LEN: usize = 6;

/// The kinds of opaque token, each with its own prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A personal access token.
    Pat,
    /// An OAuth2 client secret.
    ClientSecret,
    /// The id of a web console session (its cookie's value).
    ConsoleSession,
}

impl Kind {
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Pat => "lkpat_",
            Kind::ClientSecret => "lksec_",
            Kind::ConsoleSession => "lkses_",
        }
    }
}

/// Why a value is not a well-formed token of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// It does not start with the kind's prefix.
    Prefix,
    /// Wrong length, or a character outside base62.
    Shape,
    /// The checksum does not match.
    Checksum,
}

impl Malformed {
    /// What to tell the caller.
    pub fn message(self) -> &'static str {
        match self {
            Malformed::Prefix => "token has an unknown prefix",
            Malformed::Shape => "token is malformed",
            Malformed::Checksum => "token checksum does not match",
        }
    }
}

/// `n` in base62, left-padded with `0` to `width` characters.
fn base62_fixed(mut n: u64, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.into_iter().map(char::from).collect()
}

/// The checksum of everything before it.
pub fn checksum(body: &str) -> String {
    base62_fixed(u64::from(crc32fast::hash(body.as_bytes())), CHECKSUM_LEN)
}

/// A token of `kind` around `random` (which should be [`RANDOM_LEN`] base62 characters from a
/// secure source): prefix, randomness, checksum.
pub fn compose(kind: Kind, random: &str) -> String {
    let mut body = String::with_capacity(kind.prefix().len() + random.len() + CHECKSUM_LEN);
    body.push_str(kind.prefix());
    body.push_str(random);
    let sum = checksum(&body);
    body.push_str(&sum);
    body
}

/// Checks that `value` is a well-formed token of `kind`: prefix, length, alphabet and checksum
/// (compared in constant time).
pub fn check(kind: Kind, value: &str) -> Result<(), Malformed> {
    let rest = value.strip_prefix(kind.prefix()).ok_or(Malformed::Prefix)?;
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Malformed::Shape);
    }
    let (body, sum) = value.split_at(value.len() - CHECKSUM_LEN);
    if checksum(body).as_bytes().ct_eq(sum.as_bytes()).into() {
        Ok(())
    } else {
        Err(Malformed::Checksum)
    }
}

/// Whether `value` looks like a signed token (a JWS: three parts, a JSON header) rather than an
/// opaque one. Only the shape: the signature is the verifier's to check.
pub fn looks_signed(value: &str) -> bool {
    value.starts_with("eyJ") && value.bytes().filter(|b| *b == b'.').count() == 2
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANDOM: &str = "0123456789abcdefghijABCDEFGHIJ";

    #[test]
    fn a_composed_token_checks_and_any_change_is_refused() {
        for kind in [Kind::Pat, Kind::ClientSecret] {
            let value = compose(kind, RANDOM);
            assert!(value.starts_with(kind.prefix()));
            assert_eq!(value.len(), kind.prefix().len() + RANDOM_LEN + CHECKSUM_LEN);
            assert_eq!(check(kind, &value), Ok(()));
            let mut flipped = value.clone().into_bytes();
            flipped[10] = if flipped[10] == b'a' { b'b' } else { b'a' };
            let flipped = String::from_utf8(flipped).unwrap_or_default();
            assert_eq!(check(kind, &flipped), Err(Malformed::Checksum));
        }
    }

    #[test]
    fn prefixes_shapes_and_kinds_are_not_interchangeable() {
        let pat = compose(Kind::Pat, RANDOM);
        assert_eq!(check(Kind::ClientSecret, &pat), Err(Malformed::Prefix));
        assert_eq!(check(Kind::Pat, "lkpat_short"), Err(Malformed::Shape));
        assert_eq!(
            check(Kind::Pat, &pat.replace('0', "-")),
            Err(Malformed::Shape)
        );
        assert_eq!(check(Kind::Pat, &format!("{pat}x")), Err(Malformed::Shape));
    }

    #[test]
    fn the_checksum_is_crc32_in_six_base62_characters() {
        // The CRC32 of the body, written as six base62 digits, most significant first.
        let sum = checksum("lkpat_");
        let n = u64::from(crc32fast::hash(b"lkpat_"));
        let mut expected = String::new();
        let mut m = n;
        for _ in 0..CHECKSUM_LEN {
            expected.insert(0, char::from(BASE62[(m % 62) as usize]));
            m /= 62;
        }
        assert_eq!(sum, expected);
    }

    #[test]
    fn signed_tokens_are_told_from_opaque_ones_by_shape() {
        assert!(looks_signed("eyJhbGciOiJFZERTQSJ9.e30.c2ln"));
        assert!(!looks_signed(&compose(Kind::Pat, RANDOM)));
        assert!(!looks_signed("eyJ.only-one-dot"));
    }
}
