//! The statements, as text. Most are one text for both dialects: parameters are
//! `$N`, which sqlx's SQLite driver binds by number as PostgreSQL does. The few
//! that differ (claiming, rows locked `FOR UPDATE`, the chain's advisory lock)
//! carry their dialect in their name and are picked by `sqlite.rs` and
//! `postgres.rs` (`Dialect`'s statement constants).

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
        concat!(
            delivery_columns!(),
            ", m.kind, m.trace_id, m.correlation_id, m.body"
        )
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

pub(crate) const PING: &str = "SELECT 1";
/// The readiness probe's write (migration 0009): one row, one page.
pub(crate) const PROBE_WRITE: &str = "UPDATE store_probe SET probed_at = $1 WHERE id = 1";

// -- accepting ----------------------------------------------------------------

/// Head of the multi-row insert; rows are pushed with `QueryBuilder::push_values`.
pub(crate) const INSERT_MESSAGES_HEAD: &str = "INSERT INTO messages (message_id, correlation_id, \
     kind, source_partner, received_at, ordering_key, owner_country, owner_agency, record_id, \
     record_version, trace_id, body) ";

/// Tail of the message insert: a repeated id or natural key inserts nothing and
/// returns nothing, so the returned ids are exactly the accepted messages.
pub(crate) const INSERT_MESSAGES_TAIL: &str = " ON CONFLICT DO NOTHING RETURNING message_id, seq";

pub(crate) const INSERT_DELIVERIES_HEAD: &str =
    "INSERT INTO deliveries (message_seq, destination, \
     ordering_key, state, attempts, due_at, created_at, updated_at) ";

/// The created deliveries, for their `forwarded` audit entries.
pub(crate) const INSERT_DELIVERIES_TAIL: &str = " RETURNING id, message_seq, destination";

/// Which of a list of refused ids are stored, with their sender and body, to
/// tell a duplicate (same sender, same body) from a conflict; the list (`IN …`)
/// is the dialect's.
pub(crate) const KNOWN_MESSAGE_IDS_HEAD: &str =
    "SELECT message_id, source_partner, body FROM messages WHERE message_id IN ";

pub(crate) const FIND_BY_NATURAL_KEY: &str = "SELECT message_id FROM messages \
     WHERE owner_country = $1 AND owner_agency = $2 AND record_id = $3 AND record_version = $4";

pub(crate) const INSERT_TRACE: &str = "INSERT INTO traces (trace_id, request_message_id, \
     requesting_country, requested_country, state, due_at, submitted_at, updated_at) \
     VALUES ($1, $2, $3, $4, 'submitted', $5, $6, $6) ON CONFLICT (trace_id) DO NOTHING";

// -- idempotency ----------------------------------------------------------------

pub(crate) const LOOKUP_IDEMPOTENCY: &str =
    "SELECT request_hash, response FROM idempotency_keys WHERE partner = $1 AND key = $2";

pub(crate) const REMEMBER_IDEMPOTENCY: &str = "INSERT INTO idempotency_keys \
     (partner, key, request_hash, response, created_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (partner, key) DO NOTHING";

pub(crate) const PURGE_IDEMPOTENCY: &str = "DELETE FROM idempotency_keys WHERE created_at < $1";

// -- the outbox ---------------------------------------------------------------------

/// Only the lease holder settles a delivery: a worker whose lease was taken over
/// changes nothing. The last error is kept as history.
pub(crate) const MARK_DELIVERED: &str = "UPDATE deliveries SET state = 'delivered', \
     due_at = NULL, lease_expires_at = NULL, delivered_at = $1, updated_at = $1, \
     receipt_remote_id = $2, receipt_status = $3, receipt_detail = $4 \
     WHERE id = $5 AND state = 'delivering' AND lease_owner = $6";

/// `$1` is `retry_wait` (with `$2` the next attempt) or `dead` (with `$2` NULL).
pub(crate) const MARK_FAILED: &str = "UPDATE deliveries SET state = $1, due_at = $2, \
     lease_expires_at = NULL, last_error = $3, updated_at = $4 \
     WHERE id = $5 AND state = 'delivering' AND lease_owner = $6";

