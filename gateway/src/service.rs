//! The gateway service: opens the store, loads the formats, serves the API, runs
//! the forwarder workers and the directory inboxes, and shuts down gracefully:
//! stop accepting connections, let in-flight requests finish, stop the workers
//! after their current delivery, give their leases back, close the store.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use iarms_adapters::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::api::auth::{Keys, Principal};
use crate::api::metrics::Metrics;
use crate::config::Config;
use crate::store::{self, Millis, Store};

/// What every handler, worker and watcher shares.
pub struct Shared {
    pub config: Config,
    pub registry: Registry,
    pub store: Arc<dyn Store>,
    pub metrics: Metrics,
    pub keys: Arc<Keys>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("formats", &self.registry.names())
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch, as the store counts them.
pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

impl Shared {
    pub fn new(config: Config, registry: Registry, store: Arc<dyn Store>) -> Shared {
        let mut holders = vec![(Principal::Operator, config.operator_key_hashes.clone())];
        holders.push((Principal::Hub, config.hub.inbound_key_hashes.clone()));
        for p in &config.partners {
            holders.push((Principal::Partner(p.id.clone()), p.api_key_hashes.clone()));
        }
        Shared {
            keys: Arc::new(Keys::new(holders)),
            config,
            registry,
            store,
            metrics: Metrics::new(),
        }
    }
}

/// Runs the service until `shutdown` completes, then stops gracefully.
pub async fn run(
    config: Config,
    registry: Registry,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    run_on(listener, config, registry, shutdown).await
}

/// Like [`run`], on a listener bound by the caller (the in-process demo binds
/// `127.0.0.1:0` first to learn its ports); `config.listen` is not used.
pub async fn run_on(
    listener: TcpListener,
    config: Config,
    registry: Registry,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = store::open_with(&config.store_url, config.store_options())
        .await
        .with_context(|| format!("cannot open the store {}", config.store_url))?;
    let addr: SocketAddr = listener.local_addr()?;
    let shared = Arc::new(Shared::new(config, registry, store));
    let instance = format!("gw-{}", uuid::Uuid::new_v4().simple());
    let (stop_tx, stop_rx) = watch::channel(false);
    let workers = crate::forward::workers(&shared, &instance);
    let mut tasks = crate::forward::spawn(Arc::clone(&shared), workers, stop_rx.clone());
    tasks.extend(crate::inbox::spawn(
        Arc::clone(&shared),
        crate::inbox::watches(&shared),
        stop_rx,
    ));
    tracing::info!(%addr, country = %shared.config.country, "gateway listening");
    eprintln!("iarms-gateway listening on http://{addr}");
    let app = crate::api::router(Arc::clone(&shared));
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    tracing::info!("stopping: no new requests; stopping the workers");
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
    shared.store.close().await;
    eprintln!("iarms-gateway stopped");
    served.context("the HTTP server failed")
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
