//! Policy packs as civil society reviews them (issue 16, item 8): every version comity has
//! judged with, its exact text, how many requests it judged, and what changed from one
//! version to the next, rule by rule.
//!
//! A server keeps each pack version it starts with that it has not seen before
//! ([`App::record_packs`]) as a `pack.adopted` fact: the pack file and any house file
//! layered on it, byte for byte, under the hash every screening by it records. The journal
//! is the place rather than a table of its own because its facts are append-only, each
//! committed to by an audit-log entry with the time it was first seen, and checked against
//! the log by `comity log verify --data-dir`: a version kept cannot later be edited or
//! dropped unnoticed, which is the point of keeping it. One version is kept once, whatever
//! the number of servers starting together (a unique index on the hash, migration 0026).
//!
//! What a pack says is public (the files are in comity's repository), so the history and
//! the texts are read without an account. How many requests each version judged is a count
//! of requests, which the access policy gives only to those who read aggregates
//! (`read_aggregates`: auditors, the operator, providers, reviewers): live, exact counts are
//! not published, and national-security figures only in bands and after a delay (50 U.S.C.
//! § 1874(a)).

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use comity_access::{Action, On};
use comity_core::{ActorId, Fact, FactKind, JournalQuery, NewEntry, StoreError, journal::PackAdopted};
use comity_policy::{Pack, PackDiff, PackHistory, PackVersion};

use crate::{App, Caller, Error, Result};

/// One version's text, and the pack it reads as.
#[derive(Debug, Clone)]
pub struct PackText {
    pub version: PackVersion,
    /// The pack file, byte for byte.
    pub text: String,
    /// The house file layered on it, if any.
    pub house: Option<String>,
    /// The pack as this comity reads it; `Err` for a text this comity no longer reads (a
    /// rule since removed from the code), with why.
    pub pack: std::result::Result<Pack, String>,
    /// The version before it whose text is kept, if any: what the page compares it with.
    pub previous: Option<PackVersion>,
}

/// A difference between two versions of one pack.
#[derive(Debug, Clone)]
pub struct PackComparison {
    pub from: PackVersion,
    pub to: PackVersion,
    pub diff: PackDiff,
}

