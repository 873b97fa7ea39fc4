//! Who is calling, and people logging in (issue 5, items 1 and 4).
//!
//! A system brings an API token, a person a session opened with a password (argon2id)
//! and a TOTP code (RFC 6238), both required. Either resolves into a [`Caller`] only if
//! its organisation is registered and its role belongs to that organisation's register.
//!
//! Failed logins count per attempted name, whether or not an account has it, and lock
//! the name with a growing back-off. Every failure answers the same, so a login never
//! tells whether a user exists, whether the password was right, or whether the code was.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_auth::{opaque::OpaqueToken, password, token::ApiToken, totp};
use comity_core::{Credential, Principal, SessionRecord, UserRecord, Username};

use crate::{App, Caller, Client, Error, Result, accounts::totp_aad};

/// How long a session lasts: a working day.
pub const SESSION_HOURS: i64 = 8;

/// Password hashes (argon2id, 19 MiB and about 15 ms each) run off the async workers and
/// one at a time: on a small machine two at once on the workers stalled every other answer
/// (docs/benchmarks.md, "Identity and trust"), and a burst of logins must not take the
/// memory of many hashes at once.
pub(crate) const HASHES_AT_ONCE: usize = 1;

/// Failures of one name before it is locked; each further failure doubles the lock, up
/// to an hour.
const FREE_FAILURES: u32 = 5;
const MAX_LOCK_MINUTES: i64 = 60;

/// A login: the name, the password and the current TOTP code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub username: String,
    pub password: String,
    pub totp: String,
}

/// A session just opened: its secret (the cookie's value, shown once) and its record.
#[derive(Debug)]
pub struct Opened {
    pub token: OpaqueToken,
    pub session: SessionRecord,
    pub user: UserRecord,
}

/// The lock after `failures` failures in a row: none for the first few, then 1, 2, 4 ...
/// minutes, at most an hour.
pub fn lock_after(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_FAILURES)?;
    let minutes = 1i64.checked_shl(over.min(10)).unwrap_or(i64::MAX).min(MAX_LOCK_MINUTES);
    Some(Duration::minutes(minutes))
}

fn invalid_credentials() -> Error {
    Error::Unauthenticated {
        code: "invalid_credentials",
        message:
            "the user name, password or code is wrong; check all three (the code changes every 30 seconds)"
                .to_owned(),
    }
}

impl App {
    /// The caller an API token (`comity_<id>_<secret>`) names, if it is known, unexpired
    /// and unrevoked at `now`.
    pub async fn token_caller(&self, text: &str, now: DateTime<Utc>) -> Result<Option<Caller>> {
        let Ok((id, secret)) = ApiToken::parse(text) else { return Ok(None) };
        let Some(record) = self.store().token(id.as_str()).await? else { return Ok(None) };
        if !secret.verify(&record.secret_hash) || record.revoked_at.is_some() || record.expires_at <= now {
            return Ok(None);
        }
        let principal =
            Principal { org: record.org, role: record.role, credential: Credential::Token(record.id) };
        self.caller(principal, Some(record.expires_at), None).await
    }

    /// The caller a session cookie's value names, if the session is open at `now` and its
    /// account enabled.
    pub async fn session_caller(&self, text: &str, now: DateTime<Utc>) -> Result<Option<Caller>> {
        let Some(hash) = OpaqueToken::hash_of(text) else { return Ok(None) };
        let Some(session) = self.store().session(&hash).await? else { return Ok(None) };
        if session.ended_at.is_some() || session.expires_at <= now {
            return Ok(None);
        }
        let Some(user) = self.store().user(&session.username).await? else { return Ok(None) };
        if user.disabled_at.is_some() {
            return Ok(None);
        }
        let principal =
            Principal { org: user.org, role: user.role, credential: Credential::Person(user.username) };
        self.caller(principal, Some(session.expires_at), Some(hash)).await
    }

    /// A caller for a principal whose organisation is registered and whose role belongs to
    /// its register; `None` otherwise (a tampered row, or a party that is gone).
    pub(crate) async fn caller(
        &self,
        principal: Principal,
        expires_at: Option<DateTime<Utc>>,
        session: Option<[u8; 32]>,
    ) -> Result<Option<Caller>> {
        let Some(party) = self.party(&principal.org).await? else { return Ok(None) };
        if principal.role.register() != party.role() {
            tracing::error!(org = %principal.org, role = %principal.role, "a credential's role does not fit its organisation");
            return Ok(None);
        }
        Ok(Some(Caller { principal, party, expires_at, session }))
    }

