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

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{Millis, Store, StoreError};

/// The version tag that starts every canonical entry.
pub const FORMAT: &str = "iarms-audit/1";

/// The version tag of an exported bundle.
pub const BUNDLE_FORMAT: &str = "iarms-audit-bundle/1";

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A message was stored, with its deliveries, in one transaction; its
    /// details name the wire format it was translated from (`format`) and the
    /// deliveries it was queued for (`forwarded`).
    Accepted,
    /// A message repeated one already stored: nothing was stored.
    Duplicate,
    /// A record or message was refused (invalid, not allowed): nothing was stored.
    Rejected,
    /// The destination took the message.
    Delivered,
    /// An attempt failed; another follows later.
    Failed,
    /// No more attempts until an operator acts.
    Dead,
    /// An operator queued every delivery of a message again.
    Replayed,
    /// An operator queued the dead deliveries again.
    RetryDead,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Accepted,
        Action::Duplicate,
        Action::Rejected,
        Action::Delivered,
        Action::Failed,
        Action::Dead,
        Action::Replayed,
        Action::RetryDead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accepted => "accepted",
            Action::Duplicate => "duplicate",
            Action::Rejected => "rejected",
            Action::Delivered => "delivered",
            Action::Failed => "failed",
            Action::Dead => "dead",
            Action::Replayed => "replayed",
            Action::RetryDead => "retry_dead",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The actor of operator actions taken through the CLI or the operator API.
pub const OPERATOR: &str = "operator";

/// An entry to append: the store numbers, stamps and chains it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub actor: String,
    pub action: Action,
    pub subject: Option<String>,
    pub kind: Option<String>,
    pub partner: Option<String>,
    /// A JSON object; see the module documentation for what may go in it.
    pub details: serde_json::Value,
}

