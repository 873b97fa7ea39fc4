//! `comity pii scan`: the redaction detector over JSON Lines, for checks and benchmarks.

use std::{
    fs::File,
    io::{self, BufRead, BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use comity_redact::{CharSpan, Detector, DetectorConfig, NationalIds, char_spans};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Subcommand)]
pub enum PiiCommand {
    /// Find personal data in texts: reads JSON Lines {"id": ..., "text": "..."} and writes
    /// one line per record, in order: {"id": ..., "spans": [{"start", "end", "type"}]},
    /// the id written back as it was read.
    ///
    /// Offsets count characters (Unicode scalar values, as Presidio and Python count
    /// them); types are named as Presidio names them (EMAIL_ADDRESS, PHONE_NUMBER,
    /// IP_ADDRESS, CREDIT_CARD, IBAN_CODE, PERSON, US_SSN, and the national identifiers
    /// chosen). Blank lines are skipped. A line that is not such a record stops the scan
    /// with its line number and exit status 1: output that stops halfway is easy to
    /// mistake for a complete one, so nothing is skipped silently.
    Scan(ScanArgs),
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The JSON Lines to read; `-` is standard input.
    #[arg(long, default_value = "-")]
    input: PathBuf,
    /// Where to write the spans; `-` is standard output.
    #[arg(long, default_value = "-")]
    output: PathBuf,
    /// The national identifiers to look for, comma-separated (US_SSN, UK_NINO, ES_NIF,
    /// ES_NIE, IT_FISCAL_CODE, DE_TAX_ID, FR_NIR), or NONE.
    #[arg(long, default_value = "US_SSN")]
    national_ids: String,
    /// Do not look for person names (greetings, titles, signatures).
    #[arg(long)]
    no_persons: bool,
    /// The regions whose national phone formats (no `+` or `00`) are tried,
    /// comma-separated ISO 3166-1 codes (FR,DE,GB) or the sets DEFAULT (the EU, the rest
    /// of the EEA, CH, GB, US, CA), EU, ALL, NONE. International formats are found in
    /// every region whatever this says.
    #[arg(long, default_value = "DEFAULT")]
    phone_regions: String,
    /// `valid` (libphonenumber says the number is in an assigned range) or `possible`
    /// (only its length fits the region's plan).
    #[arg(long, default_value = "valid")]
    phone_check: String,
}

#[derive(Deserialize)]
struct Record<'a> {
    /// Written back as it was read.
    #[serde(borrow)]
    id: &'a RawValue,
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
}

/// One line of output, `{"id":...,"spans":[{"start":0,"end":5,"type":"EMAIL_ADDRESS"}]}`,
/// as serde_json writes it compactly, but by hand: serde_json checked every key for
/// characters to escape, which cost a tenth of a scan. The id is JSON as it was read, the
/// type names are ASCII capitals and underscores, and the offsets are decimal integers.
fn write_found(out: &mut impl Write, id: &RawValue, spans: &[CharSpan]) -> io::Result<()> {
    let mut number = itoa::Buffer::new();
    out.write_all(b"{\"id\":")?;
    out.write_all(id.get().as_bytes())?;
    out.write_all(b",\"spans\":[")?;
    for (k, span) in spans.iter().enumerate() {
        out.write_all(if k == 0 { b"{\"start\":" } else { b",{\"start\":" })?;
        out.write_all(number.format(span.start).as_bytes())?;
        out.write_all(b",\"end\":")?;
        out.write_all(number.format(span.end).as_bytes())?;
        out.write_all(b",\"type\":\"")?;
        out.write_all(span.kind.as_str().as_bytes())?;
        out.write_all(b"\"}")?;
    }
    out.write_all(b"]}\n")
}

pub fn run(command: PiiCommand) -> anyhow::Result<()> {
    match command {
        PiiCommand::Scan(args) => scan(&args),
    }
}

