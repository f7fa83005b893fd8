-- The tamper-evident audit trail (gateway/src/audit). Keep in step with
-- ../postgres/0003_audit.sql. Rows are only ever inserted: the triggers refuse
-- UPDATE and DELETE, and each row's hash chains it to the one before.

CREATE TABLE audit_log (
    -- 1, 2, 3, … with no gaps, assigned under the chain's append lock.
    seq       INTEGER PRIMARY KEY,
    -- Epoch milliseconds.
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    -- A message id or `delivery:<id>`.
    subject   TEXT,
    kind      TEXT,
    -- The source partner or the destination.
    partner   TEXT,
    -- A JSON object of ids, counts, codes and digests; the hash covers this text.
    details   TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_subject ON audit_log (subject) WHERE subject IS NOT NULL;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
