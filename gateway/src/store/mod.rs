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
//! # Time
//! Every timestamp is an integer count of milliseconds since the Unix epoch
//! ([`Millis`]), so both databases compare and index them the same way. The store
//! reads the time from a [`Clock`] ([`SystemClock`] unless [`StoreOptions`] says
//! otherwise); tests drive a [`ManualClock`]. Replicas sharing one PostgreSQL store
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

/// Column lists as macros, so that statements built with `concat!` stay `&'static str`.
/// Every integer column is 64-bit in both schemas.
macro_rules! delivery_columns {
    () => {
        "d.id, m.message_id, d.destination, d.ordering_key, d.state, d.attempts, d.due_at, \
         d.lease_owner, d.lease_expires_at, d.last_error, d.created_at, d.updated_at, \
         d.delivered_at, d.receipt_remote_id, d.receipt_status, d.receipt_detail"
    };
}

macro_rules! claimed_columns {
    () => {
        concat!(delivery_columns!(), ", m.kind, m.correlation_id, m.body")
    };
}

macro_rules! message_columns {
    () => {
        "m.seq, m.message_id, m.correlation_id, m.kind, m.source_partner, m.received_at, \
         m.ordering_key, m.owner_country, m.owner_agency, m.record_id, m.record_version, m.body"
    };
}

macro_rules! trace_columns {
    () => {
        "trace_id, request_message_id, requesting_country, requested_country, state, due_at, \
         submitted_at, delivered_at, acknowledged_at, closed_at, updated_at"
    };
}

mod postgres;
mod sql;
mod sqlite;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use iarms_adapters::model::Message;
use iarms_adapters::MessageKind;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{self, Action, AuditEntry, AuditEvent, Origin};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

/// Errors of the store. Database driver errors are kept as the `source`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported store URL `{0}`: expected `sqlite:PATH`, `sqlite::memory:`, a file path or `postgres://…`")]
    UnsupportedUrl(String),
    /// The database cannot be reached (connection refused, pool exhausted): retry later.
    #[error("the store is unavailable: {0}")]
    Unavailable(#[source] BoxError),
    #[error("database error: {0}")]
    Database(#[source] BoxError),
    #[error("cannot migrate the store: {0}")]
    Migration(#[source] BoxError),
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    #[error("trace `{trace_id}` cannot go from {from} to {to}")]
    TraceTransition {
        trace_id: String,
        from: TraceState,
        to: TraceState,
    },
    /// A stored row does not decode (an unknown state or kind, a body that is not a message).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("invalid store request: {0}")]
    Invalid(String),
}

/// The boxed source of a [`StoreError`]; the driver's error type stays private.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl StoreError {
    /// Whether the same call may succeed later (the database was unreachable or busy).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Converts driver errors at the edge of each backend without a public `From` impl.
pub(crate) trait DbResult<T> {
    fn db(self) -> Result<T, StoreError>;
}

impl<T> DbResult<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(db_error)
    }
}

pub(crate) fn db_error(error: sqlx::Error) -> StoreError {
    let transient = match &error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
                code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
            } else {
                // PostgreSQL: connection exceptions (class 08), serialization failure,
                // deadlock, too many connections, shutting down, starting up.
                code.starts_with("08")
                    || ["40001", "40P01", "53300", "57P01", "57P02", "57P03"]
                        .contains(&code.as_ref())
            }
        }
        _ => false,
    };
    if transient {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Database(Box::new(error))
    }
}

// ---------------------------------------------------------------------------
// Time

