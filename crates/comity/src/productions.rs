//! Productions on the command line, straight on the store: `comity produce`, and what
//! productions need from the registers, the authorities' age recipients (`comity authority
//! recipient`) and the providers' production keys (`comity provider key`), like the API's
//! `/productions`, `/recipients` and `/keys`.
//!
//! A provider's production key signs its packages' manifests. Its private half is kept in
//! the database sealed by the server key, as TOTP secrets are, so that every server of
//! the database signs with it and a copy of the database alone signs nothing (issue 17);
//! its public half is registered in the journal, so an authority can check what it
//! receives against it.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use comity_app::Registered;
use comity_core::PartyId;
use comity_wire::trust::RegisteredKey;

use crate::{
    StoreArgs,
    admin::{api, print_listing, time},
};

#[derive(Debug, Subcommand)]
pub enum RecipientCommand {
    /// Register the age recipient an authority receives productions with (`age-keygen`
    /// prints it, `age1...`); productions are encrypted to the latest registered.
    Add {
        /// The authority (a registered party id).
        #[arg(long)]
        authority: String,
        /// The X25519 age recipient, `age1` and 58 characters.
        #[arg(long)]
        recipient: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List an authority's age recipients; the last is the one in use.
    List {
        /// The authority (a registered party id).
        #[arg(long)]
        authority: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProductionKeyCommand {
    /// Make a new production key for a provider: the public key goes into the register,
    /// the private key into the database, sealed by the data directory's server key. Later
    /// productions are signed with it; prints the public key (a JWK).
    Generate {
        /// The provider (a registered party id).
        #[arg(long)]
        provider: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List a provider's production keys; the last is the one in use.
    List {
        /// The provider (a registered party id).
        #[arg(long)]
        provider: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn print_keys(keys: &[Registered], json: bool, none: &str) -> anyhow::Result<()> {
    let keys: Vec<RegisteredKey> = keys
        .iter()
        .map(|r| RegisteredKey::new(&r.key, r.public_key.as_ref(), r.added_at, r.current, r.log_index))
        .collect();
    print_listing(&keys, json, none, &["key", "added", "in use"], |k| {
        vec![k.key.clone(), time(k.added_at), if k.current { "yes".to_owned() } else { String::new() }]
    })
}

fn party(id: &str, flag: &str) -> anyhow::Result<PartyId> {
    PartyId::parse(id).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

pub async fn recipient(command: RecipientCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    match command {
        RecipientCommand::Add { authority, recipient, store } => {
            let local = store.local().await?;
            let added = api(local.operator().registers().add_recipient(&authority, &recipient).await, &[])?;
            println!("registered the age recipient {} for {authority}", added.key);
            Ok(())
        }
        RecipientCommand::List { authority, json, store } => {
            let local = store.local().await?;
            let id = party(&authority, "--authority")?;
            let keys = api(local.operator().registers().recipients(&authority).await, &[])?;
            print_keys(
                &keys,
                json,
                &format!("{id} has no age recipient; register one with `comity authority recipient add`"),
            )
        }
    }
}

pub async fn production_key(command: ProductionKeyCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    match command {
        ProductionKeyCommand::Generate { provider, store: args } => {
            let id = party(&provider, "--provider")?;
            let local = args.local().await?;
            let (added, public) =
                api(local.operator().registers().generate_production_key(&provider).await, &[])?;
            println!("{}", public.to_jwk());
            eprintln!(
                "production key {} of {id} registered; its private key is in the database, sealed by the \
                 server key (every server of the database signs with it)",
                added.key
            );
            Ok(())
        }
        ProductionKeyCommand::List { provider, json, store } => {
            let local = store.local().await?;
            let id = party(&provider, "--provider")?;
            let keys = api(local.operator().registers().production_keys(&provider).await, &[])?;
            print_keys(
                &keys,
                json,
                &format!("{id} has no production key; make one with `comity provider key generate`"),
            )
        }
    }
}

/// `comity produce`: a sealed production from a provider's export.
#[derive(Debug, clap::Args)]
pub struct ProduceArgs {
    /// The approved request.
    #[arg(long)]
    request: String,
    /// The provider's export: JSON Lines of records (docs/export-format.md). Read twice,
    /// one line at a time, whatever its size; never copied.
    #[arg(long)]
    export: PathBuf,
    /// Where to write the package (an age file), as it is sealed; it must not exist. The
    /// server keeps its own copy, encrypted at rest, for the authority to download.
    #[arg(long)]
    out: PathBuf,
    /// Until when the authority may keep the data: a date (2027-06-30, to the end of that
    /// day, UTC) or an RFC 3339 time; in the future.
    #[arg(long)]
    retention_until: String,
    /// Let records of kinds comity does not know through, all their strings masked as
    /// free text (default: refuse them, naming their lines).
    #[arg(long)]
    allow_unknown_kinds: bool,
    /// The national identifiers to mask, by Presidio name, comma-separated (UK_NINO,ES_NIF;
    /// NONE for none).
    #[arg(long, default_value = "US_SSN")]
    national_ids: String,
    /// Regions whose national phone formats are also searched in free text, comma-separated
    /// (IN,BR; ALL for every region). Always searched: the EU, the rest of the EEA,
    /// Switzerland, the UK, North America and the countries the request names.
    #[arg(long)]
    phone_regions: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn produce(args: ProduceArgs) -> anyhow::Result<()> {
    use comity_app::{Options, Phase};
    crate::admin::init_tracing();
    let id = comity_core::RequestId::parse(&args.request).map_err(|e| anyhow::anyhow!("--request: {e}"))?;
    let retention_until = comity_seal::RetentionUntil::parse(args.retention_until.trim())
        .map_err(|e| anyhow::anyhow!("--retention-until: {e}"))?;
    let national_ids = args.national_ids.parse().map_err(|e| anyhow::anyhow!("--national-ids: {e}"))?;
    let phone_regions = args
        .phone_regions
        .unwrap_or_default()
        .parse()
        .map_err(|e| anyhow::anyhow!("--phone-regions: {e}"))?;
    let size = std::fs::metadata(&args.export)
        .with_context(|| format!("reading the export {}", args.export.display()))?
        .len();
    let local = args.store.local().await?;
    let bar = progress_bar(size);
    let shown = bar.clone();
    // Without a terminal there is no bar; a line as each phase starts tells a script's
    // log that a long production is moving, without filling it.
    let plain = bar.is_hidden();
    let last = std::sync::Mutex::new(None);
    let progress: comity_app::Progress = std::sync::Arc::new(move |phase, read| {
        let name = match phase {
            Phase::Checking => "checking",
            Phase::Redacting => "redacting",
            Phase::Sealing => "sealing",
        };
        if plain
            && let Ok(mut last) = last.lock()
            && *last != Some(phase)
        {
            *last = Some(phase);
            match phase {
                Phase::Checking => eprintln!("checking the export ({size} bytes)..."),
                Phase::Redacting => eprintln!("redacting the records in scope..."),
                Phase::Sealing => eprintln!("sealing the package..."),
            }
        }
        shown.set_message(name);
        if phase != Phase::Sealing {
            shown.set_position(read);
        }
    });
    let options = Options {
        retention_until,
        allow_unknown_kinds: args.allow_unknown_kinds,
        national_ids,
        phone_regions,
        out: Some(args.out.clone()),
    };
    let produced = match local.operator().producing(id).await {
        Ok(producing) => producing.produce(&args.export, options, progress).await,
        Err(e) => Err(e),
    };
    bar.finish_and_clear();
    let produced = api(
        produced,
        &[
            (
                "invalid_export",
                "fix the lines named and produce again; docs/export-format.md describes a record",
            ),
            ("conflict", "see `comity authority recipient add` and `comity provider key generate`"),
        ],
    )?;
    let sealed = produced.package.as_ref().context("the production has no package")?;
    let redaction: serde_json::Value = serde_json::from_str(&sealed.redaction).unwrap_or_default();
    println!("{}", args.out.display());
    eprintln!(
        "production {} of request {id}: {} of {} records in scope, sealed for {}\n  package sha256 {} ({} bytes)\n  manifest sha256 {}\n  log entry {}\n  redaction {}",
        produced.id,
        produced.in_scope,
        produced.records,
        sealed.recipient,
        sealed.package_sha256,
        sealed.package_bytes,
        sealed.manifest_sha256,
        produced.log_index.map_or_else(|| "?".to_owned(), |i| i.to_string()),
        redaction,
    );
    Ok(())
}

/// A progress bar over the export's bytes, on standard error when it is a terminal (and
/// hidden otherwise, so that scripts and logs stay clean: they get a line per phase).
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg:>10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
