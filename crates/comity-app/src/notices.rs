//! Telling parties (issue 13, item 8): where notices go, which entries of the audit log
//! tell whom, and the outbox's delivery.
//!
//! - Endpoints: a party's webhook (its systems) and e-mail addresses (its people), each
//!   registered or taken away as a journal fact (`endpoint.added`, `endpoint.removed`)
//!   with its audit-log entry, by the operator ([`Registers::add_endpoint`]).
//! - [`notices_for`]: which log entry tells whom, and what; a pure function of the entry
//!   (an event, with its move, or a journal fact), the request's parties and the endpoints.
//! - [`Notifier`]: the delivery worker's steps. [`Notifier::feed`] reads the log from the
//!   outbox's cursor and writes the notices of the entries it read in the transaction
//!   that moves the cursor past them ([`comity_core::Store::feed_notices`]): nothing is
//!   written twice, and a crash loses nothing, since a notice is written before it is
//!   tried and the log is read again from the cursor. [`Notifier::deliver`] takes the
//!   due notices under a lease, sends each (a webhook signed with RFC 9421, or an e-mail)
//!   and records the outcome with [`RetryPolicy`]: delivered, due again later, or dead
//!   (with a `notice.dead` fact), until an operator puts it back
//!   ([`Registers::retry_notice`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use comity_core::{
    ActorId, Channel, ClockKind, ClockOutcome, Endpoint, Event, Fact, FactKind, JournalEntry, JournalQuery,
    LogSubject, NewEntry, NewNotice, Notice, NoticeEvent, NoticeOutcome, NoticeQuery, NoticeStatus,
    NoticeWhat, PartyId, RequestId, State, StoreError, StoredRequest, journal,
};
use comity_notify::sign::{WebhookSigner, random_nonce};
use comity_notify::{Disposition, Mailbox, Mailer, Next, RetryPolicy, WebhookClient, WebhookEndpoint};
use comity_wire::notice::{NoticeBody, request_url};

use crate::{App, Error, Registers, Result};

