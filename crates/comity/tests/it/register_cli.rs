//! The register over time at the command line (issue 16, items 6 and 7): a party's
//! details changed, deactivated and reactivated, its emergency route suspended and lifted,
//! its history printed, its contact changed and removed, each with the reason the journal
//! keeps; the log verified after it all; and bad input refused naming the flag to fix.

use serde_json::Value;

use crate::support::{DEFAULT_ORIGIN, Data, comity, comity_ok, register_parties};

crate::both_databases!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    an_operator_changes_deactivates_and_suspends_parties_at_the_command_line,
);

/// Runs a command that must fail; its standard error.
fn refused(args: &[&str], data: &Data) -> String {
    let out = comity(args, Some(data));
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty(), "{args:?} prints nothing on standard output");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn an_operator_changes_deactivates_and_suspends_parties_at_the_command_line(data: Data) {
    register_parties(&data);
    let out = comity_ok(
        &[
            "authority",
            "update",
            "--id",
            "fr-tj-paris",
            "--name",
            "Parquet du tribunal judiciaire de Paris",
            "--institution",
            "fr-tj",
            "--reason",
            "its full name",
        ],
        Some(&data),
    );
    assert!(out.starts_with("updated authority fr-tj-paris (name, institution); audit-log entry "), "{out}");

    let out = comity_ok(
        &[
            "authority",
            "suspend",
            "--id",
            "fr-tj-paris",
            "--privilege",
            "emergency",
            "--until",
            "+30d",
            "--reason",
            "forged emergencies accepted",
        ],
        Some(&data),
    );
    assert!(out.starts_with("suspended fr-tj-paris's emergency route until "), "{out}");
    assert!(out.contains("(suspension 1)"), "{out}");
    let listed: Value = serde_json::from_str(&comity_ok(
        &["authority", "suspensions", "--id", "fr-tj-paris", "--json"],
        Some(&data),
    ))
    .unwrap();
    assert_eq!(
        (listed[0]["in_force"].as_bool(), listed[0]["privilege"].as_str()),
        (Some(true), Some("emergency"))
    );
    let table = comity_ok(&["authority", "suspensions", "--id", "fr-tj-paris"], Some(&data));
    assert!(table.lines().any(|l| l.starts_with("1 ") && l.contains("in force")), "{table}");
    let out = comity_ok(
        &["authority", "lift", "--id", "fr-tj-paris", "--suspension", "1", "--reason", "mailbox secured"],
        Some(&data),
    );
    assert!(out.starts_with("lifted suspension 1 of fr-tj-paris"), "{out}");

    let out =
        comity_ok(&["provider", "deactivate", "--id", "example-mail", "--reason", "closed"], Some(&data));
    assert!(out.starts_with("deactivated example-mail"), "{out}");
    comity_ok(&["provider", "reactivate", "--id", "example-mail", "--reason", "reopened"], Some(&data));

    let out = comity_ok(
        &[
            "authority",
            "contact",
            "add",
            "--authority",
            "fr-tj-paris",
            "--id",
            "duty",
            "--name",
            "Duty",
            "--email",
            "d@example.org",
        ],
        Some(&data),
    );
    assert!(out.contains("registered contact duty"), "{out}");
    comity_ok(
        &[
            "authority",
            "contact",
            "update",
            "--authority",
            "fr-tj-paris",
            "--id",
            "duty",
            "--phone",
            "+33 1 00",
            "--no-email",
            "--reason",
            "phone only",
        ],
        Some(&data),
    );
    comity_ok(
        &["authority", "contact", "remove", "--authority", "fr-tj-paris", "--id", "duty", "--reason", "left"],
        Some(&data),
    );

    let history = comity_ok(&["authority", "history", "--id", "fr-tj-paris"], Some(&data));
    assert!(
        history.starts_with("authority fr-tj-paris registered as \"Parquet de Paris\", prosecutor"),
        "{history}"
    );
    for expected in [
        "party.updated",
        "name: Parquet de Paris → Parquet du tribunal judiciaire de Paris",
        "institution: none → fr-tj",
        "because: its full name",
        "party.suspended",
        "suspension 1 of emergency route until ",
        "party.suspension_lifted",
        "contact.updated",
        "email: d@example.org → none",
        "contact.removed",
        "cli:",
        "active now",
    ] {
        assert!(history.contains(expected), "{expected:?} in:\n{history}");
    }
    let json: Value = serde_json::from_str(&comity_ok(
        &["provider", "history", "--id", "example-mail", "--json"],
        Some(&data),
    ))
    .unwrap();
    let kinds: Vec<&str> =
        json["history"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["party.deactivated", "party.reactivated"]);

    // Bad input: each names the flag, and nothing is recorded.
    for (args, expected) in [
        (
            &[
                "authority",
                "suspend",
                "--id",
                "fr-tj-paris",
                "--until",
                "2001-01-01T00:00:00Z",
                "--reason",
                "late",
            ][..],
            "--until: 2001-01-01T00:00:00Z is not after now",
        ),
        (
            &[
                "authority",
                "suspend",
                "--id",
                "fr-tj-paris",
                "--privilege",
                "fax",
                "--until",
                "+1d",
                "--reason",
                "r",
            ][..],
            "--privilege \"fax\" is not known; use one of: emergency",
        ),
        (
            &[
                "provider",
                "suspend",
                "--id",
                "example-mail",
                "--privilege",
                "emergency",
                "--until",
                "+1d",
                "--reason",
                "r",
            ][..],
            "--privilege: the emergency route is an authority's privilege",
        ),
        (
            &["authority", "suspend", "--id", "fr-tj-paris", "--until", "+1d", "--reason", " "][..],
            "--reason: give the reason",
        ),
        (
            &["authority", "deactivate", "--id", "nobody-here", "--reason", "r"][..],
            "no party nobody-here is registered",
        ),
        (
            &["authority", "lift", "--id", "fr-tj-paris", "--suspension", "7", "--reason", "r"][..],
            "has no suspension 7",
        ),
        (&["provider", "update", "--id", "example-mail", "--reason", "r"][..], "already has these details"),
        (
            &["authority", "update", "--id", "fr-tj-paris", "--type", "king", "--reason", "r"][..],
            "--type \"king\" is not known",
        ),
    ] {
        let err = refused(args, &data);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let listed: Value = serde_json::from_str(&comity_ok(
        &["authority", "suspensions", "--id", "fr-tj-paris", "--json"],
        Some(&data),
    ))
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing refused was recorded");

    // The log vouches for every row, the changed party's included.
    let out = comity_ok(&["log", "verify", "--log-origin", DEFAULT_ORIGIN], Some(&data));
    assert!(out.starts_with("verified: "), "{out}");
}
