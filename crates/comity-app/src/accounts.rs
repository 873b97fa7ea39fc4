//! Accounts of people and API tokens of systems (issue 5, item 1), managed by admins of
//! the operator through [`Accounts`], the leave to manage them. Secrets are shown once,
//! in the answer that creates them, and stored only as hashes (tokens, passwords) or
//! sealed with the server key (TOTP secrets).

use chrono::{Duration, SubsecRound, Utc};
use comity_access::{Action, On};
use comity_auth::{password, token::ApiToken, totp::TotpSecret};
use comity_core::{
    ActorId, Fact, NewEntry, Party, PartyId, Role, StoreError, TokenRecord, UserRecord, Username, check_name,
    journal,
};

use crate::{App, Caller, Error, Result, error::a};

/// The issuer an authenticator app shows beside the code.
pub const TOTP_ISSUER: &str = "comity";

/// A token's life unless another is asked for, and the longest it may have.
const DEFAULT_TOKEN_DAYS: i64 = 90;
const MAX_TOKEN_DAYS: i64 = 365;

/// The associated data a user's sealed TOTP secret is bound to: a sealed secret copied
/// to another account does not open there.
pub fn totp_aad(username: &Username) -> Vec<u8> {
    format!("comity-totp:{username}").into_bytes()
}

/// Reads a lifetime such as `90d`, `12h` or `30m`.
pub fn parse_lifetime(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = (text.get(..split).unwrap_or(""), text.get(split..).unwrap_or(""));
    let n: i64 = number.parse().map_err(|_| format!("{text:?} is not a lifetime such as 90d, 12h or 30m"))?;
    let lifetime = match unit {
        "d" => Duration::days(n),
        "h" => Duration::hours(n),
        "m" => Duration::minutes(n),
        _ => return Err(format!("{text:?} is not a lifetime such as 90d, 12h or 30m")),
    };
    if n <= 0 {
        return Err("a lifetime must be positive".to_owned());
    }
    if lifetime > Duration::days(MAX_TOKEN_DAYS) {
        return Err(format!("a token lasts at most {MAX_TOKEN_DAYS} days; issue a new one when it ends"));
    }
    Ok(lifetime)
}

/// An account to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    /// The organisation (a registered party).
    pub org: String,
    /// The role; it must fit the organisation's register.
    pub role: String,
    pub name: String,
    /// The first password; one is generated if `None`.
    pub password: Option<String>,
}

/// An account just created, with its first password and TOTP secret: shown once.
#[derive(Debug, Clone)]
pub struct CreatedUser {
    pub user: UserRecord,
    pub password: String,
    /// `otpauth://totp/...` for an authenticator app (RFC 6238).
    pub totp_uri: String,
    pub totp_secret: TotpSecret,
    pub log_index: Option<u64>,
}

/// An API token to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewToken {
    pub org: String,
    pub role: String,
    /// What the token is for; `api` if `None`.
    pub label: Option<String>,
    /// How long it lasts, such as `90d`; 90 days if `None`.
    pub expires_in: Option<String>,
}

/// An API token just created, with its secret: shown once.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub record: TokenRecord,
    /// `comity_<id>_<secret>`.
    pub token: String,
}

/// The leave to manage accounts and tokens, and who has it.
#[derive(Debug, Clone)]
pub struct Accounts {
    app: App,
    actor: ActorId,
    /// The operator at the command line, root on its data directory: it may revoke its
    /// organisation's last admin token (with a warning), since it can always create
    /// another; an admin over the API may not (issue 12, finding 5).
    root: bool,
}

impl App {
    /// The leave to manage accounts and tokens, if the policy gives it to `caller`.
    pub fn manage_accounts(&self, caller: &Caller) -> Result<Accounts> {
        self.require(caller, &Action::ManageAccounts, &On::Accounts)?;
        Ok(Accounts { app: self.clone(), actor: caller.actor(), root: false })
    }

    /// The operator's leave, at the command line.
    pub(crate) fn accounts_as(&self, actor: ActorId) -> Accounts {
        Accounts { app: self.clone(), actor, root: true }
    }
}

impl Accounts {
    /// Creates a person's account with a generated first password (or the one given) and
    /// a fresh TOTP secret; the answer is the only place either is ever shown.
    pub async fn create_user(&self, new: &NewUser) -> Result<CreatedUser> {
        let username = Username::parse(&new.username)
            .map_err(|e| Error::invalid("invalid_user", "username", e.to_string()))?;
        let org = self.organisation(&new.org).await?;
        let role = role_for(&org, &new.role, "role")?;
        let name =
            check_name(&new.name).map_err(|e| Error::invalid("invalid_user", "name", e.to_string()))?;
        let password = new.password.clone().unwrap_or_else(password::generate);
        let hash = password::hash(&password)
            .map_err(|e| Error::invalid("invalid_password", "password", e.to_string()))?;
        let secret = TotpSecret::generate();
        let uri =
            secret.otpauth_uri(TOTP_ISSUER, &format!("{username}@{}", org.id())).map_err(Error::internal)?;
        let user = UserRecord {
            username: username.clone(),
            org: org.id().clone(),
            role,
            name: name.clone(),
            password_hash: hash,
            totp_sealed: self.app.settings().server_key.seal(secret.as_bytes(), &totp_aad(&username)),
            totp_last_step: None,
            created_at: Utc::now().trunc_subsecs(6),
            disabled_at: None,
        };
        let fact = Fact::UserAdded(journal::UserAdded {
            username: username.clone(),
            org: org.id().clone(),
            role,
            name,
        });
        let written = self.app.store().add_user(&user, &self.entry(fact)).await?;
        Ok(CreatedUser { user, password, totp_uri: uri, totp_secret: secret, log_index: written.log_index })
    }

