//! What the gateway's roads share: its checked configuration, its formats, its
//! store and its metrics. The inbound road ([`crate::ingest`]), the forwarder,
//! the trace job, the inboxes and the API all take a [`Shared`]; the HTTP
//! front door's credentials are the API's own ([`crate::api`]).

use std::sync::Arc;

use iarms_adapters::Registry;

use crate::config::Config;
use crate::store::Store;
use crate::telemetry::Metrics;

/// What every handler, worker and watcher of a gateway shares.
pub struct Shared {
    pub config: Config,
    pub registry: Registry,
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
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

impl Shared {
    pub fn new(config: Config, registry: Registry, store: Arc<dyn Store>) -> Shared {
        Shared {
            config,
            registry,
            store,
            metrics: Arc::new(Metrics::new()),
        }
    }
}
