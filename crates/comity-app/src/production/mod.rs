//! Sealed production (issue 6, `docs/production.md`): from a provider's export to a
//! package only the requesting authority can open, with every step in the audit log.
//!
//! [`Producing::produce`] runs a production: it reads the decision's scope, checks the export (first
//! pass), logs the production event (`production.started`, with the move approved →
//! producing), writes the in-scope records with every third party pseudonymized and every
//! free text masked (second pass), seals them with the manifest signed by the provider's
//! production key and encrypted to the authority's age recipient, and logs
//! `production.sealed`. The authority downloads the package (`production.downloaded`, each
//! time) and acknowledges it (`production.acknowledged`, producing → delivered).
//!
//! comity's own copy of the package is kept encrypted at rest under a data key of the
//! production's own, sealed by the server key ([`at_rest`]), in the database, so that every
//! server of it serves the package ([`stored`], issue 17); at the retention date the sweep
//! destroys that key with the copy ([`disposal`]), and the authority attests that it
//! disposed of the data. The provider's private production key is in the database too,
//! sealed by the server key.
//!
//! The export is never kept: it is read twice from where it lies (the API's upload, in the
//! data directory of the server that received it, is deleted after), and only its SHA-256
//! is logged. The pseudonyms' key is drawn for the production and forgotten after it, so
//! that no two productions can be linked by their pseudonyms.

pub mod at_rest;
pub mod disposal;
pub mod pipeline;
pub mod records;
mod relay;
pub mod stored;

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use chrono::{SubsecRound, Utc};
use comity_access::Action;
use comity_auth::jws::{PublicKey, SigningKey};
use comity_core::{
    Act, ActorId, ClockKind, ClockSet, Fact, FactKind, JournalQuery, Move, NewEntry, RequestId, State,
    StoredRequest, TimeWindow, journal,
    production::{Production, Scope},
};
use comity_redact::{NationalIds, PhoneRegions, Pseudonyms};
use comity_seal::{FileEntry, FileName, Manifest, RetentionUntil};
use comity_wire::{Problem, parse_request};
use serde_json::{Map, Value};

use pipeline::Survey;
pub use pipeline::{ExportError, MAX_LINE_BYTES};
use records::{Redactor, Targets};

use crate::{App, Caller, Error, Result};

/// The name of the data file in every package.
pub const RECORDS_FILE: &str = "records.jsonl";

/// Where productions keep their files in a data directory: `productions/incoming/` (the
/// API's uploads while they are produced) and the temporary files of a sealing. Packages
/// and private production keys are in the database since issue 17; `productions/<id>.age`
/// and `production-keys/<provider>.jwk` are still read for those kept before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Productions {
    data_dir: PathBuf,
}

impl Productions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Productions { data_dir: data_dir.into() }
    }

    /// The folder of productions' files: uploads, a sealing's temporary files, and packages
    /// sealed before issue 17.
    pub fn packages(&self) -> PathBuf {
        self.data_dir.join("productions")
    }

    /// Where a production's sealed package was kept before issue 17.
    pub fn package_path(&self, production: &str) -> PathBuf {
        self.packages().join(format!("{production}.age"))
    }

    /// Where a provider's private production key was kept before issue 17.
    pub fn key_path(&self, provider: &comity_core::PartyId) -> PathBuf {
        key_path(&self.data_dir, provider)
    }
}

/// Where a provider's private production key was kept in a data directory before issue 17
/// (still read when the database has none).
pub fn key_path(data_dir: &Path, provider: &comity_core::PartyId) -> PathBuf {
    data_dir.join("production-keys").join(format!("{provider}.jwk"))
}

/// How to produce, beyond what the decision says.
#[derive(Debug, Clone)]
pub struct Options {
    /// Until when the authority may keep the data; the manifest states it (seed norm
    /// "retention limits"; 2AP Art 14).
    pub retention_until: RetentionUntil,
    /// Let records of a kind comity does not know through, all their strings masked as
    /// free text. Off by default: a kind nobody reviewed is refused with its line.
    pub allow_unknown_kinds: bool,
    /// The national identifiers masked in free text, besides the other types.
    pub national_ids: NationalIds,
    /// Regions whose national phone formats are also searched in free text. A production
    /// always searches the default regions and the countries the request names (see
    /// [`phone_regions`]); these add to them, never take away.
    pub phone_regions: PhoneRegions,
    /// A file of this host to write the package to as it leaves (the authority's age file),
    /// as it is sealed: `comity produce --out`. It must not exist; it appears once the
    /// production is sealed, and not at all if it fails.
    pub out: Option<PathBuf>,
}

/// The regions whose national phone formats a production searches in free text: the
/// default ones (the EU, the rest of the EEA, Switzerland, the UK, North America), the
/// issuing and the addressed States, each target's country of residence and where the
/// target is, and `extra`. A number written with `+` or `00` is found in any region
/// whatever this set; a national one (`(11) 2345-6789`) only in a region searched, and a
/// Brazilian correspondent of a Brazilian target must not leave unmasked because Brazil
/// was not in a list drawn up for Europe. A country libphonenumber has no plan for adds
/// nothing.
pub fn phone_regions(request: &comity_core::Request, extra: PhoneRegions) -> PhoneRegions {
    let named = [request.issuing.country, request.addressee.country]
        .into_iter()
        .chain(request.targets.iter().flat_map(|t| t.residence_country.into_iter().chain(t.located_in)));
    named.fold(PhoneRegions::default().union(extra), |regions, country| {
        regions.with(country.as_str()).unwrap_or(regions)
    })
}

