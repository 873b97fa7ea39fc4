//! Chaos (issue 17, item 2). Three `comity serve` processes of one PostgreSQL take signed
//! submissions and reads spread over all three while one of them is killed with SIGKILL
//! and started again, and then while PostgreSQL itself is stopped as by a crash and
//! started again; two sweeps of the deadlines run meanwhile. On SQLite, the disk fills up
//! under load, and is then freed.
//!
//! Afterwards every acknowledged request is present, the audit log verifies against the
//! store, every deadline due was acted on exactly once, and every answer during the faults
//! was a 2xx, a 503 with `Retry-After`, or a connection error: never a 500, never a hang.
//!
//! The PostgreSQL of the first test is a server of the test's own (`initdb` and `pg_ctl`
//! from the machine's PostgreSQL), so that restarting it stops no other test's database.
//! Mounting the small disk of the second test needs root; both run in CI (`.ci/run` sets
//! `COMITY_REQUIRE_CHAOS=1`, under which a missing tool or right fails the test instead of
//! skipping it).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use comity_core::{Fact, FactKind, JournalQuery};
use serde_json::Value;

use crate::support::{BIN, Data, Server, Trust, UNLIMITED, comity, comity_ok, example, signed_post};

/// How long one answer may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(30);

/// Whether this run must not skip for want of a tool or a right (CI).
fn required() -> bool {
    std::env::var("COMITY_REQUIRE_CHAOS").is_ok_and(|v| v == "1")
}

