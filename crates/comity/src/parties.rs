//! `comity authority|provider|reviewer|auditor|operator|representative add|list`: the
//! registers, straight on the store; `... update|deactivate|reactivate|suspend|lift|
//! suspensions|history`: each party's details and standing over time (issue 16), with the
//! reason the journal keeps; `comity representative register`: one registered for a
//! request.
//!
//! These commands open the database themselves, so they work whether or not a server
//! is running (SQLite lets both share the data directory).

use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use comity_core::{Party, PartyRole};
use comity_wire::{
    api::{AuthorityBody, OrganisationBody, ProviderBody, ReviewerBodyBody},
    register::{HistoryEntry, PartyHistoryResource, PartyResource, StandingResource, SuspensionResource},
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

/// What a change of a party's details takes (issue 16, item 7).
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The party.
    #[arg(long)]
    id: String,
    /// Its full name from now on.
    #[arg(long)]
    name: Option<String>,
    /// The institution it belongs to from now on.
    #[arg(long, conflicts_with = "no_institution")]
    institution: Option<String>,
    /// It belongs to no institution beyond itself from now on.
    #[arg(long)]
    no_institution: bool,
    /// Why; kept in the journal and committed to by the audit log.
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    store: StoreArgs,
}

/// A party and the reason for an act on it.
#[derive(Debug, Args)]
pub struct ReasonArgs {
    /// The party.
    #[arg(long)]
    id: String,
    /// Why; kept in the journal and committed to by the audit log.
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    store: StoreArgs,
}

/// A party to read about.
#[derive(Debug, Args)]
pub struct PartyListArgs {
    /// The party.
    #[arg(long)]
    id: String,
    #[command(flatten)]
    list: ListArgs,
}