/// The phases of a production, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Checking the export and gathering its third parties: bytes of the export read.
    Checking,
    /// Writing the redacted records: bytes of the export read.
    Redacting,
    /// Encrypting the package: bytes of the package written so far are not counted; one
    /// call when it starts.
    Sealing,
}

/// Told the phase and the bytes of the export read so far, now and then.
pub type Progress = Arc<dyn Fn(Phase, u64) + Send + Sync>;

/// No progress to show.
pub fn no_progress() -> Progress {
    Arc::new(|_, _| {})
}

/// What a production rests on: the request, its latest decision and the scope it allows.
struct Basis {
    request: comity_core::Request,
    decision: comity_core::Event,
    scope: Scope,
}

/// The decision the request stands on, and what it lets leave.
async fn basis(app: &App, current: &StoredRequest) -> Result<Basis> {
    let (_, request) = parse_request(current.document.as_bytes())
        .map_err(|e| Error::corrupt(format!("request {}: its document no longer parses: {e}", current.id)))?;
    let store = app.store();
    let events = store.events(current.id).await?;
    let decision = events
        .iter()
        .rev()
        .find(|e| matches!(e.to, State::Approved | State::PartiallyApproved))
        .cloned()
        .ok_or_else(|| Error::conflict("the request has no approval to produce under"))?;
    let asked = Scope::of_request(&request);
    let facts = store.journal(&JournalQuery::kinds(&[FactKind::DecisionScope]).request(current.id)).await?;
    let fact = facts.iter().rev().find_map(|j| match &j.fact {
        Fact::DecisionScope(f) if f.decision == decision.seq => Some(f),
        _ => None,
    });
    let scope = match fact {
        Some(f) => {
            let targets: Vec<String> = f.targets.iter().map(|t| t.value().to_owned()).collect();
            let window = TimeWindow::new(f.from, f.to).map_err(Error::internal)?;
            asked.narrow(Some(&targets), Some(window), Some(&f.categories)).map_err(Error::internal)?
        }
        // Approved before decisions recorded their scope: all that was asked.
        None if decision.to == State::Approved => asked,
        None => {
            return Err(Error::conflict(
                "the partial approval does not say what it keeps (it predates recorded scopes); decide again",
            ));
        }
    };
    Ok(Basis { request, decision, scope })
}

/// Only an approved or partially approved request is produced (or one producing already,
/// whose earlier production failed or is to be redone). A delivered one is produced again
/// only to correct an error, under a remedy case ([`Producing::check_producible`]).
pub fn check_producible(request: &StoredRequest) -> Result<()> {
    if matches!(request.state, State::Approved | State::PartiallyApproved | State::Producing) {
        Ok(())
    } else if request.state == State::Delivered {
        Err(Error::conflict(
            "the request was delivered: it is produced again only to correct an error, under a remedy case that \
             owes a correction (POST /v1/requests/{id}/remedies with correction = true)",
        ))
    } else {
        Err(Error::conflict(format!(
            "the request is {}; only an approved or partially approved request is produced",
            request.state
        )))
    }
}

/// The provisions the request was screened under: the citations of the rules it passed
/// in its latest screening.
async fn provisions(app: &App, id: RequestId) -> Result<Vec<String>> {
    let screenings = app.store().screenings(id).await?;
    let Some(last) = screenings.last() else { return Ok(Vec::new()) };
    let report: Value = serde_json::from_str(&last.report).unwrap_or(Value::Null);
    let mut out: Vec<String> = Vec::new();
    for finding in report["findings"].as_array().into_iter().flatten() {
        if finding["outcome"] == "pass"
            && let Some(c) = finding["citation"].as_str()
            && !out.iter().any(|o| o == c)
        {
            out.push(c.to_owned());
        }
    }
    if out.is_empty() {
        out.push(format!("screened under policy pack {} {}", last.pack_id, last.pack_version));
    }
    Ok(out)
}

/// The keys a production needs: the authority's age recipient, the provider's production
/// key (public, as registered, and private, sealed in the database).
struct Keys {
    recipient: comity_seal::age::x25519::Recipient,
    signing: SigningKey,
    public: PublicKey,
}

