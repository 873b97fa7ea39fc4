//! The notice to the person concerned (issue 15, item 1; Regulation (EU) 2023/1543 Art 13,
//! "user information"; the seed's "notices to affected individuals whenever feasible").
//!
//! Every target of a request that produced data has a notice, folded from the journal's
//! `person_notice.*` facts:
//!
//! - the provider's legal team, which knows the person behind a target, says how the
//!   notice reaches them (`person_notice.recipient`: their language, and either its own
//!   channel or an address comity e-mails), once the data has been delivered;
//! - an assigned reviewer body may decide, with reasons, that it goes out later (`delayed`,
//!   to a last day) or not for now (`barred`, reviewed again by a date), where the pack
//!   allows a bar; the national-security pack delays, never bars (`ns.notice_delayed_at_most`).
//!   Without a decision the notice is `immediate`;
//! - when it is due (the delivery, the end of the authority's nondisclosure and the end of a
//!   delay, whichever is last), the sweeper of deadlines writes it from the Fluent templates
//!   of the person's language (`locales/<lang>/notice.ftl`) and e-mails it or hands it to the
//!   provider (`person_notice.sent`), which confirms its delivery (`person_notice.delivered`).
//!
//! The text is never stored, nor in the log: the sent fact keeps a commitment, hex SHA-256
//! over a label, a random salt and the text, which the person gets with the salt, so they
//! can later show which text they got. The text is written again word for word from the
//! facts when the provider fetches it to deliver.
//!
//! The sweeper finds due notices through the request's `nondisclosure_end` clock, reused as
//! the clock of the person's notice: an act on a notice sets it to the soonest notice due,
//! never before the nondisclosure ends, and its passing sends what is due and sets it again
//! for what is left (`clocks::expire`).

use std::{borrow::Cow, sync::LazyLock};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, SecondsFormat, SubsecRound, Utc};
use comity_access::Action;
use comity_core::{
    Act, ClockKind, ClockSet, Fact, FactKind, JournalEntry, JournalQuery, NewEntry, PersonNoticeChannel,
    PersonNoticeStatus, ReadOf, Request, RequestId, State, StoredRequest, journal,
};
use comity_wire::parse_request;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
use sha2::{Digest, Sha256};

use crate::{App, Caller, Error, Result};

/// The languages comity writes notices in.
pub const LANGUAGES: [&str; 2] = ["en", "fr"];

/// How long an e-mail that could not be sent waits before the next try.
const RETRY: chrono::Duration = chrono::Duration::hours(1);

/// The longest reasoning, reference or address, in characters.
const MAX_TEXT: usize = 10_000;

/// The notice to one target, as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonNotice {
    /// The target's place in the request's `targets`, from 0.
    pub target: u32,
    /// The target's identifier, as the request names it.
    pub selector: String,
    pub status: PersonNoticeStatus,
    /// The reviewer's decision, if any, and when it was taken.
    pub decision: Option<(journal::PersonNoticeDecided, DateTime<Utc>)>,
    /// How it reaches the person, once the provider said.
    pub recipient: Option<journal::PersonNoticeRecipient>,
    /// When it goes out; `None` once sent, while barred, or while it waits (`waiting`).
    pub due: Option<DateTime<Utc>>,
    /// What it waits for before it can be due: `delivery`, `recipient` or `bar`.
    pub waiting: Option<&'static str>,
    /// Written and sent (or handed to the provider), with the fact's log entry.
    pub sent: Option<(journal::PersonNoticeSent, DateTime<Utc>, Option<u64>)>,
    /// Delivered: when, and the provider's reference (comity's message id for an e-mail).
    pub delivered: Option<(DateTime<Utc>, String)>,
}

/// A notice's text, written again for the provider to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeText {
    pub language: String,
    pub subject: String,
    /// The text the commitment covers.
    pub text: String,
    pub salt: String,
    pub commitment: String,
    /// How the person checks it: the salt and the commitment, in their language.
    pub check: String,
}

/// The column a target's notice address is sealed as, bound to the target.
fn address_column(target: u32) -> String {
    format!("person-notice-address:{target}")
}

