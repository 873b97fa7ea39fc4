//! The log's side of the protocol: hand a checkpoint to a witness, get its cosignature.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use comity_log::{Hash, HashMapReader, HashReader, MemoryTree, TreeError, WitnessError, Witnessed};

/// How long a witness has to answer, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The error a [`HashSource`] reports: the client only passes it on.
pub type SourceError = Box<dyn std::error::Error + Send + Sync>;

/// Where a [`WitnessClient`] reads the log's stored hashes to prove a new checkpoint
/// consistent with the one a witness cosigned (RFC 9162 §2.1.4).
///
/// The client works out which hashes the proof needs (`comity_log::hashes_needed`) and
/// asks for exactly those, so a store answers with one query. `comity_log::MemoryTree` and
/// `comity_log::HashMapReader` are sources; a server implements it over its store.
pub trait HashSource: Sync {
    /// The stored hashes at `indexes` (c2sp.org/tlog-tiles stored-hash indexes), in the
    /// same order.
    fn read_hashes(&self, indexes: &[u64]) -> impl Future<Output = Result<Vec<Hash>, SourceError>> + Send;
}

fn read_now<R: HashReader>(reader: &R, indexes: &[u64]) -> Result<Vec<Hash>, SourceError> {
    Ok(reader.read_hashes(indexes)?)
}

impl HashSource for MemoryTree {
    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, SourceError> {
        read_now(self, indexes)
    }
}

impl HashSource for HashMapReader {
    async fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, SourceError> {
        read_now(self, indexes)
    }
}

/// A witness given as `URL=VKEY` that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error(
        "a witness is URL=VKEY, such as https://witness.example.org=witness.example.org+1234abcd+AQ..., not {0:?}"
    )]
    Syntax(String),
    #[error("the witness URL {0:?} must start with http:// or https://")]
    Url(String),
    #[error("{0:?} is not a witness verifier key (name+hash+base64); `comity witness key` prints it")]
    Key(String),
}

/// Why a witness did not cosign.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The checkpoint handed to the client is not a signed checkpoint note.
    #[error("the checkpoint is not a signed checkpoint: {0}")]
    Checkpoint(WitnessError),
    /// The [`HashSource`] failed, or answered with the wrong number of hashes.
    #[error("reading the log's hashes for a consistency proof: {0}")]
    Hashes(SourceError),
    /// The consistency proof could not be built from the hashes read.
    #[error("proving {old} entries consistent with {size}: {error}")]
    Proof { old: u64, size: u64, error: TreeError },
    /// The request did not get an answer (connection, timeout).
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    /// 409 with `text/x.tlog.size`: the witness has cosigned a tree of `witnessed`
    /// entries, not of `old`, even after the client proved from the witness's size.
    #[error("the witness has cosigned {witnessed} entries, not {old}")]
    Behind { old: u64, witnessed: u64 },
    /// Any other answer than 200: the status and the witness's message.
    #[error("{status}: {message}")]
    Refused { status: reqwest::StatusCode, message: String },
    /// A 200 whose body holds no valid cosignature of this witness's key on the checkpoint.
    #[error("the witness's answer: {0}")]
    Cosignature(WitnessError),
}

/// A client of one witness (c2sp.org/tlog-witness): submits a log's checkpoints and
/// returns the witness's cosignature.
///
/// It remembers the size the witness last cosigned for this log, as far as it knows, and
/// proves each new checkpoint consistent with that one. A witness that knows better
/// answers 409 with its size; the client then proves from there at once, once.
///
/// ```no_run
/// use comity_log::{LogKey, MemoryTree};
/// use comity_witness::WitnessClient;
/// # async fn cosign() -> Result<(), Box<dyn std::error::Error>> {
/// let mut witness = WitnessClient::parse("http://127.0.0.1:8090=witness.example.org/w1+1a2b3c4d+BA...")?;
/// let key = LogKey::generate("comity.example.org/log");
/// let mut tree = MemoryTree::new();
/// tree.append(b"the first entry\n");
/// let note = key.sign("comity.example.org/log", 1, tree.root(1)?)?;
/// // The cosignature line, to serve after the log's own signature.
/// let line = witness.submit(&note, &tree).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct WitnessClient {
    http: reqwest::Client,
    url: String,
    vkey: String,
    witnessed: u64,
}

