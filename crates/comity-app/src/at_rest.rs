//! Request documents encrypted at rest, and crypto-shredded at the end of their retention
//! (issue 15, item 3).
//!
//! Envelope encryption: each request gets its own 256-bit data key, which seals its
//! document and signature (XChaCha20-Poly1305, bound to the request and the column); the
//! data key is kept only wrapped by a key-encryption key that never enters the database.
//! The wrapping is behind [`KeyWrap`]: [`LocalKeyWrap`] wraps with the data directory's
//! server key (the key that already seals TOTP secrets); an external KMS (a cloud KMS, an
//! HSM through PKCS#11, Vault's transit engine) is another implementation of the same two
//! calls, given to [`Envelope::new`] in its place. A stolen database therefore holds no
//! document in the clear, and once a request's data key is destroyed nothing, the
//! key-encryption key included, opens its documents again.
//!
//! The targets the anti-bulk rule counts (`named_targets`) are kept as an HMAC-SHA256 of
//! each selector under a key derived from the server key: the rule still tells two targets
//! apart, and the database does not hold them.
//!
//! A request's documents are kept until [`crate::Settings::document_retention`] after its last
//! move into a state where nothing more is done with it (closed, withdrawn, rejected); the
//! sweep ([`App::sweep`]) then destroys the data key, in the transaction that records a
//! `documents.shredded` fact with the digest of the sealed rows, and the documents'
//! endpoints answer 410 Gone with the date and the reason.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use comity_auth::seal::ServerKey;
use comity_core::{
    ActorId, AtRest, DocumentCipher, Fact, FactKind, JournalQuery, NewEntry, RequestId, Selector, StoreError,
    journal,
};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;

use crate::{App, Error, Result};

/// How a data key is wrapped by the key-encryption key. Local now; an external KMS is
/// another implementation (the data key is sent to the KMS to wrap and unwrap, and never
/// leaves this process in the clear otherwise).
pub trait KeyWrap: Send + Sync + fmt::Debug {
    /// Wraps `request`'s data key.
    fn wrap(&self, request: RequestId, data_key: &[u8; 32]) -> std::result::Result<Vec<u8>, WrapError>;
    /// Unwraps what [`KeyWrap::wrap`] gave for `request`.
    fn unwrap(&self, request: RequestId, wrapped: &[u8]) -> std::result::Result<[u8; 32], WrapError>;
}

/// Why a data key does not unwrap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("request {request}'s data key does not unwrap: {reason}")]
pub struct WrapError {
    pub request: RequestId,
    pub reason: String,
}

/// The data directory's server key as the key-encryption key.
#[derive(Debug, Clone)]
pub struct LocalKeyWrap {
    kek: ServerKey,
}

impl LocalKeyWrap {
    pub fn new(kek: ServerKey) -> Self {
        LocalKeyWrap { kek }
    }
}

/// What a data key is bound to: a key copied into another request's row does not unwrap.
fn key_aad(request: RequestId) -> Vec<u8> {
    format!("comity-data-key/v1:{request}").into_bytes()
}

impl KeyWrap for LocalKeyWrap {
    fn wrap(&self, request: RequestId, data_key: &[u8; 32]) -> std::result::Result<Vec<u8>, WrapError> {
        Ok(self.kek.seal(data_key, &key_aad(request)))
    }

    fn unwrap(&self, request: RequestId, wrapped: &[u8]) -> std::result::Result<[u8; 32], WrapError> {
        let key = self
            .kek
            .open(wrapped, &key_aad(request))
            .map_err(|e| WrapError { request, reason: e.to_string() })?;
        <[u8; 32]>::try_from(key.as_slice())
            .map_err(|_| WrapError { request, reason: format!("it is {} bytes, not 32", key.len()) })
    }
}

/// Envelope encryption of request documents over a [`KeyWrap`]: what the store is given.
pub struct Envelope {
    wrap: Arc<dyn KeyWrap>,
    /// The HMAC key of the targets the anti-bulk rule counts.
    blinding: [u8; 32],
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope").field("wrap", &self.wrap).finish_non_exhaustive()
    }
}

/// The label the blinding key is derived under, so that it is no other key.
const BLINDING_LABEL: &[u8] = b"comity named-target blinding/v1";

