//! Person names where the text shows them, without a language model.
//!
//! A name is recognised only where a convention announces one:
//!
//! - after a greeting: `Dear Jane Doe,`, `Bonjour Claire`, `Hallo Jürgen`, `Hola María`;
//! - after a title: `Mr Smith`, `Mrs. O'Brien`, `M. Dupont`, `Mme Lefèvre`, `Herr Müller`,
//!   `Frau Schröder`, `Sr. García`, `Dott. Rossi`;
//! - on the line after a sign-off: `Best regards,` / `Cordialement,` / `Mit freundlichen
//!   Grüßen` / `Saludos,` then a line that is only a name.
//!
//! A name is one to three capitalised words (letters, inner apostrophes and hyphens:
//! `O'Brien`, `Jean-Luc`), not a word that greetings are also followed by (`Dear Sir`,
//! `Hi team`, `Bonjour à tous`). The limits are those of any rule without a model: a name
//! in running prose (`I met Jane yesterday`) is not found unless the caller gives it (the
//! production's display names go to the masker's automaton, which finds them anywhere); a
//! capitalised word after a greeting is taken for a name (`Hello World`); names written
//! in lower case, or in scripts without case, are not found.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, MatchKind, StartKind};

use crate::{
    scan::{bytes_equal, bytes_in, find_byte, word_at, word_before},
    types::{PiiType, Span},
};

#[derive(Clone, Copy)]
enum Trigger {
    /// A greeting: the name follows on the same line.
    Greeting,
    /// A title: the name (often a surname alone) follows.
    Title,
    /// A sign-off: the name is the next line.
    SignOff,
}

const GREETINGS: &[&str] = &[
    "Dear",
    "Hi",
    "Hello",
    "Hey",
    "Good morning",
    "Good afternoon",
    "Bonjour",
    "Bonsoir",
    "Salut",
    "Coucou",
    "Cher",
    "Chère",
    "Chers",
    "Hallo",
    "Liebe",
    "Lieber",
    "Guten Tag",
    "Guten Morgen",
    "Servus",
    "Moin",
    "Hola",
    "Estimado",
    "Estimada",
    "Querido",
    "Querida",
    "Buenos días",
    "Buenas tardes",
    "Ciao",
    "Gentile",
    "Caro",
    "Cara",
];

const TITLES: &[&str] = &[
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Dr",
    "Prof",
    "M.",
    "Mme",
    "Mlle",
    "Monsieur",
    "Madame",
    "Mademoiselle",
    "Herr",
    "Frau",
    "Sr",
    "Sra",
    "Srta",
    "Señor",
    "Señora",
    "Don",
    "Doña",
    "Dott",
    "Sig",
    "Sig.ra",
];

const SIGN_OFFS: &[&str] = &[
    "Regards",
    "Best regards",
    "Kind regards",
    "Warm regards",
    "Best wishes",
    "Best",
    "Thanks",
    "Thank you",
    "Cheers",
    "Sincerely",
    "Yours sincerely",
    "Yours",
    "Cordialement",
    "Bien cordialement",
    "Bien à vous",
    "Amicalement",
    "Bises",
    "Merci",
    "Merci d’avance",
    "Merci d'avance",
    "À bientôt",
    "Viele Grüße",
    "Beste Grüße",
    "Liebe Grüße",
    "Mit freundlichen Grüßen",
    "Freundliche Grüße",
    "Gruß",
    "Grüße",
    "Danke",
    "Danke und Gruß",
    "Saludos",
    "Un saludo",
    "Un abrazo",
    "Atentamente",
    "Gracias",
    "Cordialmente",
    "Un cordiale saluto",
    "Distinti saluti",
];

/// Words that follow greetings and titles but are not names (compared in lower case).
const NOT_NAMES: &[&str] = &[
    "sir",
    "madam",
    "team",
    "all",
    "everyone",
    "everybody",
    "there",
    "colleagues",
    "friends",
    "folks",
    "guys",
    "customer",
    "customers",
    "client",
    "support",
    "again",
    "tout",
    "tous",
    "toutes",
    "monsieur",
    "madame",
    "mademoiselle",
    "messieurs",
    "mesdames",
    "équipe",
    "herr",
    "frau",
    "damen",
    "herren",
    "kollegen",
    "kolleginnen",
    "zusammen",
    "equipo",
    "todos",
    "todas",
    "señor",
    "señora",
    "señores",
    "amigos",
    "mr",
    "mrs",
    "ms",
    "dr",
    "the",
    "this",
    "i",
    "we",
    "you",
    "it",
    "thanks",
    "thank",
    "je",
    "nous",
    "merci",
    "ich",
    "wir",
    "danke",
    "el",
    "la",
    "los",
    "las",
    "gracias",
    "le",
    "les",
    "der",
    "die",
    "das",
    "und",
    "and",
    "et",
    "y",
    "mit",
    "with",
    "my",
    "mon",
    "ma",
    "mes",
    "mein",
    "meine",
    "mi",
    "mis",
    "a",
    "an",
    "un",
    "une",
    "ein",
    "eine",
    "in",
    "on",
    "at",
    "for",
    "from",
    "to",
    "per",
    "pour",
    "für",
    "para",
    "de",
    "du",
    "des",
    "von",
    "del",
    "sehr",
    "geehrte",
    "geehrter",
    "world",
    "please",
    "bitte",
    "por",
    "favor",
    "s'il",
    "sorry",
    "ok",
    "okay",
    "yes",
    "no",
    "oui",
    "non",
    "ja",
    "nein",
    "sí",
];

