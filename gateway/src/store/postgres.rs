//! The shared store: PostgreSQL, for one gateway or several replicas.
//!
//! Replicas claim deliveries with `SELECT … FOR UPDATE SKIP LOCKED` and leases:
//! rows another replica is claiming are skipped rather than waited for, and a
//! delivery whose lease expired (its replica died) is claimed again. Write
//! transactions run at READ COMMITTED; the claim is a single statement.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres, QueryBuilder};
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

static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/postgres");

/// The PostgreSQL store. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`), creates [`StoreOptions::schema`] if set
    /// and missing, and migrates. Replicas starting together migrate one at a time
    /// (sqlx holds an advisory lock).
    pub async fn connect(url: &str, options: StoreOptions) -> Result<PgStore, StoreError> {
        // The URL may hold a password: never echo it.
        let mut connect = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("PostgreSQL URL: {e}")))?;
        if let Some(schema) = &options.schema {
            if !is_plain_identifier(schema) {
                return Err(StoreError::Invalid(format!(
                    "schema `{schema}`: use lower-case letters, digits and `_`"
                )));
            }
            let mut conn = PgConnection::connect_with(&connect).await.db()?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
            )))
            .execute(&mut conn)
            .await
            .db()?;
            conn.close().await.db()?;
            connect = connect.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.busy_timeout)
            .connect_with(connect)
            .await
            .db()?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(Box::new(e)))?;
        Ok(PgStore {
            pool,
            clock: options.clock,
        })
    }
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

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query(sql::PING).execute(&self.pool).await.db()?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn accept(
        &self,
        batch: &[NewMessage],
        origin: &Origin,
    ) -> Result<Vec<AcceptOutcome>, StoreError> {
        let mut prepared = prepare(batch)?;
        if prepared.is_empty() && origin.also.is_empty() {
            return Ok(Vec::new());
        }
        mark_repeats(&mut prepared);
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.db()?;
        let batch: Vec<&Prepared> = prepared.iter().collect();
        let (outcomes, deliveries) = insert_batch(&mut tx, &batch, now).await?;
        let events = accept_events(&batch, &outcomes, &deliveries_of(&deliveries), origin);
        append(&mut tx, now, &events).await?;
        tx.commit().await.db()?;
        Ok(outcomes)
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
            .fetch_optional(&self.pool)
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
            .execute(&self.pool)
            .await
            .db()?
            .rows_affected();
        if inserted == 1 {
            return Ok(Idempotency::New);
        }
        // ON CONFLICT waited for the other insert to commit, so its row is visible now.
        self.lookup_idempotency(partner, key, request_hash).await
    }

    async fn purge_idempotency(&self, age: Duration) -> Result<u64, StoreError> {
        let before = self.clock.now().saturating_sub(millis(age));
        let done = sqlx::query(sql::PURGE_IDEMPOTENCY)
            .bind(before)
            .execute(&self.pool)
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
        let query = match destination {
            Some(destination) => sqlx::query_as(sql::CLAIM_DESTINATION_POSTGRES)
                .bind(worker_id)
                .bind(expires)
                .bind(now)
                .bind(destination)
                .bind(i64::from(limit)),
            None => sqlx::query_as(sql::CLAIM_ALL_POSTGRES)
                .bind(worker_id)
                .bind(expires)
                .bind(now)
                .bind(i64::from(limit)),
        };
        let rows: Vec<ClaimedRow> = query.fetch_all(&self.pool).await.db()?;
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
        let mut tx = self.pool.begin().await.db()?;
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
            .execute(&self.pool)
            .await
            .db()?;
        Ok(done.rows_affected())
    }

    async fn get_message(&self, message_id: Uuid) -> Result<Option<MessageView>, StoreError> {
        let Some(row): Option<MessageRow> = sqlx::query_as(sql::GET_MESSAGE)
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await
            .db()?
        else {
            return Ok(None);
        };
        let deliveries: Vec<DeliveryRow> = sqlx::query_as(sql::DELIVERIES_OF_MESSAGE)
            .bind(row.seq)
            .fetch_all(&self.pool)
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
        let mut query = QueryBuilder::<Postgres>::new(sql::LIST_MESSAGES_HEAD);
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
            query.build_query_as().fetch_all(&self.pool).await.db()?;
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        let next = more
            .then(|| messages.last().map(|m| Cursor(m.seq)))
            .flatten();
        let deliveries: Vec<DeliveryRow> = if messages.is_empty() {
            Vec::new()
        } else {
            let seqs: Vec<i64> = messages.iter().map(|m| m.seq).collect();
            let mut query = QueryBuilder::<Postgres>::new(sql::DELIVERIES_OF_MESSAGES_HEAD);
            query
                .push("(SELECT unnest(")
                .push_bind(seqs)
                .push(")) ORDER BY d.id");
            query.build_query_as().fetch_all(&self.pool).await.db()?
        };
        Ok(MessagePage {
            items: views(messages, deliveries)?,
            next,
        })
    }

    async fn replay(&self, message_id: Uuid, actor: &str) -> Result<u64, StoreError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.db()?;
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
        // Rows first, the chain lock last (in `append`), as every writer does:
        // a transaction holding the chain lock never waits for a row.
        let mut tx = self.pool.begin().await.db()?;
        let (dead, query) = match destination {
            Some(destination) => (
                sqlx::query_as(sql::DEAD_DELIVERIES_DESTINATION_FOR_UPDATE)
                    .bind(destination)
                    .fetch_all(&mut *tx)
                    .await
                    .db()?,
                sqlx::query(sql::RETRY_DEAD_DESTINATION)
                    .bind(now)
                    .bind(destination),
            ),
            None => (
                sqlx::query_as(sql::DEAD_DELIVERIES_ALL_FOR_UPDATE)
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
            .fetch_all(&self.pool)
            .await
            .db()?;
        super::queue_depths(rows)
    }

    async fn get_trace(&self, trace_id: &str) -> Result<Option<Trace>, StoreError> {
        let row: Option<TraceRow> = sqlx::query_as(sql::GET_TRACE)
            .bind(trace_id)
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(TraceRow::into_trace).transpose()
    }

    async fn transition(&self, trace_id: &str, to: TraceState) -> Result<Transition, StoreError> {
        // The row lock makes the read and the update one step against other replicas.
        let mut tx = self.pool.begin().await.db()?;
        let row: Option<TraceRow> = sqlx::query_as(sql::GET_TRACE_FOR_UPDATE)
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
            .fetch_all(&self.pool)
            .await
            .db()
    }

    async fn traces_to_tell(&self, country: &str, limit: u32) -> Result<Vec<Trace>, StoreError> {
        let rows: Vec<TraceRow> = sqlx::query_as(sql::TRACES_TO_TELL)
            .bind(country)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .db()?;
        rows.into_iter().map(TraceRow::into_trace).collect()
    }

    async fn told_hub(&self, trace_id: &str, state: TraceState) -> Result<(), StoreError> {
        sqlx::query(sql::TOLD_HUB)
            .bind(trace_id)
            .bind(state.as_str())
            .execute(&self.pool)
            .await
            .db()?;
        Ok(())
    }
    async fn audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.db()?;
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
            .fetch_all(&self.pool)
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
            .fetch_all(&self.pool)
            .await
            .db()?;
        entries.reverse();
        Ok(entries)
    }

    async fn audit_span(&self, from: Millis, to: Millis) -> Result<Option<(i64, i64)>, StoreError> {
        let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as(sql::AUDIT_SPAN)
            .bind(from)
            .bind(to)
            .fetch_one(&self.pool)
            .await
            .db()?;
        Ok(first.zip(last))
    }
}

