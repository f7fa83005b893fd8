//! The forwarder: one worker per destination (the hub, each partner with an
//! `outbound`, at the hub each configured gateway) runs the same loop
//! (`worker.rs`): claim with a lease, send through the destination's [`Sink`],
//! settle the round in one commit while the next is on the wire.
//!
//! - `sink.rs`: the [`Sink`] trait and [`Attempt`], how one delivery's attempt ended;
//! - one module per destination kind: `to_hub.rs` (the hub's canonical API,
//!   batched per route), `to_gateway.rs` (a gateway's `/v1/inbound`, batched),
//!   `partner_http.rs` (a partner's URL, one post per message in its own
//!   format) and `directory.rs` (a partner's outbox folder);
//! - `batch.rs`: the `{"messages": [...]}` document and the per-message
//!   settlement of a batched answer;
//! - `request.rs`: the one place outbound requests are built and sent;
//! - `retry.rs`: which answers are retried and the backoff, in one place;
//! - `health.rs`: the destination's health (healthy, failing, probing), one
//!   backoff for the destination while it is down;
//! - `formats.rs`: a partner's formats and encoding, with the content type and
//!   file extension its encoder declares.
//!
//! Outcomes: 2xx is delivered (receipt: status and the receiver's message id if
//! it gave one); 408, 429, 5xx, timeouts and connection errors are retried with
//! exponential backoff and jitter up to `max_attempts`, then dead; any other 4xx,
//! and a message the destination's format cannot carry, is dead at once with the
//! reason. A kind a partner's format cannot carry goes to it in canonical JSON
//! ([`FALLBACK`]).

mod batch;
mod directory;
mod formats;
mod health;
mod partner_http;
mod request;
mod retry;
mod sink;
mod to_gateway;
mod to_hub;
mod worker;

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{Forward, Outbound, Retry};
use crate::domain::routing::HUB;
use crate::shared::Shared;
use crate::store::{ClaimedDelivery, Store};
use crate::telemetry::Metrics;
use crate::tls::ClientTls;

pub use directory::Directory;
pub use formats::{carries, PartnerFormats, FALLBACK};
pub use partner_http::PartnerHttp;
pub use retry::backoff;
pub use sink::{Attempt, Sink};
pub use to_gateway::ToGateway;
pub use to_hub::ToHub;

/// What the workers run against: the gateway service ([`Shared`]) or the
/// reference hub, which also hears of every successful delivery.
#[async_trait::async_trait]
pub trait Host: Send + Sync + 'static {
    fn store(&self) -> &Arc<dyn Store>;
    fn forward(&self) -> &Forward;
    fn metrics(&self) -> &Metrics;
    /// Called after a delivery succeeded and was marked delivered.
    async fn delivered(&self, _claimed: &ClaimedDelivery, _destination: &str) {}
}

#[async_trait::async_trait]
impl Host for Shared {
    fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
    fn forward(&self) -> &Forward {
        &self.config.forward
    }
    fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    async fn delivered(&self, claimed: &ClaimedDelivery, destination: &str) {
        crate::traces::delivered(self, claimed, destination).await;
    }
}

/// One destination's worker.
pub struct Worker {
    pub destination: String,
    pub worker_id: String,
    pub sink: Arc<dyn Sink>,
    pub retry: Retry,
    /// The peer's CA and our client certificate, for https URLs.
    pub tls: ClientTls,
}

/// The workers for every destination of the config.
pub fn workers(shared: &Shared, instance: &str) -> Vec<Worker> {
    let config = &shared.config;
    let mut out = vec![Worker {
        destination: HUB.to_string(),
        worker_id: format!("{instance}/{HUB}"),
        sink: Arc::new(ToHub {
            url: config.hub.url.clone(),
            key: config.hub.api_key.as_ref().map(|k| k.expose().to_string()),
            signer: config.audit.signing_key.clone(),
        }),
        retry: config.hub.retry,
        tls: config.hub.client_tls.clone(),
    }];
    for partner in &config.partners {
        let (Some(outbound), Some(formats)) = (
            &partner.outbound,
            PartnerFormats::of(&shared.registry, partner),
        ) else {
            continue;
        };
        let sink: Arc<dyn Sink> = match outbound {
            Outbound::Url(url) => Arc::new(PartnerHttp {
                url: url.clone(),
                formats,
            }),
            Outbound::Directory(dir) => Arc::new(Directory {
                dir: dir.clone(),
                formats,
            }),
        };
        out.push(Worker {
            destination: partner.id.clone(),
            worker_id: format!("{instance}/{}", partner.id),
            sink,
            retry: partner.retry,
            tls: partner.outbound_tls.clone(),
        });
    }
    out
}

/// Starts every worker; each stops when `stop` turns true, then gives its leases back.
pub fn spawn<H: Host>(
    shared: Arc<H>,
    workers: Vec<Worker>,
    stop: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let timeout = shared.forward().timeout;
    workers
        .into_iter()
        .filter_map(|worker| {
            // One client per destination: each may trust its own CA and get our
            // client certificate. The files were checked with the config.
            let client = match worker.tls.client(timeout) {
                Ok(client) => client,
                Err(e) => {
                    tracing::error!(destination = %worker.destination, error = %e,
                        "cannot set up TLS; this destination's deliveries stay queued");
                    return None;
                }
            };
            let shared = Arc::clone(&shared);
            let stop = stop.clone();
            Some(tokio::spawn(async move {
                worker::run(shared, worker, client, stop).await
            }))
        })
        .collect()
}