/// A claimed delivery that was never sent goes back to the queue, due now, and
/// its claim's attempt is not counted. `$1` now, `$2` id, `$3` worker.
pub(crate) const UNSENT: &str = "UPDATE deliveries SET state = 'queued', \
     attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, due_at = $1, \
     lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
     WHERE id = $2 AND state = 'delivering' AND lease_owner = $3";

/// A destination's waiting deliveries, due now. `$1` now, `$2` destination.
pub(crate) const MAKE_DUE: &str = "UPDATE deliveries SET due_at = $1, updated_at = $1 \
     WHERE destination = $2 AND state = 'retry_wait' AND due_at > $1";

/// The later undelivered deliveries of a dead one's record and destination
/// become `blocked`, naming it. `$1` now, `$2` the dead delivery's id, `$3` reason.
pub(crate) const BLOCK_SUCCESSORS: &str = "UPDATE deliveries SET state = 'blocked', \
     due_at = NULL, last_error = $3, updated_at = $1 \
     WHERE state IN ('queued', 'retry_wait') AND id > $2 \
       AND destination = (SELECT destination FROM deliveries WHERE id = $2) \
       AND ordering_key = (SELECT ordering_key FROM deliveries WHERE id = $2)";

/// Deliveries queued after their record's delivery went dead (accepted later):
/// blocked too. `$1` now, `$2` destination, `$3` reason.
pub(crate) const BLOCK_BEHIND_DEAD: &str = "UPDATE deliveries SET state = 'blocked', \
     due_at = NULL, updated_at = $1, last_error = $3 \
     WHERE destination = $2 AND state = 'queued' AND EXISTS (SELECT 1 FROM deliveries e \
       WHERE e.destination = deliveries.destination AND e.ordering_key = deliveries.ordering_key \
         AND e.state = 'dead' AND e.id < deliveries.id)";

/// Blocked deliveries with no dead one before them any more (it was replayed or
/// retried) go back to the queue; the claim's ordering rule sends them in order.
/// `$1` now.
pub(crate) const RELEASE_BLOCKED: &str = "UPDATE deliveries SET state = 'queued', \
     due_at = $1, last_error = NULL, updated_at = $1 \
     WHERE state = 'blocked' AND NOT EXISTS (SELECT 1 FROM deliveries e \
       WHERE e.destination = deliveries.destination AND e.ordering_key = deliveries.ordering_key \
         AND e.state = 'dead' AND e.id < deliveries.id)";

/// The released attempt is not counted.
pub(crate) const RELEASE: &str = "UPDATE deliveries SET state = 'queued', \
     attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, due_at = $1, \
     lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
     WHERE state = 'delivering' AND lease_owner = $2";

/// The claim's second half: the claimed rows with their messages (SQLite; PostgreSQL
/// claims and reads in one statement).
pub(crate) const SELECT_CLAIMED_BY_IDS_SQLITE: &str = concat!(
    "SELECT ",
    claimed_columns!(),
    " FROM deliveries d JOIN messages m ON m.seq = d.message_seq \
     WHERE d.id IN (SELECT value FROM json_each($1)) ORDER BY d.id"
);

/// The ordering rule, shared by every claim: no earlier undelivered delivery with
/// the same key to the same destination (index `deliveries_pending_key`).
macro_rules! no_earlier_pending {
    () => {
        " AND NOT EXISTS (SELECT 1 FROM deliveries e \
           WHERE e.destination = d.destination AND e.ordering_key = d.ordering_key \
             AND e.state <> 'delivered' AND e.id < d.id)"
    };
}

