//! The statistics of Regulation (EU) 2023/1543 Art 28 (issue 16, item 5), for an issuing or
//! an enforcing authority and a year, from what comity holds: European Production and
//! Preservation Orders by type, data category, addressee and emergency; executed or not;
//! the notifications to the enforcing authority (Art 8) and the refusals by ground
//! (Art 12); the average time from the order to the data. Member States send them to the
//! Commission each year by 31 March (Art 28(2), (confirm)): the answer says when they are
//! due for the year asked.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use comity_access::Action;
use comity_core::{
    Fact, FactKind, Instrument, JournalQuery, Party, PartyId, RequestKind, RequestQuery, ReviewerKind, State,
};
use comity_wire::parse_request;

use crate::{App, Caller, Error, Result};

/// Whose statistics: the orders an authority issued, or those notified to it as the
/// enforcing authority (Art 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Issuing,
    Enforcing,
}

/// Art 28's figures for one authority and one year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Art28 {
    pub year: i32,
    /// When they are due to the Commission: 31 March of the next year.
    pub due: NaiveDate,
    /// EPOCs (production) and EPOC-PRs (preservation).
    pub by_type: BTreeMap<String, u64>,
    /// By data category asked for (an order counts once in each); `unknown` once its
    /// document was shredded.
    pub by_data_category: BTreeMap<String, u64>,
    /// By service provider addressed.
    pub by_addressee: BTreeMap<String, u64>,
    pub emergency: u64,
    /// Executed (data delivered, or preserved), not executed (rejected, withdrawn, closed
    /// without data), still open.
    pub executed: u64,
    pub not_executed: u64,
    pub open: u64,
    /// Orders notified to an enforcing authority (Art 8).
    pub notifications: u64,
    /// Grounds for refusal raised (Art 12), by ground.
    pub refusals_by_ground: BTreeMap<String, u64>,
    /// From the order's receipt to the data's delivery, over the orders executed by a
    /// delivery, in days; `None` without one.
    pub average_days_to_data: Option<f64>,
}

impl App {
    /// Art 28's statistics of `authority` for `year`, as an issuing or an enforcing
    /// authority: for that authority's own people and systems, and for whoever may read
    /// the aggregates.
    pub async fn art28_statistics(
        &self,
        caller: &Caller,
        authority: &str,
        role: Role,
        year: i32,
    ) -> Result<Art28> {
        let authority = PartyId::parse(authority.trim())
            .map_err(|e| Error::invalid("invalid_statistics", "authority", e.to_string()))?;
        if caller.org() != &authority {
            self.require(caller, &Action::ReadAggregates, &comity_access::On::Aggregates)?;
        }
        // e-Evidence orders exist from 2026 (Art 34(2)); any later year may be asked.
        check_year("invalid_statistics", year)?;
        let (Some(start), Some(end), Some(due)) = (
            Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single(),
            Utc.with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0).single(),
            NaiveDate::from_ymd_opt(year + 1, 3, 31),
        ) else {
            return Err(Error::invalid("invalid_statistics", "year", "give a year such as 2027"));
        };
        let store = self.store();
        if self.party(&authority).await?.is_none() {
            return Err(Error::NotFound(format!("no party {authority} is registered")));
        }
        // The orders in scope: issued by the authority, or notified to it.
        let query = match role {
            Role::Issuing => RequestQuery { authority: Some(authority.clone()), ..RequestQuery::every(1, 1) },
            Role::Enforcing => {
                RequestQuery { reviewer: Some(authority.clone()), ..RequestQuery::every(1, 1) }
            }
        };
        let requests: Vec<_> = self
            .every_request(query)
            .await?
            .into_iter()
            .filter(|r| {
                r.instrument == Instrument::EuEEvidence && r.received_at >= start && r.received_at < end
            })
            .collect();
        let mut out = Art28 { year, due, ..Art28::default() };
        let mut days: Vec<f64> = Vec::new();
        let mut enforcing: BTreeMap<PartyId, bool> = BTreeMap::new();
        for r in &requests {
            let kind = match r.kind {
                RequestKind::Production => "epoc",
                RequestKind::Preservation => "epoc_pr",
            };
            *out.by_type.entry(kind.into()).or_default() += 1;
            *out.by_addressee.entry(r.provider.to_string()).or_default() += 1;
            out.emergency += u64::from(r.emergency);
            match parse_request(r.document.as_bytes()) {
                Ok((_, doc)) => {
                    for c in &doc.data_categories {
                        *out.by_data_category.entry(c.to_string()).or_default() += 1;
                    }
                }
                Err(_) => *out.by_data_category.entry("unknown".into()).or_default() += 1,
            }
            let events = store.events(r.id).await?;
            let delivered = events.iter().find(|e| e.to == State::Delivered).map(|e| e.at);
            match (r.state, delivered) {
                (_, Some(at)) => {
                    out.executed += 1;
                    days.push(span_days(r.received_at, at));
                }
                (State::Preserved, None) => out.executed += 1,
                (State::Closed, None) if events.iter().any(|e| e.to == State::Preserved) => out.executed += 1,
                (State::Rejected | State::Withdrawn | State::Closed, None) => out.not_executed += 1,
                _ => out.open += 1,
            }
            let facts = store
                .journal(
                    &JournalQuery::kinds(&[FactKind::ReviewerAssigned, FactKind::GroundsRaised])
                        .request(r.id),
                )
                .await?;
            let mut notified = false;
            for f in &facts {
                match &f.fact {
                    Fact::ReviewerAssigned(a) => {
                        let is_enforcing = match enforcing.get(&a.reviewer) {
                            Some(e) => *e,
                            None => {
                                let e = matches!(
                                    self.party(&a.reviewer).await?,
                                    Some(Party::Reviewer(body)) if body.kind == ReviewerKind::EnforcingAuthority
                                );
                                enforcing.insert(a.reviewer.clone(), e);
                                e
                            }
                        };
                        notified |= is_enforcing;
                    }
                    Fact::GroundsRaised(g) => {
                        for ground in &g.grounds {
                            *out.refusals_by_ground.entry(ground.clone()).or_default() += 1;
                        }
                    }
                    _ => {}
                }
            }
            out.notifications += u64::from(notified);
        }
        if !days.is_empty() {
            out.average_days_to_data = Some(days.iter().sum::<f64>() / days.len() as f64);
        }
        Ok(out)
    }
}

impl App {
    /// Every request `query`'s filters match, page after page (its `page` and `per_page`
    /// are set here).
    pub(crate) async fn every_request(&self, query: RequestQuery) -> Result<Vec<comity_core::StoredRequest>> {
        const PAGE: u32 = 200;
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let listed =
                self.store().list_requests(&RequestQuery { page, per_page: PAGE, ..query.clone() }).await?;
            let n = listed.items.len();
            out.extend(listed.items);
            if n < PAGE as usize {
                return Ok(out);
            }
            page += 1;
        }
    }
}

/// The years whose statistics and evaluation cycles may be asked for. The last is 9998: a
/// year's end and Art 28's due date fall in the next, and every date comity writes has
/// four digits of year (RFC 3339, ISO 8601 without expansion).
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=9998;

/// `year`, if it is one of [`YEARS`]; or a 422 naming `year` under `code`.
pub(crate) fn check_year(code: &'static str, year: i32) -> Result<()> {
    if YEARS.contains(&year) {
        return Ok(());
    }
    Err(Error::invalid(
        code,
        "year",
        format!("give a year from {} to {}, such as 2027", YEARS.start(), YEARS.end()),
    ))
}

fn span_days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 86_400.0
}
