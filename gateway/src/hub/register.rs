//! The hub's record register: the current version of every record, per owner
//! (owner country, owner agency, record id), with the keys searches match on.
//!
//! - a record whose version is higher than the stored one (or that is new) is
//!   applied: `create` and `update` make it `active`, `cancel` makes it `cancelled`
//!   (kept, so that a late older version stays stale, but never matched);
//! - a version older than or equal to the stored one changes nothing and is
//!   reported as [`RegisterOutcome::Stale`].
//!
//! Indexes: every serial of an active record has a row in `hub_serials`
//! (migration 0002): its exact key ([`serial_key`]), its NCIC-tolerant key
//! ([`tolerant_serial_key`]), the key's length and its reverse (so that a
//! search pattern is a prefix or suffix range within one length), or, for a
//! partial serial, its pattern with its length and its longer known end (so
//! that a searched key finds the patterns it could fill). `hub_records` keeps
//! the primary serial's keys and the folded make ([`fold_key`]).
//!
//! # Migrations
//! The register lives in the same database as the store (same URL, same
//! PostgreSQL schema) but in tables prefixed `hub_`, migrated by its own
//! [`sqlx::migrate::Migrator`] whose bookkeeping table is `_hub_migrations`. Sharing the store's
//! `_sqlx_migrations` would not work: both sets start at version 1 (a checksum
//! clash), and with distinct versions each migrator would see the other's rows as
//! "applied but missing" and refuse to run unless both set `ignore_missing`, which
//! the store does not. A separate table keeps both histories exact and checked,
//! unlike `CREATE TABLE IF NOT EXISTS`, which cannot evolve a schema.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;

use iarms_adapters::codes::fold_key;
use iarms_adapters::model::{Firearm, FirearmRecord, RecordAction, SerialState};
use iarms_adapters::normalise::serial::{
    pattern, read, read_one, serial_key, tolerant_serial_key, Sentinels,
};
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Connection;

use crate::store::{backend_of, Backend, Clock, DbResult, StoreError, StoreOptions};

/// The table that records which register migrations ran.
pub const MIGRATIONS_TABLE: &str = "_hub_migrations";

/// The most candidates one search considers (a guard against a degenerate key).
pub const MAX_CANDIDATES: i64 = 1000;

const SELECT_ONE: &str = "SELECT version, state, body FROM hub_records \
     WHERE owner_country = $1 AND owner_agency = $2 AND record_id = $3";

const SELECT_VERSION: &str = "SELECT version FROM hub_records \
     WHERE owner_country = $1 AND owner_agency = $2 AND record_id = $3";

/// Applies a strictly newer version; an older or equal one changes no row.
pub const UPSERT: &str = "INSERT INTO hub_records (owner_country, owner_agency, record_id, \
     version, state, serial_key, tolerant_key, make_key, body, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (owner_country, owner_agency, record_id) DO UPDATE SET \
     version = excluded.version, state = excluded.state, serial_key = excluded.serial_key, \
     tolerant_key = excluded.tolerant_key, make_key = excluded.make_key, body = excluded.body, \
     updated_at = excluded.updated_at \
     WHERE hub_records.version < excluded.version";

/// The most key rows a search pattern looks at (a guard for a pattern whose
/// known characters are all inside, with no prefix or suffix to range on).
pub const MAX_SCANNED: i64 = 200_000;

const DELETE_SERIALS: &str = "DELETE FROM hub_serials \
     WHERE owner_country = $1 AND owner_agency = $2 AND record_id = $3";

pub const INSERT_SERIAL: &str = "INSERT INTO hub_serials (owner_country, owner_agency, record_id, \
     ordinal, serial_key, tolerant_key, key_len, key_rev, pattern, pattern_len, anchor_side, \
     anchor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

/// Records with a serial whose exact or tolerant key is the searched one.
const BY_KEY: &str = "SELECT owner_country, owner_agency, record_id FROM hub_serials \
     WHERE serial_key = $1 UNION SELECT owner_country, owner_agency, record_id \
     FROM hub_serials WHERE tolerant_key = $2 LIMIT $3";

