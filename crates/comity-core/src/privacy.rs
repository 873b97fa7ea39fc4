//! Differential privacy for the transparency report's fine breakdowns (issue 16, item 4).
//!
//! The exact report ([`crate::transparency`]) publishes each breakdown on its own. Crossed
//! (issuing country × data category × outcome), its cells get small enough to point at one
//! request, so they are published only with noise: a *release*, made by the operator for a
//! period with a stated privacy loss ε, adds discrete Laplace noise of scale
//! `SENSITIVITY / ε` to every cell of the period (OpenDP's `make_laplace`, in
//! `comity_app::privacy`; Dwork, McSherry, Nissim and Smith 2006; Canonne, Kamath and
//! Steinke 2020 for the discrete form). The release is logged with its figures, so the
//! same noisy figures are shown to everyone for ever: a figure drawn again would let its
//! readers average the noise away.
//!
//! The unit of privacy is one request. A request counts once in each of its data
//! categories, so it changes at most [`SENSITIVITY`] cells by one each: that is the L1
//! sensitivity the noise is scaled to. The cells are every registered issuing country ×
//! every category (and none) × every outcome, zeros included, so which cells appear says
//! nothing either.
//!
//! **The budget.** Each request is counted by the releases whose period holds its receipt,
//! and by no other, so releases of disjoint periods compose in parallel and those that
//! overlap add up (basic composition). A release is refused when, at any instant of its
//! period, the releases covering that instant and it would spend more than the budget
//! ([`spent`]). Legal returns (Art 28 statistics) and the exact report stay exact: this
//! is an option for figures finer than those.

use chrono::{DateTime, Utc};

use crate::transparency::{Cell, Outcome};
use crate::{CountryCode, DataCategory};

/// A privacy loss ε, in thousandths: exact to add and compare, and as precise as anyone
/// states one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Epsilon(u32);

/// The most ε a release or a budget may state: beyond it, noise hides nothing.
pub const MAX_EPSILON: Epsilon = Epsilon(100_000);

/// The budget each request's privacy loss is held to, when the operator sets none: ε = 1.
pub const DEFAULT_BUDGET: Epsilon = Epsilon(1_000);

/// How many cells one request can change, each by one: one per data category it asks for.
pub const SENSITIVITY: u32 = DataCategory::ALL.len() as u32;

/// An ε that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EpsilonError(String);

impl Epsilon {
    pub const fn from_thousandths(n: u32) -> Epsilon {
        Epsilon(n)
    }

    pub const fn thousandths(self) -> u32 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 1000.0
    }

    /// Reads a decimal such as `0.5` or `1`: more than zero, at most [`MAX_EPSILON`], with
    /// at most three decimals.
    pub fn parse(text: &str) -> Result<Epsilon, EpsilonError> {
        let text = text.trim();
        let bad = || {
            EpsilonError(format!(
                "{text:?} is not an epsilon: give a decimal above 0 and at most {MAX_EPSILON}, with at most three decimals, such as 0.5"
            ))
        };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() && fraction.is_empty()
            || fraction.len() > 3
            || !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
            || whole.len() > 6
        {
            return Err(bad());
        }
        let whole: u32 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
        let fraction: u32 = format!("{fraction:0<3}").parse().map_err(|_| bad())?;
        let epsilon = Epsilon(whole * 1000 + fraction);
        if epsilon == Epsilon(0) || epsilon > MAX_EPSILON {
            return Err(bad());
        }
        Ok(epsilon)
    }

    pub fn saturating_add(self, other: Epsilon) -> Epsilon {
        Epsilon(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: Epsilon) -> Epsilon {
        Epsilon(self.0.saturating_sub(other.0))
    }
}

