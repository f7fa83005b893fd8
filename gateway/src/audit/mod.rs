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
//! # Evidence that survives an insider
//! The chain alone has no secret: whoever can write to the store can edit an
//! entry and recompute every hash after it. So the gateway and the hub sign
//! the chain's head with an Ed25519 key of their own ([`signing`]) at least
//! every minute while entries are added and at every export, and store the
//! signed [`Checkpoint`]s (table `audit_checkpoints`). The `accepted` entry of
//! a message carries the SHA-256 of its stored body (`body_sha256`), and the
//! `delivered` and `dead` entries the SHA-256 of the delivery's state
//! (`state_sha256`, [`delivery_state_digest`]), so that [`verify_evidence`]
//! re-hashes the stored messages and deliveries as well as the chain.
//!
//! # Layers
//! The audit trail sits below the store: it defines entries, their canonical
//! text and the chain, and reads a log through [`AuditLog`], which the store
//! implements. The store numbers, chains and writes entries inside its own
//! transactions ([`link`]).

mod bundle;
mod chain;
mod checkpoint;
mod entry;
mod evidence;
mod log;
pub mod signing;

pub use bundle::{Bundle, BundleError};
pub use chain::{chain_hash, link, Break, Chain, Problem};
pub use checkpoint::{checkpoint_now, run_checkpoints, Checkpoint, CHECKPOINT_FORMAT};
pub use entry::{digest, Action, AuditEntry, AuditEvent, Origin};
pub use evidence::{
    body_digest, delivery_state_digest, verify_evidence, Finding, FindingKind, Report, StoredBody,
    StoredDelivery, Trust,
};
pub use log::{export, read_range, tail, verify_store, AuditLog, MissingEntry, Verified};
pub use signing::{KeyError, PublicKey, SigningKey};
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
