//! Keystone credentials (`/v3/credentials`, and the EC2 credentials of `OS-EC2`, which are
//! credentials of type `ec2`): a blob a user keeps for another service, served back whole. The
//! blob holds secrets (an EC2 secret key signs requests, so it must be readable again), so it is
//! stored encrypted with AES-256-GCM under a key derived from the installation's hash key,
//! never in clear. Credentials are kept as Keystone documents of kind `credential`.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::keystone;
use crate::model::UserId;
use crate::{Error, Result};

use super::super::Directory;
use super::super::journal::DocumentWrite;
use super::ks_token::KsToken;

const KIND: &str = "credential";

/// A credential, its blob in clear.
#[derive(Debug, Clone)]
pub struct Credential {
    pub id: String,
    pub user_id: UserId,
    pub project_id: Option<String>,
    pub kind: String,
    pub blob: String,
}

/// A credential as stored: the blob sealed.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    id: String,
    user_id: i64,
    project_id: Option<String>,
    kind: String,
    /// Base64 of nonce ‖ ciphertext ‖ tag.
    sealed: String,
}

fn not_found(id: &str) -> Error {
    Error::not_found(format!("Could not find credential: {id}."))
}

/// The id Keystone gives an EC2 credential: the SHA-256 of its access key, in hex.
pub fn ec2_id(access: &str) -> String {
    Sha256::digest(access.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Directory {
    /// The AEAD key for credential blobs: HMAC of a fixed label under the hash key.
    fn credential_key(&self) -> Result<LessSafeKey> {
        let derived = self.config.hash_key.hash("latchkey credential blob key v1");
        let key = UnboundKey::new(&AES_256_GCM, &derived.0)
            .map_err(|_| Error::internal("the credential key is unusable"))?;
        Ok(LessSafeKey::new(key))
    }

    pub(super) fn seal(&self, id: &str, blob: &str) -> Result<String> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut data = blob.as_bytes().to_vec();
        self.credential_key()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(id.as_bytes()),
                &mut data,
            )
            .map_err(|_| Error::internal("could not seal a credential"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend(data);
        Ok(STANDARD.encode(out))
    }

    fn open(&self, id: &str, sealed: &str) -> Result<String> {
        let bytes = STANDARD.decode(sealed).map_err(Error::internal)?;
        if bytes.len() < NONCE_LEN {
            return Err(Error::internal("a stored credential is truncated"));
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| Error::internal("a stored credential nonce is invalid"))?;
        let mut data = rest.to_vec();
        let clear = self
            .credential_key()?
            .open_in_place(nonce, Aad::from(id.as_bytes()), &mut data)
            .map_err(|_| Error::internal("a stored credential does not open with this key"))?;
        String::from_utf8(clear.to_vec()).map_err(Error::internal)
    }

    fn credential_of(&self, text: &str) -> Result<Credential> {
        let stored: Stored = serde_json::from_str(text).map_err(Error::internal)?;
        let blob = self.open(&stored.id, &stored.sealed)?;
        Ok(Credential {
            id: stored.id,
            user_id: UserId(stored.user_id),
            project_id: stored.project_id,
            kind: stored.kind,
            blob,
        })
    }

    fn stored_text(&self, c: &Credential) -> Result<String> {
        let stored = Stored {
            id: c.id.clone(),
            user_id: c.user_id.0,
            project_id: c.project_id.clone(),
            kind: c.kind.clone(),
            sealed: self.seal(&c.id, &c.blob)?,
        };
        serde_json::to_string(&stored).map_err(Error::internal)
    }

    /// Stores a credential of a user (whose right the caller checked). An `ec2` credential's blob
    /// is a JSON object with an `access` key and needs a project; its id is derived from the key.
    pub async fn create_credential(
        &self,
        by: &KsToken,
        user_id: UserId,
        project_id: Option<String>,
        kind: String,
        blob: String,
    ) -> Result<Credential> {
        if kind.is_empty() || kind.len() > 255 {
            return Err(Error::invalid("'type' has 1 to 255 characters"));
        }
        let id = if kind == "ec2" {
            let access = serde_json::from_str::<serde_json::Value>(&blob)
                .ok()
                .and_then(|v| v.get("access").and_then(|a| a.as_str()).map(str::to_owned))
                .ok_or_else(|| Error::invalid("an ec2 credential's blob is {\"access\", …}"))?;
            if project_id.is_none() {
                return Err(Error::invalid("an ec2 credential needs a project_id"));
            }
            ec2_id(&access)
        } else {
            keystone::new_id()
        };
        let credential = Credential {
            id,
            user_id,
            project_id,
            kind,
            blob,
        };
        let text = self.stored_text(&credential)?;
        let write = DocumentWrite::Create(&text);
        self.write_credential(by, &credential, write).await?;
        Ok(credential)
    }

    /// Writes a credential with its record (`CREDENTIAL_*`: its id, type, owner and project).
    async fn write_credential(
        &self,
        by: &KsToken,
        credential: &Credential,
        write: DocumentWrite<'_>,
    ) -> Result<()> {
        let account = self
            .cached_user(credential.user_id)
            .await?
            .map(|u| u.account_id);
        let extra = serde_json::json!({
            "credential": "credential",
            "type": credential.kind,
            "userId": keystone::KsUserId(credential.user_id).to_string(),
            "projectId": credential.project_id,
        });
        self.write_document(by, account, (KIND, &credential.id), write, extra)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => not_found(&credential.id),
                e => e,
            })
    }

    pub async fn credential(&self, id: &str) -> Result<Credential> {
        let text = self
            .store
            .document(KIND, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        self.credential_of(&text)
    }

    /// Every credential, in clear; the caller filters what the requester may see.
    pub async fn credentials(&self) -> Result<Vec<Credential>> {
        self.store
            .documents(KIND)
            .await?
            .iter()
            .map(|t| self.credential_of(t))
            .collect()
    }

    /// Replaces a credential's blob, project or type (its id and owner stay).
    pub async fn update_credential(
        &self,
        by: &KsToken,
        credential: Credential,
    ) -> Result<Credential> {
        let text = self.stored_text(&credential)?;
        self.write_credential(by, &credential, DocumentWrite::Replace(&text))
            .await?;
        Ok(credential)
    }

    pub async fn delete_credential(&self, by: &KsToken, id: &str) -> Result<()> {
        let credential = self.credential(id).await?;
        self.write_credential(by, &credential, DocumentWrite::Delete)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_ids_are_the_sha256_of_the_access_key() {
        assert_eq!(
            ec2_id("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
