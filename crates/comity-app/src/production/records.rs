//! What a production does to one record of an export (`docs/export-format.md`, "What
//! comity does with a record"): the scope test, the third parties it names, and the
//! record as it leaves, with every party who is not a target pseudonymized and every free
//! text masked. Pure: the pipeline around it reads and writes the files.

use indexmap::IndexMap;
use indexmap::map::Entry;
use std::borrow::Cow;

use comity_core::{Selector, normalize as selector_normalize, production::Scope};
use comity_redact::{
    BuildError, Detector, DetectorConfig, IdentifierKind, Masker, NationalIds, PhoneRegions, Pseudonyms,
    Summary, normalize,
};
use comity_wire::export::{PARTY_IDS, Record, Role, fields_of};
use comity_wire::json::{Json, Object};

/// The summary's count of parties pseudonymized in structured fields.
pub const PSEUDONYMIZED: &str = "THIRD_PARTY_PSEUDONYMIZED";

/// The decision's targets, to tell a target's identifier in any spelling.
#[derive(Debug)]
pub struct Targets<'a> {
    scope: &'a Scope,
}

impl<'a> Targets<'a> {
    pub fn new(scope: &'a Scope) -> Self {
        Targets { scope }
    }

    /// Whether `value` is one of the targets', compared as each target's kind compares.
    pub fn contains(&self, value: &str) -> bool {
        self.scope.targets().iter().any(|t: &Selector| selector_normalize(t.kind(), value) == t.normalized())
    }

    /// Whether the record may leave: a target's, in the window, of an approved category.
    pub fn admits(&self, record: &Record<'_>) -> bool {
        let window = self.scope.window();
        self.contains(&record.account)
            && window.from() <= record.time
            && record.time < window.to()
            && self.scope.categories().contains(&record.category)
    }

    /// The targets' values as the request names them, for the masker to keep.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.scope.targets().iter().map(|t| t.value())
    }
}

/// The third parties of a production: each identifier (normalized) with its pseudonym and
/// the display names it went by, gathered from the in-scope records' party fields, in the
/// order the export first names them. The order decides which party a display name two of
/// them share goes to in free text (the first), so it is the export's, not a hash map's:
/// the same export gives the same package.
#[derive(Debug, Default)]
pub struct ThirdParties {
    by_identifier: IndexMap<String, ThirdParty>,
}

#[derive(Debug)]
struct ThirdParty {
    seen: Seen,
    pseudonym: String,
}

/// A third party as records name it: the identifier as first written (the masker finds
/// it in free text) and its display names, in the order met.
#[derive(Debug)]
struct Seen {
    written: String,
    names: Vec<String>,
}

impl Seen {
    fn add_name(&mut self, name: &str) {
        let name = name.trim();
        if !name.is_empty() && self.names.len() < MAX_NAMES && !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_owned());
        }
    }
}

/// At most this many display names are kept per third party: one person's aliases, not
/// a list someone stuffed into a field.
const MAX_NAMES: usize = 8;

/// The third parties that one run of records names, before they are given pseudonyms:
/// runs of an export are read on every core, then added to [`ThirdParties`] in the
/// export's order, so that what is kept is what one reading from the start would keep.
#[derive(Debug, Default)]
pub struct Sightings {
    by_identifier: IndexMap<String, Seen>,
}

impl Sightings {
    /// Notes the parties `record` names who are not targets. Call for in-scope records
    /// only: those are the production's structured fields.
    pub fn collect(&mut self, record: &Record<'_>, targets: &Targets<'_>) {
        let Some(fields) = fields_of(&record.kind) else { return };
        for (name, value) in record.data.iter() {
            if let Some(role) = role_of(fields, name) {
                self.collect_value(value, role, targets);
            }
        }
    }

    fn collect_value(&mut self, value: &Json<'_>, role: Role, targets: &Targets<'_>) {
        match (role, value) {
            (Role::Party, Json::Object(party)) => self.collect_party(party, targets),
            (Role::Parties, Json::Array(items)) => {
                for item in items {
                    self.collect_value(item, Role::Party, targets);
                }
            }
            (Role::List(fields), Json::Array(items)) => {
                for item in items {
                    self.collect_value(item, Role::Object(fields), targets);
                }
            }
            (Role::Object(fields), Json::Object(object)) => {
                for (name, v) in object.iter() {
                    if let Some(role) = role_of(fields, name) {
                        self.collect_value(v, role, targets);
                    }
                }
            }
            _ => {}
        }
    }

