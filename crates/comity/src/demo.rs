//! `comity serve --demo`: realistic parties and requests on first start.
//!
//! The requests are the documents in `examples/requests/`, accepted through the same
//! intake as the API and moved along the same lifecycle, so the demo shows nothing the
//! real path would not produce.

use anyhow::Context;
use comity_core::{
    ActorId, Authority, AuthorityType, CountryCode, Party, PartyId, PartyRole, Provider, ReviewerBody,
    ReviewerKind, State, Store,
};
use comity_wire::{api::TransitionBody, term::Term};

const AUTHORITIES: &[(&str, &str, AuthorityType, &str)] = &[
    ("fr-tj-paris", "FR", AuthorityType::Prosecutor, "Parquet du tribunal judiciaire de Paris"),
    ("fr-jld-paris", "FR", AuthorityType::Judge, "Juge des libertés et de la détention, TJ de Paris"),
    ("de-sta-berlin", "DE", AuthorityType::Prosecutor, "Staatsanwaltschaft Berlin"),
    (
        "nl-om-rotterdam",
        "NL",
        AuthorityType::Prosecutor,
        "Openbaar Ministerie, arrondissementsparket Rotterdam",
    ),
    ("gb-nca", "GB", AuthorityType::Police, "National Crime Agency"),
    ("gb-ipc", "GB", AuthorityType::Judge, "Investigatory Powers Commissioner's Office"),
    ("jp-mpd-cyber", "JP", AuthorityType::Police, "Tokyo Metropolitan Police, Cybercrime Division"),
    ("jp-tokyo-dc", "JP", AuthorityType::Court, "Tokyo District Court"),
    ("br-mpf-sp", "BR", AuthorityType::Prosecutor, "Ministério Público Federal, São Paulo"),
    ("br-jf-sp-10", "BR", AuthorityType::Judge, "10ª Vara Federal Criminal de São Paulo"),
];

const PROVIDERS: &[(&str, &str, &str)] = &[
    ("example-mail", "IE", "Example Mail Ireland Ltd"),
    ("example-cloud", "NL", "Example Cloud B.V."),
    ("example-social", "US", "Example Social, Inc."),
];

const REVIEWERS: &[(&str, &str, ReviewerKind, &str)] = &[
    ("ie-high-court", "IE", ReviewerKind::Court, "The High Court of Ireland"),
    ("ie-dpc", "IE", ReviewerKind::DataProtectionAuthority, "Data Protection Commission"),
    (
        "nl-ok-rotterdam",
        "NL",
        ReviewerKind::EnforcingAuthority,
        "Officier van justitie, Rotterdam (enforcing authority)",
    ),
    (
        "us-doj-oia",
        "US",
        ReviewerKind::CentralAuthority,
        "US Department of Justice, Office of International Affairs",
    ),
];

/// A move of the demo: to which state, by whom, why.
type DemoMove = (State, &'static str, &'static str);

/// Each example request and the moves it makes.
const REQUESTS: &[(&str, &[DemoMove])] = &[
    (include_str!("../../../examples/requests/eu-epoc-traffic.json"), &[]),
    (
        include_str!("../../../examples/requests/eu-epoc-emergency-subscriber.json"),
        &[
            (
                State::UnderReview,
                "duty-officer@de-sta-berlin",
                "emergency confirmed by the duty officer, a registered contact of de-sta-berlin, by telephone call-back",
            ),
            (
                State::Approved,
                "judge@ie-high-court",
                "imminent threat to life substantiated by the post; scope limited to the two selectors and 12 hours",
            ),
            (State::Producing, "legal@example-mail", "production started"),
            (State::Delivered, "legal@example-mail", "sealed package delivered to de-sta-berlin"),
        ],
    ),
    (
        include_str!("../../../examples/requests/eu-epoc-pr-preservation.json"),
        &[
            (
                State::Approved,
                "officer@nl-ok-rotterdam",
                "preservation is proportionate; nothing is disclosed",
            ),
            (State::Preserved, "legal@example-cloud", "snapshot of the tenant taken; kept for 60 days"),
        ],
    ),
    (include_str!("../../../examples/requests/us-cloud-act-content.json"), &[]),
    (
        include_str!("../../../examples/requests/coe-budapest-subscriber.json"),
        &[(
            State::ClarificationRequested,
            "legal@example-mail",
            "the time window is four months; please state why it cannot be shorter",
        )],
    ),
    (
        include_str!("../../../examples/requests/mlat-content.json"),
        &[(
            State::PartiallyApproved,
            "attorney@us-doj-oia",
            "subscriber and traffic data approved; content refused for want of probable cause",
        )],
    ),
];

/// Registers the demo parties and requests, unless authorities are already registered.
pub async fn seed(store: &dyn Store, packs: &comity_policy::PackSet) -> anyhow::Result<()> {
    if !store.parties(PartyRole::Authority).await?.is_empty() {
        tracing::info!("demo data not seeded: the store already has parties");
        return Ok(());
    }
    let id = |s: &str| PartyId::parse(s).with_context(|| format!("demo party id {s}"));
    let country = |s: &str| CountryCode::parse(s).with_context(|| format!("demo country {s}"));
    for &(i, c, authority_type, name) in AUTHORITIES {
        let party = Party::Authority(Authority {
            id: id(i)?,
            country: country(c)?,
            authority_type,
            name: name.into(),
            institution: None,
        });
        store.add_party(&party).await?;
    }
    for &(i, c, name) in PROVIDERS {
        store
            .add_party(&Party::Provider(Provider {
                id: id(i)?,
                country: country(c)?,
                name: name.into(),
                institution: None,
            }))
            .await?;
    }
    for &(i, c, kind, name) in REVIEWERS {
        let party = Party::Reviewer(ReviewerBody {
            id: id(i)?,
            country: country(c)?,
            kind,
            name: name.into(),
            institution: None,
        });
        store.add_party(&party).await?;
    }
    for (document, moves) in REQUESTS {
        let authority = serde_json::from_str::<serde_json::Value>(document)?
            .pointer("/issuing/authority")
            .and_then(|a| a.as_str())
            .map(PartyId::parse)
            .transpose()?
            .context("a demo request names no issuing authority")?;
        // The demo's requests arrive as if a clerk of the authority submitted them through
        // the portal; a real authority's system signs them.
        let submitter = comity_server::Submitter {
            actor: ActorId::parse(&format!("clerk@{authority}"))?,
            receipt: format!("received through the portal from clerk@{authority} (demo)"),
            authority,
            signature: None,
            jti: None,
        };
        let mut current = comity_server::accept(store, packs, document.as_bytes(), None, &submitter, None)
            .await
            .map_err(|e| anyhow::anyhow!("demo request refused: {e:?}"))?
            .request;
        for &(to, actor, reason) in *moves {
            let body = TransitionBody { to: Term(to), reason: reason.into(), expected_version: None };
            current = comity_server::move_request(store, &current, &body, ActorId::parse(actor)?)
                .await
                .map_err(|e| anyhow::anyhow!("demo move to {to} refused: {e:?}"))?
                .0;
        }
    }
    tracing::info!(
        authorities = AUTHORITIES.len(),
        providers = PROVIDERS.len(),
        reviewers = REVIEWERS.len(),
        requests = REQUESTS.len(),
        "demo data seeded"
    );
    Ok(())
}
