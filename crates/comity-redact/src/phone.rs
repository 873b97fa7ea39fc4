//! Phone numbers, confirmed by Google's libphonenumber metadata (the `phonenumber` crate,
//! its Rust port): every region's numbering plan, kept up to date by the people who know
//! it, rather than rules written here.
//!
//! The byte scan ([`crate::scan`]) finds candidates (digits with separators) fast; a
//! candidate is a phone number only when libphonenumber's rules, on the crate's metadata,
//! say it is valid (the default), or possible (a length the region's plan allows). A
//! number written with `+` or `00` names its country; one written in a national format
//! does not, so it is tried in the regions of [`PhoneRegions`].
//!
//! The rules are libphonenumber's (`PhoneNumberUtil`: `maybeStripNationalPrefixAndCarrierCode`,
//! `getRegionCodeForNumberFromRegionList`, `getNumberTypeHelper`,
//! `chooseFormattingPatternForNumber`), applied here to the crate's metadata, each pattern
//! anchored as libphonenumber matches it. The crate's own `parse`/`is_valid`/`format`
//! share one cache of 100 compiled patterns, which text with numbers of many regions
//! evicts and recompiles on every number, and loading its database compiles all 2,937
//! patterns (docs/benchmarks.md, "Redaction"). So `build.rs` reads the metadata at build
//! time, each pattern a DFA read in place. A national format's groups of digits are
//! placed by widths read from its pattern at build time. Where capture groups are needed
//! (a national prefix with a transform rule, a format whose pattern does not fix its
//! groups' widths), the pattern is also compiled, once, when first needed. A test checks
//! that both agree on every example number and its neighbours (`tests/it/outside.rs`).

use std::{
    borrow::Cow,
    fmt,
    str::FromStr,
    sync::{Arc, OnceLock},
};

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_automata::{
    Anchored, Input,
    dfa::{Automaton, dense::DFA},
    util::start,
};

use crate::types::ConfigError;

/// How sure of a phone number the detector must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PhoneCheck {
    /// libphonenumber says the number is valid: its country code is assigned and its
    /// digits match one of the region's number ranges (fixed line, mobile, toll free,
    /// ...). The default.
    #[default]
    Valid,
    /// libphonenumber says the number is possible: its country code is assigned and its
    /// length is one the region's plan has. Finds numbers in ranges assigned after the
    /// metadata was released, at the cost of precision.
    Possible,
}

impl FromStr for PhoneCheck {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "valid" => Ok(PhoneCheck::Valid),
            "possible" => Ok(PhoneCheck::Possible),
            other => Err(ConfigError::UnknownPhoneCheck(other.to_owned())),
        }
    }
}

/// The 27 member states of the European Union (ISO 3166-1 alpha-2).
const EU: [&str; 27] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
    "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

/// The default regions besides the EU: the rest of the EEA, Switzerland, the United
/// Kingdom and North America (the US plan, NANP, covers Canada and the Caribbean).
const DEFAULT_OTHERS: [&str; 7] = ["IS", "LI", "NO", "CH", "GB", "US", "CA"];

/// The regions (ISO 3166-1 alpha-2 codes, as libphonenumber names them) whose national
/// formats the detector tries on a number written without `+` or `00`: `06 12 34 56 78`
/// is French only if France is tried.
///
/// The default is the European Union, the rest of the EEA (Iceland, Liechtenstein,
/// Norway), Switzerland, the United Kingdom and North America: where comity's requests
/// and providers are. Each region tried costs time on every national candidate and
/// precision (an 8-digit group is a Danish number, a 9-digit one Spanish), so a
/// deployment names the regions its data comes from. International formats are found
/// in every region whatever this set.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PhoneRegions {
    /// One bit per pair of letters `AA`..`ZZ` (26 × 26).
    bits: [u64; 11],
}

impl PhoneRegions {
    pub fn none() -> PhoneRegions {
        PhoneRegions { bits: [0; 11] }
    }

    /// Every region libphonenumber has metadata for.
    pub fn all() -> PhoneRegions {
        REGIONS.iter().filter_map(|r| index(r.id)).fold(PhoneRegions::none(), |r, i| r.with_index(i))
    }

    /// The 27 member states of the European Union.
    pub fn eu() -> PhoneRegions {
        EU.iter().filter_map(|c| index(c)).fold(PhoneRegions::none(), |r, i| r.with_index(i))
    }

