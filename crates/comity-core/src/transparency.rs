//! Transparency reports anyone can recompute from the public log (issue 16; the seed asks
//! governments to "publish annual summaries detailing the number, purpose, and outcome of
//! data requests received from abroad").
//!
//! Each request's non-personal classification is logged at intake, in the kind of a log
//! entry that carries the request's tag ([`Classification::log_kind`]):
//!
//! ```text
//! classified.production.eu-e-evidence.FR.subscriber+traffic.ordinary.2.nondisclosure
//! ```
//!
//! (its kind, instrument, issuing country, data categories, emergency or ordinary, the
//! number of accounts specified, and whether the authority asked for nondisclosure). A
//! national-security request's classification is committed instead ([`SEALED_KIND`]): the
//! entry's commitment covers it, and its figures are published only in bands, after a delay.
//!
//! Everything else a report counts is already public in the log's entry kinds, by request
//! tag: the receipt (`lifecycle.received`, whose time places the request in a period), each
//! move (`lifecycle.<state>`: the outcome, clarifications, appeals), the notices sent to the
//! persons concerned (`person_notice.sent`) and the remedy cases (`remedy.opened`). So one
//! pure computation, [`Tally`], fed the log's entries in order, gives the report; comity
//! publishes what it computes from its own log, and `comity transparency verify` computes
//! the same from the public log and compares. A figure is never published that the log
//! cannot back.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::{CountryCode, DataCategory, Instrument, RequestKind};

/// The log kind of a national-security request's classification: committed, not shown.
pub const SEALED_KIND: &str = "classified.sealed";

/// The prefix of every classification's log kind.
const PREFIX: &str = "classified.";

/// A request's non-personal classification, as its log entry shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Classification {
    pub kind: RequestKind,
    pub instrument: Instrument,
    pub country: CountryCode,
    /// Sorted, without duplicates.
    pub categories: Vec<DataCategory>,
    pub emergency: bool,
    /// The accounts (targets) the request specifies.
    pub accounts: u32,
    /// Whether the authority asked that the person not be told for a time.
    pub nondisclosure: bool,
}

/// The most accounts a classification states; more are stated as this many (a request
/// naming so many is refused by every pack long before).
pub const MAX_ACCOUNTS: u32 = 9_999;

impl Classification {
    /// The classification, its categories sorted and deduplicated, its accounts capped.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: RequestKind,
        instrument: Instrument,
        country: CountryCode,
        mut categories: Vec<DataCategory>,
        emergency: bool,
        accounts: usize,
        nondisclosure: bool,
    ) -> Classification {
        categories.sort_by_key(|c| c.as_str());
        categories.dedup();
        Classification {
            kind,
            instrument,
            country,
            categories,
            emergency,
            accounts: u32::try_from(accounts).unwrap_or(MAX_ACCOUNTS).min(MAX_ACCOUNTS),
            nondisclosure,
        }
    }

    /// The log entry's kind: `classified.` and the fields, dot-separated (at most 128
    /// printable characters without spaces, as every kind).
    pub fn log_kind(&self) -> String {
        let categories: Vec<&str> = self.categories.iter().map(|c| c.as_str()).collect();
        format!(
            "{PREFIX}{}.{}.{}.{}.{}.{}.{}",
            self.kind,
            self.instrument,
            self.country,
            if categories.is_empty() { "none".to_owned() } else { categories.join("+") },
            if self.emergency { "emergency" } else { "ordinary" },
            self.accounts,
            if self.nondisclosure { "nondisclosure" } else { "open" },
        )
    }

    /// Reads a classification's log kind; `None` for any other kind, and for
    /// [`SEALED_KIND`].
    pub fn parse_log_kind(kind: &str) -> Option<Classification> {
        let rest = kind.strip_prefix(PREFIX)?;
        let mut fields = rest.split('.');
        let request_kind = RequestKind::parse(fields.next()?)?;
        let instrument = Instrument::parse(fields.next()?)?;
        let country = CountryCode::parse(fields.next()?).ok()?;
        let categories = match fields.next()? {
            "none" => Vec::new(),
            list => list.split('+').map(DataCategory::parse).collect::<Option<Vec<_>>>()?,
        };
        let emergency = match fields.next()? {
            "emergency" => true,
            "ordinary" => false,
            _ => return None,
        };
        let accounts: u32 = fields.next()?.parse().ok().filter(|n| *n <= MAX_ACCOUNTS)?;
        let nondisclosure = match fields.next()? {
            "nondisclosure" => true,
            "open" => false,
            _ => return None,
        };
        if fields.next().is_some() {
            return None;
        }
        let parsed = Classification::new(
            request_kind,
            instrument,
            country,
            categories,
            emergency,
            accounts as usize,
            nondisclosure,
        );
        // One encoding only: what was read must be what is written.
        (parsed.log_kind() == kind).then_some(parsed)
    }
}

