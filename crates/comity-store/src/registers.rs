//! What a store keeps of the registers between use cases (issue 17, item 3).
//!
//! Every signed intake read the same few rows again and again: the authority's key, the
//! standing of each party named, the parties themselves, the reviewer bodies; every
//! authenticated read its token and its caller's party. They change only when an operator
//! changes a register, which is rare. So the store keeps what it has read, and the
//! registers carry one version number (`register_version`, migration 0032) that every
//! write changing them increments in its own transaction ([`WriteOp::touches_registers`]).
//!
//! - **A use case that decides on a register** (a signature's key, a party's standing, a
//!   token) first calls [`Store::sync_registers`](comity_core::Store::sync_registers): one
//!   read of the version. If another process has written since, everything kept is
//!   forgotten. A key revoked through another server is refused by the next submission
//!   anywhere. The clock sweeper and the notices' delivery sync at each step too.
//! - **This process's own register writes** forget everything kept once they have
//!   committed, before their caller hears of them: a use case that revokes a key and then
//!   shows it reads it anew.
//! - **A read made without a sync** (a public page) syncs first if the last sync is older
//!   than [`UNSYNCED`]: nothing kept is used more than a second after another process's
//!   write.
//!
//! Why this is safe: whatever is kept was read *after* the version it is kept under was
//! read from the database, so it is at least that new. A read that raced a forgetting is
//! not kept: each forgetting starts a new generation, and a read is kept only in the
//! generation it started in.
//!
//! [`WriteOp::touches_registers`]: crate::writes::WriteOp::touches_registers

use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

use comity_core::{JournalEntry, JournalQuery, Party, PartyId, PartyRole, TokenRecord};

/// How long what is kept may be used without reading the version again.
pub(crate) const UNSYNCED: Duration = Duration::from_secs(1);

/// How long anything is kept at most: a row edited outside comity (which changes no
/// version, and which the log's verification reports) does not live on in a server.
pub(crate) const KEPT_AT_MOST: Duration = Duration::from_secs(60);

/// The most answers kept; past it, all are forgotten (lookups of keys or tokens that do
/// not exist, made in numbers, must not grow the process without bound).
const MOST_KEPT: usize = 20_000;

/// The registers' answers a store keeps, under the version they were read at or after.
#[derive(Debug, Default)]
pub(crate) struct RegisterCache {
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
pub(crate) struct Kept {
    /// The version everything kept is at least as new as; `None`: read it before use.
    version: Option<i64>,
    synced_at: Option<Instant>,
    /// Starts anew each time everything is forgotten.
    generation: u64,
    /// When everything was last forgotten.
    since: Option<Instant>,
    parties: HashMap<PartyId, Option<Party>>,
    roles: HashMap<PartyRole, Vec<Party>>,
    journal: HashMap<JournalQuery, Vec<JournalEntry>>,
    tokens: HashMap<String, Option<TokenRecord>>,
}

impl Kept {
    fn forget(&mut self) {
        self.generation += 1;
        self.since = Some(Instant::now());
        self.parties.clear();
        self.roles.clear();
        self.journal.clear();
        self.tokens.clear();
    }

    fn len(&self) -> usize {
        self.parties.len() + self.roles.len() + self.journal.len() + self.tokens.len()
    }
}

/// Where the cache keeps one kind of answer: `lookup` and `keep` take one of the four
/// functions below.
pub(crate) type Register<K, V> = fn(&mut Kept) -> &mut HashMap<K, V>;

/// Parties by id.
pub(crate) fn parties(kept: &mut Kept) -> &mut HashMap<PartyId, Option<Party>> {
    &mut kept.parties
}

/// The parties of each register.
pub(crate) fn roles(kept: &mut Kept) -> &mut HashMap<PartyRole, Vec<Party>> {
    &mut kept.roles
}

/// Journal reads of register facts alone.
pub(crate) fn journal(kept: &mut Kept) -> &mut HashMap<JournalQuery, Vec<JournalEntry>> {
    &mut kept.journal
}

/// API tokens by id.
pub(crate) fn tokens(kept: &mut Kept) -> &mut HashMap<String, Option<TokenRecord>> {
    &mut kept.tokens
}

/// What a lookup found: the answer kept, or the generation to keep a fresh read under.
pub(crate) enum Lookup<V> {
    Kept(V),
    /// Not kept: read it, and give it to [`RegisterCache::keep`] with this generation.
    Read(u64),
    /// Nothing kept may be used until the version is read again.
    Sync,
}

impl RegisterCache {
    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        // A panic while holding the lock cannot leave a half-kept answer: every change
        // under it is one insert or one clear.
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The version read from the database at `read_at` (taken before the read): if it is
    /// newer than what is kept, everything kept is forgotten.
    pub(crate) fn synced(&self, version: i64, read_at: Instant) {
        let mut kept = self.kept();
        let old = kept.since.is_none_or(|since| since.elapsed() >= KEPT_AT_MOST);
        if kept.version.is_none_or(|v| v < version) || old {
            kept.forget();
            kept.version = Some(version);
        }
        if kept.synced_at.is_none_or(|at| at < read_at) {
            kept.synced_at = Some(read_at);
        }
    }

