//! `latchkey serve --audit-file PATH`: every record this node commits, appended as one JSON line
//! (NDJSON) and flushed after each commit, for a SIEM's file shipper. `--audit-format cadf` writes
//! CADF events instead of Latchkey's records. Each node writes the records it commits; the store
//! holds every node's.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use latchkey_core::audit::{AuditRecord, AuditSink};
use latchkey_core::names::Nic;

use super::views::{cadf_view, full_view};

/// The shape of each line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Latchkey's record, as `GET /v2/audit/log` shows it.
    Json,
    /// A CADF event.
    Cadf,
}

#[derive(Debug)]
pub struct FileSink {
    file: Mutex<BufWriter<File>>,
    format: Format,
}

impl FileSink {
    /// Opens `path` for appending (created `0600` when missing: records name users and addresses).
    pub fn open(path: &Path, format: Format) -> std::io::Result<Self> {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        Ok(Self {
            file: Mutex::new(BufWriter::new(options.open(path)?)),
            format,
        })
    }
}

impl AuditSink for FileSink {
    fn written(&self, records: &[(AuditRecord, Option<Nic>)]) {
        let Ok(mut file) = self.file.lock() else {
            return;
        };
        let mut written = || -> std::io::Result<()> {
            for (record, nic) in records {
                let line = match self.format {
                    Format::Json => full_view(record, nic.as_ref()),
                    Format::Cadf => cadf_view(record, nic.as_ref()),
                };
                serde_json::to_writer(&mut *file, &line)?;
                file.write_all(b"\n")?;
            }
            file.flush()
        };
        if let Err(e) = written() {
            tracing::error!(error = %e, "could not append to the audit file");
        }
    }
}
