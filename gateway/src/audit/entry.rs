//! One entry of the trail: what is appended ([`AuditEvent`], with the
//! [`Origin`] of an accepted batch) and what is stored ([`AuditEntry`]), with
//! the canonical text the chain covers.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::chain::chain_hash;
use super::FORMAT;
use crate::time::Millis;

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

/// Who handed a batch to the store's `accept`, and what else the same
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
    /// The peer's verified HTTP message signature of the request
    /// (`Signature-Input` and `Signature`), kept in each `accepted` entry as
    /// evidence of who sent the message.
    pub signature: Option<String>,
}

impl Origin {
    pub fn actor(actor: impl Into<String>) -> Origin {
        Origin {
            actor: actor.into(),
            format: None,
            also: Vec::new(),
            signature: None,
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

/// `hex(SHA-256(text))`: how record keys and other identifying values appear in
/// details, so that an auditor holding the value can find its entries.
pub fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::super::GENESIS;
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
}
