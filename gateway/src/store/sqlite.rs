//! The embedded store: one SQLite file in WAL mode.
//!
//! Durability: `synchronous=FULL`, so a committed transaction survives a power loss
//! (the WAL is synced at every commit). Concurrency: every write goes through one
//! connection and starts with `BEGIN IMMEDIATE`, taking SQLite's single write lock
//! before reading, so a claim's choice and its update cannot interleave with another
//! writer's (another process, such as an operator's CLI, waits up to the busy
//! timeout). Reads use a small pool of their own, which WAL lets run beside the writer.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::audit::{self, AuditEntry, AuditEvent, Origin};

use super::{
    accept_events, chunks, deliveries_of, delivery_rows, mark_repeats, millis, outcomes, prepare,
    sql, version_i64, views, AcceptOutcome, Backend, ClaimedDelivery, ClaimedRow, Clock, Cursor,
    DbResult, DeadDelivery, DeliveryRow, DeliveryState, DeliverySubject, Idempotency,
    MessageFilter, MessagePage, MessageRow, MessageView, Millis, NewDelivery, NewMessage, Prepared,
    QueueDepth, Settlement, Store, StoreError, StoreOptions, Trace, TraceRow, TraceState,
    Transition, MAX_PAGE,
};

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
    // The group is one batch: a message sent in two concurrent requests is a
    // repeat within it, as within one request.
    mark_repeats(group.iter_mut().flat_map(|job| job.prepared.iter_mut()));
    let batch: Vec<&Prepared> = group.iter().flat_map(|job| &job.prepared).collect();
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await.db()?;
    let (outcomes, deliveries) = insert_batch(&mut tx, &batch, now).await?;
    let deliveries_of = deliveries_of(&deliveries);
    let mut events = Vec::new();
    let mut per_job = Vec::with_capacity(group.len());
    let mut outcomes = outcomes.into_iter();
    let mut start = 0;
    for job in group.iter() {
        let end = start + job.prepared.len();
        let mine: Vec<AcceptOutcome> = outcomes.by_ref().take(job.prepared.len()).collect();
        let prepared = batch.get(start..end).unwrap_or_default();
        events.extend(accept_events(prepared, &mine, &deliveries_of, &job.origin));
        per_job.push(mine);
        start = end;
    }
    append(&mut tx, now, &events).await?;
    tx.commit().await.db()?;
    Ok(per_job)
}