/// When the authority's nondisclosure ends: the day after its last day, at midnight UTC.
pub fn nondisclosure_end(request: &Request) -> Option<DateTime<Utc>> {
    request.nondisclosure.as_ref().filter(|n| n.requested).and_then(|n| n.until).and_then(day_after)
}

/// Midnight UTC after `day`: a delay "until" a day runs to the end of it, as a
/// nondisclosure does.
fn day_after(day: NaiveDate) -> Option<DateTime<Utc>> {
    day.checked_add_days(Days::new(1)).map(|d| d.and_time(NaiveTime::MIN).and_utc())
}

/// The commitment to a notice's text: hex SHA-256 over a label, the salt and the text.
pub fn commitment(salt: &str, text: &str) -> String {
    commitment_under("comity-person-notice/v1", salt, text)
}

/// The commitment to a text under `label`: hex SHA-256 over the label and a line break, the
/// salt and a line break, then the text.
pub(crate) fn commitment_under(label: &str, salt: &str, text: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(label.as_bytes());
    hash.update(b"\n");
    hash.update(salt.as_bytes());
    hash.update(b"\n");
    hash.update(text.as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The notices of a request's targets, folded from its `person_notice.*` facts (oldest
/// first). Pure: `delivered` is when the data was delivered, if it was.
pub fn fold(
    request: &Request,
    facts: &[JournalEntry],
    delivered: Option<DateTime<Utc>>,
) -> Vec<PersonNotice> {
    let nondisclosure = nondisclosure_end(request);
    let mut notices: Vec<PersonNotice> = request
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| PersonNotice {
            target: u32::try_from(i).unwrap_or(u32::MAX),
            selector: t.selector.value().to_owned(),
            status: PersonNoticeStatus::Immediate,
            decision: None,
            recipient: None,
            due: None,
            waiting: None,
            sent: None,
            delivered: None,
        })
        .collect();
    let at = |target: u32| usize::try_from(target).ok();
    for e in facts {
        match &e.fact {
            Fact::PersonNoticeRecipient(r) => {
                if let Some(n) = at(r.target).and_then(|i| notices.get_mut(i)) {
                    n.recipient = Some(r.clone());
                }
            }
            Fact::PersonNoticeDecided(d) => {
                if let Some(n) = at(d.target).and_then(|i| notices.get_mut(i)) {
                    n.status = d.status;
                    n.decision = Some((d.clone(), e.at));
                }
            }
            Fact::PersonNoticeSent(s) => {
                if let Some(n) = at(s.target).and_then(|i| notices.get_mut(i)) {
                    if s.channel == PersonNoticeChannel::Email {
                        n.delivered = Some((e.at, s.message_id.clone().unwrap_or_default()));
                    }
                    n.sent = Some((s.clone(), e.at, e.log_index));
                }
            }
            Fact::PersonNoticeDelivered(d) => {
                if let Some(n) = at(d.target).and_then(|i| notices.get_mut(i)) {
                    n.delivered = Some((e.at, d.reference.clone()));
                }
            }
            _ => {}
        }
    }
    for n in &mut notices {
        if n.sent.is_some() {
            continue;
        }
        let waiting = if n.status == PersonNoticeStatus::Barred {
            Some("bar")
        } else if delivered.is_none() {
            Some("delivery")
        } else if n.recipient.is_none() {
            Some("recipient")
        } else {
            None
        };
        n.waiting = waiting;
        if waiting.is_none() {
            let delay = match &n.decision {
                Some((d, _)) if d.status == PersonNoticeStatus::Delayed => d.until.and_then(day_after),
                _ => None,
            };
            n.due = [delivered, nondisclosure, delay].into_iter().flatten().max();
        }
    }
    notices
}

/// What the reviewer decides on a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeDecision {
    pub status: PersonNoticeStatus,
    pub reasoning: String,
    /// A delay's last day, or the date by which a bar is reviewed again.
    pub until: Option<NaiveDate>,
}

/// How the notice reaches the person, as the provider gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRecipient {
    pub language: String,
    pub channel: PersonNoticeChannel,
    pub address: Option<String>,
}