fn scan(args: &ScanArgs) -> anyhow::Result<()> {
    let national_ids: NationalIds = args.national_ids.parse().context("reading --national-ids")?;
    let phone_regions = args.phone_regions.parse().context("reading --phone-regions")?;
    let phone_check = args.phone_check.parse().context("reading --phone-check")?;
    let detector =
        Detector::new(DetectorConfig { national_ids, persons: !args.no_persons, phone_regions, phone_check });
    let input: Box<dyn Read> = if is_stdio(&args.input) {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(File::open(&args.input).with_context(|| format!("opening {}", args.input.display()))?)
    };
    let output: Box<dyn Write> = if is_stdio(&args.output) {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(File::create(&args.output).with_context(|| format!("creating {}", args.output.display()))?)
    };
    let name =
        if is_stdio(&args.input) { "standard input".to_owned() } else { args.input.display().to_string() };
    let mut reader = BufReader::with_capacity(BLOCK, input);
    let mut scan = Scan { detector, writer: BufWriter::with_capacity(1 << 20, output), name, line: 1 };
    let mut block = Vec::with_capacity(BLOCK);
    loop {
        // About BLOCK bytes, then on to the end of the line.
        block.clear();
        let read = (&mut reader).take(BLOCK as u64).read_to_end(&mut block);
        let more = read
            .and_then(|_| if block.ends_with(b"\n") { Ok(0) } else { reader.read_until(b'\n', &mut block) });
        if let Err(e) = more {
            let line = scan.line + newlines(&block);
            return Err(e).with_context(|| format!("{}, line {line}: cannot read it", scan.name));
        }
        if block.is_empty() {
            break;
        }
        match std::str::from_utf8(&block) {
            Ok(text) => scan.block(text)?,
            Err(e) => {
                // The lines before the one that is not UTF-8 are scanned, as they were read.
                let good = block[..e.valid_up_to()].iter().rposition(|b| *b == b'\n').map_or(0, |k| k + 1);
                scan.block(std::str::from_utf8(&block[..good]).context("reading the lines before it")?)?;
                bail!(
                    "{}, line {}: cannot read it: it is not UTF-8; nothing after it was scanned",
                    scan.name,
                    scan.line
                );
            }
        }
    }
    scan.writer.flush().context("writing the spans")?;
    Ok(())
}

/// How much input `pii scan` reads at a time: whole lines, about a mebibyte.
const BLOCK: usize = 1 << 20;

/// A scan under way: where it writes, and the number of the next line it reads.
struct Scan<W: Write> {
    detector: Detector,
    writer: W,
    name: String,
    line: u64,
}

impl<W: Write> Scan<W> {
    /// A block of whole lines. Read with one deserializer while each record is one line,
    /// so that its buffer for unescaped strings grows once a block rather than once a
    /// line (serde_json gives each deserializer its own); from the first line that is not
    /// one record, line by line, which says what is wrong with it and where.
    fn block(&mut self, text: &str) -> anyhow::Result<()> {
        let mut records = serde_json::Deserializer::from_str(text).into_iter::<Record<'_>>();
        // Where the lines not yet scanned start.
        let mut done = 0;
        while let Some(Ok(record)) = records.next() {
            let end = records.byte_offset();
            // The line break is a byte or two on: looked for byte by byte.
            let line_end =
                text.as_bytes()[end..].iter().position(|b| *b == b'\n').map_or(text.len(), |k| end + k + 1);
            // Blank lines, then the record, on a line of its own.
            let (before, record_text) =
                text[done..end].split_at(text[done..end].len() - text[done..end].trim_start().len());
            if record_text.contains('\n') || !text[end..line_end].trim().is_empty() {
                break;
            }
            self.line += newlines(before.as_bytes()) + 1;
            done = line_end;
            self.write(&record)?;
        }
        for line in text[done..].split_inclusive('\n') {
            if !line.trim().is_empty() {
                let record: Record<'_> = match serde_json::from_str(line) {
                    Ok(r) => r,
                    Err(e) => bail!(
                        "{}, line {}: not a record {{\"id\": ..., \"text\": \"...\"}}: {e}; nothing after it was scanned",
                        self.name,
                        self.line
                    ),
                };
                self.write(&record)?;
            }
            self.line += 1;
        }
        Ok(())
    }

    fn write(&mut self, record: &Record<'_>) -> anyhow::Result<()> {
        let spans = self.detector.detect(&record.text);
        write_found(&mut self.writer, record.id, &char_spans(&record.text, &spans))
            .context("writing the spans")
    }
}

/// The line breaks in `bytes`.
fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}
