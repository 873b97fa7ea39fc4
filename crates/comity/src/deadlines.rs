//! `comity deadlines`: what is due at a given time, and why; `--apply` acts on it
//! (issue 13). The server's sweeper does the same every 30 seconds; this is for operators,
//! and for tests, which pass a time instead of waiting for it.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use clap::Args;
use comity_app::clocks::Due;

use crate::StoreArgs;

#[derive(Debug, Args)]
pub struct DeadlinesArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The time to look at: RFC 3339 (2026-12-08T09:00:00Z), or from now (+48h, +10d,
    /// +90m). Defaults to now.
    #[arg(long)]
    at: Option<String>,
    /// Print JSON (one object per deadline) instead of a table.
    #[arg(long)]
    json: bool,
    /// Act on what is due: each deadline exactly once, each act logged. The acts are
    /// recorded at --at or now, whichever is later.
    #[arg(long)]
    apply: bool,
}

/// Reads `--at`: an instant, or an offset from `now`.
fn parse_at(at: Option<&str>, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    match at {
        None => Ok(now),
        Some(at) => parse_time("--at", at, now),
    }
}

/// Reads a time flag: an RFC 3339 instant, or an offset from `now` (+90m, +48h, +10d).
pub fn parse_time(flag: &str, at: &str, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    let at = at.trim();
    if let Some(offset) = at.strip_prefix('+') {
        let (number, unit) =
            offset.split_at(offset.find(|c: char| !c.is_ascii_digit()).unwrap_or(offset.len()));
        let n: i64 =
            number.parse().map_err(|_| anyhow::anyhow!("{flag} {at:?}: give a number, as in +48h"))?;
        let span = match unit {
            "m" => Duration::try_minutes(n),
            "h" => Duration::try_hours(n),
            "d" => Duration::try_days(n),
            _ => anyhow::bail!("{flag} {at:?}: the unit is m, h or d, as in +90m, +48h or +10d"),
        };
        return span
            .and_then(|s| now.checked_add_signed(s))
            .ok_or_else(|| anyhow::anyhow!("{flag} {at:?} is too far away"));
    }
    let hint = "give an RFC 3339 time (2026-12-08T09:00:00Z) or an offset (+48h)";
    let parsed =
        DateTime::parse_from_rfc3339(at).map_err(|e| anyhow::anyhow!("{flag} {at:?}: {e}; {hint}"))?;
    comity_wire::time::check(parsed.with_timezone(&Utc))
        .map_err(|e| anyhow::anyhow!("{flag} {at:?}: {e}; {hint}"))
}

fn row(d: &Due) -> serde_json::Value {
    serde_json::json!({
        "request": d.clock.request_id.to_string(),
        "deadline": d.clock.kind.as_str(),
        "due": d.clock.due,
        "state": d.state.as_str(),
        "outcome": d.outcome.as_str(),
        "moves_to": d.to.map(|s| s.as_str()),
        "why": d.reason,
        // Whether its passing was acted on already (an overdue answer stays listed until
        // the request is answered).
        "acted": d.clock.closed.is_some(),
    })
}

fn print(due: &[Due], json: bool) {
    if json {
        let rows: Vec<_> = due.iter().map(row).collect();
        println!("{}", serde_json::Value::Array(rows));
        return;
    }
    if due.is_empty() {
        println!("nothing is due");
        return;
    }
    println!("{:<20} {:<36} {:<17} {:<32} {:<12} WHY", "DUE", "REQUEST", "DEADLINE", "STATE", "OUTCOME");
    for d in due {
        println!(
            "{:<20} {:<36} {:<17} {:<32} {:<12} {}",
            d.clock.due.format("%Y-%m-%d %H:%M:%SZ"),
            d.clock.request_id,
            d.clock.kind,
            match d.to {
                Some(to) => format!("{} -> {to}", d.state),
                None => d.state.to_string(),
            },
            d.outcome,
            d.reason
        );
    }
}

pub async fn run(args: DeadlinesArgs) -> anyhow::Result<()> {
    let now = Utc::now();
    let at = parse_at(args.at.as_deref(), now)?;
    let local = args.store.local().await?;
    if !args.apply {
        let due = local.app.deadlines(at).await.context("reading the deadlines")?;
        print(&due, args.json);
        return Ok(());
    }
    let sweep = local.app.sweep(at).await.context("acting on the deadlines")?;
    let acted: Vec<Due> = sweep.acted.into_iter().map(|(d, _)| d).collect();
    print(&acted, args.json);
    if !args.json {
        for s in &sweep.shredded {
            eprintln!("request {}: documents shredded ({})", s.request, s.reason);
        }
        for p in &sweep.unfinished_packages {
            eprintln!(
                "production {p}: what its failed or interrupted sealing wrote of its package was deleted"
            );
        }
        eprintln!(
            "acted on {} deadline{}{}",
            acted.len(),
            if acted.len() == 1 { "" } else { "s" },
            if sweep.taken > 0 {
                format!("; {} were acted on by another sweep first", sweep.taken)
            } else {
                String::new()
            }
        );
    }
    local.app.store().close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_is_an_instant_or_an_offset() {
        let now = DateTime::parse_from_rfc3339("2026-12-06T10:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(parse_at(None, now).unwrap(), now);
        assert_eq!(parse_at(Some("+48h"), now).unwrap().to_rfc3339(), "2026-12-08T10:00:00+00:00");
        assert_eq!(parse_at(Some("+10d"), now).unwrap().to_rfc3339(), "2026-12-16T10:00:00+00:00");
        assert_eq!(
            parse_at(Some("2027-01-01T00:00:00Z"), now).unwrap().to_rfc3339(),
            "2027-01-01T00:00:00+00:00"
        );
        for bad in ["+48", "+h", "+2w", "tomorrow", "2026-13-01T00:00:00Z"] {
            let e = parse_at(Some(bad), now).unwrap_err().to_string();
            assert!(e.contains("--at"), "{bad}: {e}");
        }
    }
}
