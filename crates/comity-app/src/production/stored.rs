//! comity's copy of each sealed package, kept in the database (issue 17, item 1).
//!
//! Several `comity serve` processes may share one database, and a package sealed through
//! one must download from every other, so comity's copy lives in the database rather than
//! in the sealing server's data directory: the `package_chunks` table, in chunks of
//! [`CHUNK_BYTES`] written and read one at a time. What is kept is what the file
//! `productions/<id>.age` held before: the package encrypted again under the production's
//! own data key ([`super::at_rest`]), so the rows open with nothing the database holds
//! alone. SQLite deployments keep them the same way: one code path.
//!
//! Memory stays bounded whatever the package's size. The sealing's storing thread (see
//! `relay`) writes to a [`ChunkWriter`], which fills one chunk and hands it over a channel
//! of `IN_FLIGHT` (2) chunks to a task that inserts them, two at a time: a chunk being
//! filled, two waiting and two being inserted, about 5 MiB. A [`ChunkReader`] reads it back the same way, a task
//! fetching the next chunks ahead of the reader, at most `IN_FLIGHT` (2) at a time.
//!
//! A sealing that fails has its chunks deleted at once. One that a crash or a kill
//! interrupted writes no more: the sweep deletes its chunks once none was written for
//! [`INTERRUPTED_AFTER`] and logs its `production.failed` ([`App::clear_interrupted_packages`]).
//! A package sealed before this change has no chunks, and its file is read as before.

use std::{
    collections::BTreeSet,
    io::{self, Read, Write},
    sync::Arc,
};

use chrono::{DateTime, SubsecRound, Utc};
use comity_core::{ActorId, Fact, Store, StoreError, journal};
use tokio::{sync::mpsc, task::JoinHandle};

use super::custody_fact;
use crate::{App, Result};

/// The size of every chunk but a package's last.
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// Chunks waiting between the thread that seals (or reads) and the task that writes (or
/// fetches) them.
const IN_FLIGHT: usize = 2;

/// A sealing that has written no chunk for this long was interrupted: no live sealing waits
/// that long between two chunks of 1 MiB. Long enough that a server does not take another's
/// sealing, slowed by a busy database, for a dead one.
pub const INTERRUPTED_AFTER: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Where the sealing writes the stored package: whole chunks are handed to the task that
/// inserts them ([`chunk_writer`]). Call [`ChunkWriter::finish`] to hand over the last.
#[derive(Debug)]
pub struct ChunkWriter {
    chunk: Vec<u8>,
    to_store: Option<mpsc::Sender<Vec<u8>>>,
}

/// The task that inserts what a [`ChunkWriter`] hands over; it answers how many chunks it
/// kept, once the writer is finished or dropped.
pub type Inserting = JoinHandle<std::result::Result<u32, StoreError>>;

/// A writer of `production`'s stored package into the database, and the task inserting its
/// chunks. Write on a blocking thread: a full chunk waits for room in the channel.
pub fn chunk_writer(store: Arc<dyn Store>, production: &str) -> (ChunkWriter, Inserting) {
    let (to_store, mut chunks) = mpsc::channel::<Vec<u8>>(IN_FLIGHT);
    let production = production.to_owned();
    let inserting = tokio::spawn(async move {
        let mut kept = 0u32;
        let mut taken = Vec::with_capacity(IN_FLIGHT);
        // Returning drops the receiver: the writer's next chunk fails, and the sealing stops
        // rather than going on to nowhere.
        while chunks.recv_many(&mut taken, IN_FLIGHT).await > 0 {
            let at = Utc::now().trunc_subsecs(6);
            let too_many =
                || StoreError::Conflict(format!("production {production}'s package has too many chunks"));
            let mut waiting = taken.drain(..);
            match (waiting.next(), waiting.next()) {
                // Two at once: on SQLite they share the writer's commit (one fsync), on
                // PostgreSQL they go over two connections.
                (Some(first), Some(second)) => {
                    let next = kept.checked_add(1).ok_or_else(too_many)?;
                    tokio::try_join!(
                        store.put_package_chunk(&production, kept, first, at),
                        store.put_package_chunk(&production, next, second, at),
                    )?;
                    kept = next.checked_add(1).ok_or_else(too_many)?;
                }
                (Some(only), None) => {
                    store.put_package_chunk(&production, kept, only, at).await?;
                    kept = kept.checked_add(1).ok_or_else(too_many)?;
                }
                _ => {}
            }
        }
        Ok(kept)
    });
    (ChunkWriter { chunk: Vec::with_capacity(CHUNK_BYTES), to_store: Some(to_store) }, inserting)
}

impl ChunkWriter {
    fn hand_over(&mut self) -> io::Result<()> {
        let full = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK_BYTES));
        let sent = self.to_store.as_ref().map(|to| to.blocking_send(full));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(io::Error::other("the database stopped taking the package's chunks")),
        }
    }

    /// Hands over the last chunk: the package is whole once the inserting task answers.
    pub fn finish(mut self) -> io::Result<()> {
        if !self.chunk.is_empty() {
            self.hand_over()?;
        }
        self.to_store = None;
        Ok(())
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK_BYTES - self.chunk.len());
        self.chunk.extend_from_slice(&data[..n]);
        if self.chunk.len() == CHUNK_BYTES {
            self.hand_over()?;
        }
        Ok(n)
    }

    /// Chunks are whole but the last, which only [`ChunkWriter::finish`] hands over.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A stored package read back from its chunks, as they are fetched. Read on a blocking