/// Where the store reads the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Millis;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(millis)
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to: for tests of leases, retries and expiry.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Millis) -> ManualClock {
        ManualClock(AtomicI64::new(start))
    }

    pub fn set(&self, now: Millis) {
        self.0.store(now, Ordering::SeqCst);
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(millis(by), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// A duration in whole milliseconds, saturating.
pub fn millis(duration: Duration) -> Millis {
    Millis::try_from(duration.as_millis()).unwrap_or(Millis::MAX)
}

// ---------------------------------------------------------------------------
// Opening

/// Which database a store uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to open a store. `Default` suits production.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub clock: Arc<dyn Clock>,
    /// PostgreSQL: the pool size. SQLite: the number of reader connections (writes
    /// always go through one connection).
    pub max_connections: u32,
    /// How long a caller waits for a connection, and SQLite for a lock held by
    /// another process, before the store reports [`StoreError::Unavailable`].
    pub busy_timeout: Duration,
    /// PostgreSQL only: the schema that holds the tables (created if missing), so
    /// several gateways or test runs can share one database. `None`: the server's
    /// default search path.
    pub schema: Option<String>,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            clock: Arc::new(SystemClock),
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
            schema: None,
        }
    }
}

/// Opens the store named by `url` with default options and brings its schema up to date.
///
/// `postgres://…` or `postgresql://…` opens PostgreSQL; `sqlite:PATH`,
/// `sqlite://PATH`, `sqlite::memory:` or a plain file path opens SQLite (the file is
/// created if missing).
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, StoreOptions::default()).await
}

/// [`open`] with explicit options.
pub async fn open_with(url: &str, options: StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    match backend_of(url)? {
        Backend::Sqlite => Ok(Arc::new(SqliteStore::open(url, options).await?)),
        Backend::Postgres => Ok(Arc::new(PgStore::connect(url, options).await?)),
    }
}

/// Which backend a store URL names.
pub fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else if url.starts_with("sqlite:") || (!url.is_empty() && !url.contains("://")) {
        Ok(Backend::Sqlite)
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}

// ---------------------------------------------------------------------------
// The trait

/// The gateway's durable state. Every method that writes returns only after its
/// transaction has committed.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    fn backend(&self) -> Backend;

    /// Checks that the database answers (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;

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
    /// oldest due first: `queued` ones, `retry_wait` ones whose time has come and
    /// `delivering` ones whose lease expired. Each claim counts one attempt.
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
    /// / `dead` (the error only as a digest and its HTTP status). One commit for a
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

    /// [`Store::settle`] for one failed attempt: retry later or dead.
    async fn mark_failed(
        &self,
        delivery_id: i64,
        worker_id: &str,
        error: &str,
        next: NextStep,
    ) -> Result<bool, StoreError> {
        let outcome = Settlement::Failed {
            error: error.to_string(),
            next,
        };
        Ok(self
            .settle(worker_id, &[(delivery_id, outcome)])
            .await?
            .contains(&true))
    }

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
    /// delivered right now, with a `replayed` audit entry naming `actor`. Returns
    /// how many; [`StoreError::NotFound`] for an unknown id.
    async fn replay(&self, message_id: Uuid, actor: &str) -> Result<u64, StoreError>;

    /// Queues the dead deliveries again (fresh attempts), for one destination or
    /// all, with a `retry_dead` audit entry per delivery (one with `queued: 0`
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
}

/// The largest page [`Store::list_messages`] returns.
pub const MAX_PAGE: u32 = 1000;

// ---------------------------------------------------------------------------
// Messages

/// A validated canonical message to store, with where it came from and where it goes.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub message: Message,
    /// The partner (or `hub`) it came from.
    pub source_partner: String,
    /// One delivery per distinct destination, decided by the caller's routing.
    pub destinations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AcceptOutcome {
    Accepted {
        message_id: Uuid,
    },
    Duplicate {
        message_id: Uuid,
        /// The stored message this one repeats (itself when the id repeats).
        original_message_id: Uuid,
        reason: DuplicateReason,
    },
}

impl AcceptOutcome {
    pub fn message_id(&self) -> Uuid {
        match self {
            AcceptOutcome::Accepted { message_id }
            | AcceptOutcome::Duplicate { message_id, .. } => *message_id,
        }
    }

