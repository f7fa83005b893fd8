//! `[store]`: where the durable store is (a SQLite file beside the config by
//! default, or a PostgreSQL URL) and, on PostgreSQL, the schema of its tables.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::check::{resolve_path, Checker};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStore {
    url: Option<String>,
    schema: Option<Spanned<String>>,
    pub(crate) idempotency_retention: Option<Spanned<String>>,
}

/// How long an `Idempotency-Key` is remembered by default: a week, longer than
/// any partner retries a request.
pub const IDEMPOTENCY_RETENTION: Duration = Duration::from_secs(7 * 86_400);

/// The store URL of `url` (a path resolves against the config's folder), or
/// `default_file` beside the config.
pub(crate) fn store_url(url: Option<&str>, base: &Path, default_file: &str) -> String {
    match url {
        Some(url) if url.contains("://") || url.starts_with("sqlite:") => url.to_string(),
        Some(path) => resolve_path(base, path).display().to_string(),
        None => base.join(default_file).display().to_string(),
    }
}

impl Checker<'_> {
    /// The gateway's store: its URL and, on PostgreSQL, its schema.
    pub(crate) fn store(&mut self, raw: &RawStore, base: &Path) -> (String, Option<String>) {
        let url = store_url(raw.url.as_deref(), base, "gateway.db");
        let schema = raw.schema.as_ref().and_then(|schema| {
            let postgres = crate::store::backend_of(&url)
                .is_ok_and(|b| b == crate::store::Backend::Postgres);
            if !postgres {
                self.error(
                    schema.span(),
                    "store.schema",
                    "a schema applies to a PostgreSQL store (url = \"postgres://…\") only",
                );
                None
            } else if !is_plain_identifier(schema.get_ref()) {
                self.error(
                    schema.span(),
                    "store.schema",
                    format!(
                        "`{}`: use lower-case letters, digits and `_` (at most 63, not starting with a digit)",
                        schema.get_ref()
                    ),
                );
                None
            } else {
                Some(schema.get_ref().clone())
            }
        });
        (url, schema)
    }

    /// `[store] idempotency_retention`: how long a request's `Idempotency-Key`
    /// is remembered (default [`IDEMPOTENCY_RETENTION`], at least one second).
    /// (Shared with `hub.toml`, whose `[store]` has the same key.)
    pub(crate) fn idempotency_retention(&mut self, raw: Option<&Spanned<String>>) -> Duration {
        let key = "store.idempotency_retention";
        let retention = self.duration_or(raw, key, IDEMPOTENCY_RETENTION);
        match raw {
            Some(v) if retention < Duration::from_secs(1) => {
                self.error(v.span(), key, "must be at least 1s");
                IDEMPOTENCY_RETENTION
            }
            _ => retention,
        }
    }
}

/// `[a-z_][a-z0-9_]*`, at most 63 bytes: the names the PostgreSQL store accepts
/// as a schema (it quotes them into DDL).
fn is_plain_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 63
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
