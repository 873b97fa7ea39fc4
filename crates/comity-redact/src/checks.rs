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

/// A payment card brand, as its issuer identification number (IIN) and length show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Diners,
    Jcb,
    UnionPay,
    Mir,
    Maestro,
}

/// The brand of a card number by its issuer identification number and its length, or
/// `None` if no brand issues such a number: a Luhn-valid number outside these ranges is
/// an order or account number far more often than a card.
///
/// The ranges and lengths are the brands' as Wikipedia's "Payment card number" table
/// gathers them from the networks' publications (IIN ranges as of 2025): Visa 4 (13, 16
/// or 19 digits); Mastercard 51-55 and 2221-2720 (16); American Express 34 and 37 (15);
/// Discover 6011, 644-649, 65 and 622126-622925 (16-19); Diners Club 300-305, 3095, 36,
/// 38 and 39 (14-19); JCB 3528-3589 (16-19); UnionPay 62 (16-19); Mir 2200-2204
/// (16-19). Maestro's ranges are wider than any list: 50, 56-59 and 6 (12-19 digits),
/// as Braintree's `credit-card-type` (the library behind its and many checkouts' card
/// fields) reads them, which covers the ranges Wikipedia lists (5018, 5020, 5038, 5893,
/// 6304, 6759, 6761-6763) and the test numbers Adyen and PayPal publish (6799..., 6000...,
/// 5063...).
pub(crate) fn card_brand(digits: &[u8]) -> Option<CardBrand> {
    let len = digits.len();
    if !(12..=19).contains(&len) {
        return None;
    }
    let prefix = |k: usize| digits[..k].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let (p1, p2, p3, p4, p6) = (prefix(1), prefix(2), prefix(3), prefix(4), prefix(6));
    let long = (16..=19).contains(&len);
    let brand = if matches!(p2, 34 | 37) && len == 15 {
        CardBrand::Amex
    } else if ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && len == 16 {
        CardBrand::Mastercard
    } else if (2200..=2204).contains(&p4) && long {
        CardBrand::Mir
    } else if p1 == 4 && matches!(len, 13 | 16 | 19) {
        CardBrand::Visa
    } else if (3528..=3589).contains(&p4) && long {
        CardBrand::Jcb
    } else if ((300..=305).contains(&p3) || p4 == 3095 || matches!(p2, 36 | 38 | 39)) && len >= 14 {
        CardBrand::Diners
    } else if (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622126..=622925).contains(&p6)) && long
    {
        CardBrand::Discover
    } else if p2 == 62 && long {
        CardBrand::UnionPay
    } else if p2 == 50 || (56..=59).contains(&p2) || p1 == 6 {
        CardBrand::Maestro
    } else {
        return None;
    };
    Some(brand)
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
        assert!(ssn_valid(b"536221234"));
        assert!(!ssn_valid(b"666221234"));
        assert!(!ssn_valid(b"123456789"));
    }
}
