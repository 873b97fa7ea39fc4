//! ISO 3166-1 alpha-2 country codes.

use std::fmt;

/// An officially assigned ISO 3166-1 alpha-2 code, in upper case.
///
/// Parsed against the full list, so a typo such as `"FX"` or a user-assigned code such
/// as `"XK"` is refused where it enters instead of surfacing later in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

/// Why a string is not a country code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryError {
    #[error("expected an ISO 3166-1 alpha-2 code in upper case (two letters, such as \"FR\"), got {0:?}")]
    Shape(String),
    #[error("{code:?} is not an officially assigned ISO 3166-1 alpha-2 code{hint}")]
    Unassigned { code: String, hint: &'static str },
}

impl CountryCode {
    /// Parses an upper-case alpha-2 code.
    pub fn parse(s: &str) -> Result<Self, CountryError> {
        let bytes = s.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(CountryError::Shape(s.to_owned()));
        }
        if !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(CountryError::Shape(s.to_owned()));
        }
        let code = [bytes[0], bytes[1]];
        if ASSIGNED.binary_search(&code).is_err() {
            // The EU writes Greece as EL and the United Kingdom as UK; both are
            // reserved in ISO 3166-1, not assigned, and the mistake is common.
            let hint = match s {
                "EL" => " (Greece is GR in ISO 3166-1; EL is the EU's own abbreviation)",
                "UK" => " (the United Kingdom is GB in ISO 3166-1)",
                _ => "",
            };
            return Err(CountryError::Unassigned { code: s.to_owned(), hint });
        }
        Ok(Self(code))
    }

    /// The two upper-case letters.
    pub fn as_str(&self) -> &str {
        // The bytes were checked to be ASCII letters in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Whether the country is a Member State of the European Union.
    pub fn is_eu_member(&self) -> bool {
        EU_MEMBERS.contains(&self.0)
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 27 Member States (Treaty on European Union, Art 52).
const EU_MEMBERS: [[u8; 2]; 27] = [
    *b"AT", *b"BE", *b"BG", *b"CY", *b"CZ", *b"DE", *b"DK", *b"EE", *b"ES", *b"FI", *b"FR", *b"GR", *b"HR",
    *b"HU", *b"IE", *b"IT", *b"LT", *b"LU", *b"LV", *b"MT", *b"NL", *b"PL", *b"PT", *b"RO", *b"SE", *b"SI",
    *b"SK",
];

/// The 249 officially assigned codes of ISO 3166-1, sorted for binary search.
const ASSIGNED: [[u8; 2]; 249] = [
    *b"AD", *b"AE", *b"AF", *b"AG", *b"AI", *b"AL", *b"AM", *b"AO", *b"AQ", *b"AR", *b"AS", *b"AT", *b"AU",
    *b"AW", *b"AX", *b"AZ", *b"BA", *b"BB", *b"BD", *b"BE", *b"BF", *b"BG", *b"BH", *b"BI", *b"BJ", *b"BL",
    *b"BM", *b"BN", *b"BO", *b"BQ", *b"BR", *b"BS", *b"BT", *b"BV", *b"BW", *b"BY", *b"BZ", *b"CA", *b"CC",
    *b"CD", *b"CF", *b"CG", *b"CH", *b"CI", *b"CK", *b"CL", *b"CM", *b"CN", *b"CO", *b"CR", *b"CU", *b"CV",
    *b"CW", *b"CX", *b"CY", *b"CZ", *b"DE", *b"DJ", *b"DK", *b"DM", *b"DO", *b"DZ", *b"EC", *b"EE", *b"EG",
    *b"EH", *b"ER", *b"ES", *b"ET", *b"FI", *b"FJ", *b"FK", *b"FM", *b"FO", *b"FR", *b"GA", *b"GB", *b"GD",
    *b"GE", *b"GF", *b"GG", *b"GH", *b"GI", *b"GL", *b"GM", *b"GN", *b"GP", *b"GQ", *b"GR", *b"GS", *b"GT",
    *b"GU", *b"GW", *b"GY", *b"HK", *b"HM", *b"HN", *b"HR", *b"HT", *b"HU", *b"ID", *b"IE", *b"IL", *b"IM",
    *b"IN", *b"IO", *b"IQ", *b"IR", *b"IS", *b"IT", *b"JE", *b"JM", *b"JO", *b"JP", *b"KE", *b"KG", *b"KH",
    *b"KI", *b"KM", *b"KN", *b"KP", *b"KR", *b"KW", *b"KY", *b"KZ", *b"LA", *b"LB", *b"LC", *b"LI", *b"LK",
    *b"LR", *b"LS", *b"LT", *b"LU", *b"LV", *b"LY", *b"MA", *b"MC", *b"MD", *b"ME", *b"MF", *b"MG", *b"MH",
    *b"MK", *b"ML", *b"MM", *b"MN", *b"MO", *b"MP", *b"MQ", *b"MR", *b"MS", *b"MT", *b"MU", *b"MV", *b"MW",
    *b"MX", *b"MY", *b"MZ", *b"NA", *b"NC", *b"NE", *b"NF", *b"NG", *b"NI", *b"NL", *b"NO", *b"NP", *b"NR",
    *b"NU", *b"NZ", *b"OM", *b"PA", *b"PE", *b"PF", *b"PG", *b"PH", *b"PK", *b"PL", *b"PM", *b"PN", *b"PR",
    *b"PS", *b"PT", *b"PW", *b"PY", *b"QA", *b"RE", *b"RO", *b"RS", *b"RU", *b"RW", *b"SA", *b"SB", *b"SC",
    *b"SD", *b"SE", *b"SG", *b"SH", *b"SI", *b"SJ", *b"SK", *b"SL", *b"SM", *b"SN", *b"SO", *b"SR", *b"SS",
    *b"ST", *b"SV", *b"SX", *b"SY", *b"SZ", *b"TC", *b"TD", *b"TF", *b"TG", *b"TH", *b"TJ", *b"TK", *b"TL",
    *b"TM", *b"TN", *b"TO", *b"TR", *b"TT", *b"TV", *b"TW", *b"TZ", *b"UA", *b"UG", *b"UM", *b"US", *b"UY",
    *b"UZ", *b"VA", *b"VC", *b"VE", *b"VG", *b"VI", *b"VN", *b"VU", *b"WF", *b"WS", *b"YE", *b"YT", *b"ZA",
    *b"ZM", *b"ZW",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assigned_list_is_sorted_and_contains_the_eu() {
        assert!(ASSIGNED.windows(2).all(|w| w[0] < w[1]), "ASSIGNED must stay sorted");
        for member in EU_MEMBERS {
            assert!(ASSIGNED.binary_search(&member).is_ok());
        }
    }

    #[test]
    fn parses_assigned_codes_and_refuses_the_rest() {
        let check = |input: &str, ok: bool| {
            assert_eq!(CountryCode::parse(input).is_ok(), ok, "{input:?}");
        };
        check("FR", true);
        check("IE", true);
        check("US", true);
        check("ZW", true);
        check("fr", false);
        check("FRA", false);
        check("F", false);
        check("", false);
        check("XK", false);
        check("F1", false);
        check("ÉÉ", false);
    }

    #[test]
    fn explains_the_eu_abbreviations() {
        let err = CountryCode::parse("EL").unwrap_err().to_string();
        assert!(err.contains("Greece is GR"), "{err}");
        let err = CountryCode::parse("UK").unwrap_err().to_string();
        assert!(err.contains("GB"), "{err}");
    }

    #[test]
    fn knows_eu_membership() {
        assert!(CountryCode::parse("IE").unwrap().is_eu_member());
        assert!(!CountryCode::parse("GB").unwrap().is_eu_member());
    }
}
