//! libphonenumber's metadata, read from the `phonenumber` crate at build time and written
//! out as static tables, with the patterns a phone number is checked against already
//! compiled into DFAs.
//!
//! Why at build time: the crate loads its whole database when first touched, compiling
//! each of its 2,937 patterns (about 0.08 s), and comity then compiled again the patterns
//! of each region a text met: `comity pii scan` spent most of a pass on the outside corpus
//! parsing regular expressions (docs/benchmarks.md, "Redaction"). Here every pattern
//! becomes a `regex-automata` dense DFA, serialized little-endian, and at run time a
//! region's DFAs are read in place (`DFA::from_bytes`, which checks them but builds
//! nothing). A DFA says whether a pattern matches. Where a national format's groups of
//! digits are is read from its pattern's syntax here (`split`); where the capture groups
//! are needed at run time (a national prefix with a transform rule, a format whose groups
//! have no fixed widths), the pattern is compiled then, once.
//!
//! Writes `$OUT_DIR/phone_plans.rs` (the tables) and `$OUT_DIR/phone_dfas.bin` (the DFAs,
//! each at a multiple of 8 bytes).

use std::{env, fmt::Write as _, fs, path::PathBuf};

use phonenumber::{Metadata, Type, metadata::DATABASE};
use regex_automata::{
    MatchKind,
    dfa::{StartKind, dense},
    nfa::thompson,
    util::syntax,
};
use regex_syntax::hir::HirKind;

/// The number types a valid number may be of (libphonenumber's getNumberTypeHelper), in
/// the order they are tried: most numbers are fixed lines or mobiles.
const TYPES: [Type; 10] = [
    Type::FixedLine,
    Type::Mobile,
    Type::TollFree,
    Type::PremiumRate,
    Type::SharedCost,
    Type::Voip,
    Type::PersonalNumber,
    Type::Pager,
    Type::Uan,
    Type::Voicemail,
];

struct Out {
    dfas: Vec<u8>,
}

impl Out {
    /// A pattern anchored as libphonenumber matches it (the whole number, or its start),
    /// as `(source, offset, length)` Rust source: the DFA's place in the blob.
    fn pattern(&mut self, pattern: &str, whole: bool) -> String {
        let source = if whole { format!("^(?:{pattern})$") } else { format!("^(?:{pattern})") };
        let dfa = dfa_builder(MatchKind::LeftmostFirst)
            .build(&source)
            .unwrap_or_else(|e| panic!("libphonenumber's pattern {source:?} does not compile: {e}"));
        let (at, len) = self.push(&dfa);
        format!("Pattern {{ source: {source:?}, at: {at}, len: {len} }}")
    }

    /// Several whole-number patterns in one DFA, which says at the end of a number which
    /// of them it matches (all of them, not only the first), as `Patterns { ... }` Rust
    /// source.
    fn patterns(&mut self, patterns: &[&str]) -> String {
        // `phone.rs` reads which of them matched as the bits of a `u32`.
        assert!(patterns.len() <= 32, "{} patterns in one DFA: phone.rs reads at most 32", patterns.len());
        let sources: Vec<String> = patterns.iter().map(|p| format!("^(?:{p})$")).collect();
        let dfa = dfa_builder(MatchKind::All)
            .build_many(&sources)
            .unwrap_or_else(|e| panic!("libphonenumber's patterns {sources:?} do not compile: {e}"));
        let (at, len) = self.push(&dfa);
        format!("Patterns {{ sources: &{sources:?}, at: {at}, len: {len} }}")
    }

    /// The DFA's place in the blob, at a multiple of 8 bytes.
    fn push(&mut self, dfa: &dense::DFA<Vec<u32>>) -> (usize, usize) {
        let (bytes, padding) = dfa.to_bytes_little_endian();
        let bytes = &bytes[padding..];
        let offset = self.dfas.len();
        self.dfas.extend_from_slice(bytes);
        self.dfas.resize(self.dfas.len().next_multiple_of(8), 0);
        (offset, bytes.len())
    }

    /// [`Out::pattern`] of a pattern the metadata may not have, as `Some(...)` or `None`.
    fn optional(&mut self, pattern: Option<&str>, whole: bool) -> String {
        match pattern {
            Some(p) => format!("Some({})", self.pattern(p, whole)),
            None => "None".to_owned(),
        }
    }
}

/// How the metadata's patterns are read. They carry the XML's line breaks and
/// indentation, which libphonenumber strips: whitespace is ignored. They are of ASCII
/// digits: no Unicode.
fn syntax() -> syntax::Config {
    syntax::Config::new().ignore_whitespace(true).unicode(false).utf8(false)
}

/// A builder of anchored DFAs over the metadata's patterns.
fn dfa_builder(match_kind: MatchKind) -> dense::Builder {
    let mut builder = dense::Builder::new();
    builder
        .syntax(syntax())
        .thompson(thompson::Config::new().utf8(false))
        .configure(dense::Config::new().start_kind(StartKind::Anchored).match_kind(match_kind));
    builder
}

