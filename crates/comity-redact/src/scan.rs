//! One pass over the bytes for the structured types: e-mail addresses, IPv4 and IPv6
//! addresses, IBANs, payment cards, US SSNs and phone numbers.
//!
//! Candidates start only at a word boundary. Digits with separators are read as a *run*
//! of groups (`+33 6 12 34 56 78`: a `+`, then the groups 33, 6, 12, ... separated by
//! spaces); a run is then cut into *windows* at its soft separators (those with a space,
//! and `/`), the longest window that validates wins, and the scan goes on after it. A
//! run that nothing validates is skipped whole, so its tail is never tried on its own
//! (`10.0.19045.3803` yields neither `0.19045.3803` nor anything else).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::{
    checks,
    phone::Phones,
    types::{PiiType, Span},
};

/// Is the character that ends at byte `i` part of a word (alphanumeric or `_`)?
pub(crate) fn word_before(text: &str, i: usize) -> bool {
    let Some(&b) = i.checked_sub(1).and_then(|j| text.as_bytes().get(j)) else {
        return false;
    };
    if b < 0x80 {
        return b.is_ascii_alphanumeric() || b == b'_';
    }
    text[..i].chars().next_back().is_some_and(char::is_alphanumeric)
}

/// Is the character that starts at byte `i` part of a word?
pub(crate) fn word_at(text: &str, i: usize) -> bool {
    let Some(&b) = text.as_bytes().get(i) else {
        return false;
    };
    if b < 0x80 {
        return b.is_ascii_alphanumeric() || b == b'_';
    }
    text[i..].chars().next().is_some_and(char::is_alphanumeric)
}

/// What the number scan looks for besides the fixed types.
pub(crate) struct Numbers<'a> {
    /// Whether US SSNs are looked for.
    pub(crate) ssn: bool,
    pub(crate) phones: &'a Phones,
}

/// Finds the structured types in `text`, in order, into `out`. Spans may overlap only
/// where an e-mail address contains another candidate; the detector resolves that.
pub(crate) fn scan(text: &str, numbers_of: &Numbers<'_>, out: &mut Vec<Span>) {
    emails(text, out);
    let b = text.as_bytes();
    let n = b.len();
    let mut i = 0;
    // The next digit or colon at or after `i`, once found.
    let mut digit = 0;
    while i < n {
        // Every candidate has a digit or a colon in its first five bytes: a number starts
        // with one, or with the `+` or `(` before one; an IBAN has its check digits third
        // and fourth; an IPv6 address has a colon after at most four hex digits. So nothing
        // starts more than four bytes before the next digit or colon, and the scan skips
        // there: most of a text is words, which it then never reads byte by byte.
        if digit < i {
            match next_digit_or_colon(b, i) {
                Some(at) => digit = at,
                None => break,
            }
        }
        if digit > i + 4 {
            i = digit - 4;
        }
        let c = b[i];
        let interesting = c.is_ascii_alphanumeric() || c == b'+' || c == b'(' || c == b':';
        if !interesting {
            i += 1;
            continue;
        }
        if !word_before(text, i) {
            if (c.is_ascii_hexdigit() || c == b':')
                && let Some(end) = ipv6(text, i)
            {
                out.push(Span::new(i, end, PiiType::IpAddress));
                i = end;
                continue;
            }
            if c.is_ascii_alphabetic() {
                match iban(text, i) {
                    Iban::Found(end) => {
                        out.push(Span::new(i, end, PiiType::IbanCode));
                        i = end;
                        continue;
                    }
                    Iban::Skip(end) => {
                        i = end;
                        continue;
                    }
                    Iban::No => {}
                }
            }
            if c.is_ascii_digit() || c == b'+' || c == b'(' {
                let end = numbers(text, i, numbers_of, out);
                if end > i {
                    i = end;
                    continue;
                }
            }
        }
        // Not a start: skip the rest of the word, so that nothing starts inside it.
        i += 1;
        if c.is_ascii_alphanumeric() {
            while i < n && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
        }
    }
}

