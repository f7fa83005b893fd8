//! The retry policy in one place: which answers are worth another attempt, and
//! how long a delivery or a destination waits before it.

use std::time::Duration;

use super::sink::Attempt;
use crate::config::Retry;
use crate::store::Failure;

/// 408, 429 and 5xx say "not now"; any other refusal will not change by
/// sending the same message again.
pub fn retryable(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

/// The attempt an HTTP answer other than a success means.
pub fn refused(status: u16, reason: impl Into<String>) -> Attempt {
    let failure = Failure::http(status, reason);
    if retryable(status) {
        Attempt::Retry(failure)
    } else {
        Attempt::Permanent(failure)
    }
}

/// A request that got no answer: always retried.
pub fn unanswered(e: &reqwest::Error) -> Attempt {
    Attempt::Retry(Failure::from(if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        format!("request failed: {e}")
    }))
}

/// `initial * 2^(attempt-1)`, capped at `max`, then "equal jitter": a random
/// point in the upper half, so that retries of many messages spread out.
pub fn backoff(retry: &Retry, attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let base = retry
        .initial_backoff
        .saturating_mul(1u32 << exp)
        .min(retry.max_backoff);
    let half = base / 2;
    let (random, _) = uuid::Uuid::new_v4().as_u64_pair();
    let span = half.as_millis().max(1) as u64;
    half + Duration::from_millis(random % span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let retry = Retry {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
        };
        for _ in 0..50 {
            let first = backoff(&retry, 1);
            assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
            let third = backoff(&retry, 3);
            assert!(third >= Duration::from_secs(2) && third <= Duration::from_secs(4));
            let late = backoff(&retry, 20);
            assert!(late >= Duration::from_secs(5) && late <= Duration::from_secs(10));
        }
    }

    #[test]
    fn statuses_are_classified_once() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(matches!(refused(status, ""), Attempt::Retry(_)), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 413, 422] {
            assert!(
                matches!(refused(status, ""), Attempt::Permanent(_)),
                "{status}"
            );
        }
    }
}
