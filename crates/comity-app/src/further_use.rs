//! Purpose limitation and onward transfer (issue 15, item 2).
//!
//! The seed asks for purpose limitation, with conditions before data "may be
//! recontextualized", and for control of onward transfers. A package's manifest states the
//! purpose it was produced for, and that purpose stands as the only one until a reviewer
//! says otherwise:
//! - the issuing side asks, with its reasons, to use the delivered data for another
//!   purpose, or to pass it to another State or body (`further_use.asked`);
//! - the reviewer body assigned to the request grants or refuses it, with its reasoning
//!   and any conditions (`further_use.decided`); comity signs the answer with the log's
//!   key (a C2SP signed note) so that the authority can show it to whoever receives the
//!   data, and anyone with the log's verifier key can check it (`comity further-use
//!   verify`);
//! - the authority records each use it makes under a granted ask (`further_use.recorded`);
//!   comity refuses to record one that has no consent, so that every further use on the
//!   record has its answer beside it.
//!
//! Grants and refusals are counted by kind for the transparency reports
//! ([`App::further_use_counts`]).

use chrono::{DateTime, SubsecRound, Utc};
use comity_access::Action;
use comity_core::journal::{
    FurtherUseAsked, FurtherUseDecided, FurtherUseKind, FurtherUseRecipient, FurtherUseRecorded,
};
use comity_core::{
    Act, CountryCode, Fact, FactKind, JournalEntry, JournalQuery, NewEntry, Party, RequestId, RequestKind,
    State,
};

use crate::{App, Caller, Error, Result};

/// The longest a purpose, a reason, a condition or a note may be, in characters.
const MAX_TEXT: usize = 10_000;

/// The first line of a signed answer: what the statement is, so it never reads as anything
/// else the log's key signs.
pub const ANSWER_HEADER: &str = "comity further-use answer v1";

/// What an authority asks: the kind, the purpose in words, for a transfer the recipient,
/// and its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FurtherUseAsk {
    pub kind: FurtherUseKind,
    pub purpose: String,
    pub recipient: Option<(String, String)>,
    pub reasons: String,
}

/// One ask with what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FurtherUse {
    pub asked: FurtherUseAsked,
    pub asked_at: DateTime<Utc>,
    pub asked_log_index: Option<u64>,
    pub decision: Option<Decided>,
    /// The uses recorded under it, oldest first.
    pub uses: Vec<(FurtherUseRecorded, DateTime<Utc>, Option<u64>)>,
}

/// A reviewer's answer, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub decision: FurtherUseDecided,
    pub at: DateTime<Utc>,
    pub log_index: Option<u64>,
}

/// A request's asks, and what the caller may do about them, as the policy decides each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FurtherUseOffers {
    pub asks: Vec<FurtherUse>,
    /// Ask for a further use (the issuing side, once data was delivered).
    pub ask: bool,
    /// Answer the asks not answered yet (the reviewer body assigned).
    pub decide: bool,
    /// Record a use under a granted ask (the issuing side).
    pub record: bool,
}

/// Grants and refusals of one kind of further use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub granted: u64,
    pub refused: u64,
}

/// Further use decided in a period, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FurtherUseCounts {
    pub purpose: Tally,
    pub transfer: Tally,
}