/// The key-row lookups of a search pattern, per backend: a range on an index
/// (the keys of one length by the pattern's known prefix or reversed suffix, or
/// by prefix alone for a pattern with a run), and the whole pattern as SQLite
/// GLOB (`?` one character, `*` any run: the pattern's own syntax) or as
/// PostgreSQL LIKE (`_`, `%`), so only matching rows leave the database. Keys
/// hold letters and digits only, never a wildcard of either. Parameters: $1
/// length (absent in the any-length form), then range start and end, the
/// pattern, the limit.
struct PatternLookups {
    by_prefix: &'static str,
    by_suffix: &'static str,
    by_prefix_any_len: &'static str,
    of_len: &'static str,
}

const SQLITE_PATTERN: PatternLookups = PatternLookups {
    by_prefix: "SELECT owner_country, owner_agency, record_id, serial_key FROM hub_serials \
         WHERE serial_key IS NOT NULL AND key_len = $1 AND serial_key >= $2 AND serial_key < $3 \
         AND serial_key GLOB $4 LIMIT $5",
    by_suffix: "SELECT owner_country, owner_agency, record_id, serial_key FROM hub_serials \
         WHERE serial_key IS NOT NULL AND key_len = $1 AND key_rev >= $2 AND key_rev < $3 \
         AND serial_key GLOB $4 LIMIT $5",
    by_prefix_any_len: "SELECT owner_country, owner_agency, record_id, serial_key \
         FROM hub_serials WHERE serial_key IS NOT NULL AND serial_key >= $1 AND serial_key < $2 \
         AND serial_key GLOB $3 LIMIT $4",
    of_len: "SELECT owner_country, owner_agency, record_id, serial_key FROM hub_serials \
         WHERE serial_key IS NOT NULL AND key_len = $1 AND serial_key GLOB $2 LIMIT $3",
};

const POSTGRES_PATTERN: PatternLookups = PatternLookups {
    by_prefix: "SELECT owner_country, owner_agency, record_id, serial_key FROM hub_serials \
         WHERE serial_key IS NOT NULL AND key_len = $1 AND serial_key >= $2 AND serial_key < $3 \
         AND serial_key LIKE $4 LIMIT $5",
    by_suffix: "SELECT owner_country, owner_agency, record_id, serial_key FROM hub_serials \
         WHERE serial_key IS NOT NULL AND key_len = $1 AND key_rev >= $2 AND key_rev < $3 \
         AND serial_key LIKE $4 LIMIT $5",
    by_prefix_any_len: "SELECT owner_country, owner_agency, record_id, serial_key \
         FROM hub_serials WHERE serial_key IS NOT NULL AND serial_key >= $1 AND serial_key < $2 \
         AND serial_key LIKE $3 LIMIT $4",
    of_len: "SELECT owner_country, owner_agency, record_id, serial_key FROM hub_serials \
         WHERE serial_key IS NOT NULL AND key_len = $1 AND serial_key LIKE $2 LIMIT $3",
};

const SELECT_ACTIVE: &str = "SELECT version, state, body FROM hub_records \
     WHERE owner_country = $1 AND owner_agency = $2 AND record_id = $3 AND state = 'active'";

const MISSING_REV: &str = "SELECT owner_country, owner_agency, record_id, ordinal, serial_key \
     FROM hub_serials WHERE serial_key IS NOT NULL AND key_rev IS NULL LIMIT 1000";

const SET_REV: &str = "UPDATE hub_serials SET key_rev = $1 \
     WHERE owner_country = $2 AND owner_agency = $3 AND record_id = $4 AND ordinal = $5";

const BY_MAKE: &str = "SELECT version, state, body FROM hub_records \
     WHERE state = 'active' AND make_key = $1 \
     ORDER BY owner_country, owner_agency, record_id LIMIT $2";

const MAX_CANDIDATES_USIZE: usize = 1000;

/// Owner country, owner agency, record id.
type RecordId = (String, String, String);

/// The end (exclusive) of the range of keys that start with `prefix`: its last
/// character moved one up (keys compare byte-wise, which for UTF-8 is by code
/// point). Keys are letters and digits, never the last code point.
fn range_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    match chars.pop() {
        Some(last) => {
            let next = (u32::from(last) + 1..=u32::from(char::MAX))
                .find_map(char::from_u32)
                .unwrap_or(char::MAX);
            chars.push(next);
            chars.into_iter().collect()
        }
        None => char::MAX.to_string(),
    }
}