/// Skips loudly, or fails under `COMITY_REQUIRE_CHAOS=1`.
fn skip(test: &str, why: &str) {
    assert!(!required(), "{test} cannot run: {why}");
    eprintln!("SKIPPED {test}: {why}");
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A PostgreSQL server of the test's own, in a temporary directory, stopped when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    /// `initdb` and start. PostgreSQL refuses to run as root, so as root it runs as the
    /// `postgres` account its Debian package made.
    fn start() -> Result<Cluster, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .map_err(|e| {
                format!("no PostgreSQL under /usr/lib/postgresql ({e}): apt-get install postgresql")
            })?
            .filter_map(|d| d.ok().map(|d| d.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max()
            .ok_or("no initdb under /usr/lib/postgresql/*/bin: apt-get install postgresql")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let cluster = Cluster { bin, dir, port };
        if is_root() {
            let chown = Command::new("chown").args(["-R", "postgres:"]).arg(cluster.dir.path()).status();
            if !chown.is_ok_and(|s| s.success()) {
                return Err("cannot give the cluster's directory to the postgres account".into());
            }
        }
        cluster.run("initdb", &["-D", &cluster.data(), "-A", "trust", "-U", "postgres", "--no-sync"])?;
        cluster.up()?;
        Ok(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs one of PostgreSQL's programs, as `postgres` when this is root.
    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let path = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out =
            cmd.args(args).current_dir(self.dir.path()).output().map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn up(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "-t", "60", "start"])
    }

    /// Stops as a crash would: no shutdown checkpoint, every connection cut (`-m
    /// immediate`); the next start recovers from the WAL.
    fn crash(&self) -> Result<(), String> {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"])
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.crash();
    }
}

/// What the load saw.
#[derive(Default)]
struct Seen {
    /// Answers by status.
    statuses: BTreeMap<u16, usize>,
    /// Connections refused or cut.
    connection_errors: usize,
    /// Answers outside the promise: a status other than 2xx or 503, a 503 without
    /// `Retry-After`, or no answer within [`HANG`].
    broken: Vec<String>,
}

/// The load: submissions and reads spread over the servers, until told to stop.
struct Load {
    /// The servers' base URLs; a killed server's stays until it is started again.
    targets: Mutex<Vec<String>>,
    acknowledged: Mutex<Vec<String>>,
    seen: Mutex<Seen>,
    stop: AtomicBool,
    turn: AtomicUsize,
}

impl Load {
    fn new(targets: Vec<String>) -> Arc<Load> {
        Arc::new(Load {
            targets: Mutex::new(targets),
            acknowledged: Mutex::default(),
            seen: Mutex::default(),
            stop: AtomicBool::new(false),
            turn: AtomicUsize::new(0),
        })
    }

    fn acknowledged(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    /// The next server in turn.
    fn next(&self) -> String {
        let targets = self.targets.lock().unwrap();
        targets[self.turn.fetch_add(1, Ordering::Relaxed) % targets.len()].clone()
    }

    /// Files one answer; returns how long a well-behaved client waits before its next call.
    fn file(
        &self,
        what: &str,
        answer: reqwest::Result<reqwest::Response>,
    ) -> (Option<reqwest::Response>, Duration) {
        let mut seen = self.seen.lock().unwrap();
        match answer {
            Ok(r) => {
                let status = r.status().as_u16();
                *seen.statuses.entry(status).or_default() += 1;
                let retry_after =
                    r.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                match status {
                    200..=299 => (Some(r), Duration::ZERO),
                    503 => match retry_after {
                        Some(s) => (None, Duration::from_secs(s.min(2))),
                        None => {
                            seen.broken.push(format!("{what}: 503 without Retry-After"));
                            (None, Duration::from_millis(100))
                        }
                    },
                    other => {
                        seen.broken.push(format!("{what}: {other}"));
                        (Some(r), Duration::from_millis(100))
                    }
                }
            }
            Err(e) if e.is_timeout() => {
                seen.broken.push(format!("{what}: no answer within {HANG:?} (a hang)"));
                (None, Duration::ZERO)
            }
            Err(_) => {
                seen.connection_errors += 1;
                (None, Duration::from_millis(50))
            }
        }
    }

    /// One client: a signed submission, then a read of a request acknowledged before, in
    /// turn, until told to stop.
    async fn run(self: Arc<Load>, trust: Arc<Trust>, client: reqwest::Client, worker: usize) {
        let mut doc = example("eu-epoc-traffic.json");
        let mut n = 0usize;
        while !self.stop.load(Ordering::Relaxed) {
            n += 1;
            doc["issuing"]["reference"] = format!("REF-CHAOS-{worker}-{n}").into();
            let base = self.next();
            let answer = signed_post(&client, &format!("{base}/v1/requests"), trust.sign(&doc)).await;
            let (answer, wait) = self.file(&format!("POST {base}/v1/requests"), answer);
            if let Some(r) = answer
                && r.status().as_u16() == 201
            {
                // Only a 201 whose id arrived is acknowledged.
                if let Ok(body) = r.json::<Value>().await
                    && let Some(id) = body["id"].as_str()
                {
                    self.acknowledged.lock().unwrap().push(id.to_owned());
                }
            }
            tokio::time::sleep(wait).await;
            let read = {
                let acknowledged = self.acknowledged.lock().unwrap();
                (!acknowledged.is_empty()).then(|| acknowledged[n * 7919 % acknowledged.len()].clone())
            };
            if let Some(id) = read {
                let base = self.next();
                let answer =
                    client.get(format!("{base}/v1/requests/{id}")).bearer_auth(&trust.handler).send().await;
                let (_, wait) = self.file(&format!("GET {base}/v1/requests/{id}"), answer);
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// Waits until `more` further requests are acknowledged, for two minutes at most.
    async fn progress(&self, more: usize, phase: &str) {
        let goal = self.acknowledged() + more;
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.acknowledged() < goal {
            assert!(
                Instant::now() < deadline,
                "{phase}: only {} of {goal} acknowledged after two minutes; answers so far: {:?}",
                self.acknowledged(),
                self.seen.lock().unwrap().statuses
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// `comity serve` on a data directory of its own and the shared database, logging to
/// `log`.
fn serve(url: &str, dir: &Path, log: std::fs::File) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--database-url", url, "--data-dir"])
        .arg(dir)
        .args(UNLIMITED)
        .env_remove("COMITY_DATA_DIR")
        .env_remove("COMITY_DATABASE_URL");
    Server::spawn_logging(cmd, "comity serve", "comity listening on ", log)
}

/// Where a server of these tests logs: a file kept under the target directory, so that
/// the hundreds of warnings the faults cause stay out of the test output and are there to
/// read when a test fails.
fn server_log(test: &str, server: &str) -> std::fs::File {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{test}.{server}.log"));
    eprintln!("chaos: {server} logs to {}", path.display());
    std::fs::File::create(&path).unwrap()
}

/// `comity deadlines --apply` at ten days and a day from now, when every answer of the
/// requests received so far is overdue (e-Evidence Art 10(1)).
fn sweep(data: &Data) -> std::process::Child {
    Command::new(BIN)
        .args(["deadlines", "--apply", "--at", "+11d"])
        .args(data.args())
        .env_remove("COMITY_DATA_DIR")
        .env_remove("COMITY_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_lose_nothing_when_one_is_killed_and_when_postgresql_restarts() {
    const TEST: &str = "three_servers_lose_nothing_when_one_is_killed_and_when_postgresql_restarts";
    if std::env::var(comity_store::testing::DATABASE_URL_VAR).is_err() {
        return skip(TEST, "COMITY_TEST_DATABASE_URL is not set, so no PostgreSQL test runs here");
    }
    let cluster = match Cluster::start() {
        Ok(c) => c,
        Err(why) => return skip(TEST, &why),
    };
    let data = Data::Postgres(
        comity_store::testing::TestDatabase::create_on(&cluster.url()).await,
        tempfile::tempdir().unwrap(),
    );
    let Data::Postgres(db, first_dir) = &data else { unreachable!() };
    let first = Server::start_logging(&data, &UNLIMITED, server_log(TEST, "server-1"));
    // The other two share the first one's keys, as docs/deploy.md says.
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    for dir in &dirs {
        for file in ["log-key", "server-key"] {
            std::fs::copy(first_dir.path().join(file), dir.path().join(file)).unwrap();
        }
    }
    let mut servers = vec![
        first,
        serve(db.url(), dirs[0].path(), server_log(TEST, "server-2")),
        serve(db.url(), dirs[1].path(), server_log(TEST, "server-3")),
    ];
    let trust = Arc::new(Trust::setup(&servers[0], &data).await);
    let load = Load::new(servers.iter().map(|s| s.base.clone()).collect());
    let client = reqwest::Client::builder().timeout(HANG).build().unwrap();
    let workers: Vec<_> =
        (0..12).map(|w| tokio::spawn(load.clone().run(trust.clone(), client.clone(), w))).collect();

    load.progress(150, "spread over three servers").await;
    let before_kill = load.acknowledged();
    // Two sweeps of the deadlines at once, through what follows.
    let mut sweeps = vec![sweep(&data), sweep(&data)];
    let killed = servers.remove(1);
    killed.kill9();
    eprintln!("chaos: server 2 killed with SIGKILL at {before_kill} acknowledged");
    load.progress(150, "two servers, one killed").await;
    let restarted = serve(db.url(), dirs[0].path(), server_log(TEST, "server-2-restarted"));
    load.targets.lock().unwrap()[1] = restarted.base.clone();
    servers.insert(1, restarted);
    load.progress(150, "server 2 restarted").await;

    let before_crash = load.acknowledged();
    cluster.crash().unwrap();
    eprintln!("chaos: PostgreSQL stopped as by a crash at {before_crash} acknowledged");
    tokio::time::sleep(Duration::from_secs(2)).await;
    cluster.up().unwrap();
    eprintln!("chaos: PostgreSQL started again");
    load.progress(150, "after PostgreSQL's restart").await;
    sweeps.push(sweep(&data));

    load.stop.store(true, Ordering::Relaxed);
    for w in workers {
        tokio::time::timeout(HANG * 2, w).await.expect("a client hung").unwrap();
    }
    for mut s in sweeps {
        // A sweep may have failed while PostgreSQL was down; the last one below finishes.
        let _ = s.wait();
    }

    let seen = std::mem::take(&mut *load.seen.lock().unwrap());
    let acknowledged = load.acknowledged.lock().unwrap().clone();
    eprintln!(
        "chaos: {} acknowledged; answers by status {:?}; {} connection errors",
        acknowledged.len(),
        seen.statuses,
        seen.connection_errors
    );
    assert!(seen.broken.is_empty(), "answers outside the promise:\n{}", seen.broken.join("\n"));

    // Every acknowledged request is there, on every server.
    for (n, id) in acknowledged.iter().enumerate() {
        let server = &servers[n % servers.len()];
        let r = client
            .get(server.url(&format!("/v1/requests/{id}/events")))
            .bearer_auth(&trust.handler)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "acknowledged request {id} was lost");
        let events: Value = r.json().await.unwrap();
        assert_eq!(events[0]["to"], "received", "{id} lost its receipt event");
    }

    // Every deadline due was acted on, and none twice: one last sweep, after the faults.
    let last = comity(&["deadlines", "--apply", "--at", "+11d"], Some(&data));
    assert!(last.status.success(), "{}", String::from_utf8_lossy(&last.stderr));
    let store = comity_store::open(Some(db.url()), first_dir.path()).await.unwrap();
    let stored: u64 = store.count_by_state().await.unwrap().iter().map(|(_, n)| n).sum();
    let expired = store.journal(&JournalQuery::kinds(&[FactKind::ClockExpired])).await.unwrap();
    let mut requests: Vec<String> = expired
        .iter()
        .map(|j| match &j.fact {
            Fact::ClockExpired(c) => c.request.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    requests.sort();
    let acted = requests.len();
    requests.dedup();
    assert_eq!(requests.len(), acted, "a deadline was acted on twice");
    assert_eq!(acted as u64, stored, "every request's answer was due, and each was acted on once");
    for id in &acknowledged {
        assert!(requests.binary_search(id).is_ok(), "{id}'s deadline was not acted on");
    }
    store.close().await;

    // The store and its audit log agree, entry for entry.
    comity_ok(&["log", "verify"], Some(&data));
    drop(servers);
    drop(data);
    drop(cluster);
}

/// A small disk of the test's own (tmpfs), unmounted when dropped.
struct SmallDisk {
    mount: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Result<SmallDisk, String> {
        if !is_root() {
            return Err("mounting a small tmpfs needs root".into());
        }
        let mount = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(mount.path())
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount -t tmpfs failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(SmallDisk { mount })
    }

    /// Fills the disk with a file until all but `leave` bytes are taken.
    fn fill(&self, leave: u64) -> PathBuf {
        use std::io::Write;
        let path = self.mount.path().join("ballast");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        while file.write_all(&chunk).and_then(|()| file.sync_all()).is_ok() {
            written += chunk.len() as u64;
        }
        file.set_len(written.saturating_sub(leave)).unwrap();
        file.sync_all().unwrap();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.mount.path()).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_on_a_full_disk_answers_503_and_loses_nothing() {
    const TEST: &str = "sqlite_on_a_full_disk_answers_503_and_loses_nothing";
    let disk = match SmallDisk::mount(32) {
        Ok(d) => d,
        Err(why) => return skip(TEST, &why),
    };
    let data = Data::Sqlite(tempfile::tempdir_in(disk.mount.path()).unwrap());
    let server = Server::start_logging(&data, &UNLIMITED, server_log(TEST, "server"));
    let trust = Arc::new(Trust::setup(&server, &data).await);
    let ballast = disk.fill(2 * 1024 * 1024);
    let load = Load::new(vec![server.base.clone()]);
    let client = reqwest::Client::builder().timeout(HANG).build().unwrap();
    let workers: Vec<_> =
        (0..8).map(|w| tokio::spawn(load.clone().run(trust.clone(), client.clone(), w))).collect();
    // Until the disk is full: answers turn to 503.
    let deadline = Instant::now() + Duration::from_secs(120);
    while load.seen.lock().unwrap().statuses.get(&503).copied().unwrap_or(0) < 50 {
        assert!(
            Instant::now() < deadline,
            "the disk never filled: {:?}, {} acknowledged",
            load.seen.lock().unwrap().statuses,
            load.acknowledged()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let when_full = load.acknowledged();
    eprintln!("chaos: the disk is full at {when_full} acknowledged");
    // Room again: the server takes requests again, without a restart.
    std::fs::remove_file(&ballast).unwrap();
    load.progress(50, "after the disk was freed").await;
    load.stop.store(true, Ordering::Relaxed);
    for w in workers {
        tokio::time::timeout(HANG * 2, w).await.expect("a client hung").unwrap();
    }
    let seen = std::mem::take(&mut *load.seen.lock().unwrap());
    eprintln!("chaos: answers by status {:?}; {} connection errors", seen.statuses, seen.connection_errors);
    assert!(seen.broken.is_empty(), "answers outside the promise:\n{}", seen.broken.join("\n"));

    // Across a restart, every acknowledged request is there, and the log verifies.
    drop(server);
    let server = Server::start_logging(&data, &UNLIMITED, server_log(TEST, "server-restarted"));
    let acknowledged = load.acknowledged.lock().unwrap().clone();
    for id in &acknowledged {
        let r = client
            .get(server.url(&format!("/v1/requests/{id}/events")))
            .bearer_auth(&trust.handler)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "acknowledged request {id} was lost");
    }
    drop(server);
    comity_ok(&["log", "verify"], Some(&data));
    drop(data);
    drop(disk);
}
