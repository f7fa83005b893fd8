-- Every serial of a registered record, one row each (issue 15), SQLite dialect.
-- Keep in step with ../postgres/0002_hub_serials.sql.
--
-- A row holds a key (legible serial) or a pattern (partial serial), never
-- both. Searches never scan: a key is looked up by equality (exact and
-- NCIC-tolerant), a search pattern by its known prefix or suffix within the
-- keys of its length (`key_len` + `serial_key` or `key_rev`), and a searched
-- key finds the recorded patterns whose anchor (their longer known end) it
-- starts or ends with. Only active records have rows.
CREATE TABLE hub_serials (
    owner_country  TEXT    NOT NULL,
    owner_agency   TEXT    NOT NULL,
    record_id      TEXT    NOT NULL,
    ordinal        INTEGER NOT NULL,
    serial_key     TEXT,
    tolerant_key   TEXT,
    key_len        INTEGER,
    -- The key reversed: a suffix search is a prefix search on it.
    key_rev        TEXT,
    pattern        TEXT,
    -- The length every key it matches has; -1 with a run of unknown length.
    pattern_len    INTEGER,
    -- 'p': anchor is the known prefix; 's': the known suffix, reversed.
    anchor_side    TEXT CHECK (anchor_side IN ('p', 's')),
    anchor         TEXT,
    PRIMARY KEY (owner_country, owner_agency, record_id, ordinal),
    CHECK ((serial_key IS NULL) <> (pattern IS NULL))
);
CREATE INDEX hub_serials_key ON hub_serials (serial_key) WHERE serial_key IS NOT NULL;
CREATE INDEX hub_serials_tolerant ON hub_serials (tolerant_key) WHERE tolerant_key IS NOT NULL;
CREATE INDEX hub_serials_key_prefix ON hub_serials (key_len, serial_key) WHERE serial_key IS NOT NULL;
CREATE INDEX hub_serials_key_suffix ON hub_serials (key_len, key_rev) WHERE serial_key IS NOT NULL;
CREATE INDEX hub_serials_anchor ON hub_serials (anchor_side, anchor, pattern_len) WHERE pattern IS NOT NULL;

-- The serials registered before: one key per active record. `key_rev` is
-- filled by the register when it opens (SQLite has no reverse()).
INSERT INTO hub_serials (owner_country, owner_agency, record_id, ordinal,
    serial_key, tolerant_key, key_len)
SELECT owner_country, owner_agency, record_id, 0, serial_key, tolerant_key, length(serial_key)
FROM hub_records WHERE state = 'active' AND serial_key IS NOT NULL;