    pub fn is_accepted(&self) -> bool {
        matches!(self, AcceptOutcome::Accepted { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same message id was stored before.
    MessageId,
    /// A record with the same owner country, owner agency, record id and version was.
    NaturalKey,
}

/// A record's identity across resends: a resend of the same version is a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NaturalKey {
    pub owner_country: String,
    pub owner_agency: String,
    pub record_id: String,
    pub version: u32,
}

impl NaturalKey {
    pub fn of(message: &Message) -> Option<NaturalKey> {
        match message {
            Message::Record(r) => Some(NaturalKey {
                owner_country: r.owner_country.clone(),
                owner_agency: r.owner_agency.clone(),
                record_id: r.record_id.clone(),
                version: r.version,
            }),
            _ => None,
        }
    }
}

/// The key under which deliveries to one destination keep their order: the record
/// (owner country, owner agency, record id) for records, the trace for trace
/// requests and responses, the conversation (correlation id) for the rest.
/// JSON-encoded so that no two different keys can collide.
pub fn ordering_key(message: &Message) -> String {
    let parts: Vec<&str> = match message {
        Message::Record(r) => vec!["record", &r.owner_country, &r.owner_agency, &r.record_id],
        Message::TraceRequest(t) => vec!["trace", &t.trace_id],
        Message::TraceResponse(t) => vec!["trace", &t.trace_id],
        Message::Search(_) | Message::HitNotification(_) => {
            return format!("[\"conversation\",\"{}\"]", message.header().correlation_id);
        }
    };
    serde_json::to_string(&parts).unwrap_or_default()
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMessage {
    /// Order of arrival in this store.
    pub seq: i64,
    pub message_id: Uuid,
    pub correlation_id: Uuid,
    #[serde(serialize_with = "serialize_kind")]
    pub kind: MessageKind,
    pub source_partner: String,
    pub received_at: Millis,
    pub ordering_key: String,
    pub natural_key: Option<NaturalKey>,
    /// The canonical JSON, exactly as stored.
    pub body: String,
}

impl StoredMessage {
    pub fn message(&self) -> Result<Message, StoreError> {
        parse_body(&self.body, self.message_id)
    }
}

fn serialize_kind<S: serde::Serializer>(kind: &MessageKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.tag())
}

fn parse_body(body: &str, message_id: Uuid) -> Result<Message, StoreError> {
    serde_json::from_str(body).map_err(|e| {
        StoreError::Corrupt(format!("message {message_id}: body does not decode: {e}"))
    })
}

/// A message and its deliveries, for operators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageView {
    pub message: StoredMessage,
    pub deliveries: Vec<Delivery>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Messages with at least one delivery in this state.
    pub state: Option<DeliveryState>,
    pub kind: Option<MessageKind>,
    pub partner: Option<String>,
}

/// Where a page of [`Store::list_messages`] stopped; opaque to callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(i64);

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Cursor {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Cursor, StoreError> {
        s.parse::<i64>()
            .ok()
            .filter(|seq| *seq > 0)
            .map(Cursor)
            .ok_or_else(|| StoreError::Invalid(format!("`{s}` is not a cursor")))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessagePage {
    pub items: Vec<MessageView>,
    /// Present when more messages may follow.
    #[serde(serialize_with = "serialize_cursor")]
    pub next: Option<Cursor>,
}

fn serialize_cursor<S: serde::Serializer>(
    cursor: &Option<Cursor>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match cursor {
        Some(c) => s.serialize_some(&c.to_string()),
        None => s.serialize_none(),
    }
}

// ---------------------------------------------------------------------------
// Deliveries

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Queued,
    Delivering,
    RetryWait,
    Delivered,
    Dead,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 5] = [
        DeliveryState::Queued,
        DeliveryState::Delivering,
        DeliveryState::RetryWait,
        DeliveryState::Delivered,
        DeliveryState::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Delivering => "delivering",
            DeliveryState::RetryWait => "retry_wait",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeliveryState {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<DeliveryState, StoreError> {
        DeliveryState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| StoreError::Invalid(format!("unknown delivery state `{s}`")))
    }
}

/// One message on its way to one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub message_id: Uuid,
    pub destination: String,
    pub ordering_key: String,
    pub state: DeliveryState,
    /// Claims so far (each claim is one attempt).
    pub attempts: u32,
    /// When it becomes claimable (`queued`, `retry_wait`).
    pub next_attempt_at: Option<Millis>,
    /// The worker holding (`delivering`) or that last held the lease.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<Millis>,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub delivered_at: Option<Millis>,
    pub receipt: Option<Receipt>,
}

/// A delivery leased to a worker, with what it must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub delivery: Delivery,
    pub kind: MessageKind,
    pub correlation_id: Uuid,
    /// The canonical JSON of the message.
    pub body: String,
}