/// Due deliveries, expired leases first: a replica that died leaves its leased
/// deliveries `delivering` with a due time at their lease expiry, later than
/// the backlog queued before them; ordered by due time alone they waited behind
/// it. Two bounded index scans (the leased rows are few) joined and cut to the
/// limit, so no claim sorts the backlog. `$where` selects the destination(s),
/// `$limit` is the limit's parameter.
macro_rules! due_leases_first {
    ($where:expr, $limit:expr) => {
        concat!(
            "SELECT id FROM (\
               SELECT id, pri, due_at FROM (SELECT d.id, 0 AS pri, d.due_at FROM deliveries d \
                 WHERE ",
            $where,
            " AND d.state = 'delivering' AND d.due_at IS NOT NULL \
                 AND d.due_at <= $3",
            no_earlier_pending!(),
            " ORDER BY d.due_at, d.id LIMIT ",
            $limit,
            ") leased \
               UNION ALL \
               SELECT id, pri, due_at FROM (SELECT d.id, 1 AS pri, d.due_at FROM deliveries d \
                 WHERE ",
            $where,
            " AND d.due_at IS NOT NULL AND d.due_at <= $3",
            no_earlier_pending!(),
            " ORDER BY d.due_at, d.id LIMIT ",
            $limit,
            ") due \
             ) picked GROUP BY id ORDER BY MIN(pri), MIN(due_at), id LIMIT ",
            $limit
        )
    };
}

/// Due deliveries for one destination. `$3` now, `$4` destination, `$5` limit.
macro_rules! due_for_destination {
    () => {
        due_leases_first!("d.destination = $4", "$5")
    };
}

/// Due deliveries for every destination. `$3` now, `$4` limit.
macro_rules! due_for_all {
    () => {
        due_leases_first!("1 = 1", "$4")
    };
}

/// What a claim sets. `$1` worker, `$2` lease expiry, `$3` now.
macro_rules! lease_set {
    () => {
        "SET state = 'delivering', attempts = attempts + 1, lease_owner = $1, \
         lease_expires_at = $2, due_at = $2, updated_at = $3"
    };
}

/// SQLite: runs inside `BEGIN IMMEDIATE`, so no other writer sees the rows between
/// the choice and the update.
pub(crate) const CLAIM_DESTINATION_SQLITE: &str = concat!(
    "UPDATE deliveries ",
    lease_set!(),
    " WHERE id IN (",
    due_for_destination!(),
    ") RETURNING id"
);

pub(crate) const CLAIM_ALL_SQLITE: &str = concat!(
    "UPDATE deliveries ",
    lease_set!(),
    " WHERE id IN (",
    due_for_all!(),
    ") RETURNING id"
);

/// PostgreSQL: rows are locked as they are chosen and rows locked by another
/// claimer are skipped (`SKIP LOCKED`); a row another claimer updated meanwhile is
/// re-checked against the outer WHERE clause (its due time) when locked, so it
/// drops out. The CTE is materialised so the LIMIT applies once.
macro_rules! claim_postgres {
    ($due:expr) => {
        concat!(
            "WITH picked AS MATERIALIZED (SELECT d.id FROM deliveries d WHERE d.id IN (",
            $due,
            ") AND d.due_at IS NOT NULL AND d.due_at <= $3 FOR UPDATE OF d SKIP LOCKED), claimed AS (UPDATE deliveries AS d ",
            lease_set!(),
            " FROM picked WHERE d.id = picked.id RETURNING d.*) SELECT ",
            claimed_columns!(),
            " FROM claimed d JOIN messages m ON m.seq = d.message_seq ORDER BY d.id"
        )
    };
}

pub(crate) const CLAIM_DESTINATION_POSTGRES: &str = claim_postgres!(due_for_destination!());

pub(crate) const CLAIM_ALL_POSTGRES: &str = claim_postgres!(due_for_all!());

// -- the operator's view --------------------------------------------------------------

pub(crate) const GET_MESSAGE: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m WHERE m.message_id = $1"
);

pub(crate) const DELIVERIES_OF_MESSAGE: &str = concat!(
    "SELECT ",
    delivery_columns!(),
    " FROM deliveries d JOIN messages m ON m.seq = d.message_seq \
     WHERE d.message_seq = $1 ORDER BY d.id"
);

/// Head of the dynamic listing; filters are appended as `AND …`.
pub(crate) const LIST_MESSAGES_HEAD: &str = concat!(
    "SELECT ",
    message_columns!(),
    " FROM messages m WHERE 1 = 1"
);

