//! Check digits and registries: what turns "looks like" into "is".

/// The Luhn check (ISO/IEC 7812-1 Annex B) over ASCII digits.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// An issuer prefix in use for payment cards (ISO/IEC 7812 major industry identifiers 2
/// to 6: Mastercard 2-series, Amex, Diners, JCB, Visa, Mastercard, Maestro, Discover,
/// UnionPay). A Luhn-valid number starting with 0, 1, 7, 8 or 9 is an order or account
/// number far more often than a card.
pub(crate) fn card_prefix(digits: &[u8]) -> bool {
    matches!(digits.first(), Some(b'2'..=b'6'))
}

/// The length of an IBAN of this country (SWIFT IBAN Registry, release 99), or `None` for
/// a country that has no IBAN.
pub(crate) fn iban_length(country: [u8; 2]) -> Option<usize> {
    let len = match &country {
        b"NO" => 15,
        b"BE" => 16,
        b"DK" | b"FI" | b"FO" | b"GL" | b"NL" | b"SD" => 18,
        b"MK" | b"SI" => 19,
        b"AT" | b"BA" | b"EE" | b"KZ" | b"LT" | b"LU" | b"MN" | b"XK" => 20,
        b"CH" | b"HR" | b"LI" | b"LV" => 21,
        b"BG" | b"BH" | b"CR" | b"DE" | b"GB" | b"GE" | b"IE" | b"ME" | b"RS" | b"VA" => 22,
        b"AE" | b"GI" | b"IL" | b"IQ" | b"OM" | b"SO" | b"TL" => 23,
        b"AD" | b"CZ" | b"ES" | b"MD" | b"PK" | b"RO" | b"SA" | b"SE" | b"SK" | b"TN" | b"VG" => 24,
        b"LY" | b"PT" | b"ST" => 25,
        b"IS" | b"TR" => 26,
        b"BI" | b"DJ" | b"FR" | b"GR" | b"IT" | b"MC" | b"MR" | b"SM" => 27,
        b"AL" | b"AZ" | b"BY" | b"CY" | b"DO" | b"GT" | b"HU" | b"LB" | b"NI" | b"PL" | b"SV" => 28,
        b"BR" | b"EG" | b"PS" | b"QA" | b"UA" => 29,
        b"JO" | b"KW" | b"MU" | b"YE" => 30,
        b"MT" | b"SC" => 31,
        b"LC" => 32,
        b"RU" => 33,
        _ => return None,
    };
    Some(len)
}

/// ISO 13616 / ISO 7064 MOD 97-10: the first four characters moved to the end, letters
/// as two digits (A = 10), the number modulo 97 is 1. `iban` is upper-case ASCII.
pub(crate) fn iban_checksum(iban: &[u8]) -> bool {
    if iban.len() < 5 {
        return false;
    }
    let mut rem = 0u32;
    for &c in iban[4..].iter().chain(&iban[..4]) {
        match c {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => rem = (rem * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return false,
        }
    }
    rem == 1
}

/// The length of the country calling code that `digits` (after `+` or `00`) starts with,
/// from ITU-T E.164's assigned codes; codes are prefix-free, so there is at most one.
pub(crate) fn country_code_len(digits: &[u8]) -> Option<usize> {
    let d = |i: usize| digits.get(i).map(|c| c - b'0');
    let (a, b, c) = (d(0)?, d(1)?, d(2)?);
    if a == 1 || a == 7 {
        return Some(1);
    }
    let two = a * 10 + b;
    let two_digit = matches!(
        two,
        20 | 27 | 30..=34 | 36 | 39 | 40 | 41 | 43..=49 | 51..=58 | 60..=66 | 81 | 82 | 84 | 86 | 90..=95 | 98
    );
    if two_digit {
        return Some(2);
    }
    let three = u16::from(two) * 10 + u16::from(c);
    let three_digit = matches!(
        three,
        211 | 212 | 213 | 216 | 218 | 220..=258 | 260..=269 | 290 | 291 | 297..=299 | 350..=359
            | 370..=378 | 380..=383 | 385..=387 | 389 | 420 | 421 | 423 | 500..=509 | 590..=599
            | 670 | 672..=692 | 850 | 852 | 853 | 855 | 856 | 880 | 886 | 960..=968 | 970..=977
            | 992..=996 | 998
    );
    three_digit.then_some(3)
}

/// How many digits the national significant number has after this country code, for the
/// countries whose plan is fixed or narrow; others get E.164's bounds (ITU-T E.164 §6:
/// at most 15 digits with the code).
pub(crate) fn national_number_len(country_code: &[u8]) -> (usize, usize) {
    match country_code {
        b"1" | b"7" | b"30" | b"52" | b"90" | b"91" => (10, 10),
        b"33" | b"34" | b"31" | b"41" | b"48" | b"351" | b"61" | b"420" | b"421" | b"40" => (9, 9),
        b"44" => (9, 10),
        b"49" => (6, 12),
        b"39" => (6, 11),
        b"32" | b"36" => (8, 9),
        b"45" | b"47" => (8, 8),
        b"46" => (7, 10),
        b"353" => (7, 9),
        b"43" => (4, 13),
        b"55" | b"86" => (10, 11),
        _ => (4, 14 - country_code.len()),
    }
}

/// The US Social Security Administration's never-issued numbers (Presidio's rules, and
/// area numbers 900-999, which the SSA does not issue): `digits` are the 9 digits.
pub(crate) fn ssn_valid(digits: &[u8]) -> bool {
    if digits.len() != 9 || digits.iter().all(|d| *d == digits[0]) {
        return false;
    }
    let (area, group, serial) = (&digits[..3], &digits[3..5], &digits[5..]);
    if area == b"000" || area == b"666" || area[0] == b'9' || group == b"00" || serial == b"0000" {
        return false;
    }
    // The numbers published as samples, which never belong to anyone.
    !matches!(digits, b"123456789" | b"987654320" | b"078051120")
}

/// The check letter of a Spanish DNI/NIF number (Real Decreto 1553/2005 Art 11).
pub(crate) fn es_check_letter(number: u32) -> u8 {
    b"TRWAGMYFPDXBNJZSQVHLCKE"[(number % 23) as usize]
}

/// The check character of an Italian codice fiscale (DM 23/12/1976), over its first 15
/// characters (upper-case ASCII).
pub(crate) fn it_fiscal_check(code: &[u8]) -> Option<u8> {
    const ODD: [u8; 26] =
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
    let mut sum = 0u32;
    for (i, &c) in code.get(..15)?.iter().enumerate() {
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A',
            _ => return None,
        };
        // Positions count from 1: odd positions use the table (digits as the letters of
        // the same value), even positions the value itself.
        sum += u32::from(if i % 2 == 0 { ODD[usize::from(v)] } else { v });
    }
    Some(b'A' + (sum % 26) as u8)
}

