//! The [`Store`] operations, written once for both databases: generic over the
//! [`Dialect`], which supplies only what differs (see `dialect.rs`). Every
//! statement here has one text, run on either pool (`$N` parameters, which
//! sqlx's SQLite driver binds by number as PostgreSQL does).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::{ColumnIndex, Executor, IntoArguments, QueryBuilder};
use uuid::Uuid;

use super::dialect::{Args, Claim, Conn, Dialect, Done, Param, Row, RowsAffected, Value};
use super::{
    after_failure, check_transition, idempotency_of, prepare, queue_depths, replay_event,
    retry_dead_events, sql, views, AcceptOutcome, Backend, ClaimedDelivery, ClaimedRow, Cursor,
    DbResult, DeadDelivery, DeliveryRow, DeliverySubject, Idempotency, MessageFilter, MessagePage,
    MessageRow, MessageView, NewMessage, QueueDepth, Settlement, Store, StoreError, Trace,
    TraceRow, TraceState, Transition, TransitionStamps, MAX_PAGE,
};
use crate::audit::{AuditEntry, AuditEvent, Checkpoint, Origin, StoredBody, StoredDelivery};
use crate::store::NextStep;

/// The last error of a blocked delivery: what it waits behind.
fn blocked_reason(dead: &str) -> String {
    format!("blocked behind a dead delivery {dead}")
}
use crate::time::{millis, Millis};

