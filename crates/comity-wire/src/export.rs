//! The export a provider hands comity for a production (`docs/export-format.md`): JSON
//! Lines of records, each an account, a kind, a category, a time and the kind's fields.
//!
//! Each kind's fields have a role, which says what the production does with them: a
//! [`Role::Party`] (someone the record names: pseudonymized unless a target), free text
//! ([`Role::Text`]: everyone in it who is not a target masked) or kept as it is. A field
//! a kind does not list is treated as free text if it holds text, so that nothing a
//! provider adds slips past the redaction.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use comity_core::{DataCategory, SelectorType};

use crate::json::{self, Json, Object};

/// One record of an export, parsed, its strings borrowed from the line where they can be.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    pub account: Cow<'a, str>,
    pub kind: Cow<'a, str>,
    pub category: DataCategory,
    pub time: DateTime<Utc>,
    pub data: Object<'a>,
}

/// What a production does with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Kept as it is: sizes, times, ids, hashes; a target's own profile fields.
    Kept,
    /// A party: `{"address" | "number" | "account" | "ip": ..., "name": ...}`.
    Party,
    /// A list of parties.
    Parties,
    /// Free text.
    Text,
    /// A list of objects whose fields have these roles.
    List(&'static [(&'static str, Role)]),
    /// An object whose fields have these roles.
    Object(&'static [(&'static str, Role)]),
}

const ATTACHMENT: &[(&str, Role)] = &[("name", Role::Text), ("size", Role::Kept), ("sha256", Role::Kept)];
const PAYMENT: &[(&str, Role)] = &[("method", Role::Kept), ("holder", Role::Kept), ("last4", Role::Kept)];

/// The kinds of record and their fields' roles (`docs/export-format.md`).
pub const KINDS: &[(&str, &[(&str, Role)])] = &[
    (
        "profile",
        &[
            ("name", Role::Kept),
            ("email", Role::Kept),
            ("phone", Role::Kept),
            ("address", Role::Text),
            ("created", Role::Kept),
            ("payment", Role::Object(PAYMENT)),
            ("recovery", Role::Party),
        ],
    ),
    (
        "login",
        &[
            ("ip", Role::Kept),
            ("port", Role::Kept),
            ("device", Role::Kept),
            ("user_agent", Role::Text),
            ("result", Role::Kept),
        ],
    ),
    (
        "message",
        &[
            ("id", Role::Kept),
            ("direction", Role::Kept),
            ("from", Role::Party),
            ("to", Role::Parties),
            ("cc", Role::Parties),
            ("bcc", Role::Parties),
            ("size", Role::Kept),
            ("subject", Role::Text),
            ("body", Role::Text),
            ("attachments", Role::List(ATTACHMENT)),
        ],
    ),
    (
        "call",
        &[("from", Role::Party), ("to", Role::Party), ("duration_seconds", Role::Kept), ("type", Role::Kept)],
    ),
    (
        "file",
        &[
            ("name", Role::Text),
            ("size", Role::Kept),
            ("sha256", Role::Kept),
            ("shared_with", Role::Parties),
            ("text", Role::Text),
        ],
    ),
    ("contact", &[("contact", Role::Party), ("note", Role::Text)]),
];

/// The roles of a kind's fields; `None` for a kind comity does not know.
pub fn fields_of(kind: &str) -> Option<&'static [(&'static str, Role)]> {
    KINDS.iter().find(|(k, _)| *k == kind).map(|(_, fields)| *fields)
}

/// The identifier fields of a party, and the kind of identifier each holds.
pub const PARTY_IDS: &[(&str, SelectorType)] = &[
    ("address", SelectorType::Email),
    ("number", SelectorType::Phone),
    ("account", SelectorType::AccountId),
    ("ip", SelectorType::Ip),
];

/// Why a line is not a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RecordError(pub String);

/// Reads one line of an export; `Ok(None)` for an empty line.
pub fn parse_record(line: &str) -> Result<Option<Record<'_>>, RecordError> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Ok(None);
    }
    let bad = |why: String| RecordError(why);
    let value = json::from_str(line).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Json::Object(mut object) = value else { return Err(bad("a record is a JSON object".into())) };
    let mut text = |name: &str| match object.remove(name) {
        Some(Json::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(bad(format!("`{name}` must be a non-empty string"))),
        None => Err(bad(format!("`{name}` is missing"))),
    };
    let account = text("account")?;
    let kind = text("kind")?;
    let category = text("category")?;
    let time = text("time")?;
    let category = DataCategory::parse(&category).ok_or_else(|| {
        bad(format!("`category` {category:?} is not one of subscriber, identification, traffic, content"))
    })?;
    let time = DateTime::parse_from_rfc3339(&time)
        .map_err(|_| bad(format!("`time` {time:?} is not an RFC 3339 time such as 2026-05-14T09:12:44Z")))?
        .with_timezone(&Utc);
    let time = crate::time::check(time).map_err(|m| bad(format!("`time` {m}")))?;
    let data = match object.remove("data") {
        Some(Json::Object(data)) => data,
        Some(_) => return Err(bad("`data` must be a JSON object".into())),
        None => return Err(bad("`data` is missing".into())),
    };
    if let Some(extra) = object.first_name() {
        return Err(bad(format!(
            "`{extra}` is not a field of a record (account, kind, category, time, data)"
        )));
    }
    let account = match account {
        Cow::Borrowed(a) => Cow::Borrowed(a.trim()),
        Cow::Owned(a) if a.trim().len() == a.len() => Cow::Owned(a),
        Cow::Owned(a) => Cow::Owned(a.trim().to_owned()),
    };
    Ok(Some(Record { account, kind, category, time, data }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_and_every_mistake_is_named() {
        let r = parse_record(
            r#"{"account":"a@example.org","kind":"message","category":"traffic","time":"2026-05-01T10:00:00+02:00","data":{"size":3}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("a record"));
        assert_eq!(
            (r.account.as_ref(), r.kind.as_ref(), r.category),
            ("a@example.org", "message", DataCategory::Traffic)
        );
        assert_eq!(r.time.to_rfc3339(), "2026-05-01T08:00:00+00:00");
        assert_eq!(parse_record("  \n"), Ok(None));
        for (line, says) in [
            ("[1]", "JSON object"),
            ("{", "not JSON"),
            (
                r#"{"kind":"x","category":"content","time":"2026-05-01T00:00:00Z","data":{}}"#,
                "`account` is missing",
            ),
            (
                r#"{"account":"a","kind":"x","category":"secret","time":"2026-05-01T00:00:00Z","data":{}}"#,
                "not one of",
            ),
            (r#"{"account":"a","kind":"x","category":"content","time":"yesterday","data":{}}"#, "RFC 3339"),
            (
                r#"{"account":"a","kind":"x","category":"content","time":"2026-05-01T00:00:00Z","data":[]}"#,
                "`data` must",
            ),
            (
                r#"{"account":"a","kind":"x","category":"content","time":"2026-05-01T00:00:00Z","data":{},"x":1}"#,
                "`x` is not",
            ),
        ] {
            let e = parse_record(line).expect_err(line);
            assert!(e.0.contains(says), "{line}: {e}");
        }
        assert!(fields_of("message").is_some());
        assert!(fields_of("telepathy").is_none());
    }
}
