//! Retention and disposal of productions (issue 15, item 3).
//!
//! At a production's retention date (its `retention` clock), the sweep crypto-shreds
//! comity's copy: the data key and the package's chunks are deleted in the transaction that
//! logs `production.shredded` (and the file of a package sealed before issue 17, after).
//! From then on the download answers 410 Gone with the date, and the authority's
//! attestation when it gave one.
//!
//! The receiving authority attests that it disposed of the data with a statement signed by
//! one of its registered keys: a compact JWS (EdDSA, `kid` of a key registered for it) over
//! [`statement`]. It is due by the retention date plus the grace in settings (the
//! `disposal_attestation` clock); missing, it is escalated to the authority and counted in
//! `comity_overdue` until it comes (seed norm "track how data is used, stored, retained,
//! and eventually disposed of"; CETS 224 Art 14(5), retention periods).

use chrono::{DateTime, SubsecRound, Utc};
use comity_access::Action;
use comity_auth::jws::{PublicKey, parse_compact};
use comity_core::{
    Act, ActorId, ClockClose, ClockKind, ClockOutcome, Fact, KeyId, RequestId, StoreError, journal,
    production::Production,
};
use comity_seal::RetentionUntil;
use comity_wire::Problem;
use serde_json::{Value, json};

use super::{custody_fact, parse_production};
use crate::{App, Caller, Error, Result};

/// How far in the future an attestation's `disposed_at` may be: the clocks' skew.
const SKEW_SECONDS: i64 = 60;

