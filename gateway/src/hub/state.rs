//! What the hub's handlers and delivery workers share.

use std::sync::Arc;

use iarms_adapters::Registry;
use serde_json::{json, Value};

use super::config::HubConfig;
use super::{Hub, HubOutcome};
use crate::domain::principal::Principal;
use crate::domain::routing::gateway_destination;
use crate::http::keys::Keys;
use crate::telemetry::events::HubReceived;
use crate::telemetry::Metrics;

/// What the hub's handlers and workers share.
pub struct HubState {
    pub config: HubConfig,
    pub hub: Hub,
    pub keys: Arc<Keys>,
    pub registry: Registry,
    pub metrics: Arc<Metrics>,
}

impl std::fmt::Debug for HubState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HubState {
    pub fn new(config: HubConfig, hub: Hub) -> HubState {
        let holders = config
            .gateways
            .iter()
            .map(|g| (Principal::Gateway(g.country.clone()), g.key_hashes.clone()))
            .collect();
        let certs = config
            .gateways
            .iter()
            .map(|g| {
                (
                    Principal::Gateway(g.country.clone()),
                    g.client_certs.clone(),
                )
            })
            .collect();
        HubState {
            keys: Arc::new(Keys::new(holders).with_certs(certs)),
            config,
            hub,
            registry: Registry::builtin(),
            metrics: Arc::new(Metrics::new()),
        }
    }
}

impl HubState {
    /// An outcome as the reply shows it, counted in the metrics; a message queued
    /// for a country without a `[[gateway]]` gets a `warnings` entry (it waits in
    /// the store until such a gateway is configured).
    pub(crate) fn reply(&self, country: &str, outcome: &HubOutcome) -> Value {
        let mut value = serde_json::to_value(outcome).unwrap_or(Value::Null);
        if let Some(kind) = value.get("kind").and_then(Value::as_str) {
            self.metrics.emit(HubReceived {
                gateway: &gateway_destination(country),
                kind,
            });
        }
        let warnings: Vec<String> = outcome
            .destinations()
            .into_iter()
            .filter(|d| {
                !self
                    .config
                    .gateways
                    .iter()
                    .any(|g| gateway_destination(&g.country) == *d)
            })
            .map(|d| {
                tracing::warn!(destination = d, "no gateway is configured for this country; the message waits in the store");
                format!("no gateway is configured for {d}: the message is stored and waits until one is")
            })
            .collect();
        if let (false, Some(object)) = (warnings.is_empty(), value.as_object_mut()) {
            object.insert("warnings".to_string(), json!(warnings));
        }
        value
    }
}