/// A log entry as the outbox reads it: what it recorded.
#[derive(Debug, Clone, Copy)]
pub enum Logged<'a> {
    /// A request's event: its move.
    Event(&'a Event),
    /// A journal fact.
    Fact(&'a JournalEntry),
}

/// Which notices the audit-log entry `index` makes: for each party it concerns, one per
/// endpoint that party registered. `request` is the request the entry is about (its
/// parties, its state as it stands). A notice names no personal data: only the request,
/// what happened, the state, the time and (in the body sent) the link to the request.
///
/// - a request received reaches its provider;
/// - a reviewer body assigned reaches that body;
/// - a decision (approved, partially approved, rejected) reaches the authority and the
///   provider;
/// - a clarification requested reaches the authority;
/// - a deadline that passed as `overdue` reaches the provider, as `withdrawn` the
///   authority and the provider;
/// - a production sealed reaches the authority;
/// - an objection for conflicting obligations reaches the authority, its decision the
///   authority and the provider.
pub fn notices_for(
    index: u64,
    logged: Logged<'_>,
    request: &StoredRequest,
    endpoints: &BTreeMap<PartyId, Vec<Endpoint>>,
) -> Vec<NewNotice> {
    let what = |event, state, at, clock| NoticeWhat { event, request: request.id, state, at, clock };
    let (what, parties): (NoticeWhat, Vec<&PartyId>) = match logged {
        Logged::Event(e) => match (e.from, e.to) {
            (None, _) => (what(NoticeEvent::RequestReceived, e.to, e.at, None), vec![&request.provider]),
            (Some(_), State::Approved | State::PartiallyApproved | State::Rejected) => (
                what(NoticeEvent::RequestDecided, e.to, e.at, None),
                vec![&request.authority, &request.provider],
            ),
            (Some(_), State::ClarificationRequested) => {
                (what(NoticeEvent::ClarificationRequested, e.to, e.at, None), vec![&request.authority])
            }
            (Some(State::ClarificationRequested), State::UnderReview) => {
                (what(NoticeEvent::ClarificationAnswered, e.to, e.at, None), vec![&request.provider])
            }
            (Some(_), State::Appealed) => (
                what(NoticeEvent::RequestAppealed, e.to, e.at, None),
                vec![&request.authority, &request.provider],
            ),
            (Some(_), State::Withdrawn) => (
                what(NoticeEvent::RequestWithdrawn, e.to, e.at, None),
                vec![&request.authority, &request.provider],
            ),
            _ => return Vec::new(),
        },
        Logged::Fact(j) => match &j.fact {
            Fact::ReviewerAssigned(r) => {
                (what(NoticeEvent::RequestRouted, request.state, j.at, None), vec![&r.reviewer])
            }
            Fact::ClockExpired(c) => {
                let parties = match c.outcome {
                    // The authority owes the attestation of disposal; its provider is told too.
                    ClockOutcome::Overdue
                        if matches!(c.clock, ClockKind::DisposalAttestation | ClockKind::Recall) =>
                    {
                        vec![&request.authority, &request.provider]
                    }
                    ClockOutcome::Overdue => vec![&request.provider],
                    ClockOutcome::Withdrawn => vec![&request.authority, &request.provider],
                    _ => return Vec::new(),
                };
                (what(NoticeEvent::ClockExpired, request.state, j.at, Some((c.clock, c.outcome))), parties)
            }
            Fact::ProductionSealed(_) => {
                (what(NoticeEvent::ProductionSealed, request.state, j.at, None), vec![&request.authority])
            }
            // Art 17(1): the provider informs the issuing authority of its objection.
            Fact::ConflictObjected(_) => {
                (what(NoticeEvent::ConflictObjected, request.state, j.at, None), vec![&request.authority])
            }
            Fact::ConflictDecided(_) => (
                what(NoticeEvent::ConflictDecided, request.state, j.at, None),
                vec![&request.authority, &request.provider],
            ),
            // A recall: the authority must delete what it names and attest it; the provider
            // is told too (issue 15, item 4).
            Fact::RemedyOpened(_) => (
                what(NoticeEvent::RemedyOpened, request.state, j.at, None),
                vec![&request.authority, &request.provider],
            ),
            // A notice the provider delivers itself waits for it (comity's own mail does not).
            Fact::PersonNoticeSent(n) if n.channel == comity_core::PersonNoticeChannel::Provider => {
                (what(NoticeEvent::PersonNoticeWritten, request.state, j.at, None), vec![&request.provider])
            }
            _ => return Vec::new(),
        },
    };
    let mut notices = Vec::new();
    for party in parties {
        for to in endpoints.get(party).into_iter().flatten() {
            notices.push(NewNotice { log_index: index, to: to.clone(), what: what.clone() });
        }
    }
    notices
}

/// An endpoint to register or take away, as given: exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewEndpoint {
    pub webhook: Option<String>,
    pub email: Option<String>,
}

impl NewEndpoint {
    /// The endpoint, parsed: a webhook by [`WebhookEndpoint::parse`], an address as a
    /// mailbox (RFC 5322). Errors name the field.
    fn parse(&self, party: PartyId) -> Result<Endpoint> {
        let (channel, address) = match (&self.webhook, &self.email) {
            (Some(url), None) => {
                let url = WebhookEndpoint::parse(url.trim())
                    .map_err(|e| Error::invalid("invalid_endpoint", "webhook", e.to_string()))?;
                (Channel::Webhook, url.url().to_string())
            }
            (None, Some(address)) => {
                let mailbox: Mailbox = address.trim().parse().map_err(|e| {
                    Error::invalid(
                        "invalid_endpoint",
                        "email",
                        format!("is not an e-mail address ({e}): give one as name@example.org"),
                    )
                })?;
                (Channel::Email, mailbox.to_string())
            }
            _ => {
                return Err(Error::invalid(
                    "invalid_endpoint",
                    "webhook",
                    "give exactly one of webhook (a URL for the party's systems) and email (an address for its people)",
                ));
            }
        };
        Ok(Endpoint { party, channel, address })
    }
}

impl App {
    /// Every party's endpoints as they stand, folded from their history in the journal.
    pub(crate) async fn all_endpoints(&self) -> Result<BTreeMap<PartyId, Vec<Endpoint>>> {
        let history = self.store().journal(&JournalQuery::kinds(&FactKind::ENDPOINT)).await?;
        Ok(fold_endpoints(&history))
    }

    /// A party's endpoints as they stand.
    pub(crate) async fn endpoints_of(&self, party: &PartyId) -> Result<Vec<Endpoint>> {
        let history = self.store().journal(&JournalQuery::kinds(&FactKind::ENDPOINT).party(party)).await?;
        Ok(fold_endpoints(&history).remove(party).unwrap_or_default())
    }

