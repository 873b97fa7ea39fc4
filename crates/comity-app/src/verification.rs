//! Emergency requests are never acted on until verified (issue 5, item 6).
//!
//! In 2021–2022 providers answered forged "emergency" requests sent from hijacked police
//! mailboxes. So an emergency request waits in `pending_verification` until a *second*
//! registered contact of its authority confirms it through a channel other than the one
//! it came by:
//!
//! - **a one-time link**: the provider's legal team asks comity for a link for one of the
//!   authority's registered contacts. With `--smtp`, comity e-mails it to the contact's
//!   registered address itself (issue 13, item 8), and the legal team never sees the
//!   secret; otherwise, or when the contact has no e-mail or the mail fails, the legal
//!   team gets the link and passes it on through the contact's registered phone or
//!   e-mail (never a channel named in the request). The contact opens it, sees which
//!   request it is (never its targets), and confirms or denies. A link works once,
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

/// A one-time link just issued: how it reaches its contact, its path when the caller is
/// to pass it on, the contact and their channels.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    /// `/verify#<secret>`: the secret in the fragment, which no browser sends to a server
    /// (RFC 3986 §3.5), so that no proxy or access log keeps it. Shown once, and only
    /// when comity did not e-mail it to the contact: a link comity sent travels one way,
    /// from comity to the registered address, and nobody at the provider holds it.
    pub url: Option<String>,
    pub mailed: Mailed,
    pub contact: Contact,
    pub expires_at: DateTime<Utc>,
    /// The log entries the issue appended: the link's, then the mail's, if one was tried.
    pub log_indexes: Vec<u64>,
}

/// Whether comity e-mailed a link to its contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mailed {
    /// The SMTP server took it, under this `Message-ID`.
    Sent { to: String, message_id: String },
    /// The mail was tried and failed, for this reason: the link is good, and the caller
    /// passes it on, or issues another.
    Failed { to: String, error: String },
    /// No mail was tried, for this reason (no `--smtp`, or no e-mail for the contact).
    NotSent { reason: String },
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
        // The link is stored before it is sent: a contact who opens it at once finds it.
        let written = self.store().add_link(&link, &entry).await?;
        let path = format!("/verify#{}", token.text());
        let mut log_indexes: Vec<u64> = written.log_index.into_iter().collect();
        let mailed = self.mail_link(caller, &stored, &contact, &path, link.expires_at).await;
        if let Some((fact, _)) = &mailed {
            let entry = NewEntry::new(Utc::now().trunc_subsecs(6), caller.actor(), fact.clone());
            let written = self.store().append_journal(&[entry]).await?;
            log_indexes.extend(written.iter().filter_map(|w| w.log_index));
        }
        let mailed = match mailed {
            Some((_, mailed)) => mailed,
            None => Mailed::NotSent {
                reason: match (&self.settings().link_mail, &contact.email) {
                    (None, _) => {
                        "no mail was sent: this server has no SMTP server (--smtp); pass the link on \
                                  through the contact's registered channel"
                            .to_owned()
                    }
                    (Some(_), _) => {
                        "no mail was sent: the contact has no registered e-mail address; pass the \
                                     link on through their registered phone"
                            .to_owned()
                    }
                },
            },
        };
        Ok(IssuedLink {
            url: (!matches!(mailed, Mailed::Sent { .. })).then_some(path),
            mailed,
            contact,
            expires_at: link.expires_at,
            log_indexes,
        })
    }

    /// E-mails a link to its contact's registered address, when this server sends mail
    /// and the contact has one: the fact to keep and how it went. The mail names the
    /// request and its authority, never its targets (what `view_link` shows).
    async fn mail_link(
        &self,
        caller: &Caller,
        stored: &StoredRequest,
        contact: &Contact,
        path: &str,
        expires_at: DateTime<Utc>,
    ) -> Option<(Fact, Mailed)> {
        let mail = self.settings().link_mail.as_ref()?;
        let address = contact.email.as_deref()?;
        let fact = |message_id: Option<String>, error: Option<String>| {
            Fact::LinkMailed(journal::LinkMailed {
                request: stored.id,
                authority: stored.authority.clone(),
                contact: contact.id.clone(),
                message_id,
                error,
            })
        };
        let to = match address.parse::<comity_notify::Mailbox>() {
            Ok(to) => comity_notify::Mailbox::new(Some(contact.name.clone()), to.email),
            Err(e) => {
                let error = format!("the contact's registered e-mail address cannot be used: {e}");
                return Some((
                    fact(None, Some(error.clone())),
                    Mailed::Failed { to: address.to_owned(), error },
                ));
            }
        };
        let subject = format!("comity: did {} send emergency request {}?", stored.authority, stored.id);
        let body = format!(
            "{provider} received an emergency request for data that says it comes from {authority}, \
             and will not act on it until a registered contact of {authority} confirms it through \
             another channel than the request came by.\n\n\
             Request: {id}\nYour reference: {reference}\nReceived: {received}\nRequested by: {by}\n\n\
             Open this link to see the request and confirm that your authority sent it, or deny it:\n\n\
             {url}{path}\n\n\
             The link works once, for you ({contact}), until {expires}. Do not forward it. If you know \
             nothing of this request, deny it: a forged emergency request is how data is stolen.\n",
            provider = stored.provider,
            authority = stored.authority,
            id = stored.id,
            reference = stored.reference,
            received = stored.received_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            by = caller.org(),
            url = mail.public_url,
            contact = contact.id,
            expires = expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        let to_text = to.to_string();
        match mail.mailer.send(&to, &subject, &body).await {
            Ok(message_id) => {
                tracing::info!(request = %stored.id, contact = %contact.id, "verification link e-mailed");
                Some((fact(Some(message_id.clone()), None), Mailed::Sent { to: to_text, message_id }))
            }
            Err(e) => {
                tracing::warn!(request = %stored.id, contact = %contact.id, error = %e, "verification link not e-mailed");
                let error = e.to_string();
                Some((fact(None, Some(error.clone())), Mailed::Failed { to: to_text, error }))
            }
        }
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