    fn with_index(mut self, i: usize) -> PhoneRegions {
        self.bits[i / 64] |= 1 << (i % 64);
        self
    }

    /// This set and the region `code` (`"FR"`), which libphonenumber must know.
    pub fn with(self, code: &str) -> Result<PhoneRegions, ConfigError> {
        let upper = code.trim().to_ascii_uppercase();
        match index(&upper) {
            Some(i) if region(&upper).is_some() => Ok(self.with_index(i)),
            _ => Err(ConfigError::UnknownRegion(code.trim().to_owned())),
        }
    }

    pub fn contains(&self, code: &str) -> bool {
        index(&code.to_ascii_uppercase()).is_some_and(|i| self.bits[i / 64] & 1 << (i % 64) != 0)
    }

    /// The regions, in alphabetical order.
    pub fn iter(&self) -> impl Iterator<Item = String> + '_ {
        (0..26 * 26).filter(|i| self.bits[i / 64] & 1 << (i % 64) != 0).map(|i| {
            let letters = [b'A' + (i / 26) as u8, b'A' + (i % 26) as u8];
            String::from_utf8_lossy(&letters).into_owned()
        })
    }

    pub fn len(&self) -> usize {
        self.bits.iter().map(|b| b.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The regions of this set and of `other`.
    pub fn union(self, other: PhoneRegions) -> PhoneRegions {
        PhoneRegions { bits: std::array::from_fn(|i| self.bits[i] | other.bits[i]) }
    }
}

/// The bit of a two-letter code.
fn index(code: &str) -> Option<usize> {
    match code.as_bytes() {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => Some(usize::from(a - b'A') * 26 + usize::from(b - b'A')),
        _ => None,
    }
}

impl Default for PhoneRegions {
    fn default() -> Self {
        EU.iter()
            .chain(&DEFAULT_OTHERS)
            .filter_map(|c| index(c))
            .fold(PhoneRegions::none(), |r, i| r.with_index(i))
    }
}

impl fmt::Debug for PhoneRegions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl FromStr for PhoneRegions {
    type Err = ConfigError;

    /// A comma-separated list of region codes (`FR,DE,GB`), and the names `DEFAULT`,
    /// `EU` and `ALL` for those sets; an empty string or `NONE` is the empty set (only
    /// international formats are found).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut regions = PhoneRegions::none();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            regions = match name.to_ascii_uppercase().as_str() {
                "NONE" => regions,
                "ALL" => regions.union(PhoneRegions::all()),
                "EU" => regions.union(PhoneRegions::eu()),
                "DEFAULT" => regions.union(PhoneRegions::default()),
                _ => regions.with(name)?,
            };
        }
        Ok(regions)
    }
}

/// One region's metadata, as `build.rs` wrote it from the `phonenumber` crate's.
#[derive(Debug)]
struct Region {
    /// Its ISO 3166-1 code (`FR`), or `001` for the non-geographic entities.
    id: &'static str,
    code: u16,
    /// The national (trunk) prefix dialled before a number inside the region (`0` in
    /// France, `1` in the US), if it has one.
    national_prefix: Option<&'static str>,
    /// The possible lengths of its national significant numbers, one bit each: the union
    /// of its number types' (the port leaves the general description's empty).
    lengths: u32,
    /// Its general pattern (pattern 0), then the pattern of each number type a valid
    /// number may be of (libphonenumber's getNumberTypeHelper), fixed lines and mobiles
    /// first: one DFA says which of them a number matches.
    numbers: Patterns,
    /// Each type's possible lengths (bits), in the order of its pattern in `numbers`.
    types: &'static [u32],
    /// Which numbers of a shared calling code are this region's.
    leading: Option<Pattern>,
    prefix_for_parsing: Option<Pattern>,
    transform: Option<&'static str>,
    formats: &'static [Format],
}

/// A pattern of the metadata, anchored as libphonenumber matches it, and its DFA's place
/// in [`DFAS`].
#[derive(Debug)]
struct Pattern {
    source: &'static str,
    at: usize,
    len: usize,
}

/// Whole-number patterns of the metadata, and the place in [`DFAS`] of their one DFA.
#[derive(Debug)]
struct Patterns {
    sources: &'static [&'static str],
    at: usize,
    len: usize,
}

