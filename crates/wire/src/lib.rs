//! Latchkey's wire formats, written once for every crate that reads or writes them: the server's
//! model (`latchkey-core`), the SDK (`latchkey-client`) and the guard (`latchkey-guard`).
//!
//! - [`opaque`]: long-lived secrets (`lkpat_…` PATs, `lksec_…` client secrets): prefix, base62
//!   randomness and a CRC32 checksum, so that scanners find them and garbage is refused before
//!   any lookup.
//! - [`claims`]: what a verifier reads from a signed token (OAuth2 access tokens and Keystone
//!   tokens): the audiences, the claim names, and where a Keystone token keeps its project.
//! - [`headers`]: the header names and the Basic-auth user prefix credentials travel in, and
//!   the one parser of an `Authorization` header.
//!
//! Nothing here knows of HTTP libraries, storage or keys: only the shapes on the wire.

pub mod claims;
pub mod headers;
pub mod opaque;
