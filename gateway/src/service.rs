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

use crate::api::auth::Keys;
use crate::domain::principal::Principal;
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
        let mut certs = vec![
            (Principal::Operator, config.operator_client_certs.clone()),
            (Principal::Hub, config.hub.client_certs.clone()),
        ];
        let mut limits = Vec::new();
        for p in &config.partners {
            let principal = Principal::Partner(p.id.clone());
            holders.push((principal.clone(), p.api_key_hashes.clone()));
            certs.push((principal.clone(), p.client_certs.clone()));
            if let Some(limit) = p.rate_limit {
                limits.push((principal, limit));
            }
        }
        Shared {
            keys: Arc::new(Keys::new(holders).with_certs(certs).with_limits(limits)),
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
    let tls = match &config.tls {
        Some(tls) => Some(Arc::new(
            crate::tls::Acceptor::new(tls).context("cannot set up TLS ([tls])")?,
        )),
        None => None,
    };
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
        stop_rx.clone(),
    ));
    // The trace job calls the hub as the hub's delivery worker does (same TLS).
    let hub_client = shared
        .config
        .hub
        .client_tls
        .client(shared.config.forward.timeout)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot set up TLS to the hub; trace news to it will fail and be retried");
            reqwest::Client::new()
        });
    tasks.push(crate::traces::spawn(
        Arc::clone(&shared),
        hub_client,
        stop_rx,
    ));
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%addr, country = %shared.config.country, scheme, "gateway listening");
    eprintln!("iarms-gateway listening on {scheme}://{addr}");
    let app = crate::api::router(Arc::clone(&shared));
    let options = crate::net::ServeOptions {
        tls,
        header_timeout: shared.config.header_timeout,
        idle_timeout: shared.config.idle_timeout,
        drain_timeout: shared.config.request_timeout + std::time::Duration::from_secs(1),
    };
    let served = crate::net::serve(listener, app, options, shutdown).await;
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
