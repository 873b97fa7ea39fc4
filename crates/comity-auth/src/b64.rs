//! base64url without padding (RFC 4648 §5; RFC 7515 §2 "Base64url Encoding").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes in base64url without padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding, strictly: no `=`, no whitespace, no character of
/// the standard alphabet (`+`, `/`), and no encoding of which a bit is left over (so that
/// each byte string has exactly one encoding, RFC 4648 §3.5). The error says which.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, String> {
    if let Some(at) = text.find('=') {
        return Err(format!("has '=' padding at offset {at}; use base64url without padding (RFC 7515 §2)"));
    }
    if let Some((at, bad)) = text.char_indices().find(|&(_, c)| !is_base64url(c)) {
        return Err(format!(
            "has {bad:?} at offset {at}, which is not a base64url character (A-Z a-z 0-9 - _; RFC 4648 §5)"
        ));
    }
    // `URL_SAFE_NO_PAD` refuses padding and non-zero trailing bits.
    URL_SAFE_NO_PAD.decode(text).map_err(|_| {
        "is not canonical base64url: its length or its last character is impossible (RFC 4648 §3.5)"
            .to_owned()
    })
}

/// Whether `c` is in the base64url alphabet (RFC 4648 §5).
pub(crate) fn is_base64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_strictly() {
        assert_eq!(decode("AQID"), Ok(vec![1, 2, 3]));
        assert_eq!(decode("-_8"), Ok(vec![0xfb, 0xff]));
        for (input, why) in [
            ("AQ==", "padding"),
            ("AQ+/", "not a base64url character"),
            ("AQ D", "not a base64url character"),
            ("A", "not canonical"),
            // "AR" decodes to one byte with non-zero leftover bits: another spelling of "AQ".
            ("AR", "not canonical"),
        ] {
            let got = decode(input);
            assert!(matches!(&got, Err(e) if e.contains(why)), "{input}: {got:?}");
        }
    }
}