/// The SQLite store. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// One connection: SQLite has one writer at a time anyway, and queueing here
    /// instead of on the file lock keeps `SQLITE_BUSY` for other processes.
    writer: SqlitePool,
    /// Readers; the writer itself for an in-memory database.
    reader: SqlitePool,
    clock: Arc<dyn Clock>,
    /// Accepts queue here for the [`group_writer`].
    accepts: mpsc::Sender<AcceptJob>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database named by `url` (`sqlite:PATH`,
    /// `sqlite://PATH`, `sqlite::memory:` or a plain path) and migrates it.
    pub async fn open(url: &str, options: StoreOptions) -> Result<SqliteStore, StoreError> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
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
            .busy_timeout(options.busy_timeout)
            .foreign_keys(true);

        let (writer, reader) = if in_memory {
            // An in-memory database lives as long as its one connection.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(options.busy_timeout)
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
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(options.busy_timeout)
                .connect_with(writer_connect)
                .await
                .db()?;
            let reader = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.busy_timeout)
                .connect_lazy_with(connect);
            (writer, reader)
        };
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Migration(Box::new(e)))?;
        let (accepts, jobs) = mpsc::channel(GROUP_QUEUE);
        // The group writer has a thread of its own: each of its statements is a
        // round trip to SQLite's thread, and on a busy runtime every round trip
        // would also wait for a free worker while holding the write lock.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        let (group_pool, clock) = (writer.clone(), Arc::clone(&options.clock));
        std::thread::Builder::new()
            .name("sqlite-accepts".into())
            .spawn(move || runtime.block_on(group_writer(group_pool, clock, jobs)))
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        if !in_memory {
            tokio::spawn(checkpointer(reader.clone(), accepts.downgrade()));
        }
        Ok(SqliteStore {
            writer,
            reader,
            clock: options.clock,
            accepts,
        })
    }

    /// A pragma's value as the writer connection sees it.
    #[cfg(test)]
    pub(crate) async fn pragma_for_tests(&self, name: &str) -> String {
        use sqlx::Row;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
            .fetch_one(&self.writer)
            .await
            .expect("pragma");
        row.try_get::<i64, _>(0)
            .map(|v| v.to_string())
            .or_else(|_| row.try_get::<String, _>(0))
            .expect("pragma value")
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.db()
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query(sql::PING).execute(&self.reader).await.db()?;
        Ok(())
    }

    async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    async fn accept(
        &self,
        batch: &[NewMessage],
        origin: &Origin,
    ) -> Result<Vec<AcceptOutcome>, StoreError> {
        let prepared = prepare(batch)?;
        if prepared.is_empty() && origin.also.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        let job = AcceptJob {
            prepared,
            origin: origin.clone(),
            reply,
        };
        self.accepts.send(job).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    async fn lookup_idempotency(
        &self,
        partner: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<Idempotency, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(sql::LOOKUP_IDEMPOTENCY)
            .bind(partner)
            .bind(key)
            .fetch_optional(&self.reader)
            .await
            .db()?;
        Ok(super::idempotency_of(row, request_hash))
    }

    async fn remember_idempotency(
        &self,
        partner: &str,
        key: &str,
        request_hash: &str,
        response: &str,
    ) -> Result<Idempotency, StoreError> {
        let inserted = sqlx::query(sql::REMEMBER_IDEMPOTENCY)
            .bind(partner)
            .bind(key)
            .bind(request_hash)
            .bind(response)
            .bind(self.clock.now())
            .execute(&self.writer)
            .await
            .db()?
            .rows_affected();
        if inserted == 1 {
            return Ok(Idempotency::New);
        }
        let row: Option<(String, String)> = sqlx::query_as(sql::LOOKUP_IDEMPOTENCY)
            .bind(partner)
            .bind(key)
            .fetch_optional(&self.writer)
            .await
            .db()?;
        Ok(super::idempotency_of(row, request_hash))
    }

    async fn purge_idempotency(&self, age: Duration) -> Result<u64, StoreError> {
        let before = self.clock.now().saturating_sub(millis(age));
        let done = sqlx::query(sql::PURGE_IDEMPOTENCY)
            .bind(before)
            .execute(&self.writer)
            .await
            .db()?;
        Ok(done.rows_affected())
    }

    async fn claim(
        &self,
        worker_id: &str,
        destination: Option<&str>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let expires = now.saturating_add(millis(lease));
        let mut tx = self.begin_write().await?;
        let query = match destination {
            Some(destination) => sqlx::query_scalar(sql::CLAIM_DESTINATION_SQLITE)
                .bind(worker_id)
                .bind(expires)
                .bind(now)
                .bind(destination)
                .bind(i64::from(limit)),
            None => sqlx::query_scalar(sql::CLAIM_ALL_SQLITE)
                .bind(worker_id)
                .bind(expires)
                .bind(now)
                .bind(i64::from(limit)),
        };
        let ids: Vec<i64> = query.fetch_all(&mut *tx).await.db()?;
        if ids.is_empty() {
            tx.commit().await.db()?;
            return Ok(Vec::new());
        }
        let ids_json = serde_json::to_string(&ids)
            .map_err(|e| StoreError::Invalid(format!("claimed ids: {e}")))?;
        let rows: Vec<ClaimedRow> = sqlx::query_as(sql::SELECT_CLAIMED_BY_IDS_SQLITE)
            .bind(ids_json)
            .fetch_all(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        rows.into_iter().map(ClaimedRow::into_claimed).collect()
    }

    async fn settle(
        &self,
        worker_id: &str,
        outcomes: &[(i64, Settlement)],
    ) -> Result<Vec<bool>, StoreError> {
        if outcomes.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let mut tx = self.begin_write().await?;
        let mut settled = Vec::with_capacity(outcomes.len());
        let mut events = Vec::with_capacity(outcomes.len());
        for (delivery_id, outcome) in outcomes {
            let done = match outcome {
                Settlement::Delivered(receipt) => {
                    sqlx::query(sql::MARK_DELIVERED)
                        .bind(now)
                        .bind(receipt.remote_id.as_deref())
                        .bind(receipt.status.map(i64::from))
                        .bind(receipt.detail.as_deref())
                        .bind(delivery_id)
                        .bind(worker_id)
                        .execute(&mut *tx)
                        .await
                }
                Settlement::Failed { error, next } => {
                    let (state, due_at) = super::after_failure(now, *next);
                    sqlx::query(sql::MARK_FAILED)
                        .bind(state.as_str())
                        .bind(due_at)
                        .bind(error)
                        .bind(now)
                        .bind(delivery_id)
                        .bind(worker_id)
                        .execute(&mut *tx)
                        .await
                }
            }
            .db()?;
            if done.rows_affected() != 1 {
                settled.push(false);
                continue;
            }
            let subject: DeliverySubject = sqlx::query_as(sql::DELIVERY_SUBJECT)
                .bind(delivery_id)
                .fetch_one(&mut *tx)
                .await
                .db()?;
            events.push(subject.settled(worker_id, *delivery_id, outcome));
            settled.push(true);
        }
        append(&mut tx, now, &events).await?;
        tx.commit().await.db()?;
        Ok(settled)
    }

    async fn release(&self, worker_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(sql::RELEASE)
            .bind(self.clock.now())
            .bind(worker_id)
            .execute(&self.writer)
            .await
            .db()?;
        Ok(done.rows_affected())
    }

    async fn get_message(&self, message_id: Uuid) -> Result<Option<MessageView>, StoreError> {
        let Some(row): Option<MessageRow> = sqlx::query_as(sql::GET_MESSAGE)
            .bind(message_id)
            .fetch_optional(&self.reader)
            .await
            .db()?
        else {
            return Ok(None);
        };
        let deliveries: Vec<DeliveryRow> = sqlx::query_as(sql::DELIVERIES_OF_MESSAGE)
            .bind(row.seq)
            .fetch_all(&self.reader)
            .await
            .db()?;
        Ok(views(vec![row], deliveries)?.pop())
    }

    async fn list_messages(
        &self,
        filter: &MessageFilter,
        limit: u32,
        cursor: Option<Cursor>,
    ) -> Result<MessagePage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut query = QueryBuilder::<Sqlite>::new(sql::LIST_MESSAGES_HEAD);
        if let Some(kind) = filter.kind {
            query.push(" AND m.kind = ").push_bind(kind.tag());
        }
        if let Some(partner) = &filter.partner {
            query
                .push(" AND m.source_partner = ")
                .push_bind(partner.clone());
        }
        if let Some(state) = filter.state {
            query
                .push(sql::LIST_FILTER_STATE)
                .push_bind(state.as_str())
                .push(")");
        }
        if let Some(Cursor(seq)) = cursor {
            query.push(" AND m.seq < ").push_bind(seq);
        }
        query
            .push(" ORDER BY m.seq DESC LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let mut messages: Vec<MessageRow> =
            query.build_query_as().fetch_all(&self.reader).await.db()?;
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        let next = more
            .then(|| messages.last().map(|m| Cursor(m.seq)))
            .flatten();
        let deliveries: Vec<DeliveryRow> = if messages.is_empty() {
            Vec::new()
        } else {
            let mut query = QueryBuilder::<Sqlite>::new(sql::DELIVERIES_OF_MESSAGES_HEAD);
            query.push("(");
            let mut list = query.separated(", ");
            for message in &messages {
                list.push_bind(message.seq);
            }
            query.push(") ORDER BY d.id");
            query.build_query_as().fetch_all(&self.reader).await.db()?
        };
        Ok(MessagePage {
            items: views(messages, deliveries)?,
            next,
        })
    }

    async fn replay(&self, message_id: Uuid, actor: &str) -> Result<u64, StoreError> {
        let now = self.clock.now();
        let mut tx = self.begin_write().await?;
        let Some(kind): Option<String> = sqlx::query_scalar(sql::MESSAGE_KIND)
            .bind(message_id)
            .fetch_optional(&mut *tx)
            .await
            .db()?
        else {
            return Err(StoreError::NotFound {
                what: "message",
                id: message_id.to_string(),
            });
        };
        let queued = sqlx::query(sql::REPLAY)
            .bind(now)
            .bind(message_id)
            .execute(&mut *tx)
            .await
            .db()?
            .rows_affected();
        let event = super::replay_event(actor, message_id, &kind, queued);
        append(&mut tx, now, &[event]).await?;
        tx.commit().await.db()?;
        Ok(queued)
    }

    async fn retry_dead(&self, destination: Option<&str>, actor: &str) -> Result<u64, StoreError> {
        let now = self.clock.now();
        let mut tx = self.begin_write().await?;
        let (dead, query) = match destination {
            Some(destination) => (
                sqlx::query_as(sql::DEAD_DELIVERIES_DESTINATION)
                    .bind(destination)
                    .fetch_all(&mut *tx)
                    .await
                    .db()?,
                sqlx::query(sql::RETRY_DEAD_DESTINATION)
                    .bind(now)
                    .bind(destination),
            ),
            None => (
                sqlx::query_as(sql::DEAD_DELIVERIES_ALL)
                    .fetch_all(&mut *tx)
                    .await
                    .db()?,
                sqlx::query(sql::RETRY_DEAD_ALL).bind(now),
            ),
        };
        let dead: Vec<DeadDelivery> = dead;
        let queued = query.execute(&mut *tx).await.db()?.rows_affected();
        append(
            &mut tx,
            now,
            &super::retry_dead_events(actor, destination, &dead),
        )
        .await?;
        tx.commit().await.db()?;
        Ok(queued)
    }

    async fn queue_depth(&self) -> Result<Vec<QueueDepth>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(sql::QUEUE_DEPTH)
            .fetch_all(&self.reader)
            .await
            .db()?;
        super::queue_depths(rows)
    }

    async fn get_trace(&self, trace_id: &str) -> Result<Option<Trace>, StoreError> {
        let row: Option<TraceRow> = sqlx::query_as(sql::GET_TRACE)
            .bind(trace_id)
            .fetch_optional(&self.reader)
            .await
            .db()?;
        row.map(TraceRow::into_trace).transpose()
    }

    async fn transition(&self, trace_id: &str, to: TraceState) -> Result<Transition, StoreError> {
        // One write transaction: the read and the compare-and-set cannot interleave.
        let mut tx = self.begin_write().await?;
        let row: Option<TraceRow> = sqlx::query_as(sql::GET_TRACE)
            .bind(trace_id)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
        let from = super::check_transition(trace_id, row, to)?;
        if from == to {
            return Ok(Transition {
                from,
                to,
                changed: false,
            });
        }
        let stamps = super::TransitionStamps::new(self.clock.now(), to);
        sqlx::query(sql::TRANSITION_TRACE)
            .bind(to.as_str())
            .bind(stamps.now)
            .bind(stamps.delivered_at)
            .bind(stamps.acknowledged_at)
            .bind(stamps.closed_at)
            .bind(trace_id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(Transition {
            from,
            to,
            changed: true,
        })
    }

    async fn expire_due(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar(sql::EXPIRE_DUE)
            .bind(self.clock.now())
            .fetch_all(&self.writer)
            .await
            .db()
    }

    async fn traces_to_tell(&self, country: &str, limit: u32) -> Result<Vec<Trace>, StoreError> {
        let rows: Vec<TraceRow> = sqlx::query_as(sql::TRACES_TO_TELL)
            .bind(country)
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .db()?;
        rows.into_iter().map(TraceRow::into_trace).collect()
    }

    async fn told_hub(&self, trace_id: &str, state: TraceState) -> Result<(), StoreError> {
        sqlx::query(sql::TOLD_HUB)
            .bind(trace_id)
            .bind(state.as_str())
            .execute(&self.writer)
            .await
            .db()?;
        Ok(())
    }
    async fn audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        append(&mut tx, self.clock.now(), events).await?;
        tx.commit().await.db()
    }

    async fn audit_entries(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        sqlx::query_as(sql::AUDIT_ENTRIES)
            .bind(after_seq)
            .bind(i64::from(limit.clamp(1, MAX_PAGE)))
            .fetch_all(&self.reader)
            .await
            .db()
    }

    async fn audit_of_subject(
        &self,
        subject: &str,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut entries: Vec<AuditEntry> = sqlx::query_as(sql::AUDIT_OF_SUBJECT)
            .bind(subject)
            .bind(i64::from(limit.clamp(1, MAX_PAGE)))
            .fetch_all(&self.reader)
            .await
            .db()?;
        entries.reverse();
        Ok(entries)
    }

    async fn audit_span(&self, from: Millis, to: Millis) -> Result<Option<(i64, i64)>, StoreError> {
        let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as(sql::AUDIT_SPAN)
            .bind(from)
            .bind(to)
            .fetch_one(&self.reader)
            .await
            .db()?;
        Ok(first.zip(last))
    }
}

