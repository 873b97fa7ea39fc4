//! Evaluation cycles at the command line (issue 16, item 6): `comity evaluation show` prints
//! each authority's and State's figures and score, as JSON the API's shape; `comity
//! evaluation record` keeps an ended year's in the log, and `comity log verify` still
//! agrees; bad input is refused naming the flag to fix.

use serde_json::Value;

use crate::support::{Data, comity, comity_ok, register_parties};

crate::both_databases!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    an_operator_shows_and_records_a_years_evaluations,
);

fn refused(args: &[&str], data: &Data) -> String {
    let out = comity(args, Some(data));
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn an_operator_shows_and_records_a_years_evaluations(data: Data) {
    register_parties(&data);
    let shown: Value =
        serde_json::from_str(&comity_ok(&["evaluation", "show", "--year", "2025", "--json"], Some(&data)))
            .unwrap();
    assert_eq!(shown["formula"]["version"], "comity-compliance/v1");
    let fr =
        shown["authorities"].as_array().unwrap().iter().find(|a| a["authority"] == "fr-tj-paris").unwrap();
    assert_eq!(fr["figures"]["requests"], 0);
    assert!(fr.get("score").is_none(), "nothing to count, no score: {fr}");
    let table = comity_ok(&["evaluation", "show", "--year", "2025", "--country", "FR"], Some(&data));
    assert!(table.contains("formula comity-compliance/v1") && table.contains("fr-tj-paris"), "{table}");

    let out = comity_ok(&["evaluation", "record", "--year", "2025"], Some(&data));
    assert!(out.starts_with("recorded the 2025 evaluations of "), "{out}");
    assert!(out.contains("audit-log entries "), "{out}");
    comity_ok(&["log", "verify"], Some(&data));

    let err = refused(&["evaluation", "show", "--year", "1999"], &data);
    assert!(err.contains("--year") && err.contains("2000 to 9998"), "{err}");
    let err = refused(&["evaluation", "record", "--year", "9998"], &data);
    assert!(err.contains("--year") && err.contains("once it has ended"), "{err}");
    let err = refused(&["evaluation", "show", "--year", "2025", "--authority", "xx-nobody"], &data);
    assert!(err.contains("comity authority list"), "the hint names the command that lists them: {err}");
    let err = refused(&["evaluation", "show", "--year", "2025", "--country", "France"], &data);
    assert!(err.contains("--country"), "{err}");
}
