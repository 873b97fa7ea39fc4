//! Text that can deceive, refused where it is read.
//!
//! What a caller writes (a request's reference, a reason, a name) is shown to reviewers,
//! written to terminals by the command line, and kept in the record. Some characters make
//! text display other than it reads: a NUL cuts it short in C tools, an ANSI escape
//! sequence (ESC, U+001B) rewrites a terminal, and the bidirectional overrides and isolates
//! reorder what follows them (Unicode Standard Annex #9; "Trojan Source",
//! CVE-2021-42574). An outside test stored and served a reference holding each of them
//! (issue 12, finding 7). None has a place in what comity reads, so every string of every
//! JSON body is checked, and the first such character refused with its path.
//!
//! Tab, line feed and carriage return stay allowed (a justification has paragraphs), and
//! so do the directional *marks* (U+200E, U+200F, U+061C), which right-to-left text needs
//! and which reorder nothing around them.

use serde_json::Value;

/// Why a character may not appear, if it may not.
pub fn deceptive(c: char) -> Option<&'static str> {
    match c {
        '\t' | '\n' | '\r' => None,
        '\u{1b}' => Some("an escape character (U+001B), which starts a terminal control sequence"),
        '\0' => Some("a NUL character (U+0000)"),
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => Some("a control character"),
        '\u{202a}' => Some("LEFT-TO-RIGHT EMBEDDING (U+202A)"),
        '\u{202b}' => Some("RIGHT-TO-LEFT EMBEDDING (U+202B)"),
        '\u{202c}' => Some("POP DIRECTIONAL FORMATTING (U+202C)"),
        '\u{202d}' => Some("LEFT-TO-RIGHT OVERRIDE (U+202D)"),
        '\u{202e}' => Some("RIGHT-TO-LEFT OVERRIDE (U+202E)"),
        '\u{2066}' => Some("LEFT-TO-RIGHT ISOLATE (U+2066)"),
        '\u{2067}' => Some("RIGHT-TO-LEFT ISOLATE (U+2067)"),
        '\u{2068}' => Some("FIRST STRONG ISOLATE (U+2068)"),
        '\u{2069}' => Some("POP DIRECTIONAL ISOLATE (U+2069)"),
        _ => None,
    }
}

/// What is wrong with `text`, if anything: the character, its position and the fix.
pub fn check(text: &str) -> Result<(), String> {
    match text.chars().enumerate().find_map(|(n, c)| deceptive(c).map(|why| (n, c, why))) {
        None => Ok(()),
        Some((n, c, why)) => {
            let code = if why.contains("U+") { String::new() } else { format!(" (U+{:04X})", u32::from(c)) };
            Err(format!(
                "contains {why}{code} at character {}: control and bidirectional formatting characters \
                 make text display other than it reads; remove it",
                n + 1,
            ))
        }
    }
}

/// Whether a JSON text may hold a character [`deceptive`] refuses: any `\u` escape, the
/// short escapes of backspace and form feed (`\b`, `\f`), or one written as it is in
/// UTF-8 (DEL, a C1 control, an embedding, override or isolate). A C0 control written as
/// it is cannot be in a JSON string (RFC 8259 §7), so the parser refuses it itself. Most
/// bodies hold none of these, and only those that do are parsed a second time to find the
/// field ([`first_deceptive`]): the check stays off intake's path.
pub fn may_deceive(json: &[u8]) -> bool {
    (0..json.len()).any(|i| {
        matches!(
            json[i..],
            [b'\\', b'u' | b'b' | b'f', ..]
                | [0x7f, ..]
                | [0xc2, 0x80..=0x9f, ..]
                | [0xe2, 0x80, 0xaa..=0xae, ..]
                | [0xe2, 0x81, 0xa6..=0xa9, ..]
        )
    })
}

