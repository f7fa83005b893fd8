//! One destination's health, kept by its worker: one backoff for the whole
//! destination instead of one timer per delivery, one log line per change of
//! state and a summary while it stays down, instead of a line per attempt.

use std::time::Duration;

use tokio::time::Instant;

use super::retry::backoff;
use super::sink::Attempt;
use crate::config::Retry;
use crate::domain::delivery::DestinationHealth;
use crate::telemetry::events::{DestinationChanged, DestinationStillFailing};
use crate::telemetry::Metrics;

/// How often a failing destination's summary line is written.
pub const SUMMARY_EVERY: Duration = Duration::from_secs(30);

/// The longest wait between two probes, whatever the retry policy's longest
/// backoff: a probe is one delivery, and a destination that is back should not
/// wait minutes to be noticed.
pub const MAX_PROBE_INTERVAL: Duration = Duration::from_secs(5);

/// What a round told the health of its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Unchanged,
    /// It answers again: its waiting deliveries are due now.
    Recovered,
    /// It stopped answering: the rest of the claim is not sent.
    Failed,
}

#[derive(Debug)]
pub struct Health {
    destination: String,
    retry: Retry,
    state: DestinationHealth,
    /// Failed rounds in a row (the destination's backoff grows with them).
    failures: u32,
    next_probe: Instant,
    down_since: Instant,
    /// Failed attempts since the last summary line.
    failed_attempts: u64,
    last_summary: Instant,
}

impl Health {
    pub fn new(destination: &str, retry: Retry, metrics: &Metrics) -> Health {
        let now = Instant::now();
        metrics.destination_health(destination, DestinationHealth::Healthy);
        Health {
            destination: destination.to_string(),
            retry,
            state: DestinationHealth::Healthy,
            failures: 0,
            next_probe: now,
            down_since: now,
            failed_attempts: 0,
            last_summary: now,
        }
    }

    pub fn state(&self) -> DestinationHealth {
        self.state
    }

    /// How long to wait before claiming again; `None` to claim now (a failing
    /// destination whose backoff ran out turns `probing`).
    pub fn wait(&mut self, now: Instant, metrics: &Metrics) -> Option<Duration> {
        if self.state != DestinationHealth::Failing {
            return None;
        }
        if now >= self.next_probe {
            self.set(DestinationHealth::Probing, now, metrics, None);
            return None;
        }
        if now.duration_since(self.last_summary) >= SUMMARY_EVERY {
            metrics.emit(DestinationStillFailing {
                destination: &self.destination,
                down_for: now.duration_since(self.down_since),
                failed_attempts: self.failed_attempts,
                next_probe_in: self.next_probe.duration_since(now),
            });
            self.failed_attempts = 0;
            self.last_summary = now;
        }
        Some(
            self.next_probe
                .duration_since(now)
                .min(SUMMARY_EVERY.saturating_sub(now.duration_since(self.last_summary))),
        )
    }

    /// At most how many deliveries the next claim takes: a probe is one.
    pub fn claim_limit(&self, full: u32) -> u32 {
        match self.state {
            DestinationHealth::Healthy => full,
            DestinationHealth::Failing | DestinationHealth::Probing => 1,
        }
    }

    /// Judges a sent round: nothing reached the destination and something was
    /// tried is a failure of the destination; anything that reached it is a
    /// sign of life.
    pub fn observe(&mut self, attempts: &[Attempt], now: Instant, metrics: &Metrics) -> Verdict {
        let reached = attempts.iter().any(Attempt::reached);
        let failed = attempts
            .iter()
            .filter(|a| matches!(a, Attempt::Retry(_)))
            .count();
        if reached {
            let was = self.state;
            self.failures = 0;
            if was != DestinationHealth::Healthy {
                self.set(DestinationHealth::Healthy, now, metrics, None);
                return Verdict::Recovered;
            }
            return Verdict::Unchanged;
        }
        if failed == 0 {
            return Verdict::Unchanged;
        }
        self.failed_attempts += failed as u64;
        self.failures = self.failures.saturating_add(1);
        if self.state == DestinationHealth::Healthy {
            self.down_since = now;
            self.last_summary = now;
        }
        self.next_probe = now + backoff(&self.retry, self.failures).min(MAX_PROBE_INTERVAL);
        let reason = attempts.iter().find_map(|a| match a {
            Attempt::Retry(reason) => Some(reason.to_string()),
            _ => None,
        });
        self.set(DestinationHealth::Failing, now, metrics, reason.as_deref());
        Verdict::Failed
    }

    fn set(
        &mut self,
        to: DestinationHealth,
        now: Instant,
        metrics: &Metrics,
        reason: Option<&str>,
    ) {
        if self.state == to {
            return;
        }
        let from = std::mem::replace(&mut self.state, to);
        metrics.emit(DestinationChanged {
            destination: &self.destination,
            from,
            to,
            reason,
            down_for: (to == DestinationHealth::Healthy)
                .then(|| now.duration_since(self.down_since)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Failure, Receipt};

    fn retry() -> Retry {
        Retry {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }

    #[test]
    fn fails_once_probes_after_its_backoff_and_recovers() {
        let metrics = Metrics::new();
        let mut health = Health::new("hub", retry(), &metrics);
        let start = Instant::now();
        assert_eq!(health.wait(start, &metrics), None);
        let down = vec![Attempt::Retry(Failure::from("cannot connect")); 50];
        assert_eq!(health.observe(&down, start, &metrics), Verdict::Failed);
        assert_eq!(health.state(), DestinationHealth::Failing);
        assert_eq!(health.claim_limit(500), 1);
        let wait = health.wait(start, &metrics).expect("waits");
        assert!(wait <= Duration::from_millis(200), "{wait:?}");
        // A second failing round is not a change: no new line, a longer wait.
        let later = start + wait;
        assert_eq!(health.wait(later, &metrics), None);
        assert_eq!(health.state(), DestinationHealth::Probing);
        assert_eq!(health.observe(&down[..1], later, &metrics), Verdict::Failed);
        let wait2 = health.wait(later, &metrics).expect("waits again");
        assert!(wait2 >= Duration::from_millis(200), "{wait2:?}");
        let probe = later + wait2;
        assert_eq!(health.wait(probe, &metrics), None);
        let up = vec![Attempt::Delivered(Receipt::default())];
        assert_eq!(health.observe(&up, probe, &metrics), Verdict::Recovered);
        assert_eq!(health.state(), DestinationHealth::Healthy);
        assert_eq!(health.claim_limit(500), 500);
        let text = metrics.render(&[]);
        assert!(
            text.contains("destination_health{destination=\"hub\",state=\"healthy\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn a_refusal_is_a_sign_of_life() {
        let metrics = Metrics::new();
        let mut health = Health::new("hub", retry(), &metrics);
        let refused = vec![
            Attempt::Permanent(Failure::http(422, "invalid")),
            Attempt::Retry(Failure::http(503, "busy")),
        ];
        assert_eq!(
            health.observe(&refused, Instant::now(), &metrics),
            Verdict::Unchanged
        );
        assert_eq!(health.state(), DestinationHealth::Healthy);
    }
}
