//! Review routed by law, never chosen by the data holder (issue 13, item 2).
//!
//! Each pack names the kind of body that decides for its instrument (`reviewer`) and of
//! which State (`reviewer_state`); screening adds the kinds its findings require, such as
//! the enforcing authority of Regulation (EU) 2023/1543 Art 8 when the enforcing State must
//! be notified. On screening, comity maps each kind to a body of the register: of that
//! kind, of that State, and of no institution that is a party to the request. Where the
//! register holds several, the request's id picks one, so nobody (least of all the
//! provider, which holds the data) can steer which. Where it holds none, the request
//! waits under review, unassigned, and `comity deadlines` and the request's page say so
//! until an operator registers one and assigns it.

use chrono::{DateTime, Utc};
use comity_core::{
    ActorId, CountryCode, Fact, NewEntry, Party, PartyId, PartyRole, Request, RequestId, ReviewerBody,
    ReviewerKind, Use, journal,
};
use comity_policy::{Pack, Report, ReviewerState};
use sha2::{Digest, Sha256};

use crate::{App, Result};

/// A kind of body the law wants to decide on a request, and of which State.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Competent {
    pub kind: ReviewerKind,
    pub country: CountryCode,
    /// Why this body, citing the law.
    pub why: &'static str,
}

/// What routing found for a request: each competent kind and the body assigned, if the
/// register holds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub competent: Competent,
    pub body: Option<PartyId>,
}

/// The kinds of body competent for a request screened with `report` under `pack`: the
/// pack's reviewer, and every kind screening requires.
pub fn competent(pack: &Pack, request: &Request, required: &[ReviewerKind]) -> Vec<Competent> {
    let s = &pack.settings;
    let mut kinds = vec![s.reviewer];
    for kind in required {
        if !kinds.contains(kind) {
            kinds.push(*kind);
        }
    }
    let requested = request.addressee.country;
    kinds
        .into_iter()
        .map(|kind| match kind {
            ReviewerKind::EnforcingAuthority => Competent {
                kind,
                country: requested,
                why: "the enforcing authority of the State where the provider is established or has its legal \
                      representative (Regulation (EU) 2023/1543 Art 8(1))",
            },
            ReviewerKind::CentralAuthority => Competent {
                kind,
                country: requested,
                why: "the requested State's central authority (Budapest Convention Art 27(2); mutual legal \
                      assistance treaties)",
            },
            _ => match s.reviewer_state {
                ReviewerState::Issuing => Competent {
                    kind,
                    country: request.issuing.country,
                    why: "an independent authority of the issuing State (18 U.S.C. § 2523(b)(4)(D)(v); \
                          Regulation (EU) 2023/1543 Art 4)",
                },
                ReviewerState::Requested => Competent {
                    kind,
                    country: requested,
                    why: "a body of the requested State, where the data is held",
                },
            },
        })
        .collect()
}

/// Which kinds of body may decide (approve, narrow or reject): every competent kind but the
/// enforcing authority, whose act is to raise grounds for refusal (Regulation (EU)
/// 2023/1543 Art 12), not to decide in the provider's place.
pub fn may_decide(kind: ReviewerKind, competent: &[Competent]) -> bool {
    kind != ReviewerKind::EnforcingAuthority && competent.iter().any(|c| c.kind == kind)
}

/// The body of `competent` the register offers for request `id`, among `bodies`, leaving
/// out those of the `conflicted` institutions; the id picks among several.
fn pick<'a>(
    id: RequestId,
    competent: &Competent,
    bodies: &'a [(ReviewerBody, PartyId)],
    conflicted: &[PartyId],
) -> Option<&'a ReviewerBody> {
    let mut fit: Vec<&ReviewerBody> = bodies
        .iter()
        .filter(|(b, institution)| {
            b.kind == competent.kind && b.country == competent.country && !conflicted.contains(institution)
        })
        .map(|(b, _)| b)
        .collect();
    if fit.is_empty() {
        return None;
    }
    fit.sort_by(|a, b| a.id.cmp(&b.id));
    let digest = Sha256::digest(id.to_string().as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().unwrap_or_default());
    Some(fit[(n % fit.len() as u64) as usize])
}

