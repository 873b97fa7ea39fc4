//! `comity log verify --data-dir`: checks a store against its own audit log.
//!
//! Written once over the [`Store`] trait, so it checks SQLite and PostgreSQL alike. It
//! recomputes the tree from the stored entries and compares every stored hash; checks
//! every entry's commitment against the row it names (event, screening, party,
//! checkpoint, journal fact); checks every stored checkpoint's signature and root, and
//! that none signs more entries than are stored (a log cut short); and checks that every
//! row has an entry.
//!
//! The log vouches for every column the server acts on (issue 11): what a row keeps
//! beside what its entry commits to must follow from it. A request's parties,
//! instrument, kind, emergency flag and reference are read again from the document its
//! receipt commits to, and its state and version from its events; a journal row's party,
//! subject and request from its fact; an account's and a token's organisation, role,
//! expiry and whether it is disabled or revoked from their facts. The first discrepancy
//! is named, with the row, and ends the check: after one, nothing later can be trusted.

use std::collections::{HashMap, HashSet};

use comity_core::{
    AtRest, Event, Fact, FactKind, JournalEntry, JournalQuery, LogRecord, LogSubject, Party, RequestId,
    RequestQuery, Screening, Store, StoreError, StoredCheckpoint, StoredRequest,
};
use comity_log::{Entry, Frontier, RequestTag, Salt, Version, commit, commit_as, verify_checkpoint};

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
    /// Requests, accounts and API tokens whose columns were checked against the log.
    pub requests: u64,
    pub accounts: u64,
    pub tokens: u64,
    /// Requests whose documents were crypto-shredded as the log records (issue 15): their
    /// sealed rows are as they were when the key was destroyed, and the entries that
    /// committed to the documents are checked for everything but the documents.
    pub shredded: u64,
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
    /// The salt its v2 entries' tags are made with.
    log_salt: [u8; 32],
    /// Every version of its document, by the event that brought it (issue 13).
    documents: Vec<comity_core::StoredDocument>,
    events: Vec<Event>,
    screenings: Vec<Screening>,
    /// Its documents' key was destroyed, as a `documents.shredded` fact records.
    shredded: bool,
}