/// The German Steuer-IdNr check digit (ISO/IEC 7064 MOD 11,10) over 11 digits.
pub(crate) fn de_tax_id_valid(digits: &[u8]) -> bool {
    if digits.len() != 11 || digits[0] == b'0' {
        return false;
    }
    let mut product = 10u32;
    for d in &digits[..10] {
        let mut sum = (u32::from(d - b'0') + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = (11 - product) % 10;
    check == u32::from(digits[10] - b'0')
}

/// The French NIR key: 97 minus the 13-character number modulo 97, with Corsica's
/// departments 2A and 2B read as 19 and 18 (INSEE).
pub(crate) fn fr_nir_valid(chars: &[u8]) -> bool {
    if chars.len() != 15 {
        return false;
    }
    let (number, key) = (&chars[..13], &chars[13..]);
    let mut n = 0u64;
    for (i, &c) in number.iter().enumerate() {
        let d = match (i, c) {
            (_, b'0'..=b'9') => u64::from(c - b'0'),
            (6, b'A' | b'B') => 0,
            _ => return false,
        };
        n = n * 10 + d;
    }
    match &number[5..7] {
        b"2A" => n -= 1_000_000,
        b"2B" => n -= 2_000_000,
        _ => {}
    }
    let Some(key) = std::str::from_utf8(key).ok().and_then(|k| k.parse::<u64>().ok()) else {
        return false;
    };
    97 - n % 97 == key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_of_published_examples() {
        assert!(luhn(b"4111111111111111"));
        assert!(!luhn(b"4111111111111112"));
        assert!(iban_checksum(b"GB82WEST12345698765432"));
        assert!(iban_checksum(b"DE89370400440532013000"));
        assert!(!iban_checksum(b"DE88370400440532013000"));
        assert_eq!(es_check_letter(12345678), b'Z');
        assert_eq!(it_fiscal_check(b"RSSMRA85T10A562"), Some(b'S'));
        assert!(de_tax_id_valid(b"86095742719"));
        assert!(!de_tax_id_valid(b"86095742718"));
        assert!(fr_nir_valid(b"255081416802538"));
        assert!(!fr_nir_valid(b"255081416802539"));
        assert_eq!(country_code_len(b"33612345678"), Some(1 + 1));
        assert_eq!(country_code_len(b"12025550142"), Some(1));
        assert_eq!(country_code_len(b"353851234567"), Some(3));
        assert_eq!(country_code_len(b"28123"), None);
        assert!(ssn_valid(b"536221234"));
        assert!(!ssn_valid(b"666221234"));
        assert!(!ssn_valid(b"123456789"));
    }
}