impl NoticeRecipient {
    /// The language, lower-cased, and the e-mail address, trimmed, as given to say how a
    /// notice reaches a person (to a target, or to a person a remedy concerns): a language
    /// comity writes, and an address exactly when comity e-mails it.
    pub(crate) fn checked(&self) -> Result<(String, Option<String>)> {
        let code = "invalid_notice_recipient";
        let language = self.language.trim().to_ascii_lowercase();
        if !LANGUAGES.contains(&language.as_str()) {
            return Err(Error::invalid(
                code,
                "language",
                format!("comity writes notices in {}; give one of them", LANGUAGES.join(", ")),
            ));
        }
        let address = self.address.as_deref().map(str::trim).filter(|a| !a.is_empty());
        let address = match (self.channel, address) {
            (PersonNoticeChannel::Email, None) => {
                return Err(Error::invalid(
                    code,
                    "address",
                    "give the e-mail address comity sends the notice to, or choose the channel `provider` to \
                     deliver it yourself",
                ));
            }
            (PersonNoticeChannel::Email, Some(a)) => {
                if a.chars().count() > 320 || a.parse::<comity_notify::Mailbox>().is_err() {
                    return Err(Error::invalid(
                        code,
                        "address",
                        "is not an e-mail address (such as alice@example.org)",
                    ));
                }
                Some(a.to_owned())
            }
            (PersonNoticeChannel::Provider, Some(_)) => {
                return Err(Error::invalid(
                    code,
                    "address",
                    "a notice the provider delivers through its own channel has no address in comity; leave it \
                     out, or choose the channel `email`",
                ));
            }
            (PersonNoticeChannel::Provider, None) => None,
        };
        Ok((language, address))
    }
}

fn text(code: &'static str, field: &'static str, value: &str, what: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(code, field, format!("give {what}")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(Error::invalid(code, field, format!("is longer than {MAX_TEXT} characters")));
    }
    Ok(value.to_owned())
}

impl App {
    /// The request, its document, its notices and its `person_notice.*` facts.
    async fn notices_of(&self, stored: &StoredRequest) -> Result<(Request, Vec<PersonNotice>)> {
        // The notices name the targets, from the document: gone with it.
        self.check_not_shredded(stored).await?;
        let (_, request) = parse_request(stored.document.as_bytes()).map_err(|e| {
            Error::corrupt(format!("request {}: its document no longer parses: {e}", stored.id))
        })?;
        let mut facts =
            self.store().journal(&JournalQuery::kinds(&FactKind::PERSON_NOTICE).request(stored.id)).await?;
        self.open_addresses(stored.id, &mut facts).await?;
        let delivered = self.delivered_at(stored.id).await?;
        let notices = fold(&request, &facts, delivered);
        Ok((request, notices))
    }

    /// The persons' addresses in `facts`, opened: each is sealed under the request's data
    /// key (never in the clear in the journal, nor in a stolen copy of it), and reads as
    /// none once the documents are shredded.
    async fn open_addresses(&self, id: RequestId, facts: &mut [JournalEntry]) -> Result<()> {
        for f in facts {
            if let Fact::PersonNoticeRecipient(r) = &mut f.fact
                && let Some(address) = r.address.take()
            {
                r.address = self.store().open_text(id, &address_column(r.target), &address).await?;
            }
        }
        Ok(())
    }

    /// When the request's data was delivered (its move to `delivered`), if it was.
    pub(crate) async fn delivered_at(&self, id: RequestId) -> Result<Option<DateTime<Utc>>> {
        Ok(self.store().events(id).await?.iter().find(|e| e.to == State::Delivered).map(|e| e.at))
    }

    /// The notices of a request's targets, for those who may see it (the person's address
    /// for the provider only). They name the targets: the read is logged as a read of the
    /// document.
    pub async fn person_notices(&self, caller: &Caller, id: RequestId) -> Result<Vec<PersonNotice>> {
        let (notices, _, _) = self.person_notices_on_page(caller, id).await?;
        self.log_read(caller, id, ReadOf::Document).await?;
        Ok(notices)
    }

