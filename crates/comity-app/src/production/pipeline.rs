//! The two passes over an export, in bounded memory, on every core.
//!
//! 1. [`survey`] reads every record, refuses the export at its first bad lines (nothing
//!    half-filtered ever leaves), hashes it, and gathers the third parties named in the
//!    in-scope records' party fields.
//! 2. [`write_records`] reads it again and writes the in-scope records, redacted, as
//!    JSON Lines, hashing what it writes.
//!
//! Both read the export in blocks of whole lines. One thread reads (and hashes) the
//! blocks in order; a worker per core (up to `MAX_WORKERS`, 8) parses and redacts them;
//! the calling thread takes the workers' results back in the export's order, so what a
//! production writes is what one thread reading from the start would write. Memory holds
//! at most `2 × workers + 1` blocks (each about `BLOCK_BYTES`, 1 MiB, or one line of at
//! most [`MAX_LINE_BYTES`]), the third parties of the production and the masker's
//! automaton over them.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::{Mutex, mpsc};

use comity_redact::{Pseudonyms, Summary};
use comity_wire::export::{Record, fields_of, parse_record};
use sha2::{Digest, Sha256};

use super::records::{Redactor, Sightings, Targets, ThirdParties};

/// The longest line of an export: one record. A file's extracted text or a long message
/// fits; a line past this is refused with its number.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// How many bad lines an error lists before it stops counting them out.
const MAX_PROBLEMS: usize = 20;

/// A block of the export is whole lines up to about this size: large enough that handing
/// it between threads costs nothing beside its parsing, small enough that the blocks in
/// flight are a few MiB.
const BLOCK_BYTES: usize = 1024 * 1024;

/// Workers beyond this gain little (the reading thread and the ordered writing are one
/// each) and would each hold blocks in memory.
const MAX_WORKERS: usize = 8;

/// Why an export cannot be produced.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading the export failed: {0}")]
    Io(#[from] io::Error),
    /// Lines that are not records: the first few, each with its number and what is wrong,
    /// and how many in all.
    #[error("{} of the export's lines are not records; the first: line {}: {}", .total, .problems[0].0, .problems[0].1)]
    Records { problems: Vec<(u64, String)>, total: u64 },
    #[error("the export is empty: it has no record")]
    Empty,
}

/// What the first pass learnt.
#[derive(Debug)]
pub struct Survey {
    pub records: u64,
    pub in_scope: u64,
    pub bytes: u64,
    pub sha256: [u8; 32],
    pub parties: ThirdParties,
}

/// Whole lines of the export, and the number of the first.
struct Block {
    first_line: u64,
    bytes: Vec<u8>,
}

impl Block {
    /// Each line's number and what it holds: a record, or why it is not one. Empty lines
    /// are skipped (they are counted in the numbering).
    fn records(&self) -> impl Iterator<Item = (u64, Result<Record<'_>, String>)> {
        self.bytes.split_inclusive(|b| *b == b'\n').zip(self.first_line..).filter_map(|(line, number)| {
            let parsed = match std::str::from_utf8(line) {
                Err(e) => Err(format!("not UTF-8 (byte {})", e.valid_up_to() + 1)),
                Ok(text) => match parse_record(text) {
                    Ok(None) => return None,
                    Ok(Some(record)) => Ok(record),
                    Err(e) => Err(e.0),
                },
            };
            Some((number, parsed))
        })
    }
}

/// How many workers read blocks: one per core, up to [`MAX_WORKERS`].
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_WORKERS)
}

/// How many blocks may be read and not yet handed back at once: each worker's, and as many
/// again waiting, so that no worker waits for the reader.
fn in_flight(workers: usize) -> usize {
    2 * workers + 1
}