/// A number format: libphonenumber's `NumberFormat`, as written in the metadata.
#[derive(Debug)]
struct Format {
    pattern: Pattern,
    /// The last of its leading-digits patterns.
    leading: Option<Pattern>,
    /// Where its groups are, when the pattern alone says so (`build.rs`'s `split`): each
    /// part's width, 0 for the one part that takes what the others leave, and its group,
    /// 0 for none.
    split: Option<&'static [(u8, u8)]>,
    format: &'static str,
    /// The national prefix formatting rule (`$NP $FG`).
    rule: Option<&'static str>,
}

include!(concat!(env!("OUT_DIR"), "/phone_plans.rs"));

/// Bytes aligned for a DFA's `u32` transitions.
#[repr(C, align(8))]
struct Aligned<B: ?Sized>(B);

/// The DFAs of every [`Pattern`], serialized little-endian by `build.rs`.
static DFAS: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/phone_dfas.bin")));

/// A compiled [`Pattern`].
#[derive(Debug)]
enum Matcher {
    /// Read in place from [`DFAS`] (its tables; the rest, 768 bytes, boxed).
    Dfa(Box<DFA<&'static [u32]>>),
    /// Compiled here: on a big-endian machine, where the little-endian DFAs do not read.
    Regex(Regex),
}

impl Pattern {
    fn compile(&self) -> Option<Matcher> {
        match DFA::from_bytes(&DFAS.0[self.at..self.at + self.len]) {
            Ok((dfa, _)) => Some(Matcher::Dfa(Box::new(dfa))),
            Err(_) => compiled_regex(self.source).map(Matcher::Regex),
        }
    }
}

impl Patterns {
    fn compile(&self) -> Option<Matchers> {
        match DFA::from_bytes(&DFAS.0[self.at..self.at + self.len]) {
            Ok((dfa, _)) => Some(Matchers::Dfa(Box::new(dfa))),
            Err(_) => RegexSetBuilder::new(self.sources)
                .ignore_whitespace(true)
                .unicode(false)
                .dfa_size_limit(1 << 16)
                .build()
                .ok()
                .map(Matchers::Set),
        }
    }
}

/// Compiled [`Patterns`].
#[derive(Debug)]
enum Matchers {
    Dfa(Box<DFA<&'static [u32]>>),
    Set(RegexSet),
}

impl Matchers {
    /// Which of the patterns match the whole of `digits`, one bit each: a region has at
    /// most eleven (its general pattern and ten types), and `build.rs` refuses more than
    /// 32.
    fn matched(&self, digits: &str) -> u32 {
        match self {
            // Its patterns match whole numbers: it can reach a match state only after the
            // end of input, and that state lists them all (`MatchKind::All`).
            Matchers::Dfa(dfa) => {
                let Ok(mut state) = dfa.start_state(&start::Config::new().anchored(Anchored::Yes)) else {
                    return 0;
                };
                for &b in digits.as_bytes() {
                    state = dfa.next_state(state, b);
                    if dfa.is_dead_state(state) {
                        return 0;
                    }
                }
                let end = dfa.next_eoi_state(state);
                if !dfa.is_match_state(end) {
                    return 0;
                }
                (0..dfa.match_len(end)).fold(0, |m, i| m | 1 << dfa.match_pattern(end, i).as_usize())
            }
            Matchers::Set(set) => set.matches(digits).iter().fold(0, |m, i| m | 1 << i),
        }
    }
}

impl Matcher {
    /// Where the leftmost-first match at the start of `digits` ends, if there is one.
    fn match_end(&self, digits: &str) -> Option<usize> {
        match self {
            Matcher::Dfa(dfa) => dfa
                .try_search_fwd(&Input::new(digits).anchored(Anchored::Yes))
                .ok()
                .flatten()
                .map(|m| m.offset()),
            Matcher::Regex(re) => re.find(digits).map(|m| m.end()),
        }
    }