    /// The notices, for the request's page in the portal, whose own read of the document
    /// (logged) shows them; and whether the caller may say how they reach the person
    /// (`record_notice`) or delay and bar them (`decide_notice`).
    pub async fn person_notices_on_page(
        &self,
        caller: &Caller,
        id: RequestId,
    ) -> Result<(Vec<PersonNotice>, bool, bool)> {
        let (stored, facts) = self.visible(caller, id).await?;
        let (_, mut notices) = self.notices_of(&stored).await?;
        let on = comity_access::On::Request(&facts);
        let record = self.allowed(caller, &Action::RecordNotice, &on);
        let decide = self.allowed(caller, &Action::DecideNotice, &on);
        // The person's address is the provider's to know (it reaches its own customer);
        // the authority and the reviewers see how the person is told, not where.
        if !record {
            for n in &mut notices {
                if let Some(r) = n.recipient.as_mut() {
                    r.address = None;
                }
            }
        }
        Ok((notices, record, decide))
    }

    /// The provider says how the notice to a target reaches the person: in which language,
    /// through its own channel or by e-mail to an address. Once the data has been
    /// delivered, and until the notice is sent.
    pub async fn set_notice_recipient(
        &self,
        caller: &Caller,
        id: RequestId,
        target: u32,
        recipient: &NoticeRecipient,
    ) -> Result<(PersonNotice, JournalEntry)> {
        let (stored, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::RecordNotice, &facts)?;
        let (_, notices) = self.notices_of(&stored).await?;
        let notice = self.notice_at(&notices, id, target)?;
        if self.delivered_at(id).await?.is_none() {
            return Err(Error::conflict(format!(
                "request {id} is {}: the person is told once the data has been delivered; say how to reach \
                 them after the authority acknowledges the package",
                stored.state
            )));
        }
        if notice.sent.is_some() {
            return Err(Error::conflict(format!("the notice to target {target} has been sent already")));
        }
        let (language, address) = recipient.checked()?;
        let sealed = match &address {
            Some(a) => Some(self.store().seal_text(id, &address_column(target), a).await?),
            None => None,
        };
        let fact = Fact::PersonNoticeRecipient(journal::PersonNoticeRecipient {
            request: id,
            target,
            language,
            channel: recipient.channel,
            address: sealed,
        });
        self.record_notice_fact(&stored, caller, fact, target).await
    }

    /// An assigned reviewer body decides when the person is told: `immediate`, `delayed`
    /// to a last day with the reviewed reason, or `barred` with a reasoned decision and a
    /// date by which the bar is reviewed again, where the pack allows it.
    pub async fn decide_notice(
        &self,
        caller: &Caller,
        id: RequestId,
        target: u32,
        decision: &NoticeDecision,
    ) -> Result<(PersonNotice, JournalEntry)> {
        let (stored, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::DecideNotice, &facts)?;
        let (_, notices) = self.notices_of(&stored).await?;
        let notice = self.notice_at(&notices, id, target)?;
        if notice.sent.is_some() {
            return Err(Error::conflict(format!(
                "the notice to target {target} has been sent already; it cannot be delayed or barred now"
            )));
        }
        let today = Utc::now().date_naive();
        let code = "invalid_notice_decision";
        let (reasoning, until) = match decision.status {
            PersonNoticeStatus::Immediate => (decision.reasoning.trim().to_owned(), None),
            PersonNoticeStatus::Delayed => {
                let reasoning = text(
                    code,
                    "reasoning",
                    &decision.reasoning,
                    "the reasons for delaying the notice: what telling the person now would put at risk",
                )?;
                let Some(until) = decision.until.filter(|d| *d >= today) else {
                    return Err(Error::invalid(
                        code,
                        "until",
                        "give the last day the person may not be told (today or later): a delay has an end date",
                    ));
                };
                (reasoning, Some(until))
            }
            PersonNoticeStatus::Barred => {
                let pack = self.pack_of(&stored).await?;
                if pack.rules.iter().any(|r| r.rule == comity_policy::Rule::NsNoticeDelayedAtMost) {
                    return Err(Error::invalid(
                        code,
                        "status",
                        format!(
                            "the {} pack lets the notice be delayed, never barred (ns.notice_delayed_at_most): \
                             delay it to a last day instead",
                            pack.id
                        ),
                    ));
                }
                let reasoning = text(
                    code,
                    "reasoning",
                    &decision.reasoning,
                    "the reasons for barring the notice: a bar needs a reasoned decision",
                )?;
                let Some(until) = decision.until.filter(|d| *d > today) else {
                    return Err(Error::invalid(
                        code,
                        "until",
                        "give the date by which the bar is reviewed again (after today): a bar is never indefinite",
                    ));
                };
                (reasoning, Some(until))
            }
        };
        let fact = Fact::PersonNoticeDecided(journal::PersonNoticeDecided {
            request: id,
            target,
            status: decision.status,
            by: caller.org().clone(),
            reasoning,
            until,
        });
        self.record_notice_fact(&stored, caller, fact, target).await
    }

