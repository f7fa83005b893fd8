//! `[forward]` (how the delivery workers claim and send) and the `retry`
//! tables of the hub, the partners and the hub's gateways.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::check::Checker;

#[derive(Debug, Clone)]
pub struct Forward {
    /// How long a worker sleeps when its queue is empty.
    pub poll_interval: Duration,
    pub lease: Duration,
    pub batch: u32,
    /// Deliveries a worker sends at once; each such round is settled in one commit.
    pub concurrency: u32,
    /// Timeout of one outbound HTTP call.
    pub timeout: Duration,
}

impl Default for Forward {
    fn default() -> Forward {
        Forward {
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            batch: 50,
            concurrency: 16,
            timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawForward {
    poll_interval: Option<Spanned<String>>,
    lease: Option<Spanned<String>>,
    batch: Option<u32>,
    concurrency: Option<u32>,
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetry {
    max_attempts: Option<u32>,
    initial_backoff: Option<String>,
    max_backoff: Option<String>,
}

impl Checker<'_> {
    pub(crate) fn retry(&mut self, raw: Option<&Spanned<RawRetry>>, key: &str) -> Retry {
        let mut retry = Retry::default();
        let Some(raw) = raw else {
            return retry;
        };
        let span = raw.span();
        let r = raw.get_ref();
        if let Some(n) = r.max_attempts {
            if n == 0 {
                self.error(
                    span.clone(),
                    format!("{key}.max_attempts"),
                    "must be at least 1",
                );
            }
            retry.max_attempts = n.max(1);
        }
        if let Some(v) = &r.initial_backoff {
            if let Some(d) = self.duration(v, span.clone(), &format!("{key}.initial_backoff")) {
                retry.initial_backoff = d;
            }
        }
        if let Some(v) = &r.max_backoff {
            if let Some(d) = self.duration(v, span.clone(), &format!("{key}.max_backoff")) {
                retry.max_backoff = d;
            }
        }
        if retry.max_backoff < retry.initial_backoff {
            self.error(
                span,
                format!("{key}.max_backoff"),
                "is shorter than initial_backoff",
            );
        }
        retry
    }

    /// The `[forward]` table, with its defaults. A lease must outlast the
    /// outbound call it covers: a delivery whose lease expires while its
    /// request is still in flight is claimed and sent again by another worker.
    /// So `lease` must be longer than `timeout`; when only `lease` is given and
    /// it is shorter than the default timeout, the timeout defaults to three
    /// quarters of it.
    pub(crate) fn forward(&mut self, f: &RawForward) -> Forward {
        let default = Forward::default();
        let poll_interval = self.duration_or(
            f.poll_interval.as_ref(),
            "forward.poll_interval",
            default.poll_interval,
        );
        let lease = self.duration_or(f.lease.as_ref(), "forward.lease", default.lease);
        let timeout = match &f.timeout {
            Some(v) => {
                let timeout = self.duration_or(Some(v), "forward.timeout", default.timeout);
                if lease <= timeout {
                    // Located at the lease when it was given, else at the timeout.
                    let (span, key) = match &f.lease {
                        Some(l) => (l.span(), "forward.lease"),
                        None => (v.span(), "forward.timeout"),
                    };
                    self.error(
                        span,
                        key,
                        format!(
                            "lease ({}) must be longer than timeout ({}): a delivery still in flight when its lease ends is sent again",
                            show(lease),
                            show(timeout)
                        ),
                    );
                }
                timeout
            }
            None => default.timeout.min(lease - lease / 4),
        };
        if let Some(l) = &f.lease {
            if lease.is_zero() {
                self.error(l.span(), "forward.lease", "must be longer than 0");
            }
        }
        Forward {
            poll_interval,
            lease,
            timeout,
            batch: f.batch.unwrap_or(default.batch).clamp(1, 1000),
            concurrency: f.concurrency.unwrap_or(default.concurrency).clamp(1, 256),
        }
    }
}

/// A duration as the configuration files write it (`1500ms`, `2s`).
fn show(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}
