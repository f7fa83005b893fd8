//! Typed internal events. Each one writes its log line and moves its metric
//! in one place, so a count and the line that explains it cannot drift apart;
//! the roads only say what happened (`metrics.emit(Accepted { .. })`).

use std::time::Duration;

use uuid::Uuid;

use super::Metrics;
use crate::domain::delivery::DestinationHealth;
use crate::store::Failure;

/// Something that happened, logged and counted by [`Metrics::emit`].
pub trait Event {
    fn emit(self, metrics: &Metrics);
}

/// A message of `partner` was accepted and stored.
#[derive(Debug, Clone, Copy)]
pub struct Accepted<'a> {
    pub message_id: Uuid,
    pub partner: &'a str,
    pub kind: &'a str,
}

impl Event for Accepted<'_> {
    fn emit(self, metrics: &Metrics) {
        let Accepted {
            message_id,
            partner,
            kind,
        } = self;
        tracing::info!(%message_id, partner, kind, "accepted");
        metrics.accepted(partner, kind);
    }
}

/// A resent message was recognised as a duplicate of one already stored.
#[derive(Debug, Clone, Copy)]
pub struct Duplicate<'a> {
    pub message_id: Uuid,
    pub original_message_id: Uuid,
    pub partner: &'a str,
}

impl Event for Duplicate<'_> {
    fn emit(self, metrics: &Metrics) {
        let Duplicate {
            message_id,
            original_message_id,
            partner,
        } = self;
        tracing::info!(%message_id, %original_message_id, partner, "duplicate");
        metrics.duplicate(partner);
    }
}

/// Records of one request or file were rejected (each is reported to the
/// sender with its located errors; the log carries no record contents).
#[derive(Debug, Clone, Copy)]
pub struct Rejected<'a> {
    pub partner: &'a str,
    pub count: u64,
}

impl Event for Rejected<'_> {
    fn emit(self, metrics: &Metrics) {
        metrics.rejected(self.partner, self.count);
    }
}

/// A delivery reached its destination.
#[derive(Debug, Clone, Copy)]
pub struct Delivered<'a> {
    pub message_id: Uuid,
    pub destination: &'a str,
    pub kind: &'a str,
    /// The destination's HTTP status (none for a directory).
    pub status: Option<u16>,
    /// From acceptance to delivery.
    pub latency_seconds: f64,
}

impl Event for Delivered<'_> {
    fn emit(self, metrics: &Metrics) {
        let Delivered {
            message_id,
            destination,
            kind,
            status,
            latency_seconds,
        } = self;
        // Per message at debug: at thousands a second the line would cost more
        // than the delivery; the counter and the destination's health say enough.
        tracing::debug!(%message_id, destination = %destination, ?status, "delivered");
        metrics.delivered(destination, kind, latency_seconds);
    }
}

/// A delivery attempt failed and will be retried after `retry_in`.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryRetried<'a> {
    pub message_id: Uuid,
    pub destination: &'a str,
    pub attempt: u32,
    pub retry_in: Duration,
    pub reason: &'a Failure,
}

impl Event for DeliveryRetried<'_> {
    fn emit(self, metrics: &Metrics) {
        let DeliveryRetried {
            message_id,
            destination,
            attempt,
            retry_in,
            reason,
        } = self;
        let retry_in_ms = retry_in.as_millis() as u64;
        // One line per attempt would flood the log during an outage: the
        // destination's changes of state and its summary say it (see
        // `DestinationChanged`), this detail is for debugging.
        tracing::debug!(%message_id, destination = %destination, attempt, retry_in_ms, %reason, "delivery failed");
        metrics.failure(destination, "retry");
    }
}

/// A delivery failed for good: a permanent refusal, or its last attempt.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryDead<'a> {
    pub message_id: Uuid,
    pub destination: &'a str,
    pub attempt: u32,
    pub reason: &'a Failure,
}

impl Event for DeliveryDead<'_> {
    fn emit(self, metrics: &Metrics) {
        let DeliveryDead {
            message_id,
            destination,
            attempt,
            reason,
        } = self;
        tracing::warn!(%message_id, destination = %destination, attempt, %reason, "delivery dead");
        metrics.failure(destination, "dead");
    }
}

/// The hub answered a message of a country's gateway (`gateway:XX`), counted
/// per gateway and kind; the hub's handlers log nothing per message.
#[derive(Debug, Clone, Copy)]
pub struct HubReceived<'a> {
    pub gateway: &'a str,
    pub kind: &'a str,
}

impl Event for HubReceived<'_> {
    fn emit(self, metrics: &Metrics) {
        metrics.accepted(self.gateway, self.kind);
    }
}

/// A destination's health changed: a warning when it starts failing, a
/// notice when it answers again.
#[derive(Debug, Clone, Copy)]
pub struct DestinationChanged<'a> {
    pub destination: &'a str,
    pub from: DestinationHealth,
    pub to: DestinationHealth,
    /// Why it failed (the first failure of the round).
    pub reason: Option<&'a str>,
    /// How long it was down, when it recovered.
    pub down_for: Option<Duration>,
}

impl Event for DestinationChanged<'_> {
    fn emit(self, metrics: &Metrics) {
        let DestinationChanged {
            destination,
            from,
            to,
            reason,
            down_for,
        } = self;
        match (from, to) {
            (DestinationHealth::Healthy, DestinationHealth::Failing) => {
                tracing::warn!(
                    destination,
                    reason,
                    "destination failing; its deliveries wait for it"
                )
            }
            (_, DestinationHealth::Healthy) => {
                let down_for_s = down_for.map(|d| d.as_secs());
                tracing::info!(
                    destination,
                    down_for_s,
                    "destination answers again; its waiting deliveries are due"
                )
            }
            _ => tracing::debug!(destination, %from, %to, reason, "destination health"),
        }
        metrics.destination_health(destination, to);
    }
}

/// The periodic line while a destination stays down.
#[derive(Debug, Clone, Copy)]
pub struct DestinationStillFailing<'a> {
    pub destination: &'a str,
    pub down_for: Duration,
    /// Failed attempts since the previous line.
    pub failed_attempts: u64,
    pub next_probe_in: Duration,
}

impl Event for DestinationStillFailing<'_> {
    fn emit(self, _metrics: &Metrics) {
        let DestinationStillFailing {
            destination,
            down_for,
            failed_attempts,
            next_probe_in,
        } = self;
        tracing::warn!(
            destination,
            down_for_s = down_for.as_secs(),
            failed_attempts,
            next_probe_in_ms = next_probe_in.as_millis() as u64,
            "destination still failing"
        );
    }
}