impl WitnessClient {
    /// Reads `URL=VKEY`: the witness's base URL (it is sent `POST {URL}/add-checkpoint`)
    /// and its cosignature verifier key (`name+hash+base64`, type 0x04), as
    /// `comity witness key` prints it.
    pub fn parse(text: &str) -> Result<WitnessClient, ParseError> {
        let (url, vkey) = text.split_once('=').ok_or_else(|| ParseError::Syntax(text.to_owned()))?;
        WitnessClient::new(url, vkey)
    }

    /// A client of the witness at `url` whose verifier key is `vkey`.
    pub fn new(url: &str, vkey: &str) -> Result<WitnessClient, ParseError> {
        let url = url.trim().trim_end_matches('/').to_owned();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ParseError::Url(url));
        }
        let vkey = vkey.trim().to_owned();
        // name+hash+base64, split from the left: the base64 may itself hold a '+'.
        let mut parts = vkey.splitn(3, '+');
        let well_formed = matches!(
            (parts.next(), parts.next(), parts.next()),
            (Some(name), Some(hash), Some(key))
                if !name.is_empty() && hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
                    && STANDARD.decode(key).is_ok_and(|k| k.len() == 33)
        );
        if !well_formed {
            return Err(ParseError::Key(vkey));
        }
        // Building a client fails only if its TLS backend or resolver cannot start; the
        // default client (without the timeout) is then the best there is.
        let http = reqwest::Client::builder().timeout(TIMEOUT).build().unwrap_or_default();
        Ok(WitnessClient { http, url, vkey, witnessed: 0 })
    }

    /// Uses `http` for the requests (to share one connection pool between witnesses)
    /// instead of the client's own, which has a [`TIMEOUT`].
    pub fn with_http_client(self, http: reqwest::Client) -> WitnessClient {
        WitnessClient { http, ..self }
    }

    /// The witness's base URL, without a trailing `/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The witness's verifier key.
    pub fn vkey(&self) -> &str {
        &self.vkey
    }

    /// The size of the tree the witness last cosigned, as far as this client knows: 0
    /// at first, then what it cosigned or said in a 409.
    pub fn witnessed_size(&self) -> u64 {
        self.witnessed
    }

    /// Submits a signed checkpoint, proven consistent with what the witness cosigned
    /// before from the hashes in `hashes`, and returns the witness's cosignature line(s),
    /// verified and without the final newline, to append to the note after the log's own
    /// signature (c2sp.org/signed-note).
    ///
    /// If the witness answers 409 with another size than the one proven from, the
    /// checkpoint is submitted again at once, proven from the witness's size.
    pub async fn submit(&mut self, note: &[u8], hashes: &impl HashSource) -> Result<String, SubmitError> {
        let (_, checkpoint) = Witnessed::from_note(note).map_err(SubmitError::Checkpoint)?;
        let old = self.witnessed;
        let answer = match self.add_checkpoint(old, note, hashes).await {
            Err(SubmitError::Behind { witnessed, .. }) if witnessed != old => {
                self.witnessed = witnessed;
                self.add_checkpoint(witnessed, note, hashes).await
            }
            answer => answer,
        };
        match &answer {
            Ok(_) => self.witnessed = checkpoint.size,
            Err(SubmitError::Behind { witnessed, .. }) => self.witnessed = *witnessed,
            Err(_) => {}
        }
        answer
    }

    /// One add-checkpoint request, proven from `old` (no retry, nothing remembered).
    ///
    /// The witness keeps the largest size it cosigned: an `old` above the checkpoint's
    /// size is sent as the checkpoint's size, which the witness refuses with a 409 that
    /// says its size.
    pub async fn add_checkpoint(
        &self,
        old: u64,
        note: &[u8],
        hashes: &impl HashSource,
    ) -> Result<String, SubmitError> {
        let (_, checkpoint) = Witnessed::from_note(note).map_err(SubmitError::Checkpoint)?;
        let size = checkpoint.size;
        let old = old.min(size);
        let proof = if old == 0 || old == size { Vec::new() } else { prove(old, size, hashes).await? };
        let body = comity_log::encode_add_checkpoint(old, &proof, note);
        let response = self.http.post(format!("{}/add-checkpoint", self.url)).body(body).send().await?;
        let status = response.status();
        let answer = response.bytes().await?;
        if status == reqwest::StatusCode::CONFLICT
            && let Ok(witnessed) = comity_log::parse_tlog_size(&answer)
        {
            return Err(SubmitError::Behind { old, witnessed });
        }
        if !status.is_success() {
            let message = String::from_utf8_lossy(&answer).trim().to_owned();
            return Err(SubmitError::Refused { status, message });
        }
        let cosigned = comity_log::add_cosignatures(note, &answer, &[self.vkey.as_str()])
            .map_err(SubmitError::Cosignature)?;
        comity_log::verify_cosignature(&cosigned, &self.vkey).map_err(SubmitError::Cosignature)?;
        // The witness's lines: what `add_cosignatures` appended to the note.
        cosigned
            .strip_prefix(note)
            .map(|lines| String::from_utf8_lossy(lines).trim().to_owned())
            .filter(|lines| !lines.is_empty())
            .ok_or_else(|| {
                SubmitError::Cosignature(WitnessError::Malformed(
                    "the note already holds this witness's signature".into(),
                ))
            })
    }
}

