//! Masking one free-text field: third parties become their pseudonyms, other personal
//! data its type, and the targets' own identifiers stay.

use std::collections::{BTreeMap, HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};

use crate::{
    detect::Detector,
    pseudonym::{IdentifierKind, normalize},
    scan::{word_at, word_before},
    types::PiiType,
};

/// Builds a [`Masker`]: the targets' identifiers, the third parties with their
/// replacements, and the detector.
#[derive(Debug, Default)]
pub struct MaskerBuilder {
    keep: Vec<String>,
    third: Vec<(String, String)>,
    detector: Option<Detector>,
}

impl MaskerBuilder {
    /// A target's own identifier (e-mail address, phone number, IP address, account id):
    /// never masked, in whatever spelling [`normalize`] takes for the same. Its kind is
    /// guessed with [`IdentifierKind::guess`].
    #[must_use]
    pub fn keep(mut self, identifier: impl Into<String>) -> Self {
        self.keep.push(identifier.into());
        self
    }

    /// A third party seen in the production's structured fields, an identifier or a
    /// display name, and what replaces it (its pseudonym). Found anywhere in free text as
    /// a whole word, ignoring ASCII case (and the case of other letters as the whole name
    /// is upper- or lower-cased). An identifier that is also kept is ignored: a target is
    /// never pseudonymized.
    #[must_use]
    pub fn third_party(
        mut self,
        identifier_or_name: impl Into<String>,
        replacement: impl Into<String>,
    ) -> Self {
        self.third.push((identifier_or_name.into(), replacement.into()));
        self
    }

    /// The detector of personal data that is not a known party; without one, only the
    /// third parties are replaced.
    #[must_use]
    pub fn detector(mut self, detector: Detector) -> Self {
        self.detector = Some(detector);
        self
    }

    pub fn build(self) -> Result<Masker, BuildError> {
        let mut kept = HashSet::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut actions: Vec<Action> = Vec::new();
        for raw in &self.keep {
            let v = raw.trim();
            if v.is_empty() {
                continue;
            }
            for key in keys(IdentifierKind::guess(v), v) {
                kept.insert(key);
            }
            if v.chars().count() >= 2 {
                patterns.push(v.to_owned());
                actions.push(Action::Keep);
            }
        }
        let mut replacements = Vec::new();
        let mut third = HashMap::new();
        let mut seen = HashSet::new();
        let mut addresses = Addresses::default();
        for (raw, replacement) in &self.third {
            let v = raw.trim();
            if v.is_empty() {
                continue;
            }
            let kind = IdentifierKind::guess(v);
            let own = keys(kind, v);
            if own.iter().any(|k| kept.contains(k)) {
                continue;
            }
            let index = replacements.len();
            replacements.push(replacement.clone());
            for key in own {
                third.entry(key).or_insert(index);
            }
            // E-mail addresses go to their own index, not the automaton: a mailbox has
            // thousands of correspondents, and an automaton over them all takes about 1 KB
            // each to build (docs/benchmarks.md, "Production").
            if addresses.insert(v, index) {
                continue;
            }
            // ASCII case is folded by the automaton; for other letters, the name as given,
            // in lower case and in upper case.
            let mut variants = vec![v.to_owned()];
            if !v.is_ascii() {
                variants.push(v.to_lowercase());
                variants.push(v.to_uppercase());
            }
            for variant in variants {
                if seen.insert(variant.to_ascii_lowercase()) {
                    patterns.push(variant);
                    actions.push(Action::Pseudonym(index));
                }
            }
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            // A DFA searches faster than the default contiguous NFA (a production 8 % faster
            // with a few hundred names) but takes about 3.7 KB a pattern against 0.25 KB
            // (aho-corasick 1, `memory_usage`, names of 20 bytes): only up to
            // `DFA_PATTERNS`, so that a production's memory stays bounded (docs/benchmarks.md,
            // "Production").
            let kind = (patterns.len() <= DFA_PATTERNS).then_some(aho_corasick::AhoCorasickKind::DFA);
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .kind(kind)
                .build(&patterns)
                .map_err(|source| BuildError { count: patterns.len(), source })?;
            Some(ac)
        };
        Ok(Masker { automaton, addresses, actions, replacements, kept, third, detector: self.detector })
    }
}

