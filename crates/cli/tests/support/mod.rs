//! What the binary's test files share: the binary itself with the caller's LATCHKEY_* and OS_*
//! variables removed, and a free loopback port.

// Each test file uses what it needs of this module.
#![allow(dead_code)]

use std::process::Command;

/// `latchkey`, with only the variables the test gives it.
pub fn latchkey() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    for (key, _) in std::env::vars() {
        if key.starts_with("LATCHKEY_") || key.starts_with("OS_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// A loopback port free at the time of the call.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
