//! What differs between the two databases, behind one trait, and the steps
//! that run inside another operation's transaction, written once over it.
//!
//! A [`Dialect`] is a backend's store ([`super::SqliteStore`],
//! [`super::PgStore`]): its pools, how it starts a write transaction, claims
//! deliveries, locks the audit chain and commits accepts, and the few statement
//! texts and fragments that are not the same in both dialects. Everything else
//! is written once: the [`super::Store`] operations in `shared.rs`, generic over
//! the dialect as sqlx's own code is over `Database`, and the transaction steps
//! here ([`Dialect::accept_in`], [`Dialect::insert_batch`], [`Dialect::append`]),
//! which SQLite's group commit also runs for many requests at once.
//!
//! The `where` clause names what the shared statements need of a database:
//! executors, and the types they bind and read. Rust does not carry such
//! clauses over to the users of a trait, so the one other generic item, the
//! `Store` implementation, states them again.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::query::QueryAs;
use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, QueryBuilder,
    Transaction, Type,
};
use uuid::Uuid;

use super::pools::Pools;
use super::{
    accept_events, check_same_message, chunks, deliveries_of, delivery_rows, mark_repeats,
    outcomes, sql, version_i64, AcceptOutcome, Backend, ClaimedRow, DbResult, DeliveryState,
    NewDelivery, Prepared, StoreError,
};
use crate::audit::{self, AuditEvent, Origin};
use crate::time::{Clock, Millis};

/// A dialect's connection, as its transactions deref to it.
pub(crate) type Conn<D> = <<D as Dialect>::Db as Database>::Connection;

/// A dialect's bound arguments.
pub(crate) type Args<D> = <<D as Dialect>::Db as Database>::Arguments;

/// A dialect's result rows.
pub(crate) type Row<D> = <<D as Dialect>::Db as Database>::Row;

/// What a dialect's statements return when they return no rows.
pub(crate) type Done<D> = <<D as Dialect>::Db as Database>::QueryResult;

/// How many rows a statement changed: sqlx's result types have no common trait
/// for it.
pub(crate) trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

/// A type the shared statements bind.
pub(crate) trait Param<'q, DB: Database>: Encode<'q, DB> + Type<DB> {}

impl<'q, DB: Database, T: Encode<'q, DB> + Type<DB>> Param<'q, DB> for T {}

/// A type the shared statements bind and read back.
pub(crate) trait Value<'q, DB: Database>: Param<'q, DB> + Decode<'q, DB> {}

impl<'q, DB: Database, T: Param<'q, DB> + Decode<'q, DB>> Value<'q, DB> for T {}

/// A claim's parameters, bound by [`Dialect::claim_query`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Claim<'a> {
    pub(crate) worker_id: &'a str,
    pub(crate) destination: Option<&'a str>,
    pub(crate) limit: i64,
    pub(crate) now: Millis,
    pub(crate) expires: Millis,
}

