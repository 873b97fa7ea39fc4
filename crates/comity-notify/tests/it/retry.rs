//! The retry schedule: when a failed notice is tried again, and when it is given up.

use std::time::Duration;

use comity_notify::{Disposition, Next, NoAttempts, RetryPolicy};

const RETRY: Disposition = Disposition::Retry { after: None };

fn minutes(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

#[test]
fn the_default_schedule() {
    let policy = RetryPolicy::default();
    assert_eq!(policy.max_attempts(), 8);
    let expected = [
        (1, Next::RetryIn(Duration::from_secs(30))),
        (2, Next::RetryIn(minutes(2))),
        (3, Next::RetryIn(minutes(10))),
        (4, Next::RetryIn(minutes(60))),
        (5, Next::RetryIn(minutes(360))),
        (6, Next::RetryIn(minutes(360))),
        (7, Next::RetryIn(minutes(360))),
        (8, Next::DeadLetter),
        (9, Next::DeadLetter),
    ];
    for (failed, next) in expected {
        assert_eq!(policy.next(failed, RETRY), next, "after failed attempt {failed}");
    }
}

#[test]
fn permanent_failures_and_the_receivers_delay() {
    let policy = RetryPolicy::new(3).expect("three attempts");
    assert_eq!(policy.next(1, Disposition::Permanent), Next::DeadLetter);
    assert_eq!(policy.next(3, RETRY), Next::DeadLetter);
    // A longer Retry-After wins, a shorter one does not shorten the schedule, and none
    // puts a notice off beyond the cap.
    let after = |secs| Disposition::Retry { after: Some(Duration::from_secs(secs)) };
    assert_eq!(policy.next(1, after(120)), Next::RetryIn(minutes(2)));
    assert_eq!(policy.next(2, after(5)), Next::RetryIn(minutes(2)));
    assert_eq!(policy.next(1, after(7 * 24 * 3600)), Next::RetryIn(RetryPolicy::CAP));
}

#[test]
fn a_policy_tries_at_least_once() {
    assert_eq!(RetryPolicy::new(0), Err(NoAttempts));
    assert!(NoAttempts.to_string().contains("1 or more"));
    assert_eq!(RetryPolicy::new(1).map(|p| p.next(1, RETRY)), Ok(Next::DeadLetter));
}
