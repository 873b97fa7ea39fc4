//! A person's first sign-in enrols their authenticator (issue 14, item 2).
//!
//! An account is created with a TOTP secret sealed by the server key; the operator may hand
//! its `otpauth://` URI over, or the person enrols at their first sign-in: the right user
//! name and password for an account whose authenticator has never given a code open an
//! [`Enrolment`], which shows the secret (as a QR code in the portal) and asks for the
//! first code. Only that code opens a session, so a password alone never does.
//!
//! The enrolment is carried by a ticket, not a row: the user name and an expiry sealed
//! with the server key (XChaCha20-Poly1305, bound to its purpose), so it cannot be made
//! or altered without that key, and it ends by itself. It cannot be used twice: once a
//! code has been used the account is enrolled, and a ticket for an enrolled account is
//! refused. Every attempt counts against the name and client network as a login does.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_auth::{password, totp};
use comity_core::Username;

use crate::{
    App, Client, Error, Opened, Result, TOTP_ISSUER, accounts::totp_aad, sessions::invalid_credentials,
};

/// How long a person has to scan the code and type the first code it shows.
pub const ENROLMENT_MINUTES: i64 = 10;

/// What the server key binds a ticket to, so that no other sealed value passes as one.
const TICKET_AAD: &[u8] = b"comity enrolment ticket v1";

/// An enrolment opened by the right password of an account that has never used a code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub username: Username,
    /// `otpauth://totp/...`, for the QR code (Google Authenticator's key URI format).
    pub otpauth_uri: String,
    /// The same secret in base32, for typing into an authenticator by hand.
    pub secret_base32: String,
    /// The ticket that completes the enrolment with the first code: secret until then.
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}

impl App {
    /// Opens the enrolment of `username`'s authenticator, if `given` is its password and
    /// the account has never used a code; otherwise the same refusal as a login.
    pub async fn begin_enrolment(
        &self,
        username: &str,
        given: &str,
        client: &Client<'_>,
    ) -> Result<Enrolment> {
        let name = username.trim().to_lowercase();
        let now = Utc::now().trunc_subsecs(6);
        let (_, turn) = self.begin_attempt(&name, now, client).await?;
        let user = match Username::parse(&name) {
            Ok(username) => self.store().user(&username).await?,
            Err(_) => None,
        };
        let given = given.to_owned();
        let Some(user) = user.filter(|u| u.disabled_at.is_none()) else {
            self.checking_password(turn, move || password::dummy_verify(&given)).await?;
            client.refused("invalid_credentials", "failed enrolment");
            return Err(invalid_credentials());
        };
        let stored = user.password_hash.clone();
        let right = self.checking_password(turn, move || password::verify(&given, &stored)).await?;
        // An enrolled account answers as a wrong password does: the code is what is missing,
        // and saying so would tell a guesser the password was right.
        if !right || user.totp_last_step.is_some() {
            client.refused("invalid_credentials", "failed enrolment");
            return Err(invalid_credentials());
        }
        let secret = self.totp_secret(&user.username, &user.totp_sealed)?;
        let expires_at = now + Duration::minutes(ENROLMENT_MINUTES);
        let payload = format!("{}\n{}", expires_at.timestamp(), user.username);
        let ticket = URL_SAFE_NO_PAD.encode(self.settings().server_key.seal(payload.as_bytes(), TICKET_AAD));
        Ok(Enrolment {
            otpauth_uri: secret
                .otpauth_uri(TOTP_ISSUER, &format!("{}@{}", user.username, user.org))
                .map_err(Error::internal)?,
            secret_base32: secret.base32(),
            username: user.username,
            ticket,
            expires_at,
        })
    }

    /// Completes an enrolment with the authenticator's first code: a session, as a login.
    pub async fn complete_enrolment(&self, ticket: &str, code: &str, client: &Client<'_>) -> Result<Opened> {
        let now = Utc::now().trunc_subsecs(6);
        let expired = || Error::Unauthenticated {
            code: "enrolment_expired",
            message: format!(
                "this enrolment has ended (it lasts {ENROLMENT_MINUTES} minutes, and ends once a code is \
                 used); sign in again with your user name and password"
            ),
        };
        let username = self.open_ticket(ticket, now).ok_or_else(expired)?;
        let from = client.network().to_string();
        self.reserve_attempt(username.as_str(), &from, now, client).await?;
        let user = self.store().user(&username).await?.filter(|u| u.disabled_at.is_none());
        let Some(user) = user.filter(|u| u.totp_last_step.is_none()) else {
            client.refused("enrolment_expired", "enrolment of an enrolled or disabled account");
            return Err(expired());
        };
        if !self.use_totp(&user, code, now).await? {
            client.refused("invalid_code", "wrong first code");
            return Err(Error::Unauthenticated {
                code: "invalid_code",
                message: "the code is wrong: type the six digits your authenticator shows now for comity \
                          (they change every 30 seconds), and check the phone's clock is right"
                    .to_owned(),
            });
        }
        tracing::info!(user = %user.username, org = %user.org, "authenticator enrolled");
        let name = user.username.to_string();
        self.open_session(user, &name, &from, now).await
    }

    /// The user name a ticket was sealed for, if it is one of ours and has not expired.
    fn open_ticket(&self, ticket: &str, now: DateTime<Utc>) -> Option<Username> {
        let sealed = URL_SAFE_NO_PAD.decode(ticket.trim()).ok()?;
        let payload = self.settings().server_key.open(&sealed, TICKET_AAD).ok()?;
        let payload = String::from_utf8(payload).ok()?;
        let (expires, username) = payload.split_once('\n')?;
        let expires = DateTime::<Utc>::from_timestamp(expires.parse().ok()?, 0)?;
        (now < expires).then(|| Username::parse(username).ok()).flatten()
    }

    /// The account's TOTP secret, opened with the server key.
    pub(crate) fn totp_secret(&self, username: &Username, sealed: &[u8]) -> Result<totp::TotpSecret> {
        let secret = self.settings().server_key.open(sealed, &totp_aad(username)).map_err(|e| {
            tracing::error!(user = %username, error = %e, "the server key does not open this TOTP secret: is it the key the account was created with?");
            Error::internal(e)
        })?;
        totp::TotpSecret::from_bytes(&secret).map_err(Error::internal)
    }
}
