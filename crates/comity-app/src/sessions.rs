//! Who is calling, and people logging in (issue 5, items 1 and 4).
//!
//! A system brings an API token, a person a session opened with a password (argon2id)
//! and a TOTP code (RFC 6238), both required. Either resolves into a [`Caller`] only if
//! its organisation is registered and its role belongs to that organisation's register.
//!
//! Login attempts count per (attempted name, client network), whether or not an account
//! has the name, and lock that pair with a growing back-off (issue 12, finding 2): one
//! client's failures never lock the name's owner out from elsewhere. The attempt is
//! reserved in the store before the password is checked, so attempts that race cannot
//! all be checked against the limit. Every failure answers the same, so a login never
//! tells whether a user exists, whether the password was right, or whether the code was.
//!
//! Password hashes (argon2id, 19 MiB and about 15 ms each) run off the async workers on a
//! bounded pool that serves clients in turn (`crate::hashing`).

use chrono::{DateTime, Duration, SubsecRound, Utc};
use comity_auth::{opaque::OpaqueToken, password, token::ApiToken, totp};
use comity_core::{
    Credential, Fact, LoginSlot, NewEntry, Principal, SessionRecord, UserRecord, Username, journal,
};

use crate::{App, Caller, Client, Error, Result, hashing::Turn};

/// How long a session lasts: a working day.
pub const SESSION_HOURS: i64 = 8;

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

/// A password change: the current password and a current TOTP code, and the new password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChange {
    pub current_password: String,
    pub totp: String,
    pub new_password: String,
}

