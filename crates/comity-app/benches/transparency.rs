//! The transparency report over many requests (issue 16: "the report over 1,000,000
//! requests, with the time and memory it takes"). `cargo bench -p comity-app --bench
//! transparency [-- N]` (N requests, 1,000,000 by default).
//!
//! Each request's entries are made as the log holds them (`comity-log-entry/v2` bytes with
//! a request tag): its receipt, its classification, its screening moves, and an ending
//! (delivered, rejected, withdrawn, or none yet), one in ten national security. The same
//! entries are read twice in one run: once only parsed (`Entry::from_bytes`, the reference:
//! what reading the log costs whatever is done with it), once parsed and fed to
//! `comity_core::transparency::Tally`, then reported. The difference is the report's own
//! cost; reading the rows from the database comes on top, as for any scan of the log.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use comity_core::transparency::{Classification, Publication, SEALED_KIND, Tally};
use comity_core::{CountryCode, DataCategory, Instrument, RequestKind};
use comity_log::{Entry, RequestTag, Salt};

const COUNTRIES: [&str; 8] = ["FR", "DE", "NL", "IE", "BR", "JP", "GB", "US"];

/// Request `n`'s entries, as bytes.
fn entries(n: u64, start: DateTime<Utc>, classes: &[String]) -> Vec<Vec<u8>> {
    let tag = RequestTag::new(&Salt([(n % 251) as u8; 32]), &format!("req-{n}"));
    let at = start + Duration::seconds(n as i64);
    let entry = |kind: &str, k: i64| {
        Entry::new(kind, at + Duration::seconds(k), Some(&tag), [n as u8; 32]).expect("an entry").to_bytes()
    };
    let class = if n % 10 == 9 { SEALED_KIND } else { &classes[(n % classes.len() as u64) as usize] };
    let mut out = vec![entry("lifecycle.received", 0), entry(class, 0), entry("lifecycle.screening", 1)];
    match n % 4 {
        0 => {
            out.push(entry("lifecycle.under_review", 2));
            out.push(entry("lifecycle.approved", 3));
            out.push(entry("lifecycle.producing", 4));
            out.push(entry("lifecycle.delivered", 5));
        }
        1 => {
            out.push(entry("lifecycle.under_review", 2));
            out.push(entry("lifecycle.rejected", 3));
        }
        2 => out.push(entry("lifecycle.withdrawn", 2)),
        _ => out.push(entry("lifecycle.under_review", 2)),
    }
    out
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let n: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let start = DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z").expect("a time").with_timezone(&Utc);
    let classes: Vec<String> = COUNTRIES
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Classification::new(
                if i % 5 == 0 { RequestKind::Preservation } else { RequestKind::Production },
                [Instrument::EuEEvidence, Instrument::UsCloudAct, Instrument::CoeBudapest, Instrument::Mlat]
                    [i % 4],
                CountryCode::parse(c).expect("a country"),
                vec![DataCategory::Subscriber, DataCategory::ALL[i % 4]],
                i % 3 == 0,
                1 + i % 3,
                i % 2 == 0,
            )
            .log_kind()
        })
        .collect();

    // The reference: the entries only parsed.
    let began = Instant::now();
    let mut read = 0u64;
    for r in 0..n {
        for bytes in entries(r, start, &classes) {
            let e = Entry::from_bytes(&bytes).expect("parses");
            read += e.kind().len() as u64;
        }
    }
    let reference = began.elapsed();
    let rss_reference = peak_rss_mib();

    // Parsed and tallied, then reported.
    let began = Instant::now();
    let mut tally = Tally::new();
    for r in 0..n {
        for bytes in entries(r, start, &classes) {
            let e = Entry::from_bytes(&bytes).expect("parses");
            tally.push(e.kind(), e.time(), e.request());
        }
    }
    let fed = began.elapsed();
    let to = start + Duration::seconds(n as i64 + 10);
    let reported = Instant::now();
    let report = tally.report(start, to, None, &Publication::default(), to + Duration::days(365));
    let report_time = reported.elapsed();
    let total = began.elapsed();
    println!(
        "{n} requests, {} entries (kinds read: {read} bytes)\n\
         reference, parse only:   {:.2} s ({:.0} entries/s), peak RSS {:.0} MiB\n\
         parse + tally + report:  {:.2} s ({:.2} s to feed, {:.3} s to report), peak RSS {:.0} MiB\n\
         ratio to the reference:  {:.2}\n\
         report: {} requests, {} national security ({:?})",
        tally.size(),
        reference.as_secs_f64(),
        tally.size() as f64 / reference.as_secs_f64(),
        rss_reference,
        total.as_secs_f64(),
        fed.as_secs_f64(),
        report_time.as_secs_f64(),
        peak_rss_mib(),
        total.as_secs_f64() / reference.as_secs_f64(),
        report.totals.requests,
        n / 10,
        report.national_security.requests.map(|b| b.to_string()),
    );
}