async fn keys(app: &App, productions: &Productions, current: &StoredRequest) -> Result<Keys> {
    let recipients = app.recipients(&current.authority).await?;
    let Some(recipient) = recipients.last() else {
        return Err(Error::conflict(format!(
            "{} has registered no age recipient to encrypt productions to: its operator registers one \
             (`comity authority recipient add`, or POST /v1/admin/authorities/{}/recipients)",
            current.authority, current.authority
        )));
    };
    let recipient = comity_seal::parse_recipient(&recipient.key).map_err(Error::internal)?;
    let registered = app.production_keys(&current.provider).await?;
    let Some((registered, public)) = registered.last() else {
        return Err(Error::conflict(format!(
            "{} has no production key to sign packages with: make one with `comity provider key generate --provider {}`",
            current.provider, current.provider
        )));
    };
    let provider = &current.provider;
    let generate = format!("`comity provider key generate --provider {provider}`");
    let (signing, source) = match app.store().production_key(provider, &registered.key).await? {
        Some(sealed) => {
            let aad = crate::registers::production_key_aad(provider, &registered.key);
            let plain = app.settings().server_key.open(&sealed, &aad).map_err(|_| {
                Error::conflict(format!(
                    "the private half of {provider}'s production key {} does not open with this server's \
                     server key: every server of one database needs the same server-key file (copy it from \
                     the server that generated the key), or make a new key with {generate}",
                    registered.key
                ))
            })?;
            let text = String::from_utf8(plain).map_err(|e| Error::corrupt(e.to_string()))?;
            let signing = SigningKey::parse(&text).map_err(|e| Error::corrupt(e.to_string()))?;
            (signing, "the database".to_owned())
        }
        // Registered before issue 17: its private half was a file of the data directory.
        None => {
            let path = productions.key_path(provider);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                Error::conflict(format!(
                    "the private half of {provider}'s production key {} is neither in the database nor, as \
                     an older comity kept it, at {} ({e}): make a new key with {generate}",
                    registered.key,
                    path.display()
                ))
            })?;
            let signing =
                SigningKey::parse(&text).map_err(|e| Error::conflict(format!("{}: {e}", path.display())))?;
            (signing, path.display().to_string())
        }
    };
    if signing.public() != *public {
        return Err(Error::conflict(format!(
            "the private key in {source} is not {provider}'s registered production key {}: make a new key with \
             {generate}",
            registered.key
        )));
    }
    Ok(Keys { recipient, signing, public: *public })
}

/// A new production id: `prod-` and 16 base32 characters (80 random bits).
fn new_id() -> String {
    use rand_core::{OsRng, RngCore};
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    let tail: String = bytes.iter().map(|b| ALPHABET[usize::from(b % 32)] as char).collect();
    format!("prod-{tail}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fact of a production's chain of custody, kept by `actor`: the provider's, and the
/// request's, since a production's facts are listed by both.
fn custody_fact(actor: &ActorId, current: &StoredRequest, fact: Fact) -> NewEntry {
    NewEntry {
        party: Some(current.provider.clone()),
        request_id: Some(current.id),
        ..NewEntry::new(Utc::now().trunc_subsecs(6), actor.clone(), fact)
    }
}

/// An export's problems: each bad line a problem of its own.
fn export_error(e: ExportError) -> Error {
    match e {
        ExportError::Io(e) => Error::internal(e),
        ExportError::Empty => Error::invalid("invalid_export", "export", e.to_string()),
        ExportError::Records { ref problems, total } => {
            let problems = problems
                .iter()
                .map(|(line, why)| Problem { path: format!("line {line}"), message: why.clone() })
                .collect();
            let more = if total as usize > problems_len(&e) {
                format!(" ({total} lines in all)")
            } else {
                String::new()
            };
            Error::Invalid {
                code: "invalid_export",
                message: format!(
                    "the export has lines that are not records{more}; fix them and produce again (docs/export-format.md)"
                ),
                problems,
            }
        }
    }
}

fn problems_len(e: &ExportError) -> usize {
    match e {
        ExportError::Records { problems, .. } => problems.len(),
        _ => 0,
    }
}

/// A sealed package to send: the production, and its bytes as they are decrypted from
/// comity's copy at rest.
#[derive(Debug)]
pub struct Download {
    pub production: Production,
    pub body: PackageBody,
    /// The download's entry in the audit log, kept before the first byte is sent.
    pub log_index: Option<u64>,
}

/// The package's bytes, in chunks, decrypted from the copy at rest on a blocking thread as
/// the client reads them (a few chunks ahead at most: bounded memory whatever its size).
pub struct PackageBody(tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>);

impl std::fmt::Debug for PackageBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PackageBody(..)")
    }
}

impl PackageBody {
    /// The next chunk; `None` at the end.
    pub async fn next(&mut self) -> Option<std::io::Result<Vec<u8>>> {
        self.0.recv().await
    }

    fn pump(mut plain: Box<dyn std::io::Read + Send>) -> PackageBody {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            loop {
                let mut chunk = vec![0u8; 64 * 1024];
                match plain.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        chunk.truncate(n);
                        // The client went away: stop reading.
                        if tx.blocking_send(Ok(chunk)).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::error!("the stored package stopped decrypting: {e}");
                        let _ = tx.blocking_send(Err(e));
                        break;
                    }
                }
            }
        });
        PackageBody(rx)
    }
}

/// A request someone may produce, and how they are recorded: a provider's caller whom the
/// policy lets execute it, or the operator at the command line.
#[derive(Debug)]
pub struct Producing {
    app: App,
    request: StoredRequest,
    actor: ActorId,
    /// The remedy case this production corrects, for a delivered request (issue 15, item 4).
    correction: Option<u32>,
}

impl App {
    /// Where productions keep their files; unavailable if this server keeps none.
    pub fn productions(&self) -> Result<&Productions> {
        self.inner.productions.as_ref().ok_or_else(|| Error::Unavailable {
            code: "unavailable",
            message:
                "this server keeps no productions: start it with a data directory (`comity serve --data-dir`)"
                    .to_owned(),
            retry_after: None,
            cause: None,
        })
    }

