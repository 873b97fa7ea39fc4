//! When to try a notice again, as data: the caller (the delivery worker) records each
//! attempt and applies the answer. Nothing here sleeps or reads a clock.

use std::time::Duration;

/// What a failed attempt says about the next one, from [`WebhookError::disposition`]
/// and [`MailError::disposition`].
///
/// [`WebhookError::disposition`]: crate::WebhookError::disposition
/// [`MailError::disposition`]: crate::MailError::disposition
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The failure may pass: try again later, no sooner than `after` when the receiver
    /// said so (`Retry-After`, RFC 9110 §10.2.3).
    Retry {
        /// The receiver's own delay, if it gave one.
        after: Option<Duration>,
    },
    /// Trying again will fail the same way: the notice goes to the dead letters.
    Permanent,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again after this delay.
    RetryIn(Duration),
    /// Stop: keep the notice as undeliverable, for a person to look at.
    DeadLetter,
}

/// The delays after the first, second, ... failed attempt. They grow about five-fold and
/// stop at [`RetryPolicy::CAP`]: a receiver down for a moment gets the notice within a
/// minute, one down for a day still gets it, and none is called more than every six hours.
const DELAYS: [Duration; 5] = [
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(10 * 60),
    Duration::from_secs(60 * 60),
    Duration::from_secs(6 * 60 * 60),
];

/// How often, and how far apart, a notice is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: Self::DEFAULT_ATTEMPTS }
    }
}

/// A retry policy that cannot work.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a notice must be tried at least once: set the number of attempts to 1 or more (default 8)")]
pub struct NoAttempts;

impl RetryPolicy {
    /// The attempts a notice gets by default: the last about 25 hours after the first.
    pub const DEFAULT_ATTEMPTS: u32 = 8;

    /// The longest delay between two attempts, and the most a receiver's `Retry-After`
    /// may put one off.
    pub const CAP: Duration = DELAYS[DELAYS.len() - 1];

    /// A policy that dead-letters a notice after `max_attempts` failed attempts.
    pub fn new(max_attempts: u32) -> Result<Self, NoAttempts> {
        if max_attempts == 0 {
            return Err(NoAttempts);
        }
        Ok(Self { max_attempts })
    }

    /// How many attempts a notice gets.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The delay after the `failed`-th failed attempt (1 for the first): 30 s, 2 min,
    /// 10 min, 1 h, then 6 h each time.
    pub fn delay(&self, failed: u32) -> Duration {
        let index = usize::try_from(failed.saturating_sub(1)).unwrap_or(usize::MAX);
        DELAYS.get(index).copied().unwrap_or(Self::CAP)
    }

    /// What follows the `failed`-th failed attempt (1 for the first), which ended as
    /// `disposition`: a permanent failure, or the last attempt, dead-letters; otherwise
    /// the schedule's delay, or the receiver's `Retry-After` when that is longer (up to
    /// [`Self::CAP`]).
    pub fn next(&self, failed: u32, disposition: Disposition) -> Next {
        match disposition {
            Disposition::Permanent => Next::DeadLetter,
            Disposition::Retry { .. } if failed >= self.max_attempts => Next::DeadLetter,
            Disposition::Retry { after } => {
                let asked = after.unwrap_or_default().min(Self::CAP);
                Next::RetryIn(self.delay(failed).max(asked))
            }
        }
    }
}