/// Appends audit entries inside the caller's write transaction: `BEGIN IMMEDIATE`
/// already holds SQLite's one write lock, so the head read here stays the head.
async fn append(
    conn: &mut SqliteConnection,
    now: Millis,
    events: &[AuditEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let head: Option<(i64, String)> = sqlx::query_as(sql::AUDIT_HEAD)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    let entries = audit::link(head, now, events);
    for chunk in chunks(&entries) {
        let mut query = QueryBuilder::<Sqlite>::new(sql::INSERT_AUDIT_HEAD);
        query.push_values(chunk, |mut row, e| {
            row.push_bind(e.seq)
                .push_bind(e.at)
                .push_bind(e.actor.clone())
                .push_bind(e.action.clone())
                .push_bind(e.subject.clone())
                .push_bind(e.kind.clone())
                .push_bind(e.partner.clone())
                .push_bind(e.details.clone())
                .push_bind(e.prev_hash.clone())
                .push_bind(e.hash.clone());
        });
        query.build().execute(&mut *conn).await.db()?;
    }
    Ok(())
}

/// Inserts a prepared batch inside the caller's write transaction.
async fn insert_batch(
    conn: &mut SqliteConnection,
    batch: &[&Prepared],
    now: Millis,
) -> Result<(Vec<AcceptOutcome>, Vec<NewDelivery>), StoreError> {
    let firsts: Vec<&Prepared> = batch
        .iter()
        .copied()
        .filter(|p| !p.repeat_in_batch)
        .collect();

    // Messages: what comes back was inserted; the rest repeats something stored.
    let mut accepted: HashMap<Uuid, i64> = HashMap::with_capacity(firsts.len());
    for chunk in chunks(&firsts) {
        let mut query = QueryBuilder::<Sqlite>::new(sql::INSERT_MESSAGES_HEAD);
        query.push_values(chunk, |mut row, p| {
            let key = p.natural_key.as_ref();
            row.push_bind(p.message_id)
                .push_bind(p.correlation_id)
                .push_bind(p.kind)
                .push_bind(p.source_partner.clone())
                .push_bind(now)
                .push_bind(p.ordering_key.clone())
                .push_bind(key.map(|k| k.owner_country.clone()))
                .push_bind(key.map(|k| k.owner_agency.clone()))
                .push_bind(key.map(|k| k.record_id.clone()))
                .push_bind(key.map(version_i64))
                .push_bind(Arc::clone(&p.body));
        });
        query.push(sql::INSERT_MESSAGES_TAIL);
        let rows: Vec<(Uuid, i64)> = query.build_query_as().fetch_all(&mut *conn).await.db()?;
        accepted.extend(rows);
    }

    // Why the others were refused: a known id, or else a known natural key.
    let refused: Vec<Uuid> = firsts
        .iter()
        .map(|p| p.message_id)
        .filter(|id| !accepted.contains_key(id))
        .collect();
    let mut known_ids: HashSet<Uuid> = HashSet::new();
    for chunk in chunks(&refused) {
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT message_id FROM messages WHERE message_id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(")");
        let rows: Vec<Uuid> = query
            .build_query_scalar()
            .fetch_all(&mut *conn)
            .await
            .db()?;
        known_ids.extend(rows);
    }

    // A refused message that repeats no stored id repeats a record's natural key.
    let mut originals: HashMap<Uuid, Uuid> = HashMap::new();
    for p in &firsts {
        if accepted.contains_key(&p.message_id) || known_ids.contains(&p.message_id) {
            continue;
        }
        let key = p.natural_key.as_ref().ok_or_else(|| {
            StoreError::Corrupt(format!(
                "message {} refused for no known reason",
                p.message_id
            ))
        })?;
        let original: Uuid = sqlx::query_scalar(sql::FIND_BY_NATURAL_KEY)
            .bind(key.owner_country.as_str())
            .bind(key.owner_agency.as_str())
            .bind(key.record_id.as_str())
            .bind(version_i64(key))
            .fetch_one(&mut *conn)
            .await
            .db()?;
        originals.insert(p.message_id, original);
    }
    let outcomes = outcomes(batch, &accepted, &known_ids, &originals)?;

    let by_seq: HashMap<i64, Uuid> = accepted.iter().map(|(id, seq)| (*seq, *id)).collect();
    let deliveries = delivery_rows(&firsts, &accepted);
    let mut created: Vec<NewDelivery> = Vec::with_capacity(deliveries.len());
    for chunk in chunks(&deliveries) {
        let mut query = QueryBuilder::<Sqlite>::new(sql::INSERT_DELIVERIES_HEAD);
        query.push_values(chunk, |mut row, (seq, destination, key)| {
            row.push_bind(*seq)
                .push_bind(destination.to_string())
                .push_bind(key.to_string())
                .push_bind(DeliveryState::Queued.as_str())
                .push_bind(0_i64)
                .push_bind(now)
                .push_bind(now)
                .push_bind(now);
        });
        query.push(sql::INSERT_DELIVERIES_TAIL);
        let rows: Vec<(i64, i64, String)> =
            query.build_query_as().fetch_all(&mut *conn).await.db()?;
        created.extend(
            rows.into_iter()
                .filter_map(|(id, seq, d)| by_seq.get(&seq).map(|m| (id, *m, d))),
        );
    }

    // Accepted trace requests start their trace.
    for p in firsts
        .iter()
        .filter(|p| accepted.contains_key(&p.message_id))
    {
        if let Some((trace_id, requesting, requested, due_at)) = &p.trace {
            sqlx::query(sql::INSERT_TRACE)
                .bind(trace_id)
                .bind(p.message_id)
                .bind(requesting)
                .bind(requested)
                .bind(due_at)
                .bind(now)
                .execute(&mut *conn)
                .await
                .db()?;
        }
    }
    Ok((outcomes, created))
}
