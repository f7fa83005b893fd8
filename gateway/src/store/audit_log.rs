//! The audit trail in the store: the entries each operation appends in its own
//! transaction, and the log read back for verification, export and listing.

use async_trait::async_trait;
use serde_json::json;
use uuid::Uuid;

use super::accept::{DeliveriesOf, Prepared};
use super::{AcceptOutcome, Failure, NaturalKey, NextStep, Receipt, Settlement, Store, StoreError};
use crate::audit::{
    self, Action, AuditEntry, AuditEvent, AuditLog, Checkpoint, Origin, StoredBody, StoredDelivery,
};
use crate::time::{millis, Millis};

/// The entries of an accepted batch, in batch order: per message `accepted` (with
/// the format it was translated from, when the origin names one, and the
/// deliveries it was queued for) or `duplicate`; then the origin's own entries.
pub(crate) fn accept_events(
    batch: &[&Prepared],
    outcomes: &[AcceptOutcome],
    deliveries_of: &DeliveriesOf<'_>,
    origin: &Origin,
) -> Vec<AuditEvent> {
    let mut events = Vec::with_capacity(batch.len() + origin.also.len());
    let actor = origin.actor.as_str();
    for (p, outcome) in batch.iter().zip(outcomes) {
        let subject = p.message_id.to_string();
        let base = |action| {
            AuditEvent::new(actor, action)
                .subject(subject.clone())
                .kind(p.kind)
                .partner(p.source_partner.as_str())
        };
        match outcome {
            AcceptOutcome::Accepted { .. } => {
                // One entry per message records it accepted, the format it was
                // translated from and where it was queued: all three happen in
                // this one transaction.
                let mut details = serde_json::Map::new();
                if let Some(format) = &origin.format {
                    details.insert("format".into(), format.as_str().into());
                }
                let forwarded: Vec<serde_json::Value> = deliveries_of
                    .get(&p.message_id)
                    .into_iter()
                    .flatten()
                    .map(|(delivery_id, destination)| {
                        json!({ "destination": destination, "delivery_id": delivery_id })
                    })
                    .collect();
                details.insert("forwarded".into(), forwarded.into());
                // What `audit verify` re-hashes the stored body against.
                details.insert("body_sha256".into(), audit::body_digest(&p.body).into());
                if let Some(signature) = &origin.signature {
                    details.insert("signature".into(), signature.as_str().into());
                }
                if let Some(key) = &p.natural_key {
                    details.insert("record_key_sha256".into(), record_key_digest(key).into());
                    details.insert("version".into(), key.version.into());
                }
                if let Some((trace_id, ..)) = &p.trace {
                    details.insert("trace_id_sha256".into(), audit::digest(trace_id).into());
                }
                events.push(base(Action::Accepted).details(details.into()));
            }
            AcceptOutcome::Duplicate {
                original_message_id,
                reason,
                ..
            } => events.push(base(Action::Duplicate).details(json!({
                "original_message_id": original_message_id,
                "reason": reason,
            }))),
        }
    }
    events.extend(origin.also.iter().cloned());
    events
}

/// SHA-256 of a record's identity (owner country, owner agency, record id as a
/// JSON array), shared by all its versions.
pub fn record_key_digest(key: &NaturalKey) -> String {
    audit::digest(&json!([key.owner_country, key.owner_agency, key.record_id]).to_string())
}

/// The message a delivery carries, for its audit entries.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DeliverySubject {
    message_id: Uuid,
    kind: String,
    destination: String,
    attempts: i64,
}

impl DeliverySubject {
    pub(crate) fn message_id(&self) -> Uuid {
        self.message_id
    }

    fn event(&self, actor: &str, action: Action, delivery_id: i64) -> AuditEvent {
        AuditEvent::new(actor, action)
            .subject(self.message_id.to_string())
            .kind(self.kind.clone())
            .partner(self.destination.clone())
            .details(json!({ "delivery_id": delivery_id, "attempts": self.attempts }))
    }

    /// The audit entry of a settled attempt.
    pub(crate) fn settled(
        &self,
        worker_id: &str,
        delivery_id: i64,
        outcome: &Settlement,
    ) -> Option<AuditEvent> {
        match outcome {
            Settlement::Delivered(receipt) => Some(self.delivered(worker_id, delivery_id, receipt)),
            Settlement::Failed { error, next } => {
                Some(self.failed(worker_id, delivery_id, error, *next))
            }
            Settlement::Unsent => None,
        }
    }

