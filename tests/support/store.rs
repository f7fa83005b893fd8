//! The store a test gateway uses: a SQLite file in its directory, or a fresh
//! PostgreSQL schema on `DATABASE_URL` (dropped when the test ends, even after a
//! panic). Without `DATABASE_URL` the PostgreSQL variant is absent: the test
//! prints a notice and returns, or fails under CI ([`super::database_url`]).

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which store a gateway under test opens.
pub enum TestStore {
    /// `gateway.db` beside each gateway's config.
    Sqlite,
    /// One schema shared by every gateway given this store (replicas).
    Postgres(PgSchema),
}

impl TestStore {
    /// A fresh schema named after `prefix`, or `None` (with a notice on stderr)
    /// when `DATABASE_URL` is not set; a panic then under CI.
    pub fn postgres(prefix: &str) -> Option<TestStore> {
        PgSchema::from_env(prefix).map(TestStore::Postgres)
    }

    /// The `[store]` table of a gateway config.
    pub fn toml(&self) -> String {
        match self {
            TestStore::Sqlite => "[store]\nurl = \"gateway.db\"\n".to_string(),
            TestStore::Postgres(pg) => format!(
                "[store]\nurl = \"{}\"\nschema = \"{}\"\n",
                pg.url, pg.schema
            ),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            TestStore::Sqlite => "SQLite",
            TestStore::Postgres(_) => "PostgreSQL",
        }
    }
}

/// A uniquely named PostgreSQL schema, dropped on drop. Drop it after the
/// processes using it are gone (declare it before them).
pub struct PgSchema {
    pub url: String,
    pub schema: String,
}

impl PgSchema {
    pub fn from_env(prefix: &str) -> Option<PgSchema> {
        let url = super::database_url::database_url(prefix)?;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let schema = format!(
            "{prefix}_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Some(PgSchema { url, schema })
    }
}

async fn drop_schema(url: &str, schema: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query("SET lock_timeout = '5s'")
        .execute(&mut conn)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
    )))
    .execute(&mut conn)
    .await?;
    Ok(())
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        // Possibly inside a runtime that is unwinding: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(20), drop_schema(&url, &schema))
                    .await
                    .map_err(|_| "timed out".to_string())?
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            let _ = writeln!(
                std::io::stderr(),
                "warning: cannot drop the test schema {}: {e}",
                self.schema
            );
        }
    }
}
