-- Signed checkpoints of the audit chain's head (gateway/src/audit/checkpoint.rs):
-- the chain has no secret, the signatures do. Keep in step with
-- ../sqlite/0007_audit_checkpoints.sql. Rows are only ever inserted.

CREATE TABLE audit_checkpoints (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The head entry's seq (0: the empty log) and hash.
    seq        BIGINT  NOT NULL,
    head_hash  TEXT    NOT NULL,
    -- Epoch milliseconds, when it was signed.
    at         BIGINT  NOT NULL,
    -- The signer's Ed25519 public key and the signature, base64.
    public_key TEXT    NOT NULL,
    signature  TEXT    NOT NULL
);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq);

CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The chain starts at 1: a row beside it (seq <= 0) is refused, and reported
-- by `audit verify` should someone drop this constraint to insert one. NOT
-- VALID: rows already there are left for verify to report.
ALTER TABLE audit_log ADD CONSTRAINT audit_log_positive_seq CHECK (seq > 0) NOT VALID;