    /// The provider confirms it delivered, through its own channel, a notice comity handed
    /// to it.
    pub async fn confirm_notice_delivery(
        &self,
        caller: &Caller,
        id: RequestId,
        target: u32,
        reference: &str,
    ) -> Result<(PersonNotice, JournalEntry)> {
        let (stored, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::RecordNotice, &facts)?;
        let (_, notices) = self.notices_of(&stored).await?;
        let notice = self.notice_at(&notices, id, target)?;
        match &notice.sent {
            None => {
                return Err(Error::conflict(format!(
                    "the notice to target {target} has not been written yet: it is {}",
                    match (notice.due, notice.waiting) {
                        (Some(due), _) => format!("due {}", due.to_rfc3339_opts(SecondsFormat::Secs, true)),
                        (None, Some(w)) => format!("waiting for its {w}"),
                        (None, None) => "not due".to_owned(),
                    }
                )));
            }
            Some((s, _, _)) if s.channel == PersonNoticeChannel::Email => {
                return Err(Error::conflict(format!(
                    "comity e-mailed the notice to target {target} itself; there is no delivery to confirm"
                )));
            }
            Some(_) => {}
        }
        if notice.delivered.is_some() {
            return Err(Error::conflict(format!(
                "the delivery of the notice to target {target} was confirmed already"
            )));
        }
        let reference = text(
            "invalid_notice_delivery",
            "reference",
            reference,
            "your reference of the delivery (the message or ticket id in your channel)",
        )?;
        let fact =
            Fact::PersonNoticeDelivered(journal::PersonNoticeDelivered { request: id, target, reference });
        self.record_notice_fact(&stored, caller, fact, target).await
    }

    /// The text of a sent notice, written again word for word, for the provider to deliver
    /// (or anyone who may act on it to check against its commitment).
    pub async fn person_notice_text(
        &self,
        caller: &Caller,
        id: RequestId,
        target: u32,
    ) -> Result<NoticeText> {
        let (stored, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::RecordNotice, &facts)?;
        let (request, notices) = self.notices_of(&stored).await?;
        let notice = self.notice_at(&notices, id, target)?;
        let Some((sent, at, _)) = &notice.sent else {
            return Err(Error::conflict(format!("the notice to target {target} has not been written yet")));
        };
        self.log_read(caller, id, ReadOf::Document).await?;
        self.write_notice(&stored, &request, notice, &sent.language, &sent.salt, &sent.log_entries, *at).await
    }

