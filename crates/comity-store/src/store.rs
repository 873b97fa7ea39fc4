//! The [`Store`](comity_core::Store) implementation, written once: `store_impl!` expands it
//! for [`SqliteStore`](crate::SqliteStore) and [`PgStore`](crate::PgStore) over what each
//! does its own way ([`Engine`]). A macro, because `Store` is another crate's trait: Rust
//! lets us implement it for our two types, but not once for every type of a trait of ours.

use std::{future::Future, ops::DerefMut};

use comity_core::StoreError;

use crate::db::{Backend, Conn};
use crate::writes::{Answer, WriteOp};

/// What a store does its own way: where reads run, and how a write is committed.
pub(crate) trait Engine: Send + Sync {
    type DB: Backend;
    /// A connection of the read pool.
    type Read: DerefMut<Target: Conn + Sized> + Send;
    /// A read transaction of the read pool, whose statements all see one snapshot; its
    /// `commit` ends it.
    type Snapshot: DerefMut<Target: Conn> + Send;

    /// A connection of the read pool.
    fn read(&self) -> impl Future<Output = Result<Self::Read, StoreError>> + Send;

    /// A read transaction of the read pool.
    fn snapshot(&self) -> impl Future<Output = Result<Self::Snapshot, StoreError>> + Send;

    /// Runs a write in its own transaction, or its own savepoint of a transaction, and
    /// answers only after that transaction has committed.
    fn submit(&self, op: WriteOp) -> impl Future<Output = Result<Answer, StoreError>> + Send;

    /// What this store keeps of the registers.
    fn registers(&self) -> &crate::registers::RegisterCache;

    /// [`Engine::submit`], and then, if the write changes a register, everything kept of
    /// the registers forgotten before the caller hears of it, whatever the outcome (a
    /// failed commit may have committed).
    fn write(&self, op: WriteOp) -> impl Future<Output = Result<Answer, StoreError>> + Send {
        let touches = op.touches_registers();
        async move {
            let answer = self.submit(op).await;
            if touches {
                self.registers().forget();
            }
            answer
        }
    }

    /// `Err` once the store is closed.
    fn check_open(&self) -> Result<(), StoreError>;

    /// The cipher of request documents at rest (issue 15), once given.
    fn cipher_slot(&self) -> &crate::at_rest::Slot;
}

/// A connection of the read pool.
pub(crate) async fn read<E: Engine>(engine: &E) -> Result<E::Read, StoreError> {
    engine.read().await
}

/// A read transaction of the read pool, whose statements all see one snapshot.
pub(crate) async fn snapshot<E: Engine>(engine: &E) -> Result<E::Snapshot, StoreError> {
    engine.snapshot().await
}

/// Reads the registers' version, and has the cache forget what is older.
pub(crate) async fn sync_registers<E: Engine>(engine: &E) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let version = crate::reads::register_version(&mut *engine.read().await?).await?;
    engine.registers().synced(version, started);
    Ok(())
}

/// A register's answer: kept, or read with `read` (and then kept), syncing first if what
/// is kept may not be used yet (see [`crate::registers`]).
pub(crate) async fn register<E, K, V, F>(
    engine: &E,
    place: crate::registers::Register<K, V>,
    key: &K,
    read: F,
) -> Result<V, StoreError>
where
    E: Engine,
    K: Eq + std::hash::Hash + Clone,
    V: Clone,
    F: AsyncFnOnce(&mut <E::Read as std::ops::Deref>::Target) -> Result<V, StoreError>,
{
    use crate::registers::Lookup;
    let generation = match engine.registers().lookup(place, key) {
        Lookup::Kept(value) => return Ok(value),
        Lookup::Read(generation) => generation,
        Lookup::Sync => {
            sync_registers(engine).await?;
            match engine.registers().lookup(place, key) {
                Lookup::Kept(value) => return Ok(value),
                Lookup::Read(generation) => generation,
                // Synced a moment ago; only another forgetting between can bring this.
                Lookup::Sync => return read(&mut *engine.read().await?).await,
            }
        }
    };
    let value = read(&mut *engine.read().await?).await?;
    engine.registers().keep(place, generation, key.clone(), value.clone());
    Ok(value)
}

