//! The sealed package handed from the thread that seals it to the thread that stores it
//! (issue 17, item 3).
//!
//! Sealing is a chain of byte-by-byte work:
//! - the records are checked against their hash, tarred, encrypted to the authority and
//!   hashed as they leave;
//! - then they are encrypted again at rest, stored in chunks, and written to `--out`.
//!
//! On one thread the two halves took turns; each took about as long (ChaCha20-Poly1305
//! and SHA-256 on the first, ChaCha20-Poly1305 on the second, `perf`, docs/benchmarks.md).
//! [`relayed`] runs them on two threads, the package passing between them in blocks of
//! [`BLOCK_BYTES`], at most [`IN_FLIGHT`] waiting, so memory stays bounded.

use std::io::{self, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// The size of a block handed over: large enough that handing it over costs nothing beside
/// encrypting it.
pub const BLOCK_BYTES: usize = 1024 * 1024;

/// Blocks handed over and not yet taken: the sealing runs ahead of the storing by this much
/// at most.
const IN_FLIGHT: usize = 2;

/// Where the sealing writes: each full block is handed to the other thread.
#[derive(Debug)]
pub struct Relay {
    block: Vec<u8>,
    to: SyncSender<Vec<u8>>,
    /// Blocks the other thread is done with, to be filled again.
    free: Receiver<Vec<u8>>,
}

impl Relay {
    fn hand_over(&mut self) -> io::Result<()> {
        let empty = self.free.try_recv().unwrap_or_else(|_| Vec::with_capacity(BLOCK_BYTES));
        let full = std::mem::replace(&mut self.block, empty);
        self.to.send(full).map_err(|_| io::Error::other("the package's storing stopped"))
    }
}

impl Write for Relay {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.block.capacity() == 0 {
            self.block.reserve_exact(BLOCK_BYTES);
        }
        let n = data.len().min(BLOCK_BYTES - self.block.len());
        self.block.extend_from_slice(&data[..n]);
        if self.block.len() == BLOCK_BYTES {
            self.hand_over()?;
        }
        Ok(n)
    }

    /// Blocks are handed over whole; the last once the sealing has returned.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What the storing thread takes: the blocks, in the order written.
#[derive(Debug)]
pub struct Received {
    from: Receiver<Vec<u8>>,
    free: SyncSender<Vec<u8>>,
}

impl Received {
    /// Gives `take` each block in order, until the sealing has returned. An error from `take`
    /// ends it; the sealing's next hand-over then fails.
    pub fn each(&mut self, mut take: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        for mut block in self.from.iter() {
            take(&block)?;
            block.clear();
            let _ = self.free.try_send(block);
        }
        Ok(())
    }
}

/// Runs `seal` on this thread, writing to a [`Relay`], and `store` on another, which takes
/// what `seal` wrote from a [`Received`]. Returns both results once both have ended. What
/// `seal` wrote before it returned, even with an error, reaches `store`: the caller decides
/// from both results whether what was stored is whole.
pub fn relayed<S, T: Send>(
    seal: impl FnOnce(&mut Relay) -> S,
    store: impl FnOnce(&mut Received) -> T + Send,
) -> (S, T) {
    let (to, from) = sync_channel(IN_FLIGHT);
    let (free_to, free) = sync_channel(IN_FLIGHT + 1);
    std::thread::scope(|scope| {
        let storing = scope.spawn(move || store(&mut Received { from, free: free_to }));
        let mut relay = Relay { block: Vec::new(), to, free };
        let sealed = seal(&mut relay);
        if !relay.block.is_empty() {
            // If the storing has stopped, its own result says why.
            let _ = relay.to.send(std::mem::take(&mut relay.block));
        }
        drop(relay);
        let stored = match storing.join() {
            Ok(stored) => stored,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (sealed, stored)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Every byte arrives, in order, across block boundaries and writes of any size.
    #[test]
    fn what_is_written_arrives_in_order() {
        let data: Vec<u8> = (0..(3 * BLOCK_BYTES + 12_345)).map(|i| (i % 251) as u8).collect();
        let (sealed, stored) = relayed(
            |relay| {
                for piece in data.chunks(70_001) {
                    relay.write_all(piece)?;
                }
                io::Result::Ok(())
            },
            |received| {
                let mut got = Vec::new();
                received.each(|block| {
                    assert!(block.len() <= BLOCK_BYTES);
                    got.extend_from_slice(block);
                    Ok(())
                })?;
                io::Result::Ok(got)
            },
        );
        sealed.unwrap();
        assert_eq!(stored.unwrap(), data);
    }

    /// A storing that fails stops the sealing at its next hand-over, with an error, and
    /// neither side waits for the other.
    #[test]
    fn a_storing_that_fails_stops_the_sealing() {
        let (sealed, stored) = relayed(
            |relay| {
                let block = vec![7u8; BLOCK_BYTES];
                for _ in 0..100 {
                    relay.write_all(&block)?;
                }
                io::Result::Ok(())
            },
            |received| received.each(|_| Err(io::Error::other("the disk is full"))),
        );
        assert_eq!(sealed.unwrap_err().to_string(), "the package's storing stopped");
        assert_eq!(stored.unwrap_err().to_string(), "the disk is full");
    }
}
