//! Prometheus metrics (prometheus-client), rendered as text at `GET /metrics`.
//! They are counted through the typed events of [`super::events`] only, so
//! that every count goes with its log line.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::domain::delivery::DestinationHealth;
use crate::store::QueueDepth;

type Labels = Vec<(String, String)>;

/// Every metric the gateway exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    messages_in: Family<Labels, Counter>,
    rejected: Family<Labels, Counter>,
    duplicates: Family<Labels, Counter>,
    delivered: Family<Labels, Counter>,
    failures: Family<Labels, Counter>,
    queue_depth: Family<Labels, Gauge>,
    latency: Family<Labels, Histogram>,
    health: Family<Labels, Gauge>,
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("iarms_gateway");
        let messages_in = Family::<Labels, Counter>::default();
        let rejected = Family::<Labels, Counter>::default();
        let duplicates = Family::<Labels, Counter>::default();
        let delivered = Family::<Labels, Counter>::default();
        let failures = Family::<Labels, Counter>::default();
        let queue_depth = Family::<Labels, Gauge>::default();
        let health = Family::<Labels, Gauge>::default();
        let latency = Family::<Labels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.005, 2.0, 16))) as fn() -> Histogram,
        );
        registry.register(
            "messages_in",
            "Messages accepted, per source partner and kind",
            messages_in.clone(),
        );
        registry.register(
            "records_rejected",
            "Records rejected by decoding, normalisation or validation, per partner",
            rejected.clone(),
        );
        registry.register(
            "messages_duplicate",
            "Resent messages recognised as duplicates, per partner",
            duplicates.clone(),
        );
        registry.register(
            "messages_delivered",
            "Deliveries completed, per destination and kind",
            delivered.clone(),
        );
        registry.register(
            "delivery_failures",
            "Failed delivery attempts, per destination and outcome (retry, dead)",
            failures.clone(),
        );
        registry.register(
            "queue_depth",
            "Undelivered deliveries per destination and state",
            queue_depth.clone(),
        );
        registry.register(
            "delivery_latency_seconds",
            "Time from acceptance to delivery, per destination",
            latency.clone(),
        );
        registry.register(
            "destination_health",
            "1 for the state each destination's worker sees it in (healthy, failing, probing), 0 for the others",
            health.clone(),
        );
        Metrics {
            health,
            registry,
            messages_in,
            rejected,
            duplicates,
            delivered,
            failures,
            queue_depth,
            latency,
        }
    }

    pub(super) fn accepted(&self, partner: &str, kind: &str) {
        self.messages_in
            .get_or_create(&labels(&[("partner", partner), ("kind", kind)]))
            .inc();
    }

    pub(super) fn rejected(&self, partner: &str, n: u64) {
        if n > 0 {
            self.rejected
                .get_or_create(&labels(&[("partner", partner)]))
                .inc_by(n);
        }
    }

    pub(super) fn duplicate(&self, partner: &str) {
        self.duplicates
            .get_or_create(&labels(&[("partner", partner)]))
            .inc();
    }

    pub(super) fn delivered(&self, destination: &str, kind: &str, latency_seconds: f64) {
        self.delivered
            .get_or_create(&labels(&[("destination", destination), ("kind", kind)]))
            .inc();
        self.latency
            .get_or_create(&labels(&[("destination", destination)]))
            .observe(latency_seconds.max(0.0));
    }

    pub(super) fn failure(&self, destination: &str, outcome: &str) {
        self.failures
            .get_or_create(&labels(&[
                ("destination", destination),
                ("outcome", outcome),
            ]))
            .inc();
    }

    /// Sets the health gauges of `destination` (its worker starts healthy; later
    /// changes come through `DestinationChanged`).
    pub fn destination_health(&self, destination: &str, state: DestinationHealth) {
        for s in DestinationHealth::ALL {
            self.health
                .get_or_create(&labels(&[
                    ("destination", destination),
                    ("state", s.as_str()),
                ]))
                .set(i64::from(s == state));
        }
    }

    /// Logs and counts `event`.
    pub fn emit(&self, event: impl super::events::Event) {
        event.emit(self);
    }

    /// The text exposition, with the queue depth just read from the store.
    pub fn render(&self, depth: &[QueueDepth]) -> String {
        self.queue_depth.clear();
        for d in depth {
            self.queue_depth
                .get_or_create(&labels(&[
                    ("destination", &d.destination),
                    ("state", d.state.as_str()),
                ]))
                .set(d.count as i64);
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