    fn notice_at<'n>(
        &self,
        notices: &'n [PersonNotice],
        id: RequestId,
        target: u32,
    ) -> Result<&'n PersonNotice> {
        notices.iter().find(|n| n.target == target).ok_or_else(|| {
            Error::NotFound(format!(
                "request {id} has {} targets, numbered from 0; there is no target {target}",
                notices.len()
            ))
        })
    }

    /// Records an act on a notice with the clock of the person's notice set to what is now
    /// due soonest, in one transaction.
    async fn record_notice_fact(
        &self,
        stored: &StoredRequest,
        caller: &Caller,
        fact: Fact,
        target: u32,
    ) -> Result<(PersonNotice, JournalEntry)> {
        let now = Utc::now().trunc_subsecs(6);
        let entry =
            NewEntry { party: Some(stored.provider.clone()), ..NewEntry::new(now, caller.actor(), fact) };
        // The notices as they will stand once the fact is kept.
        let (request, _) = self.notices_of(stored).await?;
        let mut facts =
            self.store().journal(&JournalQuery::kinds(&FactKind::PERSON_NOTICE).request(stored.id)).await?;
        facts.push(JournalEntry {
            seq: 0,
            at: now,
            actor: entry.actor.clone(),
            party: entry.party.clone(),
            subject: String::new(),
            request_id: Some(stored.id),
            fact: entry.fact.clone(),
            content: String::new(),
            log_index: None,
        });
        self.open_addresses(stored.id, &mut facts).await?;
        let notices = fold(&request, &facts, self.delivered_at(stored.id).await?);
        let clocks = next_clock(&notices).into_iter().collect();
        let mut kept = self
            .store()
            .act(&Act { request_id: stored.id, at: now, facts: vec![entry], clocks, closes: None })
            .await?;
        let kept = kept.pop().ok_or_else(|| Error::corrupt("the journal kept no entry"))?;
        let notice = notices
            .into_iter()
            .find(|n| n.target == target)
            .ok_or_else(|| Error::corrupt("no such target"))?;
        tracing::info!(request = %stored.id, target, kind = %kept.fact.kind(), "notice to a person concerned");
        Ok((notice, kept))
    }

    /// Writes and sends the notices of a request due at `at`, for the sweeper, as it acts
    /// on the clock of the person's notice: the facts to keep with the clock's close, and
    /// when the clock must run again (the next notice due, or a retry).
    pub(crate) async fn due_person_notices(
        &self,
        stored: &StoredRequest,
        at: DateTime<Utc>,
    ) -> Result<(Vec<NewEntry>, Option<ClockSet>)> {
        // Documents shredded meanwhile (kept no longer than the notice waits, normally):
        // there is nothing left to write the notice from.
        if stored.document.is_empty() {
            return Ok((Vec::new(), None));
        }
        let (request, notices) = self.notices_of(stored).await?;
        let mut written = Vec::new();
        let mut retry = None;
        let log_entries: Vec<u64> =
            self.store().request_log(stored.id).await?.iter().map(|r| r.index).collect();
        let mut left = Vec::new();
        for notice in notices {
            let Some(due) = notice.due.filter(|d| *d <= at) else {
                left.push(notice);
                continue;
            };
            let Some(recipient) = &notice.recipient else { continue };
            let salt = {
                use rand_core::{OsRng, RngCore};
                let mut bytes = [0u8; 16];
                OsRng.fill_bytes(&mut bytes);
                bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
            };
            let written_at = at.max(due);
            let text = self
                .write_notice(stored, &request, &notice, &recipient.language, &salt, &log_entries, written_at)
                .await?;
            let message_id = match recipient.channel {
                PersonNoticeChannel::Provider => None,
                PersonNoticeChannel::Email => match self.mail_notice(stored, recipient, &text).await {
                    Ok(id) => Some(id),
                    Err(why) => {
                        tracing::warn!(request = %stored.id, target = notice.target, error = %why, "a notice to a person was not e-mailed; trying again later");
                        retry = Some(at + RETRY);
                        continue;
                    }
                },
            };
            written.push(NewEntry {
                party: Some(stored.provider.clone()),
                ..NewEntry::new(
                    written_at,
                    comity_core::ActorId::system(),
                    Fact::PersonNoticeSent(journal::PersonNoticeSent {
                        request: stored.id,
                        target: notice.target,
                        language: recipient.language.clone(),
                        channel: recipient.channel,
                        salt,
                        commitment: text.commitment,
                        message_id,
                        log_entries: log_entries.clone(),
                    }),
                )
            });
        }
        let next = [next_clock(&left).and_then(|c| c.due), retry].into_iter().flatten().min();
        Ok((written, next.map(|due| ClockSet { kind: ClockKind::NondisclosureEnd, due: Some(due) })))
    }

    async fn mail_notice(
        &self,
        stored: &StoredRequest,
        recipient: &journal::PersonNoticeRecipient,
        text: &NoticeText,
    ) -> std::result::Result<String, String> {
        let Some(mail) = self.settings().link_mail.as_ref() else {
            return Err("comity has no mailer: serve with --smtp".to_owned());
        };
        let address = recipient.address.as_deref().unwrap_or_default();
        let to = address.parse::<comity_notify::Mailbox>().map_err(|e| e.to_string())?;
        let body = format!("{}\n\n--\n{}\n", text.text, text.check);
        let id = mail.mailer.send(&to, &text.subject, &body).await.map_err(|e| e.to_string())?;
        tracing::info!(request = %stored.id, "a notice to a person concerned e-mailed");
        Ok(id)
    }

    /// The notice's text in `language`, from the request, the facts and the productions
    /// kept by `at`, so that it is written the same whenever it is written again.
    #[allow(clippy::too_many_arguments)]
    async fn write_notice(
        &self,
        stored: &StoredRequest,
        request: &Request,
        notice: &PersonNotice,
        language: &str,
        salt: &str,
        log_entries: &[u64],
        at: DateTime<Utc>,
    ) -> Result<NoticeText> {
        let lang = Lang::of(language);
        let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
        let delivered = self.delivered_at(stored.id).await?;
        let productions =
            self.store().journal(&JournalQuery::kinds(&FactKind::PRODUCTION).request(stored.id)).await?;
        // The records of every production sealed by then: what left.
        let sealed: Vec<&str> = productions
            .iter()
            .filter(|e| e.at <= at)
            .filter_map(|e| match &e.fact {
                Fact::ProductionSealed(s) => Some(s.production.as_str()),
                _ => None,
            })
            .collect();
        let records: u64 = productions
            .iter()
            .filter_map(|e| match &e.fact {
                Fact::ProductionStarted(s) if sealed.contains(&s.production.as_str()) => Some(s.in_scope),
                _ => None,
            })
            .sum();
        let provider = stored.provider.to_string();
        let authority = request.issuing.authority.to_string();
        let country = request.issuing.country.to_string();
        let categories = request
            .data_categories
            .iter()
            .map(|c| lang.t(&format!("category-{}", c.as_str()), &[]))
            .collect::<Vec<_>>()
            .join("; ");
        let mut paragraphs = vec![
            lang.t("notice-intro", &[("provider", &provider), ("target", &notice.selector)]),
            [
                lang.t(
                    "notice-who",
                    &[
                        ("authority", &authority),
                        ("country", &country),
                        ("reference", &request.issuing.reference),
                    ],
                ),
                lang.t(
                    "notice-law",
                    &[("law", &lang.t(&format!("instrument-{}", request.instrument.as_str()), &[]))],
                ),
                lang.t(
                    "notice-data",
                    &[
                        ("categories", &categories),
                        ("from", &day(request.time_window.from())),
                        ("to", &day(request.time_window.to())),
                    ],
                ),
                if records == 0 {
                    lang.t("notice-left-none", &[])
                } else {
                    lang.t(
                        "notice-left",
                        &[
                            ("records", &records.to_string()),
                            ("authority", &authority),
                            ("delivered", &delivered.map(day).unwrap_or_default()),
                        ],
                    )
                },
            ]
            .join("\n"),
        ];
        let mut why_late = Vec::new();
        if let Some(until) = request.nondisclosure.as_ref().filter(|n| n.requested).and_then(|n| n.until) {
            why_late
                .push(lang.t("notice-nondisclosure", &[("until", &until.format("%Y-%m-%d").to_string())]));
        }
        if let Some((d, _)) =
            notice.decision.as_ref().filter(|(d, _)| d.status == PersonNoticeStatus::Delayed)
        {
            let until = d.until.map(|u| u.format("%Y-%m-%d").to_string()).unwrap_or_default();
            why_late.push(lang.t(
                "notice-delayed",
                &[("by", d.by.as_str()), ("until", &until), ("reasoning", &d.reasoning)],
            ));
        }
        if !why_late.is_empty() {
            paragraphs.push(why_late.join("\n"));
        }
        paragraphs.push(lang.t("notice-remedies", &[("provider", &provider), ("country", &country)]));
        let entries = log_entries.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
        let mut log = lang.t("notice-log", &[("request", &stored.id.to_string()), ("entries", &entries)]);
        if let Some(mail) = &self.settings().link_mail {
            log.push('\n');
            log.push_str(&lang.t("notice-log-url", &[("url", &format!("{}/log/", mail.public_url))]));
        }
        paragraphs.push(log);
        paragraphs.push(lang.t("notice-sign", &[("provider", &provider)]));
        let text = paragraphs.join("\n\n");
        let commitment = commitment(salt, &text);
        let check = lang.t("notice-check", &[("salt", salt), ("commitment", &commitment)]);
        Ok(NoticeText {
            language: lang.tag().to_owned(),
            subject: lang.t("notice-subject", &[("provider", &provider)]),
            text,
            salt: salt.to_owned(),
            commitment,
            check,
        })
    }
}