/// One `hub_serials` row (public for the search benchmark's bulk load,
/// `gateway/examples/hub_search.rs`, which writes the rows `apply` writes).
#[derive(Debug, Clone)]
pub struct SerialRow {
    pub key: Option<String>,
    pub tolerant: Option<String>,
    pub key_len: Option<i64>,
    pub key_rev: Option<String>,
    pub pattern: Option<String>,
    pub pattern_len: Option<i64>,
    pub anchor_side: Option<&'static str>,
    pub anchor: Option<String>,
}

/// The `hub_serials` rows of a firearm's keys, in order ([`INSERT_SERIAL`]).
pub fn serial_rows(keys: &FirearmKeys) -> Vec<SerialRow> {
    keys.serials
        .iter()
        .map(|s| match (&s.key, &s.pattern) {
            (Some(key), _) => SerialRow {
                key: Some(key.clone()),
                tolerant: s.tolerant.clone(),
                key_len: i64::try_from(key.chars().count()).ok(),
                key_rev: Some(key.chars().rev().collect()),
                pattern: None,
                pattern_len: None,
                anchor_side: None,
                anchor: None,
            },
            (None, pattern_text) => {
                let text = pattern_text.clone().unwrap_or_default();
                let prefix = pattern::prefix(&text);
                let suffix = pattern::suffix(&text);
                let (side, anchor) = if prefix.chars().count() >= suffix.chars().count() {
                    ("p", prefix)
                } else {
                    ("s", suffix.chars().rev().collect())
                };
                SerialRow {
                    key: None,
                    tolerant: None,
                    key_len: None,
                    key_rev: None,
                    pattern_len: Some(
                        pattern::fixed_len(&text)
                            .and_then(|n| i64::try_from(n).ok())
                            .unwrap_or(-1),
                    ),
                    pattern: Some(text),
                    anchor_side: Some(side),
                    anchor: Some(anchor),
                }
            }
        })
        .collect()
}

/// What applying a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RegisterOutcome {
    /// The record was not known; it is now active.
    Created { version: u32 },
    /// A newer version replaced the stored one (a cancelled record may be revived
    /// by a newer create or update).
    Updated { previous_version: u32, version: u32 },
    /// A newer cancel: the record is kept as cancelled and no longer matched.
    Cancelled { version: u32 },
    /// The stored version is the same or newer: nothing changed.
    Stale { version: u32, current_version: u32 },
}

/// A record as the register holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredRecord {
    pub record: FirearmRecord,
    pub version: u32,
    pub cancelled: bool,
}

/// The matching keys of one serial: a key (with its NCIC-tolerant form) or a
/// pattern, never both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialKeys {
    pub key: Option<String>,
    pub tolerant: Option<String>,
    pub pattern: Option<String>,
}

/// The matching keys of a firearm description. `serial` and `tolerant` are the
/// primary serial's key (`None` when there is no usable one: absent, empty, a
/// placeholder, a pattern, or an unreadable state); `serials` holds every
/// serial's keys, primary first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirearmKeys {
    pub serial: Option<String>,
    pub tolerant: Option<String>,
    pub make: Option<String>,
    pub serials: Vec<SerialKeys>,
}

impl FirearmKeys {
    /// Keys are read again from the serials as recorded (never trusting a stale
    /// derived field): `serial_number`, or the `serials[]` items when the
    /// number holds one serial and the items say more; a bare `serial_key`
    /// only when there is neither. A firearm whose state is not readable
    /// (illegible, obliterated, absent) has no serial keys at all.
    pub fn of(firearm: &Firearm) -> FirearmKeys {
        let unreadable = firearm.serial_state.is_some_and(|s| !s.readable());
        let none = Sentinels::default();
        let mut readings = firearm
            .serial_number
            .as_deref()
            .map(|n| read(n, &none))
            .unwrap_or_default();
        if readings.len() <= 1 && !firearm.serials.is_empty() {
            readings = firearm
                .serials
                .iter()
                .filter(|item| item.state.is_none_or(SerialState::readable))
                .map(|item| read_one(&item.number, &none))
                .collect();
        }
        let mut serials: Vec<SerialKeys> = readings
            .into_iter()
            .filter(|r| r.state.is_some_and(SerialState::readable))
            .map(|r| SerialKeys {
                tolerant: r
                    .key
                    .as_deref()
                    .map(tolerant_serial_key)
                    .filter(|k| !k.is_empty()),
                key: r.key.filter(|k| !k.is_empty()),
                pattern: r.pattern,
            })
            .filter(|k| k.key.is_some() || k.pattern.is_some())
            .collect();
        if firearm.serial_number.is_none() && firearm.serials.is_empty() {
            if let Some(key) = firearm.serial_key.as_deref().map(serial_key) {
                if !key.is_empty() {
                    serials.push(SerialKeys {
                        tolerant: Some(tolerant_serial_key(&key)).filter(|k| !k.is_empty()),
                        key: Some(key),
                        pattern: None,
                    });
                }
            }
        }
        if unreadable {
            serials.clear();
        }
        serials.dedup();
        let primary = serials.first();
        let make = firearm
            .make
            .as_deref()
            .map(fold_key)
            .filter(|k| !k.is_empty());
        FirearmKeys {
            serial: primary.and_then(|s| s.key.clone()),
            tolerant: primary.and_then(|s| s.tolerant.clone()),
            make,
            serials,
        }
    }

