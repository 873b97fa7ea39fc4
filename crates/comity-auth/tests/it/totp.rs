//! TOTP codes (RFC 6238).

use comity_auth::totp::{self, TotpError, TotpSecret};

/// A time in the middle of a step.
const NOW: u64 = 1_767_225_615;

#[test]
fn codes_are_accepted_one_step_either_side_and_never_twice() {
    // A fixed secret, so that no two of the codes below are equal by chance.
    let secret = TotpSecret::from_bytes(b"12345678901234567890").expect("20 bytes");
    let step = NOW / 30;
    let code = |offset: i64| totp::code_at(&secret, (NOW as i64 + offset * 30) as u64);
    // (name, code, last step used, expected)
    type Case = (&'static str, String, Option<u64>, Result<u64, TotpError>);
    let cases: Vec<Case> = vec![
        ("now", code(0), None, Ok(step)),
        ("the step before", code(-1), None, Ok(step - 1)),
        ("the step after", code(1), None, Ok(step + 1)),
        ("two steps before", code(-2), None, Err(TotpError::Mismatch)),
        ("two steps after", code(2), None, Err(TotpError::Mismatch)),
        ("now, after the step before was used", code(0), Some(step - 1), Ok(step)),
        ("now, again", code(0), Some(step), Err(TotpError::Replayed)),
        ("the step before, after now was used", code(-1), Some(step), Err(TotpError::Replayed)),
        ("the step after, after now was used", code(1), Some(step), Ok(step + 1)),
        ("with surrounding whitespace", format!(" {}\n", code(0)), None, Ok(step)),
        ("five digits", code(0)[..5].to_owned(), None, Err(TotpError::Format)),
        ("seven digits", format!("{}0", code(0)), None, Err(TotpError::Format)),
        ("a letter", format!("{}a", &code(0)[..5]), None, Err(TotpError::Format)),
        ("a space inside", format!("{} {}", &code(0)[..3], &code(0)[3..]), None, Err(TotpError::Format)),
        ("empty", String::new(), None, Err(TotpError::Format)),
        ("Arabic-Indic digits", "١٢٣٤٥٦".into(), None, Err(TotpError::Format)),
    ];
    for (name, code, last, expected) in cases {
        assert_eq!(totp::verify(&secret, &code, NOW, last), expected, "{name}");
    }
}

#[test]
fn the_first_steps_of_time_do_not_underflow() {
    let secret = TotpSecret::generate();
    for now in [0, 1, 29, 30, 59] {
        assert_eq!(totp::verify(&secret, &totp::code_at(&secret, now), now, None), Ok(now / 30));
    }
}

#[test]
fn the_otpauth_uri_is_what_authenticator_apps_read() {
    let secret = TotpSecret::from_bytes(b"12345678901234567890").expect("20 bytes");
    assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_eq!(
        secret.otpauth_uri("comity", "ana@provider.example"),
        Ok("otpauth://totp/comity:ana%40provider.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=comity".into())
    );
    assert_eq!(
        secret.otpauth_uri("Comity Provider", "ana"),
        Ok("otpauth://totp/Comity%20Provider:ana?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Comity%20Provider".into())
    );
    for (issuer, account) in [("a:b", "ana"), ("comity", "ana:b"), ("", "ana"), ("comity", "")] {
        assert!(
            matches!(secret.otpauth_uri(issuer, account), Err(TotpError::Label(_))),
            "{issuer:?} {account:?}"
        );
    }
}

#[test]
fn secrets() {
    assert_eq!(TotpSecret::generate().as_bytes().len(), 20);
    assert_ne!(TotpSecret::generate(), TotpSecret::generate());
    for (len, ok) in [(0, false), (15, false), (16, true), (20, true), (64, true), (65, false)] {
        assert_eq!(TotpSecret::from_bytes(&vec![7; len]).is_ok(), ok, "{len}");
    }
    let secret = TotpSecret::from_bytes(b"12345678901234567890").expect("20 bytes");
    assert_eq!(TotpSecret::from_bytes(secret.as_bytes()), Ok(secret.clone()));
    let debug = format!("{secret:?}");
    assert!(!debug.contains("GEZDG") && !debug.contains("12345"), "{debug}");
}

#[test]
fn a_secret_reads_back_from_its_base32_as_apps_show_it() {
    let secret = comity_auth::totp::TotpSecret::generate();
    let text = secret.base32();
    assert_eq!(comity_auth::totp::TotpSecret::from_base32(&text).unwrap(), secret);
    let spaced: String = text
        .to_lowercase()
        .chars()
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(comity_auth::totp::TotpSecret::from_base32(&spaced).unwrap(), secret);
    for bad in ["not base32!", "AB", ""] {
        assert!(comity_auth::totp::TotpSecret::from_base32(bad).is_err(), "{bad}");
    }
}
