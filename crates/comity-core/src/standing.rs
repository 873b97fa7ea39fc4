//! A party's standing in its register (issue 16, items 6 and 7): whether it is active, and
//! which suspensions are in force, folded from its history in the journal and never kept
//! as a flag someone could flip.
//!
//! An operator deactivates a party that leaves (and may reactivate it), and suspends a
//! party, or one of its privileges such as the emergency route, by a reasoned decision that
//! ends on a date and may be lifted earlier. Each is a journal fact with its audit-log
//! entry; [`Standing::fold`] reads them back and [`Standing::check`] answers, at a given
//! time, whether the party may do what it asks.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use comity_core::{ActorId, PartyId, Privilege, Standing, StandingChange, Use};
//!
//! let at = |d| Utc.with_ymd_and_hms(2026, 12, d, 0, 0, 0).unwrap();
//! let party = PartyId::parse("fr-tj-paris").unwrap();
//! let history = [(
//!     at(1),
//!     ActorId::system(),
//!     StandingChange::Suspended {
//!         suspension: 1,
//!         privilege: Some(Privilege::Emergency),
//!         until: at(15),
//!         reason: "forged emergencies accepted".into(),
//!     },
//! )];
//! let standing = Standing::from_history(&party, &history);
//! assert!(standing.check(Use::Privilege(Privilege::Emergency), at(10)).is_err());
//! assert!(standing.check(Use::NewRequest, at(10)).is_ok());
//! assert!(standing.check(Use::Privilege(Privilege::Emergency), at(15)).is_ok());
//! ```

use chrono::{DateTime, SecondsFormat, Utc};

use crate::{ActorId, Fact, JournalEntry, PartyId, PartyRole};

crate::vocabulary::vocabulary! {
    /// A privilege an operator may suspend on its own, short of suspending the whole party.
    Privilege {
        /// The emergency route: requests answered within hours (8 under Regulation (EU)
        /// 2023/1543 Art 10(4)) and verified only by a second contact, which a forged
        /// emergency abuses first.
        Emergency = "emergency",
    }
}

impl Privilege {
    /// The register whose parties hold this privilege.
    pub fn holder(self) -> PartyRole {
        match self {
            Privilege::Emergency => PartyRole::Authority,
        }
    }

    /// How people call it, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Privilege::Emergency => "emergency route",
        }
    }
}

/// What a party's standing is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Being a party to a new request: submitting or validating it, receiving it, being
    /// assigned to decide on it. What it is party to already is not touched.
    NewRequest,
    /// Using a privilege, such as sending an emergency request. Needs the party's whole
    /// standing too.
    Privilege(Privilege),
}

/// One change of a party's standing, as its fact says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StandingChange {
    Deactivated { reason: String },
    Reactivated { reason: String },
    Suspended { suspension: u32, privilege: Option<Privilege>, until: DateTime<Utc>, reason: String },
    Lifted { suspension: u32, reason: String },
}

/// An act on a party's standing: when, by whom, why, and its audit-log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub at: DateTime<Utc>,
    pub by: ActorId,
    pub reason: String,
    pub log_index: Option<u64>,
}

/// A suspension, with its lifting if it was lifted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    pub number: u32,
    /// The privilege suspended; `None` for the whole party.
    pub privilege: Option<Privilege>,
    pub decided: Decided,
    pub until: DateTime<Utc>,
    pub lifted: Option<Decided>,
}

impl Suspension {
    /// When it ends: its date, or its lifting if that came first.
    pub fn ends(&self) -> DateTime<Utc> {
        match &self.lifted {
            Some(l) if l.at < self.until => l.at,
            _ => self.until,
        }
    }

    /// Whether it is in force at `at`: decided at or before, and not yet ended.
    pub fn in_force(&self, at: DateTime<Utc>) -> bool {
        self.decided.at <= at && at < self.ends()
    }

    /// Whether it bars `what`: a suspension of the whole party bars everything.
    fn bars(&self, what: Use) -> bool {
        match (self.privilege, what) {
            (None, _) => true,
            (Some(p), Use::Privilege(q)) => p == q,
            (Some(_), Use::NewRequest) => false,
        }
    }
}

/// A party's standing, folded from its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub party: PartyId,
    /// Each deactivation (`true`) and reactivation (`false`), oldest first.
    pub activity: Vec<(bool, Decided)>,
    /// Every suspension, by number.
    pub suspensions: Vec<Suspension>,
}

/// Why a party may not do what it asks now: an operator's decision, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Barred {
    Deactivated {
        party: PartyId,
        decided: Decided,
    },
    /// A suspension in force: of the whole party, or of the privilege asked for.
    Suspended {
        party: PartyId,
        suspension: Box<Suspension>,
    },
}