crate::vocabulary::vocabulary! {
    /// How a request ended, as the report counts it.
    Outcome {
        /// Data was delivered (some data produced), even if the request was withdrawn after.
        Produced = "produced",
        /// Closed without data delivered: none found, or none due.
        NoneProduced = "none",
        /// A preservation carried out.
        Preserved = "preserved",
        Rejected = "rejected",
        /// Withdrawn before any data was delivered.
        Withdrawn = "withdrawn",
        /// Not ended yet.
        Pending = "pending",
    }
}

crate::vocabulary::vocabulary! {
    /// How an appeal was decided: the second body's decision after `appealed`.
    AppealOutcome {
        Approved = "approved",
        PartiallyApproved = "partially_approved",
        Rejected = "rejected",
        /// The request was withdrawn before the second body decided.
        Withdrawn = "withdrawn",
        Pending = "pending",
    }
}

/// The moves that decide a request's outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Last {
    #[default]
    Other,
    Rejected,
    Withdrawn,
    Preserved,
    Closed,
}

/// What the log says of one request (by its tag), as far as it was read. Kept small: a
/// report reads every request of the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Seen {
    received: Option<DateTime<Utc>>,
    /// The latest classification, as an index into [`Tally`]'s distinct ones; `None` with
    /// `sealed` for a national-security request.
    class: Option<u32>,
    sealed: bool,
    delivered: bool,
    last: Last,
    clarifications: u32,
    notices_sent: u32,
    /// Reviewers' decisions that the notice to a person concerned is delayed, or barred.
    notices_delayed: u32,
    notices_barred: u32,
    remedies: u32,
    appeals: Vec<AppealOutcome>,
}

/// A request tag as a map key: its 44 characters of base64, without a heap allocation
/// (longer request fields, of entries from before issue 12, are hashed down to it).
type Key = [u8; 44];

fn key_of(tag: &str) -> Key {
    let mut key = [0u8; 44];
    let bytes = tag.as_bytes();
    if bytes.len() <= key.len() {
        key[..bytes.len()].copy_from_slice(bytes);
    } else {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        tag.hash(&mut h);
        key[..8].copy_from_slice(&h.finish().to_le_bytes());
        key[43] = 0xff;
    }
    key
}

/// Some requests, by the tags their log entries name them by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestSet(std::collections::HashSet<Key>);

