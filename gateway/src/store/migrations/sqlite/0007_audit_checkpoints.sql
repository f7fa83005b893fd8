-- Signed checkpoints of the audit chain's head (gateway/src/audit/checkpoint.rs):
-- the chain has no secret, the signatures do. Keep in step with
-- ../postgres/0007_audit_checkpoints.sql. Rows are only ever inserted.

CREATE TABLE audit_checkpoints (
    id         INTEGER PRIMARY KEY,
    -- The head entry's seq (0: the empty log) and hash.
    seq        INTEGER NOT NULL,
    head_hash  TEXT    NOT NULL,
    -- Epoch milliseconds, when it was signed.
    at         INTEGER NOT NULL,
    -- The signer's Ed25519 public key and the signature, base64.
    public_key TEXT    NOT NULL,
    signature  TEXT    NOT NULL
);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;

-- The chain starts at 1: a row beside it (seq <= 0) is refused, and reported
-- by `audit verify` should someone drop this trigger to insert one.
CREATE TRIGGER audit_log_positive_seq BEFORE INSERT ON audit_log
WHEN NEW.seq <= 0
BEGIN
    SELECT RAISE(ABORT, 'audit_log seq starts at 1');
END;