impl ClaimedDelivery {
    /// The message to encode for the destination.
    pub fn message(&self) -> Result<Message, StoreError> {
        parse_body(&self.body, self.delivery.message_id)
    }
}

/// What the receiver said when it took a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The receiver's own id for the message, if it gave one.
    pub remote_id: Option<String>,
    /// The HTTP status of the successful delivery (none for directory sinks).
    pub status: Option<u16>,
    /// Anything else worth keeping (the file written, the receiver's message).
    pub detail: Option<String>,
}

/// How one delivery attempt ended, for [`Store::settle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Delivered(Receipt),
    /// The attempt failed with `error`; `next` says whether to retry.
    Failed {
        error: String,
        next: NextStep,
    },
}

/// What happens after a failed attempt; the forwarder's retry policy decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// `retry_wait`, claimable again after this delay.
    RetryAfter(Duration),
    /// `dead`: no more attempts until an operator replays it.
    Dead,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    pub destination: String,
    pub state: DeliveryState,
    pub count: u64,
}

// ---------------------------------------------------------------------------
// Idempotency

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotency {
    /// No request with this key (lookup), or the response is now stored (remember).
    New,
    /// The same request was answered before: send this response again.
    Replay(String),
    /// The key was used for a different request.
    Conflict,
}

// ---------------------------------------------------------------------------
// Traces

/// The business state of a trace request.
///
/// `submitted -> delivered -> acknowledged -> answered | declined | expired | cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceState {
    Submitted,
    Delivered,
    Acknowledged,
    Answered,
    Declined,
    Expired,
    Cancelled,
}

impl TraceState {
    pub const ALL: [TraceState; 7] = [
        TraceState::Submitted,
        TraceState::Delivered,
        TraceState::Acknowledged,
        TraceState::Answered,
        TraceState::Declined,
        TraceState::Expired,
        TraceState::Cancelled,
    ];

    /// The states a trace may still leave.
    pub const OPEN: [TraceState; 3] = [
        TraceState::Submitted,
        TraceState::Delivered,
        TraceState::Acknowledged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TraceState::Submitted => "submitted",
            TraceState::Delivered => "delivered",
            TraceState::Acknowledged => "acknowledged",
            TraceState::Answered => "answered",
            TraceState::Declined => "declined",
            TraceState::Expired => "expired",
            TraceState::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        !TraceState::OPEN.contains(&self)
    }

    fn rank(self) -> u8 {
        match self {
            TraceState::Submitted => 0,
            TraceState::Delivered => 1,
            TraceState::Acknowledged => 2,
            _ => 3,
        }
    }

    /// Forward only: an open state may move to any later open state (a step can be
    /// skipped, e.g. an answer may arrive before the acknowledgement is recorded) or
    /// to any final state; final states never change.
    pub fn can_move_to(self, to: TraceState) -> bool {
        !self.is_terminal() && to.rank() > self.rank()
    }
}

