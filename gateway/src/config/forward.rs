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

    /// The `[forward]` table, with its defaults.
    pub(crate) fn forward(&mut self, f: &RawForward) -> Forward {
        let mut d = |v: &Option<Spanned<String>>, key: &str, default: Duration| {
            v.as_ref()
                .and_then(|v| self.duration(v.get_ref(), v.span(), key))
                .unwrap_or(default)
        };
        let default = Forward::default();
        Forward {
            poll_interval: d(
                &f.poll_interval,
                "forward.poll_interval",
                default.poll_interval,
            ),
            lease: d(&f.lease, "forward.lease", default.lease),
            timeout: d(&f.timeout, "forward.timeout", default.timeout),
            batch: f.batch.unwrap_or(default.batch).clamp(1, 1000),
            concurrency: f.concurrency.unwrap_or(default.concurrency).clamp(1, 256),
        }
    }
}
