//! Emergency requests are never acted on until verified (issue 5, item 6).
//!
//! In 2021–2022 providers answered forged "emergency" requests sent from hijacked police
//! mailboxes. So an emergency request waits in `pending_verification` until a *second*
//! registered contact of its authority confirms it through a channel other than the one
//! it came by:
//!
//! - **a one-time link**: the provider's legal team asks comity for a link for one of the
//!   authority's registered contacts and sends it through that contact's registered
//!   e-mail or phone (never a channel named in the request). The contact opens it, sees
//!   which request it is (never its targets), and confirms or denies. A link works once,
//!   expires, and is stored only as a hash;
//! - **a signed confirmation**: a contact with a registered key sends a compact JWS whose
//!   claims name the request and the decision.
//!
//! A confirmation moves the request to `under_review`; a denial rejects it. Either is an
//! event with the contact as its actor, in the audit log. The contact must be another
//! than whoever submitted: a different key, a different person.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_access::Action;
use comity_auth::{
    jws::{JwsRefusal, PublicKey, check_claims, parse_compact},
    opaque::OpaqueToken,
};
use comity_core::{
    ActorId, Contact, Fact, LinkRecord, NewEntry, RequestId, State, StoredRequest, journal, lifecycle,
};

use crate::{App, Caller, Client, Error, Result, Transition};

/// How long a link stays good: the 8 hours of an emergency order (Regulation (EU)
/// 2023/1543 Art 10(4)), and a little more for the contact to answer.
const LINK_HOURS: i64 = 12;

/// A one-time link just issued: its path (shown once), the contact and their channels.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    /// `/verify#<secret>`: the secret in the fragment, which no browser sends to a server
    /// (RFC 3986 §3.5), so that no proxy or access log keeps it.
    pub url: String,
    pub contact: Contact,
    pub expires_at: DateTime<Utc>,
    pub log_index: Option<u64>,
}

/// What a link shows its contact: enough to recognise the request, none of its targets.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub request: StoredRequest,
    /// How many targets the request names (never which).
    pub targets: usize,
    pub link: LinkRecord,
}

fn invalid_link() -> Error {
    Error::NotFound(
        "this link is not valid: it was used already, it has expired, or it never existed; ask the provider for a new one"
            .to_owned(),
    )
}

impl App {
    /// Issues a one-time link for a registered contact of the request's authority.
    pub async fn issue_link(&self, caller: &Caller, id: RequestId, contact: &str) -> Result<IssuedLink> {
        let (stored, _) = self.actionable(caller, id, &Action::IssueVerificationLink).await?;
        let contact = self.confirming_contact(&stored, contact).await?;
        let token = OpaqueToken::generate();
        let now = Utc::now().trunc_subsecs(6);
        let link = LinkRecord {
            secret_hash: token.hash(),
            request_id: id,
            contact: contact.id.clone(),
            created_at: now,
            expires_at: now + Duration::hours(LINK_HOURS),
            used_at: None,
        };
        let fact = Fact::LinkIssued(journal::LinkIssued {
            request: id,
            authority: stored.authority.clone(),
            contact: contact.id.clone(),
            expires_at: link.expires_at,
        });
        let entry = NewEntry::new(now, caller.actor(), fact);
        let written = self.store().add_link(&link, &entry).await?;
        Ok(IssuedLink {
            url: format!("/verify#{}", token.text()),
            contact,
            expires_at: link.expires_at,
            log_index: written.log_index,
        })
    }

    /// What a link is for, if it is live.
    pub async fn view_link(&self, token: &str, client: &Client<'_>) -> Result<LinkView> {
        let link = self.live_link(token, client).await?;
        let request = self.store().request(link.request_id).await?.ok_or_else(invalid_link)?;
        let targets = serde_json::from_str::<serde_json::Value>(&request.document)
            .ok()
            .and_then(|d| d.get("targets").and_then(|t| t.as_array()).map(Vec::len))
            .unwrap_or(0);
        Ok(LinkView { request, targets, link })
    }

    /// The contact confirms (`"confirm"`) or denies (`"deny"`) through the link; the
    /// request moves on by the decision. Returns the request as it now stands.
    pub async fn answer_link(
        &self,
        token: &str,
        decision: &str,
        note: Option<&str>,
        client: &Client<'_>,
    ) -> Result<StoredRequest> {
        let confirm = parse_decision(decision)?;
        self.live_link(token, client).await?;
        let hash = OpaqueToken::hash_of(token).ok_or_else(invalid_link)?;
        // Taken in the database: a link works once, however many times it is sent.
        let link = self.store().use_link(&hash, Utc::now()).await?.ok_or_else(invalid_link)?;
        let stored = self.store().request(link.request_id).await?.ok_or_else(invalid_link)?;
        let contact = self.confirming_contact(&stored, link.contact.as_str()).await?;
        let how = format!(
            "{} ({}), a registered contact of {}, through a one-time link",
            contact.name, contact.id, stored.authority
        );
        self.settle(&stored, &contact, confirm, &how, note).await
    }