    fn is_match(&self, digits: &str) -> bool {
        match self {
            // Walked a byte at a time, as regex-automata's docs show, rather than through
            // a search, whose set-up costs more than a number's ten-odd transitions. The
            // DFA enters a match state one byte after a match ends: so a pattern of the
            // number's start (`^(?:...)`) has matched as soon as one is entered, and one of
            // the whole number (`^(?:...)$`) can enter one only after the end of input.
            Matcher::Dfa(dfa) => {
                let Ok(mut state) = dfa.start_state(&start::Config::new().anchored(Anchored::Yes)) else {
                    return false;
                };
                for &b in digits.as_bytes() {
                    state = dfa.next_state(state, b);
                    if dfa.is_special_state(state) {
                        if dfa.is_match_state(state) {
                            return true;
                        }
                        if dfa.is_dead_state(state) || dfa.is_quit_state(state) {
                            return false;
                        }
                    }
                }
                dfa.is_match_state(dfa.next_eoi_state(state))
            }
            Matcher::Regex(re) => re.is_match(digits),
        }
    }
}

/// A pattern compiled here: where its capture groups are needed (the national prefix for
/// parsing, the national formats), and where the DFAs do not read.
///
/// The metadata's patterns carry the XML's line breaks and indentation, which
/// libphonenumber strips and the crate compiles with `ignore_whitespace`: so do we. They
/// are of ASCII digits: compiled without Unicode classes (`\d` is `[0-9]`, not every
/// script's digits), which makes them several times smaller and faster to build, and with
/// a small lazy-DFA cache each, since a text may touch hundreds of them once: the regex
/// crate's default of 2 MiB per pattern took `pii scan` to 366 MB on the outside corpus.
fn compiled_regex(source: &str) -> Option<Regex> {
    RegexBuilder::new(source).ignore_whitespace(true).unicode(false).dfa_size_limit(1 << 16).build().ok()
}

/// A region's plan: its metadata, and its patterns compiled on first use.
#[derive(Debug)]
struct Plan {
    region: &'static Region,
    compiled: OnceLock<Compiled>,
}

/// A national format, compiled.
#[derive(Debug)]
struct NumberFormat {
    leading: Option<Matcher>,
    pattern: Matcher,
    split: Option<&'static [(u8, u8)]>,
    /// The pattern with its capture groups, compiled when the format is first chosen,
    /// where `split` does not say where they are.
    groups: OnceLock<Option<Regex>>,
    source: &'static str,
    /// The format with the national prefix formatting rule applied to its first group.
    national: String,
}

#[derive(Debug)]
struct Compiled {
    numbers: Option<Matchers>,
    leading: Option<Matcher>,
    /// Whether the national prefix for parsing is there; its capture groups, compiled
    /// when it first is, say what replaces it.
    prefix_for_parsing: Option<Matcher>,
    prefix_groups: OnceLock<Option<Regex>>,
    /// The national formats, compiled when a national number first needs them.
    formats: OnceLock<Vec<NumberFormat>>,
}

impl Plan {
    fn new(region: &'static Region) -> Plan {
        Plan { region, compiled: OnceLock::new() }
    }

    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            let region = self.region;
            Compiled {
                numbers: region.numbers.compile(),
                leading: region.leading.as_ref().and_then(Pattern::compile),
                prefix_for_parsing: region.prefix_for_parsing.as_ref().and_then(Pattern::compile),
                prefix_groups: OnceLock::new(),
                formats: OnceLock::new(),
            }
        })
    }

    fn formats(&self) -> &[NumberFormat] {
        self.compiled().formats.get_or_init(|| {
            let region = self.region;
            region
                .formats
                .iter()
                .filter_map(|f| {
                    let mut national = f.format.to_owned();
                    if let Some(rule) = f.rule.filter(|r| !r.is_empty())
                        && let Some(first) = national.find('$').map(|i| national[i..i + 2].to_owned())
                    {
                        let rule =
                            rule.replace("$NP", region.national_prefix.unwrap_or("")).replace("$FG", &first);
                        national = national.replacen(&first, &rule, 1);
                    }
                    Some(NumberFormat {
                        leading: f.leading.as_ref().and_then(Pattern::compile),
                        pattern: f.pattern.compile()?,
                        split: f.split,
                        groups: OnceLock::new(),
                        source: f.pattern.source,
                        national,
                    })
                })
                .collect()
        })
    }

    /// Which of the region's patterns (`Region::numbers`) the number matches.
    fn matched(&self, nsn: &str) -> u32 {
        self.compiled().numbers.as_ref().map_or(0, |n| n.matched(nsn))
    }

    fn general_matches(&self, nsn: &str) -> bool {
        self.matched(nsn) & 1 != 0
    }

    /// libphonenumber's `getNumberTypeHelper` is not UNKNOWN: the number matches the
    /// general pattern and one type's, at one of that type's lengths.
    fn valid(&self, nsn: &str) -> bool {
        let matched = self.matched(nsn);
        let len = nsn.len();
        matched & 1 != 0
            && self.region.types.iter().enumerate().any(|(k, lengths)| {
                matched & 1 << (k + 1) != 0 && (*lengths == 0 || len < 32 && lengths & 1 << len != 0)
            })
    }

    /// Whether a candidate of `len` digits can be a national number of the region: its
    /// plan has numbers of that length, or of that length less the national prefix.
    fn fits(&self, len: usize) -> bool {
        let prefix = self.region.national_prefix.unwrap_or_default().len();
        self.has_length(len) || prefix > 0 && len >= prefix && self.has_length(len - prefix)
    }

    /// Whether the region's plan has national numbers of `len` digits.
    fn has_length(&self, len: usize) -> bool {
        len < 32 && self.region.lengths & 1 << len != 0
    }

    fn possible(&self, nsn: &str) -> bool {
        self.has_length(nsn.len())
    }

    /// libphonenumber's `maybeStripNationalPrefixAndCarrierCode`: the national
    /// significant number of digits written in this region's national format.
    fn national_number<'a>(&self, digits: &'a str) -> Cow<'a, str> {
        let compiled = self.compiled();
        // Whether the digits as they stand are a number of the region: asked only once a
        // prefix was found, since the answer matters only then.
        let viable = || self.general_matches(digits);
        let (Some(parsing), Some(pattern)) = (&compiled.prefix_for_parsing, &self.region.prefix_for_parsing)
        else {
            // Without a pattern for parsing, the national prefix is the pattern
            // (libphonenumber's BuildMetadataFromXml), with the same viability check.
            let prefix = self.region.national_prefix.unwrap_or_default();
            return match digits.strip_prefix(prefix) {
                Some(stripped) if !prefix.is_empty() && (self.general_matches(stripped) || !viable()) => {
                    Cow::Borrowed(stripped)
                }
                _ => Cow::Borrowed(digits),
            };
        };
        let stripped = match self.region.transform.filter(|rule| !rule.is_empty()) {
            // Without a transform rule, the prefix is dropped: only where it ends matters,
            // which the DFA says (leftmost-first, as the regex would).
            None => match parsing.match_end(digits) {
                Some(end) => Cow::Borrowed(&digits[end..]),
                None => return Cow::Borrowed(digits),
            },
            Some(rule) => {
                let groups = compiled.prefix_groups.get_or_init(|| compiled_regex(pattern.source));
                let Some(captures) = groups.as_ref().and_then(|g| g.captures(digits)) else {
                    return Cow::Borrowed(digits);
                };
                let end = captures.get(0).map_or(0, |m| m.end());
                if captures.len() > 1 && captures.get(captures.len() - 1).is_some() {
                    let mut out = String::new();
                    captures.expand(rule, &mut out);
                    out.push_str(&digits[end..]);
                    Cow::Owned(out)
                } else {
                    Cow::Borrowed(&digits[end..])
                }
            }
        };
        if !self.general_matches(&stripped) && viable() {
            return Cow::Borrowed(digits);
        }
        stripped
    }

    /// libphonenumber's national format of a number of this region: its digits and the
    /// lengths of its groups of digits.
    fn national_format(&self, nsn: &str) -> Written {
        let chosen = self
            .formats()
            .iter()
            .find(|f| f.leading.as_ref().is_none_or(|l| l.is_match(nsn)) && f.pattern.is_match(nsn));
        let Some(f) = chosen else {
            return Written::of(nsn.bytes());
        };
        let mut groups = [None; 10];
        if !f.split.is_some_and(|split| split_groups(split, nsn.len(), &mut groups)) {
            let Some(regex) = f.groups.get_or_init(|| compiled_regex(f.source)) else {
                return Written::of(nsn.bytes());
            };
            let mut locations = regex.capture_locations();
            if regex.captures_read(&mut locations, nsn).is_none() {
                return Written::of(nsn.bytes());
            }
            for (g, place) in groups.iter_mut().enumerate().skip(1) {
                *place = locations.get(g);
            }
        }
        // The format with `$1`, `$2`, ... replaced by the groups' digits, read as it is
        // written, without writing it out.
        let mut written = Written::default();
        let template = f.national.as_bytes();
        let mut k = 0;
        while k < template.len() {
            match template[k..] {
                [b'$', g @ b'1'..=b'9', ..] => {
                    if let Some((start, end)) = groups[usize::from(g - b'0')] {
                        nsn.as_bytes()[start..end].iter().for_each(|c| written.push(*c));
                    }
                    k += 2;
                }
                [c, ..] => {
                    written.push(c);
                    k += 1;
                }
                [] => break,
            }
        }
        written.finish();
        written
    }
}

