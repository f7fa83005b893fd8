//! The embedded store: one SQLite file in WAL mode.
//!
//! Durability: `synchronous=FULL`, so a committed transaction survives a power loss
//! (the WAL is synced at every commit). Concurrency: every write goes through one
//! connection and starts with `BEGIN IMMEDIATE`, taking SQLite's single write lock
//! before reading, so a claim's choice and its update cannot interleave with another
//! writer's (another process, such as an operator's CLI, waits up to the busy
//! timeout). Reads use a small pool of their own, which WAL lets run beside the writer.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite, Transaction};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::dialect::{Claim, Dialect};
use super::pools::{replace_when_stuck, Pools};
use super::{
    sql, AcceptOutcome, Backend, ClaimedRow, DbResult, Prepared, StoreError, StoreOptions,
};
use crate::audit::Origin;
use crate::time::{Clock, Millis};

static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/sqlite");

/// The most records one group transaction takes: enough to share one commit among
/// many requests, few enough to keep each commit short.
const GROUP_RECORDS: usize = 2_000;

/// Accepts waiting for the group writer; beyond this, callers wait to queue.
const GROUP_QUEUE: usize = 256;

/// The writer's page cache, in KiB as `PRAGMA cache_size` takes it (negative).
const WRITER_CACHE_KIB: &str = "-65536";

/// How often [`checkpointer`] copies the write-ahead log into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Beyond this many frames (4 KiB each) in the log, [`checkpointer`] waits for a
/// pause between writes and starts the log afresh, so it cannot grow without end
/// under unbroken load.
const WAL_RESTART_FRAMES: i64 = 65_536;

/// One `accept` waiting for the [`group_writer`].
struct AcceptJob {
    prepared: Vec<Prepared>,
    origin: Origin,
    reply: oneshot::Sender<Result<Vec<AcceptOutcome>, StoreError>>,
}

impl std::fmt::Debug for AcceptJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptJob")
            .field("messages", &self.prepared.len())
            .finish_non_exhaustive()
    }
}

fn closed() -> StoreError {
    StoreError::Unavailable("the store is closed".into())
}

/// Group commit: SQLite has one writer and a commit waits for the disk, so the
/// accepts that queued while one transaction ran are committed together in the
/// next, each caller answered only after that commit. A request's fault that is
/// not the database's (a constraint its data breaks) fails only that request:
/// the group is then committed one request at a time.
async fn group_writer(
    writer: SqlitePool,
    clock: Arc<dyn Clock>,
    mut jobs: mpsc::Receiver<AcceptJob>,
) {
    while let Some(first) = jobs.recv().await {
        let mut records = first.prepared.len();
        let mut group = vec![first];
        while records < GROUP_RECORDS {
            let Ok(job) = jobs.try_recv() else { break };
            records += job.prepared.len();
            group.push(job);
        }
        tracing::debug!(requests = group.len(), records, "group commit");
        match commit_group(&writer, clock.now(), &mut group).await {
            Ok(outcomes) => {
                for (job, outcomes) in group.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcomes));
                }
            }
            Err(e) if group.len() == 1 => {
                if let Some(job) = group.pop() {
                    let _ = job.reply.send(Err(e));
                }
            }
            Err(e) if e.is_transient() => {
                let why = e.to_string();
                for job in group {
                    let _ = job
                        .reply
                        .send(Err(StoreError::Unavailable(why.clone().into())));
                }
            }
            Err(_) => {
                for mut job in group {
                    let alone = commit_group(&writer, clock.now(), std::slice::from_mut(&mut job))
                        .await
                        .map(|mut outcomes| outcomes.pop().unwrap_or_default());
                    let _ = job.reply.send(alone);
                }
            }
        }
    }
}