    /// A contact's signed confirmation: a compact JWS by the contact's registered key,
    /// whose claims are `iss` (the authority), `aud` (the provider), `iat`, `exp`, `jti`
    /// and `request: {"id": REQUEST ID, "decision": "confirm" | "deny"}`.
    pub async fn confirm_signed(
        &self,
        id: RequestId,
        body: &[u8],
        client: &Client<'_>,
    ) -> Result<StoredRequest> {
        let refuse = |r: JwsRefusal| {
            client.refused(r.code(), "signed confirmation refused");
            Error::Unauthenticated { code: r.code(), message: r.to_string() }
        };
        // Unknown requests and refused signatures answer alike: only a registered contact
        // learns whether the request exists.
        let text = std::str::from_utf8(body).map(|t| t.trim_end_matches(['\r', '\n'])).unwrap_or("");
        let compact = parse_compact(text).map_err(refuse)?;
        let stored = self.store().request(id).await?;
        let contacts = match &stored {
            Some(s) => self.contacts(&s.authority).await?,
            None => Vec::new(),
        };
        let kid = compact.kid().as_str();
        let found = contacts.iter().find_map(|c| {
            let key = PublicKey::from_bytes(&c.public_key?).ok()?;
            (key.thumbprint() == kid).then_some((c, key))
        });
        let (Some(stored), Some((contact, key))) = (stored, found) else {
            return Err(refuse(JwsRefusal::unknown_key(kid)));
        };
        compact.verify(&key).map_err(refuse)?;
        let now = Utc::now().trunc_subsecs(6);
        let claims =
            check_claims(compact.payload(), now.timestamp(), &self.settings().jws).map_err(refuse)?;
        claims.check_issuer(stored.authority.as_str()).map_err(refuse)?;
        claims.check_audience(stored.provider.as_str()).map_err(refuse)?;
        let confirms = claims.request.get("id").and_then(|v| v.as_str());
        if confirms != Some(id.to_string().as_str()) {
            return Err(refuse(JwsRefusal::Malformed(format!(
                "the claims' request.id must be the request confirmed, {id}"
            ))));
        }
        let confirm = parse_decision(claims.request.get("decision").and_then(|v| v.as_str()).unwrap_or(""))?;
        // The second channel must be a second key: the one that signed the request cannot
        // confirm it.
        if let Some(jws) = &stored.signature
            && let Ok(submitted) = parse_compact(jws)
            && let Some(submitting) = self
                .key(&comity_core::KeyId::parse(submitted.kid().as_str()).map_err(Error::internal)?)
                .await?
            && submitting.key.public_key == key.to_bytes()
        {
            return Err(Error::Unauthenticated {
                code: "same_key",
                message: "the key that signed the request cannot confirm it; a second contact confirms with their own key"
                    .to_owned(),
            });
        }
        let how = format!(
            "{} ({}), a registered contact of {}, with a signed confirmation",
            contact.name, contact.id, stored.authority
        );
        self.settle(&stored, contact, confirm, &how, None).await
    }

    /// A registered contact of the request's authority, who is not who submitted it.
    async fn confirming_contact(&self, stored: &StoredRequest, id: &str) -> Result<Contact> {
        let contacts = self.contacts(&stored.authority).await?;
        let contact = contacts.into_iter().find(|c| c.id.as_str() == id).ok_or_else(|| {
            Error::invalid(
                "unknown_contact",
                "contact",
                format!(
                    "{} has no registered contact {id:?}; see GET /v1/admin/authorities/{}/contacts",
                    stored.authority, stored.authority
                ),
            )
        })?;
        let events = self.store().events(stored.id).await?;
        let submitted_by = events.first().map(|e| e.actor.to_string());
        if submitted_by.as_deref() == Some(contact_actor(&contact).as_str()) {
            return Err(Error::invalid(
                "same_person",
                "contact",
                "the contact who confirms must be another person than the one who submitted",
            ));
        }
        Ok(contact)
    }

    /// The link, if it is unused and unexpired; guessing counts as a failure of the client.
    async fn live_link(&self, token: &str, client: &Client<'_>) -> Result<LinkRecord> {
        let link = match OpaqueToken::hash_of(token) {
            Some(hash) => self.store().link(&hash).await?,
            None => None,
        };
        match link {
            Some(l) if l.used_at.is_none() && l.expires_at > Utc::now() => Ok(l),
            _ => {
                client.refused("invalid_link", "unknown, used or expired verification link");
                Err(invalid_link())
            }
        }
    }

    /// Moves the request on by the contact's decision.
    async fn settle(
        &self,
        stored: &StoredRequest,
        contact: &Contact,
        confirm: bool,
        how: &str,
        note: Option<&str>,
    ) -> Result<StoredRequest> {
        if stored.state != State::PendingVerification {
            return Err(Error::Conflict {
                code: "not_pending_verification",
                message: format!("request {} is {}, not pending verification", stored.id, stored.state),
            });
        }
        let to = if confirm { State::UnderReview } else { State::Rejected };
        lifecycle::check(stored.kind, stored.state, to)?;
        let note =
            note.map(str::trim).filter(|n| !n.is_empty()).map(|n| format!(": {n}")).unwrap_or_default();
        let reason = if confirm {
            format!("emergency confirmed by {how}{note}")
        } else {
            format!("emergency denied by {how}; not acted on{note}")
        };
        let actor = ActorId::parse(&contact_actor(contact)).map_err(Error::internal)?;
        let transition = Transition { expected_version: Some(stored.version), ..Transition::to(to, reason) };
        let (after, _) = self.move_request(stored, &transition, actor).await?;
        tracing::info!(request = %stored.id, contact = %contact.id, confirm, "emergency verification settled");
        Ok(after)
    }
}

/// The actor recorded for a contact's confirmation.
fn contact_actor(c: &Contact) -> String {
    format!("{}@{}", c.id, c.authority)
}

fn parse_decision(text: &str) -> Result<bool> {
    match text {
        "confirm" => Ok(true),
        "deny" => Ok(false),
        other => Err(Error::invalid(
            "invalid_decision",
            "decision",
            format!("{other:?} is not a decision; use \"confirm\" (your authority sent it) or \"deny\""),
        )),
    }
}