impl RequestSet {
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> RequestSet {
        RequestSet(tags.into_iter().map(key_of).collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The figures of the log's requests, fed entry by entry in log order
/// ([`Tally::push`]), then reported for a period ([`Tally::report`]).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    requests: HashMap<Key, Seen>,
    /// The distinct classifications seen, and their log kinds' places in it.
    classes: Vec<Classification>,
    class_of: HashMap<String, u32>,
    /// Entries read.
    size: u64,
}

impl Tally {
    pub fn new() -> Tally {
        Tally::default()
    }

    /// How many entries were read.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Reads one log entry: its kind, its time and its request tag (entries of no request
    /// are counted in the size only).
    pub fn push(&mut self, kind: &str, time: DateTime<Utc>, request: Option<&str>) {
        self.size += 1;
        let Some(tag) = request else { return };
        let relevant = kind.starts_with("lifecycle.")
            || kind.starts_with(PREFIX)
            || kind == "person_notice.sent"
            || kind.starts_with("person_notice.decided.")
            || kind == "remedy.opened";
        if !relevant {
            return;
        }
        let class = match kind.strip_prefix(PREFIX) {
            Some(_) if kind == SEALED_KIND => None,
            Some(_) => match self.class_of.get(kind) {
                Some(i) => Some(*i),
                None => match Classification::parse_log_kind(kind) {
                    Some(parsed) => {
                        let i = u32::try_from(self.classes.len()).unwrap_or(u32::MAX);
                        self.classes.push(parsed);
                        self.class_of.insert(kind.to_owned(), i);
                        Some(i)
                    }
                    // Not a classification this version reads: as if absent.
                    None => return,
                },
            },
            None => None,
        };
        let seen = self.requests.entry(key_of(tag)).or_default();
        if kind == SEALED_KIND {
            seen.sealed = true;
            seen.class = None;
        } else if class.is_some() {
            seen.sealed = false;
            seen.class = class;
        } else if let Some(state) = kind.strip_prefix("lifecycle.") {
            match state {
                "received" => {
                    seen.received.get_or_insert(time);
                }
                "clarification_requested" => seen.clarifications += 1,
                "delivered" => seen.delivered = true,
                "appealed" => seen.appeals.push(AppealOutcome::Pending),
                _ => {}
            }
            if let Some(last) = seen.appeals.last_mut().filter(|a| **a == AppealOutcome::Pending) {
                *last = match state {
                    "approved" => AppealOutcome::Approved,
                    "partially_approved" => AppealOutcome::PartiallyApproved,
                    "rejected" => AppealOutcome::Rejected,
                    "withdrawn" => AppealOutcome::Withdrawn,
                    _ => AppealOutcome::Pending,
                };
            }
            seen.last = match state {
                "rejected" => Last::Rejected,
                "withdrawn" => Last::Withdrawn,
                "preserved" => Last::Preserved,
                "closed" => Last::Closed,
                _ => Last::Other,
            };
        } else if kind == "person_notice.sent" {
            seen.notices_sent += 1;
        } else if kind == "person_notice.decided.delayed" {
            seen.notices_delayed += 1;
        } else if kind == "person_notice.decided.barred" {
            seen.notices_barred += 1;
        } else if kind == "remedy.opened" {
            seen.remedies += 1;
        }
    }

    /// The report of the requests received in `[from, to)`, as the entries read so far
    /// leave them; national-security figures in bands of `rules.band`, published only once
    /// `rules.delay` has passed since the period's end (at `now`).
    pub fn report(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        country: Option<&CountryCode>,
        rules: &Publication,
        now: DateTime<Utc>,
    ) -> Report {
        self.compute(from, to, country, None, rules, now)
    }

    /// The same report, of only the requests of `requests`: an authority's view, which
    /// whoever holds its requests' log salts can recompute (the log names no party).
    pub fn report_of(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        requests: &RequestSet,
        rules: &Publication,
        now: DateTime<Utc>,
    ) -> Report {
        self.compute(from, to, None, Some(requests), rules, now)
    }

    fn compute(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        country: Option<&CountryCode>,
        only: Option<&RequestSet>,
        rules: &Publication,
        now: DateTime<Utc>,
    ) -> Report {
        let mut report = Report { from, to, log_size: self.size, ..Report::default() };
        let mut breakdowns: BTreeMap<&'static str, BTreeMap<String, u64>> = BTreeMap::new();
        let mut add = |name: &'static str, key: &str| {
            *breakdowns.entry(name).or_default().entry(key.to_owned()).or_default() += 1;
        };
        let mut sealed = 0u64;
        for (key, seen) in &self.requests {
            if !seen.received.is_some_and(|t| t >= from && t < to) || only.is_some_and(|o| !o.0.contains(key))
            {
                continue;
            }
            if seen.sealed {
                // A national-security request's country is committed too: it counts in
                // the banded figure of every view, as one the view cannot place.
                sealed += 1;
                continue;
            }
            let Some(class) = seen.class.and_then(|i| self.classes.get(i as usize)) else {
                // Received before classifications were logged (before issue 16): counted
                // as such, so the totals still match the receipts.
                report.unclassified += 1;
                continue;
            };
            if country.is_some_and(|c| *c != class.country) {
                continue;
            }
            let t = &mut report.totals;
            t.requests += 1;
            t.accounts += u64::from(class.accounts);
            t.emergency += u64::from(class.emergency);
            t.nondisclosure += u64::from(class.nondisclosure);
            t.clarifications += u64::from(seen.clarifications);
            t.notices_sent += u64::from(seen.notices_sent);
            t.notices_delayed += u64::from(seen.notices_delayed);
            t.notices_barred += u64::from(seen.notices_barred);
            t.remedies += u64::from(seen.remedies);
            add("issuing_country", class.country.as_str());
            add("instrument", class.instrument.as_str());
            add("kind", class.kind.as_str());
            for c in &class.categories {
                add("data_category", c.as_str());
            }
            add("emergency", if class.emergency { "emergency" } else { "ordinary" });
            add("outcome", outcome(seen, class.kind).as_str());
            for a in &seen.appeals {
                add("appeal_outcome", a.as_str());
            }
        }
        report.breakdowns = breakdowns
            .into_iter()
            .map(|(name, rows)| Breakdown {
                name,
                rows: rows
                    .into_iter()
                    .map(|(key, n)| Row { key, requests: (n >= rules.suppress_below).then_some(n) })
                    .collect(),
            })
            .collect();
        let available_from = to + rules.delay;
        report.national_security = NationalSecurity {
            band: rules.band,
            delay_days: rules.delay.num_days(),
            available_from,
            requests: (now >= available_from).then(|| Band::of(sealed, rules.band)),
        };
        report
    }
}

impl Tally {
    /// The fine breakdown of the requests received in `[from, to)`: each request counts
    /// once in the cell of its issuing country, outcome and each data category it asks for
    /// (in the `None` category when it names none). Exact, so never published as such:
    /// only with noise, by a differential-privacy release ([`crate::privacy`]).
    /// National-security requests are left out, as from every exact figure.
    pub fn fine(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> BTreeMap<Cell, u64> {
        let mut cells = BTreeMap::new();
        for seen in self.requests.values() {
            if seen.sealed || !seen.received.is_some_and(|t| t >= from && t < to) {
                continue;
            }
            let Some(class) = seen.class.and_then(|i| self.classes.get(i as usize)) else { continue };
            let outcome = outcome(seen, class.kind);
            let categories: Vec<Option<DataCategory>> = if class.categories.is_empty() {
                vec![None]
            } else {
                class.categories.iter().copied().map(Some).collect()
            };
            for category in categories {
                *cells.entry(Cell { country: class.country, category, outcome }).or_default() += 1;
            }
        }
        cells
    }
}

/// A cell of the fine breakdown: requests of one issuing country, asking for one data
/// category (`None`: a request that names none), that ended one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    pub country: CountryCode,
    pub category: Option<DataCategory>,
    pub outcome: Outcome,
}

/// How a request ended, from its moves.
fn outcome(seen: &Seen, kind: RequestKind) -> Outcome {
    if seen.delivered {
        return Outcome::Produced;
    }
    match seen.last {
        Last::Rejected => Outcome::Rejected,
        Last::Withdrawn => Outcome::Withdrawn,
        Last::Preserved => Outcome::Preserved,
        Last::Closed if kind == RequestKind::Preservation => Outcome::Preserved,
        Last::Closed => Outcome::NoneProduced,
        Last::Other => Outcome::Pending,
    }
}

/// How figures are published: national-security figures in bands, after a delay; small
/// cells suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publication {
    /// The width of a national-security band (50 U.S.C. § 1874(a) offers 1000, 500, 250 or
    /// 100 (confirm)).
    pub band: u64,
    /// How long after a period's end its national-security figures are published.
    pub delay: Duration,
    /// A breakdown's cell with fewer requests than this is published as suppressed (1:
    /// none is).
    pub suppress_below: u64,
}

