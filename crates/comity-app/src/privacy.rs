//! Differential-privacy releases of the transparency report's fine breakdown (issue 16,
//! item 4): what a release holds, how the budget is kept and why, in `comity_core::privacy`.
//!
//! The noise is OpenDP's: `make_laplace` over the vector of a period's cells, with the L1
//! distance and a sensitivity of `SENSITIVITY`, which samples the discrete Laplace
//! distribution exactly on integers (no floating-point attack on the noise, Mironov 2012).
//! Its privacy map, not our arithmetic, says what ε the scale spends. A release is made
//! once, by the operator, and kept with its figures as a `transparency.released` fact: the
//! public reads that, never a fresh draw.

use chrono::{DateTime, Utc};
use comity_core::privacy::{self, Epsilon, NoiseScale, Released, SENSITIVITY, Spending};
use comity_core::{ActorId, Fact, FactKind, JournalQuery, NewEntry, Party, PartyRole, journal};
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_laplace;
use opendp::measures::MaxDivergence;
use opendp::metrics::L1Distance;

use crate::{App, Error, Result};

/// The confidence the margin beside each noisy figure is stated at: 95 %.
pub const MARGIN_CONFIDENCE: f64 = 0.95;

/// A release, as kept, with what its readers need beside its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PrivateRelease {
    pub release: journal::TransparencyReleased,
    /// When it was made, and its audit-log entry.
    pub released_at: DateTime<Utc>,
    pub log_index: Option<u64>,
    /// The noise is within ± this of the count with at least 95 % probability, for each
    /// cell (OpenDP's `discrete_laplacian_scale_to_accuracy`, floored: the noise is an
    /// integer).
    pub margin: u64,
}

/// The privacy budget and what the releases spent of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// What each request's privacy loss is held to (`--privacy-budget`).
    pub budget: Epsilon,
    pub releases: Vec<PrivateRelease>,
}

impl Budget {
    /// The most a request received in `[from, to)` has spent already.
    pub fn spent(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Epsilon {
        privacy::spent(&spendings(&self.releases), from, to)
    }
}

fn spendings(releases: &[PrivateRelease]) -> Vec<Spending> {
    releases
        .iter()
        .map(|r| Spending { from: r.release.from, to: r.release.to, epsilon: r.release.epsilon })
        .collect()
}

/// The margin at 95 % of discrete Laplace noise of `scale`.
fn margin(scale: f64) -> u64 {
    opendp::accuracy::discrete_laplacian_scale_to_accuracy(scale, 1.0 - MARGIN_CONFIDENCE)
        .map_or(u64::MAX, |a| a.floor().max(0.0) as u64)
}

impl App {
    /// Every release, oldest first, with the budget: public, since every figure in one is
    /// noisy.
    pub async fn private_releases(&self) -> Result<Budget> {
        let entries = self.store().journal(&JournalQuery::kinds(&[FactKind::TransparencyReleased])).await?;
        let mut releases: Vec<PrivateRelease> = entries
            .into_iter()
            .filter_map(|e| match e.fact {
                Fact::TransparencyReleased(r) => Some(PrivateRelease {
                    margin: margin(r.scale.0),
                    release: r,
                    released_at: e.at,
                    log_index: e.log_index,
                }),
                _ => None,
            })
            .collect();
        releases.sort_by_key(|r| r.release.number);
        Ok(Budget { budget: self.settings().privacy_budget, releases })
    }

    /// Release `number`, or not found.
    pub async fn private_release(&self, number: u32) -> Result<PrivateRelease> {
        self.private_releases()
            .await?
            .releases
            .into_iter()
            .find(|r| r.release.number == number)
            .ok_or_else(|| Error::NotFound(format!("there is no release {number}")))
    }

