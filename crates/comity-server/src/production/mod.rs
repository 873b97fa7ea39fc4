//! Sealed production (issue 6, `docs/production.md`): from a provider's export to a
//! package only the requesting authority can open, with every step in the audit log.
//!
//! [`produce`] runs a production: it reads the decision's scope, checks the export (first
//! pass), logs the production event (`production.started`, with the move approved →
//! producing), writes the in-scope records with every third party pseudonymized and every
//! free text masked (second pass), seals them with the manifest signed by the provider's
//! production key and encrypted to the authority's age recipient, and logs
//! `production.sealed`. The authority downloads the package (`production.downloaded`, each
//! time) and acknowledges it (`production.acknowledged`, producing → delivered).
//!
//! The export is never kept: it is read twice from where it lies (the API's upload, in the
//! data directory, is deleted after), and only its SHA-256 is logged. The pseudonyms' key
//! is drawn for the production and forgotten after it, so that no two productions can be
//! linked by their pseudonyms.

pub mod pipeline;
pub mod records;
pub(crate) mod routes;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use chrono::{SubsecRound, Utc};
use comity_auth::jws::{PublicKey, SigningKey};
use comity_core::{
    ActorId, JournalEntry, JournalQuery, Move, PartyId, RequestId, State, Store, StoreError, StoredRequest,
    TimeWindow, production::Scope,
};
use comity_redact::{NationalIds, Pseudonyms};
use comity_seal::{FileEntry, FileName, Manifest, RetentionUntil};
use comity_wire::{
    parse_request,
    production::{CustodyEntry, PackageResource, ProductionResource},
    trust::journal,
};
use serde_json::{Map, Value};

use crate::ApiError;
use pipeline::{ExportError, Survey};
use records::{Redactor, Targets};

/// The name of the data file in every package.
pub const RECORDS_FILE: &str = "records.jsonl";

/// Where productions keep their files: the data directory's `productions/` (sealed
/// packages, and uploads while they are produced) and `production-keys/` (each provider's
/// private production key, mode 0600, never in the database).
#[derive(Debug, Clone)]
pub struct Productions {
    data_dir: PathBuf,
}

impl Productions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Productions { data_dir: data_dir.into() }
    }

    /// The folder of sealed packages.
    pub fn packages(&self) -> PathBuf {
        self.data_dir.join("productions")
    }

    /// Where a production's sealed package is kept.
    pub fn package_path(&self, production: &str) -> PathBuf {
        self.packages().join(format!("{production}.age"))
    }

    /// Where a provider's private production key is kept.
    pub fn key_path(&self, provider: &PartyId) -> PathBuf {
        key_path(&self.data_dir, provider)
    }
}

