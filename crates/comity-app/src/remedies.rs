//! Remedies and correction (issue 15, item 4; the seed: "when errors occur, remediation
//! plans, timely corrections, and appropriate remedies for affected individuals must be
//! available").
//!
//! An error found in data already delivered opens a remedy case on its request
//! (`remedy.opened`): the data of an account the request did not name, data beyond the
//! decision's scope, a third party left unmasked, a decision overturned on appeal. The
//! provider, which finds such errors, or the reviewer body assigned opens it; a request
//! withdrawn after delivery (by its authority, or by a deadline under Art 4(5) of
//! Regulation (EU) 2023/1543) opens one by itself, on the same path. A case:
//!
//! - **recalls** the productions it names: comity's own copies are crypto-shredded at once
//!   (`production.shredded`, naming the case), and the authority must delete its copy and
//!   attest it, by the statement it signs for a disposal (`comity disposal sign`,
//!   `POST .../productions/{p}/disposal`), within `--recall-days`. The `recall` clock runs
//!   to the soonest case not met; when it passes, the recall is escalated to the authority
//!   and counted in `comity_overdue` until the last attestation (`remedy.recall_met`);
//! - where the opener says one is due, waits for a **corrected production**, which the
//!   provider makes on the delivered request like any production (`remedy.correction`);
//! - lets the provider **tell each person affected** (`remedy.person_told`), in their
//!   language from the Fluent templates, by comity's e-mail (the address used once, never
//!   kept) or through its own channel; only a commitment to the text is kept;
//! - is **counted** for the transparency reports ([`App::remedy_counts`]).
//!
//! Its description is logged: it must name no person, and comity refuses one in which it
//! finds an identifier.

use chrono::{DateTime, SubsecRound, Utc};
use comity_access::Action;
use comity_core::journal::{RemedyOpened, RemedyPersonTold, RemedyRecallMet};
use comity_core::production::Production;
use comity_core::{
    Act, ActorId, ClockClose, ClockKind, ClockOutcome, ClockSet, Fact, FactKind, JournalEntry, JournalQuery,
    NewEntry, PartyId, ReadOf, RemedyGround, RequestId, State, StoredRequest,
};
use comity_wire::parse_request;

use crate::person_notices::{Lang, NoticeRecipient, NoticeText, commitment_under, nondisclosure_end};
use crate::{App, Caller, Error, Result};

/// The longest description, in characters.
const MAX_TEXT: usize = 10_000;

/// The label of a commitment to the notice of a remedy to a person affected.
pub const NOTICE_LABEL: &str = "comity-remedy-notice/v1";

/// A remedy case as its facts and its productions make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyCase {
    pub opened: RemedyOpened,
    pub opened_at: DateTime<Utc>,
    pub log_index: Option<u64>,
    /// The productions it recalled, as they stand (shredded, attested or not).
    pub recalled: Vec<Production>,
    /// When the authority's last attestation met the recall, and whether it was late.
    pub recall_met: Option<(RemedyRecallMet, DateTime<Utc>)>,
    /// The productions made to correct it, as they stand.
    pub corrections: Vec<Production>,
    /// The persons affected who were told, with when and the fact's log entry.
    pub persons_told: Vec<(RemedyPersonTold, DateTime<Utc>, Option<u64>)>,
}

impl RemedyCase {
    /// Whether a corrected production was sealed.
    pub fn corrected(&self) -> bool {
        self.corrections.iter().any(|p| p.package.is_some())
    }

    /// Where the case stands: `recall_pending` until every recalled production's deletion
    /// is attested, then `correction_due` while a correction owed is not sealed, then
    /// `closed`.
    pub fn status(&self) -> &'static str {
        if self.recall_met.is_none() {
            "recall_pending"
        } else if self.opened.correction && !self.corrected() {
            "correction_due"
        } else {
            "closed"
        }
    }

    /// Whether a correction is owed and not yet under way or sealed.
    fn awaits_correction(&self) -> bool {
        self.opened.correction && !self.corrections.iter().any(|p| p.status != "failed")
    }
}

