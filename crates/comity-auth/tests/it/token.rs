//! API tokens.

use comity_auth::token::{ApiToken, PREFIX, TokenId};

#[test]
fn a_token_is_issued_parsed_and_verified() {
    let issued = ApiToken::generate();
    let text = issued.text();
    assert_eq!(text.len(), 67);
    assert!(text.starts_with(PREFIX));
    assert_eq!(&text[7..23], issued.id().as_str());
    assert!(issued.id().as_str().bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)));

    let (id, secret) = ApiToken::parse(text).expect("a token parses");
    assert_eq!(&id, issued.id());
    assert_eq!(TokenId::parse(id.as_str()), Ok(id));
    assert_eq!(secret.hash(), issued.hash());
    assert!(secret.verify(&issued.hash()));

    let other = ApiToken::generate();
    assert_ne!(other.id(), issued.id());
    assert!(!secret.verify(&other.hash()));
    let mut flipped = issued.hash();
    flipped[31] ^= 1;
    assert!(!secret.verify(&flipped));
}

#[test]
fn debug_never_shows_the_secret() {
    let issued = ApiToken::generate();
    let secret_text = &issued.text()[24..];
    let (_, secret) = ApiToken::parse(issued.text()).expect("parses");
    for debug in [format!("{issued:?}"), format!("{secret:?}")] {
        assert!(!debug.contains(secret_text), "{debug}");
    }
    assert!(format!("{issued:?}").contains(issued.id().as_str()));
}

#[test]
fn malformed_tokens_are_refused_without_repeating_them() {
    let good = ApiToken::generate().text().to_owned();
    let (head, secret) = good.split_at(24);
    let cases = [
        ("empty", String::new()),
        ("the prefix alone", PREFIX.to_owned()),
        ("another prefix", good.replacen("comity_", "comitx_", 1)),
        ("one character short", good[..66].to_owned()),
        ("one character more", format!("{good}A")),
        ("an uppercase id", format!("comity_{}{}", good[7..23].to_uppercase(), &good[23..])),
        ("a '1' in the id", format!("comity_1{}", &good[8..])),
        ("no '_' after the id", format!("{}-{}", &good[..23], &good[24..])),
        ("padding", format!("{head}{}=", &secret[..42])),
        ("a '+' in the secret", format!("{head}+{}", &secret[1..])),
        // 43 characters hold 258 bits, so the last one's two low bits must be zero; 'B' has
        // them set: another spelling of the same bytes.
        ("a non-canonical last character", format!("{head}{}B", &secret[..42])),
        ("non-ASCII", format!("{}é{}", &good[..30], &good[32..])),
        ("whitespace", format!(" {}", &good[1..])),
    ];
    for (name, text) in cases {
        if text == good {
            continue;
        }
        match ApiToken::parse(&text) {
            Ok(_) => panic!("{name}: accepted"),
            Err(error) => {
                let message = error.to_string();
                assert!(message.contains("comity_"), "{name}: {message}");
                if text.len() > 20 {
                    assert!(
                        !message.contains(&text[20..]),
                        "{name}: the message repeats the token: {message}"
                    );
                }
            }
        }
    }
}

#[test]
fn token_ids() {
    for (text, ok) in [
        ("abcdefghijklmnop", true),
        ("234567abcdefghij", true),
        ("abcdefghijklmno", false),
        ("abcdefghijklmnopq", false),
        ("Abcdefghijklmnop", false),
        ("0bcdefghijklmnop", false),
        ("abcdefghijklmno_", false),
    ] {
        assert_eq!(TokenId::parse(text).is_ok(), ok, "{text}");
    }
}