    /// Any registered party, or not found.
    async fn any_party(&self, id: &str) -> Result<PartyId> {
        let id = PartyId::parse(id).map_err(|e| Error::invalid("invalid_party", "party", e.to_string()))?;
        match self.store().party(&id).await? {
            Some(_) => Ok(id),
            None => Err(Error::NotFound(format!("no party {id} is registered"))),
        }
    }
}

/// The endpoints an endpoint history leaves, by party, in the order first registered.
fn fold_endpoints(history: &[JournalEntry]) -> BTreeMap<PartyId, Vec<Endpoint>> {
    let mut by_party: BTreeMap<PartyId, Vec<Endpoint>> = BTreeMap::new();
    for j in history {
        match &j.fact {
            Fact::EndpointAdded(e) => {
                let list = by_party.entry(e.party.clone()).or_default();
                if !list.contains(e) {
                    list.push(e.clone());
                }
            }
            Fact::EndpointRemoved(e) => {
                if let Some(list) = by_party.get_mut(&e.party) {
                    list.retain(|x| x != e);
                }
            }
            _ => {}
        }
    }
    by_party.retain(|_, list| !list.is_empty());
    by_party
}

impl Registers {
    /// Registers where a party's notices go; its `endpoint.added` fact is logged.
    pub async fn add_endpoint(&self, party: &str, new: &NewEndpoint) -> Result<Endpoint> {
        let party = self.app().any_party(party).await?;
        let endpoint = new.parse(party.clone())?;
        if self.app().endpoints_of(&party).await?.contains(&endpoint) {
            return Err(Error::conflict(format!(
                "{party} already has the {} endpoint {}",
                endpoint.channel, endpoint.address
            )));
        }
        self.append(Fact::EndpointAdded(endpoint.clone())).await?;
        Ok(endpoint)
    }

    /// Takes an endpoint away; its `endpoint.removed` fact is logged. Notices already
    /// written for it are still delivered.
    pub async fn remove_endpoint(&self, party: &str, old: &NewEndpoint) -> Result<Endpoint> {
        let party = self.app().any_party(party).await?;
        let endpoint = old.parse(party.clone())?;
        if !self.app().endpoints_of(&party).await?.contains(&endpoint) {
            return Err(Error::NotFound(format!(
                "{party} has no {} endpoint {}",
                endpoint.channel, endpoint.address
            )));
        }
        self.append(Fact::EndpointRemoved(endpoint.clone())).await?;
        Ok(endpoint)
    }

    /// A party's endpoints.
    pub async fn endpoints(&self, party: &str) -> Result<Vec<Endpoint>> {
        let party = self.app().any_party(party).await?;
        self.app().endpoints_of(&party).await
    }

    /// The outbox's notices, newest first: the dead letters with `Some(Dead)`.
    pub async fn notices(&self, status: Option<NoticeStatus>, limit: u32) -> Result<Vec<Notice>> {
        Ok(self.app().store().notices(&NoticeQuery { status, limit }).await?)
    }

    /// Puts a dead notice back, to be tried again from now; its `notice.retried` fact is
    /// logged with the change.
    pub async fn retry_notice(&self, id: u64) -> Result<Notice> {
        let store = self.app().store();
        let Some(notice) = store.notice(id).await? else {
            return Err(Error::NotFound(format!("no notice {id}")));
        };
        if notice.status != NoticeStatus::Dead {
            return Err(Error::conflict(format!(
                "notice {id} is {}, not dead: only a dead notice is put back",
                notice.status
            )));
        }
        let now = Utc::now().trunc_subsecs(6);
        let fact = Fact::NoticeRetried(journal::NoticeRetried { notice: id, party: notice.to.party.clone() });
        store.retry_notice(id, now, &self.entry_at(now, fact)).await.map_err(|e| match e {
            StoreError::NotFound => Error::conflict(format!("notice {id} was put back already")),
            other => other.into(),
        })?;
        store.notice(id).await?.ok_or_else(|| Error::corrupt(format!("notice {id} was not kept")))
    }
}

