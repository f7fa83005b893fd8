//! What both backends hold: where reads and writes go, the clock, and how
//! writes have been going ([`WriteHealth`], for `/readyz`).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use sqlx::migrate::{Migrate, Migrator};
use sqlx::pool::PoolOptions;
use sqlx::{Connection, Database, Pool};

use super::{StoreError, StoreOptions};
use crate::time::{Clock, Millis};

#[derive(Debug)]
pub(crate) struct Pools<DB: Database> {
    pub(crate) reader: Pool<DB>,
    /// The same pool as `reader` where the database has no single writer.
    pub(crate) writer: Pool<DB>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) health: Arc<WriteHealth>,
}

/// How long a failed write keeps the store unready when no write has
/// succeeded since: the readiness probe writes one small row, which a nearly
/// full disk may still take while a batch of records does not.
pub(crate) const FAILED_WRITE_HOLD: Millis = 10_000;

/// The outcome of the latest writes of the traffic (accepts).
#[derive(Debug, Default)]
pub(crate) struct WriteHealth {
    /// When the latest write failed (epoch milliseconds; 0: never).
    failed_at: AtomicI64,
    /// Whether a write succeeded after it.
    healed: AtomicBool,
    /// Why the latest write failed, for `/readyz` and the log.
    reason: std::sync::Mutex<String>,
}

impl WriteHealth {
    /// Notes how a write of the traffic ended. Faults of the request itself (a
    /// constraint its data breaks, a trace that cannot move) say nothing about
    /// the store and are not counted.
    pub(crate) fn record<T>(&self, now: Millis, outcome: &Result<T, StoreError>) {
        match outcome {
            Ok(_) => self.healed.store(true, Ordering::Relaxed),
            Err(e) if e.is_storage_fault() => {
                if let Ok(mut reason) = self.reason.lock() {
                    *reason = e.to_string();
                }
                self.failed_at.store(now, Ordering::Relaxed);
                self.healed.store(false, Ordering::Relaxed);
            }
            Err(_) => {}
        }
    }

    /// `Err` while the latest write of the traffic failed, no later one
    /// succeeded and the failure is younger than [`FAILED_WRITE_HOLD`].
    pub(crate) fn check(&self, now: Millis) -> Result<(), StoreError> {
        let failed = self.failed_at.load(Ordering::Relaxed);
        let healed = self.healed.load(Ordering::Relaxed);
        if failed != 0 && !healed && now.saturating_sub(failed) < FAILED_WRITE_HOLD {
            let reason = self.reason.lock().map(|r| r.clone()).unwrap_or_default();
            return Err(StoreError::Unavailable(
                format!("the latest write failed: {reason}").into(),
            ));
        }
        Ok(())
    }
}

/// A connection is handed out only when it is out of any transaction. When a
/// `COMMIT` fails (a full disk), SQLite may already have rolled the
/// transaction back, so the driver's own rollback fails too and its count of
/// open transactions stays at one: every later `BEGIN` would then fail with
/// "attempted to call begin_with at non-zero transaction depth". Such a
/// connection is closed instead, and the pool opens a fresh one (sqlx has no
/// way to reset the count). The check is made when the connection is taken,
/// after the pool's ping on its return has run the rollback the dropped
/// transaction queued, so it costs no round trip.
pub(crate) fn replace_when_stuck<DB: Database>(options: PoolOptions<DB>) -> PoolOptions<DB> {
    options.before_acquire(|conn, _meta| {
        let clean = !conn.is_in_transaction();
        if !clean {
            tracing::warn!("a failed write left its connection inside a transaction; replacing it");
        }
        Box::pin(async move { Ok(clean) })
    })
}

/// By hand: the derive would ask `DB: Clone` of the database's marker type.
impl<DB: Database> Clone for Pools<DB> {
    fn clone(&self) -> Pools<DB> {
        Pools {
            reader: self.reader.clone(),
            writer: self.writer.clone(),
            clock: Arc::clone(&self.clock),
            health: Arc::clone(&self.health),
        }
    }
}

impl<DB: Database> Pools<DB> {
    /// A pool as the store's options size it: `max_connections`, each caller
    /// waiting at most `busy_timeout` for a connection.
    pub(crate) fn options(options: &StoreOptions) -> PoolOptions<DB> {
        PoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.busy_timeout)
    }

    /// The pools, once `migrator` has run the embedded migrations not yet
    /// applied, on the writer.
    pub(crate) async fn migrated(
        reader: Pool<DB>,
        writer: Pool<DB>,
        clock: Arc<dyn Clock>,
        migrator: &Migrator,
    ) -> Result<Pools<DB>, StoreError>
    where
        DB::Connection: Migrate,
    {
        migrator
            .run(&writer)
            .await
            .map_err(|e| StoreError::Migration(Box::new(e)))?;
        Ok(Pools {
            reader,
            writer,
            clock,
            health: Arc::default(),
        })
    }

    /// Closes both pools (closing one pool twice is harmless); later calls fail
    /// with [`StoreError::Unavailable`].
    pub(crate) async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}