/// Where the groups of a number of `len` digits are, by a format's `split`, which its
/// pattern was found to match whole: `groups[g]` for group `g`. False if the widths do
/// not add up to `len`, which a match rules out.
fn split_groups(split: &[(u8, u8)], len: usize, groups: &mut [Option<(usize, usize)>; 10]) -> bool {
    let fixed: usize = split.iter().map(|(width, _)| usize::from(*width)).sum();
    let Some(rest) = len.checked_sub(fixed) else {
        return false;
    };
    let mut at = 0;
    for &(width, group) in split {
        let end = at + if width == 0 { rest } else { usize::from(width) };
        if let Some(place) = groups.get_mut(usize::from(group)).filter(|_| group > 0) {
            *place = Some((at, end));
        }
        at = end;
    }
    at == len
}

/// The region `id` (`FR`).
fn region(id: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.id == id)
}

/// Every region's plan, by calling code, built once for the process.
struct Plans {
    /// For each calling code (0 to 999), its regions, the main one first.
    by_code: Vec<Vec<Arc<Plan>>>,
    /// For each calling code, the possible lengths of its numbers (bits); 0 if unassigned.
    lengths: Vec<u32>,
}

fn plans() -> &'static Plans {
    static PLANS: OnceLock<Plans> = OnceLock::new();
    PLANS.get_or_init(|| {
        let mut by_code: Vec<Vec<Arc<Plan>>> = (0..1000).map(|_| Vec::new()).collect();
        // build.rs wrote them by code, the main region of each first.
        for region in &REGIONS {
            by_code[usize::from(region.code)].push(Arc::new(Plan::new(region)));
        }
        let lengths = by_code.iter().map(|plans| plans.iter().fold(0, |b, p| b | p.region.lengths)).collect();
        Plans { by_code, lengths }
    })
}

