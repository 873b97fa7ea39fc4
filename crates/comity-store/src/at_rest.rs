//! Request documents at rest (issue 15, item 3): what the store writes in place of a
//! document, and how it reads it back.
//!
//! The cipher is the application's ([`DocumentCipher`]): a data key per request, wrapped by
//! a key-encryption key the database never holds. The store keeps the wrapped key in
//! `document_keys` and, in each document's column, `sealed:v1:` and the base64 of what the
//! cipher sealed. The audit log still commits to the document itself (the authority holding
//! it can prove its submission), so a write seals what it stores and commits to what it
//! was given. A column that does not start with `sealed:` was written before migration
//! 0023, or by a store given no cipher, and reads as it is.

use std::sync::{Arc, RwLock};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use comity_core::{DocumentCipher, NewRequest, RequestId, StoreError, StoredDocument, StoredRequest};
use sha2::{Digest, Sha256};

/// What a sealed column starts with.
pub(crate) const SEALED: &str = "sealed:v1:";

/// The columns' names as the cipher binds them (its associated data, with the request).
pub(crate) const DOCUMENT: &str = "document";
pub(crate) const SIGNATURE: &str = "signature";

/// The cipher a store was given, shared by its clones and, for SQLite, its writer.
#[derive(Clone, Default)]
pub(crate) struct Slot(Arc<RwLock<Option<Arc<dyn DocumentCipher>>>>);

impl Slot {
    pub(crate) fn set(&self, cipher: Arc<dyn DocumentCipher>) {
        if let Ok(mut slot) = self.0.write() {
            *slot = Some(cipher);
        }
    }

    pub(crate) fn get(&self) -> Option<Arc<dyn DocumentCipher>> {
        self.0.read().ok().and_then(|slot| slot.clone())
    }
}

/// A document and its signature as the store writes them.
#[derive(Debug, Clone)]
pub(crate) struct Sealed {
    pub document: String,
    pub signature: Option<String>,
}

/// What an intake writes at rest: the new wrapped key (none without a cipher), the
/// document and signature as stored, and the targets as the anti-bulk rule keeps them.
#[derive(Debug, Clone)]
pub(crate) struct SealedIntake {
    pub key: Option<Vec<u8>>,
    pub sealed: Sealed,
    pub targets: Vec<String>,
}

pub(crate) fn seal_intake(
    cipher: Option<&dyn DocumentCipher>,
    r: &NewRequest,
) -> Result<SealedIntake, StoreError> {
    let Some(cipher) = cipher else {
        return Ok(SealedIntake {
            key: None,
            sealed: Sealed { document: r.document.clone(), signature: r.signature.clone() },
            targets: r.targets.iter().map(|t| t.value().to_owned()).collect(),
        });
    };
    let key = cipher.new_key(r.id)?;
    let sealed = seal(Some(cipher), r.id, Some(&key), &r.document, r.signature.as_deref())?;
    Ok(SealedIntake { key: Some(key), sealed, targets: r.targets.iter().map(|t| cipher.blind(t)).collect() })
}

/// A document and its signature sealed under `key`; as they are without a cipher or a key
/// (a request from before migration 0023 keeps its documents as they were).
pub(crate) fn seal(
    cipher: Option<&dyn DocumentCipher>,
    id: RequestId,
    key: Option<&[u8]>,
    document: &str,
    signature: Option<&str>,
) -> Result<Sealed, StoreError> {
    let (Some(cipher), Some(key)) = (cipher, key) else {
        return Ok(Sealed { document: document.to_owned(), signature: signature.map(str::to_owned) });
    };
    let one = |what: &str, text: &str| -> Result<String, StoreError> {
        Ok(format!("{SEALED}{}", STANDARD.encode(cipher.seal(id, key, what, text)?)))
    };
    Ok(Sealed {
        document: one(DOCUMENT, document)?,
        signature: signature.map(|s| one(SIGNATURE, s)).transpose()?,
    })
}