/// The path and problem of the first string in `value` that [`check`] refuses, with
/// paths written as `serde_path_to_error` writes them (`targets[0].selector.value`).
/// Object keys are checked too, since a key is text a reader sees; such a key is named by
/// the path of its object, so the answer does not echo the character back.
pub fn first_deceptive(value: &Value) -> Option<(String, String)> {
    fn walk(value: &Value, path: &mut String) -> Option<(String, String)> {
        match value {
            Value::String(s) => check(s).err().map(|problem| (path.clone(), problem)),
            Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                path.truncate(len);
                found
            }),
            Value::Object(fields) => fields.iter().find_map(|(key, item)| {
                if let Err(problem) = check(key) {
                    return Some((path.clone(), format!("the name of a field {problem}")));
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let found = walk(item, path);
                path.truncate(len);
                found
            }),
            _ => None,
        }
    }
    walk(value, &mut String::new())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn what_an_outside_test_stored_is_refused_and_what_text_needs_is_kept() {
        assert!(
            check("a\u{7}b").unwrap_err().starts_with("contains a control character (U+0007) at character 2")
        );
        for bad in ["TJ\u{0}2026", "TJ-\u{1b}[2J2026", "TJ-\u{202e}6202", "a\u{2066}b", "\u{85}", "\u{7f}"] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
        let message = check("ab\u{202e}cd").unwrap_err();
        assert!(message.starts_with("contains RIGHT-TO-LEFT OVERRIDE (U+202E) at character 3"), "{message}");
        for good in
            ["TJ-2026-1", "line one\nline two\tand\r\n", "שלום\u{200f} 2026", "Łódź – ÅÄÖ", "مرحبا\u{61c}"]
        {
            assert_eq!(check(good), Ok(()), "{good:?}");
        }
    }

    /// The fast look at the bytes never passes over a character the walk would refuse,
    /// written as it is or escaped, anywhere in a body.
    #[test]
    fn every_deceptive_character_is_seen_in_the_bytes_raw_or_escaped() {
        let all = (0..=0x10ffff_u32).filter_map(char::from_u32).filter(|c| deceptive(*c).is_some());
        let mut n = 0;
        for c in all {
            n += 1;
            let raw = serde_json::to_vec(&json!({"k": format!("a{c}")})).unwrap();
            assert!(may_deceive(&raw), "{c:?} as serde_json writes it");
            let escaped = format!("{{\"k\":\"\\u{:04x}\"}}", u32::from(c));
            assert!(may_deceive(escaped.as_bytes()), "{c:?} escaped");
            // Written as it is, a C0 control is not JSON at all: serde_json refuses it.
            if c > '\u{1f}' {
                assert!(may_deceive(format!("{c}").as_bytes()), "{c:?} alone");
            } else {
                assert!(serde_json::from_slice::<Value>(format!("\"{c}\"").as_bytes()).is_err(), "{c:?}");
            }
        }
        assert_eq!(n, 29 + 33 + 9, "C0 but tab and line breaks, DEL and C1, and the bidi controls");
        let plain =
            serde_json::to_vec(&json!({"reference": "TJ-2026-1", "name": "Łódź שלום\u{200f}"})).unwrap();
        assert!(!may_deceive(&plain));
    }

    #[test]
    fn the_first_deceptive_string_is_named_by_its_path() {
        let doc = json!({
            "issuing": {"reference": "fine"},
            "targets": [{"selector": {"value": "ok"}}, {"selector": {"value": "x\u{1b}[31m"}}],
        });
        let (path, problem) = first_deceptive(&doc).unwrap();
        assert_eq!(path, "targets[1].selector.value");
        assert!(problem.contains("U+001B"), "{problem}");
        assert_eq!(first_deceptive(&json!({"a": ["b", {"c": 1}]})), None);
        let (path, problem) = first_deceptive(&json!({"a": {"bad\u{202e}key": 1}})).unwrap();
        assert_eq!(path, "a");
        assert!(problem.starts_with("the name of a field contains RIGHT-TO-LEFT OVERRIDE"), "{problem}");
    }
}