fn text(field: &'static str, value: &str, what: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid("invalid_further_use", field, format!("give {what}")));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(Error::invalid(
            "invalid_further_use",
            field,
            format!("is longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// One line of a signed answer: the value with its line breaks and tabs made spaces, so
/// that a party's words never end the note's text or forge a line of it.
fn line(name: &str, value: &str) -> String {
    let value: String = value.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{name} {value}\n")
}

impl App {
    /// A request's asks for further use, each with its answer and the uses recorded under
    /// it, for whoever may see the request.
    pub async fn further_uses(&self, caller: &Caller, id: RequestId) -> Result<Vec<FurtherUse>> {
        self.visible(caller, id).await?;
        self.further_uses_of(id).await
    }

    /// A request's asks and the acts on them the caller may do: what a page offers is
    /// exactly what the API would accept.
    pub async fn further_use_offers(&self, caller: &Caller, id: RequestId) -> Result<FurtherUseOffers> {
        let (current, facts) = self.visible(caller, id).await?;
        let on = comity_access::On::Request(&facts);
        let delivered = current.kind == RequestKind::Production
            && matches!(current.state, State::Delivered | State::Closed);
        Ok(FurtherUseOffers {
            asks: self.further_uses_of(id).await?,
            ask: delivered && self.allowed(caller, &Action::AskFurtherUse, &on),
            decide: self.allowed(caller, &Action::DecideFurtherUse, &on),
            record: self.allowed(caller, &Action::RecordFurtherUse, &on),
        })
    }

    async fn further_uses_of(&self, id: RequestId) -> Result<Vec<FurtherUse>> {
        let entries = self
            .store()
            .journal(
                &JournalQuery::kinds(&[
                    FactKind::FurtherUseAsked,
                    FactKind::FurtherUseDecided,
                    FactKind::FurtherUseRecorded,
                ])
                .request(id),
            )
            .await?;
        let mut asks: Vec<FurtherUse> = Vec::new();
        for JournalEntry { fact, at, log_index, .. } in entries {
            match fact {
                Fact::FurtherUseAsked(asked) => asks.push(FurtherUse {
                    asked,
                    asked_at: at,
                    asked_log_index: log_index,
                    decision: None,
                    uses: Vec::new(),
                }),
                Fact::FurtherUseDecided(decision) => {
                    if let Some(ask) = asks.iter_mut().find(|a| a.asked.ask == decision.ask) {
                        ask.decision = Some(Decided { decision, at, log_index });
                    }
                }
                Fact::FurtherUseRecorded(used) => {
                    if let Some(ask) = asks.iter_mut().find(|a| a.asked.ask == used.ask) {
                        ask.uses.push((used, at, log_index));
                    }
                }
                _ => {}
            }
        }
        Ok(asks)
    }

    async fn further_use(&self, id: RequestId, ask: u32) -> Result<FurtherUse> {
        self.further_uses_of(id)
            .await?
            .into_iter()
            .find(|a| a.asked.ask == ask)
            .ok_or_else(|| Error::NotFound(format!("request {id} has no ask for further use number {ask}")))
    }

    /// The issuing side asks to use the data a request delivered for another purpose, or to
    /// pass it on. Only once data was delivered: before, there is nothing to use.
    pub async fn ask_further_use(
        &self,
        caller: &Caller,
        id: RequestId,
        ask: FurtherUseAsk,
    ) -> Result<FurtherUse> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::AskFurtherUse, &facts)?;
        if current.kind != RequestKind::Production
            || !matches!(current.state, State::Delivered | State::Closed)
        {
            return Err(Error::conflict(format!(
                "the request is a {} that is {}: further use is asked of data that was delivered",
                current.kind, current.state
            )));
        }
        let purpose = text("purpose", &ask.purpose, "the purpose the data would serve")?;
        let reasons = text("reasons", &ask.reasons, "the reasons the further use is necessary")?;
        let recipient = match (ask.kind, ask.recipient) {
            (FurtherUseKind::Transfer, Some((country, body))) => Some(FurtherUseRecipient {
                country: CountryCode::parse(country.trim())
                    .map_err(|e| Error::invalid("invalid_further_use", "recipient_country", e.to_string()))?,
                body: text("recipient_body", &body, "the body that would receive the data")?,
            }),
            (FurtherUseKind::Transfer, None) => {
                return Err(Error::invalid(
                    "invalid_further_use",
                    "recipient_country",
                    "a transfer names its recipient: its country and its body",
                ));
            }
            (FurtherUseKind::Purpose, Some(_)) => {
                return Err(Error::invalid(
                    "invalid_further_use",
                    "recipient_country",
                    "another purpose has no recipient; to pass the data on, ask for a transfer",
                ));
            }
            (FurtherUseKind::Purpose, None) => None,
        };
        let number = u32::try_from(self.further_uses_of(id).await?.len() + 1)
            .map_err(|_| Error::conflict("this request has too many asks for further use"))?;
        let now = Utc::now().trunc_subsecs(6);
        let asked = FurtherUseAsked { request: id, ask: number, kind: ask.kind, purpose, recipient, reasons };
        let entry = NewEntry {
            party: Some(current.authority.clone()),
            ..NewEntry::new(now, caller.actor(), Fact::FurtherUseAsked(asked.clone()))
        };
        let kept = self
            .store()
            .act(&Act { request_id: id, at: now, facts: vec![entry], clocks: Vec::new(), closes: None })
            .await?;
        Ok(FurtherUse {
            asked,
            asked_at: now,
            asked_log_index: kept.first().and_then(|e| e.log_index),
            decision: None,
            uses: Vec::new(),
        })
    }

    /// The reviewer body assigned to the request grants or refuses an ask, with its
    /// reasoning; once.
    pub async fn decide_further_use(
        &self,
        caller: &Caller,
        id: RequestId,
        ask: u32,
        granted: bool,
        conditions: Option<&str>,
        reasoning: &str,
    ) -> Result<FurtherUse> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::DecideFurtherUse, &facts)?;
        let mut asked = self.further_use(id, ask).await?;
        if asked.decision.is_some() {
            return Err(Error::conflict(format!("ask {ask} for further use was answered already")));
        }
        let reasoning = text("reasoning", reasoning, "the reasons for the answer")?;
        let conditions = match conditions.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) if !granted => {
                return Err(Error::invalid(
                    "invalid_further_use",
                    "conditions",
                    format!("a refusal has no conditions (given: {c:?}); put them in the reasoning"),
                ));
            }
            Some(c) => Some(text("conditions", c, "the conditions")?),
            None => None,
        };
        let Some(Party::Reviewer(body)) = self.party(caller.org()).await? else {
            return Err(Error::Forbidden(
                "only the reviewer body assigned to the request answers".to_owned(),
            ));
        };
        let now = Utc::now().trunc_subsecs(6);
        let decision = FurtherUseDecided { request: id, ask, by: body.id, granted, conditions, reasoning };
        let entry = NewEntry {
            party: Some(current.authority.clone()),
            ..NewEntry::new(now, caller.actor(), Fact::FurtherUseDecided(decision.clone()))
        };
        let kept = self
            .store()
            .act(&Act { request_id: id, at: now, facts: vec![entry], clocks: Vec::new(), closes: None })
            .await?;
        asked.decision =
            Some(Decided { decision, at: now, log_index: kept.first().and_then(|e| e.log_index) });
        Ok(asked)
    }

    /// The authority records a use it made under a granted ask; refused without one.
    pub async fn record_further_use(
        &self,
        caller: &Caller,
        id: RequestId,
        ask: u32,
        note: &str,
    ) -> Result<FurtherUse> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::RecordFurtherUse, &facts)?;
        let mut asked = self.further_use(id, ask).await?;
        let what = match asked.asked.kind {
            FurtherUseKind::Purpose => "use for another purpose",
            FurtherUseKind::Transfer => "onward transfer",
        };
        match &asked.decision {
            None => {
                return Err(Error::conflict(format!(
                    "ask {ask} is not answered yet: without consent, the purpose the data was produced for stands as \
                     the only one, and this {what} may not be made"
                )));
            }
            Some(Decided { decision, .. }) if !decision.granted => {
                return Err(Error::conflict(format!(
                    "ask {ask} was refused by {}: this {what} may not be made",
                    decision.by
                )));
            }
            Some(_) => {}
        }
        let note = text("note", note, "what was done (such as the transfer's reference)")?;
        let now = Utc::now().trunc_subsecs(6);
        let used = FurtherUseRecorded { request: id, ask, note };
        let entry = NewEntry {
            party: Some(current.authority.clone()),
            ..NewEntry::new(now, caller.actor(), Fact::FurtherUseRecorded(used.clone()))
        };
        let kept = self
            .store()
            .act(&Act { request_id: id, at: now, facts: vec![entry], clocks: Vec::new(), closes: None })
            .await?;
        asked.uses.push((used, now, kept.first().and_then(|e| e.log_index)));
        Ok(asked)
    }

    /// The answer to an ask, as a statement signed with the log's key (a C2SP signed note):
    /// what was asked, the answer and its conditions, who answered, when, and the answer's
    /// audit-log entry. The reasons and the reasoning stay in the journal: the statement
    /// is for showing to whoever receives the data.
    pub async fn further_use_answer(&self, caller: &Caller, id: RequestId, ask: u32) -> Result<Vec<u8>> {
        self.visible(caller, id).await?;
        let asked = self.further_use(id, ask).await?;
        let Some(Decided { decision, at, log_index }) = &asked.decision else {
            return Err(Error::conflict(format!("ask {ask} for further use is not answered yet")));
        };
        let Some(key) = &self.settings().log_key else {
            return Err(Error::Unavailable {
                code: "no_log_key",
                message:
                    "this comity has no log key to sign statements with; start the server with its data \
                          directory"
                        .to_owned(),
                retry_after: None,
                cause: None,
            });
        };
        let mut text = format!("{ANSWER_HEADER}\n");
        text += &line("request", &id.to_string());
        text += &line("ask", &ask.to_string());
        text += &line("kind", asked.asked.kind.as_str());
        text += &line("purpose", &asked.asked.purpose);
        if let Some(r) = &asked.asked.recipient {
            text += &line("recipient", &format!("{} {}", r.country, r.body));
        }
        text += &line("answer", if decision.granted { "granted" } else { "refused" });
        if let Some(c) = &decision.conditions {
            text += &line("conditions", c);
        }
        text += &line("by", decision.by.as_str());
        text += &line("at", &at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        if let Some(index) = log_index {
            text += &line("log-entry", &index.to_string());
        }
        key.sign_statement(&text).map_err(Error::internal)
    }

    /// Grants and refusals of further use decided in `[from, to)`, by kind: figures for the
    /// transparency reports, from the journal, which the log commits to. For whoever may
    /// read the aggregates.
    pub async fn further_use_counts(
        &self,
        caller: &Caller,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<FurtherUseCounts> {
        self.require(caller, &Action::ReadAggregates, &comity_access::On::Aggregates)?;
        if from >= to {
            return Err(Error::invalid("invalid_period", "to", "the period's end comes after its start"));
        }
        let store = self.store();
        let asked = store.journal(&JournalQuery::kinds(&[FactKind::FurtherUseAsked])).await?;
        let decided = store.journal(&JournalQuery::kinds(&[FactKind::FurtherUseDecided])).await?;
        let mut counts = FurtherUseCounts::default();
        for entry in decided.iter().filter(|e| e.at >= from && e.at < to) {
            let Fact::FurtherUseDecided(d) = &entry.fact else { continue };
            let kind = asked.iter().find_map(|a| match &a.fact {
                Fact::FurtherUseAsked(a) if a.request == d.request && a.ask == d.ask => Some(a.kind),
                _ => None,
            });
            let tally = match kind {
                Some(FurtherUseKind::Purpose) => &mut counts.purpose,
                Some(FurtherUseKind::Transfer) => &mut counts.transfer,
                None => {
                    return Err(Error::corrupt(format!(
                        "an answer for ask {} of {} has no ask",
                        d.ask, d.request
                    )));
                }
            };
            if d.granted {
                tally.granted += 1;
            } else {
                tally.refused += 1;
            }
        }
        Ok(counts)
    }
}