    pub(crate) fn delivered(
        &self,
        worker_id: &str,
        delivery_id: i64,
        receipt: &Receipt,
    ) -> AuditEvent {
        let mut event = self.event(worker_id, Action::Delivered, delivery_id);
        if let serde_json::Value::Object(details) = &mut event.details {
            if let Some(status) = receipt.status {
                details.insert("http_status".into(), status.into());
            }
            if let Some(remote_id) = &receipt.remote_id {
                details.insert("remote_id_sha256".into(), audit::digest(remote_id).into());
            }
            let state = audit::delivery_state_digest(
                delivery_id,
                &self.message_id,
                &self.destination,
                "delivered",
                receipt.status.map(i64::from),
                receipt.remote_id.as_deref(),
            );
            details.insert("state_sha256".into(), state.into());
        }
        event
    }

    /// The error's text may quote the receiver: only its HTTP status and the
    /// digest of its text are kept.
    pub(crate) fn failed(
        &self,
        worker_id: &str,
        delivery_id: i64,
        error: &Failure,
        next: NextStep,
    ) -> AuditEvent {
        let action = match next {
            NextStep::RetryAfter(_) => Action::Failed,
            NextStep::Dead => Action::Dead,
        };
        let mut event = self.event(worker_id, action, delivery_id);
        if let serde_json::Value::Object(details) = &mut event.details {
            if let Some(status) = error.http_status() {
                details.insert("http_status".into(), status.into());
            }
            let text = error.to_string();
            details.insert("error_sha256".into(), audit::digest(&text).into());
            match next {
                NextStep::RetryAfter(delay) => {
                    details.insert("retry_in_ms".into(), millis(delay).into());
                }
                NextStep::Dead => {
                    let state = audit::delivery_state_digest(
                        delivery_id,
                        &self.message_id,
                        &self.destination,
                        "dead",
                        None,
                        None,
                    );
                    details.insert("state_sha256".into(), state.into());
                }
            }
        }
        event
    }
}

/// The `replayed` entry of an operator's replay.
pub(crate) fn replay_event(actor: &str, message_id: Uuid, kind: &str, queued: u64) -> AuditEvent {
    AuditEvent::new(actor, Action::Replayed)
        .subject(message_id.to_string())
        .kind(kind)
        .details(json!({ "queued": queued }))
}

/// A dead delivery about to be queued again: (delivery id, message id, kind, destination).
pub(crate) type DeadDelivery = (i64, Uuid, String, String);

/// The `retry_dead` entries: one per delivery queued again, or one saying none was.
pub(crate) fn retry_dead_events(
    actor: &str,
    destination: Option<&str>,
    dead: &[DeadDelivery],
) -> Vec<AuditEvent> {
    if dead.is_empty() {
        let mut event = AuditEvent::new(actor, Action::RetryDead).details(json!({ "queued": 0 }));
        event.partner = destination.map(str::to_string);
        return vec![event];
    }
    dead.iter()
        .map(|(delivery_id, message_id, kind, destination)| {
            AuditEvent::new(actor, Action::RetryDead)
                .subject(message_id.to_string())
                .kind(kind.clone())
                .partner(destination.clone())
                .details(json!({ "delivery_id": delivery_id }))
        })
        .collect()
}

/// Verification, export and listing read a store's log through its own reads.
#[async_trait]
impl<S: Store + ?Sized> AuditLog for S {
    type Error = StoreError;

    async fn entries_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_entries(after_seq, limit).await
    }

    async fn seq_span(&self, from: Millis, to: Millis) -> Result<Option<(i64, i64)>, StoreError> {
        self.audit_span(from, to).await
    }

    async fn head(&self) -> Result<Option<(i64, String)>, StoreError> {
        self.audit_head().await
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        self.audit_checkpoints().await
    }

    async fn last_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        self.last_audit_checkpoint().await
    }

    async fn add_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        self.add_audit_checkpoint(checkpoint).await
    }

    async fn bodies_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredBody>, StoreError> {
        self.message_bodies(after_seq, limit).await
    }

    async fn deliveries_after(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredDelivery>, StoreError> {
        self.delivery_states(after_id, limit).await
    }
}