/// A party's standing over time, for every register (issue 16, items 6 and 7).
#[derive(Debug, Subcommand)]
pub enum StandingCommand {
    /// Deactivate a party, with the reason: from now on it is party to no new request (an
    /// authority submits none, a provider receives none, a reviewer body is assigned none)
    /// until it is reactivated. What it is party to keeps its history.
    Deactivate(ReasonArgs),
    /// Reactivate a deactivated party, with the reason.
    Reactivate(ReasonArgs),
    /// Suspend a party as a whole, or one of its privileges, from now until a date, by a
    /// reasoned decision: a suspended authority's submissions (or only its emergencies)
    /// are refused, saying why and until when.
    Suspend {
        /// The party.
        #[arg(long)]
        id: String,
        /// The privilege to suspend (emergency: an authority's emergency route); without
        /// it, the party as a whole.
        #[arg(long)]
        privilege: Option<String>,
        /// When it ends: RFC 3339 (2027-03-01T00:00:00Z) or from now (+30d).
        #[arg(long)]
        until: String,
        /// The reasoned decision: what the party did, and the commitment it broke.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Lift a suspension before its end, with the reason.
    Lift {
        /// The party.
        #[arg(long)]
        id: String,
        /// The suspension's number (`suspensions` lists them).
        #[arg(long)]
        suspension: u32,
        /// Why; kept in the journal and committed to by the audit log.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// A party's suspensions, in force or not, with their reasons.
    Suspensions(PartyListArgs),
    /// A party's history: its details as registered, and every change and act since.
    History(PartyListArgs),
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
    /// Change an authority's name, type or institution, with the reason.
    Update {
        #[command(flatten)]
        update: UpdateArgs,
        /// Its type from now on: judge, court, investigating_judge, prosecutor, police,
        /// security_service or other.
        #[arg(long = "type")]
        authority_type: Option<String>,
    },
    #[command(flatten)]
    Standing(StandingCommand),
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
    /// Change a provider's name or institution, with the reason.
    Update(UpdateArgs),
    #[command(flatten)]
    Standing(StandingCommand),
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
    /// Change a reviewer body's name, kind or institution, with the reason.
    Update {
        #[command(flatten)]
        update: UpdateArgs,
        /// Its kind from now on: court, data_protection_authority, central_authority,
        /// enforcing_authority or other.
        #[arg(long)]
        kind: Option<String>,
    },
    #[command(flatten)]
    Standing(StandingCommand),
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
    /// Change a representative's name or institution, with the reason.
    Update(UpdateArgs),
    #[command(flatten)]
    Standing(StandingCommand),
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
        RepresentativeCommand::Update(u) => update(u, None, None).await,
        RepresentativeCommand::Standing(c) => standing(c).await,
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
    /// Change one's name or institution, with the reason.
    Update(UpdateArgs),
    #[command(flatten)]
    Standing(StandingCommand),
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
        AuthorityCommand::Update { update: u, authority_type } => {
            let authority_type = authority_type.map(|t| term("type", &t)).transpose()?.map(|t| t.0);
            update(u, authority_type, None).await
        }
        AuthorityCommand::Standing(c) => standing(c).await,
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
        ProviderCommand::Update(u) => update(u, None, None).await,
        ProviderCommand::Standing(c) => standing(c).await,
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
        ReviewerCommand::Update { update: u, kind } => {
            let kind = kind.map(|k| term("kind", &k)).transpose()?.map(|k| k.0);
            update(u, None, kind).await
        }
        ReviewerCommand::Standing(c) => standing(c).await,
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
        OrganisationCommand::Update(u) => update(u, None, None).await,
        OrganisationCommand::Standing(c) => standing(c).await,
    }
}

/// Hints for the acts on a party, by error code.
const PARTY_HINTS: [(&str, &str); 2] = [
    (
        "not_found",
        "`comity authority list` (or provider, reviewer, auditor, operator, representative list) shows the registered parties",
    ),
    (
        "conflict",
        "another change came first: `comity <register> history --id ID` shows it; repeat yours if it still stands",
    ),
];

/// `comity <register> update`.
async fn update(
    u: UpdateArgs,
    authority_type: Option<comity_core::AuthorityType>,
    kind: Option<comity_core::ReviewerKind>,
) -> anyhow::Result<()> {
    let institution = if u.no_institution { Some(None) } else { u.institution.map(Some) };
    let changes =
        comity_app::PartyChanges { name: u.name, authority_type, kind, institution, reason: u.reason };
    let local = u.store.local().await?;
    let (party, entry) = crate::admin::api(
        local.operator().registers().update_party(&u.id, &changes, Utc::now()).await,
        &PARTY_HINTS,
    )?;
    let changed = HistoryEntry::new(&entry)
        .map(|h| h.changes.iter().map(|c| c.field.clone()).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    println!("updated {} {} ({changed}){}", party.role().noun(), party.id(), logged(entry.log_index));
    Ok(())
}

fn logged(index: Option<u64>) -> String {
    index.map(|i| format!("; audit-log entry {i}")).unwrap_or_default()
}

/// `comity <register> deactivate|reactivate|suspend|lift|suspensions|history`.
async fn standing(command: StandingCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    let now = Utc::now();
    match command {
        StandingCommand::Deactivate(a) => {
            let local = a.store.local().await?;
            let (_, entry) = crate::admin::api(
                local.operator().registers().deactivate(&a.id, &a.reason, now).await,
                &PARTY_HINTS,
            )?;
            println!(
                "deactivated {}: it is party to no new request until reactivated{}",
                a.id,
                logged(entry.log_index)
            );
        }
        StandingCommand::Reactivate(a) => {
            let local = a.store.local().await?;
            let (_, entry) = crate::admin::api(
                local.operator().registers().reactivate(&a.id, &a.reason, now).await,
                &PARTY_HINTS,
            )?;
            println!("reactivated {}{}", a.id, logged(entry.log_index));
        }
        StandingCommand::Suspend { id, privilege, until, reason, store } => {
            let privilege =
                privilege.map(|p| term::<comity_core::Privilege>("privilege", &p)).transpose()?.map(|p| p.0);
            let until = crate::deadlines::parse_time("--until", &until, now)?;
            let local = store.local().await?;
            let new = comity_app::NewSuspension { privilege, until, reason };
            let (s, entry) =
                crate::admin::api(local.operator().registers().suspend(&id, &new, now).await, &PARTY_HINTS)?;
            let what = s.privilege.map_or_else(|| id.clone(), |p| format!("{id}'s {}", p.noun()));
            println!(
                "suspended {what} until {} (suspension {}){}",
                crate::admin::time(s.until),
                s.number,
                logged(entry.log_index)
            );
        }
        StandingCommand::Lift { id, suspension, reason, store } => {
            let local = store.local().await?;
            let hints =
                [("not_found", "`comity <register> suspensions --id ID` lists the party's suspensions")];
            let (s, entry) = crate::admin::api(
                local.operator().registers().lift_suspension(&id, suspension, &reason, now).await,
                &hints,
            )?;
            println!("lifted suspension {} of {id}{}", s.number, logged(entry.log_index));
        }
        StandingCommand::Suspensions(args) => {
            let local = args.list.store.local().await?;
            let record =
                crate::admin::api(local.operator().registers().party_record(&args.id).await, &PARTY_HINTS)?;
            let standing = &record.standing;
            let listed: Vec<SuspensionResource> = standing
                .suspensions
                .iter()
                .map(|s| SuspensionResource::new(&standing.party, s, now))
                .collect();
            crate::admin::print_listing(
                &listed,
                args.list.json,
                &format!("{} was never suspended", args.id),
                &["number", "what", "decided", "until", "state", "reason"],
                |s| {
                    vec![
                        s.number.to_string(),
                        s.privilege.map_or_else(|| "the party".to_owned(), |p| p.0.to_string()),
                        crate::admin::time(s.decided.at),
                        crate::admin::time(s.until),
                        match (&s.lifted, s.in_force) {
                            (Some(l), _) => format!("lifted {}: {}", crate::admin::time(l.at), l.reason),
                            (None, true) => "in force".to_owned(),
                            (None, false) if s.decided.at > now => "to come".to_owned(),
                            (None, false) => "ended".to_owned(),
                        },
                        s.decided.reason.clone(),
                    ]
                },
            )?;
        }
        StandingCommand::History(args) => {
            let local = args.list.store.local().await?;
            let record =
                crate::admin::api(local.operator().registers().party_record(&args.id).await, &PARTY_HINTS)?;
            let resource = PartyHistoryResource {
                party: PartyResource::new(&record.party, Some(StandingResource::new(&record.standing, now))),
                registered: PartyResource::new(&record.registered, None),
                history: record.history.iter().filter_map(HistoryEntry::new).collect(),
            };
            if args.list.json {
                return crate::admin::print_json(&resource);
            }
            let p = &resource.registered;
            println!(
                "{} {} registered as {:?}{}{}",
                p.register,
                p.id,
                p.name,
                p.authority_type.as_ref().or(p.kind.as_ref()).map(|t| format!(", {t}")).unwrap_or_default(),
                p.institution.as_ref().map(|i| format!(", of {i}")).unwrap_or_default()
            );
            let mut rows = vec![vec!["at".to_owned(), "act".to_owned(), "by".to_owned(), "what".to_owned()]];
            for h in &resource.history {
                rows.push(vec![crate::admin::time(h.at), h.kind.clone(), h.actor.clone(), history_line(h)]);
            }
            if rows.len() > 1 {
                crate::admin::print_table(&rows);
            } else {
                println!("no change since");
            }
            let standing = resource.party.standing.as_ref().map(|s| s.active).unwrap_or(true);
            println!("{}", if standing { "active now" } else { "party to no new request now" });
        }
    }
    Ok(())
}

/// What one act of a history did, in a line.
fn history_line(h: &HistoryEntry) -> String {
    let mut parts: Vec<String> = h
        .changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                c.field,
                c.old.as_deref().unwrap_or("none"),
                c.new.as_deref().unwrap_or("none")
            )
        })
        .collect();
    if let Some(contact) = &h.contact {
        parts.insert(0, format!("contact {contact}"));
    }
    if let Some(n) = h.suspension {
        let what = h.privilege.map_or_else(|| "the party".to_owned(), |p| p.0.noun().to_owned());
        match h.until {
            Some(until) => {
                parts.push(format!("suspension {n} of {what} until {}", crate::admin::time(until)))
            }
            None => parts.push(format!("suspension {n}")),
        }
    }
    if let Some(reason) = &h.reason {
        parts.push(format!("because: {reason}"));
    }
    parts.join("; ")
}
