//! The tamper-evident audit trail: an append-only, hash-chained log of every
//! message accepted (with the format it was translated from and where it was
//! forwarded), delivered or rejected, and of every operator action, kept in the
//! gateway's store (table `audit_log`).
//!
//! # What an entry holds
//! `seq` (1, 2, 3, … with no gaps), `at` (epoch milliseconds, the store's clock),
//! `actor` (who: a partner id, `hub`, `operator`, `inbox:<partner>`, a delivery
//! worker id), `action` ([`Action`]), `subject` (a message id or `delivery:<id>`),
//! `kind` (the message kind), `partner` (the source partner or the destination),
//! `details` (a JSON object of ids, counts, format names, error codes, HTTP
//! statuses and SHA-256 digests only: never names, serial numbers or free text).
//!
//! # The hash chain (format `iarms-audit/1`)
//! The canonical form of an entry is the JSON array
//! `["iarms-audit/1", seq, at, actor, action, subject, kind, partner, details]`
//! serialised without whitespace, where `seq` and `at` are integers, `subject`,
//! `kind` and `partner` are strings or `null`, and `details` is the stored details
//! text embedded as a JSON *string* (so the hash covers it byte for byte). Only
//! strings, integers and `null` occur, so this is also the RFC 8785 (JCS) form.
//! `hash = hex(SHA-256(prev_hash || canonical))`, where `prev_hash` is the
//! previous entry's hash as 64 lower-case hex characters (64 `0`s before the first
//! entry) and both parts are taken as UTF-8 bytes.
//!
//! [`Chain`] checks entries in order and names the first broken one: a gap in
//! `seq`, a `prev_hash` that is not the previous entry's hash, or a stored hash
//! that is not the hash of the entry's contents.
//!
//! # Layers
//! The audit trail sits below the store: it defines entries, their canonical
//! text and the chain, and reads a log through [`AuditLog`], which the store
//! implements. The store numbers, chains and writes entries inside its own
//! transactions ([`link`]).

mod bundle;
mod chain;
mod entry;
mod log;

pub use bundle::{Bundle, BundleError};
pub use chain::{chain_hash, link, Break, Chain, Problem};
pub use entry::{digest, Action, AuditEntry, AuditEvent, Origin};
pub use log::{export, read_range, tail, verify_store, AuditLog, MissingEntry, Verified};
// RFC 3339 times of bundles and of `audit export --from/--to`, kept here under
// the names the audit commands know.
pub use crate::time::{parse_time, rfc3339};

/// The version tag that starts every canonical entry.
pub const FORMAT: &str = "iarms-audit/1";

/// The version tag of an exported bundle.
pub const BUNDLE_FORMAT: &str = "iarms-audit-bundle/1";

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The actor of operator actions taken through the CLI or the operator API.
pub const OPERATOR: &str = "operator";