/// Where a national format's groups of digits are, when the pattern alone says so: a
/// sequence of parts each of a fixed number of digits, but for at most one, which takes
/// what the others leave (`(\d{2})(\d{3})(\d{3,4})`, as all 759 of the metadata's
/// formats are today). Written as `Some(&[(width, group), ...])`, a width of 0 for the part
/// that takes the rest and a group of 0 for a part no group captures; `None` otherwise,
/// and the format's groups are then found by its regex.
fn split(pattern: &str) -> String {
    match parts(pattern) {
        Some(parts) => format!("Some(&{parts:?})"),
        None => "None".to_owned(),
    }
}

fn parts(pattern: &str) -> Option<Vec<(u8, u8)>> {
    let hir = syntax::parse_with(pattern, &syntax())
        .unwrap_or_else(|e| panic!("libphonenumber's pattern {pattern:?} does not parse: {e}"));
    let parts = match hir.kind() {
        HirKind::Concat(parts) => parts.iter().collect(),
        _ => vec![&hir],
    };
    let (mut out, mut group, mut rest) = (Vec::new(), 0, false);
    for part in parts {
        let props = part.properties();
        let captured = matches!(part.kind(), HirKind::Capture(_));
        // A group inside a part would number the groups otherwise than in order.
        if props.explicit_captures_len() != usize::from(captured) {
            return None;
        }
        group += u8::from(captured);
        let width = match (props.minimum_len(), props.maximum_len()) {
            (_, Some(0)) if !captured => continue,
            (Some(min), Some(max)) if min == max && min > 0 => u8::try_from(min).ok()?,
            _ if !rest => {
                rest = true;
                0
            }
            _ => return None,
        };
        out.push((width, if captured { group } else { 0 }));
    }
    Some(out)
}

fn lengths(lengths: &[u16]) -> u32 {
    lengths.iter().filter(|l| **l < 32).fold(0u32, |b, l| b | 1 << l)
}

fn region(out: &mut Out, meta: &Metadata) -> String {
    let descriptors = meta.descriptors();
    let mut s = String::new();
    let mut numbers = vec![descriptors.general().national_number().as_str()];
    let mut all = lengths(descriptors.general().possible_length());
    let mut types = Vec::new();
    for t in TYPES {
        if let Some(d) = descriptors.get(t) {
            all |= lengths(d.possible_length());
            numbers.push(d.national_number().as_str());
            types.push(lengths(d.possible_length()));
        }
    }
    let numbers = out.patterns(&numbers);
    let leading = out.optional(meta.leading_digits().map(|l| l.as_str()), false);
    let prefix_for_parsing = out.optional(meta.national_prefix_for_parsing().map(|p| p.as_str()), false);
    let mut formats = String::new();
    for f in meta.formats() {
        let pattern = out.pattern(f.pattern().as_str(), true);
        let leading = out.optional(f.leading_digits().last().map(|l| l.as_str()), false);
        let split = split(f.pattern().as_str());
        write!(
            formats,
            "Format {{ pattern: {pattern}, leading: {leading}, split: {split}, format: {:?}, rule: {:?} }}, ",
            f.format(),
            f.national_prefix(),
        )
        .expect("writing to a String does not fail");
    }
    write!(
        s,
        "Region {{ id: {:?}, code: {}, national_prefix: {:?}, lengths: {all}, numbers: {numbers}, \
         types: &{types:?}, leading: {leading}, prefix_for_parsing: {prefix_for_parsing}, transform: {:?}, \
         formats: &[{formats}] }}",
        meta.id(),
        meta.country_code(),
        meta.national_prefix(),
        meta.national_prefix_transform_rule(),
    )
    .expect("writing to a String does not fail");
    s
}

fn main() {
    let dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut out = Out { dfas: Vec::new() };
    let mut regions = Vec::new();
    // By calling code, the main region of each first, as libphonenumber looks them up.
    // By code, not by id: the non-geographic entities (+800, +808, ...) all have the id
    // `001`.
    for code in 0..1000u16 {
        let mut metas = DATABASE.by_code(&code).unwrap_or_default();
        metas.sort_by_key(|m| !m.is_main_country_for_code());
        for meta in metas {
            regions.push(region(&mut out, meta));
        }
    }
    // By calling code, the main region of each first: the order `phone.rs` relies on.
    let mut rs = String::from("// Generated by build.rs from the `phonenumber` crate's metadata.\n");
    writeln!(rs, "static REGIONS: [Region; {}] = [", regions.len())
        .expect("writing to a String does not fail");
    for r in &regions {
        writeln!(rs, "    {r},").expect("writing to a String does not fail");
    }
    rs.push_str("];\n");
    fs::write(dir.join("phone_plans.rs"), rs).expect("writing phone_plans.rs");
    fs::write(dir.join("phone_dfas.bin"), &out.dfas).expect("writing phone_dfas.bin");
    println!("cargo::rerun-if-changed=build.rs");
}