pub(crate) const LIST_FILTER_STATE: &str = " AND EXISTS (SELECT 1 FROM deliveries d \
     WHERE d.message_seq = m.seq AND d.state = ";

/// Head of the deliveries of a page of messages; `(seq, …)` is appended.
pub(crate) const DELIVERIES_OF_MESSAGES_HEAD: &str = concat!(
    "SELECT ",
    delivery_columns!(),
    " FROM deliveries d JOIN messages m ON m.seq = d.message_seq WHERE d.message_seq IN "
);

/// Everything but in-flight deliveries goes back to the queue with fresh attempts.
pub(crate) const REPLAY: &str = "UPDATE deliveries SET state = 'queued', attempts = 0, \
     due_at = $1, lease_owner = NULL, lease_expires_at = NULL, delivered_at = NULL, \
     receipt_remote_id = NULL, receipt_status = NULL, receipt_detail = NULL, updated_at = $1 \
     WHERE message_seq = (SELECT seq FROM messages WHERE message_id = $2) \
       AND state <> 'delivering'";

pub(crate) const RETRY_DEAD_ALL: &str = "UPDATE deliveries SET state = 'queued', attempts = 0, \
     due_at = $1, lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
     WHERE state = 'dead'";

pub(crate) const RETRY_DEAD_DESTINATION: &str = "UPDATE deliveries SET state = 'queued', \
     attempts = 0, due_at = $1, lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
     WHERE state = 'dead' AND destination = $2";

pub(crate) const QUEUE_DEPTH: &str = "SELECT destination, state, COUNT(*) AS count \
     FROM deliveries WHERE state IN ('queued', 'delivering', 'retry_wait', 'dead', 'blocked') \
     GROUP BY destination, state ORDER BY destination, state";

// -- traces -----------------------------------------------------------------------------

pub(crate) const GET_TRACE: &str = concat!(
    "SELECT ",
    trace_columns!(),
    " FROM traces WHERE trace_id = $1"
);

/// Compare-and-set from the state that was read: a concurrent change makes it miss.
pub(crate) const TRANSITION_TRACE: &str = "UPDATE traces SET state = $1, updated_at = $2, \
     delivered_at = COALESCE($3, delivered_at), acknowledged_at = COALESCE($4, acknowledged_at), \
     closed_at = COALESCE($5, closed_at) WHERE trace_id = $6 AND state = $7";

pub(crate) const EXPIRE_DUE: &str = "UPDATE traces SET state = 'expired', updated_at = $1, \
     closed_at = $1 \
     WHERE state IN ('submitted', 'delivered', 'acknowledged') AND due_at IS NOT NULL \
       AND due_at <= $1 RETURNING trace_id";

pub(crate) const GET_TRACE_FOR_UPDATE: &str = concat!(
    "SELECT ",
    trace_columns!(),
    " FROM traces WHERE trace_id = $1 FOR UPDATE"
);

/// Traces whose latest state this gateway must still tell the hub: its own
/// acknowledgements (it was asked) and cancellations (it asked), oldest first.
pub(crate) const TRACES_TO_TELL: &str = concat!(
    "SELECT ",
    trace_columns!(),
    " FROM traces WHERE ((state = 'acknowledged' AND requested_country = $1) \
       OR (state = 'cancelled' AND requesting_country = $1)) \
       AND (hub_state IS NULL OR hub_state <> state) ORDER BY updated_at LIMIT $2"
);

pub(crate) const TOLD_HUB: &str = "UPDATE traces SET hub_state = $2 WHERE trace_id = $1";
// -- the audit trail ------------------------------------------------------------------

macro_rules! audit_columns {
    () => {
        "seq, at, actor, action, subject, kind, partner, details, prev_hash, hash"
    };
}

/// The chain head, read under the append lock.
pub(crate) const AUDIT_HEAD: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";

/// Head of the multi-row insert; rows are pushed with `QueryBuilder::push_values`.
pub(crate) const INSERT_AUDIT_HEAD: &str =
    concat!("INSERT INTO audit_log (", audit_columns!(), ") ");