impl AuditEvent {
    pub fn new(actor: impl Into<String>, action: Action) -> AuditEvent {
        AuditEvent {
            actor: actor.into(),
            action,
            subject: None,
            kind: None,
            partner: None,
            details: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    pub fn subject(mut self, subject: impl Into<String>) -> AuditEvent {
        self.subject = Some(subject.into());
        self
    }

    pub fn kind(mut self, kind: impl Into<String>) -> AuditEvent {
        self.kind = Some(kind.into());
        self
    }

    pub fn partner(mut self, partner: impl Into<String>) -> AuditEvent {
        self.partner = Some(partner.into());
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> AuditEvent {
        self.details = details;
        self
    }
}

/// Who handed a batch to [`crate::store::Store::accept`], and what else the same
/// transaction must record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    /// A partner id, `hub`, `inbox:<partner>`, …
    pub actor: String,
    /// The wire format the batch was decoded from: each accepted message then
    /// also gets a `translated` entry naming it.
    pub format: Option<String>,
    /// Entries appended in the same transaction (the ingest path's rejections).
    pub also: Vec<AuditEvent>,
}

impl Origin {
    pub fn actor(actor: impl Into<String>) -> Origin {
        Origin {
            actor: actor.into(),
            format: None,
            also: Vec::new(),
        }
    }

    pub fn format(mut self, format: impl Into<String>) -> Origin {
        self.format = Some(format.into());
        self
    }
}

/// A stored entry, exactly as the chain covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: Millis,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub kind: Option<String>,
    pub partner: Option<String>,
    /// The details JSON as stored (the hash covers this text).
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The canonical serialisation the hash covers (see the module documentation).
    pub fn canonical(&self) -> String {
        // A tuple is written as the JSON array the chain is defined over
        // (absent texts as null), without building a JSON value first; strings
        // and integers always serialise, so the default is never taken.
        serde_json::to_string(&(
            FORMAT,
            self.seq,
            self.at,
            &self.actor,
            &self.action,
            &self.subject,
            &self.kind,
            &self.partner,
            &self.details,
        ))
        .unwrap_or_default()
    }

    /// The hash this entry should carry, given its `prev_hash`.
    pub fn computed_hash(&self) -> String {
        chain_hash(&self.prev_hash, &self.canonical())
    }
}

/// `hex(SHA-256(prev_hash || canonical))`.
pub fn chain_hash(prev_hash: &str, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// `hex(SHA-256(text))`: how record keys and other identifying values appear in
/// details, so that an auditor holding the value can find its entries.
pub fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Numbers, stamps and chains `events` after the chain head `(seq, hash)`
/// (`None`: the log is empty). The caller holds the chain's append lock.
pub fn link(head: Option<(i64, String)>, at: Millis, events: &[AuditEvent]) -> Vec<AuditEntry> {
    let (mut seq, mut prev_hash) = head.unwrap_or((0, GENESIS.to_string()));
    events
        .iter()
        .map(|event| {
            seq += 1;
            let mut entry = AuditEntry {
                seq,
                at,
                actor: event.actor.clone(),
                action: event.action.as_str().to_string(),
                subject: event.subject.clone(),
                kind: event.kind.clone(),
                partner: event.partner.clone(),
                details: event.details.to_string(),
                prev_hash: std::mem::take(&mut prev_hash),
                hash: String::new(),
            };
            entry.hash = entry.computed_hash();
            prev_hash = entry.hash.clone();
            entry
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Verification

/// What is wrong with the first broken entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("gap: entry {expected} expected, entries {expected}..{} are missing", .found - 1)]
    Gap { expected: i64, found: i64 },
    #[error("out of order: entry {expected} expected")]
    OutOfOrder { expected: i64 },
    #[error("broken link: prev_hash {found} is not the previous entry's hash {expected}")]
    BrokenLink { expected: String, found: String },
    #[error("hash mismatch: stored {stored}, contents hash to {computed} (the entry was altered)")]
    HashMismatch { stored: String, computed: String },
}

/// The first broken entry of a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq}: {problem}")]
pub struct Break {
    pub seq: i64,
    pub problem: Problem,
}

/// Checks entries one by one, in `seq` order.
#[derive(Debug, Clone)]
pub struct Chain {
    next_seq: i64,
    prev_hash: String,
    checked: u64,
}

impl Default for Chain {
    fn default() -> Chain {
        Chain::new()
    }
}

impl Chain {
    /// A chain from its first entry.
    pub fn new() -> Chain {
        Chain::after(0, GENESIS.to_string())
    }

    /// A chain that continues after entry `seq` whose hash was `hash` (a bundle).
    pub fn after(seq: i64, hash: String) -> Chain {
        Chain {
            next_seq: seq + 1,
            prev_hash: hash,
            checked: 0,
        }
    }

    /// Entries checked so far.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The hash of the last entry checked (the chain head).
    pub fn head(&self) -> &str {
        &self.prev_hash
    }

    pub fn check(&mut self, entry: &AuditEntry) -> Result<(), Break> {
        let broken = |problem| Break {
            seq: entry.seq,
            problem,
        };
        if entry.seq > self.next_seq {
            return Err(broken(Problem::Gap {
                expected: self.next_seq,
                found: entry.seq,
            }));
        }
        if entry.seq < self.next_seq {
            return Err(broken(Problem::OutOfOrder {
                expected: self.next_seq,
            }));
        }
        if entry.prev_hash != self.prev_hash {
            return Err(broken(Problem::BrokenLink {
                expected: self.prev_hash.clone(),
                found: entry.prev_hash.clone(),
            }));
        }
        let computed = entry.computed_hash();
        if computed != entry.hash {
            return Err(broken(Problem::HashMismatch {
                stored: entry.hash.clone(),
                computed,
            }));
        }
        self.next_seq += 1;
        self.prev_hash = entry.hash.clone();
        self.checked += 1;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Bundles

/// A slice of the log that verifies on its own: the entries plus the hash of the
/// entry before the first (`GENESIS` and 0 when the slice starts the log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    /// The time range asked for, RFC 3339 (`to` exclusive).
    pub from: Option<String>,
    pub to: Option<String>,
    pub exported_at: String,
    pub prev_seq: i64,
    pub prev_hash: String,
    /// The hash of the last entry (the `prev_hash` when there is none).
    pub head_hash: String,
    pub entries: Vec<AuditEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not an audit bundle: {0}")]
    Format(String),
    #[error("{0}")]
    Broken(#[from] Break),
    #[error("head_hash {stated} is not the hash of the last entry {actual}")]
    Head { stated: String, actual: String },
}

impl Bundle {
    /// Checks the slice: its format, its chain from `prev_hash`, and its head.
    /// Returns the number of entries checked.
    pub fn verify(&self) -> Result<u64, BundleError> {
        if self.format != BUNDLE_FORMAT {
            return Err(BundleError::Format(format!(
                "format `{}`, expected `{BUNDLE_FORMAT}`",
                self.format
            )));
        }
        let mut chain = Chain::after(self.prev_seq, self.prev_hash.clone());
        for entry in &self.entries {
            chain.check(entry)?;
        }
        if chain.head() != self.head_hash {
            return Err(BundleError::Head {
                stated: self.head_hash.clone(),
                actual: chain.head().to_string(),
            });
        }
        Ok(chain.checked())
    }
}

// ---------------------------------------------------------------------------
// Reading the log from a store

/// Entries read per query while walking the log.
const PAGE: u32 = 1000;

/// A log that verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub checked: u64,
    /// The last entry's hash (`GENESIS` for an empty log): keep it, and a later
    /// verification that does not reach it means entries were cut off the end.
    pub head_hash: String,
}

/// Walks the whole log in order. `Ok(Err(_))` names the first broken entry.
pub async fn verify_store(store: &dyn Store) -> Result<Result<Verified, Break>, StoreError> {
    let mut chain = Chain::new();
    let mut after = 0;
    loop {
        let page = store.audit_entries(after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.seq;
        for entry in &page {
            if let Err(broken) = chain.check(entry) {
                return Ok(Err(broken));
            }
        }
    }
    Ok(Ok(Verified {
        checked: chain.checked(),
        head_hash: chain.head().to_string(),
    }))
}

/// The entries with `first <= seq <= last`, in order.
pub async fn read_range(
    store: &dyn Store,
    first: i64,
    last: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut entries = Vec::new();
    let mut after = first - 1;
    while after < last {
        let page = store.audit_entries(after, PAGE).await?;
        let Some(end) = page.last().map(|e| e.seq) else {
            break;
        };
        entries.extend(page.into_iter().filter(|e| e.seq <= last));
        after = end;
    }
    Ok(entries)
}

/// The last `count` entries, in order.
pub async fn tail(store: &dyn Store, count: u32) -> Result<Vec<AuditEntry>, StoreError> {
    match store.audit_span(Millis::MIN, Millis::MAX).await? {
        None => Ok(Vec::new()),
        Some((_, last)) => {
            let first = (last - i64::from(count) + 1).max(1);
            read_range(store, first, last).await
        }
    }
}

/// The bundle of the entries stamped in `[from, to)` (either end open): every
/// entry from the first to the last of those, in seq order (replicas' clocks may
/// differ slightly, so a few entries just outside the range may come along),
/// with the hash of the entry before the first.
pub async fn export(
    store: &dyn Store,
    from: Option<Millis>,
    to: Option<Millis>,
    now: Millis,
) -> Result<Bundle, StoreError> {
    let span = store
        .audit_span(from.unwrap_or(Millis::MIN), to.unwrap_or(Millis::MAX))
        .await?;
    let (prev_seq, prev_hash, entries) = match span {
        None => (0, GENESIS.to_string(), Vec::new()),
        Some((first, last)) => {
            let (prev_seq, prev_hash) = if first > 1 {
                let before = read_range(store, first - 1, first - 1).await?;
                let hash = before.first().map(|e| e.hash.clone()).ok_or_else(|| {
                    StoreError::Corrupt(format!("audit entry {} is missing", first - 1))
                })?;
                (first - 1, hash)
            } else {
                (0, GENESIS.to_string())
            };
            (prev_seq, prev_hash, read_range(store, first, last).await?)
        }
    };
    Ok(Bundle {
        format: BUNDLE_FORMAT.to_string(),
        from: from.map(rfc3339),
        to: to.map(rfc3339),
        exported_at: rfc3339(now),
        prev_seq,
        head_hash: entries
            .last()
            .map_or_else(|| prev_hash.clone(), |e| e.hash.clone()),
        prev_hash,
        entries,
    })
}

// ---------------------------------------------------------------------------
// Time, for the CLI and bundles

/// `2026-11-01T00:00:00.000Z` for epoch milliseconds.
pub fn rfc3339(at: Millis) -> String {
    let time = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(u64::try_from(at).unwrap_or_default());
    humantime::format_rfc3339_millis(time).to_string()
}

/// Epoch milliseconds of an RFC 3339 time in UTC (`2026-11-01T00:00:00Z`) or of
/// the start of a day (`2026-11-01`).
pub fn parse_time(text: &str) -> Result<Millis, String> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_string()
    };
    let time = humantime::parse_rfc3339(&full).map_err(|e| {
        format!(
            "`{text}` is not a UTC time like 2026-11-01T00:00:00Z or a date like 2026-11-01: {e}"
        )
    })?;
    let since = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| format!("`{text}` is before 1970"))?;
    Ok(crate::store::millis(since))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain is defined over this exact text: entries written by earlier
    /// versions must still verify.
    #[test]
    fn canonical_text_is_the_documented_array() {
        let entry = AuditEntry {
            seq: 7,
            at: 1_764_000_000_000,
            actor: "partner:rs \"x\"".into(),
            action: "accepted".into(),
            subject: Some("m-ü\n".into()),
            kind: None,
            partner: Some("rs".into()),
            details: r#"{"a":[1,"\u0007"]}"#.into(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        let by_value = serde_json::Value::Array(vec![
            FORMAT.into(),
            entry.seq.into(),
            entry.at.into(),
            entry.actor.as_str().into(),
            entry.action.as_str().into(),
            entry.subject.as_deref().into(),
            entry.kind.as_deref().into(),
            entry.partner.as_deref().into(),
            entry.details.as_str().into(),
        ])
        .to_string();
        assert_eq!(entry.canonical(), by_value);
        assert!(entry.canonical().starts_with(
            r#"["iarms-audit/1",7,1764000000000,"partner:rs \"x\"","accepted","m-ü\n",null,"rs","#
        ));
    }

    fn events(n: usize) -> Vec<AuditEvent> {
        (0..n)
            .map(|i| {
                AuditEvent::new("rs", Action::Accepted)
                    .subject(format!("m-{i}"))
                    .kind("record")
                    .details(serde_json::json!({"n": i}))
            })
            .collect()
    }

    #[test]
    fn a_linked_chain_verifies_and_continues() {
        let first = link(None, 1, &events(3));
        let second = link(Some((3, first[2].hash.clone())), 2, &events(2));
        let mut chain = Chain::new();
        for entry in first.iter().chain(&second) {
            chain.check(entry).expect("verifies");
        }
        assert_eq!(chain.checked(), 5);
        assert_eq!(second[1].seq, 5);
        assert_eq!(first[0].prev_hash, GENESIS);
    }

    #[test]
    fn the_hash_is_documented_sha256_over_prev_and_canonical() {
        let entry = &link(None, 7, &[AuditEvent::new("op", Action::Replayed)])[0];
        assert_eq!(
            entry.canonical(),
            r#"["iarms-audit/1",1,7,"op","replayed",null,null,null,"{}"]"#
        );
        let mut hasher = Sha256::new();
        hasher.update(GENESIS);
        hasher.update(entry.canonical());
        assert_eq!(entry.hash, hex::encode(hasher.finalize()));
    }

    #[test]
    fn tampering_gaps_and_relinking_are_named() {
        let entries = link(None, 1, &events(4));

        let mut altered = entries.clone();
        altered[1].details = r#"{"n":99}"#.to_string();
        let broken = verify_all(&altered).expect_err("altered");
        assert_eq!(broken.seq, 2);
        assert!(matches!(broken.problem, Problem::HashMismatch { .. }));

        let mut gap = entries.clone();
        gap.remove(1);
        let broken = verify_all(&gap).expect_err("gap");
        assert_eq!(broken.seq, 3);
        assert_eq!(
            broken.problem,
            Problem::Gap {
                expected: 2,
                found: 3
            }
        );

        // Altered and re-hashed: the next entry's link breaks.
        let mut rehashed = entries.clone();
        rehashed[1].details = r#"{"n":99}"#.to_string();
        rehashed[1].hash = rehashed[1].computed_hash();
        let broken = verify_all(&rehashed).expect_err("relinked");
        assert_eq!(broken.seq, 3);
        assert!(matches!(broken.problem, Problem::BrokenLink { .. }));
    }

    fn verify_all(entries: &[AuditEntry]) -> Result<u64, Break> {
        let mut chain = Chain::new();
        for entry in entries {
            chain.check(entry)?;
        }
        Ok(chain.checked())
    }

    #[test]
    fn a_bundle_slice_verifies_on_its_own() {
        let entries = link(None, 1, &events(5));
        let bundle = Bundle {
            format: BUNDLE_FORMAT.to_string(),
            from: None,
            to: None,
            exported_at: rfc3339(0),
            prev_seq: 2,
            prev_hash: entries[1].hash.clone(),
            head_hash: entries[4].hash.clone(),
            entries: entries[2..].to_vec(),
        };
        assert_eq!(bundle.verify().expect("verifies"), 3);
        let mut cut = bundle.clone();
        cut.entries.pop();
        assert!(matches!(cut.verify(), Err(BundleError::Head { .. })));
    }

    #[test]
    fn times_parse_and_print() {
        assert_eq!(
            parse_time("2024-03-01T00:00:00Z").expect("time"),
            1_709_251_200_000
        );
        assert_eq!(parse_time("2024-03-01").expect("date"), 1_709_251_200_000);
        assert!(parse_time("yesterday").is_err());
        assert_eq!(rfc3339(1_709_251_200_000), "2024-03-01T00:00:00.000Z");
    }
}