    /// The request `caller` would produce, if the policy lets it execute the request.
    pub async fn producing(&self, caller: &Caller, id: RequestId) -> Result<Producing> {
        self.productions()?;
        let (request, _) = self.actionable(caller, id, &Action::Execute).await?;
        let correction = self.correction_case(&request).await?;
        Ok(Producing { app: self.clone(), request, actor: caller.actor(), correction })
    }

    pub(crate) async fn producing_as(&self, actor: ActorId, id: RequestId) -> Result<Producing> {
        self.productions()?;
        let request = self
            .store()
            .request(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no request with id {id}")))?;
        let correction = self.correction_case(&request).await?;
        Ok(Producing { app: self.clone(), request, actor, correction })
    }

    /// Every production of a request the caller may see, oldest first.
    pub async fn productions_of(&self, caller: &Caller, id: RequestId) -> Result<Vec<Production>> {
        let (current, _) = self.visible(caller, id).await?;
        self.productions_of_request(current.id).await
    }

    /// One production of a request the caller may see.
    pub async fn production(&self, caller: &Caller, id: RequestId, production: &str) -> Result<Production> {
        Ok(self.visible_production(caller, id, production, None).await?.1)
    }

    /// The sealed package, for the issuing authority alone; each download is logged
    /// before the first byte is sent.
    pub async fn download(&self, caller: &Caller, id: RequestId, production: &str) -> Result<Download> {
        let productions = self.productions()?;
        let (current, found) =
            self.visible_production(caller, id, production, Some(&Action::ReceiveProduction)).await?;
        if found.shredded_at.is_some() {
            return Err(disposal::gone(&found));
        }
        let Some(sealed) = &found.package else {
            return Err(Error::conflict(format!(
                "production {} is {}: there is no package to download",
                found.id, found.status
            )));
        };
        let plain = self.open_stored(productions, &found.id).await?;
        let fact = Fact::ProductionDownloaded(journal::ProductionDownloaded {
            production: found.id.clone(),
            package_sha256: sealed.package_sha256.clone(),
        });
        let written = self.store().append_journal(&[custody_fact(&caller.actor(), &current, fact)]).await?;
        Ok(Download {
            production: found,
            body: PackageBody::pump(plain),
            log_index: written.first().and_then(|j| j.log_index),
        })
    }

    /// comity's copy of a sealed package, decrypted with its data key as it is read on a
    /// blocking thread: from the database, or for a package sealed before issue 17, from
    /// its file in the data directory.
    async fn open_stored(
        &self,
        productions: &Productions,
        production: &str,
    ) -> Result<Box<dyn std::io::Read + Send>> {
        let wrapped = self.store().package_key(production).await?.ok_or_else(|| {
            Error::corrupt(format!("production {production} has no data key, and was not shredded"))
        })?;
        // An empty key: sealed before packages were encrypted at rest (migration 0022), and
        // kept as it left.
        let key = if wrapped.is_empty() {
            None
        } else {
            Some(
                at_rest::DataKey::unwrap(&self.settings().server_key, production, &wrapped)
                    .map_err(Error::internal)?,
            )
        };
        let chunks = stored::chunk_reader(self.shared_store(), production).await?;
        let path = productions.package_path(production);
        let production = production.to_owned();
        blocking(move || {
            let stored: Box<dyn std::io::Read + Send> = match chunks {
                Some(chunks) => Box::new(chunks),
                None => match std::fs::File::open(&path) {
                    Ok(file) => Box::new(file),
                    Err(e) => {
                        return Err(at_rest::AtRestError::Io(std::io::Error::new(
                            e.kind(),
                            format!(
                                "its package is not in the database, and the file an older comity kept it in, {}, \
                                 does not open ({e}): it is on the server that sealed it; copy it to this \
                                 server's data directory",
                                path.display()
                            ),
                        )));
                    }
                },
            };
            match key {
                Some(key) => key.decrypt(stored),
                None => Ok(stored),
            }
        })
        .await?
        .map_err(|e| {
            tracing::error!(%production, "the stored package does not open: {e}");
            Error::internal(e)
        })
    }

    /// The issuing authority acknowledges that it holds the package, by its hash: the
    /// request moves from producing to delivered. Returns the production and the entries
    /// the acknowledgement appended.
    pub async fn acknowledge(
        &self,
        caller: &Caller,
        id: RequestId,
        production: &str,
        package_sha256: &str,
    ) -> Result<(Production, Vec<u64>)> {
        let (current, found) =
            self.visible_production(caller, id, production, Some(&Action::ReceiveProduction)).await?;
        let Some(sealed) = &found.package else {
            return Err(Error::conflict(format!(
                "production {} is {}: there is nothing to acknowledge",
                found.id, found.status
            )));
        };
        if found.status == "acknowledged" {
            return Err(Error::conflict(format!("production {} is acknowledged already", found.id)));
        }
        if !found.downloaded() {
            return Err(Error::conflict(format!(
                "production {} has not been downloaded: download it (GET .../package), check it with `comity package verify`, then acknowledge",
                found.id
            )));
        }
        let given = package_sha256.trim().to_ascii_lowercase();
        if given != sealed.package_sha256 {
            return Err(Error::invalid(
                "invalid_acknowledgement",
                "package_sha256",
                format!(
                    "is not the SHA-256 of the sealed package ({}): the file you hold is not the package; download it again",
                    sealed.package_sha256
                ),
            ));
        }
        let ack = Fact::ProductionAcknowledged(journal::ProductionAcknowledged {
            production: found.id.clone(),
            package_sha256: given,
        });
        let entry = custody_fact(&caller.actor(), &current, ack);
        let mut indexes = Vec::new();
        let store = self.store();
        if current.state == State::Producing {
            let event = store
                .apply_move(&Move {
                    request_id: id,
                    expected_version: current.version,
                    from: State::Producing,
                    to: State::Delivered,
                    actor: caller.actor(),
                    at: Utc::now().trunc_subsecs(6),
                    reason: format!(
                        "production {} received: its package's SHA-256 matches the sealed one",
                        found.id
                    ),
                    facts: vec![entry],
                    clocks: Vec::new(),
                    closes: None,
                })
                .await?;
            indexes.extend(event.log_index);
        } else {
            indexes.extend(store.append_journal(&[entry]).await?.iter().filter_map(|j| j.log_index));
        }
        let after = self
            .production_by_id(&found.id)
            .await?
            .ok_or_else(|| Error::corrupt("the production is gone"))?;
        indexes.extend(after.custody.last().and_then(|c| c.log_index));
        indexes.sort_unstable();
        indexes.dedup();
        Ok((after, indexes))
    }

    /// One production of a request, if the caller may see the request (and do `action`).
    async fn visible_production(
        &self,
        caller: &Caller,
        id: RequestId,
        production: &str,
        action: Option<&Action>,
    ) -> Result<(StoredRequest, Production)> {
        let (current, facts) = self.visible(caller, id).await?;
        let production = parse_production(production)?;
        let found = self
            .production_by_id(&production)
            .await?
            .filter(|p| p.request == id)
            .ok_or_else(|| Error::NotFound(format!("request {id} has no production {production}")))?;
        if let Some(action) = action {
            self.require_on_request(caller, action, &facts)?;
        }
        Ok((current, found))
    }

    /// A production, from its journal facts; `None` if there is none.
    async fn production_by_id(&self, production: &str) -> Result<Option<Production>> {
        let entries =
            self.store().journal(&JournalQuery::kinds(&FactKind::PRODUCTION).subject(production)).await?;
        Ok(Production::fold(entries))
    }
}

impl Producing {
    /// The request as it was read.
    pub fn request(&self) -> &StoredRequest {
        &self.request
    }