/// How the delivery worker runs.
#[derive(Debug, Clone)]
pub struct NoticeSettings {
    /// When to try again, and when to give up.
    pub retry: RetryPolicy,
    /// How many log entries one feeding reads, and how many notices one delivery takes.
    pub batch: u32,
    /// The server's public URL, for the link to the request (`https://comity.example.org`).
    pub public_url: String,
    /// How long a worker holds the notices it took; longer than any one delivery takes.
    pub lease: Duration,
    /// How long an e-mail notice waits when no SMTP server is configured.
    pub no_mailer_delay: Duration,
}

impl NoticeSettings {
    /// The defaults, linking to `public_url`.
    pub fn new(public_url: &str) -> Self {
        NoticeSettings {
            retry: RetryPolicy::default(),
            batch: 100,
            public_url: public_url.trim_end_matches('/').to_owned(),
            lease: Duration::from_secs(5 * 60),
            no_mailer_delay: Duration::from_secs(5 * 60),
        }
    }
}

/// What one step of the worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Notices written from the log.
    pub fed: u64,
    pub delivered: u32,
    pub retried: u32,
    pub dead: u32,
}

/// The delivery worker: feeds the outbox from the log and delivers what is due. Every
/// server runs one; they share the outbox through the store.
#[derive(Debug, Clone)]
pub struct Notifier {
    inner: Arc<NotifierInner>,
}

#[derive(Debug)]
struct NotifierInner {
    app: App,
    webhooks: WebhookClient,
    mailer: Option<Arc<Mailer>>,
    settings: NoticeSettings,
}

/// The id receivers know comity's webhook key by: its RFC 7638 thumbprint.
pub fn webhook_key_id(secret: &[u8; 32]) -> String {
    let public = ed25519_dalek::SigningKey::from_bytes(secret).verifying_key().to_bytes();
    comity_auth::jws::PublicKey::from_bytes(&public).map(|k| k.thumbprint()).unwrap_or_default()
}

impl Notifier {
    /// A worker that signs webhooks with `webhook_key` (see [`crate::DataDir::webhook_key`])
    /// and sends e-mail through `mailer`, if there is one.
    pub fn new(
        app: App,
        webhook_key: &[u8; 32],
        mailer: Option<Arc<Mailer>>,
        settings: NoticeSettings,
    ) -> Result<Self> {
        let key = ed25519_dalek::SigningKey::from_bytes(webhook_key);
        let signer = WebhookSigner::new(key, &webhook_key_id(webhook_key)).map_err(Error::internal)?;
        let webhooks = WebhookClient::new(signer, WebhookClient::DEFAULT_TIMEOUT).map_err(Error::internal)?;
        Ok(Notifier { inner: Arc::new(NotifierInner { app, webhooks, mailer, settings }) })
    }

    /// The id webhooks' signatures name.
    pub fn key_id(&self) -> &str {
        self.inner.webhooks.signer().key_id()
    }

    /// The public key receivers verify webhooks with.
    pub fn public_key(&self) -> [u8; 32] {
        self.inner.webhooks.signer().verifying_key().to_bytes()
    }

    /// Whether e-mail can be sent.
    pub fn has_mailer(&self) -> bool {
        self.inner.mailer.is_some()
    }

    /// One step: the outbox fed from the log until it has caught up, then the notices due
    /// at `now` delivered (one batch).
    pub async fn step(&self, now: DateTime<Utc>) -> Result<Delivery> {
        // The registers as they stand, as a request's own checks read them: an endpoint
        // revoked through another server a moment ago gets nothing more. Without this the
        // kept answers are trusted for up to a second (`comity_store::registers`).
        self.inner.app.store().sync_registers().await?;
        let mut fed = 0;
        loop {
            let (read, written) = self.feed().await?;
            fed += written;
            if read < u64::from(self.inner.settings.batch) {
                break;
            }
        }
        let delivery = self.deliver(now).await?;
        Ok(Delivery { fed, ..delivery })
    }

