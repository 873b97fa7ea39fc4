//! What the detector finds, and what it must not: tables of true positives and true
//! negatives per type.

use comity_redact::{Detector, DetectorConfig, NationalIds, PiiType, char_spans};

fn detector() -> Detector {
    Detector::new(DetectorConfig { national_ids: NationalIds::all(), ..DetectorConfig::default() })
}

/// Checks that `text` holds exactly `expected`: (type, the text of the span), in order.
#[track_caller]
fn check(text: &str, expected: &[(&str, &str)]) {
    let found: Vec<(&str, &str)> =
        detector().detect(text).iter().map(|s| (s.kind().as_str(), &text[s.range()])).collect();
    assert_eq!(found, expected, "in {text:?}");
}

#[test]
fn email_addresses() {
    for (text, email) in [
        ("write to jean.martin@example.fr today", "jean.martin@example.fr"),
        ("Jean Martin <jean.martin@example.fr>", "jean.martin@example.fr"),
        ("mailto:anna+news@mail.example.co.uk", "anna+news@mail.example.co.uk"),
        ("(o'brien@example.ie)", "o'brien@example.ie"),
        ("Sa nouvelle adresse est Chloe_Roux42@exemple.fr.", "Chloe_Roux42@exemple.fr"),
        ("écrire à josé.núñez@correo.example.es, merci", "josé.núñez@correo.example.es"),
        ("contact: müller@bücher.de", "müller@bücher.de"),
        ("'quoted@example.com'", "quoted@example.com"),
        ("a..b@example.com", "b@example.com"),
        // Glued to punctuation, and to text that runs on past the address (issue 6's
        // property test found the last one).
        ("(jean.martin@example.fr).", "jean.martin@example.fr"),
        ("mailto:jean@example.fr;", "jean@example.fr"),
        ("«jean@example.fr»,", "jean@example.fr"),
        ("<jean@example.fr>;marie", "jean@example.fr"),
        ("jean@example.fr.-", "jean@example.fr"),
        (":a@aa.com.a.@ü.aa", "a@aa.com"),
        ("see b@mail.example.org.x.", "b@mail.example.org"),
    ] {
        check(text, &[("EMAIL_ADDRESS", email)]);
    }
    for text in [
        "jean@localhost is no address",
        "@example.com alone",
        "user@example.c",
        "meet me @ 10",
        "user@-example.com",
        "version 1.2@3.4",
        "foo@bar.123",
    ] {
        check(text, &[]);
    }
}

