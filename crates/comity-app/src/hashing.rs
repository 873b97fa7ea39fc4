//! Password hashes on a bounded pool, shared fairly between clients (issue 12, finding 2).
//!
//! An argon2id check takes about 19 MiB and 15 ms of one core (OWASP's parameters), so
//! they run on the blocking pool, at most [`HashingSettings::workers`] at once. Those
//! waiting are queued per client network and served round-robin: a client that sends a
//! burst of logins waits behind its own burst, and a bystander from another address is
//! served after at most one check of each client ahead of it, not after the whole burst.
//! One client may have at most [`HashingSettings::queue_per_client`] checks waiting;
//! beyond that it is answered 429 with `Retry-After` at once, holding no memory.
//!
//! Written here rather than taken from a crate: tokio's `Semaphore` is fair in arrival
//! order only, which is exactly what let one burst queue a bystander behind it, and no
//! well-kept crate offers a semaphore that is fair between keys.

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
};

use tokio::sync::oneshot;

/// How many password hashes run at once, and how many one client may have waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingSettings {
    /// Hashes running at once. Each holds about 19 MiB while it runs.
    pub workers: usize,
    /// Hashes one client network may have waiting; past this, 429.
    pub queue_per_client: usize,
}

impl HashingSettings {
    /// One worker per core the process may use (`std::thread::available_parallelism`)
    /// but one, and at least one: a flood of sign-ins then always leaves a core to
    /// everything else (on 2 cores, two hashes at once stalled every other answer:
    /// docs/benchmarks.md, "Identity and trust").
    pub fn from_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = cores.saturating_sub(1).max(1);
        HashingSettings { workers, queue_per_client: usize::from(DEFAULT_QUEUE_PER_CLIENT) }
    }
}

impl Default for HashingSettings {
    fn default() -> Self {
        Self::from_machine()
    }
}

/// Enough for a few people behind one NAT logging in at once, small enough that a burst
/// from one address holds little memory.
pub const DEFAULT_QUEUE_PER_CLIENT: u16 = 8;

/// A client asked for more hashes than it may have waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// The pool. Cheap to share: the state is behind an `Arc`.
#[derive(Debug)]
pub struct HashPool {
    settings: HashingSettings,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Password checks run (not new hashes), for `/metrics`.
    checks: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    running: usize,
    /// Those waiting, by client, each served in its turn.
    waiting: HashMap<IpAddr, VecDeque<oneshot::Sender<Slot>>>,
    /// Clients with someone waiting, in the order of their next turn.
    turns: VecDeque<IpAddr>,
}

impl State {
    fn queued(&self) -> usize {
        self.waiting.values().map(VecDeque::len).sum()
    }
}

/// The right to run one hash; handed to the next in turn when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    shared: Option<Arc<Shared>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            release(&shared);
        }
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves consistent counts (each change is one
    // statement), so a poisoned lock is still usable.
    shared.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Hands a finished hash's place to the next client in turn, or frees it.
fn release(shared: &Arc<Shared>) {
    let mut state = lock(shared);
    while let Some(client) = state.turns.pop_front() {
        let Some(queue) = state.waiting.get_mut(&client) else { continue };
        let next = queue.pop_front();
        if queue.is_empty() {
            state.waiting.remove(&client);
        } else {
            state.turns.push_back(client);
        }
        let Some(next) = next else { continue };
        // The place passes on as a new slot; if its waiter is gone (the client hung up),
        // the slot comes back unsent, is defused, and the next in turn gets the place.
        match next.send(Slot { shared: Some(shared.clone()) }) {
            Ok(()) => return,
            Err(mut unsent) => {
                unsent.shared = None;
            }
        }
    }
    state.running = state.running.saturating_sub(1);
}

impl HashPool {
    pub fn new(settings: HashingSettings) -> Self {
        let settings = HashingSettings {
            workers: settings.workers.max(1),
            queue_per_client: settings.queue_per_client.max(1),
        };
        HashPool { settings, shared: Arc::default() }
    }

    pub fn settings(&self) -> HashingSettings {
        self.settings
    }

    /// Password checks run so far.
    pub fn checks(&self) -> u64 {
        self.shared.checks.load(Ordering::Relaxed)
    }

    /// Hashes waiting for a worker now.
    pub fn waiting(&self) -> usize {
        lock(&self.shared).queued()
    }

    /// Counts one password check (a verification, not a new hash).
    pub(crate) fn count_check(&self) {
        self.shared.checks.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `work` on the blocking pool when it is `client`'s turn; [`Busy`] at once if
    /// the client already has as many waiting as it may.
    #[cfg(test)]
    async fn run<T: Send + 'static>(
        &self,
        client: IpAddr,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Result<T, tokio::task::JoinError>, Busy> {
        Ok(self.run_in(self.enter(client)?, work).await)
    }

    /// Runs `work` on the blocking pool in a turn taken before with [`Self::enter`].
    pub(crate) async fn run_in<T: Send + 'static>(
        &self,
        turn: Turn,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        let slot = turn.resolve().await;
        // The slot goes with the work, so the place is freed when the hash is done, even if
        // the request that asked for it was dropped meanwhile.
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(slot);
            out
        })
        .await
    }

    /// Whether [`Self::enter`] would let `client` in now, taking nothing: a client past its
    /// bound is refused before anything else is spent on it (a login then writes nothing to
    /// the database), and no worker is held idle while the attempt is recorded.
    pub(crate) fn admits(&self, client: IpAddr) -> bool {
        let mut state = lock(&self.shared);
        if state.running < self.settings.workers && state.turns.is_empty() {
            return true;
        }
        state.waiting.get_mut(&client).is_none_or(|queue| {
            queue.retain(|w| !w.is_closed());
            queue.len() < self.settings.queue_per_client
        })
    }

    /// Takes `client`'s place now (a worker, or a place in its queue), to hash with
    /// [`Self::run_in`]. Dropping the turn unused gives it up.
    pub(crate) fn enter(&self, client: IpAddr) -> Result<Turn, Busy> {
        let mut state = lock(&self.shared);
        if state.running < self.settings.workers && state.turns.is_empty() {
            state.running += 1;
            let slot = Slot { shared: Some(self.shared.clone()) };
            return Ok(Turn::Ready(Some(slot)));
        }
        let queue = state.waiting.entry(client).or_default();
        // Waiters whose client hung up hold no place in the bound.
        queue.retain(|w| !w.is_closed());
        if queue.len() >= self.settings.queue_per_client {
            return Err(Busy);
        }
        let (tx, rx) = oneshot::channel();
        let first = queue.is_empty();
        queue.push_back(tx);
        if first && !state.turns.contains(&client) {
            state.turns.push_back(client);
        }
        Ok(Turn::Queued(rx))
    }
}