/// Reads `export` in blocks of whole lines (hashing every byte into `hasher`, in order),
/// has `work` turn each block into a result on every core, and hands the results to `done`
/// in the export's order; `progress` gets the bytes handed back so far, now and then.
/// The first error, from reading or from `done`, stops it all.
fn in_blocks<R: Send>(
    export: impl Read + Send,
    hasher: Option<&mut Sha256>,
    progress: &mut dyn FnMut(u64),
    work: impl Fn(&Block) -> R + Sync,
    mut done: impl FnMut(R) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    let workers = workers();
    let (free_tx, free_rx) = mpsc::sync_channel::<Vec<u8>>(in_flight(workers));
    for _ in 0..in_flight(workers) {
        let _ = free_tx.send(Vec::new());
    }
    let (todo_tx, todo_rx) = mpsc::channel::<(u64, Block)>();
    let todo_rx = Mutex::new(todo_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, R, Vec<u8>)>();
    std::thread::scope(|scope| {
        let reading = scope.spawn(move || read_blocks(export, hasher, &free_rx, &todo_tx));
        for _ in 0..workers {
            let (todo_rx, done_tx, work) = (&todo_rx, done_tx.clone(), &work);
            scope.spawn(move || {
                loop {
                    // The lock is held only to take the next block.
                    let next = todo_rx.lock().map_err(|_| ()).and_then(|rx| rx.recv().map_err(|_| ()));
                    let Ok((seq, block)) = next else { return };
                    let result = work(&block);
                    if done_tx.send((seq, result, block.bytes)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // The results, back in order: a block done early waits for those before it.
        let handed_back = (|| -> Result<u64, ExportError> {
            let (mut next, mut bytes, mut reported) = (0u64, 0u64, 0u64);
            let mut early = BTreeMap::new();
            for (seq, result, buffer) in &done_rx {
                early.insert(seq, (result, buffer));
                while let Some((result, mut buffer)) = early.remove(&next) {
                    next += 1;
                    bytes += buffer.len() as u64;
                    done(result)?;
                    buffer.clear();
                    let _ = free_tx.send(buffer);
                    if bytes - reported >= 4 * 1024 * 1024 {
                        progress(bytes);
                        reported = bytes;
                    }
                }
            }
            progress(bytes);
            Ok(bytes)
        })();
        // Whatever stopped, the reader and the workers stop too: no buffer comes back
        // to the reader, and no result is taken from the workers.
        drop(free_tx);
        drop(done_rx);
        let read =
            reading.join().unwrap_or_else(|_| Err(io::Error::other("the export's reader stopped").into()));
        let bytes = handed_back?;
        let read = read?;
        debug_assert_eq!(read, bytes);
        Ok(bytes)
    })
}

/// The reading thread: fills the buffers that come back free with whole lines and sends
/// them to the workers, numbered in order. Returns the bytes read.
fn read_blocks(
    export: impl Read,
    mut hasher: Option<&mut Sha256>,
    free: &mpsc::Receiver<Vec<u8>>,
    todo: &mpsc::Sender<(u64, Block)>,
) -> Result<u64, ExportError> {
    let mut reader = BufReader::with_capacity(256 * 1024, export);
    let (mut seq, mut line_number, mut bytes) = (0u64, 1u64, 0u64);
    loop {
        // No free buffer: the results are no longer taken, so reading stops.
        let Ok(mut buffer) = free.recv() else { return Ok(bytes) };
        let first_line = line_number;
        while buffer.len() < BLOCK_BYTES {
            let start = buffer.len();
            let n = (&mut reader).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut buffer)?;
            if n == 0 {
                break;
            }
            if let Some(h) = hasher.as_deref_mut() {
                h.update(&buffer[start..]);
            }
            if n > MAX_LINE_BYTES {
                return Err(ExportError::Records {
                    problems: vec![(
                        line_number,
                        format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20),
                    )],
                    total: 1,
                });
            }
            line_number += 1;
            bytes += n as u64;
        }
        if buffer.is_empty() {
            return Ok(bytes);
        }
        if todo.send((seq, Block { first_line, bytes: buffer })).is_err() {
            return Ok(bytes);
        }
        seq += 1;
    }
}

/// What one block of the first pass found.
struct Surveyed {
    records: u64,
    in_scope: u64,
    /// The first bad lines, and how many in all.
    problems: Vec<(u64, String)>,
    bad: u64,
    sightings: Sightings,
}

/// The first pass: checks every line, hashes the export, counts what the scope admits
/// and gathers the third parties of the in-scope records. `allow_unknown_kinds` lets a
/// kind comity does not know through, all its strings then free text.
pub fn survey(
    export: impl Read + Send,
    targets: &Targets<'_>,
    pseudonyms: &Pseudonyms,
    allow_unknown_kinds: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<Survey, ExportError> {
    let mut hasher = Sha256::new();
    let mut parties = ThirdParties::default();
    let (mut records, mut in_scope) = (0u64, 0u64);
    let mut problems = Vec::new();
    let mut total = 0u64;
    let work = |block: &Block| {
        let mut found = Surveyed {
            records: 0,
            in_scope: 0,
            problems: Vec::new(),
            bad: 0,
            sightings: Sightings::default(),
        };
        for (number, record) in block.records() {
            let record = match record {
                Ok(r) if !allow_unknown_kinds && fields_of(&r.kind).is_none() => Err(format!(
                    "`kind` {:?} is not a kind comity knows (docs/export-format.md); allow unknown kinds to treat all its strings as free text",
                    r.kind
                )),
                other => other,
            };
            match record {
                Ok(record) => {
                    found.records += 1;
                    if targets.admits(&record) {
                        found.in_scope += 1;
                        found.sightings.collect(&record, targets);
                    }
                }
                Err(why) => {
                    found.bad += 1;
                    if found.problems.len() < MAX_PROBLEMS {
                        found.problems.push((number, why));
                    }
                }
            }
        }
        found
    };
    let bytes = in_blocks(export, Some(&mut hasher), progress, work, |found| {
        records += found.records;
        in_scope += found.in_scope;
        total += found.bad;
        problems.extend(found.problems.into_iter().take(MAX_PROBLEMS - problems.len()));
        parties.add(found.sightings, pseudonyms);
        Ok(())
    })?;
    if total > 0 {
        return Err(ExportError::Records { problems, total });
    }
    if records == 0 {
        return Err(ExportError::Empty);
    }
    Ok(Survey { records, in_scope, bytes, sha256: hasher.finalize().into(), parties })
}

/// What the second pass wrote.
#[derive(Debug)]
pub struct Written {
    pub records: u64,
    pub bytes: u64,
    pub sha256: [u8; 32],
    pub summary: Summary,
}

/// The second pass: writes the in-scope records of `export`, redacted, one JSON object
/// per line, to `out`. The export must be the one surveyed.
pub fn write_records(
    export: impl Read + Send,
    redactor: &Redactor<'_>,
    out: impl Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Written, ExportError> {
    let mut out = HashingWriter {
        inner: io::BufWriter::with_capacity(256 * 1024, out),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut summary = Summary::default();
    let mut records = 0u64;
    let work = |block: &Block| -> Result<(Vec<u8>, u64, Summary), ExportError> {
        let mut lines = Vec::with_capacity(block.bytes.len());
        let (mut records, mut summary) = (0u64, Summary::default());
        for (number, record) in block.records() {
            // The survey read the same bytes; a difference means the file changed under us.
            let record =
                record.map_err(|why| ExportError::Records { problems: vec![(number, why)], total: 1 })?;
            if !redactor.targets.admits(&record) {
                continue;
            }
            let value = redactor.redact(&record, &mut summary);
            serde_json::to_writer(&mut lines, &value).map_err(io::Error::from)?;
            lines.push(b'\n');
            records += 1;
        }
        Ok((lines, records, summary))
    };
    in_blocks(export, None, progress, work, |written| {
        let (lines, n, counts) = written?;
        out.write_all(&lines)?;
        records += n;
        summary.add(&counts);
        Ok(())
    })?;
    out.inner.flush()?;
    Ok(Written { records, bytes: out.bytes, sha256: out.hasher.finalize().into(), summary })
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