/// The first ASCII digit or colon (`0` to `:`, bytes 0x30 to 0x3A) at or after `from`.
fn next_digit_or_colon(b: &[u8], from: usize) -> Option<usize> {
    find_byte(b, from, |x| bytes_in(x, b'0', b':'))
}

/// A byte repeated in each byte of a word.
const fn each(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

/// The high bit of each byte of `x` that lies in `low..=high` (both below 0x80; a byte of
/// 0x80 or more never does). Adding 0x80 - `low` to a byte's low seven bits sets its high
/// bit from `low` up; subtracting them from 0x80 + `high` leaves it set up to `high`;
/// neither carries into the next byte ("Determine if a word has a byte between m and n",
/// Sean Eron Anderson's Bit Twiddling Hacks).
pub(crate) const fn bytes_in(x: u64, low: u8, high: u8) -> u64 {
    let seven = x & !each(0x80);
    (each(0x80 + high) - seven) & !x & (seven + each(0x80 - low)) & each(0x80)
}

/// The high bit of the first byte of `x` (the lowest) equal to `byte`, and perhaps of
/// others after it: the lowest flag is exact, which is all [`find_byte`] reads ("Determine
/// if a word has a zero byte", Bit Twiddling Hacks, on `x ^ byte`).
pub(crate) const fn bytes_equal(x: u64, byte: u8) -> u64 {
    let zero = x ^ each(byte);
    zero.wrapping_sub(each(0x01)) & !zero & each(0x80)
}

/// The first byte at or after `from` that `flags` marks, reading eight bytes at a time:
/// `flags` gets them as one little-endian word and sets the high bit of those it wants
/// ([`bytes_in`], [`bytes_equal`]), exactly for the lowest. It must never want a zero
/// byte, which pads the last word.
pub(crate) fn find_byte(b: &[u8], from: usize, flags: impl Fn(u64) -> u64) -> Option<usize> {
    let first = |i: usize, word: u64| {
        let found = flags(word);
        (found != 0).then(|| i + found.trailing_zeros() as usize / 8)
    };
    let mut i = from;
    while let Some(eight) = b.get(i..i + 8) {
        if let Some(at) = first(i, u64::from_le_bytes(eight.try_into().expect("eight bytes"))) {
            return Some(at);
        }
        i += 8;
    }
    let rest = b.get(i..).filter(|rest| !rest.is_empty())?;
    let mut last = [0u8; 8];
    // Byte by byte: fewer than eight, where a call to `memcpy` would cost more.
    last.iter_mut().zip(rest).for_each(|(to, from)| *to = *from);
    first(i, u64::from_le_bytes(last))
}

/// The characters of a local part in practice (RFC 5322 §3.2.3 atext and dots, and
/// letters beyond ASCII as RFC 6531 allows).
fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c) || (!c.is_ascii() && c.is_alphanumeric())
}

fn domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.' || (!c.is_ascii() && c.is_alphanumeric())
}

/// E-mail addresses, found from their `@`: a practical subset of RFC 5322's addr-spec
/// (no quoted local parts, no domain literals) with internationalized labels.
fn emails(text: &str, out: &mut Vec<Span>) {
    let mut after = 0;
    for (at, _) in text.match_indices('@') {
        if at < after {
            continue;
        }
        // The local part: back over its characters, then forward past punctuation that
        // cannot start it ("'jean@" in a quote, "..jean@").
        let mut start = at;
        for (i, c) in text[..at].char_indices().rev() {
            if !local_char(c) || at - i > 64 {
                break;
            }
            start = i;
        }
        let local = &text[start..at];
        let Some(skip) = local.find(|c: char| c.is_alphanumeric() || c == '_') else {
            continue;
        };
        let mut start = start + skip;
        // "a..b@" is no address; what follows the last ".." may be.
        if let Some(dots) = text[start..at].rfind("..") {
            start += dots + 2;
        }
        if start >= at || text[..at].ends_with('.') {
            continue;
        }
        // The domain: labels of letters, digits and inner hyphens, at least two, the last
        // (the top-level domain) of letters only.
        let mut end = at + 1;
        for (i, c) in text[at + 1..].char_indices() {
            if !domain_char(c) || i > 253 {
                break;
            }
            end = at + 1 + i + c.len_utf8();
        }
        let mut domain = &text[at + 1..end];
        // The longest domain that is one: trailing punctuation glued to the address, then
        // labels that cannot end a domain (`a@aa.com.a.` in `:a@aa.com.a.@ü.aa`, where the
        // text runs on past the address).
        loop {
            while domain.ends_with(['.', '-']) {
                domain = &domain[..domain.len() - 1];
            }
            let end = at + 1 + domain.len();
            let labels_ok =
                domain.split('.').all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
            let tld = domain.rsplit('.').next().unwrap_or("");
            let tld_ok = tld.chars().count() >= 2
                && (tld.chars().all(char::is_alphabetic) || tld.to_ascii_lowercase().starts_with("xn--"));
            if domain.contains('.') && labels_ok && tld_ok && !word_at(text, end) {
                out.push(Span::new(start, end, PiiType::EmailAddress));
                after = end;
                break;
            }
            match domain.rfind('.') {
                Some(dot) if domain[..dot].contains('.') => domain = &domain[..dot],
                _ => break,
            }
        }
    }
}