impl Envelope {
    /// Documents wrapped by `wrap`; targets blinded under a key derived from `server_key`.
    pub fn new(wrap: Arc<dyn KeyWrap>, server_key: &ServerKey) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&server_key.to_bytes()).expect("HMAC takes any key");
        mac.update(BLINDING_LABEL);
        Envelope { wrap, blinding: mac.finalize().into_bytes().into() }
    }

    /// Everything under the data directory's server key.
    pub fn local(server_key: &ServerKey) -> Self {
        Envelope::new(Arc::new(LocalKeyWrap::new(server_key.clone())), server_key)
    }

    fn data_key(&self, request: RequestId, wrapped: &[u8]) -> std::result::Result<ServerKey, StoreError> {
        self.wrap
            .unwrap(request, wrapped)
            .map(ServerKey::from_bytes)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

/// What a sealed column is bound to: its request and which column it is.
fn column_aad(request: RequestId, what: &str) -> Vec<u8> {
    format!("comity-document/v1:{request}:{what}").into_bytes()
}

impl DocumentCipher for Envelope {
    fn new_key(&self, request: RequestId) -> std::result::Result<Vec<u8>, StoreError> {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        self.wrap.wrap(request, &key).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    fn seal(
        &self,
        request: RequestId,
        wrapped: &[u8],
        what: &str,
        plaintext: &str,
    ) -> std::result::Result<Vec<u8>, StoreError> {
        Ok(self.data_key(request, wrapped)?.seal(plaintext.as_bytes(), &column_aad(request, what)))
    }

    fn open(
        &self,
        request: RequestId,
        wrapped: &[u8],
        what: &str,
        sealed: &[u8],
    ) -> std::result::Result<String, StoreError> {
        let corrupt = |e: &dyn fmt::Display| {
            StoreError::Corrupt(format!(
                "request {request}'s {what} does not open ({e}): the row was changed"
            ))
        };
        let text = self
            .data_key(request, wrapped)?
            .open(sealed, &column_aad(request, what))
            .map_err(|e| corrupt(&e))?;
        String::from_utf8(text).map_err(|e| corrupt(&e))
    }

    fn blind(&self, selector: &Selector) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.blinding).expect("HMAC takes any key");
        mac.update(selector.kind().as_str().as_bytes());
        mac.update(&[0]);
        mac.update(selector.value().as_bytes());
        let tag = mac.finalize().into_bytes();
        format!("hmac-sha256:{}", tag.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }
}

/// A request's documents, destroyed at the end of their retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shredded {
    pub request: RequestId,
    /// When the key was destroyed.
    pub at: DateTime<Utc>,
    /// When the retention began: the request's last move.
    pub since: DateTime<Utc>,
    pub reason: String,
    /// The fact's audit-log entry.
    pub log_index: Option<u64>,
}

/// The most requests one sweep shreds before reading again.
const SHRED_BATCH: u32 = 200;

impl App {
    /// The cipher request documents are kept with.
    pub(crate) fn cipher(&self) -> &dyn DocumentCipher {
        self.inner.cipher.as_ref()
    }

    /// A target as the anti-bulk rule compares it: its type and its keyed hash, never its
    /// value (the history is kept the same way).
    pub(crate) fn target_key(&self, selector: &Selector) -> String {
        format!("{}:{}", selector.kind(), self.cipher().blind(selector))
    }

    /// Destroys the documents' key of every request whose retention ended at `at`; each
    /// once, with its `documents.shredded` fact recorded at `recorded`.
    pub(crate) async fn shred_documents_due(
        &self,
        at: DateTime<Utc>,
        recorded: DateTime<Utc>,
    ) -> Result<Vec<Shredded>> {
        let retention = self.settings().document_retention;
        let store = self.store();
        let mut done = Vec::new();
        loop {
            let due = store.retention_ended(at - retention, SHRED_BATCH).await?;
            let n = due.len();
            for id in due {
                let Some(request) = store.request(id).await? else { continue };
                let digest = match store.at_rest(id).await? {
                    AtRest::Sealed { digest } => digest,
                    // Kept in the clear (from before), or shredded meanwhile: no key to destroy.
                    AtRest::Clear | AtRest::Shredded { .. } => continue,
                };
                let reason = format!(
                    "the request was {} on {}; its documents are kept {} days after that, and that time has \
                     ended: the key that opened them is destroyed",
                    request.state,
                    request.updated_at.date_naive(),
                    retention.num_days()
                );
                let fact = NewEntry {
                    party: Some(request.provider.clone()),
                    ..NewEntry::new(
                        recorded,
                        ActorId::system(),
                        Fact::DocumentsShredded(journal::DocumentsShredded {
                            request: id,
                            since: request.updated_at,
                            digest,
                            reason: reason.clone(),
                        }),
                    )
                };
                match store.shred_documents(id, &fact).await {
                    Ok(index) => {
                        tracing::info!(request = %id, "documents shredded at the end of their retention");
                        done.push(Shredded {
                            request: id,
                            at: recorded,
                            since: request.updated_at,
                            reason,
                            log_index: Some(index),
                        });
                    }
                    // Another sweep did it first.
                    Err(StoreError::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if (n as u32) < SHRED_BATCH {
                break;
            }
        }
        Ok(done)
    }

    /// Seals the documents of requests kept in the clear from before (migration 0023),
    /// each under a new data key, and the anti-bulk rule's targets; done once, when a
    /// server starts. Returns how many requests were sealed.
    pub async fn seal_in_clear(&self) -> Result<usize> {
        let mut sealed = 0;
        loop {
            let batch = self.store().seal_in_clear(SHRED_BATCH).await?;
            sealed += batch.len();
            if batch.is_empty() {
                break;
            }
        }
        if sealed > 0 {
            tracing::info!(
                requests = sealed,
                "request documents kept in the clear from before are sealed now"
            );
        }
        Ok(sealed)
    }

    /// `Err(Gone)` if the request's documents were shredded: when, and why. The store
    /// reads a shredded document as empty, which no document is.
    pub(crate) async fn check_not_shredded(&self, request: &comity_core::StoredRequest) -> Result<()> {
        if !request.document.is_empty() {
            return Ok(());
        }
        let id = request.id;
        let facts =
            self.store().journal(&JournalQuery::kinds(&[FactKind::DocumentsShredded]).request(id)).await?;
        let (at, reason) = facts
            .iter()
            .find_map(|j| match &j.fact {
                Fact::DocumentsShredded(d) => Some((j.at, d.reason.clone())),
                _ => None,
            })
            .unwrap_or_else(|| (Utc::now().trunc_subsecs(0), "its key is gone".to_owned()));
        Err(Error::Gone {
            code: "documents_shredded",
            message: format!(
                "request {id}'s documents were destroyed on {} at the end of their retention: {reason}. The \
                 request's events and its audit-log entries remain",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            details: Vec::new(),
        })
    }
}
