//! `comity authority key` and `comity authority contact`: the authorities' signing keys
//! and contacts, straight on the store, like the admin API's
//! `/v1/admin/authorities/{id}/keys` and `/contacts`. Every change is a journal entry
//! with its audit-log entry; a key's history is kept whole.

use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use comity_app::{KeyView, NewContact, NewKey, Revocation};
use comity_auth::jws::SigningKey;
use comity_wire::trust::{ContactBody, KeyResource};

use crate::{
    StoreArgs,
    admin::{ListArgs, api, print_listing, read_text, time},
};

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Register a public key of an authority; its systems sign requests with the private
    /// key (see `comity request sign`).
    Add {
        /// The authority (a registered party id).
        #[arg(long)]
        authority: String,
        /// The Ed25519 public key: a JWK file or a PEM file (`-----BEGIN PUBLIC KEY-----`),
        /// `-` for standard input.
        #[arg(long)]
        public_key: PathBuf,
        /// The key id signatures name in their header; by default the key's RFC 7638
        /// thumbprint.
        #[arg(long, allow_hyphen_values = true)]
        kid: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Register a new key that replaces one: the old key stays usable for the overlap,
    /// then is retired.
    Rotate {
        /// The authority (a registered party id).
        #[arg(long)]
        authority: String,
        /// The id of the key being replaced.
        #[arg(long, allow_hyphen_values = true)]
        replaces: String,
        /// The new public key (JWK or PEM file, `-` for standard input).
        #[arg(long)]
        public_key: PathBuf,
        /// The new key's id; by default its RFC 7638 thumbprint.
        #[arg(long, allow_hyphen_values = true)]
        kid: Option<String>,
        /// How long the replaced key stays usable, in hours or days (such as 24h or 7d; at
        /// most 30d), so that systems can switch without a gap.
        #[arg(long, default_value = "24h")]
        overlap: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a key: nothing it signs from the effective time on is accepted.
    Revoke {
        /// The authority (a registered party id).
        #[arg(long)]
        authority: String,
        /// The id of the key.
        #[arg(long, allow_hyphen_values = true)]
        kid: String,
        /// Why, in a line; kept forever in the journal.
        #[arg(long)]
        reason: String,
        /// From when (RFC 3339, such as 2026-12-01T10:00:00Z); default now. A time in the
        /// past covers a compromise found late.
        #[arg(long)]
        effective: Option<DateTime<Utc>>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List an authority's keys with their whole history.
    List(AuthorityListArgs),
    /// Generate a new Ed25519 key pair for an authority's system: writes the private key
    /// as a JWK (mode 0600) and prints the public JWK on standard output (the key id on
    /// standard error), ready for `comity authority key add --public-key -`.
    Generate {
        /// Where to write the private key; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Register a contact of an authority: a person who confirms its emergency requests
    /// through a channel other than the one they came by.
    Add {
        /// The authority (a registered party id).
        #[arg(long)]
        authority: String,
        /// Unique within the authority, such as duty-officer.
        #[arg(long)]
        id: String,
        /// The person's name or function.
        #[arg(long)]
        name: String,
        /// The contact's e-mail address, where one-time verification links are sent.
        #[arg(long)]
        email: Option<String>,
        /// The contact's phone number, for a call-back, in international form (+49 30 1234567).
        #[arg(long)]
        phone: Option<String>,
        /// An Ed25519 public key (JWK or PEM file, `-` for standard input) the contact signs
        /// confirmations with.
        #[arg(long)]
        public_key: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List an authority's contacts.
    List(AuthorityListArgs),
    /// Change a contact's name or channels, with the reason; the journal keeps the contact
    /// as it was and as it is.
    Update {
        /// The authority (a registered party id).
        #[arg(long)]
        authority: String,
        /// The contact's id.
        #[arg(long)]
        id: String,
        /// The person's name or function from now on.
        #[arg(long)]
        name: Option<String>,
        /// The e-mail address from now on.
        #[arg(long, conflicts_with = "no_email")]
        email: Option<String>,
        /// The contact has no e-mail address any more.
        #[arg(long)]
        no_email: bool,
        /// The phone number from now on.
        #[arg(long, conflicts_with = "no_phone")]
        phone: Option<String>,
        /// The contact has no phone number any more.
        #[arg(long)]
        no_phone: bool,
        /// The Ed25519 public key (JWK or PEM file, `-` for standard input) from now on.
        #[arg(long, conflicts_with = "no_public_key")]
        public_key: Option<PathBuf>,
        /// The contact signs with no key any more.
        #[arg(long)]
        no_public_key: bool,
        /// Why; kept in the journal and committed to by the audit log.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Take a contact off an authority's register, with the reason: they confirm its
    /// emergencies no more, and their id is never given to another contact.
    Remove {
        /// The authority (a registered party id).
        #[arg(long)]
        authority: String,
        /// The contact's id.
        #[arg(long)]
        id: String,
        /// Why; kept in the journal and committed to by the audit log.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

// What the listings of an authority's keys and contacts take.
#[derive(Debug, Args)]
pub struct AuthorityListArgs {
    /// The authority (a registered party id).
    #[arg(long)]
    authority: String,
    #[command(flatten)]
    list: ListArgs,
}

impl AuthorityListArgs {
    /// The store, once the authority is known to be registered (a listing of an unknown
    /// one says so, where an empty listing would mislead).
    async fn open(&self) -> anyhow::Result<(crate::Local, comity_core::PartyId)> {
        let local = self.list.store.local().await?;
        let id =
            comity_core::PartyId::parse(&self.authority).map_err(|e| anyhow::anyhow!("--authority: {e}"))?;
        match local.app.store().party(&id).await.context("reading the register")? {
            Some(comity_core::Party::Authority(_)) => Ok((local, id)),
            _ => bail!("no authority {id} is registered; `comity authority list` shows them"),
        }
    }
}

/// Reads a public key file, refusing a private key before it goes anywhere.
fn public_key_text(path: &std::path::Path) -> anyhow::Result<String> {
    let text = read_text(path, "the public key")?;
    if SigningKey::parse(&text).is_ok() || text.contains("PRIVATE KEY-----") {
        bail!(
            "{} holds a private key; register only the public key. `comity authority key generate` \
             printed it on standard output; from a PEM private key, `openssl pkey -in FILE -pubout` \
             prints it. Keep the private key with the system that signs, and never hand it to comity",
            path.display()
        );
    }
    Ok(text)
}

/// Reads an overlap such as `24h` or `7d` as whole hours.
fn overlap_hours(text: &str) -> anyhow::Result<u32> {
    let text = text.trim();
    let bad = || anyhow::anyhow!("--overlap {text:?} is not a duration such as 24h or 7d");
    let split = text.len().checked_sub(1).ok_or_else(bad)?;
    let (number, unit) = (text.get(..split).ok_or_else(bad)?, text.get(split..).ok_or_else(bad)?);
    let n: u32 = number.parse().map_err(|_| bad())?;
    let hours = match unit {
        "h" => n,
        "d" => n.checked_mul(24).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if hours > 720 {
        bail!(
            "--overlap {text}: an overlap lasts at most 30 days (720h); revoke the old key when it must end"
        );
    }
    Ok(hours)
}

const AUTHORITIES: &str = "`comity authority list` shows the registered authorities";

/// What to run when a key command fails: the authority's keys, or the authorities.
struct KeyHints(String);

fn key_hints(authority: &str) -> KeyHints {
    KeyHints(format!(
        "`comity authority key list --authority {authority}` shows its keys (and `comity authority list` the authorities)"
    ))
}

impl KeyHints {
    fn each(&self) -> [(&str, &str); 2] {
        [("not_found", self.0.as_str()), ("conflict", self.0.as_str())]
    }
}

/// A key as the API shows it, now.
fn resource(view: &KeyView) -> KeyResource {
    KeyResource::new(&view.key, view.log_indexes.clone(), Utc::now())
}

fn print_key(k: &KeyResource, verb: &str) {
    println!("{verb} key {} of {}: {}", k.kid, k.authority, k.status);
}

pub async fn key(command: KeyCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    match command {
        KeyCommand::Add { authority, public_key, kid, store } => {
            let new = NewKey { public_key: public_key_text(&public_key)?, kid, ..NewKey::default() };
            let local = store.local().await?;
            let hints = key_hints(&authority);
            let key = api(local.operator().registers().add_key(&authority, &new).await, &hints.each())?;
            print_key(&resource(&key), "registered");
            Ok(())
        }
        KeyCommand::Rotate { authority, replaces, public_key, kid, overlap, store } => {
            let new = NewKey {
                public_key: public_key_text(&public_key)?,
                kid,
                replaces: Some(replaces.clone()),
                overlap_hours: Some(overlap_hours(&overlap)?),
            };
            let local = store.local().await?;
            let registers = local.operator().registers();
            let hints = key_hints(&authority);
            let key = api(registers.add_key(&authority, &new).await, &hints.each())?;
            print_key(&resource(&key), "registered");
            let old = api(registers.keys_of(&authority).await, &[])?
                .into_iter()
                .find(|k| k.key.kid.as_str() == replaces);
            if let Some(retired) = old.and_then(|k| k.key.retired_at) {
                println!(
                    "key {replaces} of {authority} stays usable until {}, then is retired",
                    time(retired)
                );
            }
            Ok(())
        }
        KeyCommand::Revoke { authority, kid, reason, effective, store } => {
            let local = store.local().await?;
            let revocation = Revocation { reason, effective_at: effective };
            let hints = key_hints(&authority);
            let key = resource(&api(
                local.operator().registers().revoke_key(&authority, &kid, &revocation).await,
                &hints.each(),
            )?);
            let from = key.revoked_at.map(time).unwrap_or_default();
            println!("revoked key {} of {} from {from}: {}", key.kid, key.authority, key.status);
            Ok(())
        }
        KeyCommand::List(args) => {
            let (local, id) = args.open().await?;
            let keys: Vec<KeyResource> =
                api(local.operator().registers().keys_of(&args.authority).await, &[])?
                    .iter()
                    .map(resource)
                    .collect();
            print_listing(
                &keys,
                args.list.json,
                &format!("{id} has no key; register one with `comity authority key add`"),
                &["kid", "status", "added", "retired", "revoked", "reason"],
                |k| {
                    vec![
                        k.kid.clone(),
                        k.status.clone(),
                        time(k.added_at),
                        k.retired_at.map(time).unwrap_or_else(|| "-".into()),
                        k.revoked_at.map(time).unwrap_or_else(|| "-".into()),
                        k.revocation_reason.clone().unwrap_or_default(),
                    ]
                },
            )
        }
        KeyCommand::Generate { out } => {
            let key = SigningKey::generate();
            comity_app::data_dir::write_private(&out, key.to_jwk_private().as_bytes()).with_context(
                || format!("writing the private key (an existing {} is never overwritten)", out.display()),
            )?;
            let public = key.public();
            println!("{}", public.to_jwk());
            eprintln!(
                "wrote the private key to {} (mode 0600); keep it with the system that signs.\n\
                 key id (RFC 7638 thumbprint): {}\n\
                 register the public key printed above: comity authority key add --authority ID --public-key FILE",
                out.display(),
                public.key_id()
            );
            Ok(())
        }
    }
}

pub async fn contact(command: ContactCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    match command {
        ContactCommand::Add { authority, id, name, email, phone, public_key, store } => {
            let public_key = public_key.map(|p| public_key_text(&p)).transpose()?;
            let new = NewContact { id, name, email, phone, public_key };
            let local = store.local().await?;
            let listing =
                format!("`comity authority contact list --authority {authority}` shows its contacts");
            let hints = [("conflict", listing.as_str()), ("not_found", AUTHORITIES)];
            let added = api(local.operator().registers().add_contact(&authority, &new).await, &hints)?;
            println!("registered contact {} of {authority}: {}", added.id, added.name);
            Ok(())
        }
        ContactCommand::Update {
            authority,
            id,
            name,
            email,
            no_email,
            phone,
            no_phone,
            public_key,
            no_public_key,
            reason,
            store,
        } => {
            let channel = |value: Option<String>, none: bool| if none { Some(None) } else { value.map(Some) };
            let public_key = public_key.map(|p| public_key_text(&p)).transpose()?;
            let changes = comity_app::ContactChanges {
                name,
                email: channel(email, no_email),
                phone: channel(phone, no_phone),
                public_key: channel(public_key, no_public_key),
                reason,
            };
            let local = store.local().await?;
            let listing =
                format!("`comity authority contact list --authority {authority}` shows its contacts");
            let hints = [("not_found", listing.as_str())];
            let (contact, entry) = api(
                local
                    .operator()
                    .registers()
                    .update_contact(&authority, &id, &changes, chrono::Utc::now())
                    .await,
                &hints,
            )?;
            let index = entry.log_index.map(|i| format!(" (audit-log entry {i})")).unwrap_or_default();
            println!("updated contact {} of {authority}: {}{index}", contact.id, contact.name);
            Ok(())
        }
        ContactCommand::Remove { authority, id, reason, store } => {
            let local = store.local().await?;
            let listing =
                format!("`comity authority contact list --authority {authority}` shows its contacts");
            let hints = [("not_found", listing.as_str())];
            let entry = api(
                local
                    .operator()
                    .registers()
                    .remove_contact(&authority, &id, &reason, chrono::Utc::now())
                    .await,
                &hints,
            )?;
            let index = entry.log_index.map(|i| format!(" (audit-log entry {i})")).unwrap_or_default();
            println!("removed contact {id} of {authority}{index}");
            Ok(())
        }
        ContactCommand::List(args) => {
            let (local, id) = args.open().await?;
            let listed: Vec<ContactBody> =
                api(local.operator().registers().contacts(&args.authority).await, &[])?
                    .iter()
                    .map(ContactBody::from)
                    .collect();
            print_listing(
                &listed,
                args.list.json,
                &format!("{id} has no contact; register one with `comity authority contact add`"),
                &["id", "email", "phone", "key", "name"],
                |c| {
                    vec![
                        c.id.clone(),
                        c.email.clone().unwrap_or_else(|| "-".into()),
                        c.phone.clone().unwrap_or_else(|| "-".into()),
                        if c.public_key.is_some() { "yes" } else { "-" }.to_owned(),
                        c.name.clone(),
                    ]
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::overlap_hours;

    #[test]
    fn overlaps_are_hours_or_days_up_to_thirty_days() {
        assert_eq!(overlap_hours("24h").ok(), Some(24));
        assert_eq!(overlap_hours("7d").ok(), Some(168));
        assert_eq!(overlap_hours("30d").ok(), Some(720));
        for bad in ["", "h", "31d", "721h", "1w", "-1h", "1.5h"] {
            assert!(overlap_hours(bad).is_err(), "{bad}");
        }
    }
}