/// An IPv6 address (RFC 4291 §2.2 text forms, compressed and with an embedded IPv4
/// address) starting at `i`, confirmed by std's parser; returns its end.
fn ipv6(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let n = b.len();
    // Cheap rejection first: at most four hex digits, then a colon.
    let mut j = i;
    while j < n && j - i < 5 && b[j].is_ascii_hexdigit() {
        j += 1;
    }
    if j >= n || b[j] != b':' || j - i > 4 {
        return None;
    }
    if i > 0 && b[i - 1] == b':' {
        return None;
    }
    let mut end = i;
    let mut colons = 0;
    let mut hex = false;
    while end < n && end - i < 64 && (b[end].is_ascii_hexdigit() || b[end] == b':' || b[end] == b'.') {
        colons += usize::from(b[end] == b':');
        hex |= b[end].is_ascii_hexdigit();
        end += 1;
    }
    if colons < 2 || !hex {
        return None;
    }
    // A sentence's full stop or a label's colon may follow the address.
    for _ in 0..2 {
        let candidate = &text[i..end];
        if candidate.parse::<Ipv6Addr>().is_ok() {
            return (!word_at(text, end)).then_some(end);
        }
        if candidate.ends_with('.') || (candidate.ends_with(':') && !candidate.ends_with("::")) {
            end -= 1;
        } else {
            return None;
        }
    }
    None
}

enum Iban {
    Found(usize),
    /// It had the shape of an IBAN but not the checksum: skip it whole, or its digits
    /// would be read as a card or a phone number.
    Skip(usize),
    No,
}

/// An IBAN (ISO 13616) at `i`: the country's length of letters and digits, in groups
/// separated by single spaces or hyphens as printed, or none, and the mod-97 checksum.
/// Letters may be in either case (the standard prints upper case; people type both).
fn iban(text: &str, i: usize) -> Iban {
    let b = text.as_bytes();
    let n = b.len();
    if i + 4 > n
        || !b[i + 1].is_ascii_alphabetic()
        || !b[i + 2].is_ascii_digit()
        || !b[i + 3].is_ascii_digit()
    {
        return Iban::No;
    }
    let Some(len) = checks::iban_length([b[i].to_ascii_uppercase(), b[i + 1].to_ascii_uppercase()]) else {
        return Iban::No;
    };
    let mut chars = [0u8; 34];
    let mut k = 0;
    let mut j = i;
    while k < len && j < n {
        let c = b[j];
        if c.is_ascii_alphanumeric() {
            chars[k] = c.to_ascii_uppercase();
            k += 1;
            j += 1;
        } else if (c == b' ' || c == b'-') && k >= 4 && j + 1 < n && b[j + 1].is_ascii_alphanumeric() {
            j += 1;
        } else {
            break;
        }
    }
    if k < len || word_at(text, j) {
        // Too short, or longer than the country's IBAN: not one.
        return if k >= 12 { Iban::Skip(j) } else { Iban::No };
    }
    if checks::iban_checksum(&chars[..len]) { Iban::Found(j) } else { Iban::Skip(j) }
}