    /// Whether any serial can select a record: a key, or a pattern with at
    /// least [`pattern::MIN_KNOWN`] known characters.
    pub fn searchable(&self) -> bool {
        self.serials.iter().any(|s| {
            s.key.is_some()
                || s.pattern
                    .as_deref()
                    .is_some_and(|p| pattern::known(p) >= pattern::MIN_KNOWN)
        })
    }
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same statement text on whichever pool the register has.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

#[derive(Debug, sqlx::FromRow)]
struct RecordRow {
    version: i64,
    state: String,
    body: String,
}

impl RecordRow {
    fn into_registered(self) -> Result<RegisteredRecord, StoreError> {
        let record: FirearmRecord = serde_json::from_str(&self.body)
            .map_err(|e| StoreError::Corrupt(format!("hub record body: {e}")))?;
        let version = u32::try_from(self.version)
            .map_err(|_| StoreError::Corrupt(format!("hub record version {}", self.version)))?;
        let cancelled = match self.state.as_str() {
            "active" => false,
            "cancelled" => true,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "unknown hub record state `{other}`"
                )))
            }
        };
        Ok(RegisteredRecord {
            record,
            version,
            cancelled,
        })
    }
}

/// The register, on SQLite or PostgreSQL. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Register {
    pool: Pool,
    clock: Arc<dyn Clock>,
}

impl Register {
    /// Opens the register in the database named by `url` (the store's URL forms;
    /// for PostgreSQL `options.schema` as the store uses it) and migrates it.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Register, StoreError> {
        let pool = match backend_of(url)? {
            Backend::Sqlite => Pool::Sqlite(open_sqlite(url, options).await?),
            Backend::Postgres => Pool::Postgres(open_postgres(url, options).await?),
        };
        let mut migrator = match pool {
            Pool::Sqlite(_) => sqlx::migrate!("src/hub/migrations/sqlite"),
            Pool::Postgres(_) => sqlx::migrate!("src/hub/migrations/postgres"),
        };
        migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
        on_pool!(&pool, p => migrator.run(p).await)
            .map_err(|e| StoreError::Migration(Box::new(e)))?;
        let register = Register {
            pool,
            clock: options.clock.clone(),
        };
        register.fill_reversed_keys().await?;
        Ok(register)
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn close(&self) {
        on_pool!(&self.pool, p => p.close().await)
    }

    /// Applies a record (create, update or cancel) if its version is newer than the
    /// stored one. Concurrent applies of the same record are safe (the newest
    /// version wins); the `Created`/`Updated` label may then be approximate.
    pub async fn apply(&self, record: &FirearmRecord) -> Result<RegisterOutcome, StoreError> {
        self.apply_all(std::slice::from_ref(record))
            .await?
            .pop()
            .ok_or_else(|| StoreError::Invalid("the register returned no outcome".to_string()))
    }

