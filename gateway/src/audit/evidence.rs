//! `audit verify` over a whole store: the chain, its signed checkpoints, and
//! the stored messages and deliveries against the digests the entries carry.
//!
//! What it reports (every finding, not only the first):
//! - the chain broken (a gap, a broken link, an altered entry: [`Break`]);
//! - rows with `seq <= 0`, which no chain walk from 1 meets but listings show;
//! - a checkpoint whose signature no trusted key makes, or whose head hash is
//!   not the hash stored at its seq: the chain was rewritten (recomputing the
//!   hashes after an edit needs no secret, signing the new head does);
//! - a checkpoint beyond the last entry: entries were cut off the end;
//! - no signed checkpoint at all, or entries older than the grace period after
//!   the last one (with a trusted key: the signer checkpoints every minute);
//! - a stored message body whose SHA-256 is not the `body_sha256` of its
//!   `accepted` entry, or a message no `accepted` entry records;
//! - a delivered or dead delivery whose state is not the `state_sha256` of its
//!   last entry, or that no entry records.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use uuid::Uuid;

use super::chain::{Break, Chain};
use super::checkpoint::Checkpoint;
use super::entry::digest;
use super::log::AuditLog;
use super::signing::PublicKey;
use super::{Action, GENESIS};
use crate::time::Millis;

/// Rows read per query.
const PAGE: u32 = 1000;

/// A stored message body, as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredBody {
    pub seq: i64,
    pub message_id: Uuid,
    pub body: String,
}

/// A delivery's state, as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredDelivery {
    pub id: i64,
    pub message_id: Uuid,
    pub destination: String,
    pub state: String,
    pub receipt_status: Option<i64>,
    pub receipt_remote_id: Option<String>,
}

/// The `body_sha256` of an `accepted` entry: the SHA-256 of the stored text.
pub fn body_digest(body: &str) -> String {
    digest(body)
}

/// The `state_sha256` of a `delivered` or `dead` entry: the SHA-256 of
/// `[delivery_id, message_id, destination, state, receipt_status, receipt_remote_id]`
/// (the receipt as `null`s for a dead delivery).
pub fn delivery_state_digest(
    delivery_id: i64,
    message_id: &Uuid,
    destination: &str,
    state: &str,
    receipt_status: Option<i64>,
    receipt_remote_id: Option<&str>,
) -> String {
    let (status, remote) = match state {
        "delivered" => (receipt_status, receipt_remote_id),
        _ => (None, None),
    };
    digest(
        &serde_json::json!([
            delivery_id,
            message_id.to_string(),
            destination,
            state,
            status,
            remote
        ])
        .to_string(),
    )
}

impl StoredDelivery {
    fn state_digest(&self) -> String {
        delivery_state_digest(
            self.id,
            &self.message_id,
            &self.destination,
            &self.state,
            self.receipt_status,
            self.receipt_remote_id.as_deref(),
        )
    }
}

/// What one finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    ChainBroken,
    SeqNotPositive,
    CheckpointSignature,
    CheckpointMismatch,
    EntriesMissing,
    Unsigned,
    BodyMismatch,
    BodyUnrecorded,
    DeliveryMismatch,
    DeliveryUnrecorded,
}

/// One thing wrong with the stored evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The audit entry (or checkpoint) seq it is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    pub message: String,
}

/// What [`verify_evidence`] checks against.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The public keys whose checkpoints count; empty: signatures are not
    /// checked (and the report says so).
    pub keys: Vec<PublicKey>,
    /// Now, and how old the entries after the last checkpoint may be.
    pub now: Millis,
    pub grace: Millis,
}

/// The outcome of [`verify_evidence`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Entries checked in the chain from seq 1.
    pub checked: u64,
    pub head_seq: i64,
    pub head_hash: String,
    pub checkpoints: u64,
    /// Checkpoints whose signature a trusted key made.
    pub checkpoints_signed: u64,
    /// The last signed checkpoint's seq.
    pub last_signed_seq: Option<i64>,
    /// Entries after the last signed checkpoint.
    pub unsigned_entries: u64,
    pub bodies_checked: u64,
    /// Messages whose `accepted` entry predates body digests.
    pub bodies_without_digest: u64,
    pub deliveries_checked: u64,
    /// Whether checkpoint signatures were checked (a key was given).
    pub signatures_checked: bool,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }

    fn find(&mut self, kind: FindingKind, seq: Option<i64>, message: String) {
        self.findings.push(Finding { kind, seq, message });
    }
}