/// Checks the store against its log and its checkpoints against `verifier_key`;
/// `progress` is told (entries checked, entries in all) after each batch.
pub async fn verify_store(
    store: &dyn Store,
    verifier_key: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<Verified, VerifyError> {
    // The rows as the database holds them now, not as this process last read them: an
    // edit made outside comity changes no register's version.
    store.forget_registers();
    // The size first: every checkpoint and row read after it that the log does not yet
    // reach is newer than this check, and left for the next one.
    let size = store.log_size().await?;
    let mut checkpoints: HashMap<u64, StoredCheckpoint> = HashMap::new();
    let mut after = 0;
    loop {
        let page = store.checkpoints(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for c in page {
            if c.size <= size {
                checkpoints.insert(c.seq, c);
            } else {
                check_not_truncated(store, &c).await?;
            }
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
    let mut visited: HashSet<RequestId> = HashSet::new();
    // A request whose state does not follow from its events is reported after the walk:
    // an event deleted is then named by its own entry first.
    let mut deferred: Option<VerifyError> = None;
    // The journal holds the trust registers' facts: few, so read once, when first needed.
    let mut journal: Option<HashMap<u64, JournalEntry>> = None;
    let mut checkpoint_entries = 0u64;
    // The first `comity-log-entry/v2` entry: comity writes no v1 entry after it.
    let mut first_v2: Option<u64> = None;
    while frontier.size() < size {
        let mut records = store.log_records(frontier.size(), BATCH).await?;
        // Entries appended since the size was read (a running server's, such as a
        // checkpoint signed meanwhile) are newer than this check, like the checkpoints
        // left out above: left for the next one.
        records.retain(|r| r.index < size);
        if records.is_empty() {
            return Err(discrepancy(format!(
                "the log is truncated: it should hold {size} entries, but the store holds only {}: the \
                 newest entries were deleted, or the database was restored from an older copy",
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
            if record.entry.starts_with(comity_log::ENTRY_HEADER.as_bytes()) {
                first_v2.get_or_insert(record.index);
            } else if let Some(v2) = first_v2 {
                return Err(discrepancy(format!(
                    "entry {} is not a comity-log-entry/v2 entry, but entry {v2} already was: comity has \
                     written only v2 entries since, so it was added or changed behind comity's back",
                    record.index
                )));
            }
            let mut reading = Reading {
                rows: &mut rows,
                visited: &mut visited,
                journal: &mut journal,
                deferred: &mut deferred,
            };
            check_subject(store, record, &mut reading, &checkpoints, &mut done).await?;
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
            done.shredded += rows.values().filter(|r| r.shredded).count() as u64;
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
    if let Some(e) = deferred {
        return Err(e);
    }
    done.requests = visited.len() as u64;
    done.shredded += rows.values().filter(|r| r.shredded).count() as u64;
    check_every_request_is_logged(store, &visited, size).await?;
    (done.accounts, done.tokens) = check_accounts(store).await?;
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

/// What the walk over the entries has read of the rows so far.
struct Reading<'a> {
    rows: &'a mut HashMap<RequestId, RequestRows>,
    /// Every request met, so one no entry names is found at the end.
    visited: &'a mut HashSet<RequestId>,
    /// The journal holds the trust registers' facts: few, so read once, when first needed.
    journal: &'a mut Option<HashMap<u64, JournalEntry>>,
    /// The first request whose state does not follow from its events.
    deferred: &'a mut Option<VerifyError>,
}

/// Checks that the entry commits to its row, and names the row in its fields.
async fn check_subject(
    store: &dyn Store,
    record: &LogRecord,
    reading: &mut Reading<'_>,
    checkpoints: &HashMap<u64, StoredCheckpoint>,
    done: &mut Verified,
) -> Result<(), VerifyError> {
    let Reading { rows, visited, journal, deferred } = reading;
    let index = record.index;
    let entry = Entry::from_bytes(&record.entry)
        .map_err(|e| discrepancy(format!("entry {index} is not a comity log entry: {e}")))?;
    let salt = Salt(record.salt);
    // Who acted, as the entry has it: named in a v1 entry, kept beside a v2 one (whose
    // commitment covers it, so the column cannot change unnoticed).
    let entry_actor = match (entry.version(), entry.actor(), &record.actor) {
        (Version::V1, Some(actor), None) => actor.to_owned(),
        (Version::V2, None, Some(actor)) => actor.as_str().to_owned(),
        _ => {
            return Err(discrepancy(format!(
                "entry {index}: its actor column does not fit a {:?} entry: the row was changed",
                entry.version()
            )));
        }
    };
    let mut opaque = false;
    // A kind an older comity wrote for the same fact (`JournalEntry::legacy_log_kind`).
    let mut legacy_kind = None;
    let (what, content, kind, request, actor, at) = match &record.subject {
        LogSubject::Event { request_id, seq } => {
            let r = request_rows(store, rows, visited, deferred, *request_id, index).await?;
            let e = r.events.iter().find(|e| e.seq == *seq).ok_or_else(|| {
                discrepancy(format!(
                    "entry {index} records event {seq} of request {request_id}, which is not stored"
                ))
            })?;
            done.events += 1;
            // The receipt, and each answer to a clarification that brought an amended
            // document, commit to that document and its signature.
            let submission = r
                .documents
                .iter()
                .find(|d| d.seq == e.seq)
                .map(|d| Submission { document: d.document.as_str(), signature: d.signature.as_deref() });
            // A shredded document is gone: its entry committed to it, and nothing can
            // recompute that commitment now. The rest of the entry is still checked.
            opaque = r.shredded && submission.is_some();
            (
                format!("event {seq} of request {request_id}"),
                event_content(e, submission),
                format!("lifecycle.{}", e.to.as_str()),
                Some(*request_id),
                e.actor.as_str().to_owned(),
                e.at,
            )
        }
        LogSubject::Screening { request_id, seq } => {
            let r = request_rows(store, rows, visited, deferred, *request_id, index).await?;
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
                Some(*request_id),
                comity_core::ActorId::system().as_str().to_owned(),
                s.at,
            )
        }
        LogSubject::Party(id) => {
            let current: Party = store.party(id).await?.ok_or_else(|| {
                discrepancy(format!("entry {index} records party {id}, which is not stored"))
            })?;
            let p = as_registered(store, current).await?;
            done.parties += 1;
            (
                format!("party {id}"),
                party_content(&p),
                format!("party.{}", crate::rows::role_column(p.role())),
                None,
                comity_core::ActorId::system().as_str().to_owned(),
                entry.time(),
            )
        }
        LogSubject::Read { request_id, what } => {
            done.reads += 1;
            let actor = comity_core::ActorId::parse(&entry_actor)
                .map_err(|e| discrepancy(format!("entry {index}: {e}")))?;
            // A read has no row but its entry; its request must still be stored.
            request_rows(store, rows, visited, deferred, *request_id, index).await?;
            let read = comity_core::Read { request_id: *request_id, what: *what, actor, at: entry.time() };
            (
                format!("read of request {request_id}"),
                read_content(&read),
                format!("read.{}", what.as_str()),
                Some(*request_id),
                entry_actor.clone(),
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
                comity_core::ActorId::system().as_str().to_owned(),
                entry.time(),
            )
        }
        LogSubject::Journal { seq } => {
            if journal.is_none() {
                let all = store.journal(&JournalQuery::default()).await?;
                **journal = Some(all.into_iter().map(|j| (j.seq, j)).collect());
            }
            let j = journal.as_ref().and_then(|all| all.get(seq)).ok_or_else(|| {
                discrepancy(format!("entry {index} records journal entry {seq}, which is not stored"))
            })?;
            done.journal += 1;
            legacy_kind = j.legacy_log_kind();
            (
                format!("journal entry {seq} ({})", j.kind()),
                j.content.clone().into_bytes(),
                j.log_kind().into_owned(),
                j.request_id,
                j.actor.as_str().to_owned(),
                j.at,
            )
        }
    };
    let (commitment, named) = match entry.version() {
        Version::V1 => (commit(&salt, &content), request.map(|r| r.to_string())),
        Version::V2 => {
            // The request by its tag, under the salt kept with it.
            let named = match request {
                Some(id) => {
                    let r = request_rows(store, rows, visited, deferred, id, index).await?;
                    Some(RequestTag::new(&Salt(r.log_salt), &id.to_string()).to_string())
                }
                None => None,
            };
            let commitment = commit_as(&salt, &actor, &content)
                .map_err(|e| discrepancy(format!("entry {index}: the stored {what}'s actor: {e}")))?;
            (commitment, named)
        }
    };
    if commitment != *entry.commitment() && !opaque {
        return Err(discrepancy(format!(
            "entry {index} does not commit to the stored {what}: the row, the entry or its salt was changed"
        )));
    }
    if (entry.kind() != kind && Some(entry.kind()) != legacy_kind)
        || entry.request() != named.as_deref()
        || entry_actor != actor
        || entry.time() != at
    {
        return Err(discrepancy(format!(
            "entry {index} does not describe the stored {what} (kind, request, actor or time differ; a \
             request's log salt changed tags it otherwise)"
        )));
    }
    // The fact is the one committed to; now the row's columns must follow from it.
    if let LogSubject::Journal { seq } = &record.subject
        && let Some(j) = journal.as_ref().and_then(|all| all.get(seq))
    {
        check_journal_columns(j)?;
    }
    Ok(())
}

async fn request_rows<'a>(
    store: &dyn Store,
    rows: &'a mut HashMap<RequestId, RequestRows>,
    visited: &mut HashSet<RequestId>,
    deferred: &mut Option<VerifyError>,
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
            let documents = store.documents(id).await?;
            let shredded = check_at_rest(store, id).await?;
            if visited.insert(id) {
                // The request's document is the latest its events brought, each committed in
                // the log (the entry walk checks those).
                let latest = documents.last().ok_or_else(|| {
                    discrepancy(format!(
                        "request {id} keeps no document its receipt brought: a row was removed"
                    ))
                })?;
                if latest.document != request.document || latest.signature != request.signature {
                    return Err(discrepancy(format!(
                        "request {id}: its document is not the latest one its events brought (event {}): the \
                         row was changed outside comity",
                        latest.seq
                    )));
                }
                if !shredded {
                    check_request_columns(&request)?;
                }
                if deferred.is_none() {
                    *deferred = check_request_state(&request, &events).err();
                }
            }
            Ok(slot.insert(RequestRows {
                log_salt: request.log_salt,
                documents,
                events,
                screenings,
                shredded,
            }))
        }
    }
}

/// Whether a request's documents were shredded as the log records (issue 15). A key gone
/// without a `documents.shredded` fact was deleted behind comity's back; sealed rows that
/// are no longer those the fact recorded were changed after the shredding.
async fn check_at_rest(store: &dyn Store, id: RequestId) -> Result<bool, VerifyError> {
    let digest = match store.at_rest(id).await? {
        AtRest::Shredded { digest } => digest,
        AtRest::Clear | AtRest::Sealed { .. } => return Ok(false),
    };
    let facts = store.journal(&JournalQuery::kinds(&[FactKind::DocumentsShredded]).request(id)).await?;
    let recorded = facts.iter().find_map(|j| match &j.fact {
        Fact::DocumentsShredded(d) if d.request == id => Some((j.seq, j.at, d.digest.as_str())),
        _ => None,
    });
    match recorded {
        None => Err(discrepancy(format!(
            "request {id}: its documents' key is gone, but the log records no shredding: the key was \
             deleted outside comity"
        ))),
        Some((seq, at, logged)) if logged != digest => Err(discrepancy(format!(
            "request {id}: its documents were shredded on {} as the log records (journal entry {seq}), but \
             their sealed rows have changed since: a row of requests or documents was changed outside comity",
            at.to_rfc3339()
        ))),
        Some(_) => Ok(true),
    }
}

/// A checkpoint that signs more entries than the store holds: unless the log grew since
/// its size was read, the newest entries are gone.
async fn check_not_truncated(store: &dyn Store, c: &StoredCheckpoint) -> Result<(), VerifyError> {
    let now = store.log_size().await?;
    if c.size > now {
        return Err(discrepancy(format!(
            "the log is truncated: checkpoint {} signs {} entries, but the store holds {now}: the newest \
             entries were deleted, or the database was restored from an older copy",
            c.seq, c.size
        )));
    }
    Ok(())
}

/// The discrepancy of a request row whose `column` says `stored` where its log says
/// `logged`.
fn changed(
    r: &StoredRequest,
    column: &str,
    stored: &dyn std::fmt::Display,
    logged: &dyn std::fmt::Display,
) -> VerifyError {
    discrepancy(format!(
        "request {}: its {column} column says {stored}, but its log says {logged}: the row was changed \
         outside comity",
        r.id
    ))
}

/// A request's state, version and last change against its events (each of which the
/// entry walk checks against its own entry).
fn check_request_state(r: &StoredRequest, events: &[Event]) -> Result<(), VerifyError> {
    let row = |column: &str, stored: &dyn std::fmt::Display, logged: &dyn std::fmt::Display| {
        changed(r, column, stored, logged)
    };
    let Some(last) = events.last() else {
        return Err(discrepancy(format!("request {} has no event: it was added outside comity", r.id)));
    };
    if r.state != last.to {
        return Err(row("state", &r.state, &last.to));
    }
    if usize::try_from(r.version).ok() != Some(events.len()) {
        return Err(row("version", &r.version, &events.len()));
    }
    if r.updated_at != last.at {
        return Err(row("updated_at", &r.updated_at, &last.at));
    }
    Ok(())
}

/// A request's parties, instrument, kind, emergency flag and reference against the
/// document its receipt commits to (the entry walk checks that commitment). Every access
/// decision on a request reads these columns.
fn check_request_columns(r: &StoredRequest) -> Result<(), VerifyError> {
    let (_, request) = comity_wire::parse_request(r.document.as_bytes()).map_err(|e| {
        discrepancy(format!("request {}: the document its receipt commits to no longer reads: {e}", r.id))
    })?;
    let validator =
        |v: Option<&comity_core::PartyId>| v.map_or_else(|| "none".to_owned(), ToString::to_string);
    let logged_validator = request.issuing.validated_by.as_ref().map(|v| &v.authority);
    let checks: [(&str, String, String); 7] = [
        ("authority", r.authority.to_string(), request.issuing.authority.to_string()),
        ("provider", r.provider.to_string(), request.addressee.provider.to_string()),
        ("validator", validator(r.validator.as_ref()), validator(logged_validator)),
        ("instrument", r.instrument.to_string(), request.instrument.to_string()),
        ("kind", r.kind.to_string(), request.kind.to_string()),
        ("emergency", r.emergency.to_string(), request.emergency.to_string()),
        ("reference", r.reference.clone(), request.issuing.reference.clone()),
    ];
    for (column, stored, logged) in checks {
        if stored != logged {
            return Err(changed(r, column, &stored, &logged));
        }
    }
    Ok(())
}

/// The party as registered: its row walked back through its `party.updated` facts, newest
/// first (issue 16, item 7). Each must find the row as it left it, so a row changed
/// without its fact, or a fact that did not change the row, is a discrepancy; what is left
/// is then held to the registration's entry like any row.
async fn as_registered(store: &dyn Store, current: Party) -> Result<Party, VerifyError> {
    let id = current.id().clone();
    let updates = store.journal(&JournalQuery::kinds(&[FactKind::PartyUpdated]).party(&id)).await?;
    let mut party = current;
    for j in updates.iter().rev() {
        let Fact::PartyUpdated(u) = &j.fact else { continue };
        party = u.undo(&party).map_err(|e| {
            discrepancy(format!(
                "party {id}: its row does not follow from journal entry {} ({}): {e}",
                j.seq,
                j.kind()
            ))
        })?;
    }
    Ok(party)
}

/// A journal row's party, subject and request against its fact (the entry walk checks
/// that the fact is what its entry commits to): queries find facts by these columns.
fn check_journal_columns(j: &JournalEntry) -> Result<(), VerifyError> {
    let columns = j.fact.columns();
    let row = |column: &str, stored: String, logged: String| {
        discrepancy(format!(
            "journal entry {} ({}): its {column} column says {stored}, but its fact says {logged}: the row \
             was changed outside comity",
            j.seq,
            j.kind()
        ))
    };
    let show = |v: Option<String>| v.unwrap_or_else(|| "none".to_owned());
    if let Some(party) = columns.party.as_ref().map(ToString::to_string).or_else(|| {
        // A refusal names a party only if its claimed issuer is one.
        matches!(j.fact, Fact::AuthRefused(_)).then(String::new)
    }) {
        let stored = j.party.as_ref().map_or_else(String::new, ToString::to_string);
        if stored != party {
            return Err(row(
                "party",
                show(j.party.as_ref().map(ToString::to_string)),
                show(columns.party.map(|p| p.to_string())),
            ));
        }
    }
    if let Some(subject) = &columns.subject
        && &j.subject != subject
    {
        return Err(row("subject", j.subject.clone(), subject.clone()));
    }
    if let Some(request) = columns.request
        && j.request_id != Some(request)
    {
        return Err(row("request_id", show(j.request_id.map(|r| r.to_string())), request.to_string()));
    }
    Ok(())
}

/// Every request the walk did not meet must be newer than the check (its entries beyond
/// the size it began with); one with no entry at all was added outside comity.
async fn check_every_request_is_logged(
    store: &dyn Store,
    visited: &HashSet<RequestId>,
    size: u64,
) -> Result<(), VerifyError> {
    let mut page = 1;
    loop {
        let listed = store.list_requests(&RequestQuery::every(page, 1000)).await?;
        for r in listed.items.iter().filter(|r| !visited.contains(&r.id)) {
            let entries = store.request_log(r.id).await?;
            if entries.iter().all(|e| e.index < size) {
                return Err(discrepancy(format!(
                    "request {} has no entry in the log: it was added outside comity",
                    r.id
                )));
            }
        }
        if u64::from(page) * 1000 >= listed.total {
            return Ok(());
        }
        page += 1;
    }
}

/// Accounts and API tokens against their facts: the organisation and role a credential
/// acts with, when it expires, whether it is disabled or revoked. Returns how many of
/// each were checked.
///
/// The rows are read before the journal: a row and its fact commit together, so every row
/// read has its fact by then. A running server may disable or revoke between the two
/// reads; a difference is read again once before it is reported.
async fn check_accounts(store: &dyn Store) -> Result<(u64, u64), VerifyError> {
    match accounts_against_facts(store).await {
        Ok(counts) => Ok(counts),
        Err(VerifyError::Discrepancy(_)) => accounts_against_facts(store).await,
        Err(e) => Err(e),
    }
}

async fn accounts_against_facts(store: &dyn Store) -> Result<(u64, u64), VerifyError> {
    let users = store.users().await?;
    let tokens = store.tokens().await?;
    let journal = store.journal(&JournalQuery::default()).await?;
    let mut added = HashMap::new();
    let mut disabled = HashSet::new();
    let mut created = HashMap::new();
    let mut revoked = HashSet::new();
    for j in &journal {
        match &j.fact {
            Fact::UserAdded(u) => {
                added.insert(u.username.clone(), u);
            }
            Fact::UserDisabled(u) => {
                disabled.insert(u.username.clone());
            }
            Fact::TokenCreated(t) => {
                created.insert(t.id.clone(), t);
            }
            Fact::TokenRevoked(t) => {
                revoked.insert(t.id.clone());
            }
            _ => {}
        }
    }
    for u in &users {
        let row = |what: &str| {
            discrepancy(format!(
                "account {}: {what}: the row was changed or added outside comity",
                u.username
            ))
        };
        let Some(fact) = added.get(&u.username) else { return Err(row("no user.added fact records it")) };
        if fact.org != u.org || fact.role != u.role {
            return Err(row(&format!(
                "its row says {} of {}, but its user.added fact says {} of {}",
                u.role, u.org, fact.role, fact.org
            )));
        }
        if u.disabled_at.is_some() != disabled.contains(&u.username) {
            return Err(row("whether it is disabled differs from its user.disabled facts"));
        }
    }
    for t in &tokens {
        let row = |what: &str| {
            discrepancy(format!("API token {}: {what}: the row was changed or added outside comity", t.id))
        };
        let Some(fact) = created.get(&t.id) else { return Err(row("no token.created fact records it")) };
        if fact.org != t.org || fact.role != t.role {
            return Err(row(&format!(
                "its row says {} of {}, but its token.created fact says {} of {}",
                t.role, t.org, fact.role, fact.org
            )));
        }
        if fact.expires_at != t.expires_at {
            return Err(row(&format!(
                "its row expires at {}, but its token.created fact says {}",
                t.expires_at, fact.expires_at
            )));
        }
        if t.revoked_at.is_some() != revoked.contains(&t.id) {
            return Err(row("whether it is revoked differs from its token.revoked facts"));
        }
    }
    Ok((users.len() as u64, tokens.len() as u64))
}
