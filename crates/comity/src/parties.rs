//! `comity authority|provider|reviewer|representative add|list`: the registers, straight on
//! the store; `comity representative register`: one registered for a request.
//!
//! These commands open the database themselves, so they work whether or not a server
//! is running (SQLite lets both share the data directory).

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use comity_core::{Party, PartyRole};
use comity_wire::{
    api::{AuthorityBody, OrganisationBody, ProviderBody, ReviewerBodyBody},
    term::Term,
};

use crate::{StoreArgs, admin::ListArgs};

/// What every party is registered with.
#[derive(Debug, Args)]
pub struct PartyArgs {
    /// A short, stable id: lower-case letters, digits and hyphens (such as fr-tj-paris).
    #[arg(long)]
    id: String,
    /// ISO 3166-1 alpha-2 code (such as FR).
    #[arg(long)]
    country: String,
    /// The full name.
    #[arg(long)]
    name: String,
    /// The institution this party is part of, when it shares one with other parties (a
    /// court that both issues and reviews orders): parties of one institution never
    /// decide on each other's requests.
    #[arg(long)]
    institution: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuthorityCommand {
    /// Register an authority.
    Add {
        #[command(flatten)]
        party: PartyArgs,
        /// judge, court, investigating_judge, prosecutor, police, security_service or other.
        #[arg(long = "type")]
        authority_type: String,
    },
    /// List the registered authorities.
    List(ListArgs),
    /// Register, rotate, revoke and list an authority's signing keys, or generate a key
    /// pair for its system.
    #[command(subcommand)]
    Key(crate::keys::KeyCommand),
    /// Register and list an authority's contacts, who confirm its emergency requests.
    #[command(subcommand)]
    Contact(crate::keys::ContactCommand),
    /// The age recipients an authority receives its productions with.
    #[command(subcommand)]
    Recipient(crate::productions::RecipientCommand),
}

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Register a provider.
    Add(PartyArgs),
    /// List the registered providers.
    List(ListArgs),
    /// A provider's production keys, which sign its packages' manifests.
    #[command(subcommand)]
    Key(crate::productions::ProductionKeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum ReviewerCommand {
    /// Register an independent reviewer body.
    Add {
        #[command(flatten)]
        party: PartyArgs,
        /// court, data_protection_authority, central_authority, enforcing_authority or other.
        #[arg(long)]
        kind: String,
    },
    /// List the registered reviewer bodies.
    List(ListArgs),
    /// Assign a reviewer body to a request, with the reason: where routing by law found
    /// none in the register, or a provider's objection was upheld (--replaces). Only a body
    /// of the kind and State the law makes competent, and of no party's institution.
    Assign {
        #[command(flatten)]
        store: crate::StoreArgs,
        /// The request.
        #[arg(long)]
        request: String,
        /// The reviewer body to assign.
        #[arg(long)]
        reviewer: String,
        /// Why; kept in the journal and the audit log.
        #[arg(long)]
        reason: String,
        /// A body assigned now that this one takes the place of.
        #[arg(long)]
        replaces: Option<String>,
    },
}

/// Representatives of people concerned by requests (a lawyer, a data protection authority;
/// issue 13, item 6): the register, and registering one for a request.
#[derive(Debug, Subcommand)]
pub enum RepresentativeCommand {
    /// Register a representative (a party of its own register).
    Add(PartyArgs),
    /// List the registered representatives.
    List(ListArgs),
    /// Register a representative for a request, on the mandate shown: its people may then
    /// see that request's decisions and appeal them, and nothing else.
    Register {
        #[command(flatten)]
        store: crate::StoreArgs,
        /// The request.
        #[arg(long)]
        request: String,
        /// The representative, registered with `comity representative add`.
        #[arg(long)]
        representative: String,
        /// An identifier of the person it acts for (an e-mail address, an account name);
        /// only a salted commitment to it is kept and logged.
        #[arg(long)]
        represents: String,
        /// The mandate shown (a power of attorney, a complaint lodged with a data
        /// protection authority); kept in the journal and the audit log.
        #[arg(long)]
        mandate: String,
    },
}

/// `comity representative add|list|register`.
pub async fn representative(command: RepresentativeCommand) -> anyhow::Result<()> {
    match command {
        RepresentativeCommand::Add(p) => {
            let body =
                OrganisationBody { id: p.id, country: p.country, name: p.name, institution: p.institution };
            add(&p.store, body.to_representative()).await
        }
        RepresentativeCommand::List(args) => list(&args, PartyRole::Representative).await,
        RepresentativeCommand::Register { store, request, representative, represents, mandate } => {
            let id =
                comity_core::RequestId::parse(&request).map_err(|e| anyhow::anyhow!("--request: {e}"))?;
            let local = store.local().await?;
            let new =
                comity_app::NewRepresentative { representative: representative.clone(), represents, mandate };
            let hints = [("not_found", "the request id is the one the person's representative was given")];
            let (representatives, entry) =
                crate::admin::api(local.operator().register_representative(id, &new).await, &hints)?;
            let index = entry.log_index.map(|i| format!(" (audit-log entry {i})")).unwrap_or_default();
            println!(
                "{representative} registered for {id}{index}; registered now: {}",
                representatives.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            );
            Ok(())
        }
    }
}

/// The registers of organisations with no kind: auditors and operators.
#[derive(Debug, Subcommand)]
pub enum OrganisationCommand {
    /// Register one.
    Add(PartyArgs),
    /// List them.
    List(ListArgs),
}

fn term<T: comity_core::Vocabulary>(flag: &str, value: &str) -> anyhow::Result<Term<T>> {
    match T::parse(value) {
        Some(t) => Ok(Term(t)),
        None => {
            let known: Vec<&str> = T::all().iter().map(|t| t.as_str()).collect();
            bail!("--{flag} {value:?} is not known; use one of: {}", known.join(", "))
        }
    }
}

async fn add(store: &StoreArgs, party: Result<Party, comity_wire::DocumentError>) -> anyhow::Result<()> {
    let party = party.map_err(|e| anyhow::anyhow!("{e}"))?;
    let local = store.local().await?;
    crate::admin::api(local.operator().registers().add_party(&party).await, &[])
        .with_context(|| format!("registering {}", party.id()))?;
    println!("registered {} {}", party.role().noun(), party.id());
    Ok(())
}

async fn list(args: &ListArgs, role: PartyRole) -> anyhow::Result<()> {
    let local = args.store.local().await?;
    let parties = local.app.store().parties(role).await.context("reading the register")?;
    let rows: Vec<(serde_json::Value, [String; 4])> = parties
        .iter()
        .map(|p| match p {
            Party::Authority(a) => (
                serde_json::to_value(AuthorityBody::from(a)),
                [a.id.to_string(), a.country.to_string(), a.authority_type.to_string(), a.name.clone()],
            ),
            Party::Provider(x) => (
                serde_json::to_value(ProviderBody::from(x)),
                [x.id.to_string(), x.country.to_string(), String::new(), x.name.clone()],
            ),
            Party::Reviewer(r) => (
                serde_json::to_value(ReviewerBodyBody::from(r)),
                [r.id.to_string(), r.country.to_string(), r.kind.to_string(), r.name.clone()],
            ),
            Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => (
                serde_json::to_value(OrganisationBody::from(o)),
                [o.id.to_string(), o.country.to_string(), String::new(), o.name.clone()],
            ),
        })
        .map(|(json, row)| json.map(|j| (j, row)))
        .collect::<Result<_, _>>()?;
    if args.json {
        let values: Vec<&serde_json::Value> = rows.iter().map(|(j, _)| j).collect();
        println!("{}", serde_json::to_string_pretty(&values)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no {} is registered", role.noun());
        return Ok(());
    }
    let width = |i: usize| rows.iter().map(|(_, r)| r[i].chars().count()).max().unwrap_or(0);
    let (w0, w2) = (width(0).max(2), width(2));
    for (_, r) in &rows {
        let line = if w2 == 0 {
            format!("{:<w0$}  {}  {}", r[0], r[1], r[3])
        } else {
            format!("{:<w0$}  {}  {:<w2$}  {}", r[0], r[1], r[2], r[3])
        };
        println!("{line}");
    }
    Ok(())
}

pub async fn authority(command: AuthorityCommand) -> anyhow::Result<()> {
    match command {
        AuthorityCommand::Add { party: p, authority_type } => {
            let body = AuthorityBody {
                id: p.id,
                country: p.country,
                authority_type: term("type", &authority_type)?,
                name: p.name,
                institution: p.institution,
            };
            add(&p.store, body.to_party()).await
        }
        AuthorityCommand::List(args) => list(&args, PartyRole::Authority).await,
        AuthorityCommand::Key(c) => crate::keys::key(c).await,
        AuthorityCommand::Contact(c) => crate::keys::contact(c).await,
        AuthorityCommand::Recipient(c) => crate::productions::recipient(c).await,
    }
}

pub async fn provider(command: ProviderCommand) -> anyhow::Result<()> {
    match command {
        ProviderCommand::Add(p) => {
            let body =
                ProviderBody { id: p.id, country: p.country, name: p.name, institution: p.institution };
            add(&p.store, body.to_party()).await
        }
        ProviderCommand::List(args) => list(&args, PartyRole::Provider).await,
        ProviderCommand::Key(c) => crate::productions::production_key(c).await,
    }
}

pub async fn reviewer(command: ReviewerCommand) -> anyhow::Result<()> {
    match command {
        ReviewerCommand::Add { party: p, kind } => {
            let body = ReviewerBodyBody {
                id: p.id,
                country: p.country,
                kind: term("kind", &kind)?,
                name: p.name,
                institution: p.institution,
            };
            add(&p.store, body.to_party()).await
        }
        ReviewerCommand::List(args) => list(&args, PartyRole::Reviewer).await,
        ReviewerCommand::Assign { store, request, reviewer, reason, replaces } => {
            let id =
                comity_core::RequestId::parse(&request).map_err(|e| anyhow::anyhow!("--request: {e}"))?;
            let local = store.local().await?;
            let hints =
                [("not_found", "list the requests with the API (GET /v1/requests) as a party to them")];
            let (reviewers, entry) = crate::admin::api(
                local.operator().assign_reviewer(id, &reviewer, &reason, replaces.as_deref()).await,
                &hints,
            )?;
            let index = entry.log_index.map(|i| format!(" (audit-log entry {i})")).unwrap_or_default();
            println!(
                "{reviewer} assigned to {id}{index}; assigned now: {}",
                reviewers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            );
            Ok(())
        }
    }
}

/// `comity auditor|operator add|list`.
pub async fn organisation(command: OrganisationCommand, register: PartyRole) -> anyhow::Result<()> {
    match command {
        OrganisationCommand::Add(p) => {
            let body =
                OrganisationBody { id: p.id, country: p.country, name: p.name, institution: p.institution };
            let party = if register == PartyRole::Operator { body.to_operator() } else { body.to_auditor() };
            add(&p.store, party).await
        }
        OrganisationCommand::List(args) => list(&args, register).await,
    }
}