/// Copies the write-ahead log back into the database file every
/// [`CHECKPOINT_EVERY`], on a reader connection: SQLite would otherwise do it in
/// the committing writer, in the middle of the accepts' critical path. A
/// `PASSIVE` checkpoint never blocks the writer. Ends with the store.
async fn checkpointer(reader: SqlitePool, store: mpsc::WeakSender<AcceptJob>) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if store.upgrade().is_none() || reader.is_closed() {
            return;
        }
        let passive: Result<(i64, i64, i64), _> = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&reader)
            .await;
        let restart = match passive {
            Ok((_, frames, _)) => frames > WAL_RESTART_FRAMES,
            Err(e) => {
                tracing::debug!(error = %e, "checkpoint failed; the next one retries");
                false
            }
        };
        if restart {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                .execute(&reader)
                .await
            {
                tracing::warn!(error = %e, "the write-ahead log is large and could not be restarted");
            }
        }
    }
}

/// One transaction for a group of accepts; their outcomes, per accept.
async fn commit_group(
    writer: &SqlitePool,
    now: Millis,
    group: &mut [AcceptJob],
) -> Result<Vec<Vec<AcceptOutcome>>, StoreError> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await.db()?;
    let mut batches: Vec<(&mut [Prepared], &Origin)> = group
        .iter_mut()
        .map(|job| (job.prepared.as_mut_slice(), &job.origin))
        .collect();
    let outcomes = SqliteStore::accept_in(&mut tx, now, &mut batches).await?;
    tx.commit().await.db()?;
    Ok(outcomes)
}

/// The SQLite store. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The writer is one connection: SQLite has one writer at a time anyway,
    /// and queueing here instead of on the file lock keeps `SQLITE_BUSY` for
    /// other processes. The readers are the writer itself for an in-memory
    /// database.
    pools: Pools<Sqlite>,
    /// Accepts queue here for the [`group_writer`].
    accepts: mpsc::Sender<AcceptJob>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database named by `url` (`sqlite:PATH`,
    /// `sqlite://PATH`, `sqlite::memory:` or a plain path) and migrates it.
    pub async fn open(url: &str, options: StoreOptions) -> Result<SqliteStore, StoreError> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let connect = if url.starts_with("sqlite:") {
            url.parse::<SqliteConnectOptions>()
                .map_err(|e| StoreError::Invalid(format!("SQLite URL `{url}`: {e}")))?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        if !in_memory {
            super::opening::create_private_file(connect.get_filename())?;
        }
        let connect = connect
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(options.busy_timeout)
            .foreign_keys(true);

        let (writer, reader) = if in_memory {
            // An in-memory database lives as long as its one connection.
            let pool = Pools::options(&options)
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(connect)
                .await
                .db()?;
            (pool.clone(), pool)
        } else {
            // The writer checkpoints nothing itself ([`checkpointer`] does, beside
            // it); it keeps the pages it writes most (the indexes) cached, and
            // its statement journals in memory.
            let writer_connect = connect
                .clone()
                .pragma("wal_autocheckpoint", "0")
                .pragma("cache_size", WRITER_CACHE_KIB)
                .pragma("temp_store", "memory")
                // A group's RETURNING rows stream back without the SQLite
                // thread stopping to wait for this side every 50 rows.
                .row_buffer_size(2 * GROUP_RECORDS);
            // A writer connection a failed commit left stuck is replaced (see
            // `replace_when_stuck`); the in-memory database above cannot be,
            // as it lives and dies with its one connection.
            let writer = replace_when_stuck(Pools::options(&options))
                .max_connections(1)
                .connect_with(writer_connect)
                .await
                .db()?;
            let reader = Pools::options(&options).connect_lazy_with(connect);
            (writer, reader)
        };
        let pools = Pools::migrated(reader, writer, options.clock, &MIGRATOR).await?;
        let (accepts, jobs) = mpsc::channel(GROUP_QUEUE);
        // The group writer has a thread of its own: each of its statements is a
        // round trip to SQLite's thread, and on a busy runtime every round trip
        // would also wait for a free worker while holding the write lock.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        let (group_pool, clock) = (pools.writer.clone(), Arc::clone(&pools.clock));
        std::thread::Builder::new()
            .name("sqlite-accepts".into())
            .spawn(move || runtime.block_on(group_writer(group_pool, clock, jobs)))
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        if !in_memory {
            tokio::spawn(checkpointer(pools.reader.clone(), accepts.downgrade()));
        }
        Ok(SqliteStore { pools, accepts })
    }

    /// A pragma's value as the writer connection sees it.
    #[cfg(test)]
    pub(crate) async fn pragma_for_tests(&self, name: &str) -> String {
        use sqlx::Row;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
            .fetch_one(&self.pools.writer)
            .await
            .expect("pragma");
        row.try_get::<i64, _>(0)
            .map(|v| v.to_string())
            .or_else(|_| row.try_get::<String, _>(0))
            .expect("pragma value")
    }
}

