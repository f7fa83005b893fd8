//! The [`Store`] trait: what every backend offers the gateway.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use uuid::Uuid;

#[cfg(doc)]
use super::Failure;
#[cfg(doc)]
use super::MAX_PAGE;
use super::{
    AcceptOutcome, Backend, ClaimedDelivery, Cursor, Idempotency, MessageFilter, MessagePage,
    MessageView, NewMessage, NextStep, QueueDepth, Receipt, Settlement, StoreError, Trace,
    TraceState, Transition,
};
use crate::audit::{AuditEntry, AuditEvent, Checkpoint, Origin, StoredBody, StoredDelivery};
use crate::time::Millis;

/// The gateway's durable state. Every method that writes returns only after its
/// transaction has committed.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    fn backend(&self) -> Backend;

    /// Checks that the database answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Whether the store takes writes (for `/readyz`): a probe write (one
    /// row) commits, and the latest accept did not fail for the store's sake
    /// (a full disk, an unreachable database) with none succeeding since, in
    /// the last ten seconds. A request's own faults (a broken constraint)
    /// do not count.
    async fn ready(&self) -> Result<(), StoreError>;

    /// Closes the connections; later calls fail with [`StoreError::Unavailable`].
    async fn close(&self);

    // -- accepting ---------------------------------------------------------

    /// Stores a batch in one transaction and returns one outcome per message, in
    /// order. An accepted message gets one `queued` delivery per distinct
    /// destination; an accepted trace request also starts its trace (`submitted`).
    /// A message whose id was seen before, or a record whose natural key (owner
    /// country, owner agency, record id, version) was, is a duplicate: nothing is
    /// stored for it, and the outcome names the original.
    ///
    /// The same transaction appends the audit entries (see [`crate::audit`]):
    /// `translated` (when `origin` names a format) and `accepted` or `duplicate`
    /// per message, `forwarded` per delivery, then `origin.also`. A batch with no
    /// messages still appends `origin.also`.
    async fn accept(
        &self,
        batch: &[NewMessage],
        origin: &Origin,
    ) -> Result<Vec<AcceptOutcome>, StoreError>;

    /// What the store knows about a request carrying `key` from `partner`:
    /// [`Idempotency::New`] if nothing, the stored response if the request hash
    /// matches, [`Idempotency::Conflict`] if the key was used for another request.
    async fn lookup_idempotency(
        &self,
        partner: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<Idempotency, StoreError>;

    /// Stores the response to a request carrying `key`. Returns
    /// [`Idempotency::New`] when it was stored, or what [`Store::lookup_idempotency`]
    /// would have said when a concurrent request stored first.
    async fn remember_idempotency(
        &self,
        partner: &str,
        key: &str,
        request_hash: &str,
        response: &str,
    ) -> Result<Idempotency, StoreError>;

    /// Forgets idempotency keys stored more than `age` ago; returns how many.
    async fn purge_idempotency(&self, age: Duration) -> Result<u64, StoreError>;

    // -- the outbox ----------------------------------------------------------

    /// Atomically leases up to `limit` due deliveries to `worker_id` for `lease`,
    /// `delivering` ones whose lease expired first (a dead replica's work is not
    /// left behind the backlog), then the others oldest due first: `queued` ones
    /// and `retry_wait` ones whose time has come. Each claim counts one attempt
    /// ([`Settlement::Unsent`] gives back one that was not sent).
    /// `destination: None` claims for every destination. Respects per-key ordering.
    async fn claim(
        &self,
        worker_id: &str,
        destination: Option<&str>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;

    /// Records how delivery attempts ended, all in one transaction, each with its
    /// audit entry (actor: the worker): `delivered` with its receipt, or `failed`
    /// / `dead` (the error only as a digest and its HTTP status; a dead one's
    /// later deliveries of the same record and destination become `blocked`). One commit for a
    /// whole round of deliveries: a commit waits for the disk, so one per delivery
    /// would bound the forwarder by the disk's sync rate. Returns, per item, `false`
    /// (that item unchanged) when `worker_id` no longer holds its lease.
    async fn settle(
        &self,
        worker_id: &str,
        outcomes: &[(i64, Settlement)],
    ) -> Result<Vec<bool>, StoreError>;

    /// [`Store::settle`] for one successful delivery.
    async fn mark_delivered(
        &self,
        delivery_id: i64,
        worker_id: &str,
        receipt: &Receipt,
    ) -> Result<bool, StoreError> {
        let outcome = (delivery_id, Settlement::Delivered(receipt.clone()));
        Ok(self.settle(worker_id, &[outcome]).await?.contains(&true))
    }

    /// [`Store::settle`] for one failed attempt that got no HTTP answer
    /// ([`Failure::Other`]): retry later or dead.
    async fn mark_failed(
        &self,
        delivery_id: i64,
        worker_id: &str,
        error: &str,
        next: NextStep,
    ) -> Result<bool, StoreError> {
        let outcome = Settlement::Failed {
            error: error.into(),
            next,
        };
        Ok(self
            .settle(worker_id, &[(delivery_id, outcome)])
            .await?
            .contains(&true))
    }

    /// Blocks the `queued` deliveries to `destination` that wait behind a dead
    /// one of the same record (accepted after it went dead; those already
    /// waiting are blocked when it dies). Returns how many.
    async fn block_behind_dead(&self, destination: &str) -> Result<u64, StoreError>;

    /// Makes every `retry_wait` delivery to `destination` due now (the
    /// destination answers again after an outage: its backlog need not wait out
    /// each delivery's own backoff). Returns how many.
    async fn make_due(&self, destination: &str) -> Result<u64, StoreError>;

    /// Gives back every lease `worker_id` holds (graceful shutdown): the deliveries
    /// become `queued` and the attempt is not counted. Returns how many.
    async fn release(&self, worker_id: &str) -> Result<u64, StoreError>;

    // -- the operator's view ------------------------------------------------

    /// A message with its deliveries.
    async fn get_message(&self, message_id: Uuid) -> Result<Option<MessageView>, StoreError>;

    /// Messages, newest first, matching every filter that is set; `limit` is capped
    /// at [`MAX_PAGE`]. Pass the returned cursor to get the next page.
    async fn list_messages(
        &self,
        filter: &MessageFilter,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<MessagePage, StoreError>;

    /// Queues every delivery of a message again (fresh attempts), except those being
    /// delivered right now, with a `replayed` audit entry naming `actor`; the
    /// deliveries it blocked are queued again too, to go after it in order. Returns
    /// how many; [`StoreError::NotFound`] for an unknown id.
    async fn replay(&self, message_id: Uuid, actor: &str) -> Result<u64, StoreError>;

    /// Queues the dead deliveries again (fresh attempts), and those they blocked,
    /// for one destination or all, with a `retry_dead` audit entry per delivery (one with `queued: 0`
    /// when there is none) naming `actor`.
    async fn retry_dead(&self, destination: Option<&str>, actor: &str) -> Result<u64, StoreError>;

    /// Number of undelivered deliveries per destination and state (never `delivered`).
    async fn queue_depth(&self) -> Result<Vec<QueueDepth>, StoreError>;

    // -- traces ---------------------------------------------------------------

    async fn get_trace(&self, trace_id: &str) -> Result<Option<Trace>, StoreError>;

    /// Moves a trace to `to` if the lifecycle allows it ([`TraceState::can_move_to`]).
    /// Already in `to`: nothing changes (`changed: false`). Not allowed:
    /// [`StoreError::TraceTransition`] naming both states. Unknown: [`StoreError::NotFound`].
    async fn transition(&self, trace_id: &str, to: TraceState) -> Result<Transition, StoreError>;

    /// Expires every open trace whose due time has passed; returns their ids.
    async fn expire_due(&self) -> Result<Vec<String>, StoreError>;

    /// Up to `limit` traces whose state the gateway of `country` must still tell
    /// the hub: acknowledged where `country` was asked, cancelled where it asked.
    async fn traces_to_tell(&self, country: &str, limit: u32) -> Result<Vec<Trace>, StoreError>;

    /// Records that the hub now knows the trace is in `state`.
    async fn told_hub(&self, trace_id: &str, state: TraceState) -> Result<(), StoreError>;
    // -- the audit trail ---------------------------------------------------------

    /// Appends entries to the audit trail in one transaction (what is refused
    /// before it reaches the store: rejected records, refused hub submissions).
    async fn audit(&self, events: &[AuditEvent]) -> Result<(), StoreError>;

    /// Up to `limit` entries (capped at [`MAX_PAGE`]) after `after_seq`, in order.
    async fn audit_entries(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// The last `limit` entries (capped at [`MAX_PAGE`]) about `subject` (a
    /// message id), oldest first.
    async fn audit_of_subject(
        &self,
        subject: &str,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// The first and last seq of the entries stamped in `[from, to)`; `None` when
    /// there are none.
    async fn audit_span(&self, from: Millis, to: Millis) -> Result<Option<(i64, i64)>, StoreError>;

    /// The entry with the highest seq, as `(seq, hash)`.
    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError>;

    /// Every signed checkpoint of the chain's head, oldest first.
    async fn audit_checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError>;

    /// The most recent signed checkpoint.
    async fn last_audit_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError>;

    /// Stores a signed checkpoint.
    async fn add_audit_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;

    /// Up to `limit` (capped at [`MAX_PAGE`]) stored message bodies after
    /// message `after_seq`, in order (`audit verify` re-hashes them).
    async fn message_bodies(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredBody>, StoreError>;

    /// Up to `limit` (capped at [`MAX_PAGE`]) delivery states after delivery
    /// `after_id`, in order (`audit verify` re-hashes them).
    async fn delivery_states(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredDelivery>, StoreError>;
}