    /// Disables an account at once: it can no longer log in, and its sessions end.
    pub async fn disable_user(&self, username: &str, reason: &str) -> Result<UserRecord> {
        let gone = || Error::NotFound(format!("no enabled account {username:?}"));
        let username = Username::parse(username).map_err(|_| gone())?;
        let user = self.app.store().user(&username).await?.ok_or_else(gone)?;
        let reason = check_name(reason)
            .map_err(|e| Error::invalid("invalid_user", "reason", format!("give the reason: {e}")))?;
        let now = Utc::now().trunc_subsecs(6);
        let fact = Fact::UserDisabled(journal::UserDisabled {
            username: username.clone(),
            org: user.org.clone(),
            reason,
        });
        let entry = self.entry(fact);
        match self.app.store().disable_user(&username, now, &entry).await {
            Ok(_) => Ok(UserRecord { disabled_at: Some(now), ..user }),
            Err(StoreError::NotFound) => Err(gone()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every account, by name.
    pub async fn users(&self) -> Result<Vec<UserRecord>> {
        Ok(self.app.store().users().await?)
    }

    /// Creates an API token; the answer holds the token, shown this once.
    pub async fn create_token(&self, new: &NewToken) -> Result<CreatedToken> {
        let org = self.organisation(&new.org).await?;
        let role = role_for(&org, &new.role, "role")?;
        let label = match &new.label {
            Some(l) => check_name(l).map_err(|e| Error::invalid("invalid_token", "label", e.to_string()))?,
            None => "api".to_owned(),
        };
        let lifetime = match &new.expires_in {
            Some(text) => {
                parse_lifetime(text).map_err(|e| Error::invalid("invalid_token", "expires_in", e))?
            }
            None => Duration::days(DEFAULT_TOKEN_DAYS),
        };
        let now = Utc::now().trunc_subsecs(6);
        let token = ApiToken::generate();
        let record = TokenRecord {
            id: token.id().as_str().to_owned(),
            org: org.id().clone(),
            role,
            label: label.clone(),
            secret_hash: token.hash(),
            created_at: now,
            expires_at: now + lifetime,
            revoked_at: None,
        };
        let fact = Fact::TokenCreated(journal::TokenCreated {
            id: record.id.clone(),
            org: org.id().clone(),
            role,
            label,
            expires_at: record.expires_at,
        });
        self.app.store().add_token(&record, &self.entry(fact)).await?;
        Ok(CreatedToken { record, token: token.text().to_owned() })
    }

    /// Revokes a token at once. Over the API, the organisation's last admin credential
    /// (no other unrevoked, unexpired admin token and no enabled admin account) is not
    /// revoked: 409 `last_admin`, naming the fix, since nobody could then manage accounts
    /// over the API. At the command line it is revoked, with a warning: the operator can
    /// always create another with `comity token create`, and a leaked last token must be
    /// revocable at once.
    pub async fn revoke_token(&self, id: &str) -> Result<TokenRecord> {
        let gone = || Error::NotFound(format!("no active token {id}"));
        let record = self.app.store().token(id).await?.ok_or_else(gone)?;
        let now = Utc::now().trunc_subsecs(6);
        let fact =
            Fact::TokenRevoked(journal::TokenRevoked { id: record.id.clone(), org: record.org.clone() });
        let entry = self.entry(fact);
        let store = self.app.store();
        let mut revoked = store.revoke_token(id, now, &entry, true).await;
        if let (true, Err(StoreError::Conflict(last))) = (self.root, &revoked) {
            tracing::warn!("{last}; revoked anyway, as the operator asked at the command line");
            revoked = store.revoke_token(id, now, &entry, false).await;
        }
        match revoked {
            Ok(_) => Ok(TokenRecord { revoked_at: Some(now), ..record }),
            Err(StoreError::NotFound) => Err(gone()),
            Err(StoreError::Conflict(message)) => Err(Error::Conflict { code: "last_admin", message }),
            Err(e) => Err(e.into()),
        }
    }

    /// Every token, newest first (never their secrets).
    pub async fn tokens(&self) -> Result<Vec<TokenRecord>> {
        Ok(self.app.store().tokens().await?)
    }

    async fn organisation(&self, org: &str) -> Result<Party> {
        let id = PartyId::parse(org).map_err(|e| Error::invalid("unknown_org", "org", e.to_string()))?;
        self.app.store().party(&id).await?.ok_or_else(|| {
            Error::invalid("unknown_org", "org", format!("no party {id} is registered; register it first"))
        })
    }

    fn entry(&self, fact: Fact) -> NewEntry {
        NewEntry::new(Utc::now().trunc_subsecs(6), self.actor.clone(), fact)
    }
}

fn role_for(party: &Party, role: &str, field: &str) -> Result<Role> {
    let role = Role::parse(role).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        Error::invalid(
            "invalid_role",
            field,
            format!("{role:?} is not a role; use one of {}", known.join(", ")),
        )
    })?;
    if role.register() != party.role() {
        return Err(Error::invalid(
            "invalid_role",
            field,
            format!(
                "{} is {}, whose people and systems are {}s, not {role}s",
                party.id(),
                a(party.role().noun()),
                Role::of_register(party.role())
            ),
        ));
    }
    Ok(role)
}