/// The default band width and delay, for a pack that sets none: bands of 500, six months.
pub const DEFAULT_BAND: u64 = 500;
pub const DEFAULT_DELAY_DAYS: i64 = 180;

impl Default for Publication {
    fn default() -> Self {
        Publication { band: DEFAULT_BAND, delay: Duration::days(DEFAULT_DELAY_DAYS), suppress_below: 1 }
    }
}

/// A band of national-security figures: `[lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    pub lower: u64,
    pub upper: u64,
}

impl Band {
    /// The band of width `width` that holds `n` (`0–499` for 0 to 499 with bands of 500).
    pub fn of(n: u64, width: u64) -> Band {
        let width = width.max(1);
        let lower = n / width * width;
        Band { lower, upper: lower + width - 1 }
    }
}

impl std::fmt::Display for Band {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.lower, self.upper)
    }
}

/// The report of a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The log entries it was computed from: the first `log_size`.
    pub log_size: u64,
    pub totals: Totals,
    /// Requests received in the period before classifications were logged.
    pub unclassified: u64,
    pub breakdowns: Vec<Breakdown>,
    pub national_security: NationalSecurity,
}

/// The period's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub requests: u64,
    pub accounts: u64,
    pub emergency: u64,
    pub nondisclosure: u64,
    pub clarifications: u64,
    pub notices_sent: u64,
    /// Reviewers' decisions to delay, or to bar, the notice to a person concerned.
    pub notices_delayed: u64,
    pub notices_barred: u64,
    pub remedies: u64,
}

