//! What both backends hold: where reads and writes go, and the clock.

use std::sync::Arc;

use sqlx::migrate::{Migrate, Migrator};
use sqlx::pool::PoolOptions;
use sqlx::{Database, Pool};

use super::{StoreError, StoreOptions};
use crate::time::Clock;

#[derive(Debug)]
pub(crate) struct Pools<DB: Database> {
    pub(crate) reader: Pool<DB>,
    /// The same pool as `reader` where the database has no single writer.
    pub(crate) writer: Pool<DB>,
    pub(crate) clock: Arc<dyn Clock>,
}

/// By hand: the derive would ask `DB: Clone` of the database's marker type.
impl<DB: Database> Clone for Pools<DB> {
    fn clone(&self) -> Pools<DB> {
        Pools {
            reader: self.reader.clone(),
            writer: self.writer.clone(),
            clock: Arc::clone(&self.clock),
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
        })
    }

    /// Closes both pools (closing one pool twice is harmless); later calls fail
    /// with [`StoreError::Unavailable`].
    pub(crate) async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}