impl std::fmt::Display for Epsilon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (whole, fraction) = (self.0 / 1000, self.0 % 1000);
        if fraction == 0 {
            write!(f, "{whole}")
        } else {
            let digits = format!("{fraction:03}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// Every cell of a release over these issuing countries: each country × no category and
/// each category × each outcome, sorted. It depends on the register only, never on the
/// requests, so a cell's presence tells nothing.
pub fn domain(countries: impl IntoIterator<Item = CountryCode>) -> Vec<Cell> {
    let mut countries: Vec<CountryCode> = countries.into_iter().collect();
    countries.sort();
    countries.dedup();
    let categories = std::iter::once(None).chain(DataCategory::ALL.iter().copied().map(Some));
    let mut cells = Vec::new();
    for country in countries {
        for category in categories.clone() {
            for outcome in Outcome::ALL {
                cells.push(Cell { country, category, outcome: *outcome });
            }
        }
    }
    cells.sort();
    cells
}

/// A release's period and privacy loss, for the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spending {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub epsilon: Epsilon,
}

/// The most any one request received in `[from, to)` has spent already: the largest sum of
/// the ε of the releases covering one instant of the period (a request is counted by the
/// releases whose period holds its receipt). The sum only rises where a release starts, so
/// it is enough to look at the period's start and at each release's start within it.
pub fn spent(releases: &[Spending], from: DateTime<Utc>, to: DateTime<Utc>) -> Epsilon {
    let instants =
        std::iter::once(from).chain(releases.iter().map(|r| r.from).filter(|t| *t > from && *t < to));
    instants
        .map(|t| {
            releases
                .iter()
                .filter(|r| r.from <= t && t < r.to)
                .fold(Epsilon(0), |sum, r| sum.saturating_add(r.epsilon))
        })
        .max()
        .unwrap_or_default()
}

/// The scale of the noise a release of this ε adds, before OpenDP's check of its privacy
/// map (which may nudge it up by a rounding step): `SENSITIVITY / ε`.
pub fn nominal_scale(epsilon: Epsilon) -> f64 {
    f64::from(SENSITIVITY) / epsilon.as_f64()
}

/// A cell as released: its figure with noise added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Released {
    pub cell: Cell,
    /// The count plus discrete Laplace noise: unbiased, and so sometimes below zero.
    pub requests: i64,
}

/// The scale of the noise of a release, as OpenDP used it: a float kept bit for bit.
#[derive(Debug, Clone, Copy)]
pub struct NoiseScale(pub f64);

impl PartialEq for NoiseScale {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for NoiseScale {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2027-01-{day:02}T00:00:00Z")).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn an_epsilon_is_read_exactly_and_written_back_the_same() {
        for (text, thousandths, shown) in [
            ("0.5", 500, "0.5"),
            ("1", 1000, "1"),
            ("1.0", 1000, "1"),
            (".125", 125, "0.125"),
            ("2.25", 2250, "2.25"),
        ] {
            let e = Epsilon::parse(text).unwrap();
            assert_eq!(e.thousandths(), thousandths, "{text}");
            assert_eq!(e.to_string(), shown);
        }
        for bad in ["0", "0.000", "-1", "0.0001", "1e-3", "abc", "", ".", "100.001", "1 000", "nan"] {
            let e = Epsilon::parse(bad);
            assert!(e.is_err(), "{bad}");
        }
        assert!(Epsilon::parse("abc").unwrap_err().to_string().contains("such as 0.5"));
    }

    #[test]
    fn the_domain_is_every_country_category_and_outcome() {
        let fr = CountryCode::parse("FR").unwrap();
        let de = CountryCode::parse("DE").unwrap();
        let cells = domain([fr, de, fr]);
        assert_eq!(cells.len(), 2 * (DataCategory::ALL.len() + 1) * Outcome::ALL.len());
        assert!(cells.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        assert_eq!(cells[0].country, de);
    }

    #[test]
    fn releases_of_disjoint_periods_compose_in_parallel_and_overlaps_add_up() {
        let e = |n| Epsilon::from_thousandths(n);
        let releases = [
            Spending { from: at(1), to: at(10), epsilon: e(300) },
            Spending { from: at(10), to: at(20), epsilon: e(500) },
            Spending { from: at(5), to: at(15), epsilon: e(200) },
        ];
        // Days 1-5: only the first; 5-10: first and third; 10-15: second and third.
        assert_eq!(spent(&releases, at(1), at(5)), e(300));
        assert_eq!(spent(&releases, at(1), at(10)), e(500));
        assert_eq!(spent(&releases, at(1), at(20)), e(700));
        assert_eq!(spent(&releases, at(15), at(20)), e(500));
        assert_eq!(spent(&releases, at(20), at(25)), e(0));
        assert_eq!(spent(&[], at(1), at(2)), e(0));
    }
}
