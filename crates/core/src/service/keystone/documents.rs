//! Keystone resources Latchkey keeps and serves but does not act on: policy blobs (Keystone
//! itself does not enforce them), OAuth1 consumers, and endpoint groups. Each is a JSON object
//! of its kind, stored whole; the operator manages them. A consumer's secret is generated,
//! shown once and kept only as a hash.

use serde_json::{Map, Value};

use crate::authz::OperatorPermit;
use crate::keystone;
use crate::{Error, Result};

use super::super::Directory;
use super::super::journal::DocumentWrite;

/// A kind of Keystone document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Policy,
    Consumer,
    EndpointGroup,
}

impl DocumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Policy => "policy",
            DocumentKind::Consumer => "consumer",
            DocumentKind::EndpointGroup => "endpoint_group",
        }
    }
}

/// The stored field holding a consumer's secret hash; never shown.
const SECRET_HASH: &str = "secret_hash";

fn parse(text: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::internal(
            "a stored Keystone document is not an object",
        )),
        Err(e) => Err(Error::internal(e)),
    }
}

fn shown(mut doc: Map<String, Value>) -> Map<String, Value> {
    doc.remove(SECRET_HASH);
    doc
}

fn not_found(kind: DocumentKind, id: &str) -> Error {
    Error::not_found(format!("Could not find {}: {id}.", kind.as_str()))
}

impl Directory {
    /// Stores a new document with a new id. A consumer gets a secret, returned this once.
    pub async fn create_document(
        &self,
        operator: &OperatorPermit,
        kind: DocumentKind,
        mut fields: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        let id = keystone::new_id();
        fields.insert("id".to_owned(), Value::String(id.clone()));
        let mut secret = None;
        if kind == DocumentKind::Consumer {
            let value = crate::secret::random_base62(32);
            let hash = self.config.hash_key.hash(&value);
            fields.insert(SECRET_HASH.to_owned(), Value::String(hash.to_hex()));
            secret = Some(value);
        }
        let text = Value::Object(fields.clone()).to_string();
        let write = DocumentWrite::Create(&text);
        self.write_document(operator, None, (kind.as_str(), &id), write, Value::Null)
            .await?;
        let mut out = shown(fields);
        if let Some(secret) = secret {
            out.insert("secret".to_owned(), Value::String(secret));
        }
        Ok(out)
    }

    pub async fn document(&self, kind: DocumentKind, id: &str) -> Result<Map<String, Value>> {
        let text = self
            .store
            .document(kind.as_str(), id)
            .await?
            .ok_or_else(|| not_found(kind, id))?;
        Ok(shown(parse(&text)?))
    }

    pub async fn documents(&self, kind: DocumentKind) -> Result<Vec<Map<String, Value>>> {
        self.store
            .documents(kind.as_str())
            .await?
            .iter()
            .map(|t| parse(t).map(shown))
            .collect()
    }

    /// Sets the given fields (never the id nor a secret).
    pub async fn update_document(
        &self,
        operator: &OperatorPermit,
        kind: DocumentKind,
        id: &str,
        changes: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        let text = self
            .store
            .document(kind.as_str(), id)
            .await?
            .ok_or_else(|| not_found(kind, id))?;
        let mut doc = parse(&text)?;
        for (key, value) in changes {
            if key != "id" && key != SECRET_HASH && key != "secret" {
                doc.insert(key, value);
            }
        }
        let text = Value::Object(doc.clone()).to_string();
        let write = DocumentWrite::Replace(&text);
        self.write_document(operator, None, (kind.as_str(), id), write, Value::Null)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => not_found(kind, id),
                e => e,
            })?;
        Ok(shown(doc))
    }

    pub async fn delete_document(
        &self,
        operator: &OperatorPermit,
        kind: DocumentKind,
        id: &str,
    ) -> Result<()> {
        let write = DocumentWrite::Delete;
        self.write_document(operator, None, (kind.as_str(), id), write, Value::Null)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => not_found(kind, id),
                e => e,
            })
    }
}
