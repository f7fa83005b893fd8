-- A delivery waiting behind a dead one of the same record and destination is
-- `blocked` (with the reason in last_error) instead of `queued` forever: the
-- operator sees it, and replaying or retrying the dead one releases it. Keep in
-- step with ../postgres/0008_delivery_blocked.sql.
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt, as
-- its documentation prescribes (new table, copy, drop, rename, indexes). No
-- table references deliveries.
CREATE TABLE deliveries_0008 (
    id                INTEGER PRIMARY KEY,
    message_seq       INTEGER NOT NULL REFERENCES messages (seq),
    destination       TEXT    NOT NULL,
    ordering_key      TEXT    NOT NULL,
    state             TEXT    NOT NULL
        CHECK (state IN ('queued', 'delivering', 'retry_wait', 'delivered', 'dead', 'blocked')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    -- When the row may be claimed: the enqueue time (queued), the next attempt
    -- (retry_wait) or the lease expiry (delivering); NULL once delivered, dead or blocked.
    due_at            INTEGER,
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    delivered_at      INTEGER,
    receipt_remote_id TEXT,
    receipt_status    INTEGER,
    receipt_detail    TEXT,
    UNIQUE (message_seq, destination)
);
INSERT INTO deliveries_0008 SELECT id, message_seq, destination, ordering_key, state, attempts,
    due_at, lease_owner, lease_expires_at, last_error, created_at, updated_at, delivered_at,
    receipt_remote_id, receipt_status, receipt_detail FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_0008 RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (destination, due_at, id) WHERE due_at IS NOT NULL;
CREATE INDEX deliveries_due_any ON deliveries (due_at, id) WHERE due_at IS NOT NULL;
CREATE INDEX deliveries_pending_key
    ON deliveries (destination, ordering_key, id) WHERE state <> 'delivered';
CREATE INDEX deliveries_state ON deliveries (state, destination);
CREATE INDEX deliveries_lease_owner ON deliveries (lease_owner) WHERE state = 'delivering';