const MAX_GROUPS: usize = 16;

/// A run of digit groups with the separators between them.
struct Run {
    /// The first byte: a `+` or `(` if the run starts with one.
    start: usize,
    plus: bool,
    open: bool,
    groups: [(usize, usize); MAX_GROUPS],
    /// `seps[k]` lies between `groups[k]` and `groups[k + 1]`.
    seps: [Sep; MAX_GROUPS],
    len: usize,
}

/// The separators a number may have between its groups.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sep {
    Space,
    Dash,
    Dot,
    Slash,
    SpacedDash,
    SpacedSlash,
    /// `) ` or `)`, closing an area code or a trunk `(0)`.
    Close,
    /// ` (` or `(`, opening one.
    Open,
    CloseDash,
}

impl Sep {
    fn parse(s: &[u8]) -> Option<Sep> {
        Some(match s {
            b" " | b"\xc2\xa0" => Sep::Space,
            b"-" => Sep::Dash,
            b"." => Sep::Dot,
            b"/" => Sep::Slash,
            b" - " => Sep::SpacedDash,
            b" / " => Sep::SpacedSlash,
            b") " | b")" => Sep::Close,
            b" (" | b"(" => Sep::Open,
            b")-" => Sep::CloseDash,
            _ => return None,
        })
    }

    /// May a window end before this separator and the next start after it?
    fn soft(self) -> bool {
        matches!(self, Sep::Space | Sep::Slash | Sep::SpacedDash | Sep::SpacedSlash)
    }

    fn paren(self) -> bool {
        matches!(self, Sep::Close | Sep::Open | Sep::CloseDash)
    }
}

/// Reads the run at `i`, records what it holds into `out`, and returns where the scan
/// goes on: after the run, whether or not anything in it validated.
fn numbers(text: &str, i: usize, numbers_of: &Numbers<'_>, out: &mut Vec<Span>) -> usize {
    let b = text.as_bytes();
    let n = b.len();
    let mut run = Run {
        start: i,
        plus: b[i] == b'+',
        open: b[i] == b'(',
        groups: [(0, 0); MAX_GROUPS],
        seps: [Sep::Space; MAX_GROUPS],
        len: 0,
    };
    let mut j = i + usize::from(run.plus || run.open);
    if j >= n || !b[j].is_ascii_digit() {
        return i;
    }
    loop {
        let gs = j;
        while j < n && b[j].is_ascii_digit() {
            j += 1;
        }
        run.groups[run.len] = (gs, j);
        run.len += 1;
        if run.len == MAX_GROUPS {
            break;
        }
        let ss = j;
        while j < n && j - ss < 3 && matches!(b[j], b' ' | b'-' | b'.' | b'/' | b'(' | b')') {
            j += 1;
        }
        // A no-break space (U+00A0) groups digits in French typography.
        if j == ss && b[j..].starts_with(b"\xc2\xa0") {
            j += 2;
        }
        match Sep::parse(&b[ss..j]) {
            Some(sep) if j < n && b[j].is_ascii_digit() => run.seps[run.len - 1] = sep,
            _ => break,
        }
    }
    let end = run.groups[run.len - 1].1;
    // A last group glued to letters ("12 34abc") is part of a word, not of a number,
    // unless the letters mark an extension ("x123").
    if word_at(text, end) && extension(text, end).is_none() {
        run.len -= 1;
        if run.len == 0 {
            return end;
        }
    }
    // A `(` opens an area code only if it closes after the first group: `(202) 555-0142`,
    // `(0)20 7946 0958`; otherwise it is the sentence's (`(06 12 34 56 78)`).
    if run.open && !(run.len > 1 && matches!(run.seps[0], Sep::Close | Sep::CloseDash)) {
        run.open = false;
        run.start += 1;
    }
    let found = windows(text, &run, numbers_of, out);
    end.max(found)
}