/// One breakdown: requests by one property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    /// `issuing_country`, `instrument`, `kind`, `data_category` (a request counts once in
    /// each of its categories), `emergency`, `outcome`, `appeal_outcome` (one per appeal).
    pub name: &'static str,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: String,
    /// `None` when suppressed (below [`Publication::suppress_below`]).
    pub requests: Option<u64>,
}

/// The national-security figures: banded, and only after the delay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NationalSecurity {
    pub band: u64,
    pub delay_days: i64,
    pub available_from: DateTime<Utc>,
    /// The band of requests received in the period; `None` until `available_from`.
    pub requests: Option<Band>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn t(day: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2027-01-{day:02}T10:00:00Z")).unwrap().with_timezone(&Utc)
    }

    fn class(country: &str, emergency: bool) -> Classification {
        Classification::new(
            RequestKind::Production,
            Instrument::EuEEvidence,
            CountryCode::parse(country).unwrap(),
            vec![DataCategory::Traffic, DataCategory::Subscriber, DataCategory::Traffic],
            emergency,
            2,
            true,
        )
    }

    #[test]
    fn a_classification_reads_back_from_its_kind_in_one_encoding() {
        let c = class("FR", false);
        let kind = c.log_kind();
        assert_eq!(
            kind,
            "classified.production.eu-e-evidence.FR.subscriber+traffic.ordinary.2.nondisclosure"
        );
        assert!(kind.len() <= 128);
        assert_eq!(Classification::parse_log_kind(&kind), Some(c));
        for other in [
            "classified.production.eu-e-evidence.FR.traffic+subscriber.ordinary.2.nondisclosure",
            "classified.production.eu-e-evidence.FR.subscriber+traffic.ordinary.02.nondisclosure",
            "classified.production.eu-e-evidence.FR.subscriber+traffic.ordinary.2.nondisclosure.x",
            "classified.production.eu-e-evidence.fr.subscriber+traffic.ordinary.2.nondisclosure",
            SEALED_KIND,
            "lifecycle.received",
        ] {
            assert_eq!(Classification::parse_log_kind(other), None, "{other}");
        }
        let widest = Classification::new(
            RequestKind::Preservation,
            Instrument::EuEEvidence,
            CountryCode::parse("FR").unwrap(),
            DataCategory::ALL.to_vec(),
            true,
            usize::MAX,
            true,
        );
        assert!(widest.log_kind().len() <= 128, "{}", widest.log_kind());
        assert_eq!(widest.accounts, MAX_ACCOUNTS);
    }

    #[test]
    fn figures_follow_the_entries_and_the_period() {
        let mut tally = Tally::new();
        let feed = |tally: &mut Tally, tag: &str, kinds: &[(&str, u32)]| {
            for (kind, day) in kinds {
                tally.push(kind, t(*day), Some(tag));
            }
        };
        let fr = class("FR", false).log_kind();
        let de = class("DE", true).log_kind();
        feed(
            &mut tally,
            "a",
            &[
                ("lifecycle.received", 2),
                (&fr, 2),
                ("lifecycle.delivered", 5),
                ("person_notice.decided.delayed", 5),
                ("person_notice.sent", 6),
            ],
        );
        feed(
            &mut tally,
            "b",
            &[
                ("lifecycle.received", 3),
                (&de, 3),
                ("lifecycle.clarification_requested", 4),
                ("lifecycle.approved", 5),
                ("lifecycle.appealed", 6),
                ("lifecycle.rejected", 7),
            ],
        );
        feed(&mut tally, "c", &[("lifecycle.received", 3), (SEALED_KIND, 3)]);
        feed(&mut tally, "d", &[("lifecycle.received", 20), (&fr, 20)]);
        tally.push("log.checkpoint", t(21), None);
        let rules = Publication { band: 250, delay: Duration::days(10), suppress_below: 1 };
        let report = tally.report(t(1), t(15), None, &rules, t(20));
        assert_eq!(report.totals.requests, 2);
        assert_eq!(report.totals.accounts, 4);
        assert_eq!((report.totals.emergency, report.totals.clarifications), (1, 1));
        assert_eq!(report.totals.notices_sent, 1);
        assert_eq!((report.totals.notices_delayed, report.totals.notices_barred), (1, 0));
        let rows = |name: &str| -> Vec<(String, Option<u64>)> {
            report
                .breakdowns
                .iter()
                .find(|b| b.name == name)
                .map(|b| b.rows.iter().map(|r| (r.key.clone(), r.requests)).collect())
                .unwrap_or_default()
        };
        assert_eq!(rows("outcome"), vec![("produced".into(), Some(1)), ("rejected".into(), Some(1))]);
        assert_eq!(rows("appeal_outcome"), vec![("rejected".into(), Some(1))]);
        assert_eq!(rows("data_category"), vec![("subscriber".into(), Some(2)), ("traffic".into(), Some(2))]);
        // Before the delay, no national-security figure; after it, its band.
        assert_eq!(report.national_security.requests, None);
        let later = tally.report(t(1), t(15), None, &rules, t(25));
        assert_eq!(later.national_security.requests, Some(Band { lower: 0, upper: 249 }));
        // A country's view; a small cell suppressed.
        let fr_only = tally.report(t(1), t(15), Some(&CountryCode::parse("FR").unwrap()), &rules, t(20));
        assert_eq!(fr_only.totals.requests, 1);
        // An authority's view: its requests only, its national-security ones in its band.
        let mine = tally.report_of(t(1), t(15), &RequestSet::from_tags(["b", "c"]), &rules, t(25));
        assert_eq!((mine.totals.requests, mine.totals.emergency), (1, 1));
        assert_eq!(mine.national_security.requests, Some(Band { lower: 0, upper: 249 }));
        let none = tally.report_of(t(1), t(15), &RequestSet::default(), &rules, t(25));
        assert_eq!(none.totals.requests, 0);
        let strict = Publication { suppress_below: 2, ..rules };
        let suppressed = tally.report(t(1), t(15), None, &strict, t(20));
        assert!(suppressed.breakdowns.iter().flat_map(|b| &b.rows).any(|r| r.requests.is_none()));
        assert_eq!(suppressed.totals.requests, 2, "totals are never suppressed");
    }

    #[test]
    fn bands_hold_their_figure() {
        assert_eq!(Band::of(0, 500).to_string(), "0-499");
        assert_eq!(Band::of(499, 500).to_string(), "0-499");
        assert_eq!(Band::of(500, 500).to_string(), "500-999");
        assert_eq!(Band::of(7, 250).to_string(), "0-249");
    }
}
