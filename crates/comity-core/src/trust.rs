//! The trust registers: what comity must know to tell a real request from a forged one
//! and to let each person see only what they need. Authority keys and their history,
//! authority contacts, reviewer assignments, accounts, tokens, sessions and one-time
//! verification links.
//!
//! Facts that auditors must be able to check afterwards (a key added, rotated or revoked,
//! a contact registered, a reviewer assigned, an account or token created, a refused
//! signature) are kept as [`crate::journal::JournalEntry`]s: an append-only journal whose
//! every row has an entry in the audit log, like a request's events. Operational state that changes (a
//! password hash, the last TOTP step used, failed logins, sessions) lives in ordinary rows
//! and holds no secret in the clear: passwords are argon2id hashes, tokens and session ids
//! SHA-256 hashes, TOTP secrets sealed with a server key that is not in the database.

use chrono::{DateTime, Utc};

use crate::{KeyId, PartyId, RequestId, Role, Username};

/// A change in the life of an authority's signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    /// Registered for `authority`; usable from `at`.
    Added { authority: PartyId, public_key: [u8; 32] },
    /// Replaced by rotation: usable until `effective_at` (the overlap), then not.
    Retired { effective_at: DateTime<Utc>, replaced_by: Option<KeyId> },
    /// Compromised or withdrawn: nothing it signs from `effective_at` on is accepted.
    Revoked { effective_at: DateTime<Utc>, reason: String },
}

/// An authority's signing key as its history makes it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorityKey {
    pub kid: KeyId,
    pub authority: PartyId,
    pub public_key: [u8; 32],
    pub added_at: DateTime<Utc>,
    /// When rotation ends its use, if it was rotated.
    pub retired_at: Option<DateTime<Utc>>,
    /// When its revocation took effect, and why.
    pub revoked: Option<(DateTime<Utc>, String)>,
}

/// Why a key may not be used for a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUnusable {
    /// Revoked with effect at or before the signature's `iat`, or before its receipt.
    Revoked { effective_at: DateTime<Utc> },
    /// Retired by rotation before the signature's `iat` or its receipt.
    Retired { at: DateTime<Utc> },
    /// The signature claims a time before the key was registered.
    NotYetRegistered { added_at: DateTime<Utc> },
}

impl AuthorityKey {
    /// Folds a key's history, oldest first, into its state. `None` if the history does not
    /// start with its registration. The earliest retirement and revocation count: a later
    /// one cannot extend a key's life.
    pub fn from_history(kid: &KeyId, history: &[(DateTime<Utc>, KeyChange)]) -> Option<AuthorityKey> {
        let ((added_at, KeyChange::Added { authority, public_key }), rest) = history.split_first()? else {
            return None;
        };
        let mut key = AuthorityKey {
            kid: kid.clone(),
            authority: authority.clone(),
            public_key: *public_key,
            added_at: *added_at,
            retired_at: None,
            revoked: None,
        };
        for (_, change) in rest {
            match change {
                KeyChange::Added { .. } => {}
                KeyChange::Retired { effective_at, .. } => {
                    key.retired_at = Some(key.retired_at.map_or(*effective_at, |t| t.min(*effective_at)));
                }
                KeyChange::Revoked { effective_at, reason } => {
                    if key.revoked.as_ref().is_none_or(|(t, _)| effective_at < t) {
                        key.revoked = Some((*effective_at, reason.clone()));
                    }
                }
            }
        }
        Some(key)
    }

    /// Whether a signature that claims to be made at `iat` and arrives at `now` may be
    /// accepted under this key.
    ///
    /// A revocation or retirement counts once it is in effect at the signature's `iat`
    /// *or* at its receipt: a thief holding a revoked key could otherwise back-date `iat`
    /// to before the revocation, within a signature's 15-minute life.
    pub fn check_use(&self, iat: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), KeyUnusable> {
        let latest = iat.max(now);
        if let Some((effective_at, _)) = &self.revoked
            && *effective_at <= latest
        {
            return Err(KeyUnusable::Revoked { effective_at: *effective_at });
        }
        if let Some(at) = self.retired_at
            && at <= latest
        {
            return Err(KeyUnusable::Retired { at });
        }
        if iat < self.added_at - chrono::Duration::minutes(1) {
            return Err(KeyUnusable::NotYetRegistered { added_at: self.added_at });
        }
        Ok(())
    }

    /// Usable now, as far as its own history says.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.check_use(now, now).is_ok()
    }
}

/// A person an authority registered as a contact: the one who confirms its emergency
/// requests through a channel other than the one they came by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub authority: PartyId,
    /// Unique within the authority, such as `duty-officer`.
    pub id: Username,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// An Ed25519 key the contact signs confirmations with, if they have one.
    pub public_key: Option<[u8; 32]>,
}

/// A person's account. The secrets are never in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub username: Username,
    pub org: PartyId,
    pub role: Role,
    pub name: String,
    /// argon2id, as a PHC string.
    pub password_hash: String,
    /// The TOTP secret, sealed with the server key (the user name is bound in as
    /// associated data).
    pub totp_sealed: Vec<u8>,
    /// The last TOTP time step accepted: a code is good once (RFC 6238 §5.2).
    pub totp_last_step: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// Login attempts one client may make for one name before the pair is locked (issue 12,