#[async_trait]
pub(crate) trait Dialect: fmt::Debug + Send + Sync + Sized + 'static
where
    for<'c> &'c mut Conn<Self>: Executor<'c, Database = Self::Db>,
    Args<Self>: IntoArguments<Self::Db>,
    usize: ColumnIndex<Row<Self>>,
    for<'q> &'q str: ColumnIndex<Row<Self>> + Param<'q, Self::Db>,
    for<'q> i64: Value<'q, Self::Db>,
    for<'q> String: Value<'q, Self::Db>,
    for<'q> Uuid: Value<'q, Self::Db>,
    for<'q> Arc<str>: Param<'q, Self::Db>,
    for<'q> Option<i64>: Param<'q, Self::Db>,
    for<'q> Option<&'q str>: Param<'q, Self::Db>,
    Done<Self>: RowsAffected,
{
    type Db: Database;

    const BACKEND: Backend;

    /// The claim of due deliveries for one destination. `$1` worker, `$2` lease
    /// expiry, `$3` now, `$4` destination, `$5` limit.
    const CLAIM_DESTINATION: &'static str;

    /// The claim for every destination. `$1` worker, `$2` lease expiry, `$3` now, `$4` limit.
    const CLAIM_ALL: &'static str;

    /// A trace read to be moved, inside a write transaction: the read and the
    /// compare-and-set after it must not interleave with another writer's.
    const TRACE_FOR_WRITE: &'static str;

    /// The dead deliveries a retry queues again, for their audit entries, read
    /// inside its write transaction (all of them, or `$1`'s).
    const DEAD_DELIVERIES_ALL: &'static str;
    const DEAD_DELIVERIES_DESTINATION: &'static str;

    /// The backend's pools and clock.
    fn pools(&self) -> &Pools<Self::Db>;

    /// Starts a transaction that writes.
    async fn begin_write(&self) -> Result<Transaction<'static, Self::Db>, StoreError>;

    /// Makes the caller's transaction the only one appending to the audit chain
    /// until it ends, so the head it reads stays the head.
    async fn lock_chain(conn: &mut Conn<Self>) -> Result<(), StoreError>;

    /// Leases the due deliveries a claim asks for and reads them with their messages.
    async fn claim_due(&self, claim: &Claim<'_>) -> Result<Vec<ClaimedRow>, StoreError>;

    /// Appends the right side of an `IN` that holds `seqs`, bound: `(?, ?, …)`
    /// on SQLite, which binds no arrays; one array on PostgreSQL, so one
    /// statement text serves every length.
    fn push_in_seqs(query: &mut QueryBuilder<Self::Db>, seqs: &[i64]);

    /// [`Dialect::push_in_seqs`] for message ids.
    fn push_in_ids(query: &mut QueryBuilder<Self::Db>, ids: &[Uuid]);

    fn clock(&self) -> &dyn Clock {
        self.pools().clock.as_ref()
    }

    /// Where reads go.
    fn reader(&self) -> &Pool<Self::Db> {
        &self.pools().reader
    }

    /// Where single-statement writes go.
    fn writer(&self) -> &Pool<Self::Db> {
        &self.pools().writer
    }

    /// Stores a prepared, non-empty batch with its audit entries
    /// ([`Dialect::accept_in`]) and commits before answering: in a transaction of
    /// its own, so that concurrent requests (and replicas) commit side by side.
    /// SQLite, with one writer, commits concurrent requests together instead.
    async fn accept_prepared(
        &self,
        mut prepared: Vec<Prepared>,
        origin: &Origin,
    ) -> Result<Vec<AcceptOutcome>, StoreError> {
        let now = self.clock().now();
        let mut tx = self.begin_write().await?;
        let mut outcomes =
            Self::accept_in(&mut tx, now, &mut [(prepared.as_mut_slice(), origin)]).await?;
        tx.commit().await.db()?;
        Ok(outcomes.pop().unwrap_or_default())
    }

    /// The claim statement for `claim`, bound.
    fn claim_query<'a, O>(claim: &Claim<'a>) -> QueryAs<'a, Self::Db, O, Args<Self>>
    where
        O: for<'r> FromRow<'r, Row<Self>>,
    {
        let query = match claim.destination {
            Some(_) => sqlx::query_as(Self::CLAIM_DESTINATION),
            None => sqlx::query_as(Self::CLAIM_ALL),
        }
        .bind(claim.worker_id)
        .bind(claim.expires)
        .bind(claim.now);
        match claim.destination {
            Some(destination) => query.bind(destination),
            None => query,
        }
        .bind(claim.limit)
    }

    /// Stores the batches of one transaction, each with its audit entries, and
    /// returns their outcomes, batch by batch. The batches are one batch for
    /// repeats: a message sent in two concurrent requests (SQLite commits such
    /// requests together) is a repeat within it, as within one request.
    async fn accept_in(
        conn: &mut Conn<Self>,
        now: Millis,
        batches: &mut [(&mut [Prepared], &Origin)],
    ) -> Result<Vec<Vec<AcceptOutcome>>, StoreError> {
        mark_repeats(
            batches
                .iter_mut()
                .flat_map(|(prepared, _)| prepared.iter_mut()),
        );
        let all: Vec<&Prepared> = batches
            .iter()
            .flat_map(|(prepared, _)| prepared.iter())
            .collect();
        let (outcomes, deliveries) = Self::insert_batch(conn, &all, now).await?;
        let deliveries_of = deliveries_of(&deliveries);
        let mut events = Vec::new();
        let mut per_batch = Vec::with_capacity(batches.len());
        let mut outcomes = outcomes.into_iter();
        let mut start = 0;
        for (prepared, origin) in batches.iter() {
            let end = start + prepared.len();
            let mine: Vec<AcceptOutcome> = outcomes.by_ref().take(prepared.len()).collect();
            let batch = all.get(start..end).unwrap_or_default();
            events.extend(accept_events(batch, &mine, &deliveries_of, origin));
            per_batch.push(mine);
            start = end;
        }
        Self::append(conn, now, &events).await?;
        Ok(per_batch)
    }

    /// Inserts a prepared batch inside the caller's write transaction.
    async fn insert_batch(
        conn: &mut Conn<Self>,
        batch: &[&Prepared],
        now: Millis,
    ) -> Result<(Vec<AcceptOutcome>, Vec<NewDelivery>), StoreError> {
        let firsts: Vec<&Prepared> = batch
            .iter()
            .copied()
            .filter(|p| !p.repeat_in_batch)
            .collect();

        // Messages: what comes back was inserted; the rest repeats something
        // stored (on PostgreSQL, ON CONFLICT waits for a concurrent insert of the
        // same key to finish).
        let mut accepted: HashMap<Uuid, i64> = HashMap::with_capacity(firsts.len());
        for chunk in chunks(&firsts) {
            let mut query = QueryBuilder::<Self::Db>::new(sql::INSERT_MESSAGES_HEAD);
            query.push_values(chunk, |mut row, p| {
                let key = p.natural_key.as_ref();
                row.push_bind(p.message_id)
                    .push_bind(p.correlation_id)
                    .push_bind(p.kind)
                    .push_bind(p.source_partner.as_str())
                    .push_bind(now)
                    .push_bind(p.ordering_key.as_str())
                    .push_bind(key.map(|k| k.owner_country.as_str()))
                    .push_bind(key.map(|k| k.owner_agency.as_str()))
                    .push_bind(key.map(|k| k.record_id.as_str()))
                    .push_bind(key.map(version_i64))
                    .push_bind(p.trace_id.as_deref())
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
        let mut known: HashMap<Uuid, (String, String)> = HashMap::new();
        for chunk in chunks(&refused) {
            let mut query = QueryBuilder::<Self::Db>::new(sql::KNOWN_MESSAGE_IDS_HEAD);
            Self::push_in_ids(&mut query, chunk);
            let rows: Vec<(Uuid, String, String)> =
                query.build_query_as().fetch_all(&mut *conn).await.db()?;
            known.extend(rows.into_iter().map(|(id, from, body)| (id, (from, body))));
        }
        // A known id is a duplicate only from its own sender with the same body;
        // anything else would hide one message behind another: the batch fails.
        let stored = firsts.iter().filter_map(|p| {
            known
                .get(&p.message_id)
                .map(|(from, body)| (*p, from.as_str(), body.as_str()))
        });
        let first_of: HashMap<Uuid, &Prepared> =
            firsts.iter().map(|p| (p.message_id, *p)).collect();
        let repeats = batch.iter().filter(|p| p.repeat_in_batch).filter_map(|p| {
            first_of
                .get(&p.message_id)
                .map(|first| (*p, first.source_partner.as_str(), &*first.body))
        });
        for (p, from, body) in stored.chain(repeats) {
            check_same_message(p, from, body)?;
        }
        let known_ids: HashSet<Uuid> = known.into_keys().collect();

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
            let mut query = QueryBuilder::<Self::Db>::new(sql::INSERT_DELIVERIES_HEAD);
            query.push_values(chunk, |mut row, (seq, destination, key)| {
                row.push_bind(*seq)
                    .push_bind(*destination)
                    .push_bind(*key)
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
                    .bind(trace_id.as_str())
                    .bind(p.message_id)
                    .bind(requesting.as_str())
                    .bind(requested.as_str())
                    .bind(*due_at)
                    .bind(now)
                    .execute(&mut *conn)
                    .await
                    .db()?;
            }
        }
        Ok((outcomes, created))
    }

    /// Appends audit entries inside the caller's write transaction, under the
    /// chain lock ([`Dialect::lock_chain`]). Taken last, after the
    /// transaction's other writes, the lock is held only for the head read, the
    /// insert and the commit.
    async fn append(
        conn: &mut Conn<Self>,
        now: Millis,
        events: &[AuditEvent],
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        Self::lock_chain(conn).await?;
        let head: Option<(i64, String)> = sqlx::query_as(sql::AUDIT_HEAD)
            .fetch_optional(&mut *conn)
            .await
            .db()?;
        let entries = audit::link(head, now, events);
        for chunk in chunks(&entries) {
            let mut query = QueryBuilder::<Self::Db>::new(sql::INSERT_AUDIT_HEAD);
            query.push_values(chunk, |mut row, e| {
                row.push_bind(e.seq)
                    .push_bind(e.at)
                    .push_bind(e.actor.as_str())
                    .push_bind(e.action.as_str())
                    .push_bind(e.subject.as_deref())
                    .push_bind(e.kind.as_deref())
                    .push_bind(e.partner.as_deref())
                    .push_bind(e.details.as_str())
                    .push_bind(e.prev_hash.as_str())
                    .push_bind(e.hash.as_str());
            });
            query.build().execute(&mut *conn).await.db()?;
        }
        Ok(())
    }
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::sqlite::SqliteQueryResult::rows_affected(self)
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::postgres::PgQueryResult::rows_affected(self)
    }
}