    /// Reads up to a batch of log entries from the outbox's cursor and writes their
    /// notices, moving the cursor past them, in one transaction. Returns how many entries
    /// were read and how many notices written; another server that fed the same entries
    /// first leaves this one nothing to write.
    pub async fn feed(&self) -> Result<(u64, u64)> {
        let app = &self.inner.app;
        let store = app.store();
        let from = store.notice_cursor().await?;
        let records = store.log_records(from, self.inner.settings.batch).await?;
        if records.is_empty() {
            return Ok((0, 0));
        }
        let read = u64::try_from(records.len()).unwrap_or(u64::MAX);
        let endpoints = app.all_endpoints().await?;
        let mut notices = Vec::new();
        if !endpoints.is_empty() {
            let mut requests: HashMap<RequestId, Option<StoredRequest>> = HashMap::new();
            let mut events: HashMap<RequestId, Vec<Event>> = HashMap::new();
            for record in &records {
                match &record.subject {
                    LogSubject::Event { request_id, seq } => {
                        if !events.contains_key(request_id) {
                            let read = store.events(*request_id).await?;
                            events.insert(*request_id, read);
                        }
                        let Some(event) =
                            events.get(request_id).and_then(|all| all.iter().find(|e| e.seq == *seq))
                        else {
                            continue;
                        };
                        let Some(request) = self.request(&mut requests, *request_id).await? else { continue };
                        notices.extend(notices_for(record.index, Logged::Event(event), &request, &endpoints));
                    }
                    LogSubject::Journal { seq } => {
                        let Some(entry) = store.journal_entry(*seq).await? else { continue };
                        let Some(id) = self.request_of(&entry).await? else { continue };
                        let Some(request) = self.request(&mut requests, id).await? else { continue };
                        notices.extend(notices_for(record.index, Logged::Fact(&entry), &request, &endpoints));
                    }
                    _ => {}
                }
            }
        }
        match store.feed_notices(from, from + read, &notices).await {
            Ok(written) => Ok((read, written)),
            // Another server fed these entries first: nothing is lost, nothing is doubled.
            Err(StoreError::Conflict(_)) => Ok((read, 0)),
            Err(e) => Err(e.into()),
        }
    }

    async fn request(
        &self,
        cache: &mut HashMap<RequestId, Option<StoredRequest>>,
        id: RequestId,
    ) -> Result<Option<StoredRequest>> {
        if let Some(known) = cache.get(&id) {
            return Ok(known.clone());
        }
        let request = self.inner.app.store().request(id).await?;
        cache.insert(id, request.clone());
        Ok(request)
    }

    /// The request a fact that may notify is about.
    async fn request_of(&self, entry: &JournalEntry) -> Result<Option<RequestId>> {
        Ok(match &entry.fact {
            Fact::ReviewerAssigned(_)
            | Fact::ClockExpired(_)
            | Fact::PersonNoticeSent(_)
            | Fact::ConflictObjected(_)
            | Fact::ConflictDecided(_)
            | Fact::RemedyOpened(_) => entry.request_id,
            // A sealed production names its request through the production's start.
            Fact::ProductionSealed(p) => {
                let query = JournalQuery::kinds(&[FactKind::ProductionStarted]).subject(&p.production);
                self.inner.app.store().journal(&query).await?.first().and_then(|j| j.request_id)
            }
            _ => None,
        })
    }

