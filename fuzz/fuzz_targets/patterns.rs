//! The action patterns and URN patterns of policies, on any pattern and subject (the input's
//! first line and the rest): no panic, and a pattern that parses matches exactly the subjects a
//! plain wildcard match (`*` for any run of characters) says it does.
#![no_main]

use latchkey_core::policy::pattern::ActionPattern;
use latchkey_core::urn::{UrnKind, UrnPattern};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let (pattern, subject) = input.split_once('\n').unwrap_or((input, ""));
    if let Ok(p) = ActionPattern::parse(pattern) {
        assert_eq!(
            p.matches(subject),
            wildcard(pattern.as_bytes(), subject.as_bytes())
        );
    }
    for kind in [UrnKind::Identity, UrnKind::Resource] {
        if let Ok(p) = UrnPattern::parse(pattern, kind) {
            assert_eq!(
                p.matches(subject),
                wildcard(pattern.as_bytes(), subject.as_bytes())
            );
        }
    }
});

/// The reference: whether `text` matches `pattern`, `*` standing for any run of bytes
/// (dynamic programming over both, no shortcuts).
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let mut row = vec![false; text.len() + 1];
    row[0] = true;
    for &p in pattern {
        let mut next = vec![false; text.len() + 1];
        if p == b'*' {
            let mut any = false;
            for j in 0..=text.len() {
                any |= row[j];
                next[j] = any;
            }
        } else {
            for j in 0..text.len() {
                next[j + 1] = row[j] && text[j] == p;
            }
        }
        row = next;
    }
    row[text.len()]
}
