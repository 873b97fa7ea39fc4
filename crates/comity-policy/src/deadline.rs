//! Deadline arithmetic, in UTC throughout.
//!
//! Two ways of counting, each named, because the law uses both:
//!
//! - **Hours** run from the instant of receipt: 8 hours after 10:17 is 18:17. Regulation
//!   (EEC, Euratom) No 1182/71 Art 3(1) would start counting at the next full hour (so
//!   19:00); comity's earlier end is the stricter reading and is never later than the law.
//! - **Days** are counted one of two named ways, a setting of each pack:
//!   - `from_instant` (the default): N times 24 hours from the instant of receipt. Ten
//!     days from 31 January 15:00 end on 10 February 15:00. This is never later than any
//!     reading of the law, so a provider that meets it meets the law.
//!   - `end_of_last_day`: Regulation 1182/71 Art 3(1) and 3(2)(b): the day of receipt
//!     does not count, and the period ends with the expiry of its last day (24:00 UTC).
//!     Ten days from 31 January 15:00 end at 11 February 00:00. Whether 1182/71 governs
//!     the e-Evidence Regulation's periods was not confirmed, which is why it is not the
//!     default. Its Art 3(4) (a period ending on a Saturday, Sunday or public holiday runs
//!     to the next working day) is never applied: holidays differ by Member State, and
//!     leaving it out only makes the deadline earlier.
//!
//! UTC has no daylight saving time, so a deadline never moves by an hour in spring or
//! autumn; it is the display's job to show it in a person's time zone.

use chrono::{DateTime, Days, Duration, NaiveTime, Utc};

use crate::DayCount;

/// The instant `hours` hours after `from`.
pub fn after_hours(from: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
    from + Duration::hours(i64::from(hours))
}

/// The instant a period of `days` days expires, counted as `count` says.
pub fn after_days(from: DateTime<Utc>, days: u32, count: DayCount) -> DateTime<Utc> {
    match count {
        DayCount::FromInstant => from + Duration::days(i64::from(days)),
        DayCount::EndOfLastDay => end_of_last_day(from, days),
    }
}

/// The end (24:00 UTC) of the `days`-th day after the day of the event at `from`.
fn end_of_last_day(from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let last_day = from.date_naive().checked_add_days(Days::new(u64::from(days)));
    let end = last_day.and_then(|d| d.checked_add_days(Days::new(1)));
    match end {
        Some(end) => end.and_time(NaiveTime::MIN).and_utc(),
        // Only reachable for dates near the end of chrono's range (year 262143).
        None => DateTime::<Utc>::MAX_UTC,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn days_exclude_the_day_of_receipt_and_end_at_midnight() {
        let check = |from, days, end| {
            assert_eq!(after_days(from, days, DayCount::EndOfLastDay), end, "{from} + {days} days")
        };
        check(at(2026, 1, 31, 15, 0), 10, at(2026, 2, 11, 0, 0));
        // Received one second before midnight: the day still does not count.
        check(Utc.with_ymd_and_hms(2026, 3, 1, 23, 59, 59).unwrap(), 10, at(2026, 3, 12, 0, 0));
        check(at(2026, 3, 2, 0, 0), 10, at(2026, 3, 13, 0, 0));
        // Across the end of February in a leap year and in a common year.
        check(at(2028, 2, 20, 9, 0), 10, at(2028, 3, 2, 0, 0));
        check(at(2027, 2, 20, 9, 0), 10, at(2027, 3, 3, 0, 0));
        check(at(2028, 2, 28, 12, 0), 1, at(2028, 3, 1, 0, 0));
        // Across the end of a year, and long periods.
        check(at(2026, 12, 25, 8, 0), 10, at(2027, 1, 5, 0, 0));
        check(at(2026, 1, 1, 0, 0), 60, at(2026, 3, 3, 0, 0));
        check(at(2026, 1, 1, 0, 0), 90, at(2026, 4, 2, 0, 0));
        // The night Europe moves its clocks (29 March 2026) changes nothing in UTC.
        check(at(2026, 3, 28, 22, 30), 1, at(2026, 3, 30, 0, 0));
    }

    #[test]
    fn days_from_the_instant_keep_the_time_of_day() {
        let check = |from, days, end| {
            assert_eq!(after_days(from, days, DayCount::FromInstant), end, "{from} + {days} days")
        };
        check(at(2026, 1, 31, 15, 0), 10, at(2026, 2, 10, 15, 0));
        check(at(2028, 2, 20, 9, 0), 10, at(2028, 3, 1, 9, 0));
        check(at(2027, 2, 20, 9, 0), 10, at(2027, 3, 2, 9, 0));
        check(at(2028, 2, 29, 23, 30), 1, at(2028, 3, 1, 23, 30));
        check(at(2026, 12, 31, 23, 59), 60, at(2027, 3, 1, 23, 59));
        check(at(2026, 3, 28, 22, 30), 1, at(2026, 3, 29, 22, 30));
        check(at(2026, 10, 24, 12, 0), 90, at(2027, 1, 22, 12, 0));
        // Never later than the end-of-last-day count.
        for h in 0..24 {
            let from = at(2026, 5, 4, h, 0);
            assert!(
                after_days(from, 10, DayCount::FromInstant) <= after_days(from, 10, DayCount::EndOfLastDay)
            );
        }
    }

    #[test]
    fn hours_run_from_the_instant_of_receipt() {
        assert_eq!(after_hours(at(2026, 5, 4, 10, 17), 8), at(2026, 5, 4, 18, 17));
        assert_eq!(after_hours(at(2028, 2, 28, 20, 0), 8), at(2028, 2, 29, 4, 0));
        assert_eq!(after_hours(at(2026, 10, 24, 23, 0), 96), at(2026, 10, 28, 23, 0));
        // 48 hours across the October clock change in Europe are 48 hours of UTC.
        assert_eq!(after_hours(at(2026, 10, 24, 12, 0), 48), at(2026, 10, 26, 12, 0));
    }
}
