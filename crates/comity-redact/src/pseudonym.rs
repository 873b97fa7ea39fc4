//! Pseudonyms for third parties, and the canonical form of an identifier.

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;

/// What an identifier is, as a production's party fields say it (`address`, `number`,
/// `ip`, `account`; docs/export-format.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifierKind {
    Email,
    Phone,
    Ip,
    /// An account id, a user name or a device id: compared as written.
    Account,
}

impl IdentifierKind {
    /// The kind a bare identifier most likely is: an e-mail address if it has an `@`, an
    /// IP address if std parses it as one, a phone number if it is a `+` or digits with
    /// phone separators, else an account. For identifiers given without their field.
    pub fn guess(value: &str) -> IdentifierKind {
        let v = value.trim();
        if v.contains('@') {
            IdentifierKind::Email
        } else if parse_ip(v).is_some() {
            IdentifierKind::Ip
        } else if v.chars().filter(char::is_ascii_digit).count() >= 6
            && v.chars().all(|c| c.is_ascii_digit() || " +-.()/\u{a0}".contains(c))
        {
            IdentifierKind::Phone
        } else {
            IdentifierKind::Account
        }
    }
}

/// The canonical form of an identifier, the one used to compare two spellings of it:
/// whether an export's `account` is a request's target, whether a party is, and whether
/// an address in free text is a target's.
///
/// - e-mail addresses: trimmed and lower-cased whole (RFC 5321 lets a local part be
///   case-sensitive; no mail system in use makes it so, and the request's selectors are
///   compared case-insensitively);
/// - phone numbers: `+` and the digits, `00` read as `+`, a trunk `(0)` after the
///   country code dropped (`+44 (0)20 7946 0958` is `+442079460958`); a national
///   number without `+` or `00` stays digits only (`0612345678`), since its country is
///   not known;
/// - IP addresses: std's parse and display (RFC 5952 for IPv6), an IPv4-mapped IPv6
///   address as its IPv4 address, brackets and a zone dropped; what does not parse is
///   trimmed and lower-cased;
/// - accounts: trimmed, otherwise as written.
pub fn normalize(kind: IdentifierKind, value: &str) -> String {
    let v = value.trim();
    match kind {
        IdentifierKind::Email => v.strip_prefix("mailto:").unwrap_or(v).to_lowercase(),
        IdentifierKind::Phone => {
            let without_trunk = v.replacen("(0)", "", 1);
            let digits: String = without_trunk.chars().filter(char::is_ascii_digit).collect();
            if v.starts_with('+') {
                format!("+{digits}")
            } else if let Some(rest) = digits.strip_prefix("00") {
                format!("+{rest}")
            } else {
                digits
            }
        }
        IdentifierKind::Ip => {
            parse_ip(v).map_or_else(|| v.to_lowercase(), |ip| ip.to_canonical().to_string())
        }
        IdentifierKind::Account => v.to_owned(),
    }
}

fn parse_ip(v: &str) -> Option<IpAddr> {
    let v = v.strip_prefix('[').and_then(|r| r.split(']').next()).unwrap_or(v);
    let v = v.split('%').next().unwrap_or(v);
    v.parse().ok()
}

/// Keyed pseudonyms: `person-` and 10 lower-case base32 characters (50 bits) of
/// HMAC-SHA256(key, normalized identifier). One key per production: the same person has
/// the same pseudonym throughout it, and without the key nobody can tell whether two
/// productions name the same person, or recompute a pseudonym from a guessed identifier.
#[derive(Clone)]
pub struct Pseudonyms {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms { key: <secret> }")
    }
}

impl Pseudonyms {
    pub fn new(key: [u8; 32]) -> Pseudonyms {
        Pseudonyms { mac: Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length") }
    }

    /// A fresh random key from the operating system, for one production.
    pub fn generate() -> Pseudonyms {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Pseudonyms::new(key)
    }

    /// The pseudonym of an identifier, which the caller has passed through [`normalize`]
    /// so that two spellings of one person get one pseudonym.
    pub fn pseudonym(&self, normalized_identifier: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(normalized_identifier.as_bytes());
        let tag = mac.finalize().into_bytes();
        // RFC 4648 base32, lower case, over the first 50 bits; written out here because
        // ten characters do not justify a dependency.
        const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
        let bits = tag[..8].iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        let mut out = String::with_capacity(17);
        out.push_str("person-");
        for k in 0..10 {
            out.push(char::from(ALPHABET[((bits >> (59 - 5 * k)) & 31) as usize]));
        }
        out
    }
}
