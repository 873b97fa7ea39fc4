//! Masking: pseudonyms for third parties, types for the rest, the targets untouched.

use comity_redact::{Detector, DetectorConfig, IdentifierKind, Masker, Pseudonyms, Summary, normalize};

#[test]
fn pseudonyms_are_stable_in_a_production_and_differ_across() {
    let a = Pseudonyms::new([1; 32]);
    let p = a.pseudonym("jean.martin@example.fr");
    assert_eq!(p, a.pseudonym("jean.martin@example.fr"));
    assert!(p.starts_with("person-") && p.len() == 17, "{p}");
    assert!(p[7..].chars().all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c)), "{p}");
    assert_ne!(p, a.pseudonym("claire@example.fr"));
    assert_ne!(p, Pseudonyms::new([2; 32]).pseudonym("jean.martin@example.fr"));
    assert_ne!(Pseudonyms::generate().pseudonym("x"), Pseudonyms::generate().pseudonym("x"));
    // The key never shows.
    assert_eq!(format!("{a:?}"), "Pseudonyms { key: <secret> }");
}

#[test]
fn identifiers_are_normalized_per_kind() {
    for (kind, value, normal) in [
        (IdentifierKind::Email, " Jean.Martin@Example.FR ", "jean.martin@example.fr"),
        (IdentifierKind::Email, "mailto:a@b.de", "a@b.de"),
        (IdentifierKind::Phone, "+33 6 12 34 56 78", "+33612345678"),
        (IdentifierKind::Phone, "+44 (0)20 7946 0958", "+442079460958"),
        (IdentifierKind::Phone, "0033 6.12.34.56.78", "+33612345678"),
        (IdentifierKind::Phone, "06 12 34 56 78", "0612345678"),
        (IdentifierKind::Ip, "2001:DB8:0:0::1", "2001:db8::1"),
        (IdentifierKind::Ip, "::ffff:192.0.2.1", "192.0.2.1"),
        (IdentifierKind::Ip, "[fe80::1%eth0]", "fe80::1"),
        (IdentifierKind::Ip, "192.168.001.1", "192.168.001.1"),
        (IdentifierKind::Account, "  Jean_M ", "Jean_M"),
    ] {
        assert_eq!(normalize(kind, value), normal, "{kind:?} {value:?}");
    }
    assert_eq!(IdentifierKind::guess("a@b.c"), IdentifierKind::Email);
    assert_eq!(IdentifierKind::guess("+33 6 12 34 56 78"), IdentifierKind::Phone);
    assert_eq!(IdentifierKind::guess("2001:db8::1"), IdentifierKind::Ip);
    assert_eq!(IdentifierKind::guess("jean_m"), IdentifierKind::Account);
}

fn masker(p: &Pseudonyms) -> Masker {
    Masker::builder()
        .keep("invest.desk@example.org")
        .keep("+33612345678")
        .keep("198.51.100.7")
        .third_party("jean.martin@example.fr", p.pseudonym("jean.martin@example.fr"))
        .third_party("Jean Martin", p.pseudonym("jean.martin@example.fr"))
        .third_party("Ann", p.pseudonym("ann@example.com"))
        .third_party("+4915123456789", p.pseudonym("+4915123456789"))
        .third_party("Desk", p.pseudonym("desk"))
        .third_party("Zoë Groß", p.pseudonym("zoe@example.de"))
        .detector(Detector::new(DetectorConfig::default()))
        .build()
        .unwrap()
}

#[track_caller]
fn check(text: &str, expected: &str, counts: &[(&str, u64)]) {
    let p = Pseudonyms::new([9; 32]);
    let mut summary = Summary::default();
    let masked = masker(&p).mask(text, &mut summary);
    let expected = expected
        .replace("{jean}", &p.pseudonym("jean.martin@example.fr"))
        .replace("{ann}", &p.pseudonym("ann@example.com"))
        .replace("{de}", &p.pseudonym("+4915123456789"))
        .replace("{desk}", &p.pseudonym("desk"))
        .replace("{zoe}", &p.pseudonym("zoe@example.de"));
    assert_eq!(masked, expected, "in {text:?}");
    let got: Vec<(&str, u64)> = summary.iter().collect();
    assert_eq!(got, counts, "in {text:?}");
}

#[test]
fn third_parties_become_their_pseudonyms_and_the_rest_its_type() {
    check(
        "Jean Martin <JEAN.MARTIN@example.fr> wrote to invest.desk@example.org",
        "{jean} <{jean}> wrote to invest.desk@example.org",
        &[("THIRD_PARTY", 2)],
    );
    // Whole words only, any ASCII case.
    check(
        "Annual report for ANN and ann, not Anna.",
        "Annual report for {ann} and {ann}, not Anna.",
        &[("THIRD_PARTY", 2)],
    );
    // Non-ASCII names in upper and lower case too.
    check("ZOË GROSS and zoë groß and Zoë Groß", "{zoe} and {zoe} and {zoe}", &[("THIRD_PARTY", 3)]);
    // A detected number that is a known third party's gets its pseudonym, in any format.
    check("ruf +49 151 23456789 an", "ruf {de} an", &[("THIRD_PARTY", 1)]);
    check(
        "call 07 98 76 54 32 or mail x.y@example.com from 203.0.113.9",
        "call [PHONE_NUMBER] or mail [EMAIL_ADDRESS] from [IP_ADDRESS]",
        &[("EMAIL_ADDRESS", 1), ("IP_ADDRESS", 1), ("PHONE_NUMBER", 1)],
    );
}

#[test]
fn the_targets_identifiers_stay() {
    // In other spellings too: a national number, an upper-case address.
    check(
        "Reach INVEST.DESK@example.org or 06 12 34 56 78 or +33 6 12 34 56 78 from 198.51.100.7.",
        "Reach INVEST.DESK@example.org or 06 12 34 56 78 or +33 6 12 34 56 78 from 198.51.100.7.",
        &[],
    );
    // A third party's name inside a target's address does not cut it.
    check(
        "mail invest.desk@example.org, ask Desk",
        "mail invest.desk@example.org, ask {desk}",
        &[("THIRD_PARTY", 1)],
    );
    // A target is never pseudonymized, even if listed as a third party by mistake.
    let m = Masker::builder()
        .keep("invest.desk@example.org")
        .third_party("Invest.Desk@example.org", "person-aaaaaaaaaa")
        .build()
        .unwrap();
    let mut s = Summary::default();
    assert_eq!(m.mask("to invest.desk@example.org", &mut s), "to invest.desk@example.org");
    assert_eq!(s.total(), 0);
}

#[test]
fn summaries_add_up_and_serialize_as_counts() {
    let mut a = Summary::default();
    a.record("PHONE_NUMBER", 2);
    a.record(Summary::THIRD_PARTY, 1);
    let mut b = Summary::default();
    b.record("PHONE_NUMBER", 1);
    b.record("EMAIL_ADDRESS", 4);
    a.add(&b);
    assert_eq!(a.count("PHONE_NUMBER"), 3);
    assert_eq!(a.total(), 8);
    assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"EMAIL_ADDRESS":4,"PHONE_NUMBER":3,"THIRD_PARTY":1}"#);
    assert_eq!(serde_json::from_str::<Summary>(&serde_json::to_string(&a).unwrap()).unwrap(), a);
}

#[test]
fn a_masker_without_parties_or_detector_changes_nothing() {
    let m = Masker::builder().build().unwrap();
    let mut s = Summary::default();
    assert_eq!(m.mask("call +33 6 12 34 56 78", &mut s), "call +33 6 12 34 56 78");
    assert_eq!(s, Summary::default());
}
