//! `comity log verify --data-dir`: checks a store against its own audit log.
//!
//! Written once over the [`Store`] trait, so it checks SQLite and PostgreSQL alike. It
//! recomputes the tree from the stored entries and compares every stored hash; checks
//! every entry's commitment against the row it names (event, screening, party,
//! checkpoint); checks every stored checkpoint's signature and root; and checks that
//! every row has an entry. The first discrepancy is named and ends the check: after one,
//! nothing later can be trusted anyway.

use std::collections::HashMap;

use comity_core::{
    Event, JournalEntry, JournalQuery, LogRecord, LogSubject, Party, RequestId, Screening, Store, StoreError,
    StoredCheckpoint,
};
use comity_log::{Entry, Frontier, commit, verify_checkpoint};

use crate::log::{
    Submission, checkpoint_content, event_content, party_content, read_content, screening_content,
};

/// Entries read per query.
const BATCH: u32 = 4096;

/// What a clean check covered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub events: u64,
    pub screenings: u64,
    pub parties: u64,
    pub reads: u64,
    pub checkpoints: u64,
    /// Facts of the trust registers: keys, contacts, assignments, accounts, tokens.
    pub journal: u64,
    /// The size the latest checkpoint signs; entries after it are checked but not yet
    /// signed.
    pub signed_size: u64,
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The store disagrees with its log: the first thing found.
    #[error("{0}")]
    Discrepancy(String),
    /// The store could not be read.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for VerifyError {
    /// A row that no longer parses was edited outside comity: a discrepancy, named by its
    /// table, row and column.
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt(message) => VerifyError::Discrepancy(message),
            other => VerifyError::Store(other),
        }
    }
}

fn discrepancy(message: impl Into<String>) -> VerifyError {
    VerifyError::Discrepancy(message.into())
}

/// Rows of one request, read once for all its entries.
struct RequestRows {
    document: String,
    signature: Option<String>,
    events: Vec<Event>,
    screenings: Vec<Screening>,
}