    /// This process changed a register: forget everything, and read the version before
    /// keeping anything again.
    pub(crate) fn forget(&self) {
        let mut kept = self.kept();
        kept.forget();
        kept.version = None;
        kept.synced_at = None;
    }

    pub(crate) fn lookup<K: Eq + Hash, V: Clone>(&self, place: Register<K, V>, key: &K) -> Lookup<V> {
        let mut kept = self.kept();
        // Never synced since the last forgetting (`synced_at` is `None` exactly when
        // `version` is), or not for a while.
        if kept.synced_at.is_none_or(|at| at.elapsed() >= UNSYNCED) {
            return Lookup::Sync;
        }
        match place(&mut kept).get(key) {
            Some(v) => Lookup::Kept(v.clone()),
            None => Lookup::Read(kept.generation),
        }
    }

    /// Keeps an answer read after a lookup of `generation`, unless everything was
    /// forgotten since (the answer may then be older than what was written).
    pub(crate) fn keep<K: Eq + Hash, V>(&self, place: Register<K, V>, generation: u64, key: K, value: V) {
        let mut kept = self.kept();
        if kept.generation != generation {
            return;
        }
        if kept.len() >= MOST_KEPT {
            kept.forget();
            return;
        }
        place(&mut kept).insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn party(id: &str) -> PartyId {
        PartyId::parse(id).unwrap()
    }

    fn kept(cache: &RegisterCache, id: &str) -> Option<bool> {
        match cache.lookup(parties, &party(id)) {
            Lookup::Kept(p) => Some(p.is_some()),
            _ => None,
        }
    }

    #[test]
    fn nothing_is_used_before_the_version_is_read() {
        let cache = RegisterCache::default();
        assert!(matches!(cache.lookup(parties, &party("fr-pnf")), Lookup::Sync));
        cache.synced(3, Instant::now());
        let Lookup::Read(generation) = cache.lookup(parties, &party("fr-pnf")) else { panic!("a miss") };
        cache.keep(parties, generation, party("fr-pnf"), None);
        assert_eq!(kept(&cache, "fr-pnf"), Some(false));
    }

    #[test]
    fn a_newer_version_forgets_and_an_older_one_does_not() {
        let cache = RegisterCache::default();
        cache.synced(3, Instant::now());
        let Lookup::Read(g) = cache.lookup(parties, &party("fr-pnf")) else { panic!("a miss") };
        cache.keep(parties, g, party("fr-pnf"), None);
        // A slow reader's older version keeps what is newer.
        cache.synced(2, Instant::now());
        assert_eq!(kept(&cache, "fr-pnf"), Some(false));
        cache.synced(4, Instant::now());
        assert_eq!(kept(&cache, "fr-pnf"), None);
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_kept() {
        let cache = RegisterCache::default();
        cache.synced(3, Instant::now());
        let Lookup::Read(g) = cache.lookup(parties, &party("fr-pnf")) else { panic!("a miss") };
        // The read is under way when this process's own write commits.
        cache.forget();
        assert!(matches!(cache.lookup(parties, &party("fr-pnf")), Lookup::Sync));
        cache.synced(4, Instant::now());
        cache.keep(parties, g, party("fr-pnf"), None);
        assert!(matches!(cache.lookup(parties, &party("fr-pnf")), Lookup::Read(_)));
    }

    #[test]
    fn what_is_kept_is_used_only_for_a_while_after_a_sync() {
        let cache = RegisterCache::default();
        cache.synced(3, Instant::now() - UNSYNCED);
        assert!(matches!(cache.lookup(parties, &party("fr-pnf")), Lookup::Sync));
    }

    #[test]
    fn nothing_is_kept_longer_than_a_minute() {
        let cache = RegisterCache::default();
        cache.synced(3, Instant::now());
        let Lookup::Read(g) = cache.lookup(parties, &party("fr-pnf")) else { panic!("a miss") };
        cache.keep(parties, g, party("fr-pnf"), None);
        cache.kept().since = Some(Instant::now() - KEPT_AT_MOST);
        cache.synced(3, Instant::now());
        assert_eq!(kept(&cache, "fr-pnf"), None);
    }

    #[test]
    fn too_many_answers_are_all_forgotten() {
        let cache = RegisterCache::default();
        cache.synced(1, Instant::now());
        for i in 0..=MOST_KEPT {
            let id = format!("party-{i}");
            let Lookup::Read(g) = cache.lookup(parties, &party(&id)) else { panic!("a miss") };
            cache.keep(parties, g, party(&id), None);
        }
        assert!(cache.kept().len() < MOST_KEPT);
    }
}