    /// [`Register::apply`] for a batch, in order, in one transaction: one commit
    /// (one wait for the disk) for a whole batch of a gateway's records.
    pub async fn apply_all(
        &self,
        records: &[FirearmRecord],
    ) -> Result<Vec<RegisterOutcome>, StoreError> {
        let mut prepared = Vec::with_capacity(records.len());
        for record in records {
            let body = serde_json::to_string(record)
                .map_err(|e| StoreError::Invalid(format!("record {}: {e}", record.record_id)))?;
            let keys = FirearmKeys::of(&record.firearm);
            let state = if record.action == RecordAction::Cancel {
                "cancelled"
            } else {
                "active"
            };
            prepared.push((record, body, keys, state));
        }
        let now = self.clock.now();
        // The transaction's body, the same text for both backends.
        macro_rules! apply_in {
            ($tx:expr) => {{
                let mut tx = $tx;
                let mut applied = Vec::with_capacity(prepared.len());
                for (record, body, keys, state) in &prepared {
                    let version = i64::from(record.version);
                    let previous: Option<i64> = sqlx::query_scalar(SELECT_VERSION)
                        .bind(&record.owner_country)
                        .bind(&record.owner_agency)
                        .bind(&record.record_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .db()?;
                    let changed = sqlx::query(UPSERT)
                        .bind(&record.owner_country)
                        .bind(&record.owner_agency)
                        .bind(&record.record_id)
                        .bind(version)
                        .bind(*state)
                        .bind(&keys.serial)
                        .bind(&keys.tolerant)
                        .bind(&keys.make)
                        .bind(body)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .db()?
                        .rows_affected();
                    if changed > 0 {
                        sqlx::query(DELETE_SERIALS)
                            .bind(&record.owner_country)
                            .bind(&record.owner_agency)
                            .bind(&record.record_id)
                            .execute(&mut *tx)
                            .await
                            .db()?;
                        // A cancelled record is kept but never matched: no serial rows.
                        let rows = if *state == "active" {
                            serial_rows(keys)
                        } else {
                            Vec::new()
                        };
                        for (ordinal, row) in rows.iter().enumerate() {
                            sqlx::query(INSERT_SERIAL)
                                .bind(&record.owner_country)
                                .bind(&record.owner_agency)
                                .bind(&record.record_id)
                                .bind(i64::try_from(ordinal).unwrap_or(i64::MAX))
                                .bind(&row.key)
                                .bind(&row.tolerant)
                                .bind(row.key_len)
                                .bind(&row.key_rev)
                                .bind(&row.pattern)
                                .bind(row.pattern_len)
                                .bind(row.anchor_side)
                                .bind(&row.anchor)
                                .execute(&mut *tx)
                                .await
                                .db()?;
                        }
                    }
                    applied.push((previous, changed));
                }
                tx.commit().await.db()?;
                applied
            }};
        }
        let applied = match &self.pool {
            // Take SQLite's write lock first (as the store does), so that the read
            // cannot be invalidated by another writer before the upsert.
            Pool::Sqlite(p) => apply_in!(p.begin_with("BEGIN IMMEDIATE").await.db()?),
            Pool::Postgres(p) => apply_in!(p.begin().await.db()?),
        };
        let mut outcomes = Vec::with_capacity(applied.len());
        for ((record, _, _, state), (previous, changed)) in prepared.iter().zip(applied) {
            let previous = previous.map(|v| u32::try_from(v).unwrap_or(u32::MAX));
            outcomes.push(match (changed, previous) {
                (0, current) => {
                    let current_version = match current {
                        Some(v) => v,
                        None => self
                            .get(
                                &record.owner_country,
                                &record.owner_agency,
                                &record.record_id,
                            )
                            .await?
                            .map_or(record.version, |r| r.version),
                    };
                    RegisterOutcome::Stale {
                        version: record.version,
                        current_version,
                    }
                }
                _ if *state == "cancelled" => RegisterOutcome::Cancelled {
                    version: record.version,
                },
                (_, None) => RegisterOutcome::Created {
                    version: record.version,
                },
                (_, Some(previous_version)) => RegisterOutcome::Updated {
                    previous_version,
                    version: record.version,
                },
            });
        }
        Ok(outcomes)
    }

    /// The stored record, active or cancelled.
    pub async fn get(
        &self,
        owner_country: &str,
        owner_agency: &str,
        record_id: &str,
    ) -> Result<Option<RegisteredRecord>, StoreError> {
        let row: Option<RecordRow> = on_pool!(&self.pool, p => sqlx::query_as(SELECT_ONE)
            .bind(owner_country)
            .bind(owner_agency)
            .bind(record_id)
            .fetch_optional(p)
            .await
            .db()?);
        row.map(RecordRow::into_registered).transpose()
    }

    /// Active records any of whose serials could match any serial of `keys`:
    /// equal exact or tolerant keys, a searched pattern filled by a recorded
    /// key, a searched key filling a recorded pattern. At most
    /// [`MAX_CANDIDATES`], ordered by owner and record id; [`classify`]
    /// (super::matching::classify) decides what each is.
    pub async fn candidates(
        &self,
        keys: &FirearmKeys,
    ) -> Result<Vec<RegisteredRecord>, StoreError> {
        let mut ids: BTreeSet<RecordId> = BTreeSet::new();
        for serial in &keys.serials {
            if let Some(key) = &serial.key {
                let tolerant = serial.tolerant.as_deref().unwrap_or(key);
                let rows: Vec<RecordId> = on_pool!(&self.pool, p => sqlx::query_as(BY_KEY)
                    .bind(key)
                    .bind(tolerant)
                    .bind(MAX_CANDIDATES)
                    .fetch_all(p)
                    .await
                    .db()?);
                ids.extend(rows);
                ids.extend(self.patterns_filled_by(key).await?);
            }
            if let Some(pattern) = &serial.pattern {
                ids.extend(self.keys_filling(pattern).await?);
            }
        }
        let mut records = Vec::new();
        for (owner_country, owner_agency, record_id) in ids.into_iter().take(MAX_CANDIDATES_USIZE) {
            let row: Option<RecordRow> = on_pool!(&self.pool, p => sqlx::query_as(SELECT_ACTIVE)
                .bind(&owner_country)
                .bind(&owner_agency)
                .bind(&record_id)
                .fetch_optional(p)
                .await
                .db()?);
            if let Some(row) = row {
                records.push(row.into_registered()?);
            }
        }
        Ok(records)
    }

    /// Records with a pattern that `key` fills: the pattern's anchor (its
    /// longer known end) is one of the key's prefixes or reversed suffixes,
    /// its length the key's; then checked position by position.
    async fn patterns_filled_by(&self, key: &str) -> Result<Vec<RecordId>, StoreError> {
        let chars: Vec<char> = key.chars().collect();
        let len = i64::try_from(chars.len()).unwrap_or(i64::MAX);
        let mut found = Vec::new();
        for side in ["p", "s"] {
            let anchors: Vec<String> = (0..=chars.len())
                .map(|n| match side {
                    "p" => chars.iter().take(n).collect(),
                    _ => chars.iter().rev().take(n).collect(),
                })
                .collect();
            let placeholders: Vec<String> =
                (0..anchors.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "SELECT owner_country, owner_agency, record_id, pattern FROM hub_serials \
                 WHERE pattern IS NOT NULL AND anchor_side = $1 AND pattern_len IN ($2, -1) \
                 AND anchor IN ({})",
                placeholders.join(", ")
            );
            let rows: Vec<(String, String, String, String)> = on_pool!(&self.pool, p => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(side).bind(len);
                for anchor in &anchors {
                    q = q.bind(anchor);
                }
                q.fetch_all(p).await.db()?
            });
            found.extend(
                rows.into_iter()
                    .filter(|(_, _, _, p)| {
                        pattern::known(p) >= pattern::MIN_KNOWN && pattern::matches(p, key)
                    })
                    .map(|(c, a, r, _)| (c, a, r)),
            );
        }
        Ok(found)
    }

