//! `iarms-gateway` as a library: the gateway service, the reference hub and the
//! parts the binary, the black-box tests and benchmarks share.
//!
//! The modules are layers, bottom to top (the table and its test are in
//! `layers.rs`; `docs/architecture.md` draws them): [`time`], [`domain`], [`atomic_file`],
//! [`tls`], [`audit`], [`store`], [`telemetry`], [`config`], [`shared`],
//! [`traces`], [`ingest`], [`forward`], [`inbox`], [`http`], [`api`], [`hub`],
//! [`app`]. A module uses only the layers below its own.
//!
//! The command-line interface (`src/main.rs`, `src/cli/`) is the binary's own.

pub mod api;
pub mod app;
pub mod atomic_file;
pub mod audit;
pub mod config;
pub mod domain;
pub mod forward;
pub mod http;
pub mod hub;
pub mod inbox;
pub mod ingest;
#[cfg(test)]
mod layers;
pub mod shared;
pub mod signature;
pub mod store;
pub mod telemetry;
#[cfg(test)]
mod test_support;
pub mod time;
pub mod tls;
pub mod traces;
