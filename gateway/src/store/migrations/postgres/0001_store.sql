-- The gateway store, PostgreSQL dialect. Keep in step with ../sqlite/0001_store.sql:
-- the same tables, columns, indexes and meanings. Times are epoch milliseconds.

-- Every accepted message, once. `seq` is the order of arrival.
CREATE TABLE messages (
    seq             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      UUID    NOT NULL UNIQUE,
    correlation_id  UUID    NOT NULL,
    kind            TEXT    NOT NULL,
    source_partner  TEXT    NOT NULL,
    received_at     BIGINT  NOT NULL,
    ordering_key    TEXT    NOT NULL,
    -- The natural key, for records only: a resend of the same version is a duplicate.
    owner_country   TEXT,
    owner_agency    TEXT,
    record_id       TEXT,
    record_version  BIGINT,
    -- The canonical JSON, as accepted.
    body            TEXT    NOT NULL
);
CREATE UNIQUE INDEX messages_natural_key
    ON messages (owner_country, owner_agency, record_id, record_version)
    WHERE record_id IS NOT NULL;
CREATE INDEX messages_kind ON messages (kind, seq);
CREATE INDEX messages_partner ON messages (source_partner, seq);
CREATE INDEX messages_correlation ON messages (correlation_id);

-- The outbox: one row per message and destination.
CREATE TABLE deliveries (
    id                BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_seq       BIGINT  NOT NULL REFERENCES messages (seq),
    destination       TEXT    NOT NULL,
    ordering_key      TEXT    NOT NULL,
    state             TEXT    NOT NULL
        CHECK (state IN ('queued', 'delivering', 'retry_wait', 'delivered', 'dead')),
    attempts          BIGINT  NOT NULL DEFAULT 0,
    -- When the row may be claimed: the enqueue time (queued), the next attempt
    -- (retry_wait) or the lease expiry (delivering); NULL once delivered or dead.
    due_at            BIGINT,
    lease_owner       TEXT,
    lease_expires_at  BIGINT,
    last_error        TEXT,
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    delivered_at      BIGINT,
    receipt_remote_id TEXT,
    receipt_status    BIGINT,
    receipt_detail    TEXT,
    UNIQUE (message_seq, destination)
);
-- Claiming: due rows in due order, per destination or across all.
CREATE INDEX deliveries_due ON deliveries (destination, due_at, id) WHERE due_at IS NOT NULL;
CREATE INDEX deliveries_due_any ON deliveries (due_at, id) WHERE due_at IS NOT NULL;
-- Ordering: is there an earlier undelivered row with the same key and destination?
CREATE INDEX deliveries_pending_key
    ON deliveries (destination, ordering_key, id) WHERE state <> 'delivered';
-- Queue depth, retry_dead.
CREATE INDEX deliveries_state ON deliveries (state, destination);
-- release(worker).
CREATE INDEX deliveries_lease_owner ON deliveries (lease_owner) WHERE state = 'delivering';

-- Idempotency-Key headers per partner, with the request's hash and the response given.
CREATE TABLE idempotency_keys (
    partner      TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    response     TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (partner, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The business lifecycle of trace requests, in both directions.
CREATE TABLE traces (
    trace_id           TEXT    PRIMARY KEY,
    request_message_id UUID    NOT NULL,
    requesting_country TEXT    NOT NULL,
    requested_country  TEXT    NOT NULL,
    state              TEXT    NOT NULL
        CHECK (state IN ('submitted', 'delivered', 'acknowledged', 'answered', 'declined',
                         'expired', 'cancelled')),
    due_at             BIGINT,
    submitted_at       BIGINT  NOT NULL,
    delivered_at       BIGINT,
    acknowledged_at    BIGINT,
    closed_at          BIGINT,
    updated_at         BIGINT  NOT NULL
);
CREATE INDEX traces_open_due ON traces (due_at)
    WHERE state IN ('submitted', 'delivered', 'acknowledged') AND due_at IS NOT NULL;