/// Takes the chain's append lock for the rest of the caller's transaction (a
/// transaction-scoped advisory lock): replicas sharing the store append one
/// after another, so the chain never forks. Taking it again is a no-op.
async fn lock_chain(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query(sql::AUDIT_LOCK_POSTGRES)
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(())
}

/// Appends audit entries inside the caller's transaction, under the chain lock.
/// Taken last (after the transaction's other writes), the lock is held only
/// for the head read, the insert and the commit.
async fn append(
    conn: &mut PgConnection,
    now: Millis,
    events: &[AuditEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    lock_chain(conn).await?;
    let head: Option<(i64, String)> = sqlx::query_as(sql::AUDIT_HEAD)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    let entries = audit::link(head, now, events);
    for chunk in chunks(&entries) {
        let mut query = QueryBuilder::<Postgres>::new(sql::INSERT_AUDIT_HEAD);
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

/// Inserts a prepared batch inside the caller's transaction.
async fn insert_batch(
    conn: &mut PgConnection,
    batch: &[&Prepared],
    now: Millis,
) -> Result<(Vec<AcceptOutcome>, Vec<NewDelivery>), StoreError> {
    let firsts: Vec<&Prepared> = batch
        .iter()
        .copied()
        .filter(|p| !p.repeat_in_batch)
        .collect();

    // Messages: what comes back was inserted; the rest repeats something stored
    // (ON CONFLICT waits for a concurrent insert of the same key to finish).
    let mut accepted: HashMap<Uuid, i64> = HashMap::with_capacity(firsts.len());
    for chunk in chunks(&firsts) {
        let mut query = QueryBuilder::<Postgres>::new(sql::INSERT_MESSAGES_HEAD);
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
    let known_ids: HashSet<Uuid> = if refused.is_empty() {
        HashSet::new()
    } else {
        let rows: Vec<Uuid> = sqlx::query_scalar(sql::KNOWN_MESSAGE_IDS_POSTGRES)
            .bind(&refused)
            .fetch_all(&mut *conn)
            .await
            .db()?;
        rows.into_iter().collect()
    };

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
        let mut query = QueryBuilder::<Postgres>::new(sql::INSERT_DELIVERIES_HEAD);
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