pub(crate) struct PersonFinder {
    /// The triggers, matched anchored where one may start.
    automaton: AhoCorasick,
    triggers: Vec<Trigger>,
    /// The first two bytes of every trigger, one bit per pair: where the automaton is run.
    starts: Box<[u64; 1024]>,
}

impl std::fmt::Debug for PersonFinder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonFinder").field("triggers", &self.triggers.len()).finish()
    }
}

impl PersonFinder {
    pub(crate) fn new() -> PersonFinder {
        let mut patterns = Vec::new();
        let mut triggers = Vec::new();
        for (list, trigger) in
            [(GREETINGS, Trigger::Greeting), (TITLES, Trigger::Title), (SIGN_OFFS, Trigger::SignOff)]
        {
            for p in list {
                patterns.push(*p);
                triggers.push(trigger);
            }
        }
        // Searched only anchored, at the few capitals that can start a trigger: a
        // contiguous NFA, which builds in a fraction of the time a DFA took (half of a
        // `pii scan`'s start) and is as quick over a trigger's few bytes.
        let automaton = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(&patterns)
            .expect("a few dozen short literals always build");
        let mut starts = Box::new([0u64; 1024]);
        for p in &patterns {
            let pair = pair(p.as_bytes(), 0).expect("every trigger has two bytes or more");
            starts[pair / 64] |= 1 << (pair % 64);
        }
        PersonFinder { automaton, triggers, starts }
    }

    /// Every trigger starts a word with a capital letter (`Dear`, `Mme`, `À bientôt`), and
    /// capitals that start a word are rare in a text: the automaton is run, anchored,
    /// only where the first two bytes are a trigger's, rather than over every byte. The
    /// capitals are found eight bytes at a time ([`find_byte`]). Matches are the
    /// automaton's leftmost-longest ones, as an unanchored search finds them, less those
    /// inside a word, which were dropped anyway.
    pub(crate) fn find(&self, text: &str, out: &mut Vec<Span>) {
        let bytes = text.as_bytes();
        let mut at = 0;
        while let Some(start) = next_capital(bytes, at) {
            at = start + 1;
            let Some(pair) = pair(bytes, start) else { break };
            if self.starts[pair / 64] & 1 << (pair % 64) == 0 || word_before(text, start) {
                continue;
            }
            let input = Input::new(text).span(start..text.len()).anchored(Anchored::Yes);
            let Some(m) = self.automaton.find(input) else {
                continue;
            };
            at = m.end();
            if word_at(text, m.end()) && !text[..m.end()].ends_with('.') {
                continue;
            }
            let found = match self.triggers[m.pattern().as_usize()] {
                Trigger::Greeting => after_greeting(text, m.end(), 3),
                Trigger::Title => after_title(text, m.end()),
                Trigger::SignOff => after_sign_off(text, m.end()),
            };
            if let Some((s, e)) = found {
                out.push(Span::new(s, e, PiiType::Person));
            }
        }
    }
}

/// The two bytes at `at`, as one number below 65,536.
fn pair(bytes: &[u8], at: usize) -> Option<usize> {
    let two = bytes.get(at..at + 2)?;
    Some(usize::from(two[0]) << 8 | usize::from(two[1]))
}

/// The first byte at or after `from` that is an ASCII capital or 0xC3, the first byte of
/// `À` (and of the other Latin-1 letters).
fn next_capital(b: &[u8], from: usize) -> Option<usize> {
    find_byte(b, from, |x| bytes_in(x, b'A', b'Z') | bytes_equal(x, 0xC3))
}

fn after_greeting(text: &str, at: usize, max_words: usize) -> Option<(usize, usize)> {
    let rest = &text[at..];
    let start = at + rest.strip_prefix(' ').map(|_| 1)?;
    let (s, e) = name(text, start, max_words)?;
    // A greeting's name ends the greeting: a comma, a colon, an exclamation mark, a full
    // stop, a line's end, an emoji or the text's end follows it.
    let next = text[e..].chars().next();
    let ends = match next {
        None => true,
        Some(c) => {
            matches!(c, ',' | ':' | '!' | '.' | '\n' | '\r' | ' ' | ';')
                || !c.is_alphanumeric() && !c.is_ascii()
        }
    };
    ends.then_some((s, e))
}

