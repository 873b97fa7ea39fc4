//! The witness service and its client against each other: a real server on port 0, real
//! HTTP, restarts on the same state directory.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use comity_log::{KnownLogs, LogKey, MemoryTree, verify_checkpoint, verify_cosignature};
use comity_witness::{Config, Error, Server, StateDir, SubmitError, WitnessClient};
use tokio::{sync::oneshot, task::JoinHandle};

const ORIGIN: &str = "comity.test/log";
const NAME: &str = "witness.test/w1";

/// A witness serving in this process.
struct Running {
    url: String,
    vkey: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), Error>>,
}

impl Running {
    async fn start(dir: &Path, logs: &KnownLogs) -> Running {
        let server = Server::bind(Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            state_dir: StateDir::new(dir),
            name: NAME.into(),
            logs: logs.clone(),
        })
        .await
        .unwrap();
        let url = format!("http://{}", server.local_addr());
        let vkey = server.key().verifier_key().to_owned();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        Running { url, vkey, stop, task }
    }

    fn client(&self) -> WitnessClient {
        WitnessClient::new(&self.url, &self.vkey).unwrap()
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

fn tree(n: u64, rewrite: Option<u64>) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in 0..n {
        let entry = if Some(i) == rewrite { format!("rewritten {i}\n") } else { format!("entry {i}\n") };
        t.append(entry.as_bytes());
    }
    t
}

fn known(log: &LogKey) -> KnownLogs {
    let mut logs = KnownLogs::new();
    logs.add(ORIGIN, log.verifier_key()).unwrap();
    logs
}

#[tokio::test]
async fn the_client_gets_verified_cosignatures_of_a_growing_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogKey::generate(ORIGIN);
    let witness = Running::start(dir.path(), &known(&log)).await;
    let t = tree(40, None);
    let mut client = witness.client();

    for size in [1, 10, 10, 25, 40] {
        let note = log.sign(ORIGIN, size, t.root(size).unwrap()).unwrap();
        let line = client.submit(&note, &t).await.unwrap();
        assert!(line.starts_with(&format!("— {NAME} ")) && !line.ends_with('\n'), "{line}");
        assert_eq!(client.witnessed_size(), size);
        // The line, appended after the log's signature, is a cosignature of this
        // checkpoint, and the log's signature still verifies.
        let cosigned = [note.as_slice(), line.as_bytes(), b"\n"].concat();
        verify_cosignature(&cosigned, &witness.vkey).unwrap();
        verify_checkpoint(&cosigned, log.verifier_key()).unwrap();
    }

    // A client that expects another witness's key refuses the answer.
    let stranger = comity_log::WitnessKey::generate("witness.test/w2").unwrap();
    let mut wrong = WitnessClient::new(&witness.url, stranger.verifier_key()).unwrap();
    let note = log.sign(ORIGIN, 40, t.root(40).unwrap()).unwrap();
    let err = wrong.submit(&note, &t).await.unwrap_err();
    assert!(matches!(err, SubmitError::Cosignature(_)), "{err:?}");
    witness.stop().await;
}

#[tokio::test]
async fn a_restarted_witness_remembers_and_the_client_proves_from_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogKey::generate(ORIGIN);
    let honest = tree(40, None);
    let forked = tree(40, Some(3));

    let witness = Running::start(dir.path(), &known(&log)).await;
    let vkey = witness.vkey.clone();
    let mut client = witness.client();
    for size in [10, 25] {
        let note = log.sign(ORIGIN, size, honest.root(size).unwrap()).unwrap();
        client.submit(&note, &honest).await.unwrap();
    }
    drop(client);
    witness.stop().await;

    // Restarted on the same state: the same key, and it still knows size 25 and its root.
    let witness = Running::start(dir.path(), &known(&log)).await;
    assert_eq!(witness.vkey, vkey, "the key is reused");

    // A log that rewrote entry 3 is refused, whatever size it proves from: from 0 the
    // witness answers 409 with 25, and from 25 the fork's proof does not hold (422).
    let mut fork_client = witness.client();
    let note = log.sign(ORIGIN, 40, forked.root(40).unwrap()).unwrap();
    let err = fork_client.submit(&note, &forked).await.unwrap_err();
    assert!(
        matches!(&err, SubmitError::Refused { status, .. } if status.as_u16() == 422),
        "a fork must be refused with 422: {err:?}"
    );
    assert_eq!(fork_client.witnessed_size(), 25, "it learnt the witness's size from the 409");
    // The same size with another root: 409 without a size, refused.
    let note = log.sign(ORIGIN, 25, forked.root(25).unwrap()).unwrap();
    let err = fork_client.submit(&note, &forked).await.unwrap_err();
    assert!(matches!(&err, SubmitError::Refused { status, .. } if status.as_u16() == 409), "{err:?}");

    // The honest log, from a client that knows nothing (a restarted log server): 409
    // with 25, then proven from 25 at once.
    let mut client = witness.client();
    let note = log.sign(ORIGIN, 40, honest.root(40).unwrap()).unwrap();
    client.submit(&note, &honest).await.unwrap();
    assert_eq!(client.witnessed_size(), 40);

    // One request from a stale size, without the client's retry: the witness's size.
    let stale = witness.client();
    let err = stale.add_checkpoint(25, &note, &honest).await.unwrap_err();
    assert!(matches!(err, SubmitError::Behind { old: 25, witnessed: 40 }), "{err:?}");
    witness.stop().await;
}