impl Plans {
    /// libphonenumber's `getRegionCodeForNumberFromRegionList`: which region of the
    /// calling code a national significant number belongs to.
    fn region_of(&self, code: u16, nsn: &str) -> Option<&Plan> {
        let regions = self.by_code.get(usize::from(code))?;
        if let [only] = regions.as_slice() {
            return Some(only);
        }
        regions.iter().map(Arc::as_ref).find(|plan| match &plan.compiled().leading {
            Some(leading) => leading.is_match(nsn),
            None => plan.valid(nsn),
        })
    }

    fn valid(&self, code: u16, nsn: &str) -> bool {
        self.region_of(code, nsn).is_some_and(|plan| plan.valid(nsn))
    }
}

/// The phone-number checks of one detector.
#[derive(Debug)]
pub(crate) struct Phones {
    check: PhoneCheck,
    /// The regions whose national formats are tried, one per calling code.
    regions: Vec<Arc<Plan>>,
    /// For each number of digits below 32, the regions of `regions` (their indices, in
    /// order) whose plan has numbers of that length or of that length less the national
    /// prefix: the only ones a candidate of that many digits can be a number of.
    by_length: Vec<Vec<usize>>,
}

impl Phones {
    pub(crate) fn new(check: PhoneCheck, regions: PhoneRegions) -> Phones {
        let plans = plans();
        // One region per calling code: a national number of any region sharing the code
        // reads the same way (the US's plan reads Canada's numbers), and the number's
        // own region decides validity. The main region of the code goes first.
        let mut chosen: Vec<Arc<Plan>> = Vec::new();
        for id in regions.iter() {
            let Some(code) = region(&id).map(|r| r.code) else {
                continue;
            };
            if chosen.iter().any(|p| p.region.code == code) {
                continue;
            }
            if let Some(plan) = plans.by_code.get(usize::from(code)).and_then(|p| p.first()) {
                chosen.push(Arc::clone(plan));
            }
        }
        chosen.sort_by_key(|p| p.region.code);
        let by_length = (0..32)
            .map(|len| chosen.iter().enumerate().filter(|(_, plan)| plan.fits(len)).map(|(i, _)| i).collect())
            .collect();
        Phones { check, regions: chosen, by_length }
    }

