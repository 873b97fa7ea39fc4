//! Selectors: what a request names as its target.
//!
//! The norms of every instrument (and of the seed's "no blanket or mass requests") ask
//! that each target be a *specific* identifier. The request document can still carry the
//! mass shapes (keyword, geofence, group, wildcard) so that screening can recognise them
//! and refuse them with a reason, instead of the parser rejecting them without one.

use std::net::IpAddr;

crate::vocabulary::vocabulary! {
    /// The kind of a selector, as written in the request document.
    SelectorType {
        AccountId = "account_id",
        Email = "email",
        Phone = "phone",
        Ip = "ip",
        DeviceId = "device_id",
        Username = "username",
        Domain = "domain",
        /// A search term: names whoever used it. Never admissible.
        Keyword = "keyword",
        /// An area: names whoever was there (a tower dump). Never admissible.
        Geofence = "geofence",
        /// A group, channel or list: names its members. Never admissible.
        Group = "group",
        /// A pattern over identifiers. Never admissible.
        Wildcard = "wildcard",
    }
}

impl SelectorType {
    /// Whether this shape names a set of people rather than one account, person or
    /// device: a keyword search, an area, a group membership or a pattern.
    pub fn is_mass(self) -> bool {
        matches!(self, Self::Keyword | Self::Geofence | Self::Group | Self::Wildcard)
    }
}

/// A parsed selector. The value is kept exactly as the authority wrote it (after
/// trimming), because it is evidence; validation only checks its shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Selector {
    kind: SelectorType,
    value: String,
    /// For `ip` selectors: the source port, which carrier-grade NAT makes necessary to
    /// identify a subscriber (Regulation (EU) 2023/1543 Art 3(10)).
    port: Option<u16>,
}

/// Why a selector value is not acceptable for its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("the value is empty")]
    Empty,
    #[error("the value is longer than {0} characters")]
    TooLong(usize),
    #[error("the value contains a control character or line break")]
    ControlCharacter,
    #[error("{0:?} is not an e-mail address (expected local-part@domain.tld)")]
    Email(String),
    #[error("{0:?} is not a phone number in E.164 form (a + and 8 to 15 digits, such as +33612345678)")]
    Phone(String),
    #[error("{0:?} is not an IPv4 or IPv6 address")]
    Ip(String),
    #[error(
        "{0:?} is not a domain name (expected labels of letters, digits and hyphens, such as example.org)"
    )]
    Domain(String),
    #[error("{0:?} must not contain whitespace")]
    Whitespace(String),
    #[error("a port only belongs to an ip selector")]
    PortWithoutIp,
}

const MAX_LEN: usize = 512;

impl Selector {
    /// Parses a value for the given type.
    pub fn parse(kind: SelectorType, value: &str, port: Option<u16>) -> Result<Self, SelectorError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(SelectorError::Empty);
        }
        if value.chars().count() > MAX_LEN {
            return Err(SelectorError::TooLong(MAX_LEN));
        }
        if value.chars().any(char::is_control) {
            return Err(SelectorError::ControlCharacter);
        }
        if port.is_some() && kind != SelectorType::Ip {
            return Err(SelectorError::PortWithoutIp);
        }
        match kind {
            SelectorType::Email if !is_email(value) => return Err(SelectorError::Email(value.into())),
            SelectorType::Phone if !is_e164(value) => return Err(SelectorError::Phone(value.into())),
            SelectorType::Ip if value.parse::<IpAddr>().is_err() => {
                return Err(SelectorError::Ip(value.into()));
            }
            SelectorType::Domain if !is_domain(value) => return Err(SelectorError::Domain(value.into())),
            SelectorType::AccountId | SelectorType::DeviceId | SelectorType::Username
                if value.chars().any(char::is_whitespace) =>
            {
                return Err(SelectorError::Whitespace(value.into()));
            }
            _ => {}
        }
        Ok(Self { kind, value: value.to_owned(), port })
    }

    pub fn kind(&self) -> SelectorType {
        self.kind
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The value in the form comity compares identifiers in (see [`normalize`]).
    pub fn normalized(&self) -> String {
        normalize(self.kind, &self.value)
    }
}