/// The statement an authority signs to attest disposal: the JSON payload of its JWS.
pub fn statement(
    request: RequestId,
    production: &str,
    package_sha256: &str,
    disposed_at: DateTime<Utc>,
) -> Value {
    json!({
        "type": "comity-disposal/v1",
        "request": request.to_string(),
        "production": production,
        "package_sha256": package_sha256,
        "disposed_at": disposed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// When a production's retention ends: the end of its day, for a date (UTC).
pub fn retention_end(retention_until: &str) -> Option<DateTime<Utc>> {
    match RetentionUntil::parse(retention_until).ok()? {
        RetentionUntil::Date(day) => day.and_hms_opt(23, 59, 59).map(|t| t.and_utc()),
        RetentionUntil::Time(t) => Some(t),
    }
}

/// The answer for a shredded production: 410, with when and the attestation.
pub(crate) fn gone(p: &Production) -> Error {
    let at = p.shredded_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default();
    let mut details = vec![
        Problem { path: "/shredded_at".into(), message: at.clone() },
        Problem { path: "/retention_until".into(), message: p.retention_until.clone() },
    ];
    let attested = match &p.attestation {
        Some(a) => {
            details.push(Problem {
                path: "/attestation/disposed_at".into(),
                message: a.disposed_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            });
            details.push(Problem { path: "/attestation/kid".into(), message: a.kid.to_string() });
            details.push(Problem { path: "/attestation/jws".into(), message: a.jws.clone() });
            format!("; the authority attested disposal on {}", a.disposed_at.format("%Y-%m-%d"))
        }
        None => "; the authority has not attested disposal yet".to_owned(),
    };
    if let Some(case) = p.recalled {
        details.push(Problem { path: "/remedy".into(), message: case.to_string() });
        return Error::Gone {
            code: "recalled",
            message: format!(
                "production {} was recalled by remedy case {case} (GET /v1/requests/{}/remedies/{case}): comity's copy \
                 was crypto-shredded on {at}{attested}",
                p.id, p.request
            ),
            details,
        };
    }
    Error::Gone {
        code: "disposed",
        message: format!(
            "production {} was disposed of at its retention date ({}): comity's copy was crypto-shredded on {at}{attested}",
            p.id, p.retention_until
        ),
        details,
    }
}

impl App {
    /// Crypto-shreds every sealed production of `request` whose retention ended by `at`:
    /// each one's data key and stored package destroyed with its `production.shredded`
    /// fact. A production another sweep shredded first is skipped. Returns the
    /// shredded productions' ids.
    pub(crate) async fn shred_due(
        &self,
        request: RequestId,
        at: DateTime<Utc>,
        recorded: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let store = self.store();
        let Some(current) = store.request(request).await? else { return Ok(Vec::new()) };
        let productions = self.productions_of_request(request).await?;
        let mut shredded = Vec::new();
        for p in productions {
            if p.package.is_none()
                || p.shredded_at.is_some()
                || retention_end(&p.retention_until).is_none_or(|end| end > at)
            {
                continue;
            }
            if self.shred_production(&current, &p, None, recorded).await? {
                tracing::info!(production = %p.id, %request, "a production was crypto-shredded at its retention date");
                shredded.push(p.id);
            }
        }
        Ok(shredded)
    }

    /// Crypto-shreds comity's copy of one sealed production: its data key and its package's
    /// chunks destroyed with its `production.shredded` fact (naming the remedy case that
    /// recalled it, if one did), then the file of a package sealed before issue 17 deleted.
    /// `false` when another act shredded it first.
    pub(crate) async fn shred_production(
        &self,
        current: &comity_core::StoredRequest,
        p: &Production,
        remedy: Option<u32>,
        recorded: DateTime<Utc>,
    ) -> Result<bool> {
        let Some(sealed) = &p.package else { return Ok(false) };
        let fact = Fact::ProductionShredded(journal::ProductionShredded {
            production: p.id.clone(),
            package_sha256: sealed.package_sha256.clone(),
            retention_until: p.retention_until.clone(),
            remedy,
        });
        let mut entry = custody_fact(&ActorId::system(), current, fact);
        entry.at = recorded;
        match self.store().destroy_package_key(&p.id, &[entry]).await {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        // The key is gone: a file from before issue 17 is noise now. Removed all the same, so
        // nothing of it lingers; a crash before this leaves bytes nothing on the server opens.
        if let Ok(dirs) = self.productions() {
            match std::fs::remove_file(dirs.package_path(&p.id)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(production = %p.id, "the shredded package's file stays: {e}"),
            }
        }
        Ok(true)
    }

    /// Every production of a request, whoever asks (the sweep's).
    pub(crate) async fn productions_of_request(&self, request: RequestId) -> Result<Vec<Production>> {
        let entries = self
            .store()
            .journal(&comity_core::JournalQuery::kinds(&comity_core::FactKind::PRODUCTION).request(request))
            .await?;
        Ok(Production::fold_all(&entries))
    }

    /// The issuing authority attests that it disposed of a production's data, with a
    /// compact JWS signed by one of its registered keys over [`statement`]. Returns the
    /// production and the audit-log entries appended.
    pub async fn attest_disposal(
        &self,
        caller: &Caller,
        id: RequestId,
        production: &str,
        jws: &str,
    ) -> Result<(Production, Vec<u64>)> {
        let production = parse_production(production)?;
        let (current, found) =
            self.visible_production(caller, id, &production, Some(&Action::AttestDisposal)).await?;
        let Some(sealed) = &found.package else {
            return Err(Error::conflict(format!(
                "production {} is {}: nothing left, so there is nothing to dispose of",
                found.id, found.status
            )));
        };
        if let Some(a) = &found.attestation {
            return Err(Error::conflict(format!(
                "production {} has its attestation of disposal already, of {}",
                found.id,
                a.disposed_at.format("%Y-%m-%d")
            )));
        }
        let now = Utc::now().trunc_subsecs(6);
        let invalid = |message: String| Error::invalid("invalid_attestation", "attestation", message);
        let compact = parse_compact(jws.trim()).map_err(|e| invalid(format!("is not a compact JWS: {e}")))?;
        let kid = KeyId::parse(compact.kid().as_str())
            .map_err(|_| invalid(format!("its kid {:?} is not a key id", compact.kid().as_str())))?;
        let key = self.key(&kid).await?.map(|v| v.key).filter(|k| k.authority == current.authority).ok_or_else(
            || {
                invalid(format!(
                    "its kid {kid} is not a key registered for {}: sign with one of its keys (`comity authority key list`)",
                    current.authority
                ))
            },
        )?;
        let public = PublicKey::from_bytes(&key.public_key).map_err(Error::internal)?;
        compact
            .verify(&public)
            .map_err(|e| invalid(format!("its signature does not verify with {kid}: {e}")))?;
        if key.check_use(now, now).is_err() {
            return Err(invalid(format!("the key {kid} is retired or revoked: sign with a key in use")));
        }
        let payload: Value = serde_json::from_slice(compact.payload()).map_err(|_| {
            invalid("its payload is not JSON: sign the statement `comity disposal sign` makes".into())
        })?;
        let expect = |field: &str, want: &str| -> Result<()> {
            match payload.get(field).and_then(Value::as_str) {
                Some(v) if v.eq_ignore_ascii_case(want) => Ok(()),
                Some(v) => Err(invalid(format!("its {field} is {v:?}, not {want:?}"))),
                None => Err(invalid(format!("its payload has no {field}; it must be {want:?}"))),
            }
        };
        expect("type", "comity-disposal/v1")?;
        expect("request", &id.to_string())?;
        expect("production", &found.id)?;
        expect("package_sha256", &sealed.package_sha256)?;
        let disposed_at = payload
            .get("disposed_at")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| invalid("its disposed_at is not an RFC 3339 time".into()))?;
        if disposed_at > now + chrono::Duration::seconds(SKEW_SECONDS) {
            return Err(invalid(format!(
                "its disposed_at {disposed_at} is in the future: attest once disposed of"
            )));
        }
        let fact = Fact::DisposalAttested(journal::DisposalAttested {
            production: found.id.clone(),
            package_sha256: sealed.package_sha256.clone(),
            disposed_at,
            kid,
            jws: jws.trim().to_owned(),
        });
        let entry = custody_fact(&caller.actor(), &current, fact);
        // A recalled production's attestation answers its recall (issue 15, item 4): the
        // cases it completes are met, with the recall clock, in this act.
        let (facts, clocks, closes) = if found.recalled.is_some() {
            let (mut met, clocks, close) = self.recall_after_attestation(&current, &found.id, now).await?;
            met.insert(0, entry);
            (met, clocks, close)
        } else {
            // In time, the attestation clock closes as met; late, its escalation stands in
            // the log and the count stops with this fact.
            let running = self
                .store()
                .clocks(id)
                .await?
                .into_iter()
                .find(|c| c.kind == ClockKind::DisposalAttestation && c.closed.is_none());
            let close = running.map(|c| ClockClose {
                request_id: id,
                kind: c.kind,
                due: c.due,
                at: now,
                outcome: ClockOutcome::Met,
            });
            (vec![entry], Vec::new(), close)
        };
        let written = self.store().act(&Act { request_id: id, at: now, facts, clocks, closes }).await?;
        let after = self
            .production_by_id(&found.id)
            .await?
            .ok_or_else(|| Error::corrupt("the production is gone"))?;
        Ok((after, written.iter().filter_map(|j| j.log_index).collect()))
    }
}

/// What `comity log verify --data-dir` found of the productions' packages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackagesChecked {
    /// Sealed packages whose stored copy opened with its data key and hashed to the
    /// logged SHA-256.
    pub kept: u64,
    /// Of those, the packages read from a file of the data directory, sealed before issue
    /// 17 kept packages in the database.
    pub from_files: u64,
    /// Productions shredded as logged: no data key left.
    pub shredded: u64,
    /// Packages sealed before encryption at rest (an empty key, migration 0022) whose file
    /// is not in this data directory: nothing proves they were kept, nor that they were
    /// not, so they are counted and named, not failed.
    pub legacy_missing: Vec<String>,
}

impl App {
    /// Checks comity's copies of the sealed packages against the log: each one not logged
    /// as shredded opens with its data key and hashes to the SHA-256 its `production.sealed`
    /// committed to, read from the database, or from its file for a package sealed before
    /// issue 17; each one logged as shredded has no data key and no chunk left. A key or a
    /// package gone without a `production.shredded` in the log, chunks of a production the
    /// log does not know, or a copy that does not open or hash, is tampering, named with its
    /// production. `Ok(Err(discrepancy))` for those. The chunks of a production still being
    /// sealed, or whose sealing was interrupted, are not a package yet: the sweep's.
    pub async fn check_packages(&self) -> Result<std::result::Result<PackagesChecked, String>> {
        use sha2::{Digest, Sha256};
        let productions = self.productions()?;
        let entries = self
            .store()
            .journal(&comity_core::JournalQuery::kinds(&comity_core::FactKind::PRODUCTION))
            .await?;
        let folded = Production::fold_all(&entries);
        let mut keys: std::collections::BTreeSet<String> =
            self.store().package_keys().await?.into_iter().collect();
        let mut chunked: std::collections::BTreeSet<String> =
            self.store().package_chunk_sets().await?.into_iter().map(|c| c.production).collect();
        let mut checked = PackagesChecked::default();
        for p in &folded {
            let has_key = keys.remove(&p.id);
            let has_chunks = chunked.remove(&p.id);
            let Some(sealed) = &p.package else {
                if has_key {
                    return Ok(Err(format!(
                        "production {}: a data key is kept for a package never sealed",
                        p.id
                    )));
                }
                continue;
            };
            if p.shredded_at.is_some() {
                if has_key {
                    return Ok(Err(format!(
                        "production {}: logged as shredded, but its data key is still in package_keys",
                        p.id
                    )));
                }
                if has_chunks {
                    return Ok(Err(format!(
                        "production {}: logged as shredded, but its package is still in package_chunks",
                        p.id
                    )));
                }
                checked.shredded += 1;
                continue;
            }
            if !has_key {
                return Ok(Err(format!(
                    "production {}: its data key is gone, and no production.shredded is logged: deleted outside comity",
                    p.id
                )));
            }
            if !has_chunks {
                // Sealed before issue 17: its file, in the data directory of the server that
                // sealed it.
                let path = productions.package_path(&p.id);
                let legacy = self.store().package_key(&p.id).await?.is_some_and(|k| k.is_empty());
                if legacy && !path.exists() {
                    checked.legacy_missing.push(p.id.clone());
                    continue;
                }
                if !path.exists() {
                    return Ok(Err(format!(
                        "production {}: its stored package is neither in the database nor at {}, and no \
                         production.shredded is logged (a package sealed before issue 17 is a file of the \
                         server that sealed it: run this there, or copy its file here)",
                        p.id,
                        path.display()
                    )));
                }
                checked.from_files += 1;
            }
            let mut plain = match self.open_stored(productions, &p.id).await {
                Ok(plain) => plain,
                Err(_) => {
                    return Ok(Err(format!(
                        "production {}: its stored package does not open with its data key (the key or the file was altered)",
                        p.id
                    )));
                }
            };
            let hashed = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
                let mut hasher = Sha256::new();
                std::io::copy(&mut plain, &mut hasher)?;
                Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
            })
            .await
            .map_err(Error::internal)?;
            match hashed {
                Ok(h) if h == sealed.package_sha256 => checked.kept += 1,
                Ok(h) => {
                    return Ok(Err(format!(
                        "production {}: its stored package hashes to {h}, not the {} its production.sealed committed to",
                        p.id, sealed.package_sha256
                    )));
                }
                Err(e) => {
                    return Ok(Err(format!(
                        "production {}: its stored package does not decrypt whole: {e}",
                        p.id
                    )));
                }
            }
        }
        if let Some(stray) = keys.into_iter().next() {
            return Ok(Err(format!(
                "package_keys holds a data key for {stray}, a production the log does not know"
            )));
        }
        if let Some(stray) = chunked.into_iter().next() {
            return Ok(Err(format!(
                "package_chunks holds a package for {stray}, a production the log does not know"
            )));
        }
        Ok(Ok(checked))
    }
}