/// What the entries say the messages and deliveries should be.
#[derive(Default)]
struct Expected {
    bodies: HashMap<Uuid, String>,
    accepted_without_digest: HashSet<Uuid>,
    deliveries_of: HashMap<Uuid, Vec<i64>>,
    /// Per delivery: the digest of its last settled state, or `None` when a
    /// later entry (a failure, a replay, a retry) leaves it open.
    states: HashMap<i64, Option<String>>,
}

impl Expected {
    fn read(&mut self, action: &str, subject: Option<&str>, details: &str) {
        let details: serde_json::Value = serde_json::from_str(details).unwrap_or_default();
        let text = |key: &str| {
            details
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let delivery_id = details.get("delivery_id").and_then(|v| v.as_i64());
        let message = subject.and_then(|s| Uuid::parse_str(s).ok());
        match action {
            a if a == Action::Accepted.as_str() => {
                let Some(message) = message else { return };
                match text("body_sha256") {
                    Some(d) => {
                        self.bodies.insert(message, d);
                    }
                    None => {
                        self.accepted_without_digest.insert(message);
                    }
                }
                let ids = details
                    .get("forwarded")
                    .and_then(|f| f.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.get("delivery_id").and_then(|v| v.as_i64()));
                self.deliveries_of.entry(message).or_default().extend(ids);
            }
            a if a == Action::Delivered.as_str() || a == Action::Dead.as_str() => {
                if let Some(id) = delivery_id {
                    self.states.insert(id, text("state_sha256"));
                }
            }
            a if a == Action::Failed.as_str() || a == Action::RetryDead.as_str() => {
                if let Some(id) = delivery_id {
                    self.states.insert(id, None);
                }
            }
            a if a == Action::Replayed.as_str() => {
                let Some(message) = message else { return };
                for id in self.deliveries_of.get(&message).into_iter().flatten() {
                    self.states.insert(*id, None);
                }
            }
            _ => {}
        }
    }
}

/// Verifies the whole store's evidence; see the module documentation.
pub async fn verify_evidence<L: AuditLog + ?Sized>(
    log: &L,
    trust: &Trust,
) -> Result<Report, L::Error> {
    let mut report = Report {
        head_hash: GENESIS.to_string(),
        signatures_checked: !trust.keys.is_empty(),
        ..Report::default()
    };
    let checkpoints = log.checkpoints().await?;
    report.checkpoints = checkpoints.len() as u64;
    // The checkpoints that count: signed by a trusted key (all of them when
    // no key is given, to check at least their consistency).
    let mut signed: Vec<&Checkpoint> = Vec::new();
    for checkpoint in &checkpoints {
        if trust.keys.is_empty() {
            signed.push(checkpoint);
        } else if let Err(e) = checkpoint.verify(&trust.keys) {
            report.find(
                FindingKind::CheckpointSignature,
                Some(checkpoint.seq),
                format!(
                    "checkpoint of entry {} signed at {}: {e} (forged or signed by another key)",
                    checkpoint.seq,
                    crate::time::rfc3339(checkpoint.at)
                ),
            );
        } else {
            report.checkpoints_signed += 1;
            signed.push(checkpoint);
        }
    }
    let mut at_seq: HashMap<i64, Vec<&Checkpoint>> = HashMap::new();
    for checkpoint in &signed {
        at_seq.entry(checkpoint.seq).or_default().push(checkpoint);
    }
    let last_signed = signed.iter().map(|c| c.seq).max();
    report.last_signed_seq = last_signed.filter(|_| !trust.keys.is_empty());

    let mut chain = Chain::new();
    let mut broken: Option<Break> = None;
    let mut expected = Expected::default();
    let mut seen_at_checkpoints: HashSet<i64> = HashSet::new();
    let mut oldest_unsigned: Option<Millis> = None;
    let mut after = i64::MIN;
    loop {
        let page = log.entries_after(after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.seq;
        for entry in &page {
            if entry.seq <= 0 {
                report.find(
                    FindingKind::SeqNotPositive,
                    Some(entry.seq),
                    format!(
                        "a row with seq {} (the chain starts at 1): not part of the chain, inserted beside it",
                        entry.seq
                    ),
                );
                continue;
            }
            if broken.is_none() {
                match chain.check(entry) {
                    Ok(()) => report.checked += 1,
                    Err(b) => broken = Some(b),
                }
            }
            for checkpoint in at_seq.get(&entry.seq).into_iter().flatten() {
                seen_at_checkpoints.insert(entry.seq);
                if checkpoint.head_hash != entry.hash {
                    report.find(
                        FindingKind::CheckpointMismatch,
                        Some(entry.seq),
                        format!(
                            "entry {}: its hash {} is not the head hash {} signed at {}: the chain was rewritten",
                            entry.seq,
                            entry.hash,
                            checkpoint.head_hash,
                            crate::time::rfc3339(checkpoint.at)
                        ),
                    );
                }
            }
            if last_signed.is_none_or(|s| entry.seq > s) {
                report.unsigned_entries += 1;
                oldest_unsigned.get_or_insert(entry.at);
            }
            expected.read(&entry.action, entry.subject.as_deref(), &entry.details);
            report.head_seq = entry.seq;
            report.head_hash = entry.hash.clone();
        }
    }
    if let Some(b) = broken {
        report.find(FindingKind::ChainBroken, Some(b.seq), b.to_string());
    }
    for checkpoint in &signed {
        let seq = checkpoint.seq;
        if seq > report.head_seq {
            report.find(
                FindingKind::EntriesMissing,
                Some(seq),
                format!(
                    "a checkpoint signed at {} covers entries up to {seq}, the log ends at {}: entries {}..{seq} are missing",
                    crate::time::rfc3339(checkpoint.at),
                    report.head_seq,
                    report.head_seq + 1
                ),
            );
        } else if seq == 0 {
            if checkpoint.head_hash != GENESIS {
                report.find(
                    FindingKind::CheckpointMismatch,
                    Some(0),
                    "a checkpoint of the empty log carries a head hash".to_string(),
                );
            }
        } else if !seen_at_checkpoints.contains(&seq) {
            report.find(
                FindingKind::EntriesMissing,
                Some(seq),
                format!("entry {seq}, which a checkpoint signed, is missing"),
            );
        }
    }
    if !trust.keys.is_empty() {
        match (last_signed, oldest_unsigned) {
            (None, Some(_)) => report.find(
                FindingKind::Unsigned,
                None,
                format!(
                    "no checkpoint signed by a trusted key covers the {} entries",
                    report.unsigned_entries
                ),
            ),
            (Some(seq), Some(at)) if trust.now.saturating_sub(at) > trust.grace => report.find(
                FindingKind::Unsigned,
                Some(seq),
                format!(
                    "{} entries after the last signed checkpoint (entry {seq}), the first stamped {}, longer ago than a checkpoint is due",
                    report.unsigned_entries,
                    crate::time::rfc3339(at)
                ),
            ),
            _ => {}
        }
    }
    check_bodies(log, &expected, &mut report).await?;
    check_deliveries(log, &expected, &mut report).await?;
    Ok(report)
}

async fn check_bodies<L: AuditLog + ?Sized>(
    log: &L,
    expected: &Expected,
    report: &mut Report,
) -> Result<(), L::Error> {
    let mut after = i64::MIN;
    loop {
        let page = log.bodies_after(after, PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.seq;
        for stored in &page {
            report.bodies_checked += 1;
            match expected.bodies.get(&stored.message_id) {
                Some(d) if *d == body_digest(&stored.body) => {}
                Some(d) => report.find(
                    FindingKind::BodyMismatch,
                    None,
                    format!(
                        "message {}: its stored body hashes to {}, its accepted entry says {d}: the body was changed",
                        stored.message_id,
                        body_digest(&stored.body)
                    ),
                ),
                None if expected.accepted_without_digest.contains(&stored.message_id) => {
                    report.bodies_without_digest += 1;
                }
                None => report.find(
                    FindingKind::BodyUnrecorded,
                    None,
                    format!(
                        "message {} is stored but no accepted entry records it",
                        stored.message_id
                    ),
                ),
            }
        }
    }
}

async fn check_deliveries<L: AuditLog + ?Sized>(
    log: &L,
    expected: &Expected,
    report: &mut Report,
) -> Result<(), L::Error> {
    let mut after = i64::MIN;
    loop {
        let page = log.deliveries_after(after, PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.id;
        for delivery in &page {
            report.deliveries_checked += 1;
            match expected.states.get(&delivery.id) {
                Some(Some(d)) if *d == delivery.state_digest() => {}
                Some(Some(_)) => report.find(
                    FindingKind::DeliveryMismatch,
                    None,
                    format!(
                        "delivery {} of message {} to {}: its stored state ({}) is not the one its last audit entry records",
                        delivery.id, delivery.message_id, delivery.destination, delivery.state
                    ),
                ),
                Some(None) => {}
                None if matches!(delivery.state.as_str(), "delivered" | "dead") => report.find(
                    FindingKind::DeliveryUnrecorded,
                    None,
                    format!(
                        "delivery {} of message {} is {} but no audit entry records it",
                        delivery.id, delivery.message_id, delivery.state
                    ),
                ),
                None => {}
            }
        }
    }
}