    /// Records with a key that fills `searched`: a range on the keys of its
    /// length by its known prefix or (reversed) suffix, whichever is longer;
    /// then checked position by position. A pattern with fewer than
    /// [`pattern::MIN_KNOWN`] known characters selects nothing.
    async fn keys_filling(&self, searched: &str) -> Result<Vec<RecordId>, StoreError> {
        if pattern::known(searched) < pattern::MIN_KNOWN {
            return Ok(Vec::new());
        }
        let prefix = pattern::prefix(searched);
        let suffix = pattern::suffix(searched);
        let fixed = pattern::fixed_len(searched).map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let (sql, wildcard) = match self.pool {
            Pool::Sqlite(_) => (&SQLITE_PATTERN, searched.to_string()),
            Pool::Postgres(_) => (
                &POSTGRES_PATTERN,
                searched.replace('?', "_").replace('*', "%"),
            ),
        };
        let rows: Vec<(String, String, String, String)> = match fixed {
            Some(len) if prefix.chars().count() >= suffix.chars().count() && !prefix.is_empty() => {
                on_pool!(&self.pool, p => sqlx::query_as(sql.by_prefix)
                    .bind(len)
                    .bind(&prefix)
                    .bind(range_end(&prefix))
                    .bind(&wildcard)
                    .bind(MAX_SCANNED)
                    .fetch_all(p)
                    .await
                    .db()?)
            }
            Some(len) if !suffix.is_empty() => {
                let rev: String = suffix.chars().rev().collect();
                on_pool!(&self.pool, p => sqlx::query_as(sql.by_suffix)
                    .bind(len)
                    .bind(&rev)
                    .bind(range_end(&rev))
                    .bind(&wildcard)
                    .bind(MAX_SCANNED)
                    .fetch_all(p)
                    .await
                    .db()?)
            }
            Some(len) => on_pool!(&self.pool, p => sqlx::query_as(sql.of_len)
                .bind(len)
                .bind(&wildcard)
                .bind(MAX_SCANNED)
                .fetch_all(p)
                .await
                .db()?),
            // A run of unknown length: ranged by the prefix; without one there
            // is nothing to range on, and a whole-register scan is refused.
            None if !prefix.is_empty() => {
                on_pool!(&self.pool, p => sqlx::query_as(sql.by_prefix_any_len)
                .bind(&prefix)
                .bind(range_end(&prefix))
                .bind(&wildcard)
                .bind(MAX_SCANNED)
                .fetch_all(p)
                .await
                .db()?)
            }
            None => Vec::new(),
        };
        Ok(rows
            .into_iter()
            .filter(|(_, _, _, key)| pattern::matches(searched, key))
            .map(|(c, a, r, _)| (c, a, r))
            .collect())
    }