/// Where a provider's private production key is kept in a data directory.
pub fn key_path(data_dir: &Path, provider: &PartyId) -> PathBuf {
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
async fn basis(store: &dyn Store, current: &StoredRequest) -> Result<Basis, ApiError> {
    let (_, request) = parse_request(current.document.as_bytes()).map_err(|e| {
        ApiError::internal(&StoreError::Corrupt(format!(
            "request {}: its document no longer parses: {e}",
            current.id
        )))
    })?;
    let events = store.events(current.id).await?;
    let decision = events
        .iter()
        .rev()
        .find(|e| matches!(e.to, State::Approved | State::PartiallyApproved))
        .cloned()
        .ok_or_else(|| ApiError::conflict("the request has no approval to produce under"))?;
    let asked = Scope::of_request(&request);
    let facts = store.journal(&JournalQuery::kinds(&[journal::DECISION_SCOPE]).request(current.id)).await?;
    let fact = facts
        .iter()
        .rev()
        .map(|j| journal::read::<journal::DecisionScope>(&j.content).map_err(|e| corrupt(j, &e)))
        .find(|f| f.as_ref().map_or(true, |f| f.decision == decision.seq))
        .transpose()?;
    let scope = match fact {
        Some(f) => {
            let targets: Vec<String> = f.targets.into_iter().map(|t| t.value).collect();
            let window = TimeWindow::new(f.from, f.to).map_err(|e| ApiError::internal(&e))?;
            let categories: Vec<_> =
                f.categories.iter().filter_map(|c| comity_core::DataCategory::parse(c)).collect();
            asked
                .narrow(Some(&targets), Some(window), Some(&categories))
                .map_err(|e| ApiError::internal(&e))?
        }
        // Approved before decisions recorded their scope: all that was asked.
        None if decision.to == State::Approved => asked,
        None => {
            return Err(ApiError::conflict(
                "the partial approval does not say what it keeps (it predates recorded scopes); decide again",
            ));
        }
    };
    Ok(Basis { request, decision, scope })
}

/// Only an approved or partially approved request is produced (or one producing already,
/// whose earlier production failed or is to be redone).
pub fn check_producible(request: &StoredRequest) -> Result<(), ApiError> {
    if matches!(request.state, State::Approved | State::PartiallyApproved | State::Producing) {
        Ok(())
    } else {
        Err(ApiError::conflict(format!(
            "the request is {}; only an approved or partially approved request is produced",
            request.state
        )))
    }
}

fn corrupt(j: &JournalEntry, e: &dyn std::fmt::Display) -> ApiError {
    ApiError::internal(&StoreError::Corrupt(format!("journal entry {}: {e}", j.seq)))
}

/// The provisions the request was screened under: the citations of the rules it passed
/// in its latest screening.
async fn provisions(store: &dyn Store, id: RequestId) -> Result<Vec<String>, ApiError> {
    let screenings = store.screenings(id).await?;
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
/// key (public, as registered, and private, from the data directory).
struct Keys {
    recipient: comity_seal::age::x25519::Recipient,
    signing: SigningKey,
    public: PublicKey,
}

async fn keys(
    store: &dyn Store,
    productions: &Productions,
    current: &StoredRequest,
) -> Result<Keys, ApiError> {
    let recipients = crate::keys::recipients(store, &current.authority).await?;
    let Some(recipient) = recipients.last() else {
        return Err(ApiError::conflict(format!(
            "{} has registered no age recipient to encrypt productions to: its operator registers one \
             (`comity authority recipient add`, or POST /v1/admin/authorities/{}/recipients)",
            current.authority, current.authority
        )));
    };
    let recipient = comity_seal::parse_recipient(&recipient.key).map_err(|e| ApiError::internal(&e))?;
    let registered = crate::keys::production_keys(store, &current.provider).await?;
    let Some((registered, public)) = registered.last() else {
        return Err(ApiError::conflict(format!(
            "{} has no production key to sign packages with: make one with `comity provider key generate --provider {}`",
            current.provider, current.provider
        )));
    };
    let path = productions.key_path(&current.provider);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        ApiError::conflict(format!(
            "the private half of {}'s production key {} is not at {} ({e}): generate a new key on this server's data directory",
            current.provider,
            registered.key,
            path.display()
        ))
    })?;
    let signing =
        SigningKey::parse(&text).map_err(|e| ApiError::conflict(format!("{}: {e}", path.display())))?;
    if signing.public() != *public {
        return Err(ApiError::conflict(format!(
            "{} is not {}'s registered production key {}: generate a new key",
            path.display(),
            current.provider,
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

fn fact(
    kind: &str,
    actor: &ActorId,
    current: &StoredRequest,
    production: &str,
    content: String,
) -> JournalEntry {
    JournalEntry {
        seq: 0,
        at: Utc::now().trunc_subsecs(6),
        kind: kind.to_owned(),
        actor: actor.clone(),
        party: Some(current.provider.clone()),
        subject: production.to_owned(),
        request_id: Some(current.id),
        content,
        log_index: None,
    }
}

/// An export's problems as the API's 422: each bad line a detail.
fn export_error(e: ExportError) -> ApiError {
    match e {
        ExportError::Io(e) => ApiError::internal(&e),
        ExportError::Empty => ApiError::invalid_field("invalid_export", "export", e.to_string()),
        ExportError::Records { ref problems, total } => {
            let details = problems
                .iter()
                .map(|(line, why)| comity_wire::Problem {
                    path: format!("line {line}"),
                    message: why.clone(),
                })
                .collect();
            let more = if total as usize > problems.len() {
                format!(" ({total} lines in all)")
            } else {
                String::new()
            };
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_export",
                format!("the export has lines that are not records{more}; fix them and produce again (docs/export-format.md)"),
            )
            .with_details(details)
        }
    }
}

/// Runs a production of `export` for the request `id`, by `actor`, and returns it sealed.
/// The caller has checked that `actor` may execute the request.
pub async fn produce(
    store: &dyn Store,
    productions: &Productions,
    id: RequestId,
    actor: &ActorId,
    export: &Path,
    options: Options,
    progress: Progress,
) -> Result<ProductionResource, ApiError> {
    let current =
        store.request(id).await?.ok_or_else(|| ApiError::not_found(format!("no request with id {id}")))?;
    check_producible(&current)?;
    let keep_until = match options.retention_until {
        // The end of that day, in UTC.
        RetentionUntil::Date(day) => day.and_hms_opt(23, 59, 59).map(|t| t.and_utc()),
        RetentionUntil::Time(t) => Some(t),
    };
    if keep_until.is_none_or(|t| t <= Utc::now()) {
        return Err(ApiError::invalid_field(
            "invalid_retention",
            "retention_until",
            "is not in the future: the authority must be able to keep the data until then",
        ));
    }
    let basis = basis(store, &current).await?;
    let keys = keys(store, productions, &current).await?;
    let provisions = provisions(store, id).await?;
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
    let started = journal::ProductionStarted {
        production: production.clone(),
        request: id.to_string(),
        decision: basis.decision.seq,
        export_sha256: hex(&survey.sha256),
        export_bytes: survey.bytes,
        records: survey.records,
        in_scope: survey.in_scope,
        retention_until: options.retention_until.to_string(),
    };
    let started = fact(journal::PRODUCTION_STARTED, actor, &current, &production, journal::content(&started));
    if current.state == State::Producing {
        store.append_journal(&[started]).await?;
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
            })
            .await?;
    }
    let logged = custody_entries(store, &production).await?;
    let log_index = logged.first().and_then(|j| j.log_index).ok_or_else(|| {
        ApiError::internal(&StoreError::Corrupt(format!("production {production} has no logged start")))
    })?;
    let created_at = logged.first().map_or_else(Utc::now, |j| j.at);

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
    let sealed = {
        let (export, scope, path, dir) = (
            export.to_owned(),
            basis.scope.clone(),
            productions.package_path(&production),
            productions.packages(),
        );
        let (recipient, signing, progress) = (keys.recipient.clone(), keys.signing.clone(), progress.clone());
        let national_ids = options.national_ids;
        let survey_parties = survey.parties;
        let in_scope = survey.in_scope;
        let records_total = survey.records;
        blocking(move || {
            seal_records(SealJob {
                export,
                scope,
                parties: survey_parties,
                national_ids,
                dir,
                path,
                recipient,
                signing,
                manifest: manifest_base,
                records_total,
                in_scope,
                progress,
            })
        })
        .await?
    };
    let sealed = match sealed {
        Ok(sealed) => sealed,
        Err(e) => {
            let reason = e.to_string();
            tracing::error!(%production, "production failed: {reason}");
            let failed = journal::ProductionFailed { production: production.clone(), reason: reason.clone() };
            store
                .append_journal(&[fact(
                    journal::PRODUCTION_FAILED,
                    actor,
                    &current,
                    &production,
                    journal::content(&failed),
                )])
                .await?;
            return Err(ApiError::internal(&StoreError::Corrupt(format!(
                "sealing production {production} failed: {reason}"
            ))));
        }
    };
    let fact_sealed = journal::ProductionSealed {
        production: production.clone(),
        recipient: keys.recipient.to_string(),
        kid: keys.public.thumbprint(),
        manifest_sha256: sealed.manifest_sha256.clone(),
        package_sha256: sealed.package_sha256.clone(),
        package_bytes: sealed.package_bytes,
        redaction: Value::Object(sealed.redaction.clone()),
    };
    store
        .append_journal(&[fact(
            journal::PRODUCTION_SEALED,
            actor,
            &current,
            &production,
            journal::content(&fact_sealed),
        )])
        .await?;
    resource(store, &production).await?.ok_or_else(|| ApiError::internal(&StoreError::NotFound))
}

/// Runs blocking work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::internal(&e))
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
    dir: PathBuf,
    path: PathBuf,
    recipient: comity_seal::age::x25519::Recipient,
    signing: SigningKey,
    manifest: Manifest,
    records_total: u64,
    in_scope: u64,
    progress: Progress,
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
}

/// Pass 2 and the sealing: the redacted records to a temporary file beside the package,
/// then the package, written under a temporary name and renamed into place once whole.
fn seal_records(job: SealJob) -> Result<SealedPackage, SealFailure> {
    let targets = Targets::new(&job.scope);
    let masker = records::masker(&targets, &job.parties, job.national_ids)?;
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
    debug_assert_eq!(written.records, job.in_scope);

    let mut manifest = job.manifest;
    manifest.files = vec![FileEntry {
        name: FileName::parse(RECORDS_FILE)?,
        sha256: comity_seal::Sha256Hash::from(written.sha256),
        size: written.bytes,
    }];
    manifest.redaction = redaction.clone();

    (job.progress)(Phase::Sealing, 0);
    let package = tempfile::Builder::new().prefix(".package-").tempfile_in(&job.dir)?;
    let sealed = {
        let out = std::io::BufWriter::with_capacity(256 * 1024, package.as_file());
        comity_seal::seal(out, &[job.recipient], &job.signing, &manifest, |_| {
            std::fs::File::open(records.path())
        })?
    };
    package.as_file().sync_all()?;
    package.persist(&job.path).map_err(|e| e.error)?;
    Ok(SealedPackage {
        manifest_sha256: sealed.manifest_sha256().to_string(),
        package_sha256: sealed.package_sha256().to_string(),
        package_bytes: sealed.package_size(),
        redaction,
    })
}

/// A production's journal entries, oldest first.
async fn custody_entries(store: &dyn Store, production: &str) -> Result<Vec<JournalEntry>, ApiError> {
    Ok(store.journal(&JournalQuery::kinds(journal::PRODUCTION_KINDS).subject(production)).await?)
}

/// A production as the API shows it, from its journal entries; `None` if there is none.
pub async fn resource(store: &dyn Store, production: &str) -> Result<Option<ProductionResource>, ApiError> {
    let entries = custody_entries(store, production).await?;
    Ok(fold(&entries))
}

/// Every production of a request, oldest first.
pub async fn of_request(store: &dyn Store, id: RequestId) -> Result<Vec<ProductionResource>, ApiError> {
    let entries = store.journal(&JournalQuery::kinds(journal::PRODUCTION_KINDS).request(id)).await?;
    let mut ids: Vec<&str> = Vec::new();
    for e in &entries {
        if !ids.contains(&e.subject.as_str()) {
            ids.push(&e.subject);
        }
    }
    Ok(ids
        .into_iter()
        .filter_map(|p| fold(&entries.iter().filter(|e| e.subject == p).cloned().collect::<Vec<_>>()))
        .collect())
}

/// Folds one production's entries into what the API shows.
fn fold(entries: &[JournalEntry]) -> Option<ProductionResource> {
    let first = entries.first()?;
    let started: journal::ProductionStarted = journal::read(&first.content).ok()?;
    let mut p = ProductionResource {
        id: started.production,
        request: started.request,
        status: "started".into(),
        started_at: first.at,
        log_index: first.log_index,
        records: started.records,
        in_scope: started.in_scope,
        retention_until: started.retention_until,
        package: None,
        failure: None,
        custody: Vec::new(),
    };
    for e in entries {
        p.custody.push(CustodyEntry {
            kind: e.kind.clone(),
            actor: e.actor.to_string(),
            at: e.at,
            log_index: e.log_index,
        });
        match e.kind.as_str() {
            journal::PRODUCTION_SEALED => {
                if let Ok(s) = journal::read::<journal::ProductionSealed>(&e.content) {
                    p.status = "sealed".into();
                    p.package = Some(PackageResource {
                        sha256: s.package_sha256,
                        bytes: s.package_bytes,
                        manifest_sha256: s.manifest_sha256,
                        recipient: s.recipient,
                        kid: s.kid,
                        redaction: s.redaction,
                    });
                }
            }
            journal::PRODUCTION_FAILED => {
                p.status = "failed".into();
                p.failure = journal::read::<journal::ProductionFailed>(&e.content).ok().map(|f| f.reason);
            }
            journal::PRODUCTION_ACKNOWLEDGED => p.status = "acknowledged".into(),
            _ => {}
        }
    }
    Some(p)
}
