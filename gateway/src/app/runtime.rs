//! Starting and stopping a service, the same for the gateway and the hub:
//! serve the router on the listener until `shutdown`, then stop gracefully:
//! no new connections, in-flight requests finish, the background tasks stop
//! after their current piece of work (the forwarders give their leases back),
//! and the store closes.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::http::serve::{serve, ServeOptions};
use crate::tls::{Acceptor, ServerTls};

/// A service ready to serve.
pub struct Service {
    /// How the service names itself on stderr (`iarms-gateway`, `iarms-gateway hub`).
    pub name: &'static str,
    pub router: Router,
    pub options: ServeOptions,
    /// The background tasks; they stop when [`Service::stop`] turns true.
    pub tasks: Vec<JoinHandle<()>>,
    pub stop: watch::Sender<bool>,
    /// Where to write the bound address once the service serves (`--ready-file`).
    pub ready_file: Option<PathBuf>,
}

impl Service {
    /// Serves until `shutdown` completes, stops the tasks, then runs `close`.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
        close: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let Service {
            name,
            router,
            options,
            tasks,
            stop,
            ready_file,
        } = self;
        let addr: SocketAddr = listener.local_addr()?;
        let scheme = scheme(&options);
        eprintln!("{name} listening on {scheme}://{addr}");
        if let Some(path) = &ready_file {
            write_ready_file(path, addr, scheme)?;
        }
        let served = serve(listener, router, options, shutdown).await;
        if let Some(path) = &ready_file {
            // No longer serving: a stale file would send a reader to a closed port.
            if let Err(e) = std::fs::remove_file(path) {
                tracing::warn!(file = %path.display(), error = %e, "cannot remove the ready file");
            }
        }
        tracing::info!("stopping: no new requests; stopping the workers");
        let _ = stop.send(true);
        for task in tasks {
            let _ = task.await;
        }
        close.await;
        eprintln!("{name} stopped");
        served.context("the HTTP server failed")
    }
}

/// What `--ready-file` holds once the listener is bound and the store open:
/// the address actually bound (so `listen = "127.0.0.1:0"` works) and the URL
/// to call. Written atomically, so a reader sees the whole file or none.
#[derive(Debug, serde::Serialize)]
struct Ready {
    address: SocketAddr,
    url: String,
}

fn write_ready_file(path: &Path, address: SocketAddr, scheme: &str) -> anyhow::Result<()> {
    let ready = Ready {
        address,
        url: format!("{scheme}://{address}"),
    };
    let text = serde_json::to_vec(&ready).context("cannot encode the ready file")?;
    crate::atomic_file::write(path, &text).context("cannot write the ready file (--ready-file)")
}

/// How a service serves: a graceful stop lets in-flight requests run to their
/// request timeout (and a second more for the answer to leave).
pub fn serve_options(
    tls: Option<Arc<Acceptor>>,
    header_timeout: Duration,
    idle_timeout: Duration,
    request_timeout: Duration,
) -> ServeOptions {
    ServeOptions {
        tls,
        header_timeout,
        idle_timeout,
        drain_timeout: request_timeout + Duration::from_secs(1),
        max_connections: crate::http::serve::MAX_CONNECTIONS,
        max_connections_per_address: crate::http::serve::MAX_CONNECTIONS_PER_ADDRESS,
    }
}

/// `https` when the service has TLS.
pub fn scheme(options: &ServeOptions) -> &'static str {
    if options.tls.is_some() {
        "https"
    } else {
        "http"
    }
}

/// The TLS acceptor of `[tls]`, if configured.
pub fn acceptor(tls: Option<&ServerTls>) -> anyhow::Result<Option<Arc<Acceptor>>> {
    tls.map(|tls| {
        Acceptor::new(tls)
            .map(Arc::new)
            .context("cannot set up TLS ([tls])")
    })
    .transpose()
}

/// Binds `listen`, naming the address when it cannot.
pub async fn bind(listen: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))
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