    fn collect_party(&mut self, party: &Object<'_>, targets: &Targets<'_>) {
        let Some((kind, id)) = party_identifier(party) else { return };
        if targets.contains(id) {
            return;
        }
        let seen = self
            .by_identifier
            .entry(normalize(kind, id))
            .or_insert_with(|| Seen { written: id.trim().to_owned(), names: Vec::new() });
        if let Some(Json::String(name)) = party.get("name") {
            seen.add_name(name);
        }
    }
}

impl ThirdParties {
    pub fn len(&self) -> usize {
        self.by_identifier.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_identifier.is_empty()
    }

    /// Adds the parties of the next run of records, each new one with its pseudonym.
    pub fn add(&mut self, sightings: Sightings, pseudonyms: &Pseudonyms) {
        for (key, seen) in sightings.by_identifier {
            match self.by_identifier.entry(key) {
                Entry::Occupied(mut known) => {
                    for name in &seen.names {
                        known.get_mut().seen.add_name(name);
                    }
                }
                Entry::Vacant(new) => {
                    let pseudonym = pseudonyms.pseudonym(new.key());
                    new.insert(ThirdParty { seen, pseudonym });
                }
            }
        }
    }

    /// The pseudonym of a party's identifier, if it is a third party.
    fn pseudonym(&self, kind: IdentifierKind, id: &str) -> Option<&str> {
        self.by_identifier.get(&normalize(kind, id)).map(|p| p.pseudonym.as_str())
    }

    /// Every identifier and display name with its pseudonym, for the masker. A display
    /// name that is also a target's identifier stays out: a target is never masked.
    pub fn patterns(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_identifier.values().flat_map(|p| {
            std::iter::once((p.seen.written.as_str(), p.pseudonym.as_str()))
                .chain(p.seen.names.iter().map(|n| (n.as_str(), p.pseudonym.as_str())))
        })
    }
}

fn role_of(fields: &[(&str, Role)], name: &str) -> Option<Role> {
    fields.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// A party's identifier field: its kind and value.
fn party_identifier<'v>(party: &'v Object<'_>) -> Option<(IdentifierKind, &'v str)> {
    PARTY_IDS.iter().find_map(|(field, _)| match party.get(field) {
        Some(Json::String(v)) if !v.trim().is_empty() => Some((identifier_kind(field), v.as_ref())),
        _ => None,
    })
}

fn identifier_kind(field: &str) -> IdentifierKind {
    match field {
        "address" => IdentifierKind::Email,
        "number" => IdentifierKind::Phone,
        "ip" => IdentifierKind::Ip,
        _ => IdentifierKind::Account,
    }
}

/// The masker of a production's free text: the targets' identifiers kept, every third
/// party's identifier and display names replaced by its pseudonym, and the detector's
/// types (with these national identifiers) masked.
pub fn masker(
    targets: &Targets<'_>,
    parties: &ThirdParties,
    national_ids: NationalIds,
    phone_regions: PhoneRegions,
) -> Result<Masker, BuildError> {
    // What leaves must hold no third party's number: a production masks every number
    // libphonenumber finds possible (a length the plan has), not only those in the ranges
    // its metadata knew of, trading precision for recall.
    let mut masker = Masker::builder().detector(Detector::new(DetectorConfig {
        national_ids,
        phone_regions,
        phone_check: comity_redact::PhoneCheck::Possible,
        ..DetectorConfig::default()
    }));
    for value in targets.values() {
        masker = masker.keep(value);
    }
    for (pattern, pseudonym) in parties.patterns() {
        masker = masker.third_party(pattern, pseudonym);
    }
    masker.build()
}

/// Rewrites in-scope records for the package.
#[derive(Debug)]
pub struct Redactor<'a> {
    pub targets: &'a Targets<'a>,
    pub parties: &'a ThirdParties,
    pub masker: &'a Masker,
}

