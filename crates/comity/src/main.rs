//! `comity`: serve the API, validate request documents, manage the registers of parties.
//!
//! The binary is thin: it reads the command line, and either starts the server
//! (`comity_server::Application`) or calls the use cases (`comity_app`) itself, as the
//! operator, on the store of its data directory.

mod accounts;
mod admin;
mod audit;
mod deadlines;
mod disposal;
mod evaluation;
mod further_use;
mod keys;
mod logkey;
mod notices;
mod package;
mod packs;
mod parties;
mod pii;
mod policies;
mod productions;
mod screen;
mod serve;
mod sign;
mod transparency;
mod validate;
mod witness;

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};

/// comity: cross-border requests for data, lawful, specific, proportionate and auditable.
#[derive(Debug, Parser)]
#[command(name = "comity", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API.
    Serve(serve::ServeArgs),
    /// Create a data directory (the database, the log key and the server key) without
    /// serving, to register parties, keys and accounts before the first start.
    Init(serve::InitArgs),
    /// Check request documents without submitting them; exits 1 if any has a problem.
    Validate(validate::ValidateArgs),
    /// Screen a request document against its policy pack and print the report (JSON).
    Screen(screen::ScreenArgs),
    /// Print a published JSON Schema.
    Schema {
        /// Which schema: the request document.
        #[arg(value_enum, default_value = "request")]
        which: SchemaName,
    },
    /// Register and list requesting authorities, their signing keys and their contacts.
    #[command(subcommand)]
    Authority(parties::AuthorityCommand),
    /// Register and list providers.
    #[command(subcommand)]
    Provider(parties::ProviderCommand),
    /// Register and list independent reviewer bodies.
    #[command(subcommand)]
    Reviewer(parties::ReviewerCommand),
    /// Register and list auditors (they see the log and aggregates, never a request).
    #[command(subcommand)]
    Auditor(parties::OrganisationCommand),
    /// Register and list the operator of this comity (its admins manage registers, keys
    /// and accounts, and read no request).
    #[command(subcommand)]
    Operator(parties::OrganisationCommand),
    /// Register and list representatives of people concerned (a lawyer, a data protection
    /// authority), and register one for a request: it may then see that request's
    /// decisions and appeal them.
    #[command(subcommand)]
    Representative(parties::RepresentativeCommand),
    /// Register, list and remove where a party's notices go: a webhook for its systems,
    /// e-mail addresses for its people.
    #[command(subcommand)]
    Endpoint(notices::EndpointCommand),
    /// List the notices to parties (--dead: the dead letters) and put dead ones back.
    #[command(subcommand)]
    Notices(notices::NoticesCommand),
    /// Create, list and revoke the API tokens of systems (the token is shown once).
    #[command(subcommand)]
    Token(accounts::TokenCommand),
    /// Create and list people's accounts (password and TOTP secret are shown once).
    #[command(subcommand)]
    User(accounts::UserCommand),
    /// One-time codes of a TOTP secret, for scripts and demos.
    #[command(subcommand)]
    Totp(accounts::TotpCommand),
    /// Sign a request document for submission as an authority's system.
    #[command(subcommand)]
    Request(sign::RequestCommand),
    /// Attest, as a receiving authority, that a production's data was disposed of at its
    /// retention date: sign the statement the API and the portal take.
    #[command(subcommand)]
    Disposal(disposal::DisposalCommand),
    /// Check the public audit log.
    #[command(subcommand)]
    Log(audit::LogCommand),
    /// Audit the requests: draw a sample nobody chooses.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Run a C2SP tlog-witness that cosigns the checkpoints of known logs.
    #[command(subcommand)]
    Witness(witness::WitnessCommand),
    /// Find personal data in texts, as the redaction of productions does.
    #[command(subcommand)]
    Pii(pii::PiiCommand),
    /// Produce a sealed package for an approved request from the provider's export: only
    /// what the decision allows, third parties pseudonymized and masked, signed and
    /// encrypted to the authority (docs/production.md).
    Produce(productions::ProduceArgs),
    /// List the deadlines due at a time (now, or --at), and why; --apply acts on them,
    /// each exactly once and logged, as the server's sweeper does every 30 seconds.
    Deadlines(deadlines::DeadlinesArgs),
    /// Check a production package received: decrypt it, verify the provider's signature
    /// and every file (docs/package-format.md).
    #[command(subcommand)]
    Package(package::PackageCommand),
    /// Policy packs as a reviewer reads them: what changed between two versions, rule by
    /// rule (diff), and the versions this comity has judged with (history).
    #[command(subcommand)]
    Pack(packs::PackCommand),
    /// Check an answer to an ask for further use of produced data with the log's key.
    #[command(subcommand, name = "further-use")]
    FurtherUse(further_use::FurtherUseCommand),
    /// Recompute a published transparency report from the public log.
    #[command(subcommand)]
    Transparency(transparency::TransparencyCommand),
    /// Evaluation cycles: each issuing authority's and State's figures over a year and its
    /// compliance score (show), and the record of an ended year in the log (record).
    #[command(subcommand)]
    Evaluation(evaluation::EvaluationCommand),
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SchemaName {
    /// The request document, version 1.
    Request,
}

