-- The tamper-evident audit trail (gateway/src/audit). Keep in step with
-- ../sqlite/0003_audit.sql. Rows are only ever inserted: the triggers refuse
-- UPDATE, DELETE and TRUNCATE, and each row's hash chains it to the one before.
-- Replicas append under a transaction-scoped advisory lock, so there is one chain.

CREATE TABLE audit_log (
    -- 1, 2, 3, … with no gaps, assigned under the chain's append lock.
    seq       BIGINT  PRIMARY KEY,
    -- Epoch milliseconds.
    at        BIGINT  NOT NULL,
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

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