pub(crate) fn invalid_credentials() -> Error {
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
        // A token revoked, or its party suspended, through another server is refused now.
        self.store().sync_registers().await?;
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
        self.store().sync_registers().await?;
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
    /// unused and the account enabled. The attempt counts against the name from this
    /// client's network before the password is checked, and may lock that pair.
    pub async fn login(&self, login: &Login, client: &Client<'_>) -> Result<Opened> {
        let name = login.username.trim().to_lowercase();
        let now = Utc::now().trunc_subsecs(6);
        let (from, turn) = self.begin_attempt(&name, now, client).await?;
        match self.check_login(&name, &login.password, &login.totp, now, turn).await? {
            Some(user) => self.open_session(user, &name, &from, now).await,
            None => {
                client.refused("invalid_credentials", "failed login");
                Err(invalid_credentials())
            }
        }
    }

    /// Opens a session for `user`, who has just proved its password and code from the
    /// client network `from`: the failed attempts of that pair are forgotten.
    pub(crate) async fn open_session(
        &self,
        user: UserRecord,
        name: &str,
        from: &str,
        now: DateTime<Utc>,
    ) -> Result<Opened> {
        let store = self.store();
        store.clear_login_attempts(name, from).await?;
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

    /// Starts an attempt to prove `name`'s password from the client: refused with 429 at
    /// once if the client has as many hashes waiting as it may (before anything is
    /// written), then counted against (name, client network) in the store before any hash
    /// (so that racing attempts cannot all pass), then queued for a hash. Returns the
    /// client network as the store keys it, and the place in the queue.
    pub(crate) async fn begin_attempt(
        &self,
        name: &str,
        now: DateTime<Utc>,
        client: &Client<'_>,
    ) -> Result<(String, Turn)> {
        let from = client.network().to_string();
        self.admit_hashing(client)?;
        self.reserve_attempt(name, &from, now, client).await?;
        let turn = self.hashing_turn(client)?;
        Ok((from, turn))
    }

    /// Takes one attempt of `name` from `from` in the store, or refuses with 429 while the
    /// pair is locked (RFC 6585 §4: `Retry-After` says how long).
    pub(crate) async fn reserve_attempt(
        &self,
        name: &str,
        from: &str,
        now: DateTime<Utc>,
        client: &Client<'_>,
    ) -> Result<()> {
        match self.store().reserve_login(name, from, now).await? {
            LoginSlot::Granted { .. } => Ok(()),
            LoginSlot::Locked { until } => {
                client.refused("locked", "login while locked");
                let seconds = u32::try_from((until - now).num_seconds().max(1)).unwrap_or(u32::MAX);
                Err(Error::Locked {
                    code: "locked",
                    message: format!(
                        "too many failed logins for this name from your address; try again in {seconds} s"
                    ),
                    retry_after: seconds,
                })
            }
        }
    }

    /// The account, if the password and the code are right, the code unused, and the
    /// account enabled. Spends as long on an unknown name as on a known one.
    async fn check_login(
        &self,
        name: &str,
        given: &str,
        code: &str,
        now: DateTime<Utc>,
        turn: Turn,
    ) -> Result<Option<UserRecord>> {
        let user = match Username::parse(name) {
            Ok(username) => self.store().user(&username).await?,
            Err(_) => None,
        };
        let given = given.to_owned();
        let Some(user) = user.filter(|u| u.disabled_at.is_none()) else {
            self.checking_password(turn, move || password::dummy_verify(&given)).await?;
            return Ok(None);
        };
        let stored = user.password_hash.clone();
        if !self.checking_password(turn, move || password::verify(&given, &stored)).await? {
            return Ok(None);
        }
        if !self.use_totp(&user, code, now).await? {
            return Ok(None);
        }
        Ok(Some(user))
    }

    /// Whether `code` is the account's current TOTP code, unused: its step is then taken
    /// in the database, so two attempts racing with one code cannot both win (RFC 6238
    /// §5.2).
    pub(crate) async fn use_totp(&self, user: &UserRecord, code: &str, now: DateTime<Utc>) -> Result<bool> {
        let secret = self.totp_secret(&user.username, &user.totp_sealed)?;
        let now_unix = u64::try_from(now.timestamp()).unwrap_or(0);
        let Ok(step) = totp::verify(&secret, code, now_unix, user.totp_last_step) else {
            return Ok(false);
        };
        Ok(self.store().use_totp_step(&user.username, step).await?)
    }

    /// Ends the caller's session, if it has one.
    pub async fn logout(&self, caller: &Caller) -> Result<()> {
        if let Some(hash) = caller.session {
            self.store().end_session(&hash, Utc::now()).await?;
        }
        Ok(())
    }

    /// Changes the password of the person who is calling, given the current one and a
    /// current TOTP code (issue 12, finding 5: a stolen session alone must not be enough to
    /// keep the account). Every other session of the account ends; the caller's stays
    /// open, so the person is not logged out of the page they changed it on. The change is
    /// a `user.password_changed` fact in the journal and the audit log (never the hash).
    /// The attempt counts against the name from this client as a login does.
    pub async fn change_password(
        &self,
        caller: &Caller,
        change: &PasswordChange,
        client: &Client<'_>,
    ) -> Result<()> {
        let Credential::Person(username) = &caller.principal.credential else {
            return Err(Error::Forbidden("only a person who logged in has a password".to_owned()));
        };
        // The new password is checked first, so a refused one spends no attempt and no code.
        password::check_policy(&change.new_password)
            .map_err(|e| Error::invalid("invalid_password", "new_password", e.to_string()))?;
        let now = Utc::now().trunc_subsecs(6);
        let (from, turn) = self.begin_attempt(username.as_str(), now, client).await?;
        let user = self.store().user(username).await?.ok_or_else(crate::error::unauthenticated)?;
        let (current, stored) = (change.current_password.clone(), user.password_hash.clone());
        let right = self.checking_password(turn, move || password::verify(&current, &stored)).await?
            && self.use_totp(&user, &change.totp, now).await?;
        if !right {
            client.refused("invalid_credentials", "wrong current password or code");
            return Err(Error::Unauthenticated {
                code: "invalid_credentials",
                message: "the current password or the code is wrong; check both (the code changes every 30 \
                          seconds, and each code works once)"
                    .to_owned(),
            });
        }
        self.store().clear_login_attempts(username.as_str(), &from).await?;
        let new = change.new_password.clone();
        let hash = self
            .hashing(client, move || password::hash(&new))
            .await?
            .map_err(|e| Error::invalid("invalid_password", "new_password", e.to_string()))?;
        let fact = Fact::PasswordChanged(journal::PasswordChanged {
            username: username.clone(),
            org: user.org.clone(),
        });
        let entry = NewEntry::new(now, caller.actor(), fact);
        self.store().change_password(username, &hash, caller.session.as_ref(), now, &entry).await?;
        tracing::info!(user = %username, org = %user.org, "password changed; the other sessions ended");
        Ok(())
    }

    /// Checks a password on the pool in `turn`, counted in `comity_password_checks_total`.
    pub(crate) async fn checking_password<T: Send + 'static>(
        &self,
        turn: Turn,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let out = self.inner.hashing.run_in(turn, work).await.map_err(Error::internal)?;
        self.inner.hashing.count_check();
        Ok(out)
    }

    /// Runs a password hash on the pool, in the client's turn.
    async fn hashing<T: Send + 'static>(
        &self,
        client: &Client<'_>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let turn = self.hashing_turn(client)?;
        self.inner.hashing.run_in(turn, work).await.map_err(Error::internal)
    }

    /// The client's place in the hashing queue; 429 if it already has as many waiting as
    /// it may.
    fn hashing_turn(&self, client: &Client<'_>) -> Result<Turn> {
        self.inner.hashing.enter(client.network()).map_err(|crate::hashing::Busy| self.busy())
    }

    /// 429 now if the client already has as many hashes waiting as it may, before anything
    /// is spent on its attempt; nothing is taken, so no worker idles meanwhile.
    fn admit_hashing(&self, client: &Client<'_>) -> Result<()> {
        if self.inner.hashing.admits(client.network()) { Ok(()) } else { Err(self.busy()) }
    }

    fn busy(&self) -> Error {
        Error::Locked {
            code: "rate_limited",
            message: format!(
                "{} sign-ins from your address are already waiting; wait a second and send one at a time",
                self.inner.hashing.settings().queue_per_client
            ),
            retry_after: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use comity_core::trust::login_lock_after;

    #[test]
    fn the_lock_grows_after_five_attempts_up_to_an_hour() {
        let minutes = |n: u32| login_lock_after(n).map(|d| d.num_minutes());
        assert_eq!([0, 1, 4].map(minutes), [None, None, None]);
        assert_eq!([5, 6, 7, 8, 10, 11, 40, u32::MAX].map(minutes), [1, 2, 4, 8, 32, 60, 60, 60].map(Some));
    }
}
