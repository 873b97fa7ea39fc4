//! What productions need from the registers, straight on the store: the authorities' age
//! recipients (`comity authority recipient`) and the providers' production keys
//! (`comity provider key`), like the admin API's `/recipients` and `/keys`.
//!
//! A provider's production key signs its packages' manifests. Its private half lives in
//! the data directory (`production-keys/<provider>.jwk`, mode 0600) beside the log and
//! server keys, never in the database; its public half is registered in the journal, so
//! an authority can check what it receives against it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use comity_auth::jws::SigningKey;
use comity_core::PartyId;
use comity_server::keys::{add_production_key, add_recipient, production_keys, recipients};
use comity_wire::trust::RegisteredKey;

use crate::{
    StoreArgs,
    admin::{actor, api, print_json, print_table, time},
};

/// The folder of the data directory that holds the providers' production keys.
pub const KEY_DIR: &str = "production-keys";

/// Where a provider's private production key is kept.
pub fn key_path(data_dir: &Path, provider: &PartyId) -> PathBuf {
    data_dir.join(KEY_DIR).join(format!("{provider}.jwk"))
}

#[derive(Debug, Subcommand)]
pub enum RecipientCommand {
    /// Register the age recipient an authority receives productions with (`age-keygen`
    /// prints it, `age1...`); productions are encrypted to the latest registered.
    Add {
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
        #[arg(long)]
        authority: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProductionKeyCommand {
    /// Make a new production key for a provider: the private key goes to
    /// DATA_DIR/production-keys/<provider>.jwk (0600), the public key into the register.
    /// Later productions are signed with it.
    Generate {
        #[arg(long)]
        provider: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List a provider's production keys; the last is the one in use.
    List {
        #[arg(long)]
        provider: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn print_keys(keys: &[RegisteredKey], json: bool, none: &str) -> anyhow::Result<()> {
    if json {
        return print_json(&keys);
    }
    if keys.is_empty() {
        println!("{none}");
        return Ok(());
    }
    let mut rows = vec![["key", "added", "in use"].map(str::to_owned).to_vec()];
    rows.extend(keys.iter().map(|k| {
        vec![k.key.clone(), time(k.added_at), if k.current { "yes".to_owned() } else { String::new() }]
    }));
    print_table(&rows);
    Ok(())
}

fn party(id: &str, flag: &str) -> anyhow::Result<PartyId> {
    PartyId::parse(id).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

pub async fn recipient(command: RecipientCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    match command {
        RecipientCommand::Add { authority, recipient, store } => {
            let store = store.open().await?;
            let added =
                api(add_recipient(store.as_ref(), &actor(), &authority, &recipient).await, &[]).await?;
            println!("registered the age recipient {} for {authority}", added.key);
            Ok(())
        }
        RecipientCommand::List { authority, json, store } => {
            let store = store.open().await?;
            let id = party(&authority, "--authority")?;
            let keys = api(recipients(store.as_ref(), &id).await, &[]).await?;
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
            let store = args.open().await?;
            let key = SigningKey::generate();
            let path = key_path(&args.data_dir, &id);
            // Registered first: a key that cannot be registered is never written out.
            let added =
                api(add_production_key(store.as_ref(), &actor(), &provider, &key.public()).await, &[])
                    .await?;
            std::fs::create_dir_all(path.parent().unwrap_or(&args.data_dir))
                .with_context(|| format!("creating {}", path.display()))?;
            if path.exists() {
                let old = path.with_extension(format!("jwk.{}", chrono::Utc::now().format("%Y%m%dT%H%M%S")));
                std::fs::rename(&path, &old)
                    .with_context(|| format!("keeping the old key as {}", old.display()))?;
                eprintln!("the previous key is kept as {}", old.display());
            }
            crate::logkey::write_private(&path, key.to_jwk_private().as_bytes())?;
            println!("{}", key.public().to_jwk());
            eprintln!(
                "production key {} of {id} registered; its private key is {}",
                added.key,
                path.display()
            );
            Ok(())
        }
        ProductionKeyCommand::List { provider, json, store } => {
            let store = store.open().await?;
            let id = party(&provider, "--provider")?;
            let keys: Vec<RegisteredKey> = api(production_keys(store.as_ref(), &id).await, &[])
                .await?
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            print_keys(
                &keys,
                json,
                &format!("{id} has no production key; make one with `comity provider key generate`"),
            )
        }
    }
}