#[async_trait]
impl<D> Store for D
where
    D: Dialect,
    // The same as `Dialect`'s own `where` clause (see there).
    for<'c> &'c mut Conn<D>: Executor<'c, Database = D::Db>,
    Args<D>: IntoArguments<D::Db>,
    usize: ColumnIndex<Row<D>>,
    for<'q> &'q str: ColumnIndex<Row<D>> + Param<'q, D::Db>,
    for<'q> i64: Value<'q, D::Db>,
    for<'q> String: Value<'q, D::Db>,
    for<'q> Uuid: Value<'q, D::Db>,
    for<'q> Arc<str>: Param<'q, D::Db>,
    for<'q> Option<i64>: Param<'q, D::Db>,
    for<'q> Option<&'q str>: Param<'q, D::Db>,
    Done<D>: RowsAffected,
{
    fn backend(&self) -> Backend {
        D::BACKEND
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query(sql::PING).execute(self.reader()).await.db()?;
        Ok(())
    }

    async fn ready(&self) -> Result<(), StoreError> {
        let now = self.clock().now();
        // The probe goes first and always: it is also what gets a stuck writer
        // connection replaced while no traffic writes.
        let mut tx = self.begin_write().await?;
        sqlx::query(sql::PROBE_WRITE)
            .bind(now)
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        self.pools().health.check(now)
    }

    async fn close(&self) {
        self.pools().close().await;
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
        let outcome = self.accept_prepared(prepared, origin).await;
        self.pools().health.record(self.clock().now(), &outcome);
        outcome
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
            .fetch_optional(self.reader())
            .await
            .db()?;
        Ok(idempotency_of(row, request_hash))
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
            .bind(self.clock().now())
            .execute(self.writer())
            .await
            .db()?
            .rows_affected();
        if inserted == 1 {
            return Ok(Idempotency::New);
        }
        // The insert that won has committed (PostgreSQL's ON CONFLICT waited for
        // it; SQLite has one writer), so a read now sees its row.
        self.lookup_idempotency(partner, key, request_hash).await
    }

    async fn purge_idempotency(&self, age: Duration) -> Result<u64, StoreError> {
        let before = self.clock().now().saturating_sub(millis(age));
        let done = sqlx::query(sql::PURGE_IDEMPOTENCY)
            .bind(before)
            .execute(self.writer())
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
        let now = self.clock().now();
        let claim = Claim {
            worker_id,
            destination,
            limit: i64::from(limit),
            now,
            expires: now.saturating_add(millis(lease)),
        };
        let rows = self.claim_due(&claim).await?;
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
        let now = self.clock().now();
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
                        .bind(*delivery_id)
                        .bind(worker_id)
                        .execute(&mut *tx)
                        .await
                }
                Settlement::Failed { error, next } => {
                    let (state, due_at) = after_failure(now, *next);
                    sqlx::query(sql::MARK_FAILED)
                        .bind(state.as_str())
                        .bind(due_at)
                        .bind(error.to_string())
                        .bind(now)
                        .bind(*delivery_id)
                        .bind(worker_id)
                        .execute(&mut *tx)
                        .await
                }
                Settlement::Unsent => {
                    sqlx::query(sql::UNSENT)
                        .bind(now)
                        .bind(*delivery_id)
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
            if matches!(outcome, Settlement::Unsent) {
                settled.push(true);
                continue;
            }
            let subject: DeliverySubject = sqlx::query_as(sql::DELIVERY_SUBJECT)
                .bind(*delivery_id)
                .fetch_one(&mut *tx)
                .await
                .db()?;
            if let Settlement::Failed {
                next: NextStep::Dead,
                ..
            } = outcome
            {
                sqlx::query(sql::BLOCK_SUCCESSORS)
                    .bind(now)
                    .bind(*delivery_id)
                    .bind(blocked_reason(&subject.message_id().to_string()))
                    .execute(&mut *tx)
                    .await
                    .db()?;
            }
            events.extend(subject.settled(worker_id, *delivery_id, outcome));
            settled.push(true);
        }
        D::append(&mut tx, now, &events).await?;
        tx.commit().await.db()?;
        Ok(settled)
    }

    async fn block_behind_dead(&self, destination: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(sql::BLOCK_BEHIND_DEAD)
            .bind(self.clock().now())
            .bind(destination)
            .bind(blocked_reason("of the same record"))
            .execute(self.writer())
            .await
            .db()?;
        Ok(done.rows_affected())
    }

    async fn make_due(&self, destination: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(sql::MAKE_DUE)
            .bind(self.clock().now())
            .bind(destination)
            .execute(self.writer())
            .await
            .db()?;
        Ok(done.rows_affected())
    }

    async fn release(&self, worker_id: &str) -> Result<u64, StoreError> {
        let done = sqlx::query(sql::RELEASE)
            .bind(self.clock().now())
            .bind(worker_id)
            .execute(self.writer())
            .await
            .db()?;
        Ok(done.rows_affected())
    }

    async fn get_message(&self, message_id: Uuid) -> Result<Option<MessageView>, StoreError> {
        let Some(row): Option<MessageRow> = sqlx::query_as(sql::GET_MESSAGE)
            .bind(message_id)
            .fetch_optional(self.reader())
            .await
            .db()?
        else {
            return Ok(None);
        };
        let deliveries: Vec<DeliveryRow> = sqlx::query_as(sql::DELIVERIES_OF_MESSAGE)
            .bind(row.seq)
            .fetch_all(self.reader())
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
        let mut query = QueryBuilder::<D::Db>::new(sql::LIST_MESSAGES_HEAD);
        if let Some(kind) = filter.kind {
            query.push(" AND m.kind = ").push_bind(kind.tag());
        }
        if let Some(partner) = &filter.partner {
            query
                .push(" AND m.source_partner = ")
                .push_bind(partner.as_str());
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
            query.build_query_as().fetch_all(self.reader()).await.db()?;
        let more = messages.len() > limit as usize;
        messages.truncate(limit as usize);
        let next = more
            .then(|| messages.last().map(|m| Cursor(m.seq)))
            .flatten();
        let deliveries: Vec<DeliveryRow> = if messages.is_empty() {
            Vec::new()
        } else {
            let seqs: Vec<i64> = messages.iter().map(|m| m.seq).collect();
            let mut query = QueryBuilder::<D::Db>::new(sql::DELIVERIES_OF_MESSAGES_HEAD);
            D::push_in_seqs(&mut query, &seqs);
            query.push(" ORDER BY d.id");
            query.build_query_as().fetch_all(self.reader()).await.db()?
        };
        Ok(MessagePage {
            items: views(messages, deliveries)?,
            truncated: next.is_some(),
            next,
        })
    }

    async fn replay(&self, message_id: Uuid, actor: &str) -> Result<u64, StoreError> {
        let now = self.clock().now();
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
        sqlx::query(sql::RELEASE_BLOCKED)
            .bind(now)
            .execute(&mut *tx)
            .await
            .db()?;
        let event = replay_event(actor, message_id, &kind, queued);
        D::append(&mut tx, now, &[event]).await?;
        tx.commit().await.db()?;
        Ok(queued)
    }

    async fn retry_dead(&self, destination: Option<&str>, actor: &str) -> Result<u64, StoreError> {
        let now = self.clock().now();
        // Rows first, the chain lock last (in `append`), as every writer does:
        // a transaction holding the chain lock never waits for a row.
        let mut tx = self.begin_write().await?;
        let (dead, query) = match destination {
            Some(destination) => (
                sqlx::query_as(D::DEAD_DELIVERIES_DESTINATION)
                    .bind(destination)
                    .fetch_all(&mut *tx)
                    .await
                    .db()?,
                sqlx::query(sql::RETRY_DEAD_DESTINATION)
                    .bind(now)
                    .bind(destination),
            ),
            None => (
                sqlx::query_as(D::DEAD_DELIVERIES_ALL)
                    .fetch_all(&mut *tx)
                    .await
                    .db()?,
                sqlx::query(sql::RETRY_DEAD_ALL).bind(now),
            ),
        };
        let dead: Vec<DeadDelivery> = dead;
        let queued = query.execute(&mut *tx).await.db()?.rows_affected();
        sqlx::query(sql::RELEASE_BLOCKED)
            .bind(now)
            .execute(&mut *tx)
            .await
            .db()?;
        let events = retry_dead_events(actor, destination, &dead);
        D::append(&mut tx, now, &events).await?;
        tx.commit().await.db()?;
        Ok(queued)
    }

    async fn queue_depth(&self) -> Result<Vec<QueueDepth>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(sql::QUEUE_DEPTH)
            .fetch_all(self.reader())
            .await
            .db()?;
        queue_depths(rows)
    }

    async fn get_trace(&self, trace_id: &str) -> Result<Option<Trace>, StoreError> {
        let row: Option<TraceRow> = sqlx::query_as(sql::GET_TRACE)
            .bind(trace_id)
            .fetch_optional(self.reader())
            .await
            .db()?;
        row.map(TraceRow::into_trace).transpose()
    }

    async fn transition(&self, trace_id: &str, to: TraceState) -> Result<Transition, StoreError> {
        let mut tx = self.begin_write().await?;
        let row: Option<TraceRow> = sqlx::query_as(D::TRACE_FOR_WRITE)
            .bind(trace_id)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
        let from = check_transition(trace_id, row, to)?;
        if from == to {
            return Ok(Transition {
                from,
                to,
                changed: false,
            });
        }
        let stamps = TransitionStamps::new(self.clock().now(), to);
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
            .bind(self.clock().now())
            .fetch_all(self.writer())
            .await
            .db()
    }

    async fn traces_to_tell(&self, country: &str, limit: u32) -> Result<Vec<Trace>, StoreError> {
        let rows: Vec<TraceRow> = sqlx::query_as(sql::TRACES_TO_TELL)
            .bind(country)
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await
            .db()?;
        rows.into_iter().map(TraceRow::into_trace).collect()
    }

    async fn told_hub(&self, trace_id: &str, state: TraceState) -> Result<(), StoreError> {
        sqlx::query(sql::TOLD_HUB)
            .bind(trace_id)
            .bind(state.as_str())
            .execute(self.writer())
            .await
            .db()?;
        Ok(())
    }

    async fn audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        D::append(&mut tx, self.clock().now(), events).await?;
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
            .fetch_all(self.reader())
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
            .fetch_all(self.reader())
            .await
            .db()?;
        entries.reverse();
        Ok(entries)
    }

    async fn audit_span(&self, from: Millis, to: Millis) -> Result<Option<(i64, i64)>, StoreError> {
        let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as(sql::AUDIT_SPAN)
            .bind(from)
            .bind(to)
            .fetch_one(self.reader())
            .await
            .db()?;
        Ok(first.zip(last))
    }

    async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        sqlx::query_as(sql::AUDIT_HEAD)
            .fetch_optional(self.reader())
            .await
            .db()
    }

    async fn audit_checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        sqlx::query_as(sql::AUDIT_CHECKPOINTS)
            .fetch_all(self.reader())
            .await
            .db()
    }

    async fn last_audit_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        sqlx::query_as(sql::LAST_AUDIT_CHECKPOINT)
            .fetch_optional(self.reader())
            .await
            .db()
    }

    async fn add_audit_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        sqlx::query(sql::INSERT_AUDIT_CHECKPOINT)
            .bind(checkpoint.seq)
            .bind(checkpoint.head_hash.as_str())
            .bind(checkpoint.at)
            .bind(checkpoint.public_key.as_str())
            .bind(checkpoint.signature.as_str())
            .execute(self.writer())
            .await
            .db()?;
        Ok(())
    }

    async fn message_bodies(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredBody>, StoreError> {
        sqlx::query_as(sql::MESSAGE_BODIES)
            .bind(after_seq)
            .bind(i64::from(limit.clamp(1, MAX_PAGE)))
            .fetch_all(self.reader())
            .await
            .db()
    }

    async fn delivery_states(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredDelivery>, StoreError> {
        sqlx::query_as(sql::DELIVERY_STATES)
            .bind(after_id)
            .bind(i64::from(limit.clamp(1, MAX_PAGE)))
            .fetch_all(self.reader())
            .await
            .db()
    }
}