    /// Only an approved or partially approved request is produced (or one producing
    /// already, whose earlier production failed or is to be redone).
    pub fn check_producible(&self) -> Result<()> {
        if self.correction.is_some() { Ok(()) } else { check_producible(&self.request) }
    }

    /// The remedy case this production corrects, if it corrects one.
    pub fn correction(&self) -> Option<u32> {
        self.correction
    }

    /// A file for the export, in the data directory (the export is personal data: it stays
    /// where the database is); it is deleted when dropped, whatever the outcome.
    pub fn upload(&self) -> Result<tempfile::NamedTempFile> {
        let incoming = self.app.productions()?.packages().join("incoming");
        std::fs::create_dir_all(&incoming).map_err(Error::internal)?;
        tempfile::Builder::new().prefix(".export-").tempfile_in(&incoming).map_err(Error::internal)
    }

    /// Runs the production of `export` and returns it sealed.
    pub async fn produce(self, export: &Path, options: Options, progress: Progress) -> Result<Production> {
        let Producing { app, request: current, actor, correction } = self;
        let app = &app;
        let productions = app.productions()?;
        if correction.is_none() {
            check_producible(&current)?;
        }
        app.check_not_suspended(&current, Utc::now()).await?;
        let id = current.id;
        let store = app.store();
        let keep_until = match options.retention_until {
            // The end of that day, in UTC.
            RetentionUntil::Date(day) => day.and_hms_opt(23, 59, 59).map(|t| t.and_utc()),
            RetentionUntil::Time(t) => Some(t),
        };
        if keep_until.is_none_or(|t| t <= Utc::now()) {
            return Err(Error::invalid(
                "invalid_retention",
                "retention_until",
                "is not in the future: the authority must be able to keep the data until then",
            ));
        }
        let basis = basis(app, &current).await?;
        let keys = keys(app, productions, &current).await?;
        let provisions = provisions(app, id).await?;
        // Made before the export is read, so that a wrong path is said at once.
        let out = match options.out.clone() {
            Some(path) => Some(blocking(move || OutFile::create(path)).await??),
            None => None,
        };
        let production = new_id();
        let pseudonyms = Pseudonyms::generate();

        // Pass 1: nothing is logged for an export that cannot be produced.
        let survey: Survey = {
            let (export, scope, pseudonyms, progress) =
                (export.to_owned(), basis.scope.clone(), pseudonyms.clone(), progress.clone());
            let allow = options.allow_unknown_kinds;
            blocking(move || {
                let file = std::fs::File::open(&export)?;
                let targets = Targets::new(&scope);
                pipeline::survey(file, &targets, &pseudonyms, allow, &mut |n| progress(Phase::Checking, n))
            })
            .await?
            .map_err(export_error)?
        };

        // The production event, which the manifest names.
        let started = Fact::ProductionStarted(journal::ProductionStarted {
            production: production.clone(),
            request: id,
            decision: basis.decision.seq,
            export_sha256: hex(&survey.sha256),
            export_bytes: survey.bytes,
            records: survey.records,
            in_scope: survey.in_scope,
            retention_until: options.retention_until.to_string(),
        });
        let started = custody_fact(&actor, &current, started);
        // The package is kept until its retention date; then its clock says disposal is due.
        let retention = ClockSet { kind: ClockKind::Retention, due: keep_until };
        // By then, or a short grace after, the authority attests that it disposed of it.
        let attestation = ClockSet {
            kind: ClockKind::DisposalAttestation,
            due: keep_until.map(|t| t + app.settings().disposal_grace),
        };
        // A correction is linked to its case in the act that starts it.
        let corrects = correction.map(|case| {
            let fact = Fact::RemedyCorrection(journal::RemedyCorrection {
                request: id,
                case,
                production: production.clone(),
            });
            NewEntry {
                party: Some(current.authority.clone()),
                ..NewEntry::new(started.at, actor.clone(), fact)
            }
        });
        if current.state == State::Producing || correction.is_some() {
            store
                .act(&Act {
                    request_id: id,
                    at: Utc::now().trunc_subsecs(6),
                    facts: std::iter::once(started).chain(corrects).collect(),
                    clocks: vec![retention, attestation],
                    closes: None,
                })
                .await?;
        } else {
            store
                .apply_move(&Move {
                    request_id: id,
                    expected_version: current.version,
                    from: current.state,
                    to: State::Producing,
                    actor: actor.clone(),
                    at: Utc::now().trunc_subsecs(6),
                    reason: format!(
                        "production {production}: {} of the export's {} records are in the decision's scope",
                        survey.in_scope, survey.records
                    ),
                    facts: vec![started],
                    clocks: vec![retention, attestation],
                    closes: None,
                })
                .await?;
        }
        let logged = app.production_by_id(&production).await?;
        let first = logged.as_ref().and_then(|p| p.custody.first());
        let log_index = first
            .and_then(|j| j.log_index)
            .ok_or_else(|| Error::corrupt(format!("production {production} has no logged start")))?;
        let created_at = first.map_or_else(Utc::now, |j| j.at);

        let manifest_base = ManifestBase {
            request: &current,
            basis: &basis,
            provisions,
            production: &production,
            log_index,
            created_at,
            keys: &keys,
            retention_until: options.retention_until,
        }
        .build();
        // comity's copy is kept under a data key of this production's own (issue 15).
        let data_key = at_rest::DataKey::generate();
        let wrapped = data_key.wrap(&app.settings().server_key, &production);
        // comity's copy goes to the database as it is sealed, chunk by chunk (issue 17).
        let (chunks, inserting) = stored::chunk_writer(app.shared_store(), &production);
        let sealed = {
            let (export, scope, dir) = (export.to_owned(), basis.scope.clone(), productions.packages());
            let (recipient, signing, progress) =
                (keys.recipient.clone(), keys.signing.clone(), progress.clone());
            let national_ids = options.national_ids;
            let phone_regions = phone_regions(&basis.request, options.phone_regions);
            let survey_parties = survey.parties;
            let in_scope = survey.in_scope;
            let records_total = survey.records;
            let copy = match &out {
                Some(out) => Some(out.file().map_err(Error::internal)?),
                None => None,
            };
            blocking(move || {
                seal_records(SealJob {
                    export,
                    scope,
                    parties: survey_parties,
                    national_ids,
                    phone_regions,
                    dir,
                    out: chunks,
                    copy,
                    recipient,
                    signing,
                    manifest: manifest_base,
                    records_total,
                    in_scope,
                    progress,
                    data_key,
                })
            })
            .await?
        };
        // Every chunk handed over is inserted, or the insertion's failure is the reason.
        let inserted = inserting.await.map_err(Error::internal)?;
        let sealed = match (sealed, inserted) {
            (Ok(sealed), Ok(chunks)) => Ok((sealed, chunks)),
            (_, Err(e)) => Err(format!("the database did not take the package: {e}")),
            (Err(e), Ok(_)) => Err(e.to_string()),
        };
        let (sealed, chunks) = match sealed {
            Ok(sealed) => sealed,
            Err(reason) => {
                tracing::error!(%production, "production failed: {reason}");
                // What was written of the package goes; if even that fails, the sweep
                // deletes it (`App::clear_interrupted_packages`).
                if let Err(e) = store.drop_package_chunks(&production).await {
                    tracing::warn!(%production, "the failed production's chunks stay until the sweep: {e}");
                }
                let failed = Fact::ProductionFailed(journal::ProductionFailed {
                    production: production.clone(),
                    reason: reason.clone(),
                });
                store.append_journal(&[custody_fact(&actor, &current, failed)]).await?;
                return Err(Error::corrupt(format!("sealing production {production} failed: {reason}")));
            }
        };
        let fact_sealed = Fact::ProductionSealed(journal::ProductionSealed {
            production: production.clone(),
            recipient: keys.recipient.to_string(),
            kid: keys.public.thumbprint(),
            manifest_sha256: sealed.manifest_sha256.clone(),
            package_sha256: sealed.package_sha256.clone(),
            package_bytes: sealed.package_bytes,
            redaction: Value::Object(sealed.redaction.clone()).to_string(),
        });
        // The data key, sealed by the server key, is kept with the fact that the package is
        // sealed: a package is never listed as sealed without the key that reads it, nor
        // without every chunk of it.
        store
            .keep_package_key(&production, &wrapped, chunks, &[custody_fact(&actor, &current, fact_sealed)])
            .await?;
        if let Some(out) = out {
            let shown = out.path.display().to_string();
            blocking(move || out.keep()).await?.map_err(|e| {
                Error::BadInput(format!(
                    "production {production} is sealed, but its package could not be written to {shown}: {e}; it stays downloadable from the server"
                ))
            })?;
        }
        app.production_by_id(&production).await?.ok_or_else(|| Error::corrupt("the production is gone"))
    }
}

/// Where `--out` writes the package as it is sealed: a temporary file beside the path asked
/// for, renamed to it once the production is sealed. A production that fails leaves
/// nothing there (the temporary file is deleted; after a kill, a `.comity-package-` file
/// may stay beside it).
struct OutFile {
    path: PathBuf,
    partial: tempfile::NamedTempFile,
}

impl OutFile {
    fn create(path: PathBuf) -> Result<OutFile> {
        if path.exists() {
            return Err(Error::BadInput(format!(
                "{} exists already; choose another path for the package, or remove it",
                path.display()
            )));
        }
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let partial = tempfile::Builder::new().prefix(".comity-package-").tempfile_in(dir).map_err(|e| {
            // tempfile names its own file in the error; the path to fix is the one asked for.
            let e = e.raw_os_error().map_or(e, std::io::Error::from_raw_os_error);
            Error::BadInput(format!("cannot write the package to {}: {e}", path.display()))
        })?;
        Ok(OutFile { path, partial })
    }

