//! `comity evaluation show|record` (issue 16, item 6): each issuing authority's and each
//! State's figures over a year and their compliance score, on the store of the data
//! directory (`comity_app::evaluation`), and the record of a cycle as logged facts.

use chrono::Utc;
use clap::Subcommand;
use comity_app::evaluation::Scope;
use comity_wire::evaluation::EvaluationResource;

use crate::StoreArgs;

#[derive(Debug, Subcommand)]
pub enum EvaluationCommand {
    /// Show a year's evaluations as they stand now: every authority's and State's figures
    /// and compliance score, or one authority's (--authority) or one State's (--country).
    Show {
        /// The cycle's year, such as 2027.
        #[arg(long)]
        year: i32,
        /// Only this authority, such as fr-tj-paris.
        #[arg(long, conflicts_with = "country")]
        authority: Option<String>,
        /// Only this State (ISO 3166-1 alpha-2), such as FR.
        #[arg(long)]
        country: Option<String>,
        /// Print JSON (as GET /v1/evaluations answers) instead of tables.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Record an ended year's evaluations as they stand now, as `evaluation.recorded`
    /// facts in the journal and the audit log: one per authority and per State, with its
    /// figures, its score and the formula's version, for a later suspension to cite.
    Record {
        /// The cycle's year, ended, such as 2027.
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        store: StoreArgs,
    },
}

const HINTS: [(&str, &str); 1] =
    [("not_found", "`comity authority list` shows the registered authorities and their ids")];

pub async fn run(command: EvaluationCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    let now = Utc::now();
    match command {
        EvaluationCommand::Show { year, authority, country, json, store } => {
            let scope = match (authority, country) {
                (Some(a), _) => Scope::Authority(a),
                (None, Some(c)) => Scope::Country(c),
                (None, None) => Scope::All,
            };
            let local = store.local().await?;
            let evaluations =
                crate::admin::api(local.operator().evaluations(year, &scope, now).await, &HINTS)?;
            let resource = evaluations.resource();
            if json {
                return crate::admin::print_json(&resource);
            }
            println!(
                "evaluations of {year} (requests received {} to {}), as they stand at {}",
                crate::admin::time(resource.from),
                crate::admin::time(resource.to),
                crate::admin::time(resource.at)
            );
            println!("formula {}: {}", resource.formula.version, resource.formula.text);
            for c in &resource.formula.components {
                println!("  {} (weight {}): {}", c.name, c.weight, c.description);
            }
            for (title, list) in [("authorities", &resource.authorities), ("States", &resource.states)] {
                if list.is_empty() {
                    continue;
                }
                println!();
                println!("{title}");
                print_table(list);
            }
            Ok(())
        }
        EvaluationCommand::Record { year, store } => {
            let local = store.local().await?;
            let (evaluations, written) =
                crate::admin::api(local.operator().record_evaluations(year, now).await, &HINTS)?;
            let indexes: Vec<String> =
                written.iter().filter_map(|e| e.log_index).map(|i| i.to_string()).collect();
            println!(
                "recorded the {year} evaluations of {} authorities and {} States (formula {}); audit-log entries {}",
                evaluations.authorities.len(),
                evaluations.states.len(),
                comity_core::evaluation::FORMULA,
                if indexes.is_empty() { "none".to_owned() } else { indexes.join(", ") }
            );
            Ok(())
        }
    }
}

/// One row per authority or State: its score and each component's share, then the
/// figures behind them.
fn print_table(list: &[EvaluationResource]) {
    let share = |good: u64, of: u64| if of == 0 { "-".to_owned() } else { format!("{good}/{of}") };
    let mut rows = vec![
        [
            "who",
            "score",
            "requests",
            "clocks kept",
            "emergencies confirmed",
            "not rejected",
            "appeals not lost",
            "deliveries kept",
            "free of grounds",
            "late attestations",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for e in list {
        let mut row = vec![
            e.authority.clone().unwrap_or_else(|| e.country.clone()),
            e.score.map_or_else(|| "-".to_owned(), |s| format!("{s:.2}")),
            e.figures.requests.to_string(),
        ];
        row.extend(e.components.iter().map(|c| share(c.good, c.of)));
        row.push(e.figures.late_attestations.to_string());
        rows.push(row);
    }
    crate::admin::print_table(&rows);
}
