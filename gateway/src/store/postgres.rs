//! The shared store: PostgreSQL, for one gateway or several replicas.
//!
//! Replicas claim deliveries with `SELECT … FOR UPDATE SKIP LOCKED` and leases:
//! rows another replica is claiming are skipped rather than waited for, and a
//! delivery whose lease expired (its replica died) is claimed again. Write
//! transactions run at READ COMMITTED; the claim is a single statement.

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Postgres, QueryBuilder, Transaction};
use uuid::Uuid;

use super::dialect::{Claim, Dialect};
use super::pools::{replace_when_stuck, Pools};
use super::{sql, Backend, ClaimedRow, DbResult, StoreError, StoreOptions};

static MIGRATOR: Migrator = sqlx::migrate!("src/store/migrations/postgres");

/// The PostgreSQL store. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct PgStore {
    /// One pool, for reads and writes alike.
    pools: Pools<Postgres>,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`), creates [`StoreOptions::schema`] if set
    /// and missing, and migrates. Replicas starting together migrate one at a time
    /// (sqlx holds an advisory lock).
    pub async fn connect(url: &str, options: StoreOptions) -> Result<PgStore, StoreError> {
        // The URL may hold a password: never echo it.
        let mut connect = url
            .parse::<PgConnectOptions>()
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
        // Connections a server restart or a network cut broke fail their
        // ping before they are handed out again (sqlx's `test_before_acquire`)
        // and are replaced; one a failed write left in a transaction is
        // replaced when it comes back ([`replace_when_stuck`]).
        let pool = replace_when_stuck(Pools::options(&options))
            .connect_with(connect)
            .await
            .db()?;
        let pools = Pools::migrated(pool.clone(), pool, options.clock, &MIGRATOR).await?;
        Ok(PgStore { pools })
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
impl Dialect for PgStore {
    type Db = Postgres;

    const BACKEND: Backend = Backend::Postgres;
    const CLAIM_DESTINATION: &'static str = sql::CLAIM_DESTINATION_POSTGRES;
    const CLAIM_ALL: &'static str = sql::CLAIM_ALL_POSTGRES;
    /// The row lock makes the read and the update one step against other replicas.
    const TRACE_FOR_WRITE: &'static str = sql::GET_TRACE_FOR_UPDATE;
    /// Locked until the retry commits.
    const DEAD_DELIVERIES_ALL: &'static str = sql::DEAD_DELIVERIES_ALL_FOR_UPDATE;
    const DEAD_DELIVERIES_DESTINATION: &'static str = sql::DEAD_DELIVERIES_DESTINATION_FOR_UPDATE;

    fn pools(&self) -> &Pools<Postgres> {
        &self.pools
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        self.pools.writer.begin().await.db()
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

    /// One statement chooses, locks (skipping rows another claimer holds),
    /// leases and reads.
    async fn claim_due(&self, claim: &Claim<'_>) -> Result<Vec<ClaimedRow>, StoreError> {
        Self::claim_query(claim)
            .fetch_all(&self.pools.writer)
            .await
            .db()
    }

    fn push_in_seqs(query: &mut QueryBuilder<Postgres>, seqs: &[i64]) {
        query.push("(SELECT unnest(").push_bind(seqs).push("))");
    }

    fn push_in_ids(query: &mut QueryBuilder<Postgres>, ids: &[Uuid]) {
        query.push("(SELECT unnest(").push_bind(ids).push("))");
    }
}