/// The clock of the person's notice, set to the soonest notice due, if any is.
fn next_clock(notices: &[PersonNotice]) -> Option<ClockSet> {
    notices
        .iter()
        .filter(|n| n.sent.is_none())
        .filter_map(|n| n.due)
        .min()
        .map(|due| ClockSet { kind: ClockKind::NondisclosureEnd, due: Some(due) })
}

/// A language comity writes notices in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    Fr,
}

const SOURCES: [(Lang, &str, &str); 2] = [
    (Lang::En, "en", include_str!("../locales/en/notice.ftl")),
    (Lang::Fr, "fr", include_str!("../locales/fr/notice.ftl")),
];

static BUNDLES: LazyLock<Vec<(Lang, FluentBundle<FluentResource>)>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|&(lang, tag, source)| {
            let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(resource, errors)| {
                tracing::error!(lang = tag, ?errors, "a notice template has syntax errors");
                resource
            });
            let id: unic_langid::LanguageIdentifier = tag.parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Plain text for mail: no Unicode isolation marks around arguments.
            bundle.set_use_isolating(false);
            if let Err(errors) = bundle.add_resource(resource) {
                tracing::error!(lang = tag, ?errors, "a notice template defines a message twice");
            }
            (lang, bundle)
        })
        .collect()
});