    /// Takes the notices due at `now` (one batch), delivers each, and records how it went.
    pub async fn deliver(&self, now: DateTime<Utc>) -> Result<Delivery> {
        let settings = &self.inner.settings;
        let store = self.inner.app.store();
        let lease_until = now + settings.lease;
        let taken = store.take_notices(now, lease_until, settings.batch).await?;
        let mut done = Delivery::default();
        for notice in taken {
            let outcome = self.attempt(&notice, now).await;
            match &outcome {
                NoticeOutcome::Delivered { .. } => done.delivered += 1,
                NoticeOutcome::Retry { .. } => done.retried += 1,
                NoticeOutcome::Dead { error, .. } => {
                    done.dead += 1;
                    tracing::warn!(notice = notice.id, party = %notice.to.party, error = %error, "a notice is dead: `comity notices list --dead`");
                }
            }
            match store.record_notice(notice.id, &outcome).await {
                Ok(_) => {}
                // Its lease ran out and another worker recorded it: nothing to add.
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(done)
    }

    /// One attempt, and what follows from it.
    async fn attempt(&self, notice: &Notice, now: DateTime<Utc>) -> NoticeOutcome {
        let inner = &self.inner;
        let failed = |error: String, disposition: Disposition| match inner
            .settings
            .retry
            .next(notice.attempts + 1, disposition)
        {
            Next::RetryIn(delay) => NoticeOutcome::Retry { next: now + delay, error, attempted: true },
            Next::DeadLetter => NoticeOutcome::Dead { entry: Box::new(dead(notice, &error, now)), error },
        };
        match notice.to.channel {
            Channel::Webhook => {
                let endpoint = match WebhookEndpoint::parse(&notice.to.address) {
                    Ok(e) => e,
                    Err(e) => return failed(e.to_string(), Disposition::Permanent),
                };
                let body = NoticeBody::new(notice, &inner.settings.public_url);
                // The signature's `created` is the wall clock's, whatever `now` the step
                // was given: receivers hold it to their own.
                let created = u64::try_from(Utc::now().timestamp()).unwrap_or_default();
                match inner.webhooks.deliver(&endpoint, &body, created, &random_nonce()).await {
                    Ok(_) => NoticeOutcome::Delivered { at: now },
                    Err(e) => failed(e.to_string(), e.disposition()),
                }
            }
            Channel::Email => {
                let Some(mailer) = &inner.mailer else {
                    return NoticeOutcome::Retry {
                        next: now + inner.settings.no_mailer_delay,
                        error:
                            "no SMTP server is configured: start comity serve with --smtp URL to send e-mail"
                                .to_owned(),
                        attempted: false,
                    };
                };
                let to: Mailbox = match notice.to.address.parse() {
                    Ok(to) => to,
                    Err(e) => {
                        return failed(format!("the address does not parse: {e}"), Disposition::Permanent);
                    }
                };
                let (subject, text) = email(notice, &inner.settings.public_url);
                match mailer.send(&to, &subject, &text).await {
                    Ok(_) => NoticeOutcome::Delivered { at: now },
                    Err(e) => failed(e.to_string(), e.disposition()),
                }
            }
        }
    }
}

/// A dead letter's fact.
fn dead(notice: &Notice, error: &str, at: DateTime<Utc>) -> NewEntry {
    let fact = Fact::NoticeDead(journal::NoticeDead {
        notice: notice.id,
        party: notice.to.party.clone(),
        channel: notice.to.channel,
        log_index: notice.log_index,
        error: error.to_owned(),
    });
    NewEntry::new(at.trunc_subsecs(6), ActorId::system(), fact)
}

/// A notice as an e-mail: its subject and plain text. It names the request and what
/// happened, and links to the request, which opens only for those who may see it.
pub fn email(notice: &Notice, public_url: &str) -> (String, String) {
    let w = &notice.what;
    let request = w.request.to_string();
    let happened = match w.event {
        NoticeEvent::RequestReceived => "A request for data has arrived for you.".to_owned(),
        NoticeEvent::RequestRouted => "A request was assigned to you for review.".to_owned(),
        NoticeEvent::RequestDecided => format!("A decision was made on the request: {}.", w.state),
        NoticeEvent::ClarificationRequested => "The request needs your clarification.".to_owned(),
        NoticeEvent::ClockExpired => match w.clock {
            Some((clock, outcome)) => format!("The {clock} deadline of the request passed: {outcome}."),
            None => "A deadline of the request passed.".to_owned(),
        },
        NoticeEvent::ProductionSealed => "A production was sealed for you.".to_owned(),
        NoticeEvent::ClarificationAnswered => {
            "The authority answered the request for clarification.".to_owned()
        }
        NoticeEvent::RequestAppealed => {
            "A decision on the request was appealed; nothing is produced until a second body decides."
                .to_owned()
        }
        NoticeEvent::RequestWithdrawn => "The request was withdrawn.".to_owned(),
        NoticeEvent::ConflictObjected => "The provider objected that executing the order would conflict with \
                                          the law of a third country; execution is suspended until it is decided."
            .to_owned(),
        NoticeEvent::ConflictDecided => "The objection for conflicting obligations was decided.".to_owned(),
        NoticeEvent::PersonNoticeWritten => "A notice to a person concerned by the request is written and waits \
                                             for you to deliver it through your own channel, and to confirm it."
            .to_owned(),
        NoticeEvent::RemedyOpened => "A remedy case was opened on data the request delivered: what it names \
                                      is recalled. The receiving authority deletes it and attests the deletion \
                                      (`comity disposal sign`) by the date the case gives."
            .to_owned(),
    };
    let subject = format!("comity: {} ({request})", w.event);
    let text = format!(
        "{happened}\n\nRequest: {request}\nState: {}\nAt: {}\n\nOpen it (after signing in):\n{}\n\n\
         Notice {} of audit-log entry {}. This message names no one; the request tells who may see what.\n",
        w.state,
        w.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        request_url(public_url, &request),
        notice.id,
        notice.log_index,
    );
    (subject, text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use comity_core::{ClockKind, Instrument, RequestKind, journal};

    use super::*;

    fn party(id: &str) -> PartyId {
        PartyId::parse(id).unwrap()
    }

    fn request() -> StoredRequest {
        let at = DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z").unwrap().with_timezone(&Utc);
        StoredRequest {
            id: RequestId::parse("0193a8b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b").unwrap(),
            state: State::UnderReview,
            version: 3,
            received_at: at,
            updated_at: at,
            authority: party("fr-tj-paris"),
            validator: None,
            provider: party("example-mail"),
            instrument: Instrument::EuEEvidence,
            kind: RequestKind::Production,
            emergency: false,
            reference: "ref".into(),
            document: "{}".into(),
            signature: None,
            log_salt: [0; 32],
        }
    }

    fn endpoints() -> BTreeMap<PartyId, Vec<Endpoint>> {
        ["fr-tj-paris", "example-mail", "ie-high-court"]
            .into_iter()
            .map(|p| {
                let e = Endpoint {
                    party: party(p),
                    channel: Channel::Webhook,
                    address: format!("https://{p}.test/"),
                };
                (party(p), vec![e])
            })
            .collect()
    }

    fn event(from: Option<State>, to: State) -> Event {
        let r = request();
        Event {
            request_id: r.id,
            seq: 2,
            from,
            to,
            actor: ActorId::system(),
            at: r.received_at,
            reason: String::new(),
            log_index: None,
        }
    }

    fn fact(fact: Fact) -> JournalEntry {
        let r = request();
        JournalEntry {
            seq: 1,
            at: r.received_at,
            actor: ActorId::system(),
            party: None,
            subject: String::new(),
            request_id: Some(r.id),
            content: String::new(),
            fact,
            log_index: Some(9),
        }
    }

    /// Who hears of what: the table of `notices_for`'s docs.
    #[test]
    fn each_entry_reaches_the_parties_who_must_act_on_it() {
        let r = request();
        let clock = |outcome| {
            fact(Fact::ClockExpired(journal::ClockExpired {
                request: r.id,
                clock: ClockKind::RespondBy,
                due: r.received_at,
                outcome,
                state: State::UnderReview,
                reason: String::new(),
            }))
        };
        let assigned = fact(Fact::ReviewerAssigned(journal::ReviewerAssigned {
            request: r.id,
            reviewer: party("ie-high-court"),
            reason: String::new(),
        }));
        let sealed = fact(Fact::ProductionSealed(journal::ProductionSealed {
            production: "p1".into(),
            recipient: "age1".into(),
            kid: "k".into(),
            manifest_sha256: String::new(),
            package_sha256: String::new(),
            package_bytes: 1,
            redaction: "{}".into(),
        }));
        let (received, approved, rejected, clarify, moved) = (
            event(None, State::Received),
            event(Some(State::UnderReview), State::Approved),
            event(Some(State::Screening), State::Rejected),
            event(Some(State::UnderReview), State::ClarificationRequested),
            event(Some(State::Received), State::Screening),
        );
        let (overdue, withdrawn, met) =
            (clock(ClockOutcome::Overdue), clock(ClockOutcome::Withdrawn), clock(ClockOutcome::Met));
        let (answered, appealed, withdrawal) = (
            event(Some(State::ClarificationRequested), State::UnderReview),
            event(Some(State::Approved), State::Appealed),
            event(Some(State::Approved), State::Withdrawn),
        );
        let objected = fact(Fact::ConflictObjected(journal::ConflictObjected {
            request: r.id,
            third_country: comity_core::CountryCode::parse("US").unwrap(),
            law: "18 U.S.C. § 2702(a)".into(),
            reasoning: String::new(),
            court: None,
        }));
        let decided = fact(Fact::ConflictDecided(journal::ConflictDecided {
            request: r.id,
            by: party("fr-tribunal-paris"),
            upheld: false,
            reasoning: String::new(),
        }));
        // A missing attestation of disposal (issue 15) is the authority's to answer.
        let unattested = fact(Fact::ClockExpired(journal::ClockExpired {
            request: r.id,
            clock: ClockKind::DisposalAttestation,
            due: r.received_at,
            outcome: ClockOutcome::Overdue,
            state: State::Delivered,
            reason: String::new(),
        }));
        let written = |channel| {
            fact(Fact::PersonNoticeSent(journal::PersonNoticeSent {
                request: r.id,
                target: 0,
                language: "fr".into(),
                channel,
                salt: "00".into(),
                commitment: "ab".into(),
                message_id: None,
                log_entries: vec![1],
            }))
        };
        let (to_deliver, mailed) = (
            written(comity_core::PersonNoticeChannel::Provider),
            written(comity_core::PersonNoticeChannel::Email),
        );
        let table: [(Logged<'_>, Option<NoticeEvent>, &[&str]); 18] = [
            (Logged::Fact(&unattested), Some(NoticeEvent::ClockExpired), &["fr-tj-paris", "example-mail"]),
            (Logged::Fact(&to_deliver), Some(NoticeEvent::PersonNoticeWritten), &["example-mail"]),
            (Logged::Fact(&mailed), None, &[]),
            (Logged::Fact(&objected), Some(NoticeEvent::ConflictObjected), &["fr-tj-paris"]),
            (Logged::Fact(&decided), Some(NoticeEvent::ConflictDecided), &["fr-tj-paris", "example-mail"]),
            (Logged::Event(&answered), Some(NoticeEvent::ClarificationAnswered), &["example-mail"]),
            (Logged::Event(&appealed), Some(NoticeEvent::RequestAppealed), &["fr-tj-paris", "example-mail"]),
            (
                Logged::Event(&withdrawal),
                Some(NoticeEvent::RequestWithdrawn),
                &["fr-tj-paris", "example-mail"],
            ),
            (Logged::Event(&received), Some(NoticeEvent::RequestReceived), &["example-mail"]),
            (Logged::Fact(&assigned), Some(NoticeEvent::RequestRouted), &["ie-high-court"]),
            (Logged::Event(&approved), Some(NoticeEvent::RequestDecided), &["fr-tj-paris", "example-mail"]),
            (Logged::Event(&rejected), Some(NoticeEvent::RequestDecided), &["fr-tj-paris", "example-mail"]),
            (Logged::Event(&clarify), Some(NoticeEvent::ClarificationRequested), &["fr-tj-paris"]),
            (Logged::Fact(&overdue), Some(NoticeEvent::ClockExpired), &["example-mail"]),
            (Logged::Fact(&withdrawn), Some(NoticeEvent::ClockExpired), &["fr-tj-paris", "example-mail"]),
            (Logged::Fact(&sealed), Some(NoticeEvent::ProductionSealed), &["fr-tj-paris"]),
            (Logged::Fact(&met), None, &[]),
            (Logged::Event(&moved), None, &[]),
        ];
        for (logged, event, parties) in table {
            let notices = notices_for(7, logged, &r, &endpoints());
            let got: Vec<&str> = notices.iter().map(|n| n.to.party.as_str()).collect();
            assert_eq!(got, parties, "{logged:?}");
            for n in &notices {
                assert_eq!((Some(n.what.event), n.log_index, n.what.request), (event, 7, r.id));
            }
        }
        // A party with no endpoint is told nothing, and no error.
        assert!(notices_for(7, Logged::Event(&received), &r, &BTreeMap::new()).is_empty());
    }

    #[test]
    fn an_endpoint_is_parsed_and_its_errors_name_the_field() {
        let p = party("example-mail");
        let webhook = NewEndpoint { webhook: Some("https://legal.example.com/n".into()), email: None };
        assert_eq!(webhook.parse(p.clone()).unwrap().channel, Channel::Webhook);
        let email = NewEndpoint { email: Some("Legal <legal@example.com>".into()), webhook: None };
        assert_eq!(email.parse(p.clone()).unwrap().address, "Legal <legal@example.com>");
        for (new, field) in [
            (NewEndpoint { webhook: Some("http://legal.example.com/n".into()), email: None }, "webhook"),
            (NewEndpoint { email: Some("not an address".into()), webhook: None }, "email"),
            (NewEndpoint::default(), "webhook"),
        ] {
            let e = new.parse(p.clone()).unwrap_err();
            assert!(matches!(&e, Error::Invalid { problems, .. } if problems[0].path == field), "{e:?}");
        }
    }
}