/// The keys under which an identifier is looked up: its canonical form by kind, and for
/// phone numbers the national significant number, so that `06 12 34 56 78` in a message
/// is the same person as the party `+33612345678`.
fn keys(kind: IdentifierKind, value: &str) -> Vec<String> {
    let normal = normalize(kind, value);
    let mut out = vec![format!("{}{normal}", tag(kind))];
    if kind == IdentifierKind::Phone {
        if let Some(international) = normal.strip_prefix('+') {
            // The national number after a 1- to 3-digit country code, as a national
            // number with its trunk 0 would be written.
            for cc in 1..=3.min(international.len()) {
                out.push(format!("n:{}", &international[cc..]));
            }
        } else if let Some(national) = normal.strip_prefix('0') {
            out.push(format!("n:{national}"));
        }
    }
    out.push(compact_key(value));
    out
}

/// What a key of a kind of identifier begins with.
fn tag(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::Email => "e:",
        IdentifierKind::Phone => "p:",
        IdentifierKind::Ip => "i:",
        IdentifierKind::Account => "a:",
    }
}

/// `c:` and the value's letters and digits in upper case: how a name or a number written
/// any way is compared.
fn compact_key(value: &str) -> String {
    let mut key = String::with_capacity(value.len() + 2);
    key.push_str("c:");
    for c in value.chars().filter(|c| c.is_alphanumeric()) {
        if c.is_ascii() {
            key.push(c.to_ascii_uppercase());
        } else {
            key.extend(c.to_uppercase());
        }
    }
    key
}

/// The keys a detected value is looked up under: its canonical form and, for a national
/// number, its national key. A detected international number must match a kept one
/// exactly. Only these are computed: a production looks up every value the detector
/// finds, and the other keys of [`keys`] were a tenth of its time.
fn detected_keys(kind: PiiType, value: &str) -> Vec<String> {
    let id = match kind {
        PiiType::EmailAddress => IdentifierKind::Email,
        PiiType::PhoneNumber => IdentifierKind::Phone,
        PiiType::IpAddress => IdentifierKind::Ip,
        _ => return vec![compact_key(value)],
    };
    let normal = normalize(id, value);
    let national = match id {
        IdentifierKind::Phone => normal.strip_prefix('0').map(|national| format!("n:{national}")),
        _ => None,
    };
    std::iter::once(format!("{}{normal}", tag(id))).chain(national).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Keep,
    Pseudonym(usize),
    Mask(PiiType),
}

/// The most patterns (third parties' names and identifiers other than addresses) the
/// masker's automaton is built as a DFA for: about 15 MB at most.
const DFA_PATTERNS: usize = 4096;

/// Masks free text for one production. Built once with [`Masker::builder`], then used
/// for every free-text field; `Send + Sync`.
#[derive(Debug)]
pub struct Masker {
    automaton: Option<AhoCorasick>,
    addresses: Addresses,
    actions: Vec<Action>,
    replacements: Vec<String>,
    kept: HashSet<String>,
    third: HashMap<String, usize>,
    detector: Option<Detector>,
}

impl Masker {
    pub fn builder() -> MaskerBuilder {
        MaskerBuilder::default()
    }

