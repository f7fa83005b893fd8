//! The gateway service: opens the store, serves the API, runs the forwarder
//! workers, the directory inboxes and the trace job, and stops gracefully
//! ([`super::runtime`]).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use iarms_adapters::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::runtime::{self, Service};
use crate::config::Config;
use crate::shared::Shared;
use crate::store;

/// Runs the gateway until `shutdown` completes, then stops gracefully; with
/// `ready_file`, writes the bound address there once it serves.
pub async fn run(
    config: Config,
    registry: Registry,
    ready_file: Option<PathBuf>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = runtime::bind(config.listen).await?;
    run_on(listener, config, registry, ready_file, shutdown).await
}

/// Like [`run`], on a listener bound by the caller (the in-process demo binds
/// `127.0.0.1:0` first to learn its ports); `config.listen` is not used.
pub async fn run_on(
    listener: TcpListener,
    config: Config,
    registry: Registry,
    ready_file: Option<PathBuf>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let tls = runtime::acceptor(config.tls.as_ref())?;
    let store = store::open_with(&config.store_url, config.store_options())
        .await
        .with_context(|| format!("cannot open the store {}", config.store_url))?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::new(config, registry, store));
    let instance = format!("gw-{}", uuid::Uuid::new_v4().simple());
    let (stop, stop_rx) = watch::channel(false);
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
    tasks.push(super::housekeeping::spawn_purge(
        Arc::clone(&shared.store),
        shared.config.idempotency_retention,
        stop_rx.clone(),
    ));
    tasks.extend(super::checkpoints::spawn(
        Arc::clone(&shared.store),
        &shared.config.audit,
        stop_rx.clone(),
    ));
    tasks.push(crate::traces::spawn(
        Arc::clone(&shared),
        hub_client,
        stop_rx,
    ));
    let options = runtime::serve_options(
        tls,
        shared.config.header_timeout,
        shared.config.idle_timeout,
        shared.config.request_timeout,
    );
    let scheme = runtime::scheme(&options);
    tracing::info!(%addr, country = %shared.config.country, scheme, "gateway listening");
    let service = Service {
        name: "iarms-gateway",
        router: crate::api::router(Arc::clone(&shared)),
        options,
        tasks,
        stop,
        ready_file,
    };
    let store = Arc::clone(&shared.store);
    service
        .run(listener, shutdown, async move { store.close().await })
        .await
}