#[tokio::test]
async fn unknown_logs_impostors_and_dead_witnesses_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogKey::generate(ORIGIN);
    let witness = Running::start(dir.path(), &known(&log)).await;
    let t = tree(5, None);
    let status = |err: SubmitError| match err {
        SubmitError::Refused { status, message } => {
            assert!(!message.is_empty());
            status.as_u16()
        }
        other => panic!("expected a refusal, got {other:?}"),
    };

    let stranger = LogKey::generate("elsewhere.test/log");
    let note = stranger.sign("elsewhere.test/log", 5, t.root(5).unwrap()).unwrap();
    assert_eq!(status(witness.client().submit(&note, &t).await.unwrap_err()), 404);
    let impostor = LogKey::generate(ORIGIN);
    let note = impostor.sign(ORIGIN, 5, t.root(5).unwrap()).unwrap();
    assert_eq!(status(witness.client().submit(&note, &t).await.unwrap_err()), 403);
    let err = witness.client().submit(b"not a note", &t).await.unwrap_err();
    assert!(matches!(err, SubmitError::Checkpoint(_)), "{err:?}");

    // A proof the log cannot build (its hashes are missing) is an error before any request.
    let note = log.sign(ORIGIN, 5, t.root(5).unwrap()).unwrap();
    let err = witness.client().add_checkpoint(3, &note, &comity_log::HashMapReader::default()).await;
    assert!(matches!(err, Err(SubmitError::Hashes(_))), "{err:?}");

    let (url, witness_vkey) = (witness.url.clone(), witness.vkey.clone());
    witness.stop().await;
    let mut gone = WitnessClient::new(&url, &witness_vkey).unwrap();
    let err = gone.submit(&note, &t).await.unwrap_err();
    assert!(matches!(err, SubmitError::Http(_)), "{err:?}");
    assert_eq!(gone.witnessed_size(), 0);
}

/// A log's own hash source, as a server implements one over its store: asynchronous, and
/// counting what it is asked.
struct Store {
    tree: MemoryTree,
    asked: std::sync::Mutex<Vec<Vec<u64>>>,
}

impl comity_witness::HashSource for Store {
    async fn read_hashes(
        &self,
        indexes: &[u64],
    ) -> Result<Vec<comity_log::Hash>, comity_witness::SourceError> {
        tokio::task::yield_now().await;
        self.asked.lock().unwrap().push(indexes.to_vec());
        Ok(comity_log::HashReader::read_hashes(&self.tree, indexes)?)
    }
}

#[tokio::test]
async fn a_source_is_asked_once_per_proof_for_exactly_its_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let log = LogKey::generate(ORIGIN);
    let witness = Running::start(dir.path(), &known(&log)).await;
    let mut store = Store { tree: tree(300, None), asked: Default::default() };
    let mut client = witness.client();
    for size in [7, 7, 300] {
        let note = log.sign(ORIGIN, size, store.tree.root(size).unwrap()).unwrap();
        // A checkpointer submits from a spawned task: the submission is Send.
        let submission = tokio::spawn(async move {
            let line = client.submit(&note, &store).await;
            (client, store, line)
        });
        let (back, source, line) = submission.await.unwrap();
        (client, store) = (back, source);
        line.unwrap();
    }
    // No proof from 0 or to the same size; one read for the proof from 7 to 300.
    let asked = store.asked.lock().unwrap().clone();
    let needed = comity_log::hashes_needed(|r| comity_log::consistency_proof(7, 300, r));
    assert_eq!(asked, [needed]);
    witness.stop().await;
}