    /// Is `digits` (what follows the `+`, or the `00`) a phone number?
    pub(crate) fn international(&self, digits: &[u8]) -> bool {
        let plans = plans();
        let mut code = 0usize;
        for (k, d) in digits.iter().take(3).enumerate() {
            code = code * 10 + usize::from(d - b'0');
            let lengths = plans.lengths[code];
            if lengths == 0 {
                continue;
            }
            // Country codes are prefix-free (ITU-T E.164): this is the one.
            let nsn = &digits[k + 1..];
            if nsn.len() >= 32 || lengths & 1 << nsn.len() == 0 {
                return false;
            }
            return match self.check {
                PhoneCheck::Possible => true,
                PhoneCheck::Valid => std::str::from_utf8(nsn).is_ok_and(|nsn| plans.valid(code as u16, nsn)),
            };
        }
        false
    }

    /// Is `digits`, written in groups of `lens` digits without `+` or `00`, a phone number
    /// of one of the regions?
    ///
    /// The number must be one libphonenumber would write in the region's national
    /// format: the same digits, trunk prefix included (`06 12 34 56 78`, not
    /// `6 12 34 56 78`; the NANP's `1` before the area code allowed). A number that starts
    /// with the region's trunk prefix may be grouped any way; one without (Spain, Italy,
    /// Denmark, a US number without its `1`, ...) only as the region groups it
    /// (`612 34 56 78`, `(202) 555-0142`, `20 12 34 56`), since its digits alone are as
    /// often an order number, an amount or a date; and never in one piece, nor below
    /// seven digits.
    pub(crate) fn national(&self, digits: &[u8], lens: &[usize]) -> bool {
        let Ok(text) = std::str::from_utf8(digits) else {
            return false;
        };
        let plans = plans();
        let Some(tried) = self.by_length.get(digits.len()) else {
            return false;
        };
        for region in tried.iter().map(|i| &self.regions[*i]) {
            let prefix = region.region.national_prefix.unwrap_or_default().as_bytes();
            let prefixed = !prefix.is_empty() && digits.starts_with(prefix);
            if !prefixed && (lens.len() == 1 || digits.len() < 7) {
                continue;
            }
            if !region.has_length(digits.len() - if prefixed { prefix.len() } else { 0 })
                && !region.has_length(digits.len())
            {
                continue;
            }
            if self.check == PhoneCheck::Possible && prefixed {
                return true;
            }
            let nsn = region.national_number(text);
            let Some(own) = plans.region_of(region.region.code, &nsn) else {
                continue;
            };
            let ok = match self.check {
                PhoneCheck::Valid => own.valid(&nsn),
                PhoneCheck::Possible => own.possible(&nsn),
            };
            if !ok {
                continue;
            }
            // libphonenumber formats with the calling code's main region's formats.
            let main = plans.by_code[usize::from(region.region.code)].first().map_or(own, Arc::as_ref);
            let written = main.national_format(&nsn);
            let Some(national) = written.digits() else {
                continue;
            };
            let same_digits = national == digits || prefixed && national == &digits[prefix.len()..];
            if !same_digits {
                continue;
            }
            // A trunk prefix written as a group of its own (`1-800-555-0199`) is not one
            // of the region's groups.
            let own_lens =
                if prefixed && national != digits && lens[0] == prefix.len() { &lens[1..] } else { lens };
            if prefixed || written.groups() == own_lens {
                return true;
            }
        }
        false
    }
}

/// The digits of a number as written, and the lengths of its groups of digits, kept on
/// the stack: a national number has fewer than 32 digits, and its format adds a national
/// prefix. Past its capacity it is `overflowed`, and equal to no number.
struct Written {
    digits: [u8; 48],
    len: usize,
    groups: [usize; 24],
    count: usize,
    current: usize,
    overflowed: bool,
}