/// The end of a phone number's extension that starts at `end`, if one does: RFC 3966's
/// `;ext=123`, and as people and libphonenumber write them, ` ext. 123`, ` x123`,
/// ` ext 123`, ` extension 123`, ` #123`, ` poste 123`, ` Durchwahl 123`: one to six digits.
fn extension(text: &str, end: usize) -> Option<usize> {
    let rest = &text.as_bytes()[end..];
    let mut j = 0;
    if rest.starts_with(b";ext=") {
        j = 5;
    } else {
        while j < 2 && rest.get(j) == Some(&b' ') {
            j += 1;
        }
        const MARKERS: [&[u8]; 9] =
            [b"extension", b"extn.", b"extn", b"ext.", b"ext", b"x", b"#", b"poste", b"durchwahl"];
        let marker = MARKERS
            .iter()
            .find(|m| rest.len() >= j + m.len() && rest[j..j + m.len()].eq_ignore_ascii_case(m))?;
        j += marker.len();
        let after = j;
        while j < after + 2 && rest.get(j).is_some_and(|c| matches!(c, b' ' | b':')) {
            j += 1;
        }
    }
    let digits = j;
    while j < rest.len() && rest[j].is_ascii_digit() {
        j += 1;
    }
    ((1..=6).contains(&(j - digits)) && !word_at(text, end + j)).then_some(end + j)
}

/// Cuts the run at its soft separators and records, from the left, the longest window
/// that validates at each start; returns the end of the last span recorded (0 if none),
/// which is past the run when a phone number's extension follows it.
fn windows(text: &str, run: &Run, numbers_of: &Numbers<'_>, out: &mut Vec<Span>) -> usize {
    let mut cuts = [0usize; MAX_GROUPS + 1];
    let mut ncuts = 1;
    for k in 1..run.len {
        if run.seps[k - 1].soft() {
            cuts[ncuts] = k;
            ncuts += 1;
        }
    }
    cuts[ncuts] = run.len;
    ncuts += 1;
    // A run printed as a card is (4111 1111 1111 1112) is one number: if it is no card,
    // its groups are not tried as phone numbers (`7992 7398` is Maltese).
    let mut lens = [0usize; MAX_GROUPS];
    for (len, (s, t)) in lens.iter_mut().zip(&run.groups[..run.len]) {
        *len = t - s;
    }
    let lens = &lens[..run.len];
    let seps = &run.seps[..run.len - 1];
    let uniform = seps.windows(2).all(|w| w[0] == w[1]);
    let card_shaped =
        run.len >= 3 && (13..=19).contains(&lens.iter().sum::<usize>()) && uniform && card_layout(lens, seps);
    // Likewise a date (12/05/2024) is not a number followed by a phone number (05/2024).
    let date_shaped =
        run.len == 3 && uniform && matches!(seps[0], Sep::Dot | Sep::Slash | Sep::Dash) && date_layout(lens);
    if !run.plus && !run.open && (card_shaped || date_shaped) {
        ncuts = 2;
        cuts[1] = run.len;
    }
    let mut a = 0;
    let mut last = 0;
    while a + 1 < ncuts {
        let mut found = None;
        for e in (a + 1..ncuts).rev() {
            if let Some(kind) = classify(text, run, cuts[a], cuts[e], numbers_of) {
                found = Some((e, kind));
                break;
            }
        }
        match found {
            Some((e, kind)) => {
                let first = cuts[a];
                let start = if first == 0 { run.start } else { run.groups[first].0 };
                let mut end = run.groups[cuts[e] - 1].1;
                if kind == PiiType::PhoneNumber
                    && let Some(with_extension) = extension(text, end)
                {
                    end = with_extension;
                }
                out.push(Span::new(start, end, kind));
                last = end;
                a = e;
            }
            None => a += 1,
        }
    }
    last
}