/// Where comity keeps its data.
#[derive(Debug, Clone, Args)]
struct StoreArgs {
    /// The data directory: the embedded SQLite database, the log and server keys, the
    /// productions. `comity serve` creates it; every other command needs it to exist.
    #[arg(long, env = "COMITY_DATA_DIR", default_value = "comity-data")]
    data_dir: PathBuf,
    /// A PostgreSQL URL (postgres://user@host/db); when given, it is used instead of the
    /// data directory's SQLite database, and several servers may share it.
    #[arg(long, env = "COMITY_DATABASE_URL")]
    database_url: Option<String>,
}

/// A comity as the operator reaches it from the command line: its data directory (if it
/// has one here) and the use cases over its store.
struct Local {
    app: comity_app::App,
    data_dir: Option<comity_app::DataDir>,
}

impl StoreArgs {
    /// Opens the store of an existing comity, never creating one: with SQLite, the data
    /// directory and its database must be there; with PostgreSQL, the data directory is
    /// used if it is.
    async fn local(&self) -> anyhow::Result<Local> {
        use anyhow::Context;
        let packs = comity_policy::PackSet::builtin().context("loading the built-in policy packs")?;
        self.local_with(packs).await
    }

    /// [`StoreArgs::local`], judging with `packs` (`--policies`, `--house`).
    async fn local_with(&self, packs: comity_policy::PackSet) -> anyhow::Result<Local> {
        use anyhow::Context;
        let url = self.database_url.as_deref().map(str::trim).filter(|u| !u.is_empty());
        let data_dir = match url {
            None => {
                let dir = comity_app::DataDir::existing(&self.data_dir)?;
                let db = dir.path().join(comity_store::DATABASE_FILE);
                if !db.exists() {
                    anyhow::bail!(
                        "no comity database at {}: `comity serve` creates it on its first start; run this \
                         command where the data directory is, or pass --data-dir (COMITY_DATA_DIR), or \
                         --database-url for PostgreSQL",
                        db.display()
                    );
                }
                Some(dir)
            }
            Some(_) => comity_app::DataDir::existing(&self.data_dir).ok(),
        };
        let what = match url {
            Some(_) => "connecting to the PostgreSQL database".to_owned(),
            None => format!("opening the data directory {}", self.data_dir.display()),
        };
        let store = comity_store::open(url, &self.data_dir).await.context(what)?;
        // The server key seals TOTP secrets (`comity user add` asks for the real one first,
        // `accounts::server_key`) and wraps request documents' keys (issue 15): a data
        // directory's own key is always used when it has one.
        let server_key = match &data_dir {
            Some(dir) if dir.has_server_key() => dir.existing_server_key()?,
            _ => comity_auth::seal::ServerKey::generate(),
        };
        let settings = comity_app::Settings {
            server_key,
            jws: comity_auth::jws::Limits::default(),
            productions: data_dir.as_ref().map(comity_app::DataDir::productions),
            hashing: comity_app::HashingSettings::from_machine(),
            link_mail: None,
            public_url: None,
            log_key: None,
            disposal_grace: chrono::Duration::days(comity_app::DISPOSAL_GRACE_DAYS),
            recall_within: chrono::Duration::days(comity_app::RECALL_DAYS),
            suppress_below: 1,
            privacy_budget: comity_core::privacy::DEFAULT_BUDGET,
            document_retention: document_retention()?,
        };
        Ok(Local { app: comity_app::App::new(store, packs, settings), data_dir })
    }
}

impl Local {
    /// The operator acting from this command line (`cli:<unix user>@local`).
    fn operator(&self) -> comity_app::Operator {
        self.app.operator(crate::admin::actor())
    }
}

/// Reads a file, or standard input for `-`.
fn read_input(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

/// The exit status of a program that a closed pipe ended: 128 + SIGPIPE (13), as shells
/// report it.
const CLOSED_PIPE: i32 = 141;

/// Ends quietly when the reader of standard output has gone (`comity schema request |
/// head`): that is the reader's choice, not a fault. Rust ignores SIGPIPE, so a write to
/// a closed pipe fails, and `println!` panics on the failure; stable Rust has no safe way
/// to restore the signal's default (`-Zon-broken-pipe` is unstable), so the panic is
/// recognised here and the process exits as SIGPIPE would have ended it.
fn end_quietly_on_closed_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        // std's words (library/std/src/io/stdio.rs, `print_to`), with io::Error's for EPIPE.
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(CLOSED_PIPE);
        }
        report(info);
    }));
}

