-- One row that `/readyz` rewrites to learn whether a write commits (a full
-- disk, a read-only file system), not only whether a read answers. Keep in
-- step with the other backend's 0009_store_probe.sql.
CREATE TABLE store_probe (
    id INTEGER PRIMARY KEY,
    probed_at BIGINT NOT NULL
);
INSERT INTO store_probe (id, probed_at) VALUES (1, 0);
