//! The opaque token format (`lkpat_`, `lksec_`) and the signed-token shape test, on any string:
//! no panic; a value that checks is exactly the composition of its own randomness (prefix,
//! 30 base62 characters, their checksum), and any 30 base62 characters compose into a value
//! that checks.
#![no_main]

use latchkey_wire::opaque::{self, CHECKSUM_LEN, Kind, RANDOM_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &str| {
    let _ = opaque::looks_signed(value);
    for kind in [Kind::Pat, Kind::ClientSecret] {
        if opaque::check(kind, value).is_ok() {
            let random = &value[kind.prefix().len()..value.len() - CHECKSUM_LEN];
            assert_eq!(opaque::compose(kind, random), value);
        }
        if value.len() >= RANDOM_LEN && value.is_char_boundary(RANDOM_LEN) {
            let random = &value[..RANDOM_LEN];
            if random.bytes().all(|b| b.is_ascii_alphanumeric()) {
                let composed = opaque::compose(kind, random);
                assert_eq!(opaque::check(kind, &composed), Ok(()), "{composed}");
            }
        }
    }
});
