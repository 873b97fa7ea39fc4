//! The two passes over an export, in bounded memory: one line at a time, whatever the
//! export's size.
//!
//! 1. [`survey`] reads every record, refuses the export at its first bad lines (nothing
//!    half-filtered ever leaves), hashes it, and gathers the third parties named in the
//!    in-scope records' party fields.
//! 2. [`write_records`] reads it again and writes the in-scope records, redacted, as
//!    JSON Lines, hashing what it writes.
//!
//! Memory holds one line (at most [`MAX_LINE_BYTES`]), the third parties of the
//! production and the masker's automaton over them.

use std::io::{self, BufRead, BufReader, Read, Write};

use comity_redact::{Pseudonyms, Summary};
use comity_wire::export::{Record, fields_of, parse_record};
use sha2::{Digest, Sha256};

use super::records::{Redactor, Targets, ThirdParties};

/// The longest line of an export: one record. A file's extracted text or a long message
/// fits; a line past this is refused with its number.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// How many bad lines an error lists before it stops counting them out.
const MAX_PROBLEMS: usize = 20;

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

/// Reads `export` line by line, calling `each` with every record and its line number;
/// `progress` gets the bytes read so far, now and then.
fn for_each_record(
    export: impl Read,
    hasher: Option<&mut Sha256>,
    progress: &mut dyn FnMut(u64),
    mut each: impl FnMut(u64, Result<Record, String>) -> Result<(), ExportError>,
) -> Result<u64, ExportError> {
    let mut reader = BufReader::with_capacity(256 * 1024, export);
    let mut hasher = hasher;
    let mut line = Vec::new();
    let (mut number, mut bytes, mut reported) = (0u64, 0u64, 0u64);
    loop {
        line.clear();
        let n = (&mut reader).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        number += 1;
        bytes += n as u64;
        if let Some(h) = hasher.as_deref_mut() {
            h.update(&line);
        }
        if n > MAX_LINE_BYTES {
            return Err(ExportError::Records {
                problems: vec![(number, format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20))],
                total: 1,
            });
        }
        let parsed = match std::str::from_utf8(&line) {
            Err(e) => Err(format!("not UTF-8 (byte {})", e.valid_up_to() + 1)),
            Ok(text) => match parse_record(text) {
                Ok(None) => continue,
                Ok(Some(record)) => Ok(record),
                Err(e) => Err(e.0),
            },
        };
        each(number, parsed)?;
        if bytes - reported >= 4 * 1024 * 1024 {
            progress(bytes);
            reported = bytes;
        }
    }
    progress(bytes);
    Ok(bytes)
}

/// The first pass: checks every line, hashes the export, counts what the scope admits
/// and gathers the third parties of the in-scope records. `allow_unknown_kinds` lets a
/// kind comity does not know through, all its strings then free text.
pub fn survey(
    export: impl Read,
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
    let bytes = for_each_record(export, Some(&mut hasher), progress, |number, record| {
        let record = match record {
            Ok(r) if !allow_unknown_kinds && fields_of(&r.kind).is_none() => Err(format!(
                "`kind` {:?} is not a kind comity knows (docs/export-format.md); allow unknown kinds to treat all its strings as free text",
                r.kind
            )),
            other => other,
        };
        match record {
            Ok(record) => {
                records += 1;
                if targets.admits(&record) {
                    in_scope += 1;
                    parties.collect(&record, targets, pseudonyms);
                }
            }
            Err(why) => {
                total += 1;
                if problems.len() < MAX_PROBLEMS {
                    problems.push((number, why));
                }
            }
        }
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
    export: impl Read,
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
    for_each_record(export, None, progress, |number, record| {
        // The survey read the same bytes; a difference means the file changed under us.
        let record =
            record.map_err(|why| ExportError::Records { problems: vec![(number, why)], total: 1 })?;
        if !redactor.targets.admits(&record) {
            return Ok(());
        }
        let value = redactor.redact(&record, &mut summary);
        serde_json::to_writer(&mut out, &value).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
        records += 1;
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