    /// Fills the reversed key of the rows migration 0002 copied on SQLite,
    /// which has no reverse(); a no-op once done.
    async fn fill_reversed_keys(&self) -> Result<(), StoreError> {
        loop {
            let rows: Vec<(String, String, String, i64, String)> =
                on_pool!(&self.pool, p => sqlx::query_as(MISSING_REV).fetch_all(p).await.db()?);
            if rows.is_empty() {
                return Ok(());
            }
            for (country, agency, record_id, ordinal, key) in rows {
                let rev: String = key.chars().rev().collect();
                on_pool!(&self.pool, p => {
                    sqlx::query(SET_REV)
                        .bind(&rev)
                        .bind(&country)
                        .bind(&agency)
                        .bind(&record_id)
                        .bind(ordinal)
                        .execute(p)
                        .await
                        .db()?;
                });
            }
        }
    }

    /// Active records of a make (folded), at most `limit`: for operators and
    /// statistics, never for matching (a make alone is too broad).
    pub async fn by_make(
        &self,
        make: &str,
        limit: u32,
    ) -> Result<Vec<RegisteredRecord>, StoreError> {
        let rows: Vec<RecordRow> = on_pool!(&self.pool, p => sqlx::query_as(BY_MAKE)
            .bind(fold_key(make))
            .bind(i64::from(limit))
            .fetch_all(p)
            .await
            .db()?);
        rows.into_iter().map(RecordRow::into_registered).collect()
    }
}

async fn open_sqlite(url: &str, options: &StoreOptions) -> Result<SqlitePool, StoreError> {
    let connect = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("SQLite URL `{url}`: {e}")))?
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    if !(url.contains(":memory:") || url.contains("mode=memory")) {
        crate::store::create_private_file(connect.get_filename())?;
    }
    let connect = connect
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(options.busy_timeout);
    // One connection: writes are serialised anyway, and an in-memory database
    // lives exactly as long as its connection.
    SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(options.busy_timeout)
        .connect_with(connect)
        .await
        .db()
}

async fn open_postgres(url: &str, options: &StoreOptions) -> Result<PgPool, StoreError> {
    let mut connect = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Invalid(format!("PostgreSQL URL: {e}")))?;
    if let Some(schema) = &options.schema {
        if !is_plain_identifier(schema) {
            return Err(StoreError::Invalid(format!(
                "schema `{schema}`: use lower-case letters, digits and `_`"
            )));
        }
        let mut conn = sqlx::PgConnection::connect_with(&connect).await.db()?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
        )))
        .execute(&mut conn)
        .await
        .db()?;
        conn.close().await.db()?;
        connect = connect.options([("search_path", schema.as_str())]);
    }
    PgPoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .acquire_timeout(options.busy_timeout)
        .connect_with(connect)
        .await
        .db()
}

