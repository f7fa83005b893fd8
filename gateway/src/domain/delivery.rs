//! Where one message stands on its way to one destination.
//!
//! `queued -> delivering -> delivered`, or from `delivering` to `retry_wait`
//! (claimable again when its time comes) or `dead` (until an operator replays it).
//! A later delivery of the same record to the same destination as a dead one is
//! `blocked` (it may not overtake it) until the dead one is replayed or retried.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::state::UnknownState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Queued,
    Delivering,
    RetryWait,
    Delivered,
    Dead,
    /// Behind a dead delivery of the same record and destination.
    Blocked,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 6] = [
        DeliveryState::Queued,
        DeliveryState::Delivering,
        DeliveryState::RetryWait,
        DeliveryState::Delivered,
        DeliveryState::Dead,
        DeliveryState::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Delivering => "delivering",
            DeliveryState::RetryWait => "retry_wait",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
            DeliveryState::Blocked => "blocked",
        }
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DeliveryState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<DeliveryState, UnknownState> {
        DeliveryState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState::new("delivery state", s))
    }
}

/// How a destination answers, as its worker sees it: `healthy` (deliveries go
/// out as they come), `failing` (nothing got through: one backoff for the
/// whole destination, no claims until it ends), `probing` (one small round to
/// see whether it answers again; success makes its waiting deliveries due at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationHealth {
    Healthy,
    Failing,
    Probing,
}

impl DestinationHealth {
    pub const ALL: [DestinationHealth; 3] = [
        DestinationHealth::Healthy,
        DestinationHealth::Failing,
        DestinationHealth::Probing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DestinationHealth::Healthy => "healthy",
            DestinationHealth::Failing => "failing",
            DestinationHealth::Probing => "probing",
        }
    }
}

impl fmt::Display for DestinationHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