fn main() -> ExitCode {
    end_quietly_on_closed_pipe();
    let cli = Cli::parse();
    // Commands that do no I/O of their own beyond files run without the async runtime,
    // whose worker threads cost a short run (a `pii scan` of a small file) more than its
    // work.
    let command = match cli.command {
        Command::Validate(args) => return exit_code(Ok(validate::run(&args))),
        Command::Screen(args) => return exit_code(Ok(screen::run(&args))),
        Command::Pii(c) => return exit_code(pii::run(c).map(|()| ExitCode::SUCCESS)),
        command => command,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match command {
            Command::Serve(args) => serve::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Init(args) => serve::init(args).await.map(|()| ExitCode::SUCCESS),
            Command::Validate(_) | Command::Screen(_) | Command::Pii(_) => {
                unreachable!("run above, without the runtime")
            }
            Command::Schema { which: SchemaName::Request } => {
                println!("{}", serde_json::to_string_pretty(&comity_wire::request_schema())?);
                Ok(ExitCode::SUCCESS)
            }
            Command::Authority(c) => parties::authority(c).await.map(|()| ExitCode::SUCCESS),
            Command::Provider(c) => parties::provider(c).await.map(|()| ExitCode::SUCCESS),
            Command::Reviewer(c) => parties::reviewer(c).await.map(|()| ExitCode::SUCCESS),
            Command::Auditor(c) => {
                parties::organisation(c, comity_core::PartyRole::Auditor).await.map(|()| ExitCode::SUCCESS)
            }
            Command::Operator(c) => {
                parties::organisation(c, comity_core::PartyRole::Operator).await.map(|()| ExitCode::SUCCESS)
            }
            Command::Representative(c) => parties::representative(c).await.map(|()| ExitCode::SUCCESS),
            Command::Endpoint(c) => notices::endpoint(c).await.map(|()| ExitCode::SUCCESS),
            Command::Notices(c) => notices::notices(c).await.map(|()| ExitCode::SUCCESS),
            Command::Token(c) => accounts::token(c).await.map(|()| ExitCode::SUCCESS),
            Command::User(c) => accounts::user(c).await.map(|()| ExitCode::SUCCESS),
            Command::Totp(c) => accounts::totp(c).map(|()| ExitCode::SUCCESS),
            Command::Request(c) => sign::run(c).map(|()| ExitCode::SUCCESS),
            Command::Disposal(c) => disposal::run(c).map(|()| ExitCode::SUCCESS),
            Command::Log(c) => Ok(audit::log(c).await),
            Command::Audit(c) => Ok(audit::audit(c).await),
            Command::Witness(c) => witness::run(c).await.map(|()| ExitCode::SUCCESS),
            Command::Produce(args) => productions::produce(args).await.map(|()| ExitCode::SUCCESS),
            Command::Deadlines(args) => deadlines::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Package(c) => package::run(c),
            Command::Pack(c) => packs::run(c).await,
            Command::FurtherUse(c) => further_use::run(c),
            Command::Transparency(c) => Ok(transparency::run(c).await),
            Command::Evaluation(c) => evaluation::run(c).await.map(|()| ExitCode::SUCCESS),
        }
    });
    exit_code(result)
}

fn exit_code(result: anyhow::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", causes(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes in one line, each cause once: many errors (sqlx's, and ours
/// that wrap one) say their cause in their own message and also give it as `source()`,
/// which `{:#}` would print again at every level.
fn causes(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// The documents' retention the command line's sweep (`comity deadlines --apply`) uses:
/// `COMITY_DOCUMENT_RETENTION_DAYS`, as `comity serve --document-retention-days` reads it,
/// so both destroy the same documents on the same day.
fn document_retention() -> anyhow::Result<chrono::Duration> {
    match std::env::var("COMITY_DOCUMENT_RETENTION_DAYS") {
        Ok(days) => match days.trim().parse::<u32>() {
            Ok(days @ 1..=36_500) => Ok(chrono::Duration::days(i64::from(days))),
            _ => {
                anyhow::bail!("COMITY_DOCUMENT_RETENTION_DAYS is {days:?}: a number of days from 1 to 36500")
            }
        },
        Err(_) => Ok(chrono::Duration::days(comity_app::DOCUMENT_RETENTION_DAYS)),
    }
}

#[cfg(test)]
mod tests {
    /// Every command says what it does, and every flag and argument what it is: `--help`
    /// is the operator's manual, and an option listed with nothing beside it is a guess.
    #[test]
    fn every_command_and_option_has_help() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let here = format!("{path} {}", command.get_name());
            if command.get_about().is_none() && !path.is_empty() {
                missing.push(format!("{here}: the command"));
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if !matches!(id, "help" | "version")
                    && arg.get_help().is_none()
                    && arg.get_long_help().is_none()
                {
                    missing.push(format!("{here}: {id}"));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &here, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&<super::Cli as clap::CommandFactory>::command(), "", &mut missing);
        assert!(missing.is_empty(), "without help: {missing:#?}");
    }

    #[test]
    fn each_cause_is_said_once() {
        /// Says its cause and gives it as its source, as sqlx's errors do.
        #[derive(Debug)]
        struct Wraps(std::io::Error);
        impl std::fmt::Display for Wraps {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "database error: {}", self.0)
            }
        }
        impl std::error::Error for Wraps {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = anyhow::Error::new(Wraps(std::io::Error::other("read-only"))).context("opening the store");
        assert_eq!(super::causes(&e), "opening the store: database error: read-only");
        let plain = anyhow::anyhow!("no such file").context("reading the key");
        assert_eq!(super::causes(&plain), "reading the key: no such file");
    }

    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
