//! argon2id password hashes and the password policy.

use comity_auth::password::{self, PasswordError};

#[test]
fn hashes_verify_and_carry_owasps_parameters() {
    let phc = password::hash("correct horse battery staple").expect("the policy allows it");
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(password::verify("correct horse battery staple", &phc));
    assert!(!password::verify("correct horse battery stapl", &phc));
    assert!(!password::verify("", &phc));
    assert!(!password::needs_rehash(&phc));
    // A fresh salt each time.
    assert_ne!(password::hash("correct horse battery staple").as_ref(), Ok(&phc));
}

#[test]
fn malformed_or_foreign_hashes_never_verify_and_never_panic() {
    let phc = password::hash("correct horse battery staple").expect("hashes");
    for stored in [
        "",
        "garbage",
        "$argon2id$",
        "$argon2id$v=19$m=19456,t=2,p=1$",
        &phc[..phc.len() - 5],
        &phc.replace("$argon2id$", "$argon2i$"),
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$argon2id$v=19$m=0,t=0,p=0$c2FsdHNhbHQ$aGFzaA",
    ] {
        assert!(!password::verify("correct horse battery staple", stored), "{stored:?}");
        assert!(password::needs_rehash(stored), "{stored:?}");
    }
}

#[test]
fn an_older_parameter_set_needs_a_rehash() {
    // A valid argon2id PHC string with m = 65536 (the RFC 9106 second recommendation).
    let older = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
    assert!(password::needs_rehash(older));
}

#[test]
fn the_policy_says_what_to_fix() {
    for (candidate, expected) in [
        ("elevenchars", Err(PasswordError::TooShort { chars: 11 })),
        ("twelve chars", Ok(())),
        ("éééééééééééé", Ok(())), // characters, not bytes
        ("           \t", Err(PasswordError::OnlyWhitespace)),
        (&"x".repeat(1024), Ok(())),
        (&"x".repeat(1025), Err(PasswordError::TooLong { chars: 1025 })),
        ("", Err(PasswordError::TooShort { chars: 0 })),
    ] {
        assert_eq!(password::check_policy(candidate), expected, "{candidate:?}");
    }
    let message = password::check_policy("short").expect_err("too short").to_string();
    assert!(message.contains("at least 12"), "{message}");
    assert_eq!(password::hash("short"), Err(PasswordError::TooShort { chars: 5 }));
}

#[test]
fn generated_passwords_pass_the_policy_and_differ() {
    let first = password::generate();
    assert_eq!(first.chars().count(), 20);
    assert_eq!(password::check_policy(&first), Ok(()));
    assert!(first.chars().all(|c| c.is_ascii_alphanumeric() && !"0Oo1lI".contains(c)), "{first}");
    assert_ne!(first, password::generate());
}

#[test]
fn dummy_verify_runs_for_any_input() {
    // Its timing is measured by benchmarks, not asserted here; this shows it is total.
    password::dummy_verify("");
    password::dummy_verify(&"x".repeat(5000));
}