/// `[a-z_][a-z0-9_]*`, at most 63 bytes: safe to quote into DDL.
fn is_plain_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 63
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod unit {
    use super::*;

    fn record(id: &str, serial: &str) -> FirearmRecord {
        let value = serde_json::json!({
            "header": {
                "message_id": "a2b5054e-078a-5bd7-a4df-0fe99fecbae2",
                "correlation_id": "a2b5054e-078a-5bd7-a4df-0fe99fecbae2"
            },
            "record_id": id, "owner_country": "RS", "owner_agency": "RS-MUP",
            "action": "create", "version": 1,
            "firearm": {"serial_number": serial},
            "event": {"status": "stolen"}
        });
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn pattern_keys(pattern: &str) -> FirearmKeys {
        FirearmKeys::of(&Firearm {
            serial_number: Some(pattern.to_string()),
            ..Firearm::default()
        })
    }

    #[tokio::test]
    async fn rows_copied_by_migration_0002_get_their_reversed_key_on_open() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("hub.db");
        let path = path.to_string_lossy().to_string();
        let options = StoreOptions::default();
        let register = Register::open(&path, &options)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        register
            .apply(&record("R1", "AB12345"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        register
            .apply(&record("R2", "31?407"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // As migration 0002 leaves the rows it copies from 0001 on SQLite.
        if let Pool::Sqlite(p) = &register.pool {
            sqlx::query("UPDATE hub_serials SET key_rev = NULL")
                .execute(p)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let by_suffix = pattern_keys("??12345");
        assert!(register
            .candidates(&by_suffix)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty());
        register.close().await;
        let register = Register::open(&path, &options)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let found = register
            .candidates(&by_suffix)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found.len(), 1);
        // A searched key finds the recorded pattern it fills; a different one does not.
        let key = |k: &str| pattern_keys(k);
        let found = register
            .candidates(&key("315407"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            found
                .iter()
                .map(|r| r.record.record_id.as_str())
                .collect::<Vec<_>>(),
            ["R2"]
        );
        assert!(register
            .candidates(&key("325407"))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty());
        register.close().await;
    }

    #[test]
    fn placeholders_and_patterns_in_keys() {
        let keys = pattern_keys("removido");
        assert!(keys.serials.is_empty() && !keys.searchable());
        let keys = pattern_keys("3?5?0?");
        assert_eq!(keys.serials.len(), 1);
        assert!(!keys.searchable(), "three known characters");
        let keys = pattern_keys("40217; 930112");
        assert_eq!(keys.serial.as_deref(), Some("40217"));
        assert_eq!(keys.serials.len(), 2);
    }

    #[test]
    fn range_end_is_the_next_prefix() {
        assert_eq!(range_end("AB"), "AC");
        assert_eq!(range_end("A9"), "A:");
        assert_eq!(range_end(""), char::MAX.to_string());
    }

    #[test]
    fn keys_from_serial_number_first() {
        let firearm = Firearm {
            make: Some("  Crvena  ZASTAVA ".to_string()),
            serial_number: Some("12-a-34".to_string()),
            serial_key: Some("STALE".to_string()),
            ..Firearm::default()
        };
        let keys = FirearmKeys::of(&firearm);
        assert_eq!(keys.serial.as_deref(), Some("12A34"));
        assert_eq!(keys.tolerant.as_deref(), Some("1234"));
        assert_eq!(keys.make.as_deref(), Some("crvena zastava"));
    }

    #[test]
    fn obliterated_or_empty_serial_has_no_keys() {
        let obliterated = Firearm {
            serial_number: Some("1234".to_string()),
            serial_state: Some(SerialState::Obliterated),
            ..Firearm::default()
        };
        assert_eq!(FirearmKeys::of(&obliterated).serial, None);
        let empty = Firearm {
            serial_number: Some(" - ".to_string()),
            ..Firearm::default()
        };
        assert_eq!(FirearmKeys::of(&empty).serial, None);
        assert_eq!(FirearmKeys::of(&empty).tolerant, None);
        assert_eq!(FirearmKeys::of(&Firearm::default()).make, None);
    }
}