impl App {
    /// Keeps every pack of the set in force whose hash is not kept yet (issue 16, item 8),
    /// as a `pack.adopted` fact at `at`; what a server does when it starts. Returns the
    /// versions kept now, as `id version`. A version another server kept meanwhile is not
    /// kept twice (the journal's unique index on the hash).
    pub async fn record_packs(&self, at: DateTime<Utc>) -> Result<Vec<String>> {
        let kept = self.kept_packs().await?;
        let mut recorded = Vec::new();
        for pack in self.packs().packs() {
            if kept.iter().any(|(p, _)| p.hash == pack.hash) {
                continue;
            }
            let fact = PackAdopted {
                pack: pack.id.clone(),
                version: pack.version.clone(),
                hash: pack.hash.clone(),
                text: pack.source().to_owned(),
                house: pack.house_source().map(str::to_owned),
            };
            let entry = NewEntry::new(at.trunc_subsecs(6), ActorId::system(), Fact::PackAdopted(fact));
            match self.store().append_journal(&[entry]).await {
                Ok(_) => recorded.push(format!("{} {}", pack.id, pack.version)),
                // Another server starting with the same pack kept it first.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(recorded)
    }

    /// Every pack comity has judged with or keeps, with its versions oldest first: those
    /// kept, and those the screenings name from before comity kept texts. The number of
    /// requests each judged is given only to a caller who may read aggregates.
    pub async fn pack_history(&self, caller: Option<&Caller>) -> Result<Vec<PackHistory>> {
        let counted = caller.is_some_and(|c| self.allowed(c, &Action::ReadAggregates, &On::Aggregates));
        self.histories(counted).await
    }

    /// [`App::pack_history`], with the counts or without.
    pub(crate) async fn histories(&self, counted: bool) -> Result<Vec<PackHistory>> {
        let kept = self.kept_packs().await?;
        let uses = self.store().pack_use().await?;
        let mut by_pack: BTreeMap<String, Vec<PackVersion>> = BTreeMap::new();
        for (fact, entry) in &kept {
            by_pack.entry(fact.pack.clone()).or_default().push(PackVersion {
                pack: fact.pack.clone(),
                version: fact.version.clone(),
                hash: fact.hash.clone(),
                first_seen: Some(entry.0),
                first_judged: None,
                log_index: entry.1,
                kept: true,
                in_force: false,
                requests_judged: counted.then_some(0),
            });
        }
        for u in uses {
            let versions = by_pack.entry(u.pack_id.clone()).or_default();
            match versions.iter_mut().find(|v| v.hash == u.pack_hash) {
                Some(v) => {
                    v.first_judged = Some(u.first_at);
                    v.requests_judged = counted.then_some(u.requests);
                }
                None => versions.push(PackVersion {
                    pack: u.pack_id.clone(),
                    version: u.pack_version.clone(),
                    hash: u.pack_hash.clone(),
                    first_seen: None,
                    first_judged: Some(u.first_at),
                    log_index: None,
                    kept: false,
                    in_force: false,
                    requests_judged: counted.then_some(u.requests),
                }),
            }
        }
        let mut history = Vec::with_capacity(by_pack.len());
        for (id, mut versions) in by_pack {
            let current = self.packs().packs().iter().find(|p| p.id == id);
            for v in &mut versions {
                v.in_force = current.is_some_and(|p| p.hash == v.hash);
            }
            versions.sort_by(|a, b| (a.since(), &a.hash).cmp(&(b.since(), &b.hash)));
            // The title and scope of the pack in force, else of the newest text kept.
            let newest = current.cloned().or_else(|| {
                kept.iter().rev().filter(|(f, _)| f.pack == id).find_map(|(f, _)| read_kept(f).ok())
            });
            let (title, applies_to) =
                newest.map_or_else(|| (id.clone(), String::new()), |p| (p.title, p.applies_to.to_string()));
            history.push(PackHistory { id, title, applies_to, versions });
        }
        Ok(history)
    }

    /// One version of a pack, by its version or its hash, with its text.
    pub async fn pack_text(&self, caller: Option<&Caller>, id: &str, version: &str) -> Result<PackText> {
        let history = self.pack_history(caller).await?;
        let versions = &history
            .iter()
            .find(|h| h.id == id)
            .ok_or_else(|| {
                Error::NotFound(format!("comity has judged with no pack {id:?}; GET /v1/packs lists them"))
            })?
            .versions;
        let found = pick(id, versions, version).map_err(|why| match why {
            Pick::Unknown => Error::NotFound(format!(
                "pack {id} has no version {version:?}; its versions are {}",
                versions.iter().map(|v| v.version.as_str()).collect::<Vec<_>>().join(", ")
            )),
            Pick::Ambiguous(message) => Error::Conflict { code: "ambiguous_version", message },
        })?;
        if !found.kept {
            return Err(Error::NotFound(format!(
                "pack {id} version {} (hash {}) judged requests before comity kept the text of its packs; \
                 its text is in the history of the pack's file, not here",
                found.version, found.hash
            )));
        }
        let kept = self.kept_packs().await?;
        let Some((fact, _)) = kept.iter().find(|(f, _)| f.hash == found.hash) else {
            return Err(Error::corrupt(format!(
                "pack {id} version {}: its text went missing",
                found.version
            )));
        };
        let position = versions.iter().position(|v| v.hash == found.hash).unwrap_or(0);
        let previous = versions[..position].iter().rev().find(|v| v.kept).cloned();
        Ok(PackText {
            version: found.clone(),
            text: fact.text.clone(),
            house: fact.house.clone(),
            pack: read_kept(fact),
            previous,
        })
    }

    /// What changed in a pack from version `from` to version `to` (each a version or a
    /// hash), rule by rule. Without `to`, the version in force (or the newest kept); without
    /// `from`, the version kept before `to`.
    pub async fn pack_diff(
        &self,
        caller: Option<&Caller>,
        id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<PackComparison> {
        let history = self.pack_history(caller).await?;
        let versions = &history
            .iter()
            .find(|h| h.id == id)
            .ok_or_else(|| {
                Error::NotFound(format!("comity has judged with no pack {id:?}; GET /v1/packs lists them"))
            })?
            .versions;
        let to = match to {
            Some(asked) => {
                pick(id, versions, asked).map_err(|why| asked_for(id, versions, "to", asked, why))?
            }
            None => versions
                .iter()
                .find(|v| v.in_force)
                .or_else(|| versions.iter().rev().find(|v| v.kept))
                .ok_or_else(|| Error::NotFound(format!("no text of pack {id} is kept")))?,
        };
        let from = match from {
            Some(asked) => {
                pick(id, versions, asked).map_err(|why| asked_for(id, versions, "from", asked, why))?
            }
            None => {
                let position = versions.iter().position(|v| v.hash == to.hash).unwrap_or(0);
                versions[..position].iter().rev().find(|v| v.kept).ok_or_else(|| {
                    Error::invalid(
                        "no_earlier_version",
                        "from",
                        format!(
                            "version {} is the first of pack {id} whose text is kept: name a version to compare it with",
                            to.version
                        ),
                    )
                })?
            }
        };
        let kept = self.kept_packs().await?;
        let read = |v: &PackVersion, name: &'static str| -> Result<Pack> {
            let fact = kept.iter().find(|(f, _)| f.hash == v.hash).map(|(f, _)| f).ok_or_else(|| {
                Error::invalid(
                    "text_not_kept",
                    name,
                    format!(
                        "version {} of pack {id} judged requests before comity kept pack texts; compare versions \
                         whose text is kept",
                        v.version
                    ),
                )
            })?;
            read_kept(fact).map_err(|why| Error::Conflict {
                code: "pack_unreadable",
                message: format!(
                    "version {} of pack {id} no longer reads with this comity: {why}",
                    v.version
                ),
            })
        };
        let (old, new) = (read(from, "from")?, read(to, "to")?);
        Ok(PackComparison { from: from.clone(), to: to.clone(), diff: comity_policy::diff(&old, &new) })
    }

    /// Every kept version: its fact, and its entry's time and log index, oldest first.
    async fn kept_packs(&self) -> Result<Vec<(PackAdopted, (DateTime<Utc>, Option<u64>))>> {
        let entries = self.store().journal(&JournalQuery::kinds(&[FactKind::PackAdopted])).await?;
        Ok(entries
            .into_iter()
            .filter_map(|e| match e.fact {
                Fact::PackAdopted(p) => Some((p, (e.at, e.log_index))),
                _ => None,
            })
            .collect())
    }
}

/// Why no one version answers to what was asked.
enum Pick {
    Unknown,
    /// Two texts carry the version asked for (a pack edited without raising its version,
    /// or house files changed): the message names their hashes.
    Ambiguous(String),
}

/// The version of `versions` that `asked` names: a version, or a hash (whole, or its
/// first 12 characters or more, as the pages show it).
fn pick<'a>(
    id: &str,
    versions: &'a [PackVersion],
    asked: &str,
) -> std::result::Result<&'a PackVersion, Pick> {
    let asked = asked.trim();
    let by_hash = asked.len() >= 12 && asked.bytes().all(|b| b.is_ascii_hexdigit());
    let matching: Vec<&PackVersion> = if by_hash {
        let asked = asked.to_ascii_lowercase();
        versions.iter().filter(|v| v.hash.starts_with(&asked)).collect()
    } else {
        versions.iter().filter(|v| v.version == asked).collect()
    };
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(Pick::Unknown),
        many => Err(Pick::Ambiguous(format!(
            "pack {id} has {} texts for {asked:?}: name one by its hash ({})",
            many.len(),
            many.iter().map(|v| v.hash.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The problem with a version asked for in the field `name` of a comparison.
fn asked_for(id: &str, versions: &[PackVersion], name: &str, asked: &str, why: Pick) -> Error {
    match why {
        Pick::Unknown => Error::invalid(
            "unknown_version",
            name,
            format!(
                "pack {id} has no version {asked:?}; give one of {} (or its hash)",
                versions.iter().map(|v| v.version.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
        Pick::Ambiguous(message) => Error::invalid("ambiguous_version", name, message),
    }
}

/// A kept text as this comity reads it, checked against the hash it was kept under.
fn read_kept(fact: &PackAdopted) -> std::result::Result<Pack, String> {
    let name = format!("{} {}", fact.pack, fact.version);
    let mut pack = Pack::parse(&name, &fact.text).map_err(|e| e.to_string())?;
    if let Some(house) = &fact.house {
        pack = pack.with_house(&format!("{name} (house file)"), house).map_err(|e| e.to_string())?;
    }
    if pack.hash != fact.hash {
        return Err(format!("its text no longer has the hash {} it was kept under", fact.hash));
    }
    Ok(pack)
}