/// What the groups `a..e` of the run are, if anything.
fn classify(text: &str, run: &Run, a: usize, e: usize, numbers_of: &Numbers<'_>) -> Option<PiiType> {
    let groups = &run.groups[a..e];
    let seps = &run.seps[a..e - 1];
    let count = e - a;
    let mut digits = [0u8; 20];
    let mut nd = 0;
    let mut lens = [0usize; MAX_GROUPS];
    for (k, &(s, t)) in groups.iter().enumerate() {
        lens[k] = t - s;
        if nd + (t - s) > digits.len() {
            return None;
        }
        digits[nd..nd + t - s].copy_from_slice(&text.as_bytes()[s..t]);
        nd += t - s;
    }
    let digits = &digits[..nd];
    let lens = &lens[..count];
    let plus = a == 0 && run.plus;
    let open = a == 0 && run.open;
    let parens = open || seps.iter().any(|s| s.paren());
    let same = |sep: Sep| seps.iter().all(|s| *s == sep);
    let uniform = seps.windows(2).all(|w| w[0] == w[1]);

    // IPv4 (RFC 791 dotted quad), confirmed by std's parser (which refuses leading zeros).
    if count == 4 && same(Sep::Dot) && !plus && !open {
        let (s, t) = (groups[0].0, groups[3].1);
        return text[s..t].parse::<Ipv4Addr>().ok().map(|_| PiiType::IpAddress);
    }
    // Dates are not phone numbers: 12.05.2024, 2024-05-12, 12/05/24.
    if count == 3 && uniform && matches!(seps[0], Sep::Dot | Sep::Slash | Sep::Dash) && date_layout(lens) {
        return None;
    }
    // Payment cards: 12 to 19 digits (ISO/IEC 7812), grouped as printed, a brand's
    // issuer range and length, Luhn-valid.
    if !plus
        && !parens
        && (12..=19).contains(&nd)
        && uniform
        && card_layout(lens, seps)
        && checks::card_brand(digits).is_some()
        && checks::luhn(digits)
    {
        return Some(PiiType::CreditCard);
    }
    if numbers_of.ssn
        && count == 3
        && lens == [3, 2, 4]
        && uniform
        && matches!(seps[0], Sep::Dash | Sep::Space | Sep::Dot)
        && !plus
        && !open
        && checks::ssn_valid(digits)
    {
        return Some(PiiType::UsSsn);
    }
    // Dates with spaces (06 12 2026) too.
    if count == 3 && uniform && seps[0] == Sep::Space && matches!(lens, [1 | 2, 1 | 2, 4]) {
        let value = |(s, t): (usize, usize)| text[s..t].parse::<u32>().unwrap_or(0);
        let (x, y) = (value(groups[0]), value(groups[1]));
        if (1..=31).contains(&x) && (1..=12).contains(&y) || (1..=12).contains(&x) && (1..=31).contains(&y) {
            return None;
        }
    }
    // A number written without `+` starts its run, or follows a break between numbers
    // (`/`, ` - `): the tail of a longer run of groups (`4711 0815 2024`) is not one.
    let starts = a == 0 || matches!(run.seps[a - 1], Sep::Slash | Sep::SpacedSlash | Sep::SpacedDash);
    ((plus || starts) && phone(text, groups, seps, lens, digits, plus, numbers_of.phones))
        .then_some(PiiType::PhoneNumber)
}

/// The groups of a date: 12.05.2024, 2024-05-12, 12/05/24.
fn date_layout(lens: &[usize]) -> bool {
    matches!(lens, [1 | 2, 1 | 2, 4] | [4, 1 | 2, 1 | 2] | [1 | 2, 1 | 2, 2])
}

/// Card numbers as printed: in one piece, or in groups of four, the last group possibly
/// shorter, with an Amex (4-6-5) or Diners (4-6-4) layout, or a 13-digit Visa's (4-4-5,
/// 4-3-3-3).
fn card_layout(lens: &[usize], seps: &[Sep]) -> bool {
    if !seps.iter().all(|s| matches!(s, Sep::Space | Sep::Dash)) {
        return false;
    }
    match lens {
        [_] => true,
        // Amex and Diners (4-6-5, 4-6-4); a 13-digit Visa as it is printed (4-4-5, 4-3-3-3).
        [4, 6, 4 | 5] | [4, 4, 5] | [4, 3, 3, 3] => true,
        [4, middle @ .., last] => middle.iter().all(|l| *l == 4) && (1..=4).contains(last),
        _ => false,
    }
}

