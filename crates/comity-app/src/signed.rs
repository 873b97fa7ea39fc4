//! Signed submissions (issue 5, item 2): an authority's system sends a request as a
//! compact JWS (RFC 7515) signed with an Ed25519 key registered for it (RFC 8037). The
//! payload's claims say who sends (`iss`), to whom (`aud`, the provider), when (`iat`,
//! `exp`, at most 15 minutes apart), a unique `jti`, and the `request` document.
//!
//! Every refusal is [`Error::Unauthenticated`] with its own code
//! (`comity_auth::jws::JwsRefusal::code`), and is kept in the journal (`auth.refused`)
//! before it is answered, so forged and replayed submissions leave a checkable trace.
//!
//! The order of the checks is the order in which each becomes meaningful: the form, the
//! key its `kid` names, the signature under that key, the claims' times, the key's
//! owner and life at `iat`, the audience and the issuer against the document, and last
//! the replay, which only a valid signature can be.

use chrono::{DateTime, SubsecRound, Utc};
use comity_auth::jws::{Claims, JwsRefusal, PublicKey, check_claims, parse_compact};
use comity_core::{
    ActorId, Credential, Fact, KeyId, KeyUnusable, NewEntry, Party, PartyId, Principal, Role, journal,
};

use crate::{App, Caller, Client, Error, Result};

/// A submission whose signature and claims hold.
#[derive(Debug)]
pub(crate) struct Signed {
    /// The key's authority, as a requester, by the key.
    pub caller: Caller,
    pub claims: Claims,
    /// The compact JWS as received: the evidence kept with the request.
    pub jws: String,
    /// The request document, as JSON bytes.
    pub document: Vec<u8>,
    pub kid: KeyId,
}

/// What a refusal can say about the submission, for the journal.
#[derive(Debug, Default)]
struct Seen {
    kid: Option<String>,
    iss: Option<String>,
}

enum Failure {
    Refused(JwsRefusal),
    Internal(Error),
}

impl From<JwsRefusal> for Failure {
    fn from(r: JwsRefusal) -> Self {
        Failure::Refused(r)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Internal(e)
    }
}

impl From<comity_core::StoreError> for Failure {
    fn from(e: comity_core::StoreError) -> Self {
        Failure::Internal(e.into())
    }
}

impl App {
    /// Checks a signed submission; every refusal is recorded before it is answered.
    pub(crate) async fn verify_signed(&self, body: &[u8], client: &Client<'_>) -> Result<Signed> {
        let mut seen = Seen::default();
        match self.check_signed(body, &mut seen).await {
            Ok(signed) => Ok(signed),
            Err(Failure::Refused(refusal)) => Err(self.refuse(&refusal, client, &seen).await),
            Err(Failure::Internal(e)) => Err(e),
        }
    }

    async fn check_signed(&self, body: &[u8], seen: &mut Seen) -> std::result::Result<Signed, Failure> {
        // A trailing line break (a file sent with curl --data-binary) is not part of the JWS.
        let text = std::str::from_utf8(body)
            .map_err(|_| JwsRefusal::Malformed("the body is not ASCII text".into()))?;
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            return Err(JwsRefusal::missing_signature().into());
        }
        let compact = parse_compact(text)?;
        seen.kid = Some(compact.kid().as_str().to_owned());
        let kid = KeyId::parse(compact.kid().as_str())
            .map_err(|_| JwsRefusal::unknown_key(compact.kid().as_str()))?;
        // A key revoked, or an authority suspended, through another server is refused now.
        self.store().sync_registers().await?;
        let key = self.key(&kid).await?.ok_or_else(|| JwsRefusal::unknown_key(kid.as_str()))?.key;
        let public = PublicKey::from_bytes(&key.public_key).map_err(Error::internal)?;
        compact.verify(&public)?;
        let now = Utc::now().trunc_subsecs(6);
        let claims = check_claims(compact.payload(), now.timestamp(), &self.settings().jws)?;
        seen.iss = Some(claims.iss.clone());
        if claims.iss != key.authority.as_str() {
            return Err(JwsRefusal::key_not_of_issuer(kid.as_str(), &claims.iss).into());
        }
        let iat = DateTime::from_timestamp(claims.iat, 0).unwrap_or(now);
        match key.check_use(iat, now) {
            Ok(()) => {}
            Err(KeyUnusable::Revoked { .. }) => return Err(JwsRefusal::key_revoked(kid.as_str()).into()),
            Err(_) => return Err(JwsRefusal::key_not_active(kid.as_str()).into()),
        }
        // The audience is the provider the request is addressed to, and it must be one this
        // comity serves: a request signed for another provider is not for us to act on.
        let addressee =
            claims.request.get("addressee").and_then(|a| a.get("provider")).and_then(|p| p.as_str());
        let provider_registered = match PartyId::parse(&claims.aud) {
            Ok(p) => matches!(self.party(&p).await?, Some(Party::Provider(_))),
            Err(_) => false,
        };
        if addressee != Some(claims.aud.as_str()) || !provider_registered {
            return Err(JwsRefusal::wrong_audience(addressee.unwrap_or("(none)"), &claims.aud).into());
        }
        let issuing = claims.request.get("issuing").and_then(|i| i.get("authority")).and_then(|a| a.as_str());
        if issuing != Some(claims.iss.as_str()) {
            // The document names its issuer; the signature is by another: the one who signs
            // is who submits.
            return Err(JwsRefusal::issuer_mismatch(issuing.unwrap_or("(none)"), &claims.iss).into());
        }
        if self.store().request_by_jti(&key.authority, &claims.jti).await?.is_some() {
            return Err(JwsRefusal::replayed(&claims.jti).into());
        }
        let principal = Principal {
            org: key.authority.clone(),
            role: Role::Requester,
            credential: Credential::Key(kid.clone()),
        };
        let caller = self
            .caller(principal, DateTime::from_timestamp(claims.exp, 0), None)
            .await?
            .ok_or_else(|| JwsRefusal::unknown_key(kid.as_str()))?;
        let document = serde_json::to_vec(&claims.request).map_err(Error::internal)?;
        Ok(Signed { caller, claims, jws: text.to_owned(), document, kid })
    }

    /// The refusal, after keeping it in the journal.
    async fn refuse(&self, refusal: &JwsRefusal, client: &Client<'_>, seen: &Seen) -> Error {
        let code = refusal.code();
        client.refused(code, &refusal.to_string());
        let fact = Fact::AuthRefused(journal::AuthRefused {
            code: code.to_owned(),
            kid: seen.kid.clone(),
            iss: seen.iss.clone(),
            client: client.ip.to_string(),
        });
        let actor = ActorId::parse("unauthenticated").unwrap_or_else(|_| ActorId::system());
        let entry = NewEntry::new(Utc::now().trunc_subsecs(6), actor, fact);
        if let Err(e) = self.store().append_journal(&[entry]).await {
            tracing::error!(error = %e, code, "a refused signature could not be kept in the journal");
        }
        Error::Unauthenticated { code, message: refusal.to_string() }
    }
}