/// A client's place: a worker now, or a place in its queue to wait in.
#[derive(Debug)]
pub(crate) enum Turn {
    Ready(Option<Slot>),
    Queued(oneshot::Receiver<Slot>),
}

impl Turn {
    async fn resolve(self) -> Option<Slot> {
        match self {
            Turn::Ready(slot) => slot,
            // The pool never drops a waiter's sender without sending: `None` cannot happen
            // while the pool lives, and then the hash runs without a place.
            Turn::Queued(rx) => rx.await.ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    /// One worker, held by a hash that waits for the test's word; then a burst from one
    /// client and one hash from another: the other is served second, not after the burst.
    #[tokio::test]
    async fn a_bystander_is_served_before_a_burst_drains_and_a_burst_is_bounded() {
        let pool = Arc::new(HashPool::new(HashingSettings { workers: 1, queue_per_client: 4 }));
        let (order_tx, order_rx) = mpsc::channel::<String>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let first = {
            let (pool, order) = (pool.clone(), order_tx.clone());
            tokio::spawn(async move {
                pool.run(ip(1), move || {
                    go_rx.recv().ok();
                    order.send("burst-0".into()).ok();
                })
                .await
            })
        };
        // Bounded: the first hash holds the worker once its place is taken.
        for _ in 0..1000 {
            if lock(&pool.shared).running == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        let mut waiting = Vec::new();
        for n in 1..=4 {
            let (pool, order) = (pool.clone(), order_tx.clone());
            waiting.push(tokio::spawn(async move {
                pool.run(ip(1), move || order.send(format!("burst-{n}")).ok()).await.map(|_| ())
            }));
        }
        for _ in 0..1000 {
            if pool.waiting() == 4 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.waiting(), 4);
        // A fifth from the same client is refused at once.
        assert!(pool.run(ip(1), || ()).await.is_err());
        let bystander = {
            let (pool, order) = (pool.clone(), order_tx.clone());
            tokio::spawn(async move { pool.run(ip(2), move || order.send("bystander".into()).ok()).await })
        };
        for _ in 0..1000 {
            if pool.waiting() == 5 {
                break;
            }
            tokio::task::yield_now().await;
        }
        go_tx.send(()).unwrap();
        first.await.unwrap().unwrap().unwrap();
        bystander.await.unwrap().unwrap().unwrap();
        for w in waiting {
            w.await.unwrap().unwrap();
        }
        drop(order_tx);
        let order: Vec<String> = order_rx.iter().collect();
        let at = order.iter().position(|o| o == "bystander").unwrap();
        assert!(at <= 2, "the bystander waited for the burst: {order:?}");
        assert_eq!(order.len(), 6, "{order:?}");
        assert_eq!(pool.waiting(), 0);
        assert_eq!(lock(&pool.shared).running, 0);
    }
}
