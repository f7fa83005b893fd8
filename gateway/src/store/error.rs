//! The store's errors, and how driver errors become them.

use uuid::Uuid;

use crate::audit::MissingEntry;
use crate::domain::trace::TraceState;

/// Errors of the store. Database driver errors are kept as the `source`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported store URL `{0}`: expected `sqlite:PATH`, `sqlite::memory:`, a file path or `postgres://…`")]
    UnsupportedUrl(String),
    /// The database cannot be reached (connection refused, pool exhausted): retry later.
    #[error("the store is unavailable: {0}")]
    Unavailable(#[source] BoxError),
    #[error("database error: {0}")]
    Database(#[source] BoxError),
    #[error("cannot migrate the store: {0}")]
    Migration(#[source] BoxError),
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    #[error("trace `{trace_id}` cannot go from {from} to {to}")]
    TraceTransition {
        trace_id: String,
        from: TraceState,
        to: TraceState,
    },
    /// A stored row does not decode (an unknown state or kind, a body that is not a message).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// A message id already stored, or earlier in the batch, for another sender or
    /// with other content: nothing of the batch was stored, and the stored message
    /// stands. A duplicate is only the same sender's same message again.
    #[error("message id {message_id} {reason}")]
    MessageIdConflict {
        message_id: Uuid,
        reason: ConflictReason,
    },
}

/// Why a message id conflicts with a stored (or earlier) message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictReason {
    /// Another sender (partner, or the hub on the inbound route) used it.
    OtherSender,
    /// The same sender used it for other content.
    OtherContent,
}

impl ConflictReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictReason::OtherSender => "other_sender",
            ConflictReason::OtherContent => "other_content",
        }
    }
}

impl std::fmt::Display for ConflictReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConflictReason::OtherSender => "is already used by another sender",
            ConflictReason::OtherContent => "is already used by this sender for other content",
        })
    }
}

/// The boxed source of a [`StoreError`]; the driver's error type stays private.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl StoreError {
    /// Whether the same call may succeed later (the database was unreachable or busy).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// Whether the fault is the store's (unreachable, out of space, an I/O
    /// error), not the request's (a constraint its data breaks, an unknown id).
    pub fn is_storage_fault(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Database(source) => !matches!(
                source.downcast_ref::<sqlx::Error>(),
                Some(sqlx::Error::Database(db)) if !matches!(db.kind(), sqlx::error::ErrorKind::Other)
            ),
            _ => false,
        }
    }
}

/// Converts driver errors at the edge of each backend without a public `From` impl.
pub(crate) trait DbResult<T> {
    fn db(self) -> Result<T, StoreError>;
}

impl<T> DbResult<T> for Result<T, sqlx::Error> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(db_error)
    }
}

fn db_error(error: sqlx::Error) -> StoreError {
    let transient = match &error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
                code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
            } else {
                // PostgreSQL: connection exceptions (class 08), serialization failure,
                // deadlock, too many connections, shutting down, starting up.
                code.starts_with("08")
                    || ["40001", "40P01", "53300", "57P01", "57P02", "57P03"]
                        .contains(&code.as_ref())
            }
        }
        _ => false,
    };
    if transient {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Database(Box::new(error))
    }
}

/// A slice of the audit log misses an entry it should hold.
impl From<MissingEntry> for StoreError {
    fn from(missing: MissingEntry) -> StoreError {
        StoreError::Corrupt(missing.to_string())
    }
}