impl Barred {
    /// A stable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            Barred::Deactivated { .. } => "party_deactivated",
            Barred::Suspended { suspension, .. } if suspension.privilege.is_some() => "privilege_suspended",
            Barred::Suspended { .. } => "party_suspended",
        }
    }

    pub fn party(&self) -> &PartyId {
        match self {
            Barred::Deactivated { party, .. } | Barred::Suspended { party, .. } => party,
        }
    }

    /// The reason the operator gave.
    pub fn reason(&self) -> &str {
        match self {
            Barred::Deactivated { decided, .. } => &decided.reason,
            Barred::Suspended { suspension, .. } => &suspension.decided.reason,
        }
    }

    /// Until when, for a suspension; a deactivation lasts until a reactivation.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        match self {
            Barred::Deactivated { .. } => None,
            Barred::Suspended { suspension, .. } => Some(suspension.ends()),
        }
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl std::fmt::Display for Barred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Barred::Deactivated { party, decided } => {
                write!(f, "{party} was deactivated on {}: {}", time(decided.at), decided.reason)
            }
            Barred::Suspended { party, suspension: s } => {
                let what = match s.privilege {
                    Some(p) => format!("{party}'s {} is", p.noun()),
                    None => format!("{party} is"),
                };
                write!(
                    f,
                    "{what} suspended until {} (suspension {}, decided on {}): {}",
                    time(s.ends()),
                    s.number,
                    time(s.decided.at),
                    s.decided.reason
                )
            }
        }
    }
}

impl Standing {
    /// The standing a history makes, its changes oldest first. A lifting of a suspension
    /// the history does not hold is left out.
    pub fn from_history(party: &PartyId, history: &[(DateTime<Utc>, ActorId, StandingChange)]) -> Standing {
        let entries: Vec<_> = history.iter().map(|(at, by, c)| (*at, by.clone(), c.clone(), None)).collect();
        Self::build(party, entries)
    }

    /// The standing of `party` from journal entries (others' and other kinds are left out).
    pub fn fold(party: &PartyId, entries: &[JournalEntry]) -> Standing {
        let changes = entries
            .iter()
            .filter(|j| j.party.as_ref() == Some(party))
            .filter_map(|j| {
                let change = match &j.fact {
                    Fact::PartyDeactivated(c) => StandingChange::Deactivated { reason: c.reason.clone() },
                    Fact::PartyReactivated(c) => StandingChange::Reactivated { reason: c.reason.clone() },
                    Fact::PartySuspended(s) => StandingChange::Suspended {
                        suspension: s.suspension,
                        privilege: s.privilege,
                        until: s.until,
                        reason: s.reason.clone(),
                    },
                    Fact::SuspensionLifted(l) => {
                        StandingChange::Lifted { suspension: l.suspension, reason: l.reason.clone() }
                    }
                    _ => return None,
                };
                Some((j.at, j.actor.clone(), change, j.log_index))
            })
            .collect();
        Self::build(party, changes)
    }

    fn build(
        party: &PartyId,
        history: Vec<(DateTime<Utc>, ActorId, StandingChange, Option<u64>)>,
    ) -> Standing {
        let mut standing = Standing { party: party.clone(), activity: Vec::new(), suspensions: Vec::new() };
        for (at, by, change, log_index) in history {
            let decided = |reason: String| Decided { at, by: by.clone(), reason, log_index };
            match change {
                StandingChange::Deactivated { reason } => standing.activity.push((true, decided(reason))),
                StandingChange::Reactivated { reason } => standing.activity.push((false, decided(reason))),
                StandingChange::Suspended { suspension, privilege, until, reason } => {
                    standing.suspensions.push(Suspension {
                        number: suspension,
                        privilege,
                        decided: decided(reason),
                        until,
                        lifted: None,
                    });
                }
                StandingChange::Lifted { suspension, reason } => {
                    if let Some(s) = standing.suspensions.iter_mut().find(|s| s.number == suspension)
                        && s.lifted.is_none()
                    {
                        s.lifted = Some(decided(reason));
                    }
                }
            }
        }
        standing.suspensions.sort_by_key(|s| s.number);
        standing
    }

    /// The deactivation in force at `at`, if the party is deactivated then.
    pub fn deactivated(&self, at: DateTime<Utc>) -> Option<&Decided> {
        match self.activity.iter().rev().find(|(_, d)| d.at <= at) {
            Some((true, d)) => Some(d),
            _ => None,
        }
    }

    /// The suspensions in force at `at`.
    pub fn in_force(&self, at: DateTime<Utc>) -> impl Iterator<Item = &Suspension> {
        self.suspensions.iter().filter(move |s| s.in_force(at))
    }

    /// The number the next suspension takes.
    pub fn next_suspension(&self) -> u32 {
        self.suspensions.iter().map(|s| s.number).max().unwrap_or(0) + 1
    }

