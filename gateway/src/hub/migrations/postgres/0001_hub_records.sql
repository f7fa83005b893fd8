-- The reference hub's record register, PostgreSQL dialect. Keep in step with
-- ../sqlite/0001_hub_records.sql. Tracked in `_hub_migrations`, apart from the
-- store's `_sqlx_migrations`, so both can live in one database.

-- The current version of every record, per owner. `state` is `active` (matched)
-- or `cancelled` (kept, never matched). Keys are derived for matching only.
CREATE TABLE hub_records (
    owner_country  TEXT    NOT NULL,
    owner_agency   TEXT    NOT NULL,
    record_id      TEXT    NOT NULL,
    version        BIGINT  NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('active', 'cancelled')),
    serial_key     TEXT,
    tolerant_key   TEXT,
    make_key       TEXT,
    -- The canonical JSON of the record as last applied.
    body           TEXT    NOT NULL,
    updated_at     BIGINT  NOT NULL,
    PRIMARY KEY (owner_country, owner_agency, record_id)
);
CREATE INDEX hub_records_serial_key ON hub_records (serial_key) WHERE state = 'active';
CREATE INDEX hub_records_tolerant_key ON hub_records (tolerant_key) WHERE state = 'active';
CREATE INDEX hub_records_make_key ON hub_records (make_key) WHERE state = 'active';
