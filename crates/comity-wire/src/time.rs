//! Times from outside, bounded where they are parsed.
//!
//! RFC 3339 admits years 0000 to 9999, and chrono reads years far beyond (±262,143). A
//! clock that adds 48 hours or 90 days to such a time overflows, and chrono panics on an
//! overflowing `DateTime + TimeDelta`: an outside test made `POST /v1/screen` panic with
//! `received_at=-262143-01-01T00:00:00Z` (issue 12, finding 4). No time comity reads has
//! a meaning before the Unix epoch or after the year 9999, so every time that comes from
//! a caller is refused outside [`EARLIEST`]..=[`LATEST`] as it is read, with its path,
//! and no clock computed from it can overflow.
//!
//! Use it on each `DateTime<Utc>` field a caller sends:
//!
//! ```
//! use chrono::{DateTime, Utc};
//! #[derive(Debug, serde::Deserialize)]
//! struct Body {
//!     #[serde(with = "comity_wire::time::bounded")]
//!     at: DateTime<Utc>,
//!     #[serde(default, with = "comity_wire::time::bounded_option")]
//!     until: Option<DateTime<Utc>>,
//! }
//! let ok: Body = serde_json::from_str(r#"{"at": "2026-05-01T00:00:00Z"}"#).unwrap();
//! assert!(ok.until.is_none());
//! let err = serde_json::from_str::<Body>(r#"{"at": "+262142-12-31T23:59:59Z"}"#).unwrap_err();
//! assert!(err.to_string().contains("between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"));
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// The earliest time comity accepts from outside: the Unix epoch.
pub const EARLIEST: DateTime<Utc> = DateTime::UNIX_EPOCH;

/// The latest time comity accepts from outside: the last second RFC 3339 can write.
pub const LATEST: DateTime<Utc> = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(day) => match day.and_hms_opt(23, 59, 59) {
        Some(t) => t.and_utc(),
        None => DateTime::UNIX_EPOCH,
    },
    None => DateTime::UNIX_EPOCH,
};

/// The time, if it lies within [`EARLIEST`]..=[`LATEST`]; otherwise what to fix.
pub fn check(time: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if (EARLIEST..=LATEST).contains(&time) {
        Ok(time)
    } else {
        Err(format!(
            "{} is out of range: a time must lie between {} and {}",
            time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            EARLIEST.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            LATEST.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ))
    }
}

/// `#[serde(with = "comity_wire::time::bounded")]` on a `DateTime<Utc>`.
pub mod bounded {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let time = DateTime::<Utc>::deserialize(deserializer)?;
        check(time).map_err(serde::de::Error::custom)
    }

    pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(time, serializer)
    }
}

/// `#[serde(default, with = "comity_wire::time::bounded_option")]` on an
/// `Option<DateTime<Utc>>`.
pub mod bounded_option {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<DateTime<Utc>>::deserialize(deserializer)?
            .map(check)
            .transpose()
            .map_err(serde::de::Error::custom)
    }

    pub fn serialize<S: Serializer>(time: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(time, serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bounds_are_the_epoch_and_the_last_second_of_9999() {
        assert_eq!(EARLIEST.to_rfc3339(), "1970-01-01T00:00:00+00:00");
        assert_eq!(LATEST.to_rfc3339(), "9999-12-31T23:59:59+00:00");
    }

    #[test]
    fn times_beyond_either_bound_are_refused_and_the_bounds_themselves_kept() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        assert!(check(at("1970-01-01T00:00:00Z")).is_ok());
        assert!(check(at("9999-12-31T23:59:59Z")).is_ok());
        assert!(check(at("1969-12-31T23:59:59Z")).is_err());
        let far: DateTime<Utc> = "+262142-12-31T23:59:59Z".parse().unwrap();
        let message = check(far).unwrap_err();
        assert!(message.starts_with("+262142-12-31T23:59:59Z is out of range"), "{message}");
        let early: DateTime<Utc> = "-262143-01-01T00:00:00Z".parse().unwrap();
        assert!(check(early).is_err());
    }
}
