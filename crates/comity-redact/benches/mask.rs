//! Masking speed: `cargo bench -p comity-redact --bench mask`.
//!
//! What a production does to each free-text field: `Masker::mask` on a 2 KB message (a
//! mail in French and English with addresses, numbers, an IBAN, a card, an IP address,
//! greetings and a signature) with 200 third parties (an address and a display name
//! each, 400 needles) in the automaton and the default detector. Also `Detector::detect`
//! alone on the same message, and the message without any personal data. Reports
//! microseconds per message and MB/s. `COMITY_BENCH_ITERATIONS` changes the count.
//! Figures go to docs/benchmarks.md ("Redaction").
#![allow(clippy::unwrap_used)]

use std::{hint::black_box, time::Instant};

use comity_redact::{Detector, DetectorConfig, Masker, Pseudonyms, Summary};

const FIRST: [&str; 20] = [
    "Jean",
    "Claire",
    "Élodie",
    "François",
    "Hélène",
    "Zoë",
    "Anna",
    "Jürgen",
    "Lukas",
    "José",
    "María",
    "Iñaki",
    "Lucía",
    "James",
    "Emily",
    "Oliver",
    "Grace",
    "Noah",
    "Søren",
    "Ines",
];
const LAST: [&str; 10] =
    ["Martin", "Dubois", "Lefèvre", "Müller", "Schröder", "García", "Núñez", "Smith", "O'Brien", "Walker"];

fn message() -> String {
    let body = "Bonjour Claire,\n\n\
        Suite à notre échange d’hier, je te transmets les coordonnées : Jean Martin \
        <jean.martin@exemple.fr>, portable 06 12 34 56 78, ou au bureau +33 (0)1 23 45 67 89. \
        Le virement doit partir sur FR14 2004 1010 0505 0001 3M02 606 avant le 12.05.2026 ; \
        la facture INV-2026-00042 de 1 234,56 € reste ouverte. La connexion suspecte venait \
        de 203.0.113.54 puis de 2001:db8:4f2a::17 à 14:32. Merci de ne pas diffuser la carte \
        4111 1111 1111 1111 (exp. 09/27) utilisée pour la commande #48213.\n\n\
        Hi Oliver, forwarding this thread — Grace Walker (grace.walker@example.co.uk, \
        +44 20 7946 0958) asked whether version 10.0.19045 fixed the login issue. \
        She also mentioned that Anna and Lukas from the Berlin office (Tel. 030/12345678) \
        would join the call on Thursday. Please keep María García in copy.\n\n";
    let mut text = String::new();
    while text.len() < 1900 {
        text.push_str(body);
    }
    text.push_str("Cordialement,\nÉlodie Moreau\n");
    text
}

fn plain() -> String {
    let body = "The quarterly review moved to the large room on the third floor; please bring the \
        printed slides and the budget tables, and read the notes of the last meeting beforehand. \
        Nous avons aussi besoin du compte rendu de la réunion précédente avant vendredi. ";
    let mut text = String::new();
    while text.len() < 2000 {
        text.push_str(body);
    }
    text
}

fn main() {
    let iterations: u32 =
        std::env::var("COMITY_BENCH_ITERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let pseudonyms = Pseudonyms::new([3; 32]);
    let mut builder = Masker::builder().keep("invest.desk@example.org");
    for k in 0..200 {
        let name = format!("{} {}", FIRST[k % 20], LAST[(k / 20) % 10]);
        let address =
            format!("{}.{}{k}@example.net", FIRST[k % 20].to_lowercase(), LAST[(k / 20) % 10].to_lowercase());
        let p = pseudonyms.pseudonym(&address);
        builder = builder.third_party(address, p.clone()).third_party(name, p);
    }
    let masker = builder.detector(Detector::new(DetectorConfig::default())).build().unwrap();
    let detector = Detector::new(DetectorConfig::default());
    let text = message();
    let quiet = plain();
    let mut summary = Summary::default();
    println!("message of {} bytes, 200 third parties (400 needles)", text.len());
    println!("masked: {}", masker.mask(&text, &mut summary).chars().take(400).collect::<String>());

    let time = |what: &str, f: &mut dyn FnMut()| {
        for _ in 0..iterations / 10 {
            f();
        }
        let start = Instant::now();
        for _ in 0..iterations {
            f();
        }
        let each = start.elapsed().as_secs_f64() / f64::from(iterations);
        println!(
            "{what}: {:.1} µs per 2 KB message, {:.0} MB/s, {:.0} messages/s",
            each * 1e6,
            text.len() as f64 / each / 1e6,
            1.0 / each
        );
    };
    for _ in 0..2 {
        time("Masker::mask, 200 third parties", &mut || {
            black_box(masker.mask(black_box(&text), &mut summary));
        });
        time("Detector::detect alone", &mut || {
            black_box(detector.detect(black_box(&text)));
        });
        time("Masker::mask, a message without personal data", &mut || {
            black_box(masker.mask(black_box(&quiet), &mut summary));
        });
    }
}