impl Lang {
    pub(crate) fn of(tag: &str) -> Lang {
        SOURCES.iter().find(|(_, t, _)| t.eq_ignore_ascii_case(tag)).map(|(l, _, _)| *l).unwrap_or(Lang::En)
    }

    pub(crate) fn tag(self) -> &'static str {
        SOURCES.iter().find(|(l, _, _)| *l == self).map(|(_, t, _)| *t).unwrap_or("en")
    }

    /// The message `id` with its arguments, English where this language lacks it.
    pub(crate) fn t(self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, FluentValue::from(*value));
        }
        for lang in [self, Lang::En] {
            let Some((_, bundle)) = BUNDLES.iter().find(|(l, _)| *l == lang) else { continue };
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text: Cow<'_, str> = bundle.format_pattern(pattern, Some(&fluent), &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, ?errors, "a notice message did not format");
                }
                return text.into_owned();
            }
        }
        tracing::warn!(id, "a notice message is missing");
        id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message_of_english() {
        let ids = |source: &str| -> Vec<String> {
            source
                .lines()
                .filter(|l| !l.starts_with([' ', '#']) && l.contains(" ="))
                .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_owned()))
                .collect()
        };
        let english = ids(SOURCES[0].2);
        assert!(english.len() > 10);
        for (_, tag, source) in &SOURCES[1..] {
            assert_eq!(ids(source), english, "{tag}");
        }
        for category in comity_core::DataCategory::ALL {
            assert!(english.contains(&format!("category-{}", category.as_str())), "{category}");
        }
        for instrument in comity_core::Instrument::ALL {
            assert!(english.contains(&format!("instrument-{}", instrument.as_str())), "{instrument}");
        }
    }

    #[test]
    fn the_commitment_changes_with_a_single_character() {
        let a = commitment("00ff", "Bonjour");
        assert_eq!(a.len(), 64);
        assert_ne!(a, commitment("00ff", "Bonjour."));
        assert_ne!(a, commitment("00fe", "Bonjour"));
    }

    #[test]
    fn a_delay_runs_to_the_end_of_its_last_day() {
        let day = NaiveDate::from_ymd_opt(2027, 6, 14).unwrap();
        assert_eq!(day_after(day).unwrap(), "2027-06-15T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }
}
