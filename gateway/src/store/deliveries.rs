//! Deliveries: one message on its way to one destination, claimed with a
//! lease, settled by how its attempt ended.

use std::fmt;
use std::time::Duration;

use iarms_adapters::model::Message;
use iarms_adapters::MessageKind;
use serde::Serialize;
use uuid::Uuid;

use super::messages::parse_body;
use super::rows::parse_stored;
use super::{DeliveryState, StoreError};
use crate::time::{millis, Millis};

/// One message on its way to one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub message_id: Uuid,
    pub destination: String,
    pub ordering_key: String,
    pub state: DeliveryState,
    /// Claims so far (each claim is one attempt).
    pub attempts: u32,
    /// When it becomes claimable (`queued`, `retry_wait`).
    pub next_attempt_at: Option<Millis>,
    /// The worker holding (`delivering`) or that last held the lease.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<Millis>,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub delivered_at: Option<Millis>,
    pub receipt: Option<Receipt>,
}

/// A delivery leased to a worker, with what it must send and what routing
/// needs (kind, trace), so that routing never parses the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub delivery: Delivery,
    pub kind: MessageKind,
    /// The trace of a trace request or response (none for the other kinds).
    pub trace_id: Option<String>,
    pub correlation_id: Uuid,
    /// The canonical JSON of the message.
    pub body: String,
}

impl ClaimedDelivery {
    /// The message, for a destination that takes it in a format other than
    /// the stored canonical text.
    pub fn message(&self) -> Result<Message, StoreError> {
        parse_body(&self.body, self.delivery.message_id)
    }
}

/// What the receiver said when it took a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The receiver's own id for the message, if it gave one.
    pub remote_id: Option<String>,
    /// The HTTP status of the successful delivery (none for directory sinks).
    pub status: Option<u16>,
    /// Anything else worth keeping (the file written, the receiver's message).
    pub detail: Option<String>,
}

/// How one delivery attempt ended, for [`Store::settle`](super::Store::settle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Delivered(Receipt),
    /// The attempt failed with `error`; `next` says whether to retry.
    Failed {
        error: Failure,
        next: NextStep,
    },
    /// Claimed but never sent (the round would have outlasted its lease, the
    /// worker is stopping, the destination is down): queued again at once and
    /// the claim's attempt not counted. Leaves no audit entry: nothing happened.
    Unsent,
}

/// Why a delivery attempt failed. Its text is kept as the delivery's last
/// error; the audit trail keeps only the HTTP status and the text's digest (the
/// text may quote the receiver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The receiver answered with a status that is not a success.
    Http { status: u16, reason: String },
    /// No answer to judge by: a timeout, a refused connection, a message that
    /// cannot be encoded for the destination, a file that cannot be written.
    Other(String),
}

impl Failure {
    pub fn http(status: u16, reason: impl Into<String>) -> Failure {
        Failure::Http {
            status,
            reason: reason.into(),
        }
    }

    /// The receiver's HTTP status, when it answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Failure::Http { status, .. } => Some(*status),
            Failure::Other(_) => None,
        }
    }
}

/// `HTTP 503: reason` for an answer, the reason alone otherwise.
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Http { status, reason } => write!(f, "HTTP {status}: {reason}"),
            Failure::Other(reason) => f.write_str(reason),
        }
    }
}

impl From<String> for Failure {
    fn from(reason: String) -> Failure {
        Failure::Other(reason)
    }
}

impl From<&str> for Failure {
    fn from(reason: &str) -> Failure {
        Failure::Other(reason.to_string())
    }
}

/// What happens after a failed attempt; the forwarder's retry policy decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// `retry_wait`, claimable again after this delay.
    RetryAfter(Duration),
    /// `dead`: no more attempts until an operator replays it.
    Dead,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    pub destination: String,
    pub state: DeliveryState,
    pub count: u64,
}

/// The state and next due time after a failed attempt.
pub(crate) fn after_failure(now: Millis, next: NextStep) -> (DeliveryState, Option<Millis>) {
    match next {
        NextStep::RetryAfter(delay) => (
            DeliveryState::RetryWait,
            Some(now.saturating_add(millis(delay))),
        ),
        NextStep::Dead => (DeliveryState::Dead, None),
    }
}

pub(crate) fn queue_depths(
    rows: Vec<(String, String, i64)>,
) -> Result<Vec<QueueDepth>, StoreError> {
    rows.into_iter()
        .map(|(destination, state, count)| {
            Ok(QueueDepth {
                destination,
                state: parse_stored(&state, "delivery state")?,
                count: u64::try_from(count).unwrap_or(0),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text kept as the delivery's last error is the one operators saw
    /// before failures were typed.
    #[test]
    fn a_failure_reads_as_its_status_and_reason() {
        let answered = Failure::http(503, "busy");
        assert_eq!(answered.to_string(), "HTTP 503: busy");
        assert_eq!(answered.http_status(), Some(503));
        let silent = Failure::from("timed out");
        assert_eq!(silent.to_string(), "timed out");
        assert_eq!(silent.http_status(), None);
        // A text that looks like an answer is not taken for one.
        assert_eq!(Failure::from("HTTP 400: x").http_status(), None);
    }
}