/// Phone numbers: the scan proposes digits with separators, libphonenumber decides
/// ([`Phones`]).
///
/// - International, with `+` or `00`: any region, any grouping, a trunk `(0)` as Britons,
///   Germans and the French print it (`+44 (0)20 7946 0958`) left out of the number.
/// - National, without them: in the regions configured ([`crate::PhoneRegions`]), as
///   libphonenumber writes the region's national format (trunk prefix included), with
///   any separators; in one piece only with the trunk prefix (`0612345678`, not
///   `2025550142`, as often an order number). A date is refused before (`12.05.2024`).
///
/// Either may be followed by an extension ([`extension`]). Spaced slashes and dashes
/// (`01 23 / 45 67`) separate numbers, never groups of one.
fn phone(
    text: &str,
    groups: &[(usize, usize)],
    seps: &[Sep],
    lens: &[usize],
    digits: &[u8],
    plus: bool,
    phones: &Phones,
) -> bool {
    if seps.iter().any(|s| matches!(s, Sep::SpacedSlash | Sep::SpacedDash)) {
        return false;
    }
    let international = plus || (lens[0] >= 2 && digits.starts_with(b"00") && digits.get(2) != Some(&b'0'));
    if !international {
        // Dots group a national number only when they group all of it (`06.12.34.56.78`,
        // `202.555.0142`): dots mixed with other separators are an address with its
        // prefix length (`172.64.59.98/24`), a version or an amount. After a `+` they may
        // follow the code's space (`+687 05.00.12`).
        if seps.contains(&Sep::Dot) && !seps.iter().all(|s| *s == Sep::Dot) {
            return false;
        }
        // Below five digits no region's plan has a number (Saint Helena's and the
        // Falklands' are five), and amounts and references abound: five or more with a
        // trunk prefix, seven without (Luxembourg's six-digit numbers look like any
        // three pairs), nine in one piece (`0123456` is a customer number).
        let min = if lens.len() == 1 { 9 } else { 5 };
        return digits.len() >= min && phones.national(digits, lens);
    }
    // The number after `+` or `00`, without a trunk zero in parentheses, which is not
    // dialled from abroad: `(0)`.
    let mut number = [0u8; 20];
    let mut n = 0;
    let mut skip = if plus { 0 } else { 2 };
    for (k, &(s, t)) in groups.iter().enumerate() {
        let trunk = k > 0
            && lens[k] == 1
            && &text.as_bytes()[s..t] == b"0"
            && seps[k - 1] == Sep::Open
            && seps.get(k).is_some_and(|s| matches!(s, Sep::Close | Sep::CloseDash));
        if trunk {
            continue;
        }
        for &d in &text.as_bytes()[s..t] {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            number[n] = d;
            n += 1;
        }
    }
    n <= 17 && phones.international(&number[..n])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::next_digit_or_colon;

    /// `search` finds exactly the bytes `wanted` says it should: every byte value, at
    /// every place in a text of up to 23 bytes of `fillers` (which it must not want), and
    /// from the start or from that place.
    pub(crate) fn finds_exactly(
        search: fn(&[u8], usize) -> Option<usize>,
        wanted: fn(u8) -> bool,
        fillers: [u8; 5],
    ) {
        assert!(!fillers.iter().any(|f| wanted(*f)), "the fillers are not wanted");
        for byte in 0..=255u8 {
            for at in 0..20 {
                for len in at + 1..24 {
                    let mut text: Vec<u8> = (0..len).map(|k| fillers[k % 5]).collect();
                    text[at] = byte;
                    let expected = text.iter().position(|c| wanted(*c));
                    assert_eq!(search(&text, 0), expected, "byte {byte:#x} at {at} of {len}");
                    assert_eq!(search(&text, at), expected.filter(|e| *e >= at), "from {at}");
                }
            }
        }
        assert_eq!(search(b"", 0), None);
        assert_eq!(search(b"abc", 3), None);
    }

    /// Every byte value, at every place in a word and past its end, is found exactly when
    /// it is a digit or a colon; among bytes just outside the range, and high bytes.
    #[test]
    fn the_first_digit_or_colon_is_found_whatever_surrounds_it() {
        finds_exactly(next_digit_or_colon, |c| (b'0'..=b':').contains(&c), [b'/', b';', 0xB0, 0xBA, b'z']);
    }
}
