//! Intake: a request arrives, signed by a key registered for its authority (a system) or
//! from a person of that authority who logged in (the portal); its document is parsed,
//! its parties checked, and it is stored and screened in one durable write.
//!
//! A party an operator deactivated or suspended may not be party to a new request: the
//! submission is refused saying who decided, why and until when (`standing`), the same
//! way whether it came signed or from the portal.
//!
//! With an idempotency key, a submission that repeats an earlier one of the same
//! authority returns the request created then instead of creating another; the same key
//! with a different document is refused, since it is a client error to reuse a key.

use chrono::{SubsecRound, Utc};
use comity_access::{Action, On};
use comity_core::{
    ActorId, AuthorityRecord, Credential, Fact, IdempotencyKey, NewRequest, Party, PartyId, Request,
    RequestId, Screening, State, StoreError, StoredRequest,
};
use comity_wire::parse_request;

use crate::{App, Caller, Client, Error, RequestView, Result, error::a, screening::History};

/// Who submits: the actor recorded on the receipt, the authority it may submit for, how
/// it arrived, and the signature kept as evidence.
#[derive(Debug, Clone)]
pub(crate) struct Submitter {
    pub actor: ActorId,
    pub authority: PartyId,
    pub receipt: String,
    pub signature: Option<String>,
    pub jti: Option<String>,
}

/// What intake did with a submission.
#[derive(Debug)]
pub struct Accepted {
    pub request: StoredRequest,
    /// True when the submission repeated an earlier one under the same idempotency key,
    /// and `request` is the one created then.
    pub replayed: bool,
    /// The audit-log entries the intake appended; empty for a replay, which appends none.
    pub log: Vec<u64>,
    /// What the intake's write knows of its answer; `None` for a replay.
    written: Option<Written>,
}

/// What an intake's write knows of the request it stored, so that its answer needs no
/// read after it (`App::view_accepted`).
#[derive(Debug)]
struct Written {
    /// The reviewer bodies its screening assigned, in order.
    reviewers: Vec<PartyId>,
    screening: Option<Screening>,
    record: AuthorityRecord,
}

/// A submitted document, parsed and checked against the registers.
struct Checked {
    /// The canonical JSON of the document, as stored.
    document: String,
    request: Request,
}

impl App {
    /// The request an intake accepted, as its answer shows it. A new request is shown as its
    /// write left it, with no read after it: the write knows its screening, its reviewers
    /// (those its screening assigned; no representative is registered yet) and its
    /// authority's record. A replay's request is read as it stands now.
    pub async fn view_accepted(&self, accepted: &Accepted) -> Result<RequestView> {
        let Some(written) = &accepted.written else { return self.view_after(accepted.request.clone()).await };
        let r = &accepted.request;
        let facts = self
            .facts_of(
                &r.authority,
                r.validator.as_ref(),
                &r.provider,
                written.reviewers.clone(),
                r.state,
                r.emergency,
            )
            .await?;
        Ok(RequestView {
            request: r.clone(),
            facts,
            screenings: written.screening.iter().cloned().collect(),
            record: written.record,
        })
    }

    /// Accepts a signed submission (a compact JWS, RFC 7515) for the authority whose
    /// registered key signed it. Every refusal of the signature is kept in the journal
    /// first (see `signed`), and told to `client`.
    pub async fn submit_signed(
        &self,
        jws: &[u8],
        key: Option<IdempotencyKey>,
        client: &Client<'_>,
    ) -> Result<Accepted> {
        let signed = self.verify_signed(jws, client).await?;
        let submitter = Submitter {
            actor: signed.caller.actor(),
            authority: signed.caller.org().clone(),
            receipt: format!("received signed by key {} of {}", signed.kid, signed.claims.iss),
            signature: Some(signed.jws),
            jti: Some(signed.claims.jti),
        };
        let checked = self.check_submission(&signed.document, &submitter).await?;
        self.permit_submission(&signed.caller, &checked.request).await?;
        self.intake(checked, key, &submitter).await
    }