    /// Whether the party may do `what` at `at`; if not, the decision that bars it: a
    /// deactivation first, then of the suspensions that bar it the one that ends last (a
    /// whole-party suspension before a privilege's when they end together).
    pub fn check(&self, what: Use, at: DateTime<Utc>) -> Result<(), Barred> {
        if let Some(d) = self.deactivated(at) {
            return Err(Barred::Deactivated { party: self.party.clone(), decided: d.clone() });
        }
        let binding = self
            .in_force(at)
            .filter(|s| s.bars(what))
            .max_by_key(|s| (s.ends(), s.privilege.is_none(), s.number));
        match binding {
            Some(s) => Err(Barred::Suspended { party: self.party.clone(), suspension: Box::new(s.clone()) }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, 0, 0, 0).single().unwrap_or_else(|| panic!("a day"))
    }

    fn party() -> PartyId {
        PartyId::parse("fr-tj-paris").unwrap_or_else(|e| panic!("{e}"))
    }

    fn suspended(n: u32, privilege: Option<Privilege>, until: u32) -> StandingChange {
        StandingChange::Suspended {
            suspension: n,
            privilege,
            until: day(until),
            reason: format!("decision {n}"),
        }
    }

    fn codes(history: &[(u32, StandingChange)], checks: &[(Use, u32, Option<&str>)]) {
        let history: Vec<_> = history.iter().map(|(d, c)| (day(*d), ActorId::system(), c.clone())).collect();
        let standing = Standing::from_history(&party(), &history);
        for (what, d, expected) in checks {
            let got = standing.check(*what, day(*d)).err();
            assert_eq!(got.as_ref().map(Barred::code), *expected, "{what:?} on day {d}: {got:?}");
        }
    }

    const EMERGENCY: Use = Use::Privilege(Privilege::Emergency);

    #[test]
    fn a_privilege_suspended_bars_only_that_privilege_from_its_decision_to_its_end() {
        codes(
            &[(5, suspended(1, Some(Privilege::Emergency), 20))],
            &[
                (EMERGENCY, 4, None),
                (EMERGENCY, 5, Some("privilege_suspended")),
                (Use::NewRequest, 10, None),
                (EMERGENCY, 19, Some("privilege_suspended")),
                (EMERGENCY, 20, None),
            ],
        );
    }

    #[test]
    fn a_whole_suspension_bars_everything_and_a_lifting_ends_it_early() {
        codes(
            &[
                (2, suspended(1, None, 28)),
                (10, StandingChange::Lifted { suspension: 1, reason: "commitments met".into() }),
                // Lifting it again, or lifting one that does not exist, changes nothing.
                (11, StandingChange::Lifted { suspension: 1, reason: "again".into() }),
                (11, StandingChange::Lifted { suspension: 7, reason: "none".into() }),
            ],
            &[
                (Use::NewRequest, 3, Some("party_suspended")),
                (EMERGENCY, 9, Some("party_suspended")),
                (Use::NewRequest, 10, None),
                (EMERGENCY, 12, None),
            ],
        );
    }

    #[test]
    fn deactivation_lasts_until_reactivation_and_comes_before_any_suspension() {
        codes(
            &[
                (2, suspended(1, None, 28)),
                (3, StandingChange::Deactivated { reason: "left the agreement".into() }),
                (8, StandingChange::Reactivated { reason: "rejoined".into() }),
            ],
            &[
                (Use::NewRequest, 2, Some("party_suspended")),
                (Use::NewRequest, 3, Some("party_deactivated")),
                (EMERGENCY, 7, Some("party_deactivated")),
                (Use::NewRequest, 8, Some("party_suspended")),
                (Use::NewRequest, 28, None),
            ],
        );
    }

    #[test]
    fn the_binding_suspension_is_the_one_that_ends_last_and_its_message_says_why_and_until_when() {
        let history = [
            (day(1), ActorId::system(), suspended(1, Some(Privilege::Emergency), 10)),
            (day(2), ActorId::system(), suspended(2, Some(Privilege::Emergency), 25)),
            (day(3), ActorId::system(), suspended(3, None, 5)),
        ];
        let standing = Standing::from_history(&party(), &history);
        let barred = standing.check(EMERGENCY, day(4)).unwrap_err();
        assert_eq!(barred.until(), Some(day(25)));
        assert_eq!(barred.reason(), "decision 2");
        assert_eq!(
            barred.to_string(),
            "fr-tj-paris's emergency route is suspended until 2026-12-25T00:00:00Z (suspension 2, decided on \
             2026-12-02T00:00:00Z): decision 2"
        );
        assert_eq!(standing.check(Use::NewRequest, day(4)).unwrap_err().code(), "party_suspended");
        assert_eq!(standing.next_suspension(), 4);
        assert_eq!(standing.in_force(day(6)).count(), 2);
        assert_eq!(standing.in_force(day(12)).count(), 1);
    }
}