/// A value sealed like a document's column, under the request's data key: as it came
/// where the documents are kept in the clear (or there is no cipher); refused once they
/// were shredded, since nothing could open it again.
pub(crate) fn seal_text(
    cipher: Option<&dyn DocumentCipher>,
    id: RequestId,
    key: Option<&[u8]>,
    kept: &comity_core::AtRest,
    what: &str,
    plaintext: &str,
) -> Result<String, StoreError> {
    match (cipher, key) {
        (Some(cipher), Some(key)) => {
            Ok(format!("{SEALED}{}", STANDARD.encode(cipher.seal(id, key, what, plaintext)?)))
        }
        _ if matches!(kept, comity_core::AtRest::Shredded { .. }) => Err(StoreError::Conflict(format!(
            "request {id}'s documents were shredded: nothing is kept for it in their place"
        ))),
        _ => Ok(plaintext.to_owned()),
    }
}

/// Opens one stored column. `None` when it is sealed and its key is gone: shredded.
pub(crate) fn open_column(
    cipher: Option<&dyn DocumentCipher>,
    id: RequestId,
    key: Option<&[u8]>,
    what: &str,
    stored: String,
) -> Result<Option<String>, StoreError> {
    let Some(body) = stored.strip_prefix(SEALED) else { return Ok(Some(stored)) };
    let Some(key) = key else { return Ok(None) };
    let Some(cipher) = cipher else {
        return Err(StoreError::Corrupt(format!(
            "request {id}'s {what} is sealed, and this store was given no key to open it"
        )));
    };
    let sealed = STANDARD.decode(body).map_err(|e| {
        StoreError::Corrupt(format!(
            "request {id}: its sealed {what} is not base64 ({e}): the row was changed"
        ))
    })?;
    cipher.open(id, key, what, &sealed).map(Some)
}

/// A request as it reads: its document and signature opened, or, once shredded, empty
/// (the application answers 410 Gone for them).
pub(crate) fn open_request(
    cipher: Option<&dyn DocumentCipher>,
    key: Option<&[u8]>,
    mut r: StoredRequest,
) -> Result<StoredRequest, StoreError> {
    let document = std::mem::take(&mut r.document);
    r.document = open_column(cipher, r.id, key, DOCUMENT, document)?.unwrap_or_default();
    r.signature = match r.signature.take() {
        Some(s) => open_column(cipher, r.id, key, SIGNATURE, s)?,
        None => None,
    };
    Ok(r)
}

pub(crate) fn open_document(
    cipher: Option<&dyn DocumentCipher>,
    id: RequestId,
    key: Option<&[u8]>,
    mut d: StoredDocument,
) -> Result<StoredDocument, StoreError> {
    let document = std::mem::take(&mut d.document);
    d.document = open_column(cipher, id, key, DOCUMENT, document)?.unwrap_or_default();
    d.signature = match d.signature.take() {
        Some(s) => open_column(cipher, id, key, SIGNATURE, s)?,
        None => None,
    };
    Ok(d)
}

/// The hex SHA-256 of a request's stored columns, each length-prefixed, in a fixed order:
/// what a shredding records, so that a later change to a row it can no longer open is
/// still found.
pub(crate) fn digest(columns: &[Option<&str>]) -> String {
    let mut h = Sha256::new();
    h.update(b"comity-documents-at-rest/v1\0");
    for c in columns {
        match c {
            Some(c) => {
                h.update([1u8]);
                h.update((c.len() as u64).to_be_bytes());
                h.update(c.as_bytes());
            }
            None => h.update([0u8]),
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A request's documents kept in the clear, and the same sealed under a new key.
#[derive(Debug, Clone)]
pub(crate) struct InClear {
    pub id: RequestId,
    pub at: chrono::DateTime<chrono::Utc>,
    pub key: Vec<u8>,
    /// `requests.document` as read, which the write expects to find still.
    pub was: String,
    pub request: Sealed,
    pub versions: Vec<(u32, Sealed)>,
}
