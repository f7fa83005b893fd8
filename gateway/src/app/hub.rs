//! The reference hub as a service: opens its register and store, serves its
//! routes, delivers its messages to the gateways, expires overdue traces, and
//! stops gracefully ([`super::runtime`]).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::runtime::{self, Service};
use crate::hub::config::HubConfig;
use crate::hub::state::HubState;
use crate::hub::Hub;
use crate::store::StoreOptions;

/// Runs the hub until `shutdown` completes, then stops gracefully: no new
/// requests, in-flight ones finish, the workers stop after their current
/// delivery and give their leases back, the store closes. With `ready_file`,
/// writes the bound address there once it serves.
pub async fn run(
    config: HubConfig,
    ready_file: Option<PathBuf>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = runtime::bind(config.listen).await?;
    run_on(listener, config, ready_file, shutdown).await
}

/// Like [`run`], on a listener bound by the caller (the in-process demo binds
/// `127.0.0.1:0` first to learn its ports); `config.listen` is not used.
pub async fn run_on(
    listener: TcpListener,
    config: HubConfig,
    ready_file: Option<PathBuf>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let tls = runtime::acceptor(config.tls.as_ref())?;
    let hub = Hub::open(&config.store_url, StoreOptions::default())
        .await
        .with_context(|| format!("cannot open the store {}", config.store_url))?;
    let addr = listener.local_addr()?;
    let state = Arc::new(HubState::new(config, hub));
    let instance = format!("hub-{}", uuid::Uuid::new_v4().simple());
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = crate::forward::spawn(
        Arc::clone(&state),
        crate::hub::delivery::workers(&state.config, &instance),
        stop_rx.clone(),
    );
    tasks.push(super::housekeeping::spawn_purge(
        Arc::clone(state.hub.store()),
        state.config.idempotency_retention,
        stop_rx.clone(),
    ));
    tasks.extend(super::checkpoints::spawn(
        Arc::clone(state.hub.store()),
        &state.config.audit,
        stop_rx.clone(),
    ));
    tasks.push(tokio::spawn(expire_job(Arc::clone(&state), stop_rx)));
    let options = runtime::serve_options(
        tls,
        state.config.header_timeout,
        state.config.idle_timeout,
        state.config.request_timeout,
    );
    let scheme = runtime::scheme(&options);
    tracing::info!(%addr, gateways = state.config.gateways.len(), scheme, "hub listening");
    let service = Service {
        name: "iarms-gateway hub",
        router: crate::hub::routes::router(Arc::clone(&state)),
        options,
        tasks,
        stop,
        ready_file,
    };
    let closing = Arc::clone(&state);
    service
        .run(listener, shutdown, async move { closing.hub.close().await })
        .await
}

/// Expires open traces past their due date every `expire_interval`.
async fn expire_job(state: Arc<HubState>, mut stop: watch::Receiver<bool>) {
    let every = state.config.expire_interval;
    while !*stop.borrow() {
        match state.hub.expire_due().await {
            Ok(expired) if !expired.is_empty() => {
                tracing::info!(count = expired.len(), "traces expired")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the expiry job failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
    }
}