fn after_title(text: &str, at: usize) -> Option<(usize, usize)> {
    let mut i = at;
    if text[i..].starts_with('.') {
        i += 1;
    }
    if !text[i..].starts_with(' ') {
        return None;
    }
    name(text, i + 1, 3)
}

fn after_sign_off(text: &str, at: usize) -> Option<(usize, usize)> {
    let rest = &text[at..];
    let line_end = rest.find('\n')?;
    if !rest[..line_end]
        .trim_matches(|c: char| c == ',' || c == '!' || c == '.' || c.is_whitespace())
        .is_empty()
    {
        return None;
    }
    let start = at + line_end + 1;
    let (s, e) = name(text, start, 3)?;
    // The whole line is the name.
    let after = &text[e..];
    let line_rest = after.split('\n').next().unwrap_or("");
    line_rest.trim().is_empty().then_some((s, e))
}

/// One to `max_words` capitalised words starting at `start`, separated by single spaces.
fn name(text: &str, start: usize, max_words: usize) -> Option<(usize, usize)> {
    let mut end = start;
    let mut words = 0;
    let mut i = start;
    while words < max_words {
        let word_end = word(text, i)?;
        if word_end == i {
            break;
        }
        let w = &text[i..word_end];
        if is_not_a_name(w) {
            break;
        }
        words += 1;
        end = word_end;
        if text[word_end..].starts_with(' ') && text[word_end + 1..].starts_with(|c: char| c.is_uppercase()) {
            i = word_end + 1;
        } else {
            break;
        }
    }
    (words > 0).then_some((start, end))
}

/// Whether a capitalised word is one of [`NOT_NAMES`] in any case: looked up, in lower
/// case, in a sorted copy of the list. The word is lowered on the stack, without
/// allocating: no word of the list is longer than 16 bytes.
fn is_not_a_name(word: &str) -> bool {
    static SORTED: LazyLock<Vec<&str>> = LazyLock::new(|| {
        let mut sorted = NOT_NAMES.to_vec();
        sorted.sort_unstable();
        sorted
    });
    let mut lower = [0u8; 16];
    let mut len = 0;
    if word.is_ascii() {
        let Some(key) = lower.get_mut(..word.len()) else {
            return false;
        };
        for (l, c) in key.iter_mut().zip(word.bytes()) {
            *l = c.to_ascii_lowercase();
        }
        len = word.len();
    } else {
        for c in word.chars().flat_map(char::to_lowercase) {
            let Some(place) = lower.get_mut(len..len + c.len_utf8()) else {
                return false;
            };
            len += c.encode_utf8(place).len();
        }
    }
    SORTED.binary_search_by(|n| n.as_bytes().cmp(&lower[..len])).is_ok()
}

/// The end of a capitalised word at `i` (`i` itself if there is none); `None` if the word
/// goes on with digits or other marks that no name has.
fn word(text: &str, i: usize) -> Option<usize> {
    let mut chars = text[i..].char_indices();
    match chars.next() {
        Some((_, c)) if c.is_uppercase() => {}
        _ => return Some(i),
    }
    let mut end = text[i..].chars().next().map_or(i, |c| i + c.len_utf8());
    let mut letters = 1;
    for (k, c) in chars {
        if c.is_alphabetic() {
            letters += 1;
            end = i + k + c.len_utf8();
        } else if matches!(c, '\'' | '’' | '-') {
            continue;
        } else if c.is_numeric() || c == '_' || c == '@' {
            return None;
        } else {
            break;
        }
    }
    // "O'" or "A-" alone, or a single capital ("I"), is no name.
    (letters >= 2).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::{NOT_NAMES, is_not_a_name, next_capital};
    use crate::scan::tests::finds_exactly;

    /// Every word of the list is found however it is capitalised, accents included, and
    /// names are not, however long.
    #[test]
    fn words_that_are_not_names_are_found_in_any_case() {
        for word in NOT_NAMES {
            assert!(word.len() <= 16, "{word}: longer than is_not_a_name's buffer");
            let mut chars = word.chars();
            let capitalised: String =
                chars.next().into_iter().flat_map(char::to_uppercase).chain(chars).collect();
            for written in [word.to_string(), capitalised, word.to_uppercase()] {
                assert!(is_not_a_name(&written), "{written}");
            }
        }
        for name in ["José", "Zoë", "Ångström", "İlker", "Maximilianusmaximus", "Équipes", "Señ"] {
            assert!(!is_not_a_name(name), "{name}");
        }
    }

    /// Every byte value, at every place in a word and past its end, is found exactly when
    /// it is an ASCII capital or 0xC3; among bytes just outside the range, and other high
    /// bytes (0xC1 has a capital's low seven bits).
    #[test]
    fn the_first_capital_is_found_whatever_surrounds_it() {
        finds_exactly(next_capital, |c| c.is_ascii_uppercase() || c == 0xC3, [b'@', b'[', 0xC2, 0xC4, 0xC1]);
    }
}