/// finding 2). Each further attempt doubles the lock, up to [`MAX_LOGIN_LOCK_MINUTES`].
pub const FREE_LOGIN_ATTEMPTS: u32 = 5;
/// The longest lock of a (name, client) pair.
pub const MAX_LOGIN_LOCK_MINUTES: i64 = 60;
/// Attempts of a pair are forgotten after this long without one, as Keycloak's "failure
/// reset time" (12 hours by default) forgets them.
pub const LOGIN_ATTEMPTS_RESET_HOURS: i64 = 12;

/// The lock after a pair's `attempts`th attempt since its last success: none before the
/// [`FREE_LOGIN_ATTEMPTS`]th, then 1, 2, 4 ... minutes, at most an hour.
pub fn login_lock_after(attempts: u32) -> Option<chrono::Duration> {
    let over = attempts.checked_sub(FREE_LOGIN_ATTEMPTS)?;
    let minutes = 1i64.checked_shl(over.min(10)).unwrap_or(i64::MAX).min(MAX_LOGIN_LOCK_MINUTES);
    Some(chrono::Duration::minutes(minutes))
}

/// The answer to reserving a login attempt of a name (any name, existing or not, so that
/// a login never tells whether a user exists) from one client's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginSlot {
    /// The attempt may check the password; it is the pair's `attempt`th since its last
    /// success (or since its attempts were forgotten).
    Granted { attempt: u32 },
    /// The pair is locked until then; no password is checked.
    Locked { until: DateTime<Utc> },
}

/// A session of a person who logged in. Only the SHA-256 of its id is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: [u8; 32],
    pub username: Username,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// An API token of a system. Only the SHA-256 of its secret is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token's public id, the part before its secret.
    pub id: String,
    pub org: PartyId,
    pub role: Role,
    pub label: String,
    pub secret_hash: [u8; 32],
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A one-time link an authority's registered contact opens to confirm or deny an
/// emergency request. Only the SHA-256 of its secret is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    pub secret_hash: [u8; 32],
    pub request_id: RequestId,
    pub contact: Username,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// An authority's track record, shown to reviewers beside its requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthorityRecord {
    pub requests: u64,
    /// Requests that were rejected at some point (by screening or by a reviewer).
    pub rejected: u64,
    pub emergencies: u64,
    /// Emergencies held for verification.
    pub held: u64,
    /// Held emergencies a second contact confirmed.
    pub confirmed: u64,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, minute, 0).single().unwrap_or_else(|| panic!("time"))
    }

    fn key(history: &[(DateTime<Utc>, KeyChange)]) -> AuthorityKey {
        let kid = KeyId::parse("k1").unwrap_or_else(|e| panic!("{e}"));
        AuthorityKey::from_history(&kid, history).unwrap_or_else(|| panic!("a key"))
    }

    fn added() -> (DateTime<Utc>, KeyChange) {
        let authority = PartyId::parse("fr-tj-paris").unwrap_or_else(|e| panic!("{e}"));
        (t(0), KeyChange::Added { authority, public_key: [7; 32] })
    }

    #[test]
    fn a_fresh_key_is_usable_and_a_history_must_start_with_its_registration() {
        assert_eq!(key(&[added()]).check_use(t(5), t(6)), Ok(()));
        let kid = KeyId::parse("k1").unwrap_or_else(|e| panic!("{e}"));
        let revoked = (t(1), KeyChange::Revoked { effective_at: t(1), reason: "lost".into() });
        assert_eq!(AuthorityKey::from_history(&kid, &[revoked]), None);
        assert_eq!(AuthorityKey::from_history(&kid, &[]), None);
    }

    #[test]
    fn revocation_counts_at_the_signature_time_or_at_receipt_whichever_is_later() {
        let k = key(&[added(), (t(20), KeyChange::Revoked { effective_at: t(10), reason: "stolen".into() })]);
        // Signed before the revocation took effect, received before it too: fine.
        assert_eq!(k.check_use(t(5), t(9)), Ok(()));
        // Signed after: refused.
        assert_eq!(k.check_use(t(11), t(12)), Err(KeyUnusable::Revoked { effective_at: t(10) }));
        // Back-dated by a thief to before it, but received after: refused.
        assert_eq!(k.check_use(t(5), t(12)), Err(KeyUnusable::Revoked { effective_at: t(10) }));
    }

    #[test]
    fn rotation_leaves_an_overlap_and_the_earliest_end_counts() {
        let k = key(&[
            added(),
            (t(1), KeyChange::Retired { effective_at: t(30), replaced_by: None }),
            (t(2), KeyChange::Retired { effective_at: t(40), replaced_by: None }),
            (t(3), KeyChange::Revoked { effective_at: t(50), reason: "a".into() }),
            (t(4), KeyChange::Revoked { effective_at: t(45), reason: "b".into() }),
        ]);
        assert_eq!(k.retired_at, Some(t(30)));
        assert_eq!(k.revoked, Some((t(45), "b".to_owned())));
        assert_eq!(k.check_use(t(29), t(29)), Ok(()));
        assert_eq!(k.check_use(t(31), t(31)), Err(KeyUnusable::Retired { at: t(30) }));
        assert!(k.is_active(t(10)));
        assert!(!k.is_active(t(46)));
    }

    #[test]
    fn a_signature_claiming_a_time_before_registration_is_refused() {
        let k = key(&[added()]);
        assert!(matches!(
            k.check_use(t(0) - chrono::Duration::minutes(5), t(1)),
            Err(KeyUnusable::NotYetRegistered { .. })
        ));
    }
}
