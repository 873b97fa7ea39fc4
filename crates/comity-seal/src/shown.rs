//! Text from a package, made safe to put in a message: escaped and bounded.

/// The most characters of outside text that a message quotes.
const MAX_SHOWN: usize = 80;

/// `text` quoted, with control characters and quotes escaped, cut at [`MAX_SHOWN`]
/// characters: a name from a hostile package cannot move the terminal's cursor, forge a
/// line of output or fill a log.
pub(crate) fn shown(text: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in text.chars().enumerate() {
        if i == MAX_SHOWN {
            out.push_str("...");
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}

/// Like [`shown`], for bytes that may not be UTF-8.
pub(crate) fn shown_bytes(bytes: &[u8]) -> String {
    shown(&String::from_utf8_lossy(bytes))
}
