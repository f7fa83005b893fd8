//! Messages: what is handed to the store, how a batch's messages come out of
//! it (accepted or duplicate), and how a stored message reads back.

use std::sync::Arc;

use iarms_adapters::model::Message;
use iarms_adapters::pipeline::Canonical;
use iarms_adapters::MessageKind;
use serde::Serialize;
use uuid::Uuid;

use super::{Delivery, StoreError};
use crate::time::Millis;

/// A validated canonical message to store, with where it came from and where it goes.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub message: Message,
    /// The message's canonical JSON, serialised once (after validation, for what
    /// partners and the hub submit): the store keeps this text and the forwarder
    /// sends it as it is. Shared, so that binding it copies nothing.
    pub body: Arc<str>,
    /// The partner (or `hub`) it came from.
    pub source_partner: String,
    /// One delivery per distinct destination, decided by the caller's routing.
    pub destinations: Vec<String>,
}

impl NewMessage {
    /// A message validated with its text ([`iarms_adapters::pipeline::prepare_canonical`]).
    pub fn canonical(
        canonical: Canonical,
        source_partner: impl Into<String>,
        destinations: Vec<String>,
    ) -> NewMessage {
        NewMessage {
            message: canonical.message,
            body: canonical.text.into(),
            source_partner: source_partner.into(),
            destinations,
        }
    }

    /// A message the caller built itself (the hub's notifications), serialised here.
    pub fn serialise(
        message: Message,
        source_partner: impl Into<String>,
        destinations: Vec<String>,
    ) -> Result<NewMessage, StoreError> {
        let body = serde_json::to_string(&message).map_err(|e| {
            StoreError::Invalid(format!(
                "message {}: cannot serialise: {e}",
                message.header().message_id
            ))
        })?;
        Ok(NewMessage {
            message,
            body: body.into(),
            source_partner: source_partner.into(),
            destinations,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AcceptOutcome {
    Accepted {
        message_id: Uuid,
    },
    Duplicate {
        message_id: Uuid,
        /// The stored message this one repeats (itself when the id repeats).
        original_message_id: Uuid,
        reason: DuplicateReason,
    },
}

impl AcceptOutcome {
    pub fn message_id(&self) -> Uuid {
        match self {
            AcceptOutcome::Accepted { message_id }
            | AcceptOutcome::Duplicate { message_id, .. } => *message_id,
        }
    }

    pub fn is_accepted(&self) -> bool {
        matches!(self, AcceptOutcome::Accepted { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same message id was stored before.
    MessageId,
    /// A record with the same owner country, owner agency, record id and version was.
    NaturalKey,
}

/// A record's identity across resends: a resend of the same version is a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NaturalKey {
    pub owner_country: String,
    pub owner_agency: String,
    pub record_id: String,
    pub version: u32,
}

impl NaturalKey {
    pub fn of(message: &Message) -> Option<NaturalKey> {
        match message {
            Message::Record(r) => Some(NaturalKey {
                owner_country: r.owner_country.clone(),
                owner_agency: r.owner_agency.clone(),
                record_id: r.record_id.clone(),
                version: r.version,
            }),
            _ => None,
        }
    }
}

/// The key under which deliveries to one destination keep their order: the record
/// (owner country, owner agency, record id) for records, the trace for trace
/// requests and responses, the conversation (correlation id) for the rest.
/// JSON-encoded so that no two different keys can collide.
pub fn ordering_key(message: &Message) -> String {
    let parts: Vec<&str> = match message {
        Message::Record(r) => vec!["record", &r.owner_country, &r.owner_agency, &r.record_id],
        Message::TraceRequest(t) => vec!["trace", &t.trace_id],
        Message::TraceResponse(t) => vec!["trace", &t.trace_id],
        Message::Search(_) | Message::HitNotification(_) => {
            return format!("[\"conversation\",\"{}\"]", message.header().correlation_id);
        }
    };
    serde_json::to_string(&parts).unwrap_or_default()
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMessage {
    /// Order of arrival in this store.
    pub seq: i64,
    pub message_id: Uuid,
    pub correlation_id: Uuid,
    #[serde(serialize_with = "serialize_kind")]
    pub kind: MessageKind,
    pub source_partner: String,
    pub received_at: Millis,
    pub ordering_key: String,
    pub natural_key: Option<NaturalKey>,
    /// The canonical JSON, exactly as stored.
    pub body: String,
}

impl StoredMessage {
    pub fn message(&self) -> Result<Message, StoreError> {
        parse_body(&self.body, self.message_id)
    }
}

fn serialize_kind<S: serde::Serializer>(kind: &MessageKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.tag())
}

pub(crate) fn parse_body(body: &str, message_id: Uuid) -> Result<Message, StoreError> {
    serde_json::from_str(body).map_err(|e| {
        StoreError::Corrupt(format!("message {message_id}: body does not decode: {e}"))
    })
}

/// A message and its deliveries, for operators.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageView {
    pub message: StoredMessage,
    pub deliveries: Vec<Delivery>,
}
