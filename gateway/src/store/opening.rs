//! Opening a store: which backend a URL names, and the options.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::{PgStore, SqliteStore, Store, StoreError};
use crate::time::{Clock, SystemClock};

/// Which database a store uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to open a store. `Default` suits production.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub clock: Arc<dyn Clock>,
    /// PostgreSQL: the pool size. SQLite: the number of reader connections (writes
    /// always go through one connection).
    pub max_connections: u32,
    /// How long a caller waits for a connection, and SQLite for a lock held by
    /// another process, before the store reports [`StoreError::Unavailable`].
    pub busy_timeout: Duration,
    /// PostgreSQL only: the schema that holds the tables (created if missing), so
    /// several gateways or test runs can share one database. `None`: the server's
    /// default search path.
    pub schema: Option<String>,
}

impl Default for StoreOptions {
    fn default() -> StoreOptions {
        StoreOptions {
            clock: Arc::new(SystemClock),
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
            schema: None,
        }
    }
}

/// Opens the store named by `url` with default options and brings its schema up to date.
///
/// `postgres://…` or `postgresql://…` opens PostgreSQL; `sqlite:PATH`,
/// `sqlite://PATH`, `sqlite::memory:` or a plain file path opens SQLite (the file is
/// created if missing).
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, StoreOptions::default()).await
}

/// [`open`] with explicit options.
pub async fn open_with(url: &str, options: StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    match backend_of(url)? {
        Backend::Sqlite => Ok(Arc::new(SqliteStore::open(url, options).await?)),
        Backend::Postgres => Ok(Arc::new(PgStore::connect(url, options).await?)),
    }
}

/// Creates the SQLite file `path` for the gateway's user only (0600 on Unix,
/// whatever the umask) when it does not exist yet; SQLite gives its `-wal` and
/// `-shm` files the same mode. Its folder, when missing, is created 0700.
pub(crate) fn create_private_file(path: &std::path::Path) -> Result<(), StoreError> {
    if path.as_os_str().is_empty() || path.exists() {
        return Ok(());
    }
    let failed = |e: std::io::Error| {
        StoreError::Unavailable(format!("cannot create {}: {e}", path.display()).into())
    };
    if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) {
        crate::atomic_file::create_private_dir_all(folder).map_err(failed)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Created meanwhile by another process: its mode stands.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(failed(e)),
    }
}

/// Which backend a store URL names.
pub fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else if url.starts_with("sqlite:") || (!url.is_empty() && !url.contains("://")) {
        Ok(Backend::Sqlite)
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}
