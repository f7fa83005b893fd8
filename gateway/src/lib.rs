//! `iarms-gateway` as a library: the parts of the gateway service that the binary,
//! the black-box tests and benchmarks share.
//!
//! - [`store`]: the durable store behind one [`store::Store`] trait, with an
//!   embedded SQLite implementation (the default, a file in WAL mode) and a
//!   PostgreSQL one that several gateway replicas can share. It holds accepted
//!   messages, the delivery outbox (claims with leases, retries, dead letters,
//!   per-record ordering, receipts), idempotency keys and the trace lifecycle.
//! - [`audit`]: the tamper-evident, hash-chained audit trail kept in the store.
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
pub mod store;
pub mod telemetry;
#[cfg(test)]
mod test_support;
pub mod tls;
pub mod traces;
