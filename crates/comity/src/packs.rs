//! `comity pack diff` and `comity pack history`: policy packs as civil society reviews them
//! (issue 16, item 8). The comparison itself is `comity_policy::diff`; this module reads
//! the packs (a file, a pack built into comity, or a version kept in a data directory's
//! history) and prints what changed, rule by rule, for a person or (`--json`) a program.

use std::{path::Path, process::ExitCode};

use clap::{Args, Subcommand};
use comity_policy::{BUILTIN_PACKS, Change, Pack, PackDiff, SettingValue};
use comity_wire::packs::PackDiffBody;

use crate::StoreArgs;

#[derive(Debug, Subcommand)]
pub enum PackCommand {
    /// What changed from one version of a policy pack to another, rule by rule: rules
    /// added, removed and changed (citation, provisions, the settings each reads), settings
    /// changed with the rules that read them, grounds, and the pack's version and hash.
    /// Exits 0 when the packs are the same text, 1 when they differ, 2 when one cannot be
    /// read (the error names the file and the line).
    Diff(DiffArgs),
    /// Every version of each pack this comity has judged with: its hash, when it was first
    /// seen, and how many requests it judged.
    History(HistoryArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older pack: a pack file (policies/eu-e-evidence.toml), the id of a pack built
    /// into comity (eu-e-evidence), or ID@VERSION for a version kept in the data
    /// directory's history (eu-e-evidence@2026.2; a hash also names a version).
    old: String,
    /// The newer pack, named the same ways.
    new: String,
    /// Print the changes as JSON (the body of GET /v1/packs/{id}/diff).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Print the history as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
    /// The packs the server runs with, to say which version is in force (the built-in
    /// ones unless `--policies` and `--house` say as `comity serve` was told).
    #[command(flatten)]
    policies: crate::policies::PolicyArgs,
}

pub async fn run(command: PackCommand) -> anyhow::Result<ExitCode> {
    match command {
        PackCommand::Diff(args) => Ok(diff(&args).await),
        PackCommand::History(args) => history(&args).await.map(|()| ExitCode::SUCCESS),
    }
}

/// Exit 0 when the packs are the same text, 1 when they differ, 2 when one cannot be read.
async fn diff(args: &DiffArgs) -> ExitCode {
    let (old, new) = match (load(&args.old, &args.store).await, load(&args.new, &args.store).await) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let changes = comity_policy::diff(&old, &new);
    if args.json {
        match serde_json::to_string_pretty(&PackDiffBody::from(&changes)) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", text(&changes));
    }
    if changes.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// A pack named on the command line: a file, a built-in pack, or a version kept in the
/// data directory's history. Every error names what was given and how to name a pack.
async fn load(name: &str, store: &StoreArgs) -> Result<Pack, String> {
    let path = Path::new(name);
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
        return Pack::parse(name, &text).map_err(|e| e.to_string());
    }
    if let Some((id, version)) = name.split_once('@') {
        let local = store.local().await.map_err(|e| {
            format!(
                "{name}: a kept version is read from the data directory's history, which did not open: {e:#}"
            )
        })?;
        let kept = local.app.pack_text(None, id, version).await.map_err(|e| format!("{name}: {e}"))?;
        return kept.pack.map_err(|why| format!("{name}: {why}"));
    }
    if let Some((file, text)) =
        BUILTIN_PACKS.iter().find(|(_, text)| builtin_id(text).as_deref() == Some(name))
    {
        return Pack::parse(&format!("built-in {file}"), text).map_err(|e| e.to_string());
    }
    let ids: Vec<String> = BUILTIN_PACKS.iter().filter_map(|(_, text)| builtin_id(text)).collect();
    Err(format!(
        "{name}: no such file, and no built-in pack of that id ({}); name a pack file, a built-in pack, or \
         ID@VERSION for a version kept in the data directory's history (comity pack history lists them)",
        ids.join(", ")
    ))
}

fn builtin_id(text: &str) -> Option<String> {
    Pack::parse("built-in", text).ok().map(|p| p.id)
}

/// The changes as a person reads them: each rule with its citation, each setting with the
/// rules that read it.
pub fn text(d: &PackDiff) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let side = |s: &comity_policy::Side| format!("{} {} (sha256 {})", s.id, s.version, short(&s.hash));
    let _ = writeln!(out, "{} → {}", side(&d.from), side(&d.to));
    if d.is_empty() {
        let _ = writeln!(out, "the same text: nothing changed");
        return out;
    }
    if d.rules.is_empty() && d.settings.is_empty() && d.grounds.is_empty() {
        let _ = writeln!(out, "no rule, setting or ground changed");
    }
    if !d.metadata.is_empty() {
        let _ = writeln!(out, "\npack");
        for c in &d.metadata {
            let value = |v: &Option<String>| match (c.field.as_str(), v) {
                (_, None) => "(none)".to_owned(),
                ("hash", Some(h)) => h.clone(),
                ("house", Some(_)) => "(a house file)".to_owned(),
                (_, Some(v)) => format!("{v:?}"),
            };
            let _ = writeln!(out, "  {}: {} → {}", c.field, value(&c.old), value(&c.new));
        }
    }
    if !d.rules.is_empty() {
        let _ = writeln!(out, "\nrules");
        for r in &d.rules {
            let mark = match r.change {
                Change::Added => '+',
                Change::Removed => '-',
                Change::Changed => '~',
            };
            let _ = writeln!(out, "  {mark} {} {}  [{}]", r.rule, r.change.as_str(), r.citation);
            if r.change == Change::Changed {
                for c in &r.changes {
                    // A list it reads (States, sensitive terms) as what was added and removed.
                    let list = c
                        .field
                        .strip_prefix("settings.")
                        .and_then(|name| d.settings.iter().find(|s| s.setting == name))
                        .filter(|s| matches!(s.new, SettingValue::List(_)));
                    if let Some(s) = list {
                        let _ = writeln!(out, "      {}: {}", c.field, list_change(&s.added(), &s.removed()));
                        continue;
                    }
                    let value =
                        |v: &Option<String>| v.as_deref().map_or("(none)".to_owned(), |v| format!("{v:?}"));
                    let _ = writeln!(out, "      {}: {} → {}", c.field, value(&c.old), value(&c.new));
                }
            } else {
                for (key, citation) in &r.provisions {
                    let _ = writeln!(out, "      provision {key}: {citation}");
                }
                for (name, value) in &r.settings {
                    let _ = writeln!(out, "      reads {name} = {value}");
                }
            }
        }
    }
    if !d.settings.is_empty() {
        let _ = writeln!(out, "\nsettings");
        for s in &d.settings {
            match (&s.old, &s.new) {
                (SettingValue::List(_), SettingValue::List(_)) => {
                    let _ = writeln!(out, "  {}: {}", s.setting, list_change(&s.added(), &s.removed()));
                }
                (old, new) => {
                    let _ = writeln!(out, "  {}: {old} → {new}", s.setting);
                }
            }
            if s.read_by.is_empty() {
                let _ = writeln!(out, "      read by no rule: a setting of the pack as a whole");
            }
            for (rule, citation) in &s.read_by {
                let _ = writeln!(out, "      read by {rule}  [{citation}]");
            }
        }
    }
    if !d.grounds.is_empty() {
        let _ = writeln!(out, "\ngrounds");
        for g in &d.grounds {
            let mark = match g.change {
                Change::Added => '+',
                Change::Removed => '-',
                Change::Changed => '~',
            };
            let _ = writeln!(out, "  {mark} {} {}  [{}]", g.ground, g.change.as_str(), g.citation);
            for c in &g.changes {
                let value =
                    |v: &Option<String>| v.as_deref().map_or("(none)".to_owned(), |v| format!("{v:?}"));
                let _ = writeln!(out, "      {}: {} → {}", c.field, value(&c.old), value(&c.new));
            }
        }
    }
    out
}

/// What a list gained and lost: `added X, Y; removed Z`.
fn list_change(added: &[&str], removed: &[&str]) -> String {
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    parts.join("; ")
}

/// The first 12 hex digits of a hash, as the pages show it; enough to name a version.
fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

async fn history(args: &HistoryArgs) -> anyhow::Result<()> {
    let local = args.store.local_with(args.policies.load()?).await?;
    let history = local.operator().pack_history().await?;
    if args.json {
        let body = comity_wire::packs::PackListBody {
            packs: history.iter().map(comity_wire::packs::PackHistoryResource::from).collect(),
        };
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(());
    }
    for pack in &history {
        println!("{}  {}  ({})", pack.id, pack.title, pack.applies_to);
        for v in &pack.versions {
            let since = v.since().map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
            let mut notes = Vec::new();
            if v.in_force {
                notes.push("in force".to_owned());
            }
            if !v.kept {
                notes.push("text not kept: judged before comity kept pack texts".to_owned());
            }
            if let Some(n) = v.requests_judged {
                notes.push(format!("{n} request{} judged", if n == 1 { "" } else { "s" }));
            }
            println!("  {}  {}  {}  {}", v.version, short(&v.hash), since, notes.join(", "));
        }
    }
    Ok(())
}