#[async_trait]
impl Dialect for SqliteStore {
    type Db = Sqlite;

    const BACKEND: Backend = Backend::Sqlite;
    const CLAIM_DESTINATION: &'static str = sql::CLAIM_DESTINATION_SQLITE;
    const CLAIM_ALL: &'static str = sql::CLAIM_ALL_SQLITE;
    /// `BEGIN IMMEDIATE` already holds the one write lock.
    const TRACE_FOR_WRITE: &'static str = sql::GET_TRACE;
    const DEAD_DELIVERIES_ALL: &'static str = sql::DEAD_DELIVERIES_ALL;
    const DEAD_DELIVERIES_DESTINATION: &'static str = sql::DEAD_DELIVERIES_DESTINATION;

    fn pools(&self) -> &Pools<Sqlite> {
        &self.pools
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        self.pools.writer.begin_with("BEGIN IMMEDIATE").await.db()
    }

    /// `BEGIN IMMEDIATE` took SQLite's one write lock: no other transaction
    /// appends until this one ends.
    async fn lock_chain(_: &mut SqliteConnection) -> Result<(), StoreError> {
        Ok(())
    }

    /// Queues the batch for the [`group_writer`] and waits for its commit.
    async fn accept_prepared(
        &self,
        prepared: Vec<Prepared>,
        origin: &Origin,
    ) -> Result<Vec<AcceptOutcome>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = AcceptJob {
            prepared,
            origin: origin.clone(),
            reply,
        };
        self.accepts.send(job).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// Leases inside `BEGIN IMMEDIATE`, so no other writer sees the rows between
    /// the choice and the update, then reads the claimed rows in the same
    /// transaction.
    async fn claim_due(&self, claim: &Claim<'_>) -> Result<Vec<ClaimedRow>, StoreError> {
        let mut tx = self.begin_write().await?;
        let ids: Vec<(i64,)> = Self::claim_query(claim).fetch_all(&mut *tx).await.db()?;
        if ids.is_empty() {
            tx.commit().await.db()?;
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
        let ids_json = serde_json::to_string(&ids)
            .map_err(|e| StoreError::Invalid(format!("claimed ids: {e}")))?;
        let rows: Vec<ClaimedRow> = sqlx::query_as(sql::SELECT_CLAIMED_BY_IDS_SQLITE)
            .bind(ids_json)
            .fetch_all(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(rows)
    }

    fn push_in_seqs(query: &mut QueryBuilder<Sqlite>, seqs: &[i64]) {
        push_list(query, seqs);
    }

    fn push_in_ids(query: &mut QueryBuilder<Sqlite>, ids: &[Uuid]) {
        push_list(query, ids);
    }
}

/// `(?, ?, …)`, one parameter per item.
fn push_list<T>(query: &mut QueryBuilder<Sqlite>, items: &[T])
where
    T: Copy + for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite>,
{
    query.push("(");
    let mut list = query.separated(", ");
    for item in items {
        list.push_bind(*item);
    }
    query.push(")");
}
