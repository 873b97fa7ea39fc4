//! The detector: every finder over one text, and one answer without overlaps.

use regex::Regex;

use crate::{
    checks,
    person::PersonFinder,
    phone::{PhoneCheck, PhoneRegions, Phones},
    scan,
    types::{NationalIds, PiiType, Span},
};

/// What a [`Detector`] looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectorConfig {
    /// The national identifiers looked for (default: `US_SSN`).
    pub national_ids: NationalIds,
    /// Whether person names are looked for where the text announces them (greetings,
    /// titles, signatures); default: yes.
    pub persons: bool,
    /// The regions whose national phone formats are tried (default: the EU, the EEA,
    /// Switzerland, the UK and North America); international formats are found in all.
    pub phone_regions: PhoneRegions,
    /// Whether a phone number must be valid (default) or only possible.
    pub phone_check: PhoneCheck,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            national_ids: NationalIds::default(),
            persons: true,
            phone_regions: PhoneRegions::default(),
            phone_check: PhoneCheck::default(),
        }
    }
}

/// Finds personal data in free text. Built once, then shared: it is `Send + Sync` and
/// `detect` takes `&self`.
#[derive(Debug)]
pub struct Detector {
    config: DetectorConfig,
    /// The national identifiers other than US SSNs (which the number scan finds), each a
    /// regular expression for its shape and a check for its checksum.
    national: Vec<(PiiType, Regex)>,
    persons: Option<PersonFinder>,
    phones: Phones,
}

impl Detector {
    pub fn new(config: DetectorConfig) -> Detector {
        let national = config
            .national_ids
            .iter()
            .filter_map(|kind| national_pattern(kind).map(|p| (kind, p)))
            .map(|(kind, p)| (kind, Regex::new(p).expect("the national-identifier patterns are constants")))
            .collect();
        Detector {
            config,
            national,
            persons: config.persons.then(PersonFinder::new),
            phones: Phones::new(config.phone_check, config.phone_regions),
        }
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// The personal data in `text`: byte offsets on character boundaries, sorted, never
    /// overlapping. Where candidates overlap, the longer wins, and of two as long the
    /// more specific (a checksum over a shape over a context).
    pub fn detect(&self, text: &str) -> Vec<Span> {
        let mut found = Vec::new();
        let numbers =
            scan::Numbers { ssn: self.config.national_ids.contains(PiiType::UsSsn), phones: &self.phones };
        scan::scan(text, &numbers, &mut found);
        for (kind, re) in &self.national {
            for m in re.find_iter(text) {
                if national_valid(*kind, m.as_str()) {
                    found.push(Span::new(m.start(), m.end(), *kind));
                }
            }
        }
        if let Some(persons) = &self.persons {
            persons.find(text, &mut found);
        }
        resolve(found)
    }
}

/// Sorts and removes overlaps, keeping the longer span, then the more specific.
pub(crate) fn resolve(mut found: Vec<Span>) -> Vec<Span> {
    found.sort_unstable_by_key(|s| (s.start(), std::cmp::Reverse(s.end())));
    let mut out: Vec<Span> = Vec::with_capacity(found.len());
    for s in found {
        match out.last_mut() {
            Some(last) if s.start() < last.end() => {
                let (ls, ss) = (last.end() - last.start(), s.end() - s.start());
                if ss > ls || ss == ls && s.kind().specificity() > last.kind().specificity() {
                    *last = s;
                    // The replacement may now overlap the one before it.
                    while out.len() >= 2 && out[out.len() - 2].end() > out[out.len() - 1].start() {
                        let last = out.pop().expect("two spans are there");
                        let prev = out.last_mut().expect("one span is there");
                        if last.end() - last.start() > prev.end() - prev.start() {
                            *prev = last;
                        }
                    }
                }
            }
            _ => out.push(s),
        }
    }
    out
}

/// The shapes of the national identifiers. Word boundaries are ASCII's, so that an
/// identifier after an accented letter is still found after a space.
fn national_pattern(kind: PiiType) -> Option<&'static str> {
    Some(match kind {
        // HMRC National Insurance number: two prefix letters (D, F, I, Q, U, V never;
        // O never second), six digits, a suffix A-D; printed with or without spaces.
        PiiType::UkNino => {
            r"(?-u:\b)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?-u:\b)"
        }
        PiiType::EsNif => r"(?-u:\b)[0-9]{8}-?[A-Z](?-u:\b)",
        PiiType::EsNie => r"(?-u:\b)[XYZ]-?[0-9]{7}-?[A-Z](?-u:\b)",
        // Surname, name, year, month letter, day (+40 for women), place, check letter;
        // digits may be replaced by letters when two people would share a code.
        PiiType::ItFiscalCode => {
            r"(?-u:\b)[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?-u:\b)"
        }
        PiiType::DeTaxId => r"(?-u:\b)[1-9][0-9] ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}(?-u:\b)",
        PiiType::FrNir => {
            r"(?-u:\b)[12] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2A|2B) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}(?-u:\b)"
        }
        // Found by the number scan with the other digit groups.
        PiiType::UsSsn => return None,
        _ => return None,
    })
}

fn national_valid(kind: PiiType, value: &str) -> bool {
    let compact: Vec<u8> = value.bytes().filter(|b| b.is_ascii_alphanumeric()).collect();
    match kind {
        PiiType::UkNino => !matches!(&compact[..2], b"BG" | b"GB" | b"KN" | b"NK" | b"NT" | b"TN" | b"ZZ"),
        PiiType::EsNif => std::str::from_utf8(&compact[..8])
            .ok()
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| checks::es_check_letter(n) == compact[8]),
        PiiType::EsNie => {
            let prefix = match compact[0] {
                b'X' => 0,
                b'Y' => 1,
                _ => 2,
            };
            std::str::from_utf8(&compact[1..8])
                .ok()
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| checks::es_check_letter(prefix * 10_000_000 + n) == compact[8])
        }
        PiiType::ItFiscalCode => checks::it_fiscal_check(&compact) == Some(compact[15]),
        PiiType::DeTaxId => checks::de_tax_id_valid(&compact),
        PiiType::FrNir => checks::fr_nir_valid(&compact),
        _ => false,
    }
}

/// A span in characters (Unicode scalar values, as Python and Presidio count them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CharSpan {
    pub start: usize,
    pub end: usize,
    pub kind: PiiType,
}

/// The spans of `text` in character offsets, in one pass over the text: `spans` must be
/// sorted and non-overlapping, as [`Detector::detect`] returns them.
pub fn char_spans(text: &str, spans: &[Span]) -> Vec<CharSpan> {
    let mut out = Vec::with_capacity(spans.len());
    let (mut byte, mut chars) = (0, 0);
    let count = |to: usize, byte: &mut usize, chars: &mut usize| {
        // Spans start and end on character boundaries; std counts a `str`'s characters a
        // word at a time. Characters are the bytes that do not continue a UTF-8 sequence.
        *chars += match text.get(*byte..to) {
            Some(between) => between.chars().count(),
            None => text.as_bytes()[*byte..to].iter().filter(|b| (**b as i8) >= -0x40).count(),
        };
        *byte = to;
    };
    for s in spans {
        debug_assert!(s.start() >= byte, "spans must be sorted and apart");
        count(s.start(), &mut byte, &mut chars);
        let start = chars;
        count(s.end(), &mut byte, &mut chars);
        out.push(CharSpan { start, end: chars, kind: s.kind() });
    }
    out
}
