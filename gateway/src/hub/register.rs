//! The hub's record register: the current version of every record, per owner
//! (owner country, owner agency, record id), with the keys searches match on.
//!
//! - a record whose version is higher than the stored one (or that is new) is
//!   applied: `create` and `update` make it `active`, `cancel` makes it `cancelled`
//!   (kept, so that a late older version stays stale, but never matched);
//! - a version older than or equal to the stored one changes nothing and is
//!   reported as [`RegisterOutcome::Stale`].
//!
//! Indexes: the exact serial key ([`serial_key`]), the NCIC-tolerant serial key
//! ([`tolerant_serial_key`]) and the folded make ([`fold_key`]), each over active
//! records only.
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

use std::str::FromStr;
use std::sync::Arc;

use iarms_adapters::codes::fold_key;
use iarms_adapters::model::{Firearm, FirearmRecord, RecordAction, SerialState};
use iarms_adapters::normalise::serial::{serial_key, tolerant_serial_key};
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
const UPSERT: &str = "INSERT INTO hub_records (owner_country, owner_agency, record_id, \
     version, state, serial_key, tolerant_key, make_key, body, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (owner_country, owner_agency, record_id) DO UPDATE SET \
     version = excluded.version, state = excluded.state, serial_key = excluded.serial_key, \
     tolerant_key = excluded.tolerant_key, make_key = excluded.make_key, body = excluded.body, \
     updated_at = excluded.updated_at \
     WHERE hub_records.version < excluded.version";

const CANDIDATES: &str = "SELECT version, state, body FROM hub_records \
     WHERE state = 'active' AND (serial_key = $1 OR tolerant_key = $2) \
     ORDER BY owner_country, owner_agency, record_id LIMIT $3";

const BY_MAKE: &str = "SELECT version, state, body FROM hub_records \
     WHERE state = 'active' AND make_key = $1 \
     ORDER BY owner_country, owner_agency, record_id LIMIT $2";

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

/// The matching keys of a firearm description. `serial` and `tolerant` are `None`
/// when there is no usable serial (absent, empty, or marked obliterated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirearmKeys {
    pub serial: Option<String>,
    pub tolerant: Option<String>,
    pub make: Option<String>,
}

impl FirearmKeys {
    /// The serial key is derived from `serial_number` when present (never trusting a
    /// stale derived field), else from `serial_key`.
    pub fn of(firearm: &Firearm) -> FirearmKeys {
        let obliterated = firearm.serial_state == Some(SerialState::Obliterated);
        let source = firearm
            .serial_number
            .as_deref()
            .or(firearm.serial_key.as_deref());
        let serial = source
            .filter(|_| !obliterated)
            .map(serial_key)
            .filter(|k| !k.is_empty());
        let tolerant = serial
            .as_deref()
            .map(tolerant_serial_key)
            .filter(|k| !k.is_empty());
        let make = firearm
            .make
            .as_deref()
            .map(fold_key)
            .filter(|k| !k.is_empty());
        FirearmKeys {
            serial,
            tolerant,
            make,
        }
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
        Ok(Register {
            pool,
            clock: options.clock.clone(),
        })
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

    /// Active records whose serial key equals `serial` or whose tolerant key equals
    /// `tolerant`, at most [`MAX_CANDIDATES`], ordered by owner and record id.
    pub async fn candidates(
        &self,
        serial: &str,
        tolerant: &str,
    ) -> Result<Vec<RegisteredRecord>, StoreError> {
        let rows: Vec<RecordRow> = on_pool!(&self.pool, p => sqlx::query_as(CANDIDATES)
            .bind(serial)
            .bind(tolerant)
            .bind(MAX_CANDIDATES)
            .fetch_all(p)
            .await
            .db()?);
        rows.into_iter().map(RecordRow::into_registered).collect()
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
