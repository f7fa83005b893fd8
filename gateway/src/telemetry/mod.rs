//! What the gateway and the hub tell their operators: Prometheus [`metrics`]
//! and the typed [`events`] that log and count in one place (as Vector's
//! `internal_events`). Below the roads that emit them (ingest, forward, hub).

pub mod events;
pub mod metrics;

pub use events::Event;
pub use metrics::Metrics;
