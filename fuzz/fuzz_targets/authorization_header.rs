//! The one parser of the `Authorization` header, on any string: no panic; a Bearer value is the
//! trimmed rest of the header; a Basic user never holds the colon that ends it, and user and
//! password, joined again, are what the base64 spelled.
#![no_main]

use latchkey_wire::headers::{Authorization, authorization};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|header: &str| {
    match authorization(header) {
        Ok(Authorization::Bearer(token)) => {
            assert!(header.contains(token));
            assert_eq!(token, token.trim());
        }
        Ok(Authorization::Basic { user, password }) => {
            assert!(!user.contains(':'));
            let again = basic(&user, &password);
            assert_eq!(
                authorization(&again),
                Ok(Authorization::Basic { user, password })
            );
        }
        Ok(Authorization::Other) | Err(_) => {}
    }
});

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}
