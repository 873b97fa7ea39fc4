//! Transparency reports from the log (issue 16, items 1–3).
//!
//! A request's classification is logged at intake (`App::classification`, in the
//! screening's transaction); the report of a period is computed from the log's entries up to
//! its latest signed checkpoint by `comity_core::transparency::Tally`, the same computation
//! `comity transparency verify` runs over the public log. comity never publishes a figure it
//! computed another way.

use chrono::{DateTime, Duration, Utc};
use comity_core::transparency::{Classification, Publication, Report, Tally};
use comity_core::{ActorId, CountryCode, Fact, NewEntry, Purpose, Request, RequestId, journal};

use crate::{App, Error, Result};

/// How many log entries are read at once.
const BATCH: u32 = 2_000;

/// The policy pack whose settings say how national-security figures are published.
const NATIONAL_SECURITY_PACK: &str = "national-security";

/// A report, and the signed checkpoint whose tree it was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    pub report: Report,
    /// The log's verifier key, to check the checkpoints of the tree it was computed from.
    pub vkey: Option<String>,
    pub generated_at: DateTime<Utc>,
}

impl App {
    /// A request's classification fact, to log with its screening: shown in its log entry's
    /// kind, or committed only for a national-security request.
    pub(crate) fn classification(&self, id: RequestId, request: &Request, at: DateTime<Utc>) -> NewEntry {
        let class = Classification::new(
            request.kind,
            request.instrument,
            request.issuing.country,
            request.data_categories.clone(),
            request.emergency,
            request.targets.len(),
            request.nondisclosure.as_ref().is_some_and(|n| n.requested),
        );
        let sealed = request.purpose == Purpose::NationalSecurity;
        NewEntry::new(
            at,
            ActorId::system(),
            Fact::RequestClassified(journal::RequestClassified { request: id, class, sealed }),
        )
    }

    /// How figures are published: national-security bands and delay from the
    /// national-security pack's settings (bands of 500, six months, where it sets none),
    /// small cells as the operator set (`--suppress-below`).
    pub fn publication(&self) -> Publication {
        let mut rules =
            Publication { suppress_below: self.settings().suppress_below.max(1), ..Publication::default() };
        if let Some(pack) = self.packs().packs().iter().find(|p| p.id == NATIONAL_SECURITY_PACK) {
            if let Some(band) = pack.settings.transparency_band {
                rules.band = u64::from(band);
            }
            if let Some(days) = pack.settings.transparency_delay_days {
                rules.delay = Duration::days(i64::from(days));
            }
        }
        rules
    }

    /// The report of the requests received in `[from, to)` (of one issuing country, if
    /// given), computed from the log up to its latest signed checkpoint, as at `now`.
    /// Public: it names no one, and every figure is one the public log backs.
    pub async fn transparency_report(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        country: Option<&CountryCode>,
        now: DateTime<Utc>,
    ) -> Result<Computed> {
        if from >= to {
            return Err(Error::invalid("invalid_period", "to", "the period's end comes after its start"));
        }
        let tally = self.tally_to_checkpoint().await?;
        let report = tally.report(from, to, country, &self.publication(), now);
        let vkey = self.settings().log_key.as_ref().map(|k| k.verifier_key().to_owned());
        Ok(Computed { report, vkey, generated_at: now })
    }

    /// An authority's view of the report: the same figures, of the requests `authority`
    /// issued and received in `[from, to)`. The log names no party (issue 12), so this view
    /// is not public: it is for the authority's own people and systems, who hold their
    /// requests' log salts and so can find the same entries in the public log, and for
    /// whoever may read the aggregates.
    pub async fn authority_transparency_report(
        &self,
        caller: &crate::Caller,
        authority: &str,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        now: DateTime<Utc>,
    ) -> Result<Computed> {
        let authority = comity_core::PartyId::parse(authority.trim())
            .map_err(|e| Error::invalid("invalid_period", "authority", e.to_string()))?;
        if caller.org() != &authority {
            self.require(caller, &comity_access::Action::ReadAggregates, &comity_access::On::Aggregates)?;
        }
        if from >= to {
            return Err(Error::invalid("invalid_period", "to", "the period's end comes after its start"));
        }
        if !matches!(self.party(&authority).await?, Some(comity_core::Party::Authority(_))) {
            return Err(Error::NotFound(format!("no authority {authority} is registered")));
        }
        let query = comity_core::RequestQuery {
            authority: Some(authority),
            ..comity_core::RequestQuery::every(1, 1)
        };
        let tags: Vec<String> = self
            .every_request(query)
            .await?
            .iter()
            .map(|r| {
                comity_log::RequestTag::new(&comity_log::Salt(r.log_salt), &r.id.to_string()).to_string()
            })
            .collect();
        let requests = comity_core::transparency::RequestSet::from_tags(tags.iter().map(String::as_str));
        let tally = self.tally_to_checkpoint().await?;
        let report = tally.report_of(from, to, &requests, &self.publication(), now);
        let vkey = self.settings().log_key.as_ref().map(|k| k.verifier_key().to_owned());
        Ok(Computed { report, vkey, generated_at: now })
    }

    /// The tally of the log up to its latest signed checkpoint. The tally kept from the
    /// last call goes on from where it stopped: the log is append-only, so what it read is
    /// still the log's beginning. One call at a time feeds it; the others wait and find it
    /// fed.
    pub(crate) async fn tally_to_checkpoint(&self) -> Result<tokio::sync::MutexGuard<'_, Tally>> {
        let store = self.store();
        let mut tally = self.inner.tally.lock().await;
        let checkpoint = store.latest_checkpoint().await?;
        let size = checkpoint.as_ref().map_or(0, |c| c.size);
        if tally.size() > size {
            // Only a store restored from an older copy has a shorter log: start again.
            *tally = Tally::new();
        }
        while tally.size() < size {
            let want = u32::try_from((size - tally.size()).min(u64::from(BATCH))).unwrap_or(BATCH);
            let records = store.log_records(tally.size(), want).await?;
            if records.is_empty() {
                return Err(Error::corrupt(format!(
                    "the log holds {} entries, but its checkpoint signs {size}",
                    tally.size()
                )));
            }
            for r in records {
                let entry = comity_log::Entry::from_bytes(&r.entry)
                    .map_err(|e| Error::corrupt(format!("log entry {}: {e}", r.index)))?;
                tally.push(entry.kind(), entry.time(), entry.request());
            }
        }
        Ok(tally)
    }
}
