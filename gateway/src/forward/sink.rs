//! What every destination kind implements: send a round of claimed deliveries
//! and say, per delivery, how its attempt ended.

use async_trait::async_trait;

use crate::store::{ClaimedDelivery, Failure, Receipt};

/// How one delivery's attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered(Receipt),
    /// Worth another attempt later (no answer, 408, 429, 5xx).
    Retry(Failure),
    /// Refused for good (any other 4xx, a message the format cannot carry).
    Permanent(Failure),
    /// Never sent: queued again without counting an attempt.
    Unsent,
}

impl Attempt {
    /// Whether the destination took or judged the message: it answered about
    /// this message itself, so the destination is up whatever it said.
    pub fn reached(&self) -> bool {
        matches!(self, Attempt::Delivered(_) | Attempt::Permanent(_))
    }
}

/// One kind of destination: the hub, a country gateway, a partner's HTTP
/// endpoint, a partner's outbox folder.
#[async_trait]
pub trait Sink: Send + Sync {
    /// Whether a round goes as batched requests (`{"messages": [...]}`, one per
    /// route) rather than one request per delivery: a batched round is bounded by
    /// one request's timeout, the others by one per `concurrency` deliveries.
    fn batched(&self) -> bool;

    /// Sends `round` and returns one attempt per delivery, in the same order.
    async fn send(&self, client: &reqwest::Client, round: &[ClaimedDelivery]) -> Vec<Attempt>;
}