impl Redactor<'_> {
    /// The record as it leaves: the same shape, with every party who is not a target
    /// replaced by its pseudonym and every free text masked; counts go to `summary`.
    /// What stays as it was is borrowed from `record`.
    pub fn redact<'r>(&self, record: &Record<'r>, summary: &mut Summary) -> Json<'r> {
        let fields = fields_of(&record.kind);
        let data: Object<'r> = record
            .data
            .members()
            .map(|(name, value)| {
                // A field the kind does not list is free text, whatever it holds, so that
                // nothing a provider adds slips past.
                let role = fields.and_then(|f| role_of(f, name)).unwrap_or(Role::Text);
                (name.clone(), self.value(value, role, summary))
            })
            .collect();
        let mut out = Object::with_capacity(5);
        out.push("account", Json::String(record.account.clone()));
        out.push("kind", Json::String(record.kind.clone()));
        out.push("category", Json::String(Cow::Borrowed(record.category.as_str())));
        out.push(
            "time",
            Json::String(Cow::Owned(record.time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))),
        );
        out.push("data", Json::Object(data));
        Json::Object(out)
    }

    fn value<'r>(&self, value: &Json<'r>, role: Role, summary: &mut Summary) -> Json<'r> {
        match (role, value) {
            (Role::Kept, v) => v.clone(),
            (Role::Party, Json::Object(party)) => self.party(party, summary),
            (Role::Parties, Json::Array(items)) => {
                Json::Array(items.iter().map(|v| self.value(v, Role::Party, summary)).collect())
            }
            (Role::List(fields), Json::Array(items)) => {
                Json::Array(items.iter().map(|v| self.value(v, Role::Object(fields), summary)).collect())
            }
            (Role::Object(fields), Json::Object(object)) => Json::Object(
                object
                    .members()
                    .map(|(name, v)| {
                        let role = role_of(fields, name).unwrap_or(Role::Text);
                        (name.clone(), self.value(v, role, summary))
                    })
                    .collect(),
            ),
            // Free text, or a value not of the shape its role expects: every string in it
            // is masked.
            (_, v) => self.text(v, summary),
        }
    }

    /// A party: a target stays as it is; anyone else becomes `{"<id field>": pseudonym}`,
    /// the display name going with the identifier. A party without an identifier is
    /// masked as text.
    fn party<'r>(&self, party: &Object<'r>, summary: &mut Summary) -> Json<'r> {
        let Some((kind, id)) = party_identifier(party) else {
            return self.text_members(party, summary);
        };
        if self.targets.contains(id) {
            return Json::Object(party.clone());
        }
        let field = PARTY_IDS
            .iter()
            .map(|(f, _)| *f)
            .find(|f| party.get(f).is_some_and(|v| v.as_str() == Some(id)))
            .unwrap_or("account");
        let pseudonym = match self.parties.pseudonym(kind, id) {
            Some(p) => p.to_owned(),
            // Every in-scope party was collected in the first pass; this is a bug, and
            // the identifier still never leaves.
            None => "[THIRD_PARTY]".to_owned(),
        };
        summary.record(PSEUDONYMIZED, 1);
        let mut out = Object::with_capacity(1);
        out.push(field, Json::String(Cow::Owned(pseudonym)));
        Json::Object(out)
    }

    /// Every string in `value`, masked; a number that masking would change (a phone
    /// number written as a JSON number) becomes the masked text; booleans and nulls kept.
    fn text<'r>(&self, value: &Json<'r>, summary: &mut Summary) -> Json<'r> {
        match value {
            Json::String(s) => Json::String(Cow::Owned(self.masker.mask(s, summary))),
            Json::Number(n) => {
                let written = n.to_string();
                let masked = self.masker.mask(&written, summary);
                if masked == written { value.clone() } else { Json::String(Cow::Owned(masked)) }
            }
            Json::Array(items) => Json::Array(items.iter().map(|v| self.text(v, summary)).collect()),
            Json::Object(object) => self.text_members(object, summary),
            other => other.clone(),
        }
    }

    fn text_members<'r>(&self, object: &Object<'r>, summary: &mut Summary) -> Json<'r> {
        Json::Object(object.members().map(|(k, v)| (k.clone(), self.text(v, summary))).collect())
    }
}
