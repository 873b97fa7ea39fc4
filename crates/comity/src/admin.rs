//! What the operator's commands share (`comity token`, `user`, `authority key` and
//! `authority contact`): the actor they record, their errors, their tables.
//!
//! These commands call the same use cases as the admin API (`comity_app`'s `Registers`
//! and `Accounts`) straight on the store, so the journal and the audit log record the
//! same facts whichever way an operator works. The command line is the operator's
//! root-equivalent tool: whoever can run it with the data directory can do what an admin
//! can (`comity_app::Operator`). What it does is recorded under the actor
//! `cli:<unix user>@local`, so the journal tells the command line from the API.

use std::path::Path;

use anyhow::{Context, anyhow};
use chrono::{DateTime, SecondsFormat, Utc};
use comity_core::ActorId;

/// The actor recorded for what the command line does: `cli:<unix user>@local`.
///
/// The user name comes from `$USER` (or `$LOGNAME`); it is a label for the journal, not
/// a credential: anyone who can open the store can write anything into it.
pub fn actor() -> ActorId {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_default();
    let user: String =
        user.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).take(48).collect();
    let user = if user.is_empty() { "operator".to_owned() } else { user };
    ActorId::parse(&format!("cli:{user}@local")).unwrap_or_else(|_| ActorId::system())
}

/// Logs to standard error, warnings and errors only (`RUST_LOG` overrides): a failure
/// the API would answer with an opaque 500 is printed in full here, where the operator
/// is the one to fix it.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Another subscriber may be set already (by a test harness); then that one logs.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .try_init();
}

/// The result of a use case as a command's result: the message an API caller would
/// read, with a hint for what to do on the command line. `hints` are the command's own,
/// by error code (such as `not_found` or `conflict`).
pub fn api<T>(result: comity_app::Result<T>, hints: &[(&str, &str)]) -> anyhow::Result<T> {
    result.map_err(|e| explain(e, hints))
}

/// A use case's error told as a command's error.
pub fn explain(e: comity_app::Error, hints: &[(&str, &str)]) -> anyhow::Error {
    let code = e.code();
    if let comity_app::Error::Internal(source) = &e {
        return anyhow!("{source}");
    }
    let message = match &e {
        // One field at fault: name the flag that set it.
        comity_app::Error::Invalid { problems, .. } if problems.len() == 1 => {
            format!("{}: {}", flag(&problems[0].path), problems[0].message)
        }
        other => other.to_string(),
    };
    let own = hints.iter().find(|(c, _)| *c == code).map(|(_, h)| *h);
    match own.or_else(|| hint(code)) {
        Some(hint) => anyhow!("{message}\nhint: {hint}"),
        None => anyhow!("{message}"),
    }
}

/// The command-line flag that sets a field of the API's bodies.
fn flag(path: &str) -> String {
    match path {
        "expires_in" => "--expires".to_owned(),
        "overlap_hours" => "--overlap".to_owned(),
        "effective_at" => "--effective".to_owned(),
        "authority_type" => "--type".to_owned(),
        "replaces" | "kid" | "org" | "role" | "username" | "name" | "label" | "email" | "phone"
        | "public_key" | "reason" | "id" | "retention_until" | "institution" | "kind" | "until"
        | "privilege" | "from" | "to" | "epsilon" | "year" | "authority" | "country" => {
            format!("--{}", path.replace('_', "-"))
        }
        other => other.to_owned(),
    }
}

fn hint(code: &str) -> Option<&'static str> {
    match code {
        "unknown_org" => Some(
            "`comity authority list` (or provider, reviewer, auditor, operator list) shows the registered \
             parties; register a new one with `comity <register> add`",
        ),
        "invalid_role" => Some(
            "the role follows from the organisation's register: operator → admin, authority → \
             requester, provider → handler, reviewer → reviewer, auditor → auditor",
        ),
        _ => None,
    }
}

/// Reads a file as text, or standard input for `-`.
pub fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    let bytes = crate::read_input(path).with_context(|| {
        if path.as_os_str() == "-" {
            format!("reading {what} from standard input")
        } else {
            format!("reading {what} from {}", path.display())
        }
    })?;
    String::from_utf8(bytes).map_err(|_| anyhow!("{what} in {} is not UTF-8 text", path.display()))
}

/// What every listing command takes: the store to read, and whether to print JSON.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: crate::StoreArgs,
}

/// A time as a table shows it: to the second, in UTC.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Prints rows as columns separated by two spaces, the last column unpadded.
pub fn print_table(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        println!("{}", line.trim_end());
    }
}

/// Prints what a list command found: JSON with `--json` (an empty array when there is
/// nothing), else `empty` when there is nothing, else a table of `header` and one row an
/// item.
pub fn print_listing<T: serde::Serialize>(
    items: &[T],
    json: bool,
    empty: &str,
    header: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    if json {
        return print_json(&items);
    }
    if items.is_empty() {
        println!("{empty}");
        return Ok(());
    }
    let mut rows = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    rows.extend(items.iter().map(row));
    print_table(&rows);
    Ok(())
}

/// Prints a value as pretty JSON.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value).context("writing JSON")?);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_actor_is_a_valid_actor_id_naming_the_command_line() {
        let actor = super::actor();
        assert!(actor.as_str().starts_with("cli:") && actor.as_str().ends_with("@local"), "{actor}");
    }
}
