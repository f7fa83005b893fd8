//! Test fixtures shared by the store and hub suites: a PostgreSQL schema per
//! test (dropped afterwards, even after a panic), store options with a manual
//! clock, the macro that runs one suite against every backend, one request
//! through a router for the API tests, and a reference hub to send it to.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::store::{ManualClock, StoreOptions};

// One decision, shared with the black-box tests: skip without DATABASE_URL,
// fail under CI.
#[path = "../../tests/support/database_url.rs"]
mod database_url;

/// Store options for tests: a manual clock, a small pool, an optional PostgreSQL schema.
pub(crate) fn options(clock: &Arc<ManualClock>, schema: Option<String>) -> StoreOptions {
    StoreOptions {
        clock: clock.clone(),
        max_connections: 4,
        busy_timeout: Duration::from_secs(30),
        schema,
    }
}

/// Drops a test's PostgreSQL schema, at the end of the test or, if it panicked, on drop.
pub(crate) struct SchemaGuard {
    pub url: String,
    pub schema: String,
    armed: bool,
}

impl SchemaGuard {
    /// A fresh, uniquely named schema on `DATABASE_URL`; `None`, with a printed
    /// notice naming the suite, when `DATABASE_URL` is not set (a panic under CI).
    pub fn from_env(suite: &str, prefix: &str) -> Option<SchemaGuard> {
        let url = database_url::database_url(suite)?;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let schema = format!(
            "{prefix}_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst),
            &Uuid::new_v4().simple().to_string()[..8]
        );
        Some(SchemaGuard {
            url,
            schema,
            armed: true,
        })
    }

    pub async fn drop_schema(&mut self) {
        drop_schema(&self.url, &self.schema).await;
        self.armed = false;
    }
}

async fn drop_schema(url: &str, schema: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to drop the test schema");
    sqlx::query("SET lock_timeout = '5s'")
        .execute(&mut conn)
        .await
        .expect("set lock_timeout");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
    )))
    .execute(&mut conn)
    .await
    .expect("drop the test schema");
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (url, schema) = (self.url.clone(), self.schema.clone());
        // Inside a runtime that may be unwinding: use a thread with its own.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_schema(&url, &schema));
            }
        })
        .join();
    }
}

/// One `#[tokio::test]` per backend for each suite function, given a `Fixture`
/// in the calling module with `sqlite()`, `postgres()` (None: skipped) and `finish()`.
macro_rules! backend_suite {
    ($($test:ident),* $(,)?) => {
        mod sqlite_file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let fixture = super::Fixture::sqlite().await;
                    super::$test(&fixture).await;
                    fixture.finish().await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(fixture) = super::Fixture::postgres().await else {
                        return;
                    };
                    super::$test(&fixture).await;
                    fixture.finish().await;
                }
            )*
        }
    };
}

pub(crate) use backend_suite;

/// One request through `app` (with a bearer `key` when given, a JSON body unless
/// null): the status and the JSON reply (null when the reply is not JSON).
pub(crate) async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    use tower::ServiceExt;
    let mut request = axum::http::Request::builder().method(method).uri(path);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let body = if body.is_null() {
        axum::body::Body::empty()
    } else {
        axum::body::Body::from(body.to_string())
    };
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// A reference hub on SQLite in `dir`, with the gateways of RS, BR and DE
/// (each calls with the key `<country>-key`; the hub's own deliveries go nowhere).
pub(crate) async fn hub_state(dir: &std::path::Path) -> Arc<crate::hub::state::HubState> {
    use crate::config::{Forward, Retry, Secret};
    use crate::hub::config::{GatewayPeer, HubConfig};
    use crate::hub::state::HubState;
    use crate::hub::Hub;

    let hub = Hub::open(
        &dir.join("hub.db").display().to_string(),
        StoreOptions::default(),
    )
    .await
    .unwrap();
    let peer = |country: &str| GatewayPeer {
        country: country.to_string(),
        url: "http://127.0.0.1:9".to_string(),
        key_hashes: vec![crate::http::keys::hash_key(&format!("{country}-key")).unwrap()],
        key: Secret::new("unused".to_string()),
        client_certs: Vec::new(),
        client_tls: crate::tls::ClientTls::default(),
        retry: Retry::default(),
        public_key: None,
    };
    let config = HubConfig {
        file: dir.join("hub.toml"),
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        body_limit: 1 << 20,
        request_timeout: Duration::from_secs(30),
        header_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        tls: None,
        expire_interval: Duration::from_secs(60),
        store_url: String::new(),
        idempotency_retention: crate::config::store::IDEMPOTENCY_RETENTION,
        forward: Forward::default(),
        gateways: vec![peer("RS"), peer("BR"), peer("DE")],
        audit: crate::config::Audit::default(),
    };
    Arc::new(HubState::new(config, hub))
}