/// The consistency proof from `old` to `size` entries, from the hashes it needs.
async fn prove(old: u64, size: u64, hashes: &impl HashSource) -> Result<Vec<Hash>, SubmitError> {
    let needed = comity_log::hashes_needed(|r| comity_log::consistency_proof(old, size, r));
    let read = hashes.read_hashes(&needed).await.map_err(SubmitError::Hashes)?;
    if read.len() != needed.len() {
        return Err(SubmitError::Hashes(
            format!("asked for {} hashes, read {}", needed.len(), read.len()).into(),
        ));
    }
    let reader: HashMapReader = needed.into_iter().zip(read).collect();
    comity_log::consistency_proof(old, size, &reader).map_err(|error| SubmitError::Proof { old, size, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression test (from comity-server's `WitnessConfig::parse`): a key whose base64
    /// holds a '+' was refused (found by CI).
    #[test]
    fn every_witness_key_is_accepted_and_nonsense_is_not() {
        let mut with_plus = 0;
        for _ in 0..200 {
            let key = comity_log::WitnessKey::generate("witness.example.org/w1").unwrap();
            let vkey = key.verifier_key();
            with_plus += usize::from(vkey.matches('+').count() > 2);
            let parsed = WitnessClient::parse(&format!("http://127.0.0.1:9/={vkey}")).unwrap();
            assert_eq!((parsed.url(), parsed.vkey()), ("http://127.0.0.1:9", vkey));
            assert_eq!(parsed.witnessed_size(), 0);
        }
        assert!(with_plus > 0, "200 keys should include some whose base64 holds a '+'");
        for (bad, error) in [
            ("http://w", ParseError::Syntax("http://w".into())),
            ("ftp://w=a+01234567+AA==", ParseError::Url("ftp://w".into())),
            ("http://w=a+xyz+AA==", ParseError::Key("a+xyz+AA==".into())),
            ("http://w=a+01234567+!!", ParseError::Key("a+01234567+!!".into())),
            ("http://w=+01234567+AA==", ParseError::Key("+01234567+AA==".into())),
        ] {
            assert_eq!(WitnessClient::parse(bad).unwrap_err(), error, "{bad}");
        }
        assert!(
            ParseError::Key("k".into()).to_string().ends_with("`comity witness key` prints it"),
            "the message says where the key comes from"
        );
    }
}
