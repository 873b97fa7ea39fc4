//! Text from outside, made safe to put into a message.

use std::fmt;

/// Shows a string from outside in a message: quoted and escaped like `{:?}` (so control
/// characters, newlines and quotes cannot forge a log line or a second message), and cut
/// at a bound so that a megabyte-long `kid` does not become a megabyte-long error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shown<'a> {
    text: &'a str,
    max_chars: usize,
}

impl<'a> Shown<'a> {
    /// For names and ids: at most 64 characters.
    pub(crate) fn short(text: &'a str) -> Shown<'a> {
        Shown { text, max_chars: 64 }
    }

    /// For a library's error sentence that may quote its input: at most 200 characters,
    /// written without quotes but still escaped.
    pub(crate) fn long(text: &'a str) -> ShownSentence<'a> {
        ShownSentence(Shown { text, max_chars: 200 })
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text.char_indices().nth(self.max_chars) {
            None => write!(f, "{:?}", self.text),
            Some((cut, _)) => write!(f, "{:?}… (cut)", &self.text[..cut]),
        }
    }
}

/// A sentence escaped like [`Shown`] but without the surrounding quotes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShownSentence<'a>(Shown<'a>);

impl fmt::Display for ShownSentence<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Shown { text, max_chars } = self.0;
        let (kept, cut) = match text.char_indices().nth(max_chars) {
            None => (text, false),
            Some((at, _)) => (&text[..at], true),
        };
        for c in kept.chars() {
            write!(f, "{}", c.escape_debug())?;
        }
        if cut {
            f.write_str("… (cut)")?;
        }
        Ok(())
    }
}

/// Truncates an owned string from outside to `max_chars`, for values kept in an error.
pub(crate) fn bounded(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some((cut, _)) => text[..cut].to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_cuts() {
        assert_eq!(Shown::short("a\"b\nc").to_string(), r#""a\"b\nc""#);
        assert_eq!(Shown::short(&"x".repeat(70)).to_string(), format!("{:?}… (cut)", "x".repeat(64)));
        assert_eq!(Shown::long("line\nbreak").to_string(), r"line\nbreak");
        assert_eq!(bounded("ééé", 2), "éé");
    }
}