    /// The file the sealing writes to.
    fn file(&self) -> std::io::Result<std::fs::File> {
        self.partial.as_file().try_clone()
    }

    /// The package, written whole, takes its name; a file made there since is not replaced.
    fn keep(self) -> std::io::Result<()> {
        self.partial.persist_noclobber(&self.path).map(drop).map_err(|e| e.error)
    }
}

/// A production id: `prod-` and 16 base32 characters.
fn parse_production(id: &str) -> Result<String> {
    let ok = id.len() == 21
        && id.starts_with("prod-")
        && id[5..].bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(Error::BadInput(format!("{id:?} is not a production id (prod-...)")))
    }
}

/// Runs blocking work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(Error::internal)
}

/// The manifest's fields that do not depend on the records.
struct ManifestBase<'a> {
    request: &'a StoredRequest,
    basis: &'a Basis,
    provisions: Vec<String>,
    production: &'a str,
    log_index: u64,
    created_at: chrono::DateTime<Utc>,
    keys: &'a Keys,
    retention_until: RetentionUntil,
}

impl ManifestBase<'_> {
    fn build(self) -> Manifest {
        let r = &self.basis.request;
        let d = &self.basis.decision;
        let scope = &self.basis.scope;
        Manifest {
            format: comity_seal::Format,
            request: self.request.id.to_string(),
            decision: comity_seal::Decision {
                event: u64::from(d.seq),
                log_index: d.log_index.unwrap_or_default(),
                actor: d.actor.to_string(),
                at: d.at,
                reason: d.reason.clone(),
            },
            legal_basis: comity_seal::LegalBasis {
                instrument: r.instrument.to_string(),
                provisions: self.provisions,
            },
            scope: comity_seal::Scope {
                targets: scope
                    .targets()
                    .iter()
                    .map(|t| comity_seal::Target { kind: t.kind().to_string(), value: t.value().to_owned() })
                    .collect(),
                from: scope.window().from(),
                to: scope.window().to(),
                categories: scope.categories().iter().map(ToString::to_string).collect(),
            },
            purpose: format!(
                "{} in the issuing authority's case {}, and no other (seed norm \"purpose limitation\")",
                r.purpose, r.issuing.reference
            ),
            retention_until: self.retention_until,
            provider: self.request.provider.to_string(),
            recipient: comity_seal::Recipient {
                authority: self.request.authority.to_string(),
                age: self.keys.recipient.clone(),
            },
            files: Vec::new(),
            redaction: Map::new(),
            production: comity_seal::Production {
                id: self.production.to_owned(),
                log_index: self.log_index,
                created_at: self.created_at,
            },
            signing_key: comity_seal::SigningKeyRef { kid: self.keys.public.key_id(), jwk: self.keys.public },
        }
    }
}