impl fmt::Display for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TraceState {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<TraceState, StoreError> {
        TraceState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| StoreError::Invalid(format!("unknown trace state `{s}`")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub trace_id: String,
    /// The trace request that started it.
    pub request_message_id: Uuid,
    pub requesting_country: String,
    pub requested_country: String,
    pub state: TraceState,
    /// The end of the request's due date (UTC), if it had one.
    pub due_at: Option<Millis>,
    pub submitted_at: Millis,
    pub delivered_at: Option<Millis>,
    pub acknowledged_at: Option<Millis>,
    /// When it reached a final state.
    pub closed_at: Option<Millis>,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub from: TraceState,
    pub to: TraceState,
    /// `false` when the trace was already in `to`.
    pub changed: bool,
}

/// The end (exclusive, UTC) of an ISO 8601 date as the trace's due time:
/// `2024-03-07` -> 2024-03-08T00:00Z; partial dates end with their month or year;
/// a date-time uses its date. `None` when it is not such a date.
pub fn due_date_end(date: &str) -> Option<Millis> {
    let date = date.split_once('T').map_or(date, |(day, _)| day);
    let parts: Vec<&str> = date.split('-').collect();
    let year = parse_digits(parts.first()?, 4)?;
    let month = |m: &str| parse_digits(m, 2).filter(|m| (1..=12).contains(m));
    let days = match parts.as_slice() {
        [_] => days_from_civil(year + 1, 1, 1),
        [_, m] => match month(m)? {
            12 => days_from_civil(year + 1, 1, 1),
            m => days_from_civil(year, m + 1, 1),
        },
        [_, m, d] => {
            let m = month(m)?;
            let d = parse_digits(d, 2).filter(|d| (1..=days_in_month(year, m)).contains(d))?;
            days_from_civil(year, m, d) + 1
        }
        _ => return None,
    };
    Some(days * 86_400_000)
}

fn parse_digits(s: &str, len: usize) -> Option<i64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// ---------------------------------------------------------------------------
// Rows shared by both backends (every integer column is 64-bit in both schemas).

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    id: i64,
    message_id: Uuid,
    destination: String,
    ordering_key: String,
    state: String,
    attempts: i64,
    due_at: Option<i64>,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
    delivered_at: Option<i64>,
    receipt_remote_id: Option<String>,
    receipt_status: Option<i64>,
    receipt_detail: Option<String>,
}

impl DeliveryRow {
    pub(crate) fn into_delivery(self) -> Result<Delivery, StoreError> {
        let state = parse_stored::<DeliveryState>(&self.state, "delivery state")?;
        let next_attempt_at = match state {
            DeliveryState::Queued | DeliveryState::RetryWait => self.due_at,
            _ => None,
        };
        let receipt = (state == DeliveryState::Delivered
            || self.receipt_remote_id.is_some()
            || self.receipt_status.is_some())
        .then(|| Receipt {
            remote_id: self.receipt_remote_id,
            status: self.receipt_status.and_then(|s| u16::try_from(s).ok()),
            detail: self.receipt_detail,
        });
        Ok(Delivery {
            id: self.id,
            message_id: self.message_id,
            destination: self.destination,
            ordering_key: self.ordering_key,
            state,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            next_attempt_at,
            lease_owner: self.lease_owner,
            lease_expires_at: self.lease_expires_at,
            last_error: self.last_error,
            created_at: self.created_at,
            updated_at: self.updated_at,
            delivered_at: self.delivered_at,
            receipt,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ClaimedRow {
    #[sqlx(flatten)]
    delivery: DeliveryRow,
    kind: String,
    correlation_id: Uuid,
    body: String,
}

impl ClaimedRow {
    pub(crate) fn into_claimed(self) -> Result<ClaimedDelivery, StoreError> {
        Ok(ClaimedDelivery {
            kind: parse_kind(&self.kind)?,
            correlation_id: self.correlation_id,
            body: self.body,
            delivery: self.delivery.into_delivery()?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct MessageRow {
    seq: i64,
    message_id: Uuid,
    correlation_id: Uuid,
    kind: String,
    source_partner: String,
    received_at: i64,
    ordering_key: String,
    owner_country: Option<String>,
    owner_agency: Option<String>,
    record_id: Option<String>,
    record_version: Option<i64>,
    body: String,
}

impl MessageRow {
    pub(crate) fn into_stored(self) -> Result<StoredMessage, StoreError> {
        let natural_key = match (
            self.owner_country,
            self.owner_agency,
            self.record_id,
            self.record_version,
        ) {
            (Some(owner_country), Some(owner_agency), Some(record_id), Some(version)) => {
                Some(NaturalKey {
                    owner_country,
                    owner_agency,
                    record_id,
                    version: u32::try_from(version).unwrap_or(u32::MAX),
                })
            }
            _ => None,
        };
        Ok(StoredMessage {
            seq: self.seq,
            message_id: self.message_id,
            correlation_id: self.correlation_id,
            kind: parse_kind(&self.kind)?,
            source_partner: self.source_partner,
            received_at: self.received_at,
            ordering_key: self.ordering_key,
            natural_key,
            body: self.body,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TraceRow {
    trace_id: String,
    request_message_id: Uuid,
    requesting_country: String,
    requested_country: String,
    state: String,
    due_at: Option<i64>,
    submitted_at: i64,
    delivered_at: Option<i64>,
    acknowledged_at: Option<i64>,
    closed_at: Option<i64>,
    updated_at: i64,
}

impl TraceRow {
    pub(crate) fn into_trace(self) -> Result<Trace, StoreError> {
        Ok(Trace {
            state: parse_stored::<TraceState>(&self.state, "trace state")?,
            trace_id: self.trace_id,
            request_message_id: self.request_message_id,
            requesting_country: self.requesting_country,
            requested_country: self.requested_country,
            due_at: self.due_at,
            submitted_at: self.submitted_at,
            delivered_at: self.delivered_at,
            acknowledged_at: self.acknowledged_at,
            closed_at: self.closed_at,
            updated_at: self.updated_at,
        })
    }
}

fn parse_stored<T: FromStr>(value: &str, what: &str) -> Result<T, StoreError> {
    value
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown {what} `{value}`")))
}

fn parse_kind(tag: &str) -> Result<MessageKind, StoreError> {
    MessageKind::from_tag(tag)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown message kind `{tag}`")))
}

/// Groups the deliveries of joined rows under their messages, keeping message order.
pub(crate) fn views(
    messages: Vec<MessageRow>,
    deliveries: Vec<DeliveryRow>,
) -> Result<Vec<MessageView>, StoreError> {
    let mut views = messages
        .into_iter()
        .map(|row| {
            Ok(MessageView {
                message: row.into_stored()?,
                deliveries: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let index: std::collections::HashMap<Uuid, usize> = views
        .iter()
        .enumerate()
        .map(|(i, v)| (v.message.message_id, i))
        .collect();
    for row in deliveries {
        let delivery = row.into_delivery()?;
        if let Some(&i) = index.get(&delivery.message_id) {
            views[i].deliveries.push(delivery);
        }
    }
    Ok(views)
}

// ---------------------------------------------------------------------------
// Accepting, shared: what each backend inserts.

/// One message of a batch, prepared for insertion.
pub(crate) struct Prepared {
    pub(crate) message_id: Uuid,
    pub(crate) correlation_id: Uuid,
    pub(crate) kind: &'static str,
    pub(crate) source_partner: String,
    pub(crate) ordering_key: String,
    pub(crate) natural_key: Option<NaturalKey>,
    /// Shared, so binding it to an INSERT copies no text.
    pub(crate) body: Arc<str>,
    pub(crate) destinations: Vec<String>,
    /// Trace requests: (trace_id, requesting_country, requested_country, due_at).
    pub(crate) trace: Option<(String, String, String, Option<Millis>)>,
    /// An earlier message of the same batch has the same id ([`mark_repeats`]).
    pub(crate) repeat_in_batch: bool,
}

/// Marks each message whose id an earlier message of the batch already has. The
/// batch is what one transaction inserts: one request, or on SQLite a group of
/// concurrent requests.
pub(crate) fn mark_repeats<'a>(batch: impl IntoIterator<Item = &'a mut Prepared>) {
    let mut seen = HashSet::new();
    for p in batch {
        p.repeat_in_batch = !seen.insert(p.message_id);
    }
}

/// Serialises and keys a batch before any transaction starts. Owned, so that it
/// can wait for the SQLite group writer.
pub(crate) fn prepare(batch: &[NewMessage]) -> Result<Vec<Prepared>, StoreError> {
    batch
        .iter()
        .map(|new| {
            let message = &new.message;
            let header = message.header();
            let body = serde_json::to_string(message).map_err(|e| {
                StoreError::Invalid(format!(
                    "message {}: cannot serialise: {e}",
                    header.message_id
                ))
            })?;
            let mut destinations: Vec<String> = Vec::with_capacity(new.destinations.len());
            for destination in &new.destinations {
                if destination.is_empty() {
                    return Err(StoreError::Invalid(format!(
                        "message {}: empty destination",
                        header.message_id
                    )));
                }
                if !destinations.contains(destination) {
                    destinations.push(destination.clone());
                }
            }
            let trace = match message {
                Message::TraceRequest(t) => Some((
                    t.trace_id.clone(),
                    t.requesting_country.clone(),
                    t.requested_country.clone(),
                    t.due_date.as_deref().and_then(due_date_end),
                )),
                _ => None,
            };
            Ok(Prepared {
                message_id: header.message_id,
                correlation_id: header.correlation_id,
                kind: message.kind().tag(),
                source_partner: new.source_partner.clone(),
                ordering_key: ordering_key(message),
                natural_key: NaturalKey::of(message),
                body: body.into(),
                destinations,
                trace,
                repeat_in_batch: false,
            })
        })
        .collect()
}

/// Rows per multi-row statement, largest first: the first is well under both
/// databases' bind-parameter limits. A batch is cut into these sizes only, so
/// a handful of statement texts serve every batch and stay in the connection's
/// prepared-statement cache (a new size would be parsed and planned anew).
pub(crate) const CHUNK_SIZES: [usize; 5] = [500, 100, 20, 5, 1];

/// `items` in consecutive slices of [`CHUNK_SIZES`] rows.
pub(crate) fn chunks<T>(items: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        let size = CHUNK_SIZES
            .iter()
            .copied()
            .find(|size| *size <= rest.len())?;
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        Some(chunk)
    })
}

pub(crate) fn version_i64(key: &NaturalKey) -> i64 {
    i64::from(key.version)
}

// ---------------------------------------------------------------------------
// Small decisions shared by both backends.

pub(crate) fn idempotency_of(stored: Option<(String, String)>, request_hash: &str) -> Idempotency {
    match stored {
        None => Idempotency::New,
        Some((hash, response)) if hash == request_hash => Idempotency::Replay(response),
        Some(_) => Idempotency::Conflict,
    }
}

/// The state and next due time after a failed attempt.
pub(crate) fn after_failure(now: Millis, next: NextStep) -> (DeliveryState, Option<Millis>) {
    match next {
        NextStep::RetryAfter(delay) => (
            DeliveryState::RetryWait,
            Some(now.saturating_add(millis(delay))),
        ),
        NextStep::Dead => (DeliveryState::Dead, None),
    }
}

pub(crate) fn queue_depths(
    rows: Vec<(String, String, i64)>,
) -> Result<Vec<QueueDepth>, StoreError> {
    rows.into_iter()
        .map(|(destination, state, count)| {
            Ok(QueueDepth {
                destination,
                state: parse_stored(&state, "delivery state")?,
                count: u64::try_from(count).unwrap_or(0),
            })
        })
        .collect()
}

/// The trace's current state if it may move to `to` (or is already there).
pub(crate) fn check_transition(
    trace_id: &str,
    row: Option<TraceRow>,
    to: TraceState,
) -> Result<TraceState, StoreError> {
    let from = row
        .ok_or_else(|| StoreError::NotFound {
            what: "trace",
            id: trace_id.to_string(),
        })?
        .into_trace()?
        .state;
    if from == to || from.can_move_to(to) {
        Ok(from)
    } else {
        Err(StoreError::TraceTransition {
            trace_id: trace_id.to_string(),
            from,
            to,
        })
    }
}

/// The timestamps a transition to `to` sets (`None` leaves a column as it is).
pub(crate) struct TransitionStamps {
    pub(crate) now: Millis,
    pub(crate) delivered_at: Option<Millis>,
    pub(crate) acknowledged_at: Option<Millis>,
    pub(crate) closed_at: Option<Millis>,
}

impl TransitionStamps {
    pub(crate) fn new(now: Millis, to: TraceState) -> TransitionStamps {
        TransitionStamps {
            now,
            delivered_at: (to == TraceState::Delivered).then_some(now),
            acknowledged_at: (to == TraceState::Acknowledged).then_some(now),
            closed_at: to.is_terminal().then_some(now),
        }
    }
}

/// The outcome of each message of a batch, in order, from what the insert took
/// (`accepted`: id -> seq), which refused ids were already stored, and the original
/// of each refused record that repeats a natural key.
pub(crate) fn outcomes(
    batch: &[&Prepared],
    accepted: &HashMap<Uuid, i64>,
    known_ids: &HashSet<Uuid>,
    originals: &HashMap<Uuid, Uuid>,
) -> Result<Vec<AcceptOutcome>, StoreError> {
    batch
        .iter()
        .map(|p| {
            let message_id = p.message_id;
            if p.repeat_in_batch || known_ids.contains(&message_id) {
                Ok(AcceptOutcome::Duplicate {
                    message_id,
                    original_message_id: message_id,
                    reason: DuplicateReason::MessageId,
                })
            } else if accepted.contains_key(&message_id) {
                Ok(AcceptOutcome::Accepted { message_id })
            } else {
                let original = originals.get(&message_id).ok_or_else(|| {
                    StoreError::Corrupt(format!("message {message_id} refused for no known reason"))
                })?;
                Ok(AcceptOutcome::Duplicate {
                    message_id,
                    original_message_id: *original,
                    reason: DuplicateReason::NaturalKey,
                })
            }
        })
        .collect()
}

/// (message seq, destination, ordering key) for every delivery of the accepted
/// messages, in batch order so that delivery ids follow arrival.
pub(crate) fn delivery_rows<'a>(
    firsts: &[&'a Prepared],
    accepted: &HashMap<Uuid, i64>,
) -> Vec<(i64, &'a str, &'a str)> {
    firsts
        .iter()
        .filter_map(|p| accepted.get(&p.message_id).map(|seq| (*seq, *p)))
        .flat_map(|(seq, p)| {
            p.destinations
                .iter()
                .map(move |d| (seq, d.as_str(), p.ordering_key.as_str()))
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Audit entries, shared: what each backend appends in its transactions.

/// A delivery created by an accept: (delivery id, message id, destination).
pub(crate) type NewDelivery = (i64, Uuid, String);

/// The deliveries created by an accept, by message: (delivery id, destination).
pub(crate) type DeliveriesOf<'a> = HashMap<Uuid, Vec<(i64, &'a str)>>;

pub(crate) fn deliveries_of(deliveries: &[NewDelivery]) -> DeliveriesOf<'_> {
    let mut of: DeliveriesOf<'_> = HashMap::with_capacity(deliveries.len());
    for (delivery_id, message_id, destination) in deliveries {
        of.entry(*message_id)
            .or_default()
            .push((*delivery_id, destination.as_str()));
    }
    of
}

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
    ) -> AuditEvent {
        match outcome {
            Settlement::Delivered(receipt) => self.delivered(worker_id, delivery_id, receipt),
            Settlement::Failed { error, next } => self.failed(worker_id, delivery_id, error, *next),
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
        }
        event
    }

    /// The error is free text (it may quote the receiver): only its HTTP status
    /// and its digest are kept.
    pub(crate) fn failed(
        &self,
        worker_id: &str,
        delivery_id: i64,
        error: &str,
        next: NextStep,
    ) -> AuditEvent {
        let action = match next {
            NextStep::RetryAfter(_) => Action::Failed,
            NextStep::Dead => Action::Dead,
        };
        let mut event = self.event(worker_id, action, delivery_id);
        if let serde_json::Value::Object(details) = &mut event.details {
            if let Some(status) = http_status_of(error) {
                details.insert("http_status".into(), status.into());
            }
            details.insert("error_sha256".into(), audit::digest(error).into());
            if let NextStep::RetryAfter(delay) = next {
                details.insert("retry_in_ms".into(), millis(delay).into());
            }
        }
        event
    }
}

/// The status of a forwarder error of the form `HTTP 503: …`.
fn http_status_of(error: &str) -> Option<u16> {
    let rest = error.strip_prefix("HTTP ")?;
    let code = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    code.parse().ok().filter(|c| (100..600).contains(c))
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
