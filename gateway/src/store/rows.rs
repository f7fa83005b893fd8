//! Rows as both schemas store them (every integer column is 64-bit in both),
//! and how they decode into the store's types.

use std::str::FromStr;

use iarms_adapters::MessageKind;
use uuid::Uuid;

use super::{
    ClaimedDelivery, Delivery, DeliveryState, NaturalKey, Receipt, StoreError, StoredMessage,
    Trace, TraceState,
};

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    pub(crate) id: i64,
    pub(crate) message_id: Uuid,
    pub(crate) destination: String,
    pub(crate) ordering_key: String,
    pub(crate) state: String,
    pub(crate) attempts: i64,
    pub(crate) due_at: Option<i64>,
    pub(crate) lease_owner: Option<String>,
    pub(crate) lease_expires_at: Option<i64>,
    pub(crate) last_error: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) delivered_at: Option<i64>,
    pub(crate) receipt_remote_id: Option<String>,
    pub(crate) receipt_status: Option<i64>,
    pub(crate) receipt_detail: Option<String>,
}

impl DeliveryRow {
    pub(crate) fn into_delivery(self) -> Result<Delivery, StoreError> {
        let state = parse_stored::<DeliveryState>(&self.state, "delivery state")?;
        let next_attempt_at = match state {
            DeliveryState::Queued | DeliveryState::RetryWait => self.due_at,
            _ => None,
        };
        let receipt = (state == DeliveryState::Delivered
            || self.receipt_remote_id.is_some()
            || self.receipt_status.is_some())
        .then(|| Receipt {
            remote_id: self.receipt_remote_id,
            status: self.receipt_status.and_then(|s| u16::try_from(s).ok()),
            detail: self.receipt_detail,
        });
        Ok(Delivery {
            id: self.id,
            message_id: self.message_id,
            destination: self.destination,
            ordering_key: self.ordering_key,
            state,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            next_attempt_at,
            lease_owner: self.lease_owner,
            lease_expires_at: self.lease_expires_at,
            last_error: self.last_error,
            created_at: self.created_at,
            updated_at: self.updated_at,
            delivered_at: self.delivered_at,
            receipt,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ClaimedRow {
    #[sqlx(flatten)]
    pub(crate) delivery: DeliveryRow,
    pub(crate) kind: String,
    pub(crate) trace_id: Option<String>,
    pub(crate) correlation_id: Uuid,
    pub(crate) body: String,
}

impl ClaimedRow {
    pub(crate) fn into_claimed(self) -> Result<ClaimedDelivery, StoreError> {
        Ok(ClaimedDelivery {
            kind: parse_kind(&self.kind)?,
            trace_id: self.trace_id,
            correlation_id: self.correlation_id,
            body: self.body,
            delivery: self.delivery.into_delivery()?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub(crate) seq: i64,
    pub(crate) message_id: Uuid,
    pub(crate) correlation_id: Uuid,
    pub(crate) kind: String,
    pub(crate) source_partner: String,
    pub(crate) received_at: i64,
    pub(crate) ordering_key: String,
    pub(crate) owner_country: Option<String>,
    pub(crate) owner_agency: Option<String>,
    pub(crate) record_id: Option<String>,
    pub(crate) record_version: Option<i64>,
    pub(crate) body: String,
}

impl MessageRow {
    pub(crate) fn into_stored(self) -> Result<StoredMessage, StoreError> {
        let natural_key = match (
            self.owner_country,
            self.owner_agency,
            self.record_id,
            self.record_version,
        ) {
            (Some(owner_country), Some(owner_agency), Some(record_id), Some(version)) => {
                Some(NaturalKey {
                    owner_country,
                    owner_agency,
                    record_id,
                    version: u32::try_from(version).unwrap_or(u32::MAX),
                })
            }
            _ => None,
        };
        Ok(StoredMessage {
            seq: self.seq,
            message_id: self.message_id,
            correlation_id: self.correlation_id,
            kind: parse_kind(&self.kind)?,
            source_partner: self.source_partner,
            received_at: self.received_at,
            ordering_key: self.ordering_key,
            natural_key,
            body: self.body,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TraceRow {
    pub(crate) trace_id: String,
    pub(crate) request_message_id: Uuid,
    pub(crate) requesting_country: String,
    pub(crate) requested_country: String,
    pub(crate) state: String,
    pub(crate) due_at: Option<i64>,
    pub(crate) submitted_at: i64,
    pub(crate) delivered_at: Option<i64>,
    pub(crate) acknowledged_at: Option<i64>,
    pub(crate) closed_at: Option<i64>,
    pub(crate) updated_at: i64,
}

impl TraceRow {
    pub(crate) fn into_trace(self) -> Result<Trace, StoreError> {
        Ok(Trace {
            state: parse_stored::<TraceState>(&self.state, "trace state")?,
            trace_id: self.trace_id,
            request_message_id: self.request_message_id,
            requesting_country: self.requesting_country,
            requested_country: self.requested_country,
            due_at: self.due_at,
            submitted_at: self.submitted_at,
            delivered_at: self.delivered_at,
            acknowledged_at: self.acknowledged_at,
            closed_at: self.closed_at,
            updated_at: self.updated_at,
        })
    }
}

pub(crate) fn parse_stored<T: FromStr>(value: &str, what: &str) -> Result<T, StoreError> {
    value
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown {what} `{value}`")))
}

fn parse_kind(tag: &str) -> Result<MessageKind, StoreError> {
    MessageKind::from_tag(tag)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown message kind `{tag}`")))
}
