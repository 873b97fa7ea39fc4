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
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut writer = BufWriter::with_capacity(1 << 20, output);
    let mut line = String::new();
    let mut number = 0u64;
    loop {
        line.clear();
        number += 1;
        let read =
            reader.read_line(&mut line).with_context(|| format!("{name}, line {number}: cannot read it"))?;
        if read == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let record: Record<'_> = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => bail!(
                "{name}, line {number}: not a record {{\"id\": ..., \"text\": \"...\"}}: {e}; nothing after it was scanned"
            ),
        };
        let spans = detector.detect(&record.text);
        write_found(&mut writer, record.id, &char_spans(&record.text, &spans))
            .context("writing the spans")?;
    }
    writer.flush().context("writing the spans")?;
    Ok(())
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}