/// thread: the next chunk is waited for.
#[derive(Debug)]
pub struct ChunkReader {
    chunk: Vec<u8>,
    at: usize,
    fetched: mpsc::Receiver<io::Result<Vec<u8>>>,
}

/// `production`'s stored package from the database; `None` if it has no chunks there (a
/// package sealed before issue 17, whose file is read instead).
pub async fn chunk_reader(
    store: Arc<dyn Store>,
    production: &str,
) -> std::result::Result<Option<ChunkReader>, StoreError> {
    let Some(first) = store.package_chunk(production, 0).await? else { return Ok(None) };
    let (ahead, fetched) = mpsc::channel(IN_FLIGHT);
    let production = production.to_owned();
    tokio::spawn(async move {
        let mut seq = 1u32;
        loop {
            match store.package_chunk(&production, seq).await {
                Ok(Some(bytes)) => {
                    // The reader went away (the client left): stop fetching.
                    if ahead.send(Ok(bytes)).await.is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = ahead.send(Err(io::Error::other(e))).await;
                    break;
                }
            }
            let Some(next) = seq.checked_add(1) else { break };
            seq = next;
        }
    });
    Ok(Some(ChunkReader { chunk: first, at: 0, fetched }))
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.fetched.blocking_recv() {
                Some(Ok(next)) => {
                    self.chunk = next;
                    self.at = 0;
                }
                Some(Err(e)) => return Err(e),
                // Past the last chunk. A chunk missing in the middle ends the package early,
                // which the age stream under the data key refuses as truncated.
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl App {
    /// Deletes what sealings left in the database without a package: the chunks of a
    /// production whose sealing failed, at once, and of one whose sealing wrote nothing since
    /// `now` less [`INTERRUPTED_AFTER`] (a server killed or crashed while sealing), whose
    /// `production.failed` is logged first. A sealed production's chunks are never touched.
    /// Returns the productions cleared. The sweep runs it; a test may give a later `now`.
    pub async fn clear_interrupted_packages(&self, now: DateTime<Utc>) -> Result<Vec<String>> {
        let store = self.store();
        let idle_since = now - chrono::Duration::from_std(INTERRUPTED_AFTER).unwrap_or_default();
        let sealed: BTreeSet<String> = store.package_keys().await?.into_iter().collect();
        let mut cleared = Vec::new();
        for set in store.package_chunk_sets().await? {
            if sealed.contains(&set.production) {
                continue;
            }
            let idle = set.last_written <= idle_since;
            match self.production_by_id(&set.production).await? {
                Some(p) if p.status == "started" => {
                    if !idle {
                        continue;
                    }
                    let Some(request) = store.request(p.request).await? else { continue };
                    let reason = format!(
                        "interrupted while sealing: no part of its package was written after {} (the server \
                         sealing it stopped); produce again",
                        set.last_written.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    );
                    let failed = Fact::ProductionFailed(journal::ProductionFailed {
                        production: p.id.clone(),
                        reason,
                    });
                    store.append_journal(&[custody_fact(&ActorId::system(), &request, failed)]).await?;
                }
                // Failed (its sealing's own clean-up did not finish): nothing writes to it again.
                Some(_) => {}
                // Chunks of no production the log knows: only once they are old.
                None if !idle => continue,
                None => {}
            }
            store.drop_package_chunks(&set.production).await?;
            tracing::info!(production = %set.production, chunks = set.chunks, "an unfinished package's chunks were deleted");
            cleared.push(set.production);
        }
        Ok(cleared)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    // Plain tests, outside any runtime: the channels' blocking ends are what the sealing
    // and the download threads use.

    #[test]
    fn a_writer_hands_over_whole_chunks_and_the_last_on_finish() {
        let (to_store, mut chunks) = mpsc::channel::<Vec<u8>>(16);
        let mut writer = ChunkWriter { chunk: Vec::new(), to_store: Some(to_store) };
        let data: Vec<u8> = (0..(2 * CHUNK_BYTES + 10)).map(|i| (i % 251) as u8).collect();
        for part in data.chunks(4096 + 7) {
            writer.write_all(part).unwrap();
        }
        writer.finish().unwrap();
        let mut got = Vec::new();
        while let Some(c) = chunks.blocking_recv() {
            got.push(c);
        }
        assert_eq!(got.iter().map(Vec::len).collect::<Vec<_>>(), vec![CHUNK_BYTES, CHUNK_BYTES, 10]);
        assert_eq!(got.concat(), data);
    }

    #[test]
    fn a_reader_gives_the_chunks_back_in_order_then_ends() {
        let (ahead, fetched) = mpsc::channel(4);
        ahead.try_send(Ok(vec![3, 4, 5])).unwrap();
        ahead.try_send(Ok(vec![6])).unwrap();
        drop(ahead);
        let mut reader = ChunkReader { chunk: vec![1, 2], at: 0, fetched };
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        assert_eq!(all, vec![1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_reader_stops_at_the_error_the_database_gave() {
        let (ahead, fetched) = mpsc::channel(4);
        ahead.try_send(Err(io::Error::other("connection reset"))).unwrap();
        let mut reader = ChunkReader { chunk: vec![1], at: 0, fetched };
        let mut all = Vec::new();
        let e = reader.read_to_end(&mut all).unwrap_err();
        assert!(e.to_string().contains("connection reset"), "{e}");
    }
}