/// What the provider or the reviewer body says when it opens a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRemedy {
    pub ground: RemedyGround,
    /// The productions to recall; empty for every one delivered and not yet recalled.
    pub productions: Vec<String>,
    /// Whether the provider owes a corrected production.
    pub correction: bool,
    pub description: String,
}

/// A request's cases, and what the caller may do about them, as the policy decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyOffers {
    pub cases: Vec<RemedyCase>,
    /// Open a case: data was delivered and some is left to recall.
    pub open: bool,
    /// Tell a person affected (the provider).
    pub tell: bool,
    /// The productions a new case may recall.
    pub recallable: Vec<String>,
}

/// Remedy cases in a period, for the transparency reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemedyCounts {
    /// Cases opened, by ground, in [`RemedyGround::ALL`]'s order.
    pub opened: Vec<(RemedyGround, u64)>,
    /// Recalls met, in time and late.
    pub recalls_met: u64,
    pub recalls_met_late: u64,
    /// Cases opened in the period whose recall is not met yet.
    pub recalls_outstanding: u64,
    /// Corrected productions sealed.
    pub corrections: u64,
    /// Persons affected told.
    pub persons_told: u64,
}

/// A recall a withdrawal after delivery opens: the fact and the clock that commit with the
/// move, and the productions to shred once it is kept.
pub(crate) struct Recall {
    pub entry: NewEntry,
    pub clock: ClockSet,
    pub case: u32,
    pub productions: Vec<Production>,
}

/// The cases of a request, folded from its `remedy.*` facts (oldest first) and its
/// productions.
pub fn fold(facts: &[JournalEntry], productions: &[Production]) -> Vec<RemedyCase> {
    let mut cases: Vec<RemedyCase> = Vec::new();
    for e in facts {
        match &e.fact {
            Fact::RemedyOpened(o) => cases.push(RemedyCase {
                recalled: productions.iter().filter(|p| o.productions.contains(&p.id)).cloned().collect(),
                opened: o.clone(),
                opened_at: e.at,
                log_index: e.log_index,
                recall_met: None,
                corrections: Vec::new(),
                persons_told: Vec::new(),
            }),
            Fact::RemedyRecallMet(m) => {
                if let Some(c) = cases.iter_mut().find(|c| c.opened.case == m.case) {
                    c.recall_met = Some((m.clone(), e.at));
                }
            }
            Fact::RemedyCorrection(r) => {
                if let Some(c) = cases.iter_mut().find(|c| c.opened.case == r.case) {
                    c.corrections.extend(productions.iter().find(|p| p.id == r.production).cloned());
                }
            }
            Fact::RemedyPersonTold(t) => {
                if let Some(c) = cases.iter_mut().find(|c| c.opened.case == t.case) {
                    c.persons_told.push((t.clone(), e.at, e.log_index));
                }
            }
            _ => {}
        }
    }
    cases
}

/// The recall clock as the open cases leave it: due at the soonest recall not met, or
/// taken away when none is left.
fn recall_clock(cases: &[RemedyCase]) -> ClockSet {
    ClockSet {
        kind: ClockKind::Recall,
        due: cases.iter().filter(|c| c.recall_met.is_none()).map(|c| c.opened.recall_due).min(),
    }
}

/// Productions that left and that comity has not shredded: what a recall can reach.
fn recallable(productions: &[Production]) -> Vec<&Production> {
    productions.iter().filter(|p| p.package.is_some() && p.shredded_at.is_none()).collect()
}

impl App {
    /// The request's cases, from its facts.
    async fn remedies_of(&self, id: RequestId) -> Result<(Vec<RemedyCase>, Vec<Production>)> {
        let facts = self.store().journal(&JournalQuery::kinds(&FactKind::REMEDY).request(id)).await?;
        let productions = self.productions_of_request(id).await?;
        Ok((fold(&facts, &productions), productions))
    }

    /// A request's remedy cases, for whoever may see the request.
    pub async fn remedies(&self, caller: &Caller, id: RequestId) -> Result<Vec<RemedyCase>> {
        self.visible(caller, id).await?;
        Ok(self.remedies_of(id).await?.0)
    }