/// Checks the store against its log and its checkpoints against `verifier_key`;
/// `progress` is told (entries checked, entries in all) after each batch.
pub async fn verify_store(
    store: &dyn Store,
    verifier_key: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<Verified, VerifyError> {
    // The size first: every checkpoint and row read after it that the log does not yet
    // reach is newer than this check, and left for the next one.
    let size = store.log_size().await?;
    let mut checkpoints: HashMap<u64, StoredCheckpoint> = HashMap::new();
    let mut after = 0;
    loop {
        let page = store.checkpoints(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for c in page.into_iter().filter(|c| c.size <= size) {
            checkpoints.insert(c.seq, c);
        }
    }
    let mut signed_at: HashMap<u64, u64> = HashMap::new();
    for c in checkpoints.values() {
        if signed_at.insert(c.size, c.seq).is_some() {
            return Err(discrepancy(format!("two checkpoints sign the same size {}", c.size)));
        }
    }

    let mut done = Verified::default();
    let mut frontier = Frontier::new();
    let mut rows: HashMap<RequestId, RequestRows> = HashMap::new();
    // The journal holds the trust registers' facts: few, so read once, when first needed.
    let mut journal: Option<HashMap<u64, JournalEntry>> = None;
    let mut checkpoint_entries = 0u64;
    while frontier.size() < size {
        let records = store.log_records(frontier.size(), BATCH).await?;
        if records.is_empty() {
            return Err(discrepancy(format!(
                "the log should hold {size} entries but entry {} is missing",
                frontier.size()
            )));
        }
        let mut appended = Vec::with_capacity(records.len());
        for record in &records {
            if record.index != frontier.size() {
                return Err(discrepancy(format!(
                    "entry {} is missing: the next stored entry is {}",
                    frontier.size(),
                    record.index
                )));
            }
            check_subject(store, record, &mut rows, &mut journal, &checkpoints, &mut done).await?;
            if let LogSubject::Checkpoint { .. } = record.subject {
                checkpoint_entries += 1;
            }
            appended.push(frontier.append(&record.entry));
            if let Some(seq) = signed_at.get(&frontier.size()) {
                check_checkpoint(&checkpoints[seq], verifier_key, &frontier)?;
            }
        }
        // Every stored hash must be the one the entries give.
        let indexes: Vec<u64> = appended.iter().flat_map(|a| (a.first..).take(a.hashes.len())).collect();
        let stored = match store.log_hashes(&indexes).await {
            Ok(stored) => stored,
            Err(StoreError::NotFound) => {
                return Err(discrepancy(format!(
                    "log_hashes lacks hashes of entries {}..{}: a stored hash was deleted",
                    appended[0].index,
                    frontier.size()
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let recomputed = appended.iter().flat_map(|a| a.hashes.iter().map(|h| h.0));
        for ((index, stored), recomputed) in indexes.iter().zip(&stored).zip(recomputed) {
            if *stored != recomputed {
                return Err(discrepancy(format!(
                    "stored hash {index} differs from the one recomputed from the entries: an entry or a hash was changed"
                )));
            }
        }
        // Requests whose entries are all behind us need not stay in memory.
        if rows.len() > 10_000 {
            rows.clear();
        }
        done.entries = frontier.size();
        progress(done.entries, size);
    }

    if let Some(max) = signed_at.keys().max() {
        if *max > size {
            return Err(discrepancy(format!("a checkpoint signs {max} entries but the log holds {size}")));
        }
        done.signed_size = *max;
    }
    done.checkpoints = checkpoints.len() as u64;
    if checkpoint_entries != done.checkpoints {
        return Err(discrepancy(format!(
            "the log records {checkpoint_entries} checkpoints but {} are stored: a checkpoint was deleted or added",
            done.checkpoints
        )));
    }
    // Each write commits with its entries, so a row without one was added behind
    // comity's back; this holds whatever was written since the check began.
    let unlogged = store.unlogged_rows().await?;
    for (what, n) in [
        ("events", unlogged.events),
        ("screenings", unlogged.screenings),
        ("parties", unlogged.parties),
        ("journal entries", unlogged.journal),
    ] {
        if n > 0 {
            return Err(discrepancy(format!(
                "{n} {what} have no entry in the log: a row was added outside comity"
            )));
        }
    }
    Ok(done)
}

fn check_checkpoint(c: &StoredCheckpoint, key: &str, frontier: &Frontier) -> Result<(), VerifyError> {
    let body = verify_checkpoint(&c.note, key)
        .map_err(|e| discrepancy(format!("checkpoint {} (size {}): {e}", c.seq, c.size)))?;
    if body.size() != c.size {
        return Err(discrepancy(format!(
            "checkpoint {} is stored as size {} but its note signs {}",
            c.seq,
            c.size,
            body.size()
        )));
    }
    if *body.hash() != frontier.root() {
        return Err(discrepancy(format!(
            "checkpoint {} signs a root the entries do not give for size {}: the log was rewritten",
            c.seq, c.size
        )));
    }
    Ok(())
}

/// Checks that the entry commits to its row, and names the row in its fields.
async fn check_subject(
    store: &dyn Store,
    record: &LogRecord,
    rows: &mut HashMap<RequestId, RequestRows>,
    journal: &mut Option<HashMap<u64, JournalEntry>>,
    checkpoints: &HashMap<u64, StoredCheckpoint>,
    done: &mut Verified,
) -> Result<(), VerifyError> {
    let index = record.index;
    let entry = Entry::from_bytes(&record.entry)
        .map_err(|e| discrepancy(format!("entry {index} is not a comity log entry: {e}")))?;
    let salt = comity_log::Salt(record.salt);
    let (what, content, kind, request, actor, at) = match &record.subject {
        LogSubject::Event { request_id, seq } => {
            let r = request_rows(store, rows, *request_id, index).await?;
            let e = r.events.iter().find(|e| e.seq == *seq).ok_or_else(|| {
                discrepancy(format!(
                    "entry {index} records event {seq} of request {request_id}, which is not stored"
                ))
            })?;
            done.events += 1;
            let submission = (e.seq == 1)
                .then_some(Submission { document: r.document.as_str(), signature: r.signature.as_deref() });
            (
                format!("event {seq} of request {request_id}"),
                event_content(e, submission),
                format!("lifecycle.{}", e.to.as_str()),
                Some(request_id.to_string()),
                e.actor.as_str().to_owned(),
                e.at,
            )
        }
        LogSubject::Screening { request_id, seq } => {
            let r = request_rows(store, rows, *request_id, index).await?;
            let s = r.screenings.iter().find(|s| s.log_index == Some(index)).ok_or_else(|| {
                discrepancy(format!(
                    "entry {index} records screening {seq} of request {request_id}, which is not stored"
                ))
            })?;
            done.screenings += 1;
            (
                format!("screening {seq} of request {request_id}"),
                screening_content(s, *seq),
                format!("screening.{}", s.verdict),
                Some(request_id.to_string()),
                comity_core::ActorId::system().as_str().to_owned(),
                s.at,
            )
        }
        LogSubject::Party(id) => {
            let p: Party = store.party(id).await?.ok_or_else(|| {
                discrepancy(format!("entry {index} records party {id}, which is not stored"))
            })?;
            done.parties += 1;
            (
                format!("party {id}"),
                party_content(&p),
                format!("party.{}", crate::rows::role_column(p.role())),
                None,
                entry.actor().to_owned(),
                entry.time(),
            )
        }
        LogSubject::Read { request_id, what } => {
            done.reads += 1;
            let actor = comity_core::ActorId::parse(entry.actor())
                .map_err(|e| discrepancy(format!("entry {index}: {e}")))?;
            let read = comity_core::Read { request_id: *request_id, what: *what, actor, at: entry.time() };
            (
                format!("read of request {request_id}"),
                read_content(&read),
                format!("read.{}", what.as_str()),
                Some(request_id.to_string()),
                entry.actor().to_owned(),
                entry.time(),
            )
        }
        LogSubject::Checkpoint { seq } => {
            let c = checkpoints.get(seq).ok_or_else(|| {
                discrepancy(format!(
                    "entry {index} records checkpoint {seq}, which is not stored: it was deleted"
                ))
            })?;
            if c.size != index + 1 {
                return Err(discrepancy(format!(
                    "checkpoint {seq} is stored as size {} but its entry {index} says {}",
                    c.size,
                    index + 1
                )));
            }
            (
                format!("checkpoint {seq}"),
                checkpoint_content(*seq, c.size),
                "log.checkpoint".to_owned(),
                None,
                entry.actor().to_owned(),
                entry.time(),
            )
        }
        LogSubject::Journal { seq } => {
            if journal.is_none() {
                let all = store.journal(&JournalQuery::default()).await?;
                *journal = Some(all.into_iter().map(|j| (j.seq, j)).collect());
            }
            let j = journal.as_ref().and_then(|all| all.get(seq)).ok_or_else(|| {
                discrepancy(format!("entry {index} records journal entry {seq}, which is not stored"))
            })?;
            done.journal += 1;
            (
                format!("journal entry {seq} ({})", j.kind()),
                j.content.clone().into_bytes(),
                j.kind().as_str().to_owned(),
                j.request_id.map(|r| r.to_string()),
                j.actor.as_str().to_owned(),
                j.at,
            )
        }
    };
    if commit(&salt, &content) != *entry.commitment() {
        return Err(discrepancy(format!(
            "entry {index} does not commit to the stored {what}: the row, the entry or its salt was changed"
        )));
    }
    if entry.kind() != kind
        || entry.request() != request.as_deref()
        || entry.actor() != actor
        || entry.time() != at
    {
        return Err(discrepancy(format!(
            "entry {index} does not describe the stored {what} (kind, request, actor or time differ)"
        )));
    }
    Ok(())
}

async fn request_rows<'a>(
    store: &dyn Store,
    rows: &'a mut HashMap<RequestId, RequestRows>,
    id: RequestId,
    index: u64,
) -> Result<&'a RequestRows, VerifyError> {
    match rows.entry(id) {
        std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
        std::collections::hash_map::Entry::Vacant(slot) => {
            let request = store.request(id).await?.ok_or_else(|| {
                discrepancy(format!("entry {index} names request {id}, which is not stored"))
            })?;
            let events = store.events(id).await?;
            let screenings = store.screenings(id).await?;
            Ok(slot.insert(RequestRows {
                document: request.document,
                signature: request.signature,
                events,
                screenings,
            }))
        }
    }
}
