//! What handlers share: the directory (which owns the store) and the plate used in URNs.

use std::sync::Arc;

use axum::extract::FromRef;
use latchkey_core::names::Plate;
use latchkey_core::service::Directory;

#[derive(Debug, Clone, FromRef)]
pub struct AppState {
    pub directory: Arc<Directory>,
    pub plate: Plate,
}