impl Default for Written {
    fn default() -> Self {
        Written { digits: [0; 48], len: 0, groups: [0; 24], count: 0, current: 0, overflowed: false }
    }
}

impl Written {
    /// The digits of `written` and their groups.
    fn of(written: impl Iterator<Item = u8>) -> Written {
        let mut out = Written::default();
        written.for_each(|b| out.push(b));
        out.finish();
        out
    }

    fn push(&mut self, b: u8) {
        if b.is_ascii_digit() {
            match self.digits.get_mut(self.len) {
                Some(place) => *place = b,
                None => self.overflowed = true,
            }
            self.len += 1;
            self.current += 1;
        } else {
            self.end_group();
        }
    }

    fn end_group(&mut self) {
        if self.current > 0 {
            match self.groups.get_mut(self.count) {
                Some(place) => *place = self.current,
                None => self.overflowed = true,
            }
            self.count += 1;
            self.current = 0;
        }
    }

    fn finish(&mut self) {
        self.end_group();
    }

    /// Its digits; none if it overflowed.
    fn digits(&self) -> Option<&[u8]> {
        (!self.overflowed).then(|| &self.digits[..self.len])
    }

    fn groups(&self) -> &[usize] {
        &self.groups[..self.count.min(self.groups.len())]
    }
}

/// libphonenumber's validity of `+code nsn`, for the tests that compare it with the
/// crate's own (`phonenumber::is_valid`).
#[doc(hidden)]
pub fn valid_international(code: u16, nsn: &str) -> bool {
    plans().valid(code, nsn)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Numbers of `len` digits that `dfa` (a whole-number pattern) matches: one for each
    /// state the DFA can be in after them, found breadth first.
    fn numbers_matched(dfa: &DFA<&[u32]>, len: usize) -> Vec<String> {
        let start = dfa.start_state(&start::Config::new().anchored(Anchored::Yes)).expect("anchored start");
        let mut layer = HashMap::from([(start, String::new())]);
        for _ in 0..len {
            let mut next = HashMap::new();
            for (state, digits) in &layer {
                for d in b'0'..=b'9' {
                    let to = dfa.next_state(*state, d);
                    if !dfa.is_dead_state(to) {
                        next.entry(to).or_insert_with(|| format!("{digits}{}", char::from(d)));
                    }
                }
            }
            layer = next;
        }
        layer
            .into_iter()
            .filter(|(s, _)| dfa.is_match_state(dfa.next_eoi_state(*s)))
            .map(|(_, n)| n)
            .collect()
    }

    /// `build.rs` reads where a format's groups are from its pattern's syntax: they are
    /// where the pattern's regex captures them, on numbers of every length every format
    /// matches, for every metadata format.
    #[test]
    #[cfg(target_endian = "little")]
    fn split_groups_agree_with_the_regex() {
        let (mut formats, mut numbers) = (0, 0);
        for region in &REGIONS {
            for f in region.formats {
                let split =
                    f.split.unwrap_or_else(|| panic!("{}: no split for {}", region.id, f.pattern.source));
                let Some(Matcher::Dfa(dfa)) = f.pattern.compile() else {
                    panic!("{} does not read", f.pattern.source)
                };
                let regex = compiled_regex(f.pattern.source).expect("the metadata's patterns compile");
                let mut matched = 0;
                for len in 1..32 {
                    for nsn in numbers_matched(&dfa, len) {
                        let captures =
                            regex.captures(&nsn).unwrap_or_else(|| panic!("{nsn} {}", f.pattern.source));
                        let mut groups = [None; 10];
                        assert!(split_groups(split, nsn.len(), &mut groups), "{nsn} {split:?}");
                        for (g, place) in groups.iter().enumerate().skip(1) {
                            let by_regex = captures.get(g).map(|m| (m.start(), m.end()));
                            assert_eq!(*place, by_regex, "group {g} of {nsn} in {}", f.pattern.source);
                        }
                        matched += 1;
                    }
                }
                assert!(matched > 0, "{}: no number matches {}", region.id, f.pattern.source);
                formats += 1;
                numbers += matched;
            }
        }
        assert!(formats >= 700, "only {formats} formats in the metadata");
        eprintln!("{formats} formats, {numbers} numbers");
    }
}