impl App {
    /// The registered reviewer bodies that may be assigned to a request at `at`, each with
    /// its institution: one an operator deactivated or suspended is left out (issue 16).
    pub(crate) async fn reviewer_bodies(&self, at: DateTime<Utc>) -> Result<Vec<(ReviewerBody, PartyId)>> {
        let standings = self.standings().await?;
        Ok(self
            .store()
            .parties(PartyRole::Reviewer)
            .await?
            .into_iter()
            .filter(|p| standings.get(p.id()).is_none_or(|s| s.check(Use::NewRequest, at).is_ok()))
            .filter_map(|p| {
                let institution = p.institution().clone();
                match p {
                    Party::Reviewer(r) => Some((r, institution)),
                    _ => None,
                }
            })
            .collect())
    }

    /// Routes a request to the bodies the law makes competent: the assignments to write with
    /// its screening, and what was found for each kind.
    pub(crate) async fn route(
        &self,
        id: RequestId,
        request: &Request,
        report: &Report,
        at: DateTime<Utc>,
    ) -> Result<(Vec<NewEntry>, Vec<Routed>)> {
        let Some(pack) = self.packs().packs().iter().find(|p| p.id == report.pack.id) else {
            return Ok((Vec::new(), Vec::new()));
        };
        let competent = competent(pack, request, &report.required_review);
        let mut conflicted = Vec::new();
        let sides =
            [Some(&request.issuing.authority), request.issuing.validated_by.as_ref().map(|v| &v.authority)];
        for party in sides.into_iter().flatten().chain([&request.addressee.provider]) {
            if let Some(p) = self.party(party).await? {
                conflicted.push(p.institution().clone());
            }
        }
        let bodies = self.reviewer_bodies(at).await?;
        let mut facts = Vec::new();
        let mut routed = Vec::new();
        for c in competent {
            let body = pick(id, &c, &bodies, &conflicted).map(|b| b.id.clone());
            if let Some(reviewer) = &body {
                let fact = Fact::ReviewerAssigned(journal::ReviewerAssigned {
                    request: id,
                    reviewer: reviewer.clone(),
                    reason: format!("routed by law to the {} of {}: {}", c.kind, c.country, c.why),
                });
                facts.push(NewEntry {
                    party: Some(request.addressee.provider.clone()),
                    ..NewEntry::new(at, ActorId::system(), fact)
                });
            }
            routed.push(Routed { competent: c, body });
        }
        Ok((facts, routed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(id: &str, kind: ReviewerKind, country: &str) -> (ReviewerBody, PartyId) {
        let id = PartyId::parse(id).unwrap();
        let b = ReviewerBody {
            id: id.clone(),
            country: CountryCode::parse(country).unwrap(),
            kind,
            name: id.to_string(),
            institution: None,
        };
        (b, id)
    }

    #[test]
    fn the_body_is_of_the_kind_and_state_and_never_a_party() {
        let c = Competent { kind: ReviewerKind::Court, country: CountryCode::parse("IE").unwrap(), why: "" };
        let bodies = [
            body("fr-court", ReviewerKind::Court, "FR"),
            body("ie-dpa", ReviewerKind::DataProtectionAuthority, "IE"),
            body("ie-court-a", ReviewerKind::Court, "IE"),
            body("ie-court-b", ReviewerKind::Court, "IE"),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for n in 0..64u64 {
            let id = RequestId::new_at(1_780_000_000_000 + n);
            let b = pick(id, &c, &bodies, &[]).unwrap();
            assert!(b.id.as_str().starts_with("ie-court-"), "{}", b.id);
            // The same request always goes to the same body.
            assert_eq!(pick(id, &c, &bodies, &[]).unwrap().id, b.id);
            seen.insert(b.id.clone());
        }
        assert_eq!(seen.len(), 2, "the id spreads requests over every competent body");
        let conflicted = [PartyId::parse("ie-court-a").unwrap()];
        let id = RequestId::new_at(1_780_000_000_000);
        assert_eq!(pick(id, &c, &bodies, &conflicted).unwrap().id.as_str(), "ie-court-b");
        let none = [PartyId::parse("ie-court-a").unwrap(), PartyId::parse("ie-court-b").unwrap()];
        assert!(pick(id, &c, &bodies, &none).is_none());
    }

    #[test]
    fn the_enforcing_authority_objects_but_does_not_decide() {
        let ie = CountryCode::parse("IE").unwrap();
        let competent = [
            Competent { kind: ReviewerKind::Court, country: ie, why: "" },
            Competent { kind: ReviewerKind::EnforcingAuthority, country: ie, why: "" },
        ];
        assert!(may_decide(ReviewerKind::Court, &competent));
        assert!(!may_decide(ReviewerKind::EnforcingAuthority, &competent));
        assert!(!may_decide(ReviewerKind::DataProtectionAuthority, &competent));
    }
}
