//! The durable store: accepted messages, the delivery outbox, idempotency keys
//! and the trace lifecycle, behind one [`Store`] trait.
//!
//! Two implementations pass the same test suite (`store/tests.rs`):
//! - [`SqliteStore`], the embedded default: one file in WAL mode with
//!   `synchronous=FULL`, so a commit survives a power loss; one writer connection
//!   (every write transaction starts with `BEGIN IMMEDIATE`) and a few readers.
//! - [`PgStore`], chosen when the URL is `postgres://…`: several gateway replicas
//!   may share it; workers claim deliveries with `FOR UPDATE SKIP LOCKED`.
//!
//! [`open`] picks one from the URL and runs the embedded migrations
//! (`store/migrations/{sqlite,postgres}/`).
//!
//! # One store, two dialects
//! What both databases share is written once, generic over a `Dialect` (as
//! sqlx's own code is over `Database`): the [`Store`] operations (`shared.rs`),
//! the transaction steps that insert a batch and append to the audit chain
//! (`dialect.rs`), and the statement texts (`sql.rs`: one text for both, `$N`
//! parameters). `sqlite.rs` and `postgres.rs` keep only what differs: opening,
//! claiming (`BEGIN IMMEDIATE` and two statements vs `FOR UPDATE SKIP LOCKED`
//! in one), how a write transaction starts, the audit chain lock, how a list is
//! bound, and on SQLite the group commit with its writer thread and the
//! checkpoints.
//!
//! The rest is one module per concept: the trait (`interface.rs`), messages and
//! their outcomes (`messages.rs`), accepting (`accept.rs`), deliveries and
//! settling (`deliveries.rs`), traces (`traces.rs`), idempotency keys
//! (`idempotency.rs`), operator listing (`listing.rs`), the audit trail's
//! entries and reads (`audit_log.rs`), rows (`rows.rs`), errors (`error.rs`),
//! opening (`opening.rs`, `pools.rs`). Time and the delivery and trace states live
//! below the store ([`crate::time`], [`crate::domain`]) and are re-exported here.
//!
//! # Time
//! Every timestamp is an integer count of milliseconds since the Unix epoch
//! ([`Millis`], from [`crate::time`]), so both databases compare and index them
//! the same way. The store reads the time from a [`Clock`] ([`SystemClock`]
//! unless [`StoreOptions`] says otherwise); tests drive a [`ManualClock`]. Replicas sharing one PostgreSQL store
//! compare leases written by each other's clocks: keep their clocks synchronised
//! (NTP) and leases much longer than the clock skew.
//!
//! # Deliveries
//! Accepting a message creates one delivery per destination (the caller routes).
//! A delivery moves `queued -> delivering -> delivered`, or from `delivering` to
//! `retry_wait` (then claimable again when its time comes) or `dead` (replayable).
//! A claim takes due deliveries and leases them to a worker until the lease
//! expires; an expired lease is taken over by the next claim, so a dead replica's
//! work is not lost. Only the lease holder may settle a delivery.
//!
//! Per-key ordering: every delivery carries an ordering key ([`ordering_key`]:
//! owner and record id for records, the trace id for traces, the conversation for
//! the rest). A delivery is not claimable while an earlier delivery (lower id)
//! with the same key and destination is not yet delivered, whatever its state,
//! `dead` included: an update never overtakes its create. Ids follow commit order
//! for messages that causally follow each other (a 2xx is sent only after commit).

mod accept;
mod audit_log;
mod deliveries;
mod dialect;
mod error;
#[cfg(test)]
mod heal_tests;
mod idempotency;
mod interface;
mod listing;
mod messages;
mod opening;
mod pools;
mod postgres;
mod rows;
mod shared;
mod sql;
mod sqlite;
#[cfg(test)]
mod tests;
mod traces;

pub use crate::domain::delivery::DeliveryState;
pub use crate::domain::trace::TraceState;
pub use crate::time::{
    end_of_date as due_date_end, millis, now_millis, Clock, ManualClock, Millis, SystemClock,
};
pub use audit_log::record_key_digest;
pub use deliveries::{
    ClaimedDelivery, Delivery, Failure, NextStep, QueueDepth, Receipt, Settlement,
};
pub use error::{BoxError, ConflictReason, StoreError};
pub use idempotency::Idempotency;
pub use interface::Store;
pub use listing::{Cursor, MessageFilter, MessagePage, MAX_PAGE};
pub use messages::{
    ordering_key, AcceptOutcome, DuplicateReason, MessageView, NaturalKey, NewMessage,
    StoredMessage,
};
pub use opening::{backend_of, open, open_with, Backend, StoreOptions};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use traces::{Trace, Transition};

#[cfg(test)]
pub(crate) use accept::CHUNK_SIZES;
pub(crate) use accept::{
    check_same_message, chunks, deliveries_of, delivery_rows, mark_repeats, outcomes, prepare,
    version_i64, NewDelivery, Prepared,
};
pub(crate) use audit_log::{
    accept_events, replay_event, retry_dead_events, DeadDelivery, DeliverySubject,
};
pub(crate) use deliveries::{after_failure, queue_depths};
pub(crate) use error::DbResult;
pub(crate) use idempotency::idempotency_of;
pub(crate) use listing::views;
pub(crate) use opening::create_private_file;
pub(crate) use rows::{ClaimedRow, DeliveryRow, MessageRow, TraceRow};
pub(crate) use traces::{check_transition, TransitionStamps};