/// `impl Store for $store`, for a type that implements [`Engine`].
macro_rules! store_impl {
    ($store:ty) => {
        // An anonymous constant, so that the imports stay inside the expansion.
        const _: () = {
            use chrono::{DateTime, Utc};
            use comity_core::{
                Act, Amendment, AuthorityRecord, CheckpointSigner, Clock, ClockSet, Event, IdempotencyKey,
                InboxKey, InboxPage, Intake, JournalEntry, JournalQuery, LinkRecord, LogRecord, LoginSlot,
                Move, NamedTarget, NewEntry, NewNotice, NewRequest, Notice, NoticeOutcome, NoticeQuery,
                Party, PartyId, PartyRole, Read, RequestId, RequestPage, RequestQuery, Screening,
                SessionRecord, State, StoreError, StoredCheckpoint, StoredDocument, StoredRequest,
                TokenRecord, UnloggedRows, UserRecord, Username,
            };
            use $crate::rows::backend;
            use $crate::store::{Engine, read, register, snapshot, sync_registers};
            use $crate::writes::WriteOp;
            use $crate::{at_rest, limit_rows, notice_rows, reads, registers, trust_rows};

            impl $store {
                /// A request as read: its documents opened with its key (issue 15).
                async fn opened<C: $crate::db::Conn>(
                    &self,
                    conn: &mut C,
                    r: StoredRequest,
                ) -> Result<StoredRequest, StoreError> {
                    let sealed = r.document.starts_with(at_rest::SEALED);
                    let key = if sealed { reads::document_key(conn, r.id).await? } else { None };
                    self.opened_with(r, key.as_deref())
                }

                /// A request as read, its documents opened with `key`, read with it.
                fn opened_with(
                    &self,
                    r: StoredRequest,
                    key: Option<&[u8]>,
                ) -> Result<StoredRequest, StoreError> {
                    if !r.document.starts_with(at_rest::SEALED) {
                        return Ok(r);
                    }
                    at_rest::open_request(self.cipher_slot().get().as_deref(), key, r)
                }
            }

            #[async_trait::async_trait]
            impl comity_core::Store for $store {
                async fn ping(&self) -> Result<(), StoreError> {
                    self.check_open()?;
                    reads::ping(&mut *read(self).await?).await
                }

                async fn check_writable(&self) -> Result<(), StoreError> {
                    self.write(WriteOp::CheckWritable).await?.done()
                }

                async fn close(&self) {
                    <$store>::close(self).await
                }

                async fn add_party(&self, party: &Party) -> Result<u64, StoreError> {
                    self.write(WriteOp::AddParty(party.clone())).await?.logged()
                }

                async fn party(&self, id: &PartyId) -> Result<Option<Party>, StoreError> {
                    register(self, registers::parties, id, async |conn| reads::party(conn, id).await).await
                }

                async fn parties(&self, role: PartyRole) -> Result<Vec<Party>, StoreError> {
                    register(self, registers::roles, &role, async |conn| reads::parties(conn, role).await)
                        .await
                }

                async fn sync_registers(&self) -> Result<(), StoreError> {
                    sync_registers(self).await
                }

                fn forget_registers(&self) {
                    self.registers().forget();
                }

                async fn insert_request(&self, request: &NewRequest) -> Result<Intake, StoreError> {
                    let sealed = at_rest::seal_intake(self.cipher_slot().get().as_deref(), request)?;
                    self.write(WriteOp::InsertRequest(Box::new(request.clone()), Box::new(sealed)))
                        .await?
                        .request()
                }

                async fn request_by_idempotency_key(
                    &self,
                    authority: &PartyId,
                    key: &IdempotencyKey,
                ) -> Result<Option<StoredRequest>, StoreError> {
                    let mut conn = read(self).await?;
                    match reads::request_by_idempotency_key(&mut *conn, authority, key).await? {
                        Some(r) => Ok(Some(self.opened(&mut *conn, r).await?)),
                        None => Ok(None),
                    }
                }

                async fn request_by_jti(
                    &self,
                    authority: &PartyId,
                    jti: &str,
                ) -> Result<Option<RequestId>, StoreError> {
                    reads::request_by_jti(&mut *read(self).await?, authority, jti).await
                }

                async fn request(&self, id: RequestId) -> Result<Option<StoredRequest>, StoreError> {
                    match reads::request(&mut *read(self).await?, id).await? {
                        Some((r, key)) => Ok(Some(self.opened_with(r, key.as_deref())?)),
                        None => Ok(None),
                    }
                }

                async fn list_requests(&self, query: &RequestQuery) -> Result<RequestPage, StoreError> {
                    let mut tx = snapshot(self).await?;
                    let mut page = reads::list_requests(&mut *tx, query).await?;
                    let mut items = Vec::with_capacity(page.items.len());
                    for r in std::mem::take(&mut page.items) {
                        items.push(self.opened(&mut *tx, r).await?);
                    }
                    page.items = items;
                    tx.commit().await.map_err(backend)?;
                    Ok(page)
                }

                async fn inbox(
                    &self,
                    query: &RequestQuery,
                    after: Option<&InboxKey>,
                ) -> Result<InboxPage, StoreError> {
                    let mut tx = snapshot(self).await?;
                    let mut page = reads::inbox(&mut *tx, query, after).await?;
                    for item in &mut page.items {
                        item.request = self.opened(&mut *tx, item.request.clone()).await?;
                    }
                    tx.commit().await.map_err(backend)?;
                    Ok(page)
                }

                async fn apply_move(&self, m: &Move) -> Result<Event, StoreError> {
                    self.write(WriteOp::ApplyMove(m.clone())).await?.event()
                }

                async fn recent_targets(
                    &self,
                    authority: &PartyId,
                    since: DateTime<Utc>,
                    limit: u32,
                ) -> Result<Vec<NamedTarget>, StoreError> {
                    let mut conn = read(self).await?;
                    reads::recent_targets(&mut *conn, authority, since, limit).await
                }

                async fn record_screening(
                    &self,
                    screening: &Screening,
                    clocks: &[ClockSet],
                ) -> Result<u64, StoreError> {
                    self.write(WriteOp::RecordScreening(screening.clone(), clocks.to_vec())).await?.logged()
                }

                async fn amend(&self, amendment: &Amendment) -> Result<Event, StoreError> {
                    let id = amendment.to_review.request_id;
                    let key = reads::document_key(&mut *read(self).await?, id).await?;
                    let sealed = at_rest::seal(
                        self.cipher_slot().get().as_deref(),
                        id,
                        key.as_deref(),
                        &amendment.document,
                        amendment.signature.as_deref(),
                    )?;
                    self.write(WriteOp::Amend(Box::new(amendment.clone()), Box::new(sealed))).await?.event()
                }

                async fn documents(&self, id: RequestId) -> Result<Vec<StoredDocument>, StoreError> {
                    let mut conn = read(self).await?;
                    let key = reads::document_key(&mut *conn, id).await?;
                    let cipher = self.cipher_slot().get();
                    reads::documents(&mut *conn, id)
                        .await?
                        .into_iter()
                        .map(|d| at_rest::open_document(cipher.as_deref(), id, key.as_deref(), d))
                        .collect()
                }

                fn set_cipher(&self, cipher: std::sync::Arc<dyn comity_core::DocumentCipher>) {
                    self.cipher_slot().set(cipher)
                }

                async fn at_rest(&self, id: RequestId) -> Result<comity_core::AtRest, StoreError> {
                    reads::at_rest(&mut *read(self).await?, id).await
                }

                async fn seal_text(
                    &self,
                    id: RequestId,
                    what: &str,
                    plaintext: &str,
                ) -> Result<String, StoreError> {
                    let mut conn = read(self).await?;
                    let key = reads::document_key(&mut *conn, id).await?;
                    let cipher = self.cipher_slot().get();
                    at_rest::seal_text(
                        cipher.as_deref(),
                        id,
                        key.as_deref(),
                        &reads::at_rest(&mut *conn, id).await?,
                        what,
                        plaintext,
                    )
                }

                async fn open_text(
                    &self,
                    id: RequestId,
                    what: &str,
                    stored: &str,
                ) -> Result<Option<String>, StoreError> {
                    let key = reads::document_key(&mut *read(self).await?, id).await?;
                    let cipher = self.cipher_slot().get();
                    at_rest::open_column(cipher.as_deref(), id, key.as_deref(), what, stored.to_owned())
                }

                async fn retention_ended(
                    &self,
                    before: DateTime<Utc>,
                    limit: u32,
                ) -> Result<Vec<RequestId>, StoreError> {
                    reads::retention_ended(&mut *read(self).await?, before, limit).await
                }

                async fn seal_in_clear(&self, limit: u32) -> Result<Vec<RequestId>, StoreError> {
                    let Some(cipher) = self.cipher_slot().get() else { return Ok(Vec::new()) };
                    let cipher = Some(cipher.as_ref());
                    let clear = reads::in_clear(&mut *read(self).await?, limit).await?;
                    let mut sealed = Vec::with_capacity(clear.len());
                    for (id, document, signature, versions) in clear {
                        let key = cipher.map(|c| c.new_key(id)).transpose()?;
                        let request =
                            at_rest::seal(cipher, id, key.as_deref(), &document, signature.as_deref())?;
                        let versions = versions
                            .iter()
                            .map(|d| {
                                at_rest::seal(cipher, id, key.as_deref(), &d.document, d.signature.as_deref())
                                    .map(|s| (d.seq, s))
                            })
                            .collect::<Result<Vec<_>, StoreError>>()?;
                        let op = at_rest::InClear {
                            id,
                            at: Utc::now(),
                            key: key.unwrap_or_default(),
                            was: document,
                            request,
                            versions,
                        };
                        match self.write(WriteOp::SealInClear(Box::new(op))).await.and_then(|a| a.done()) {
                            Ok(()) => sealed.push(id),
                            // Another server sealed it first.
                            Err(StoreError::Conflict(_)) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    loop {
                        let targets = reads::clear_targets(&mut *read(self).await?, 500).await?;
                        let n = targets.len();
                        for (scope, kind, value) in targets {
                            let selector = comity_core::SelectorType::parse(&kind)
                                .and_then(|k| comity_core::Selector::parse(k, &value, None).ok());
                            let Some(selector) = selector else {
                                return Err(StoreError::Corrupt(format!(
                                    "named_targets: {kind} {value:?} is not a selector"
                                )));
                            };
                            let blinded = cipher.map(|c| c.blind(&selector)).unwrap_or_default();
                            self.write(WriteOp::BlindTarget(scope, kind, value, blinded)).await?.done()?;
                        }
                        if n < 500 {
                            break;
                        }
                    }
                    Ok(sealed)
                }

                async fn shred_documents(&self, id: RequestId, fact: &NewEntry) -> Result<u64, StoreError> {
                    self.write(WriteOp::ShredDocuments(id, Box::new(fact.clone()))).await?.logged()
                }

                async fn act(&self, act: &Act) -> Result<Vec<JournalEntry>, StoreError> {
                    self.write(WriteOp::Act(Box::new(act.clone()))).await?.journal()
                }

                async fn take_lease(
                    &self,
                    name: &str,
                    holder: &str,
                    now: DateTime<Utc>,
                    until: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    self.write(WriteOp::TakeLease(name.to_owned(), holder.to_owned(), now, until))
                        .await?
                        .flag()
                }

                async fn add_failures(
                    &self,
                    failures: &[(std::net::IpAddr, u32)],
                    step: chrono::Duration,
                    now: DateTime<Utc>,
                ) -> Result<Vec<comity_core::FailureBucket>, StoreError> {
                    if failures.is_empty() {
                        return Ok(Vec::new());
                    }
                    let step = step.num_microseconds().unwrap_or(i64::MAX);
                    let now = limit_rows::micros_since_epoch(now);
                    self.write(WriteOp::AddFailures(failures.to_vec(), step, now)).await?.buckets()
                }

                async fn failure_buckets(
                    &self,
                    now: DateTime<Utc>,
                    limit: u32,
                ) -> Result<Vec<comity_core::FailureBucket>, StoreError> {
                    limit_rows::failure_buckets(&mut *read(self).await?, now, limit).await
                }

                async fn prune_failures(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
                    self.write(WriteOp::PruneFailures(limit_rows::micros_since_epoch(now))).await?.count()
                }

                async fn heartbeat(
                    &self,
                    server: &str,
                    now: DateTime<Utc>,
                    live_since: DateTime<Utc>,
                ) -> Result<u32, StoreError> {
                    let (now, since) =
                        (limit_rows::micros_since_epoch(now), limit_rows::micros_since_epoch(live_since));
                    let live =
                        self.write(WriteOp::Heartbeat(server.to_owned(), now, since)).await?.count()?;
                    Ok(u32::try_from(live).unwrap_or(u32::MAX))
                }

                async fn leave(&self, server: &str) -> Result<(), StoreError> {
                    self.write(WriteOp::Leave(server.to_owned())).await?.done()
                }

                async fn claim(&self, name: &str, value: &str) -> Result<String, StoreError> {
                    self.write(WriteOp::Claim(name.to_owned(), value.to_owned())).await?.text()
                }

                async fn due_clocks(&self, at: DateTime<Utc>, limit: u32) -> Result<Vec<Clock>, StoreError> {
                    reads::due_clocks(&mut *read(self).await?, at, limit).await
                }

                async fn overdue_clocks(&self) -> Result<Vec<Clock>, StoreError> {
                    reads::overdue_clocks(&mut *read(self).await?).await
                }

                async fn clocks(&self, id: RequestId) -> Result<Vec<Clock>, StoreError> {
                    reads::clocks(&mut *read(self).await?, id).await
                }

                async fn screenings(&self, id: RequestId) -> Result<Vec<Screening>, StoreError> {
                    reads::screenings(&mut *read(self).await?, id).await
                }

                async fn events(&self, id: RequestId) -> Result<Vec<Event>, StoreError> {
                    reads::events(&mut *read(self).await?, id).await
                }

                async fn count_by_state(&self) -> Result<Vec<(State, u64)>, StoreError> {
                    reads::count_by_state(&mut *read(self).await?).await
                }

                async fn pack_use(&self) -> Result<Vec<comity_core::PackUse>, StoreError> {
                    reads::pack_use(&mut *read(self).await?).await
                }

                async fn log_read(&self, read: &Read) -> Result<u64, StoreError> {
                    self.write(WriteOp::LogRead(read.clone())).await?.logged()
                }

                async fn log_size(&self) -> Result<u64, StoreError> {
                    reads::log_size(&mut *read(self).await?).await
                }

                async fn log_records(&self, from: u64, limit: u32) -> Result<Vec<LogRecord>, StoreError> {
                    reads::log_records(&mut *read(self).await?, from, limit).await
                }

                async fn request_log(&self, id: RequestId) -> Result<Vec<LogRecord>, StoreError> {
                    reads::request_log(&mut *read(self).await?, id).await
                }

                async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
                    reads::log_hashes(&mut *read(self).await?, indexes).await
                }

                async fn checkpoint(
                    &self,
                    sign: std::sync::Arc<CheckpointSigner>,
                ) -> Result<Option<StoredCheckpoint>, StoreError> {
                    self.write(WriteOp::Checkpoint(sign)).await?.checkpoint()
                }

                async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
                    reads::latest_checkpoint(&mut *read(self).await?).await
                }

                async fn checkpoints(
                    &self,
                    after: u64,
                    limit: u32,
                ) -> Result<Vec<StoredCheckpoint>, StoreError> {
                    reads::checkpoints(&mut *read(self).await?, after, limit).await
                }

                async fn add_cosignature(&self, seq: u64, line: &str) -> Result<(), StoreError> {
                    self.write(WriteOp::AddCosignature(seq, line.to_owned())).await?.done()
                }

                async fn unlogged_rows(&self) -> Result<UnloggedRows, StoreError> {
                    reads::unlogged_rows(&mut *read(self).await?).await
                }

                async fn append_journal(
                    &self,
                    entries: &[NewEntry],
                ) -> Result<Vec<JournalEntry>, StoreError> {
                    self.write(WriteOp::AppendJournal(entries.to_vec())).await?.journal()
                }

                async fn keep_package_key(
                    &self,
                    production: &str,
                    wrapped: &[u8],
                    chunks: u32,
                    entries: &[NewEntry],
                ) -> Result<Vec<JournalEntry>, StoreError> {
                    self.write(WriteOp::PackageKey(
                        production.to_owned(),
                        Some((wrapped.to_vec(), chunks)),
                        entries.to_vec(),
                    ))
                    .await?
                    .journal()
                }

                async fn destroy_package_key(
                    &self,
                    production: &str,
                    entries: &[NewEntry],
                ) -> Result<Vec<JournalEntry>, StoreError> {
                    self.write(WriteOp::PackageKey(production.to_owned(), None, entries.to_vec()))
                        .await?
                        .journal()
                }

                async fn package_key(&self, production: &str) -> Result<Option<Vec<u8>>, StoreError> {
                    reads::package_key(&mut *read(self).await?, production).await
                }

                async fn package_keys(&self) -> Result<Vec<String>, StoreError> {
                    reads::package_keys(&mut *read(self).await?).await
                }

                async fn put_package_chunk(
                    &self,
                    production: &str,
                    seq: u32,
                    bytes: Vec<u8>,
                    at: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    self.write(WriteOp::PackageChunk(production.to_owned(), seq, bytes, at)).await?.done()
                }

                async fn package_chunk(
                    &self,
                    production: &str,
                    seq: u32,
                ) -> Result<Option<Vec<u8>>, StoreError> {
                    reads::package_chunk(&mut *read(self).await?, production, seq).await
                }

                async fn drop_package_chunks(&self, production: &str) -> Result<u64, StoreError> {
                    self.write(WriteOp::DropPackageChunks(production.to_owned())).await?.count()
                }

                async fn package_chunk_sets(&self) -> Result<Vec<comity_core::PackageChunks>, StoreError> {
                    reads::package_chunk_sets(&mut *read(self).await?).await
                }

                async fn add_production_key(
                    &self,
                    provider: &PartyId,
                    kid: &str,
                    sealed: &[u8],
                    entry: &NewEntry,
                ) -> Result<JournalEntry, StoreError> {
                    self.write(WriteOp::ProductionKey(
                        provider.clone(),
                        kid.to_owned(),
                        sealed.to_vec(),
                        Box::new(entry.clone()),
                    ))
                    .await?
                    .entry()
                }

                async fn production_key(
                    &self,
                    provider: &PartyId,
                    kid: &str,
                ) -> Result<Option<Vec<u8>>, StoreError> {
                    reads::production_key(&mut *read(self).await?, provider, kid).await
                }

                async fn journal(&self, query: &JournalQuery) -> Result<Vec<JournalEntry>, StoreError> {
                    if !query.reads_a_register() {
                        return trust_rows::journal(&mut *read(self).await?, query).await;
                    }
                    register(self, registers::journal, query, async |conn| {
                        trust_rows::journal(conn, query).await
                    })
                    .await
                }

                async fn authority_record(&self, authority: &PartyId) -> Result<AuthorityRecord, StoreError> {
                    trust_rows::authority_record(&mut *read(self).await?, authority).await
                }

                async fn add_user(
                    &self,
                    user: &UserRecord,
                    entry: &NewEntry,
                ) -> Result<JournalEntry, StoreError> {
                    self.write(WriteOp::AddUser(Box::new(user.clone()), Box::new(entry.clone())))
                        .await?
                        .entry()
                }

                async fn user(&self, username: &Username) -> Result<Option<UserRecord>, StoreError> {
                    trust_rows::user(&mut *read(self).await?, username).await
                }

                async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
                    trust_rows::users(&mut *read(self).await?).await
                }

                async fn use_totp_step(&self, username: &Username, step: u64) -> Result<bool, StoreError> {
                    self.write(WriteOp::UseTotpStep(username.clone(), step)).await?.flag()
                }

                async fn change_password(
                    &self,
                    username: &Username,
                    password_hash: &str,
                    keep: Option<&[u8; 32]>,
                    at: DateTime<Utc>,
                    entry: &NewEntry,
                ) -> Result<JournalEntry, StoreError> {
                    let op = WriteOp::ChangePassword(
                        username.clone(),
                        password_hash.to_owned(),
                        keep.copied(),
                        at,
                        Box::new(entry.clone()),
                    );
                    self.write(op).await?.entry()
                }

                async fn update_party(
                    &self,
                    before: &Party,
                    after: &Party,
                    entry: &NewEntry,
                ) -> Result<JournalEntry, StoreError> {
                    let parties = Box::new((before.clone(), after.clone()));
                    self.write(WriteOp::UpdateParty(parties, Box::new(entry.clone()))).await?.entry()
                }

                async fn disable_user(
                    &self,
                    username: &Username,
                    at: DateTime<Utc>,
                    entry: &NewEntry,
                ) -> Result<JournalEntry, StoreError> {
                    self.write(WriteOp::DisableUser(username.clone(), at, Box::new(entry.clone())))
                        .await?
                        .entry()
                }

                async fn reserve_login(
                    &self,
                    name: &str,
                    client: &str,
                    now: DateTime<Utc>,
                ) -> Result<LoginSlot, StoreError> {
                    self.write(WriteOp::ReserveLogin(name.to_owned(), client.to_owned(), now)).await?.login()
                }

                async fn clear_login_attempts(&self, name: &str, client: &str) -> Result<(), StoreError> {
                    self.write(WriteOp::ClearLoginAttempts(name.to_owned(), client.to_owned())).await?.done()
                }

                async fn add_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
                    self.write(WriteOp::AddSession(session.clone())).await?.done()
                }

                async fn session(&self, id_hash: &[u8; 32]) -> Result<Option<SessionRecord>, StoreError> {
                    trust_rows::session(&mut *read(self).await?, id_hash).await
                }

                async fn end_session(&self, id_hash: &[u8; 32], at: DateTime<Utc>) -> Result<(), StoreError> {
                    self.write(WriteOp::EndSession(*id_hash, at)).await?.done()
                }

                async fn add_token(
                    &self,
                    token: &TokenRecord,
                    entry: &NewEntry,
                ) -> Result<JournalEntry, StoreError> {
                    self.write(WriteOp::AddToken(Box::new(token.clone()), Box::new(entry.clone())))
                        .await?
                        .entry()
                }

                async fn token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
                    register(self, registers::tokens, &id.to_owned(), async |conn| {
                        trust_rows::token(conn, id).await
                    })
                    .await
                }

                async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
                    trust_rows::tokens(&mut *read(self).await?).await
                }

                async fn revoke_token(
                    &self,
                    id: &str,
                    at: DateTime<Utc>,
                    entry: &NewEntry,
                    keep_an_admin: bool,
                ) -> Result<JournalEntry, StoreError> {
                    self.write(WriteOp::RevokeToken(
                        id.to_owned(),
                        at,
                        Box::new(entry.clone()),
                        keep_an_admin,
                    ))
                    .await?
                    .entry()
                }

                async fn add_link(
                    &self,
                    link: &LinkRecord,
                    entry: &NewEntry,
                ) -> Result<JournalEntry, StoreError> {
                    self.write(WriteOp::AddLink(Box::new(link.clone()), Box::new(entry.clone())))
                        .await?
                        .entry()
                }

                async fn link(&self, secret_hash: &[u8; 32]) -> Result<Option<LinkRecord>, StoreError> {
                    trust_rows::link(&mut *read(self).await?, secret_hash).await
                }

                async fn use_link(
                    &self,
                    secret_hash: &[u8; 32],
                    at: DateTime<Utc>,
                ) -> Result<Option<LinkRecord>, StoreError> {
                    self.write(WriteOp::UseLink(*secret_hash, at)).await?.link()
                }

                async fn journal_entry(&self, seq: u64) -> Result<Option<JournalEntry>, StoreError> {
                    notice_rows::journal_entry(&mut *read(self).await?, seq).await
                }

                async fn notice_cursor(&self) -> Result<u64, StoreError> {
                    notice_rows::cursor(&mut *read(self).await?).await
                }

                async fn feed_notices(
                    &self,
                    from: u64,
                    to: u64,
                    notices: &[NewNotice],
                ) -> Result<u64, StoreError> {
                    self.write(WriteOp::FeedNotices(from, to, notices.to_vec())).await?.count()
                }

                async fn take_notices(
                    &self,
                    now: DateTime<Utc>,
                    lease_until: DateTime<Utc>,
                    limit: u32,
                ) -> Result<Vec<Notice>, StoreError> {
                    self.write(WriteOp::TakeNotices(now, lease_until, limit)).await?.notices()
                }

                async fn record_notice(
                    &self,
                    id: u64,
                    outcome: &NoticeOutcome,
                ) -> Result<Option<JournalEntry>, StoreError> {
                    let written =
                        self.write(WriteOp::RecordNotice(id, Box::new(outcome.clone()))).await?.journal()?;
                    Ok(written.into_iter().next())
                }

                async fn notice(&self, id: u64) -> Result<Option<Notice>, StoreError> {
                    notice_rows::notice(&mut *read(self).await?, id).await
                }

                async fn notices(&self, query: &NoticeQuery) -> Result<Vec<Notice>, StoreError> {
                    notice_rows::notices(&mut *read(self).await?, query).await
                }

                async fn retry_notice(
                    &self,
                    id: u64,
                    at: DateTime<Utc>,
                    entry: &NewEntry,
                ) -> Result<JournalEntry, StoreError> {
                    self.write(WriteOp::RetryNotice(id, at, Box::new(entry.clone()))).await?.entry()
                }
            }
        };
    };
}
pub(crate) use store_impl;
