//! `comity endpoint` and `comity notices`: where parties' notices go, and the outbox's
//! dead letters (issue 13, item 8), straight on the store like the admin API's
//! `/v1/admin/parties/{id}/endpoints` and `/v1/admin/notices`. Every change is a journal
//! fact with its audit-log entry.

use clap::{Args, Subcommand};
use comity_app::NewEndpoint;
use comity_core::NoticeStatus;
use comity_wire::notice::{EndpointResource, NoticeResource};

use crate::{
    StoreArgs,
    admin::{ListArgs, api, print_listing, time},
};

/// Where a notice goes: exactly one of the two.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Where {
    /// A webhook for the party's systems: an https:// URL (http:// to a loopback address
    /// only). Notices are POSTed as JSON, signed with comity's webhook key (RFC 9421;
    /// GET /v1/webhooks/key).
    #[arg(long)]
    webhook: Option<String>,
    /// An e-mail address for the party's people (name@example.org).
    #[arg(long)]
    email: Option<String>,
}

impl Where {
    fn endpoint(self) -> NewEndpoint {
        NewEndpoint { webhook: self.webhook, email: self.email }
    }
}

#[derive(Debug, Subcommand)]
pub enum EndpointCommand {
    /// Register where a party's notices go.
    Add {
        /// The party (any registered party id).
        #[arg(long)]
        party: String,
        #[command(flatten)]
        to: Where,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Take an endpoint away; notices written for it already are still delivered.
    Remove {
        /// The party.
        #[arg(long)]
        party: String,
        #[command(flatten)]
        to: Where,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List a party's endpoints.
    List {
        /// The party.
        #[arg(long)]
        party: String,
        #[command(flatten)]
        list: ListArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum NoticesCommand {
    /// List the outbox's notices, newest first.
    List {
        /// Only the dead letters: notices given up after their last attempt.
        #[arg(long, conflicts_with = "status")]
        dead: bool,
        /// Only notices in this state: pending, delivered or dead.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Put a dead notice back, to be tried again by the next delivery.
    Retry {
        /// The notice's id (`comity notices list --dead` shows it).
        id: u64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

const PARTIES: &str = "`comity authority list` (provider, reviewer, auditor, operator) shows the parties";

pub async fn endpoint(command: EndpointCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    match command {
        EndpointCommand::Add { party, to, store } => {
            let local = store.local().await?;
            let listing = format!("`comity endpoint list --party {party}` shows its endpoints");
            let hints = [("conflict", listing.as_str()), ("not_found", PARTIES)];
            let added = api(local.operator().registers().add_endpoint(&party, &to.endpoint()).await, &hints)?;
            println!("registered the {} endpoint {} of {party}", added.channel, added.address);
            Ok(())
        }
        EndpointCommand::Remove { party, to, store } => {
            let local = store.local().await?;
            let listing = format!("`comity endpoint list --party {party}` shows its endpoints");
            let hints = [("not_found", listing.as_str())];
            let removed =
                api(local.operator().registers().remove_endpoint(&party, &to.endpoint()).await, &hints)?;
            println!("removed the {} endpoint {} of {party}", removed.channel, removed.address);
            Ok(())
        }
        EndpointCommand::List { party, list } => {
            let local = list.store.local().await?;
            let listed: Vec<EndpointResource> =
                api(local.operator().registers().endpoints(&party).await, &[("not_found", PARTIES)])?
                    .iter()
                    .map(EndpointResource::from)
                    .collect();
            print_listing(
                &listed,
                list.json,
                &format!("{party} has no endpoint; register one with `comity endpoint add`"),
                &["channel", "address"],
                |e| vec![e.channel.clone(), e.address.clone()],
            )
        }
    }
}

pub async fn notices(command: NoticesCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    match command {
        NoticesCommand::List { dead, status, limit, list } => {
            let status = match (dead, status.as_deref()) {
                (true, _) => Some(NoticeStatus::Dead),
                (false, None) => None,
                (false, Some(s)) => Some(NoticeStatus::parse(s).ok_or_else(|| {
                    anyhow::anyhow!("--status {s:?} is not one of pending, delivered, dead")
                })?),
            };
            let local = list.store.local().await?;
            let listed: Vec<NoticeResource> =
                api(local.operator().registers().notices(status, limit).await, &[])?
                    .iter()
                    .map(NoticeResource::from)
                    .collect();
            print_listing(
                &listed,
                list.json,
                "no notices",
                &["id", "status", "attempts", "party", "channel", "event", "request", "next", "error"],
                |n| {
                    vec![
                        n.id.to_string(),
                        n.status.clone(),
                        n.attempts.to_string(),
                        n.party.clone(),
                        n.channel.clone(),
                        n.event.clone(),
                        n.request.clone(),
                        time(n.next_attempt_at),
                        n.last_error.clone().unwrap_or_else(|| "-".into()),
                    ]
                },
            )
        }
        NoticesCommand::Retry { id, store } => {
            let local = store.local().await?;
            let hints = [("not_found", "`comity notices list --dead` shows the dead letters")];
            let notice = api(local.operator().registers().retry_notice(id).await, &hints)?;
            println!(
                "notice {} to {} is pending again: the next delivery tries it",
                notice.id, notice.to.party
            );
            Ok(())
        }
    }
}
