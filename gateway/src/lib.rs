//! `iarms-gateway` as a library: the parts of the gateway service that the binary,
//! the black-box tests and benchmarks share.
//!
//! - [`store`]: the durable store behind one [`store::Store`] trait, with an
//!   embedded SQLite implementation (the default, a file in WAL mode) and a
//!   PostgreSQL one that several gateway replicas can share. It holds accepted
//!   messages, the delivery outbox (claims with leases, retries, dead letters,
//!   per-record ordering, receipts), idempotency keys and the trace lifecycle.
//! - [`audit`]: the tamper-evident, hash-chained audit trail kept in the store.
//! - [`time`] and [`domain`], at the bottom: epoch milliseconds, clocks and
//!   civil dates; the delivery and trace states.
//!
//! The command-line interface (`src/main.rs`, `src/cli/`) is the binary's own.

pub mod api;
pub mod audit;
pub mod config;
pub mod domain;
pub mod forward;
pub mod hub;
pub mod inbox;
pub mod net;
pub mod service;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod time;
pub mod tls;
pub mod traces;
