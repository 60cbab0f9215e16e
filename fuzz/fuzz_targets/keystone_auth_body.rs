//! The body of `POST /v3/auth/tokens`, as the route reads it, on any bytes: no panic, and every
//! refusal is the client's (400 for a malformed body, 401 for a method not implemented), never
//! a server error.
#![no_main]

use latchkey_server::keystone::auth_request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Err(e) = auth_request(body) {
        let status = e.status().as_u16();
        assert!(status == 400 || status == 401, "{status}: {e:?}");
    }
});