#[test]
fn phone_numbers() {
    for (text, phone) in [
        ("Call +33 6 12 34 56 78 now", "+33 6 12 34 56 78"),
        ("Tel.: +33 (0)1 23 45 67 89", "+33 (0)1 23 45 67 89"),
        ("Handy: +49 151 23456789", "+49 151 23456789"),
        ("Tel.: +49 (0)30 1234567", "+49 (0)30 1234567"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),
        ("+44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
        ("Mi móvil: +34 612 34 56 78", "+34 612 34 56 78"),
        ("+34612345678", "+34612345678"),
        ("0033 6 12 34 56 78", "0033 6 12 34 56 78"),
        ("+1-202-555-0142", "+1-202-555-0142"),
        ("+353 85 123 4567", "+353 85 123 4567"),
        ("+41 76 123 45 67", "+41 76 123 45 67"),
        ("call (202) 555-0142 today", "(202) 555-0142"),
        ("202-555-0142", "202-555-0142"),
        ("202.555.0142", "202.555.0142"),
        ("1-800-555-0199", "1-800-555-0199"),
        ("+1 (415) 555-0100", "+1 (415) 555-0100"),
        ("Appelle-moi au 06 12 34 56 78.", "06 12 34 56 78"),
        ("06.12.34.56.78", "06.12.34.56.78"),
        ("0612345678", "0612345678"),
        ("Ruf 030/12345678 an", "030/12345678"),
        ("0151 23456789", "0151 23456789"),
        ("020 7946 0958", "020 7946 0958"),
        ("07912 345678", "07912 345678"),
        ("Mi móvil: 612 34 56 78", "612 34 56 78"),
        ("call 06\u{a0}12\u{a0}34\u{a0}56\u{a0}78", "06\u{a0}12\u{a0}34\u{a0}56\u{a0}78"),
        // The longest window that validates, not the whole run.
        ("+33 6 12 34 56 78 2024", "+33 6 12 34 56 78"),
        // Every region's plan (libphonenumber's metadata), punctuation glued on.
        ("(+33 1 23 45 67 89).", "+33 1 23 45 67 89"),
        ("(06 12 34 56 78).", "06 12 34 56 78"),
        ("+7 912 345-67-89", "+7 912 345-67-89"),
        ("+86 131 2345 6789;", "+86 131 2345 6789"),
        ("«+81 90-1234-5678»", "+81 90-1234-5678"),
        ("+55 11 96123-4567", "+55 11 96123-4567"),
        ("[+61 2 1234 5678]", "+61 2 1234 5678"),
        // Extensions, as people, libphonenumber and RFC 3966 write them.
        ("Call +1 201-555-0123 x123.", "+1 201-555-0123 x123"),
        ("+44 20 7946 0958 ext. 45", "+44 20 7946 0958 ext. 45"),
        ("tel:+33-1-23-45-67-89;ext=123;", "+33-1-23-45-67-89;ext=123"),
        ("+49 30 1234567x12", "+49 30 1234567x12"),
        ("Tel. 020 7946 0958 #45", "020 7946 0958 #45"),
    ] {
        check(text, &[("PHONE_NUMBER", phone)]);
    }
    for text in [
        // Dates, times, versions, amounts, postcodes, references.
        "le 12.05.2024 à 14:30",
        "on 2024-05-12",
        "am 12/05/2024",
        "version 1.2.3 and 10.0.19045",
        "total 1 234,56 € or $1,299.00",
        "75011 Paris",
        "ticket #48213",
        "INV-2024-00042",
        "2025550142",
        // An unassigned country code, too few digits.
        "+28 123 456 789",
        "+33 6 12",
        "+35 (0)1",
        // A number glued to letters.
        "ref0612345678",
        "1Z999AA10123456784",
        // The tail of a longer run, a customer number in one piece, three pairs, a date
        // with spaces.
        "Bestellnummer 4711 0815 2024",
        "Kundennr. 0123456",
        "I have 24 36 48 items",
        "Invoice 06 12 2026",
        "Preis: 12 345 678 EUR",
    ] {
        check(text, &[]);
    }
}

#[test]
fn ip_addresses() {
    for (text, ip) in [
        ("login from 192.168.1.20 at 10:00", "192.168.1.20"),
        ("server 203.0.113.7:443 down", "203.0.113.7"),
        ("the range 10.0.0.0/24.", "10.0.0.0"),
        // Not a North American number `1 726 459 9824` either.
        ("from 172.64.59.98/24 blocked", "172.64.59.98"),
        ("from 2001:db8::1 and", "2001:db8::1"),
        ("[2001:db8:85a3::8a2e:370:7334]:8443", "2001:db8:85a3::8a2e:370:7334"),
        ("addr 2001:0db8:0000:0000:0000:ff00:0042:8329.", "2001:0db8:0000:0000:0000:ff00:0042:8329"),
        ("mapped ::ffff:192.0.2.128 here", "::ffff:192.0.2.128"),
        ("link-local fe80::1ff:fe23:4567:890a%eth0", "fe80::1ff:fe23:4567:890a"),
        ("loopback ::1", "::1"),
        ("upper 2A01:CB00:1234:5678::9", "2A01:CB00:1234:5678::9"),
    ] {
        check(text, &[("IP_ADDRESS", ip)]);
    }
    for text in [
        "version 1.2.3.4.5",
        "build 10.0.19045.3803",
        "octets 256.1.1.1",
        "v2.0.0.1",
        "at 12:30:45",
        "MAC 00:1A:2B:3C:4D:5E",
        "std::vector and a::b::c",
        "leading 01.02.03.04",
    ] {
        check(text, &[]);
    }
}

#[test]
fn payment_cards() {
    for (text, card) in [
        ("card 4111 1111 1111 1111, exp 09/27", "4111 1111 1111 1111"),
        ("4111-1111-1111-1111", "4111-1111-1111-1111"),
        ("5500005555555559", "5500005555555559"),
        ("Amex 3782 822463 10005", "3782 822463 10005"),
        ("Diners 3056 930902 5904", "3056 930902 5904"),
        ("Visa 4222 2222 2222 2", "4222 2222 2222 2"),
        ("Visa 4222-2222-22222", "4222-2222-22222"),
        ("Visa 4222 222 222 222", "4222 222 222 222"),
        ("Maestro 6759 6498 2643 8453", "6759 6498 2643 8453"),
        // Every brand's ranges and lengths: Mastercard's 2-series, JCB, UnionPay's 19
        // digits, a 12-digit Maestro.
        ("MC 2223 0031 2200 3222", "2223 0031 2200 3222"),
        ("JCB 3566 0020 2036 0505", "3566 0020 2036 0505"),
        ("UnionPay 6205 5000 0000 0000 004", "6205 5000 0000 0000 004"),
        ("Maestro 6759 0000 0000", "6759 0000 0000"),
    ] {
        check(text, &[("CREDIT_CARD", card)]);
    }
    for text in [
        // Fails Luhn.
        "order 4111 1111 1111 1112",
        // Luhn-valid but no card issuer's prefix, or a brand's prefix at a length it
        // does not issue (a 15-digit Visa, a 14-digit Mastercard).
        "order 7992 7398 7130 0000",
        "4111 1111 1111 116",
        "5500 0055 5555 55",
        // Mixed separators.
        "4111 1111-1111 1111",
        "12 digits 4111 1111 1111",
    ] {
        check(text, &[]);
    }
}

#[test]
fn ibans() {
    for (text, iban) in [
        ("IBAN: DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00"),
        ("virement sur FR1420041010050500013M02606.", "FR1420041010050500013M02606"),
        ("GB82 WEST 1234 5698 7654 32 please", "GB82 WEST 1234 5698 7654 32"),
        ("GB82-WEST-1234-5698-7654-32", "GB82-WEST-1234-5698-7654-32"),
        ("ES91 2100 0418 4502 0005 1332 in 2 days", "ES91 2100 0418 4502 0005 1332"),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("de89 3704 0044 0532 0130 00", "de89 3704 0044 0532 0130 00"),
    ] {
        check(text, &[("IBAN_CODE", iban)]);
    }
    for text in [
        // A wrong check digit: not an IBAN, and its digits are no card or phone either.
        "DE88 3704 0044 0532 0130 00",
        "ES76 6747 5529 6945 6724 8097",
        // Too short, a country without IBANs.
        "DE89 3704 0044",
        "US12 3456 7890 1234 5678",
    ] {
        check(text, &[]);
    }
}

#[test]
fn national_identifiers() {
    for (text, kind, value) in [
        ("SSN 536-22-1234", "US_SSN", "536-22-1234"),
        ("SSN 536 22 1234", "US_SSN", "536 22 1234"),
        ("NINO AB 12 34 56 C", "UK_NINO", "AB 12 34 56 C"),
        ("NINO AB123456C", "UK_NINO", "AB123456C"),
        ("DNI 12345678Z", "ES_NIF", "12345678Z"),
        ("NIE X1234567L", "ES_NIE", "X1234567L"),
        ("CF RSSMRA85T10A562S", "IT_FISCAL_CODE", "RSSMRA85T10A562S"),
        ("Steuer-ID 86095742719", "DE_TAX_ID", "86095742719"),
        ("NIR 2 55 08 14 168 025 38", "FR_NIR", "2 55 08 14 168 025 38"),
    ] {
        check(text, &[(kind, value)]);
    }
    for text in [
        // Never issued: area 000, 666 and 9xx, group 00, serial 0000, the sample numbers.
        "000-12-3456",
        "666-12-3456",
        "912-12-3456",
        "536-00-1234",
        "536-22-0000",
        "123-45-6789",
        // Mixed separators.
        "536-22 1234",
        // Wrong check letters and digits.
        "DNI 12345678A",
        "CF RSSMRA85T10A562X",
        "Steuer-ID 86095742718",
        "NIR 255081416802539",
        // A NINO with a prefix HMRC never issues.
        "GB123456A",
    ] {
        check(text, &[]);
    }
    // Off unless configured, except US_SSN.
    let default = Detector::new(DetectorConfig::default());
    assert!(default.detect("DNI 12345678Z").is_empty());
    assert_eq!(default.detect("SSN 536-22-1234").len(), 1);
    let none = Detector::new(DetectorConfig {
        national_ids: NationalIds::none(),
        persons: false,
        ..DetectorConfig::default()
    });
    assert!(none.detect("SSN 536-22-1234").is_empty());
}

#[test]
fn persons_where_the_text_announces_them() {
    for (text, name) in [
        ("Dear Jane Doe,\n\nthe file is attached.", "Jane Doe"),
        ("Bonjour Claire,", "Claire"),
        ("Hallo Jürgen! Wie geht's?", "Jürgen"),
        ("Hola María José:", "María José"),
        ("I spoke to Mr. O'Brien yesterday.", "O'Brien"),
        ("J'ai vu M. Dupont et", "Dupont"),
        ("Sehr geehrte Frau Schröder,", "Schröder"),
        ("Chère Hélène-Marie,", "Hélène-Marie"),
        ("See you soon.\n\nBest regards,\nJean-Luc Fontaine", "Jean-Luc Fontaine"),
        ("Merci.\n\nCordialement,\nÉlodie Moreau\n", "Élodie Moreau"),
        ("Mit freundlichen Grüßen\nKäthe Groß", "Käthe Groß"),
        ("Hey Zoë 👋", "Zoë"),
    ] {
        check(text, &[("PERSON", name)]);
    }
    for text in [
        "Dear Sir or Madam,",
        "Hi team, the build is green.",
        "Hello all,",
        "Bonjour à tous,",
        "Hallo zusammen!",
        "Hola equipo,",
        "Thanks, see you.",
        "Best regards,\nThe Support Team of example 42",
        "Hilfe! Hinweis",
        "Dear colleagues",
        // A name in running prose is beyond rules: the caller gives such names.
        "I met Jane Doe yesterday.",
    ] {
        check(text, &[]);
    }
}

#[test]
fn overlaps_go_to_the_longest_and_most_specific() {
    // An address whose local part looks like a phone number is an address.
    check("0612345678@example.fr", &[("EMAIL_ADDRESS", "0612345678@example.fr")]);
    // Several types in one text, in order.
    check(
        "Dear Anna, call +49 30 1234567 or mail anna@example.de; IBAN DE89370400440532013000, card 4111111111111111, IP 192.0.2.1.",
        &[
            ("PERSON", "Anna"),
            ("PHONE_NUMBER", "+49 30 1234567"),
            ("EMAIL_ADDRESS", "anna@example.de"),
            ("IBAN_CODE", "DE89370400440532013000"),
            ("CREDIT_CARD", "4111111111111111"),
            ("IP_ADDRESS", "192.0.2.1"),
        ],
    );
}

#[test]
fn character_offsets_count_unicode_scalar_values() {
    let text = "Ärger über Zoë 👋: écris à zoë@exemple.fr ou au +33 6 12 34 56 78";
    let spans = detector().detect(text);
    let chars = char_spans(text, &spans);
    let as_chars: Vec<char> = text.chars().collect();
    let found: Vec<(PiiType, String)> =
        chars.iter().map(|c| (c.kind, as_chars[c.start..c.end].iter().collect())).collect();
    assert_eq!(
        found,
        [
            (PiiType::EmailAddress, "zoë@exemple.fr".to_owned()),
            (PiiType::PhoneNumber, "+33 6 12 34 56 78".to_owned())
        ]
    );
    assert!(chars[0].start < spans[0].start(), "bytes and characters differ before the address");
}

#[test]
fn types_are_named_as_presidio_names_them() {
    let names: Vec<&str> = PiiType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(
        names,
        [
            "EMAIL_ADDRESS",
            "PHONE_NUMBER",
            "IP_ADDRESS",
            "CREDIT_CARD",
            "IBAN_CODE",
            "PERSON",
            "US_SSN",
            "UK_NINO",
            "ES_NIF",
            "ES_NIE",
            "IT_FISCAL_CODE",
            "DE_TAX_ID",
            "FR_NIR"
        ]
    );
    let ids: NationalIds = "uk_nino, ES_NIF".parse().unwrap();
    assert_eq!(ids.iter().collect::<Vec<_>>(), [PiiType::UkNino, PiiType::EsNif]);
    assert_eq!("".parse::<NationalIds>().unwrap(), NationalIds::none());
    let err = "EMAIL_ADDRESS".parse::<NationalIds>().unwrap_err().to_string();
    assert!(err.contains("not a national identifier"), "{err}");
    let err = "FR_SSN".parse::<NationalIds>().unwrap_err().to_string();
    assert!(err.contains("unknown type \"FR_SSN\""), "{err}");
}