    /// One case of a request.
    pub async fn remedy(&self, caller: &Caller, id: RequestId, case: u32) -> Result<RemedyCase> {
        self.visible(caller, id).await?;
        case_of(self.remedies_of(id).await?.0, id, case)
    }

    /// A request's cases and what the caller may do about them: what a page offers is
    /// exactly what the API would accept.
    pub async fn remedy_offers(&self, caller: &Caller, id: RequestId) -> Result<RemedyOffers> {
        let (current, facts) = self.visible(caller, id).await?;
        let on = comity_access::On::Request(&facts);
        let (cases, productions) = self.remedies_of(id).await?;
        let recallable: Vec<String> = recallable(&productions).into_iter().map(|p| p.id.clone()).collect();
        let delivered = self.delivered_at(id).await?.is_some();
        Ok(RemedyOffers {
            open: delivered
                && !recallable.is_empty()
                && current.state != State::Withdrawn
                && self.allowed(caller, &Action::OpenRemedy, &on),
            tell: !cases.is_empty() && self.allowed(caller, &Action::RecordNotice, &on),
            cases,
            recallable,
        })
    }

    /// The provider or the reviewer body assigned opens a remedy case on data delivered in
    /// error: the productions named (or every one not yet recalled) are recalled, comity's
    /// copies crypto-shredded, the authority told and given `--recall-days` to attest their
    /// deletion.
    pub async fn open_remedy(&self, caller: &Caller, id: RequestId, open: OpenRemedy) -> Result<RemedyCase> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::OpenRemedy, &facts)?;
        let invalid = |field, message: String| Error::invalid("invalid_remedy", field, message);
        if self.delivered_at(id).await?.is_none() {
            return Err(Error::conflict(format!(
                "request {id} is {}: a remedy case is for data already delivered; before delivery, withdraw \
                 the production or the request instead",
                current.state
            )));
        }
        if open.ground == RemedyGround::Withdrawn {
            return Err(invalid(
                "ground",
                "a withdrawal opens its remedy case itself: withdraw the request (POST /v1/requests/{id}/transitions \
                 with to = withdrawn)"
                    .to_owned(),
            ));
        }
        if open.correction && current.state != State::Delivered {
            return Err(invalid(
                "correction",
                format!(
                    "the request is {}: only a delivered request is produced again; open the case without a correction",
                    current.state
                ),
            ));
        }
        let description = open.description.trim();
        if description.is_empty() {
            return Err(invalid(
                "description",
                "say what went wrong, without naming the person (the log keeps this text)".to_owned(),
            ));
        }
        if description.chars().count() > MAX_TEXT {
            return Err(invalid("description", format!("is longer than {MAX_TEXT} characters")));
        }
        self.check_names_no_one(&current, description)?;
        let (cases, productions) = self.remedies_of(id).await?;
        let left = recallable(&productions);
        let recalled: Vec<Production> = if open.productions.is_empty() {
            left.into_iter().cloned().collect()
        } else {
            let mut chosen = Vec::new();
            for wanted in &open.productions {
                let Some(p) = productions.iter().find(|p| &p.id == wanted) else {
                    return Err(invalid(
                        "productions",
                        format!(
                            "request {id} has no production {wanted:?}; name one of its sealed productions"
                        ),
                    ));
                };
                if !left.iter().any(|l| l.id == p.id) {
                    return Err(invalid(
                        "productions",
                        format!("production {} is {}: there is nothing of it left to recall", p.id, p.status),
                    ));
                }
                if !chosen.iter().any(|c: &Production| c.id == p.id) {
                    chosen.push(p.clone());
                }
            }
            chosen
        };
        if recalled.is_empty() {
            return Err(Error::conflict(format!(
                "request {id} has no production left to recall: every one was shredded or recalled already"
            )));
        }
        let now = Utc::now().trunc_subsecs(6);
        let by = Some(caller.org().clone());
        let recall =
            self.new_recall(&current, &cases, open.ground, by, recalled, open.correction, description, now)?;
        self.store()
            .act(&Act {
                request_id: id,
                at: now,
                facts: vec![NewEntry { actor: caller.actor(), ..recall.entry.clone() }],
                clocks: vec![recall.clock.clone()],
                closes: None,
            })
            .await?;
        tracing::info!(request = %id, case = recall.case, ground = %open.ground, "a remedy case was opened");
        self.carry_out_recall(&current, &recall, now).await?;
        case_of(self.remedies_of(id).await?.0, id, recall.case)
    }

    /// Refuses a description in which comity finds a target of the request or any other
    /// identifier: the log keeps it, so it must name no one.
    fn check_names_no_one(&self, current: &StoredRequest, description: &str) -> Result<()> {
        let lower = description.to_lowercase();
        if let Ok((_, request)) = parse_request(current.document.as_bytes())
            && request.targets.iter().any(|t| lower.contains(&t.selector.value().to_lowercase()))
        {
            return Err(Error::invalid(
                "invalid_remedy",
                "description",
                "names a target of the request: the log keeps this text, so describe the error without \
                 identifiers (say \"the second target\", not its address)",
            ));
        }
        let detector = comity_redact::Detector::new(comity_redact::DetectorConfig::default());
        if let Some(span) = detector.detect(description).first() {
            return Err(Error::invalid(
                "invalid_remedy",
                "description",
                format!(
                    "holds what looks like personal data ({} at character {}): the log keeps this text, so \
                     describe the error without naming anyone",
                    span.kind(),
                    description[..span.start()].chars().count() + 1
                ),
            ));
        }
        Ok(())
    }

    /// The fact and clock of a new case.
    #[allow(clippy::too_many_arguments)]
    fn new_recall(
        &self,
        current: &StoredRequest,
        cases: &[RemedyCase],
        ground: RemedyGround,
        by: Option<PartyId>,
        productions: Vec<Production>,
        correction: bool,
        description: &str,
        now: DateTime<Utc>,
    ) -> Result<Recall> {
        let case = u32::try_from(cases.len() + 1)
            .map_err(|_| Error::conflict("this request has too many remedy cases"))?;
        let opened = RemedyOpened {
            request: current.id,
            case,
            ground,
            by,
            productions: productions.iter().map(|p| p.id.clone()).collect(),
            correction,
            recall_due: now + self.settings().recall_within,
            description: description.to_owned(),
        };
        let due = cases
            .iter()
            .filter(|c| c.recall_met.is_none())
            .map(|c| c.opened.recall_due)
            .chain([opened.recall_due])
            .min();
        Ok(Recall {
            entry: NewEntry {
                party: Some(current.authority.clone()),
                ..NewEntry::new(now, ActorId::system(), Fact::RemedyOpened(opened))
            },
            clock: ClockSet { kind: ClockKind::Recall, due },
            case,
            productions,
        })
    }

    /// The recall a withdrawal after delivery opens, to commit with its move: `None` when
    /// the request was not delivered, or nothing of it is left to recall.
    pub(crate) async fn recall_on_withdrawal(
        &self,
        current: &StoredRequest,
        by: Option<PartyId>,
        at: DateTime<Utc>,
    ) -> Result<Option<Recall>> {
        if current.state != State::Delivered {
            return Ok(None);
        }
        let (cases, productions) = self.remedies_of(current.id).await?;
        let left: Vec<Production> = recallable(&productions).into_iter().cloned().collect();
        if left.is_empty() {
            return Ok(None);
        }
        // The move's own reason is logged with it; the case says only why it was opened.
        let description =
            "the request was withdrawn after its data was delivered: everything delivered is recalled";
        self.new_recall(current, &cases, RemedyGround::Withdrawn, by, left, false, description, at).map(Some)
    }

    /// Crypto-shreds comity's copies of what a recall names, once its case is kept. A copy
    /// another act shredded first is skipped; a crash before the end leaves copies that
    /// `comity log verify` still finds whole and keyed, and the next recall of them shreds.
    pub(crate) async fn carry_out_recall(
        &self,
        current: &StoredRequest,
        recall: &Recall,
        at: DateTime<Utc>,
    ) -> Result<()> {
        for p in &recall.productions {
            if self.shred_production(current, p, Some(recall.case), at).await? {
                tracing::info!(production = %p.id, request = %current.id, case = recall.case, "a recalled production was crypto-shredded");
            }
        }
        Ok(())
    }

    /// What an attestation of disposal of `production` does to the request's recalls: the
    /// `remedy.recall_met` of each case it completes, the recall clock set to the next case
    /// (or closed as met when none is left), to commit with the attestation.
    pub(crate) async fn recall_after_attestation(
        &self,
        current: &StoredRequest,
        production: &str,
        now: DateTime<Utc>,
    ) -> Result<(Vec<NewEntry>, Vec<ClockSet>, Option<ClockClose>)> {
        let (mut cases, _) = self.remedies_of(current.id).await?;
        let mut facts = Vec::new();
        for case in cases.iter_mut().filter(|c| c.recall_met.is_none()) {
            let attested = |p: &Production| p.attestation.is_some() || p.id == production;
            if !case.opened.productions.iter().any(|p| p == production) || !case.recalled.iter().all(attested)
            {
                continue;
            }
            let met = RemedyRecallMet {
                request: current.id,
                case: case.opened.case,
                late: now > case.opened.recall_due,
            };
            case.recall_met = Some((met.clone(), now));
            facts.push(NewEntry {
                party: Some(current.authority.clone()),
                ..NewEntry::new(now, ActorId::system(), Fact::RemedyRecallMet(met))
            });
        }
        if facts.is_empty() {
            return Ok((facts, Vec::new(), None));
        }
        let next = recall_clock(&cases);
        if next.due.is_some() {
            return Ok((facts, vec![next], None));
        }
        let running = self
            .store()
            .clocks(current.id)
            .await?
            .into_iter()
            .find(|c| c.kind == ClockKind::Recall && c.closed.is_none());
        let close = running.map(|c| ClockClose {
            request_id: current.id,
            kind: c.kind,
            due: c.due,
            at: now,
            outcome: ClockOutcome::Met,
        });
        Ok((facts, Vec::new(), close))
    }

    /// The case a production of a delivered request corrects: the oldest that owes one and
    /// has none under way or sealed.
    pub(crate) async fn correction_case(&self, current: &StoredRequest) -> Result<Option<u32>> {
        if current.state != State::Delivered {
            return Ok(None);
        }
        let (cases, _) = self.remedies_of(current.id).await?;
        Ok(cases.iter().find(|c| c.awaits_correction()).map(|c| c.opened.case))
    }

    /// The provider tells a person affected by a case, in their language, by comity's
    /// e-mail (the address used for this one message, never kept) or through its own
    /// channel (the text is returned, to deliver). Not while the authority's nondisclosure
    /// runs: the person is told after it.
    pub async fn tell_remedy_person(
        &self,
        caller: &Caller,
        id: RequestId,
        case: u32,
        recipient: &NoticeRecipient,
    ) -> Result<(RemedyCase, NoticeText)> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::RecordNotice, &facts)?;
        let found = case_of(self.remedies_of(id).await?.0, id, case)?;
        // The notice is written from the document: gone with it (410).
        self.check_not_shredded(&current).await?;
        let (_, request) = parse_request(current.document.as_bytes())
            .map_err(|e| Error::corrupt(format!("request {id}: its document no longer parses: {e}")))?;
        let now = Utc::now().trunc_subsecs(6);
        if let Some(end) = nondisclosure_end(&request).filter(|end| *end > now) {
            return Err(Error::conflict(format!(
                "the authority's nondisclosure runs until {}: the person affected is told after it, not before",
                end.format("%Y-%m-%d")
            )));
        }
        let (language, address) = recipient.checked()?;
        // Checked as a mailbox already: the address comity e-mails, if it does.
        let mailbox = address.as_deref().and_then(|a| a.parse::<comity_notify::Mailbox>().ok());
        let person = u32::try_from(found.persons_told.len() + 1)
            .map_err(|_| Error::conflict("this case has told too many persons"))?;
        let salt = {
            use rand_core::{OsRng, RngCore};
            let mut bytes = [0u8; 16];
            OsRng.fill_bytes(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        let text = self.write_remedy_notice(&current, &request, &found, &language, &salt, now).await?;
        let message_id = match mailbox {
            None => None,
            Some(to) => {
                let Some(mail) = self.settings().link_mail.as_ref() else {
                    return Err(Error::Unavailable {
                        code: "no_mailer",
                        message: "comity has no mailer (serve with --smtp): choose the channel `provider` and deliver \
                                  the notice yourself"
                            .to_owned(),
                        retry_after: None,
                        cause: None,
                    });
                };
                let body = format!("{}\n\n--\n{}\n", text.text, text.check);
                Some(mail.mailer.send(&to, &text.subject, &body).await.map_err(|e| Error::Unavailable {
                    code: "mail_failed",
                    message: format!(
                        "the notice could not be e-mailed ({e}); nothing was recorded: try again"
                    ),
                    retry_after: Some(60),
                    cause: None,
                })?)
            }
        };
        let told = RemedyPersonTold {
            request: id,
            case,
            person,
            language: text.language.clone(),
            channel: recipient.channel,
            salt,
            commitment: text.commitment.clone(),
            message_id,
        };
        let entry = NewEntry {
            party: Some(current.provider.clone()),
            ..NewEntry::new(now, caller.actor(), Fact::RemedyPersonTold(told))
        };
        self.store()
            .act(&Act { request_id: id, at: now, facts: vec![entry], clocks: Vec::new(), closes: None })
            .await?;
        Ok((case_of(self.remedies_of(id).await?.0, id, case)?, text))
    }

    /// The text of a remedy's notice to a person, written again word for word from the
    /// facts, for the provider to deliver.
    pub async fn remedy_notice_text(
        &self,
        caller: &Caller,
        id: RequestId,
        case: u32,
        person: u32,
    ) -> Result<NoticeText> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::RecordNotice, &facts)?;
        let found = case_of(self.remedies_of(id).await?.0, id, case)?;
        let Some((told, at, _)) = found.persons_told.iter().find(|(t, _, _)| t.person == person) else {
            return Err(Error::NotFound(format!(
                "remedy case {case} of request {id} has told {} persons, numbered from 1; there is no person {person}",
                found.persons_told.len()
            )));
        };
        self.check_not_shredded(&current).await?;
        let (_, request) = parse_request(current.document.as_bytes())
            .map_err(|e| Error::corrupt(format!("request {id}: its document no longer parses: {e}")))?;
        self.log_read(caller, id, ReadOf::Document).await?;
        self.write_remedy_notice(&current, &request, &found, &told.language, &told.salt, *at).await
    }

    /// The notice of a case to a person affected, from the case as it stood at `at`, so
    /// that it is written the same whenever it is written again.
    async fn write_remedy_notice(
        &self,
        stored: &StoredRequest,
        request: &comity_core::Request,
        case: &RemedyCase,
        language: &str,
        salt: &str,
        at: DateTime<Utc>,
    ) -> Result<NoticeText> {
        let lang = Lang::of(language);
        let day = |t: DateTime<Utc>| t.format("%Y-%m-%d").to_string();
        let provider = stored.provider.to_string();
        let authority = request.issuing.authority.to_string();
        let country = request.issuing.country.to_string();
        let delivered = self.delivered_at(stored.id).await?.map(day).unwrap_or_default();
        let mut what = vec![
            lang.t(
                "remedy-who",
                &[
                    ("authority", &authority),
                    ("country", &country),
                    ("reference", &request.issuing.reference),
                    ("delivered", &delivered),
                ],
            ),
            lang.t(&format!("remedy-ground-{}", case.opened.ground.as_str()), &[]),
            lang.t(
                "remedy-recall",
                &[
                    ("opened", &day(case.opened_at)),
                    ("authority", &authority),
                    ("due", &day(case.opened.recall_due)),
                ],
            ),
        ];
        if let Some((_, met_at)) = case.recall_met.as_ref().filter(|(_, t)| *t <= at) {
            what.push(lang.t("remedy-recall-met", &[("authority", &authority), ("at", &day(*met_at))]));
        }
        if case.opened.correction {
            what.push(lang.t("remedy-correction", &[]));
        }
        let entries =
            [case.log_index].into_iter().flatten().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
        let mut log = lang.t("notice-log", &[("request", &stored.id.to_string()), ("entries", &entries)]);
        if let Some(url) =
            self.settings().public_url.as_ref().or(self.settings().link_mail.as_ref().map(|m| &m.public_url))
        {
            log.push('\n');
            log.push_str(&lang.t("notice-log-url", &[("url", &format!("{url}/log/"))]));
        }
        let paragraphs = [
            lang.t("remedy-intro", &[("provider", &provider)]),
            what.join("\n"),
            lang.t("notice-remedies", &[("provider", &provider), ("country", &country)]),
            log,
            lang.t("notice-sign", &[("provider", &provider)]),
        ];
        let text = paragraphs.join("\n\n");
        let commitment = commitment_under(NOTICE_LABEL, salt, &text);
        let check = lang.t("remedy-check", &[("salt", salt), ("commitment", &commitment)]);
        Ok(NoticeText {
            language: lang.tag().to_owned(),
            subject: lang.t("remedy-subject", &[("provider", &provider)]),
            text,
            salt: salt.to_owned(),
            commitment,
            check,
        })
    }

    /// Remedy cases in `[from, to)`: opened by ground, recalls met (in time or late) and
    /// outstanding, corrections sealed, persons told. From the journal, which the log
    /// commits to; for whoever may read the aggregates.
    pub async fn remedy_counts(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<RemedyCounts> {
        self.require(caller, &Action::ReadAggregates, &comity_access::On::Aggregates)?;
        if from >= to {
            return Err(Error::invalid("invalid_period", "to", "the period's end comes after its start"));
        }
        let facts = self.store().journal(&JournalQuery::kinds(&FactKind::REMEDY)).await?;
        let within = |t: DateTime<Utc>| t >= from && t < to;
        let mut counts = RemedyCounts {
            opened: RemedyGround::ALL.iter().map(|g| (*g, 0)).collect(),
            ..RemedyCounts::default()
        };
        let met: Vec<(RequestId, u32)> = facts
            .iter()
            .filter_map(|e| match &e.fact {
                Fact::RemedyRecallMet(m) => Some((m.request, m.case)),
                _ => None,
            })
            .collect();
        let mut corrected: Vec<&str> = Vec::new();
        for e in facts.iter().filter(|e| within(e.at)) {
            match &e.fact {
                Fact::RemedyOpened(o) => {
                    if let Some(c) = counts.opened.iter_mut().find(|(g, _)| *g == o.ground) {
                        c.1 += 1;
                    }
                    if !met.contains(&(o.request, o.case)) {
                        counts.recalls_outstanding += 1;
                    }
                }
                Fact::RemedyRecallMet(m) if m.late => counts.recalls_met_late += 1,
                Fact::RemedyRecallMet(_) => counts.recalls_met += 1,
                Fact::RemedyCorrection(c) => corrected.push(&c.production),
                Fact::RemedyPersonTold(_) => counts.persons_told += 1,
                _ => {}
            }
        }
        // A correction counts once its production is sealed.
        if !corrected.is_empty() {
            let sealed = self.store().journal(&JournalQuery::kinds(&[FactKind::ProductionSealed])).await?;
            counts.corrections =
                sealed.iter().filter(|e| corrected.contains(&e.subject.as_str())).count() as u64;
        }
        Ok(counts)
    }
}

fn case_of(cases: Vec<RemedyCase>, id: RequestId, case: u32) -> Result<RemedyCase> {
    let n = cases.len();
    cases.into_iter().find(|c| c.opened.case == case).ok_or_else(|| {
        Error::NotFound(format!(
            "request {id} has {n} remedy cases, numbered from 1; there is no case {case}"
        ))
    })
}