/// The canonical form of an identifier of a kind, so that the spellings of one account
/// compare equal: e-mail addresses, domains and user names lower-cased; phone numbers as
/// `+` and digits; IP addresses as the standard library prints them (`2001:db8::1`);
/// account and device ids as written (trimmed), since their case can matter.
pub fn normalize(kind: SelectorType, value: &str) -> String {
    let value = value.trim();
    match kind {
        SelectorType::Email | SelectorType::Domain | SelectorType::Username => value.to_lowercase(),
        SelectorType::Phone => {
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            if value.starts_with('+') { format!("+{digits}") } else { digits }
        }
        SelectorType::Ip => value.parse::<IpAddr>().map_or_else(|_| value.to_owned(), |ip| ip.to_string()),
        _ => value.to_owned(),
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    !local.is_empty()
        && local.len() <= 64
        && !local.chars().any(|c| c.is_whitespace() || c == '@')
        && is_domain(domain)
        && domain.contains('.')
}

fn is_e164(s: &str) -> bool {
    // ITU-T E.164: at most 15 digits including the country code; the shortest numbers
    // in use have 8.
    let Some(digits) = s.strip_prefix('+') else { return false };
    (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

fn is_domain(s: &str) -> bool {
    // RFC 1035 §2.3.1 with the RFC 1123 relaxation (labels may start with a digit);
    // internationalised names are written in their A-label (xn--) form.
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use SelectorType::*;

    fn check(kind: SelectorType, value: &str, ok: bool) {
        assert_eq!(Selector::parse(kind, value, None).is_ok(), ok, "{kind} {value:?}");
    }

    #[test]
    fn specific_selectors() {
        check(Email, "suspect@example.org", true);
        check(Email, " suspect@example.org ", true);
        check(Email, "suspect@localhost", false);
        check(Email, "suspect", false);
        check(Email, "@example.org", false);
        check(Email, "a b@example.org", false);
        check(Phone, "+33612345678", true);
        check(Phone, "0612345678", false);
        check(Phone, "+33 6 12 34 56 78", false);
        check(Phone, "+1234567", false);
        check(Ip, "203.0.113.7", true);
        check(Ip, "2001:db8::1", true);
        check(Ip, "203.0.113.0/24", false);
        check(Ip, "999.1.1.1", false);
        check(Domain, "example.org", true);
        check(Domain, "xn--bcher-kva.example", true);
        check(Domain, "-bad.example", false);
        check(Domain, "bad..example", false);
        check(AccountId, "1234567890", true);
        check(AccountId, "12 34", false);
        check(Username, "", false);
        check(Username, "   ", false);
        check(DeviceId, "IMEI:490154203237518", true);
        check(Username, "line\nbreak", false);
    }

    #[test]
    fn mass_shapes_parse_so_that_screening_can_refuse_them() {
        for kind in [Keyword, Geofence, Group, Wildcard] {
            assert!(kind.is_mass());
            check(kind, "anything at all", true);
        }
        assert!(!Email.is_mass());
    }

    #[test]
    fn spellings_of_one_identifier_normalize_alike() {
        assert_eq!(normalize(Email, " Invest.Desk@Example.ORG "), "invest.desk@example.org");
        assert_eq!(normalize(Phone, "+33 6 12-34.56 (78)"), "+33612345678");
        assert_eq!(normalize(Ip, "2001:0db8:0:0::1"), "2001:db8::1");
        assert_eq!(normalize(AccountId, "AbC"), "AbC");
        let s = Selector::parse(Email, "A@B.org", None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.normalized(), "a@b.org");
    }

    #[test]
    fn ports_belong_to_ip_selectors() {
        assert!(Selector::parse(Ip, "203.0.113.7", Some(51234)).is_ok());
        assert_eq!(Selector::parse(Email, "a@b.org", Some(1)), Err(SelectorError::PortWithoutIp));
    }
}
