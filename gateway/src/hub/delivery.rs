//! The hub's outgoing messages: one forwarder worker per configured gateway
//! (`gateway:XX` -> `{url}/v1/inbound`, batched), and what the hub does when a delivery
//! succeeds.

use std::sync::Arc;

use super::config::HubConfig;
use super::state::HubState;
use crate::config::Forward;
use crate::domain::routing::gateway_destination;
use crate::forward::{Host, ToGateway, Worker};
use crate::store::{ClaimedDelivery, Store};
use crate::telemetry::Metrics;

#[async_trait::async_trait]
impl Host for HubState {
    fn store(&self) -> &Arc<dyn Store> {
        self.hub.store()
    }
    fn forward(&self) -> &Forward {
        &self.config.forward
    }
    fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    /// A trace request that reached the requested gateway moves to `delivered`.
    async fn delivered(&self, claimed: &ClaimedDelivery, destination: &str) {
        match self.hub.delivered(claimed, destination).await {
            Ok(Some(t)) => tracing::info!(transition = ?t, "trace delivered"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, %destination, "cannot record the delivery"),
        }
    }
}

/// One worker per configured gateway: `gateway:XX` -> `{url}/v1/inbound`.
/// Messages for a country without a `[[gateway]]` stay queued.
pub fn workers(config: &HubConfig, instance: &str) -> Vec<Worker> {
    config
        .gateways
        .iter()
        .map(|g| {
            let destination = gateway_destination(&g.country);
            Worker {
                worker_id: format!("{instance}/{destination}"),
                destination,
                sink: Arc::new(ToGateway {
                    url: g.url.clone(),
                    key: g.key.expose().to_string(),
                    signer: config.audit.signing_key.clone(),
                }),
                retry: g.retry,
                tls: g.client_tls.clone(),
            }
        })
        .collect()
}