/// PostgreSQL: the chain's append lock, one per schema, held until the
/// transaction ends, so replicas sharing the store append one after another.
pub(crate) const AUDIT_LOCK_POSTGRES: &str =
    "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.audit_log'))";

/// Entries after `$1`, in order, at most `$2`.
pub(crate) const AUDIT_ENTRIES: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
);

/// The last `$2` entries about subject `$1`, newest first (index `audit_log_subject`).
pub(crate) const AUDIT_OF_SUBJECT: &str = concat!(
    "SELECT ",
    audit_columns!(),
    " FROM audit_log WHERE subject = $1 ORDER BY seq DESC LIMIT $2"
);

/// The first and last seq of the entries with `$1 <= at < $2`.
pub(crate) const AUDIT_SPAN: &str =
    "SELECT MIN(seq), MAX(seq) FROM audit_log WHERE at >= $1 AND at < $2";

/// The signed checkpoints of the chain's head, oldest first.
pub(crate) const AUDIT_CHECKPOINTS: &str = "SELECT seq, head_hash, at, public_key, signature \
     FROM audit_checkpoints ORDER BY id";

pub(crate) const LAST_AUDIT_CHECKPOINT: &str = "SELECT seq, head_hash, at, public_key, \
     signature FROM audit_checkpoints ORDER BY id DESC LIMIT 1";

pub(crate) const INSERT_AUDIT_CHECKPOINT: &str = "INSERT INTO audit_checkpoints \
     (seq, head_hash, at, public_key, signature) VALUES ($1, $2, $3, $4, $5)";

/// Stored bodies after message `$1`, at most `$2`, for `audit verify`.
pub(crate) const MESSAGE_BODIES: &str = "SELECT seq, message_id, body FROM messages \
     WHERE seq > $1 ORDER BY seq LIMIT $2";

/// Delivery states after delivery `$1`, at most `$2`, for `audit verify`.
pub(crate) const DELIVERY_STATES: &str = "SELECT d.id, m.message_id, d.destination, d.state, \
     d.receipt_status, d.receipt_remote_id FROM deliveries d \
     JOIN messages m ON m.seq = d.message_seq WHERE d.id > $1 ORDER BY d.id LIMIT $2";

/// The message id and destination of a delivery, for its audit entries.
pub(crate) const DELIVERY_SUBJECT: &str = "SELECT m.message_id, m.kind, d.destination, \
     d.attempts FROM deliveries d JOIN messages m ON m.seq = d.message_seq WHERE d.id = $1";

/// A message's kind, for the audit entry of its replay (and whether it exists).
pub(crate) const MESSAGE_KIND: &str = "SELECT kind FROM messages WHERE message_id = $1";

/// The deliveries `RETRY_DEAD_*` is about to queue again, for their audit entries.
pub(crate) const DEAD_DELIVERIES_ALL: &str = "SELECT d.id, m.message_id, m.kind, d.destination \
     FROM deliveries d JOIN messages m ON m.seq = d.message_seq WHERE d.state = 'dead' ORDER BY d.id";

pub(crate) const DEAD_DELIVERIES_DESTINATION: &str = "SELECT d.id, m.message_id, m.kind, \
     d.destination FROM deliveries d JOIN messages m ON m.seq = d.message_seq \
     WHERE d.state = 'dead' AND d.destination = $1 ORDER BY d.id";

/// PostgreSQL: the dead deliveries, locked until the retry commits.
pub(crate) const DEAD_DELIVERIES_ALL_FOR_UPDATE: &str = "SELECT d.id, m.message_id, m.kind, \
     d.destination FROM deliveries d JOIN messages m ON m.seq = d.message_seq \
     WHERE d.state = 'dead' ORDER BY d.id FOR UPDATE OF d";

pub(crate) const DEAD_DELIVERIES_DESTINATION_FOR_UPDATE: &str = "SELECT d.id, m.message_id, \
     m.kind, d.destination FROM deliveries d JOIN messages m ON m.seq = d.message_seq \
     WHERE d.state = 'dead' AND d.destination = $1 ORDER BY d.id FOR UPDATE OF d";