    /// Accepts a request document from a person of its authority, logged in (the portal).
    pub async fn submit_document(
        &self,
        caller: &Caller,
        document: &[u8],
        key: Option<IdempotencyKey>,
    ) -> Result<Accepted> {
        let submitter = Submitter {
            actor: caller.actor(),
            authority: caller.org().clone(),
            receipt: format!("received through the portal from {}", caller.actor()),
            signature: None,
            jti: None,
        };
        let checked = self.check_submission(document, &submitter).await?;
        self.permit_submission(caller, &checked.request).await?;
        self.intake(checked, key, &submitter).await
    }

    /// Accepts a request the demo seeder made up, as if `submitter` had sent it: the
    /// seeder plays every party of the demo, so it asks no policy.
    pub(crate) async fn seed_request(&self, document: &[u8], submitter: &Submitter) -> Result<Accepted> {
        let checked = self.check_submission(document, submitter).await?;
        self.intake(checked, None, submitter).await
    }

    /// Parses the document and checks its parties, and that it is the submitter's own.
    async fn check_submission(&self, body: &[u8], submitter: &Submitter) -> Result<Checked> {
        let (document, request) = parse_request(body)?;
        self.check_parties(&request).await?;
        // Nobody submits for another authority: the document's issuer is who signed or who
        // is logged in, whatever it says.
        if request.issuing.authority != submitter.authority {
            return Err(Error::Forbidden(format!(
                "you submit for {}, but the document names {} as its issuing authority",
                submitter.authority, request.issuing.authority
            )));
        }
        let document = serde_json::to_string(&document).map_err(Error::internal)?;
        Ok(Checked { document, request })
    }

    /// The policy's check once the document names its parties.
    async fn permit_submission(&self, caller: &Caller, request: &Request) -> Result<()> {
        let facts = self
            .facts_of(
                &request.issuing.authority,
                request.issuing.validated_by.as_ref().map(|v| &v.authority),
                &request.addressee.provider,
                Vec::new(),
                State::Received,
                request.emergency,
            )
            .await?;
        if self.allowed(caller, &Action::Submit, &On::Request(&facts)) {
            return Ok(());
        }
        Err(if matches!(caller.principal.credential, Credential::Token(_)) {
            Error::Forbidden(
                "a system must sign what it submits: send the request as a compact JWS \
                 (`Content-Type: application/jose`) signed with a key registered for your authority; \
                 an API token alone cannot submit"
                    .to_owned(),
            )
        } else {
            Error::Forbidden(format!(
                "{} of {} may not submit requests for {}",
                a(caller.principal.role.as_str()),
                caller.org(),
                request.issuing.authority
            ))
        })
    }