    /// Releases the fine breakdown of the requests received in `[from, to)` with noise
    /// spending `epsilon`, as `actor` at `now`: refused if the period has not ended, or if
    /// a request of it would then have spent more than `budget`.
    pub(crate) async fn release_private_as(
        &self,
        actor: &ActorId,
        period: (DateTime<Utc>, DateTime<Utc>),
        epsilon: Epsilon,
        budget: Epsilon,
        now: DateTime<Utc>,
    ) -> Result<PrivateRelease> {
        let (from, to) = period;
        if from >= to {
            return Err(Error::invalid("invalid_release", "to", "the period's end comes after its start"));
        }
        if to > now {
            return Err(Error::invalid(
                "invalid_release",
                "to",
                format!(
                    "the period ends {}, after now ({}): release a period once it has ended",
                    to.to_rfc3339(),
                    now.to_rfc3339()
                ),
            ));
        }
        // Two releases at once take the same number: the journal keeps one (migration
        // 0028), and the other reads the budget again.
        for _ in 0..3 {
            let releases = self.private_releases().await?;
            let spent = releases.spent(from, to);
            let left = budget.saturating_sub(spent);
            if epsilon > left {
                return Err(Error::Conflict {
                    code: "privacy_budget_spent",
                    message: format!(
                        "a release of epsilon {epsilon} would spend more than the budget ({budget}) on requests received in this period: releases already spent {spent} of it, so at most {left} is left (a smaller epsilon, a period no release covered, or a larger --privacy-budget)"
                    ),
                });
            }
            let number = releases.releases.last().map_or(1, |r| r.release.number + 1);
            let release = self.draw(number, (from, to), epsilon, budget).await?;
            let entry = NewEntry::new(now, actor.clone(), Fact::TransparencyReleased(release));
            match self.store().append_journal(&[entry]).await {
                Ok(_) => return self.private_release(number).await,
                Err(comity_core::StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::conflict("other releases were being made at the same time: try again"))
    }

    /// Draws release `number`: the period's exact cells from the log up to its latest
    /// signed checkpoint, every cell of the register's issuing countries, and OpenDP's
    /// noise.
    async fn draw(
        &self,
        number: u32,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        epsilon: Epsilon,
        budget: Epsilon,
    ) -> Result<journal::TransparencyReleased> {
        let (exact, log_size) = {
            let tally = self.tally_to_checkpoint().await?;
            (tally.fine(from, to), tally.size())
        };
        let authorities = self.store().parties(PartyRole::Authority).await?;
        let countries = authorities.iter().filter_map(|p| match p {
            Party::Authority(a) => Some(a.country),
            _ => None,
        });
        // A request's country is always a registered authority's: its cell is in the
        // domain. (Were one not, it would be left out, never published without noise.)
        let cells = privacy::domain(countries.chain(exact.keys().map(|c| c.country)));
        let counts: Vec<i64> =
            cells.iter().map(|c| exact.get(c).map_or(0, |n| i64::try_from(*n).unwrap_or(i64::MAX))).collect();
        let (scale, noisy) = noise(&counts, epsilon)?;
        Ok(journal::TransparencyReleased {
            number,
            from,
            to,
            epsilon,
            budget,
            sensitivity: SENSITIVITY,
            scale: NoiseScale(scale),
            log_size,
            cells: cells.into_iter().zip(noisy).map(|(cell, requests)| Released { cell, requests }).collect(),
        })
    }
}

/// OpenDP's discrete Laplace mechanism over `counts`, at the smallest scale whose privacy
/// map, for a sensitivity of [`SENSITIVITY`], is at most `epsilon`: the scale, and the
/// noisy counts.
fn noise(counts: &[i64], epsilon: Epsilon) -> Result<(f64, Vec<i64>)> {
    let failed = |e: opendp::error::Error| Error::internal(std::io::Error::other(format!("OpenDP: {e}")));
    let d_in = i64::from(SENSITIVITY);
    let mut scale = privacy::nominal_scale(epsilon);
    // The map rounds up: nudge the scale up a float step at a time until the ε it states is
    // no more than the one the operator stated.
    for _ in 0..64 {
        let measurement = make_laplace::<_, _, MaxDivergence>(
            VectorDomain::new(AtomDomain::<i64>::default()),
            L1Distance::<i64>::default(),
            scale,
            None,
        )
        .map_err(failed)?;
        if measurement.map(&d_in).map_err(failed)? <= epsilon.as_f64() {
            let noisy = measurement.invoke(&counts.to_vec()).map_err(failed)?;
            return Ok((scale, noisy));
        }
        scale = scale.next_up();
    }
    Err(Error::internal(std::io::Error::other(format!(
        "OpenDP's privacy map never reached epsilon {epsilon} near scale {scale}"
    ))))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_noise_spends_no_more_than_the_epsilon_stated_and_is_centred_on_the_count() {
        let epsilon = Epsilon::parse("0.5").unwrap();
        let counts = vec![100_i64; 4000];
        let (scale, noisy) = noise(&counts, epsilon).unwrap();
        // sensitivity / epsilon, give or take OpenDP's rounding.
        assert!((scale - 8.0).abs() < 1e-9, "{scale}");
        assert_eq!(noisy.len(), counts.len());
        let errors: Vec<i64> = noisy.iter().map(|n| n - 100).collect();
        let mean = errors.iter().sum::<i64>() as f64 / errors.len() as f64;
        // The mean of 4000 draws of standard deviation 8·√2 ≈ 11.3 is within 1.5 of zero
        // unless something is wrong (that is more than 8 standard errors).
        assert!(mean.abs() < 1.5, "noise not centred: mean {mean}");
        assert!(errors.iter().any(|e| *e != 0), "no noise was added");
        // About 95 % of the errors are within the stated margin (at least 93 % of 4000).
        let m = margin(scale) as i64;
        let within = errors.iter().filter(|e| e.abs() <= m).count();
        assert!(within * 100 >= 93 * errors.len(), "{within} of {} within ±{m}", errors.len());
        assert!(within < errors.len(), "a margin that holds every draw is too wide to be the 95 % one");
    }
}