    /// `text` with every third party replaced by its pseudonym and every other piece of
    /// personal data by its type in brackets (`[PHONE_NUMBER]`); the targets'
    /// identifiers stay. Counts what it replaced into `summary`.
    ///
    /// Where candidates overlap, a kept identifier protects what lies inside it (a third
    /// party's name inside a target's address), then the longer candidate wins, and of
    /// two as long the pseudonym. A detected address or number that is a known third
    /// party's gets that party's pseudonym.
    pub fn mask(&self, text: &str, summary: &mut Summary) -> String {
        let mut found: Vec<(usize, usize, Action)> = Vec::new();
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(text) {
                let (s, e) = (m.start(), m.end());
                // Whole words only: "Ann" is not in "Annual". A needle that begins or ends
                // with punctuation (`+33...`, `(Jean)`) is bounded by it.
                if word_at(text, s) && word_before(text, s) || word_before(text, e) && word_at(text, e) {
                    continue;
                }
                found.push((s, e, self.actions[m.pattern().as_usize()]));
            }
        }
        self.addresses.find(text, &mut found);
        if let Some(detector) = &self.detector {
            for span in detector.detect(text) {
                let value = &text[span.range()];
                let keys = detected_keys(span.kind(), value);
                let action = if keys.iter().any(|k| self.kept.contains(k)) {
                    Action::Keep
                } else if let Some(index) = keys.iter().find_map(|k| self.third.get(k)) {
                    Action::Pseudonym(*index)
                } else {
                    Action::Mask(span.kind())
                };
                found.push((span.start(), span.end(), action));
            }
        }
        let chosen = choose(found);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (s, e, action) in chosen {
            out.push_str(&text[at..s]);
            match action {
                Action::Keep => out.push_str(&text[s..e]),
                Action::Pseudonym(index) => {
                    out.push_str(&self.replacements[index]);
                    summary.record(Summary::THIRD_PARTY, 1);
                }
                Action::Mask(kind) => {
                    out.push_str(kind.placeholder());
                    summary.record(kind.as_str(), 1);
                }
            }
            at = e;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// The third parties' e-mail addresses, by local part then domain, lower-cased: found in
/// text from each `@`, as a whole word (the automaton's rule), in any letter case.
#[derive(Debug, Default)]
struct Addresses {
    by_local: HashMap<String, HashMap<String, usize>>,
    /// The longest local part and domain, in characters: how far from an `@` to look.
    local_chars: usize,
    domain_chars: usize,
}

impl Addresses {
    /// Indexes `value` for the third party `index` if it is an e-mail address (one `@`
    /// between two non-empty parts, no white space); the first party wins a duplicate.
    fn insert(&mut self, value: &str, index: usize) -> bool {
        let Some((local, domain)) = value.split_once('@') else {
            return false;
        };
        if local.is_empty()
            || domain.is_empty()
            || domain.contains('@')
            || value.contains(char::is_whitespace)
        {
            return false;
        }
        self.local_chars = self.local_chars.max(local.chars().count());
        self.domain_chars = self.domain_chars.max(domain.chars().count());
        self.by_local.entry(local.to_lowercase()).or_default().entry(domain.to_lowercase()).or_insert(index);
        true
    }

    /// Adds a pseudonym candidate for every indexed address in `text`.
    fn find(&self, text: &str, found: &mut Vec<(usize, usize, Action)>) {
        if self.by_local.is_empty() {
            return;
        }
        // A match may not start or end inside a word: "xa@b.org" does not hold "a@b.org".
        let starts_ok = |i: usize| !(word_at(text, i) && word_before(text, i));
        let ends_ok = |i: usize| !(word_before(text, i) && word_at(text, i));
        let (mut local, mut domain) = (String::new(), String::new());
        for (at, _) in text.match_indices('@') {
            for (s, _) in text[..at].char_indices().rev().take(self.local_chars) {
                if !starts_ok(s) {
                    continue;
                }
                let Some(domains) = self.by_local.get(lowercase(&text[s..at], &mut local)) else {
                    continue;
                };
                let from = at + 1;
                for (k, c) in text[from..].char_indices().take(self.domain_chars) {
                    let e = from + k + c.len_utf8();
                    if !ends_ok(e) {
                        continue;
                    }
                    if let Some(&index) = domains.get(lowercase(&text[from..e], &mut domain)) {
                        found.push((s, e, Action::Pseudonym(index)));
                    }
                }
            }
        }
    }
}

/// `text` in lower case: itself if it already is, else written into `buffer`. Each `@` of
/// a text is looked up with every local part and domain around it, and a fresh `String`
/// for each was a production's most frequent allocation.
fn lowercase<'a>(text: &'a str, buffer: &'a mut String) -> &'a str {
    if text.is_ascii() {
        if !text.bytes().any(|b| b.is_ascii_uppercase()) {
            return text;
        }
        buffer.clear();
        buffer.extend(text.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        *buffer = text.to_lowercase();
    }
    buffer
}

/// Which candidates apply: none inside a kept identifier; then, left to right, the longer
/// of two that overlap, and of two as long the pseudonym.
fn choose(mut found: Vec<(usize, usize, Action)>) -> Vec<(usize, usize, Action)> {
    let mut keeps: Vec<(usize, usize)> =
        found.iter().filter(|(_, _, a)| *a == Action::Keep).map(|(s, e, _)| (*s, *e)).collect();
    keeps.sort_unstable();
    found.retain(|(s, e, a)| *a == Action::Keep || !keeps.iter().any(|(ks, ke)| ks <= s && e <= ke));
    let rank = |a: &Action| match a {
        Action::Keep => 2,
        Action::Pseudonym(_) => 1,
        Action::Mask(_) => 0,
    };
    found.sort_unstable_by_key(|(s, e, a)| (*s, std::cmp::Reverse(*e), std::cmp::Reverse(rank(a))));
    let mut out: Vec<(usize, usize, Action)> = Vec::with_capacity(found.len());
    for c in found {
        match out.last_mut() {
            Some(last) if c.0 < last.1 => {
                let (len, last_len) = (c.1 - c.0, last.1 - last.0);
                if len > last_len || len == last_len && rank(&c.2) > rank(&last.2) {
                    *last = c;
                    while out.len() >= 2 && out[out.len() - 2].1 > out[out.len() - 1].0 {
                        let l = out.pop().expect("two are there");
                        let p = out.last_mut().expect("one is there");
                        if l.1 - l.0 > p.1 - p.0 {
                            *p = l;
                        }
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// How many of each type a production masked: `THIRD_PARTY` for pseudonymized third
/// parties, Presidio's names for the rest. Serializes as a JSON object of counts, in the
/// order of the names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Summary {
    counts: BTreeMap<String, u64>,
}

impl Summary {
    pub const THIRD_PARTY: &'static str = "THIRD_PARTY";

    /// Counts `n` more of `kind` (for the pipeline: a party pseudonymized in a
    /// structured field counts as `THIRD_PARTY`).
    pub fn record(&mut self, kind: &str, n: u64) {
        if n == 0 {
            return;
        }
        // Looked up before inserting: a production counts tens of millions of masks of a
        // handful of types, and `entry` would allocate the key each time.
        match self.counts.get_mut(kind) {
            Some(count) => *count += n,
            None => {
                self.counts.insert(kind.to_owned(), n);
            }
        }
    }

    /// Adds another summary's counts to this one.
    pub fn add(&mut self, other: &Summary) {
        for (kind, n) in &other.counts {
            self.record(kind, *n);
        }
    }

    pub fn count(&self, kind: &str) -> u64 {
        self.counts.get(kind).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

/// The third parties' automaton could not be built (aho-corasick's limits).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the automaton of {count} names and identifiers: {source}")]
pub struct BuildError {
    count: usize,
    #[source]
    source: aho_corasick::BuildError,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A detected value is looked up under the keys a kept or third-party identifier of its
    /// kind has, less its compact form, and for an international number its canonical form
    /// alone.
    #[test]
    fn a_detected_value_has_the_keys_an_identifier_of_its_kind_has() {
        let cases = [
            (PiiType::EmailAddress, "Claire.Bernard@Example.FR"),
            (PiiType::EmailAddress, "mailto:zoë@exämple.de"),
            (PiiType::PhoneNumber, "+33 6 12 34 56 78"),
            (PiiType::PhoneNumber, "0033 (0)6 12 34 56 78"),
            (PiiType::PhoneNumber, "06 12 34 56 78"),
            (PiiType::PhoneNumber, "(555) 123-4567"),
            (PiiType::IpAddress, "2001:DB8::1"),
            (PiiType::IpAddress, "192.0.2.7"),
            (PiiType::IbanCode, "fr76 3000 6000 0112 3456 7890 189"),
            (PiiType::CreditCard, "4111-1111-1111-1111"),
            (PiiType::Person, "Zoë Ǆurić"),
        ];
        for (kind, value) in cases {
            let expected: Vec<String> = match kind {
                PiiType::EmailAddress | PiiType::PhoneNumber | PiiType::IpAddress => {
                    let id = match kind {
                        PiiType::EmailAddress => IdentifierKind::Email,
                        PiiType::PhoneNumber => IdentifierKind::Phone,
                        _ => IdentifierKind::Ip,
                    };
                    let mut k = keys(id, value);
                    k.retain(|key| !key.starts_with("c:"));
                    if k[0].starts_with("p:+") {
                        k.truncate(1);
                    }
                    k
                }
                _ => vec![format!(
                    "c:{}",
                    value
                        .chars()
                        .filter(|c| c.is_alphanumeric())
                        .flat_map(char::to_uppercase)
                        .collect::<String>()
                )],
            };
            assert_eq!(detected_keys(kind, value), expected, "{kind:?} {value}");
        }
        assert_eq!(detected_keys(PiiType::PhoneNumber, "06 12 34 56 78"), ["p:0612345678", "n:612345678"]);
        assert_eq!(detected_keys(PiiType::Person, "Zoë Ǆurić"), ["c:ZOËǄURIĆ"]);
    }
}