    /// Stores a checked submission, screened, as one durable write.
    async fn intake(
        &self,
        checked: Checked,
        key: Option<IdempotencyKey>,
        submitter: &Submitter,
    ) -> Result<Accepted> {
        let Checked { document, request } = checked;
        let store = self.store();
        if let Some(key) = &key
            && let Some(earlier) = store.request_by_idempotency_key(&request.issuing.authority, key).await?
        {
            return replay(earlier, &document);
        }

        // Microseconds are what both databases keep; truncating here keeps the answer equal
        // to what a later read returns.
        let received_at = Utc::now().trunc_subsecs(6);
        // After the replay: a retry of a request accepted before a suspension still gets
        // the request created then (issue 16).
        self.check_standing(&request, received_at).await?;
        let id = RequestId::new_at(received_at.timestamp_millis().max(0) as u64);
        let new = NewRequest {
            id,
            received_at,
            actor: submitter.actor.clone(),
            receipt: submitter.receipt.clone(),
            authority: request.issuing.authority.clone(),
            provider: request.addressee.provider.clone(),
            instrument: request.instrument,
            kind: request.kind,
            emergency: request.emergency,
            reference: request.issuing.reference.clone(),
            document,
            idempotency_key: key,
            signature: submitter.signature.clone(),
            jti: submitter.jti.clone(),
            validator: request.issuing.validated_by.as_ref().map(|v| v.authority.clone()),
            targets: request.targets.iter().map(|t| t.selector.clone()).collect(),
            screening: None,
        };
        // Screening is pure and its history read is bounded, so it runs before the write and
        // its report and moves commit with the request: one durable write per intake. If it
        // fails, the request is still stored, as `received`, and `resume_screenings`
        // screens it on the next start. If it failed only because the store could not
        // answer for a moment (a database restarting), nothing is stored and the caller is
        // told to retry: stored unscreened, the request would have no deadline until a
        // server restarted (the chaos test found one so).
        let screened = match self.screen_request(&request, received_at, None, History::Authority).await {
            Ok(report) => self.plan(id, &request, State::Received, &report, received_at).await,
            Err(e) => Err(e),
        };
        let new = match screened {
            Ok(intake) => NewRequest { screening: Some(intake), ..new },
            Err(e @ Error::Unavailable { .. }) => return Err(e),
            Err(e) => {
                tracing::error!(request = %id, error = ?e, "screening on intake failed; the request is kept unscreened");
                new
            }
        };
        match store.insert_request(&new).await {
            Ok(intake) => {
                let reviewers = new.screening.iter().flat_map(|x| &x.facts).filter_map(|f| match &f.fact {
                    Fact::ReviewerAssigned(a) => Some(a.reviewer.clone()),
                    _ => None,
                });
                let written = Written {
                    reviewers: reviewers.collect(),
                    screening: intake.screening,
                    record: intake.record,
                };
                Ok(Accepted {
                    request: intake.request,
                    replayed: false,
                    log: intake.log,
                    written: Some(written),
                })
            }
            // A replay that raced the first use of its jti.
            Err(StoreError::JtiTaken) => Err(Error::Unauthenticated {
                code: "replayed",
                message:
                    "a request signed with this jti was already received; sign each submission with a new jti"
                        .to_owned(),
            }),
            // Another submission with the same key won a race with this one.
            Err(StoreError::IdempotencyKeyTaken) => {
                let key = new
                    .idempotency_key
                    .as_ref()
                    .ok_or_else(|| Error::internal(StoreError::IdempotencyKeyTaken))?;
                let earlier = store
                    .request_by_idempotency_key(&new.authority, key)
                    .await?
                    .ok_or_else(|| Error::internal(StoreError::IdempotencyKeyTaken))?;
                replay(earlier, &new.document)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The issuing and validating authorities and the provider must be registered, and the
    /// document must describe the issuer as registered: a request cannot promote a police
    /// force to a court by saying so.
    pub(crate) async fn check_parties(&self, request: &Request) -> Result<()> {
        let issuing = &request.issuing;
        self.check_authority("issuing", &issuing.authority, issuing.authority_type, Some(issuing.country))
            .await?;
        if let Some(v) = &issuing.validated_by {
            self.check_authority("issuing.validated_by", &v.authority, v.authority_type, None).await?;
        }
        match self.store().party(&request.addressee.provider).await? {
            Some(Party::Provider(_)) => Ok(()),
            _ => Err(Error::invalid(
                "unknown_provider",
                "addressee.provider",
                format!(
                    "no provider {:?} is registered; register it first (`comity provider add` or POST /v1/admin/providers)",
                    request.addressee.provider.as_str()
                ),
            )),
        }
    }

    async fn check_authority(
        &self,
        at: &str,
        id: &PartyId,
        claimed_type: comity_core::AuthorityType,
        claimed_country: Option<comity_core::CountryCode>,
    ) -> Result<()> {
        let Some(Party::Authority(registered)) = self.store().party(id).await? else {
            return Err(Error::invalid(
                "unknown_authority",
                format!("{at}.authority"),
                format!(
                    "no authority {:?} is registered; register it first (`comity authority add` or POST /v1/admin/authorities)",
                    id.as_str()
                ),
            ));
        };
        if registered.authority_type != claimed_type {
            return Err(Error::invalid(
                "authority_mismatch",
                format!("{at}.authority_type"),
                format!("{} is registered as {}, not {claimed_type}", id, registered.authority_type),
            ));
        }
        if let Some(country) = claimed_country
            && registered.country != country
        {
            return Err(Error::invalid(
                "authority_mismatch",
                format!("{at}.country"),
                format!("{} is registered in {}, not {country}", id, registered.country),
            ));
        }
        Ok(())
    }
}

fn replay(earlier: StoredRequest, document_json: &str) -> Result<Accepted> {
    if earlier.document == document_json {
        Ok(Accepted { request: earlier, replayed: true, log: Vec::new(), written: None })
    } else {
        Err(Error::invalid(
            "idempotency_key_reused",
            "",
            format!(
                "this Idempotency-Key was already used for request {} with a different document; \
                 use a new key for a new request",
                earlier.id
            ),
        ))
    }
}