struct SealJob {
    export: PathBuf,
    scope: Scope,
    parties: records::ThirdParties,
    national_ids: NationalIds,
    phone_regions: PhoneRegions,
    /// Where the redacted records wait to be sealed: the data directory.
    dir: PathBuf,
    /// Where the stored package goes: the database.
    out: stored::ChunkWriter,
    /// Where else the package goes as it leaves, as it is sealed (`--out`).
    copy: Option<std::fs::File>,
    recipient: comity_seal::age::x25519::Recipient,
    signing: SigningKey,
    manifest: Manifest,
    records_total: u64,
    in_scope: u64,
    progress: Progress,
    data_key: at_rest::DataKey,
}

struct SealedPackage {
    manifest_sha256: String,
    package_sha256: String,
    package_bytes: u64,
    redaction: Map<String, Value>,
}

#[derive(Debug, thiserror::Error)]
enum SealFailure {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("building the masker: {0}")]
    Masker(#[from] comity_redact::BuildError),
    #[error(transparent)]
    Seal(#[from] comity_seal::SealError),
    #[error(transparent)]
    Manifest(#[from] comity_seal::ManifestError),
    #[error(transparent)]
    AtRest(#[from] at_rest::AtRestError),
}

/// Pass 2 and the sealing: the redacted records to a temporary file of the data directory,
/// then the package, encrypted again under the production's data key as it streams into the
/// database (whole once the inserting task has answered).
fn seal_records(job: SealJob) -> Result<SealedPackage, SealFailure> {
    let targets = Targets::new(&job.scope);
    let masker = records::masker(&targets, &job.parties, job.national_ids, job.phone_regions)?;
    let redactor = Redactor { targets: &targets, parties: &job.parties, masker: &masker };
    std::fs::create_dir_all(&job.dir)?;
    let records = tempfile::Builder::new().prefix(".records-").tempfile_in(&job.dir)?;
    let export = std::fs::File::open(&job.export)?;
    let progress = job.progress.clone();
    let written = pipeline::write_records(export, &redactor, records.as_file(), &mut |n| {
        progress(Phase::Redacting, n)
    })?;
    records.as_file().sync_all()?;

    let mut redaction = Map::new();
    let mut counts: Vec<(String, u64)> = written.summary.iter().map(|(k, n)| (k.to_owned(), n)).collect();
    counts.sort();
    let masked: Map<String, Value> = counts.into_iter().map(|(k, n)| (k, Value::from(n))).collect();
    redaction.insert("masked".into(), Value::Object(masked));
    redaction.insert("records_exported".into(), Value::from(job.records_total));
    redaction.insert("records_produced".into(), Value::from(written.records));
    redaction.insert("third_parties".into(), Value::from(job.parties.len() as u64));
    // Which national phone formats were searched: what a reader of the package needs to
    // judge what may have been missed.
    redaction.insert("phone_regions".into(), job.phone_regions.iter().collect::<Vec<_>>().into());
    debug_assert_eq!(written.records, job.in_scope);

    let mut manifest = job.manifest;
    manifest.files = vec![FileEntry {
        name: FileName::parse(RECORDS_FILE)?,
        sha256: comity_seal::Sha256Hash::from(written.sha256),
        size: written.bytes,
    }];
    manifest.redaction = redaction.clone();

    (job.progress)(Phase::Sealing, 0);
    let (recipient, signing, data_key, chunks, copy) =
        (job.recipient, job.signing, job.data_key, job.out, job.copy);
    let (sealed, stored) = relay::relayed(
        |relay| {
            comity_seal::seal(relay, &[recipient], &signing, &manifest, |_| {
                std::fs::File::open(records.path())
            })
        },
        |received| -> Result<(), SealFailure> {
            // The package as it leaves is written through comity's layer at rest: nothing of
            // it reaches the database but under the production's data key.
            let mut at_rest = data_key.encrypt(chunks)?;
            let mut copy = copy;
            received.each(|block| {
                if let Some(file) = copy.as_mut() {
                    file.write_all(block)?;
                }
                at_rest.write_all(block)
            })?;
            at_rest.finish()?.finish()?;
            if let Some(file) = copy {
                file.sync_all()?;
            }
            Ok(())
        },
    );
    // A storing that failed is why the sealing's hand-over failed: its error comes first.
    stored?;
    let sealed = sealed?;
    Ok(SealedPackage {
        manifest_sha256: sealed.manifest_sha256().to_string(),
        package_sha256: sealed.package_sha256().to_string(),
        package_bytes: sealed.package_size(),
        redaction,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A request from France to Ireland about a target living in Brazil and now in India.
    fn request() -> comity_core::Request {
        let mut doc: Value =
            serde_json::from_str(include_str!("../../../../examples/requests/eu-epoc-traffic.json")).unwrap();
        doc["targets"][0]["residence_country"] = "BR".into();
        doc["targets"][0]["located_in"] = "IN".into();
        parse_request(doc.to_string().as_bytes()).unwrap().1
    }

    #[test]
    fn a_production_searches_the_countries_its_request_names_and_those_asked_for() {
        let regions = phone_regions(&request(), PhoneRegions::none());
        for country in ["FR", "IE", "BR", "IN", "DE", "GB", "US"] {
            assert!(regions.contains(country), "{country} in {regions:?}");
        }
        assert!(!regions.contains("JP"), "{regions:?}");
        assert_eq!(regions.len(), PhoneRegions::default().len() + 2, "BR and IN beyond the default");
        let asked = phone_regions(&request(), "JP,KE".parse().unwrap());
        assert!(asked.contains("JP") && asked.contains("KE") && asked.contains("BR"), "{asked:?}");
        // What is asked for only adds: the default and the request's countries stay.
        assert!(regions.iter().all(|r| asked.contains(&r)));
    }
}