    /// Logs a person in: a session if the name, password and code are right, the code
    /// unused and the account enabled. A failure counts against the name and may lock it.
    pub async fn login(&self, login: &Login, client: &Client<'_>) -> Result<Opened> {
        let name = login.username.trim().to_lowercase();
        let now = Utc::now().trunc_subsecs(6);
        let store = self.store();
        if let Some(t) = store.login_throttle(&name).await?
            && let Some(until) = t.locked_until.filter(|u| *u > now)
        {
            client.refused("locked", "login while locked");
            let seconds = u32::try_from((until - now).num_seconds().max(1)).unwrap_or(u32::MAX);
            return Err(Error::Locked {
                code: "locked",
                message: format!("too many failed logins for this name; try again in {seconds} s"),
                retry_after: seconds,
            });
        }
        match self.check_login(&name, login, now).await? {
            Some(user) => {
                store.clear_login_failures(&name).await?;
                let token = OpaqueToken::generate();
                let session = SessionRecord {
                    id_hash: token.hash(),
                    username: user.username.clone(),
                    created_at: now,
                    expires_at: now + Duration::hours(SESSION_HOURS),
                    ended_at: None,
                };
                store.add_session(&session).await?;
                tracing::info!(user = %user.username, org = %user.org, "logged in");
                Ok(Opened { token, session, user })
            }
            None => {
                let failures = store.login_failed(&name, now).await?;
                if let Some(lock) = lock_after(failures) {
                    store.lock_login(&name, now + lock).await?;
                }
                client.refused("invalid_credentials", "failed login");
                Err(invalid_credentials())
            }
        }
    }

    /// The account, if the password and the code are right, the code unused, and the
    /// account enabled. Spends as long on an unknown name as on a known one.
    async fn check_login(&self, name: &str, login: &Login, now: DateTime<Utc>) -> Result<Option<UserRecord>> {
        let user = match Username::parse(name) {
            Ok(username) => self.store().user(&username).await?,
            Err(_) => None,
        };
        let given = login.password.clone();
        let Some(user) = user.filter(|u| u.disabled_at.is_none()) else {
            self.hashing(move || password::dummy_verify(&given)).await?;
            return Ok(None);
        };
        let stored = user.password_hash.clone();
        if !self.hashing(move || password::verify(&given, &stored)).await? {
            return Ok(None);
        }
        let secret = self.settings().server_key.open(&user.totp_sealed, &totp_aad(&user.username)).map_err(|e| {
            tracing::error!(user = %user.username, error = %e, "the server key does not open this TOTP secret: is it the key the account was created with?");
            Error::internal(e)
        })?;
        let secret = totp::TotpSecret::from_bytes(&secret).map_err(Error::internal)?;
        let now_unix = u64::try_from(now.timestamp()).unwrap_or(0);
        let Ok(step) = totp::verify(&secret, &login.totp, now_unix, user.totp_last_step) else {
            return Ok(None);
        };
        // The step is taken in the database, so two logins racing with one code cannot both
        // win (RFC 6238 §5.2).
        if !self.store().use_totp_step(&user.username, step).await? {
            return Ok(None);
        }
        Ok(Some(user))
    }

    /// Ends the caller's session, if it has one.
    pub async fn logout(&self, caller: &Caller) -> Result<()> {
        if let Some(hash) = caller.session {
            self.store().end_session(&hash, Utc::now()).await?;
        }
        Ok(())
    }

    /// Changes the password of the person who is calling, given the current one.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        client: &Client<'_>,
    ) -> Result<()> {
        let Credential::Person(username) = &caller.principal.credential else {
            return Err(Error::Forbidden("only a person who logged in has a password".to_owned()));
        };
        let user = self.store().user(username).await?.ok_or_else(crate::error::unauthenticated)?;
        let (current, stored) = (current.to_owned(), user.password_hash.clone());
        if !self.hashing(move || password::verify(&current, &stored)).await? {
            client.refused("invalid_credentials", "wrong current password");
            return Err(invalid_credentials());
        }
        let new = new.to_owned();
        let hash = self
            .hashing(move || password::hash(&new))
            .await?
            .map_err(|e| Error::invalid("invalid_password", "new_password", e.to_string()))?;
        Ok(self.store().set_password(username, &hash).await?)
    }

    /// Runs a password hash or check on the blocking pool, one at a time.
    async fn hashing<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _permit = self.inner.hashing.acquire().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(work).await.map_err(Error::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_grows_after_five_failures_up_to_an_hour() {
        let minutes = |n: u32| lock_after(n).map(|d| d.num_minutes());
        assert_eq!([0, 1, 4].map(minutes), [None, None, None]);
        assert_eq!([5, 6, 7, 8, 10, 11, 40, u32::MAX].map(minutes), [1, 2, 4, 8, 32, 60, 60, 60].map(Some));
    }
}
