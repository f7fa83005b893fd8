//! The business state of a trace request and the rule of its lifecycle.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::state::UnknownState;

/// The business state of a trace request.
///
/// `submitted -> delivered -> acknowledged -> answered | declined | expired | cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceState {
    Submitted,
    Delivered,
    Acknowledged,
    Answered,
    Declined,
    Expired,
    Cancelled,
}

impl TraceState {
    pub const ALL: [TraceState; 7] = [
        TraceState::Submitted,
        TraceState::Delivered,
        TraceState::Acknowledged,
        TraceState::Answered,
        TraceState::Declined,
        TraceState::Expired,
        TraceState::Cancelled,
    ];

    /// The states a trace may still leave.
    pub const OPEN: [TraceState; 3] = [
        TraceState::Submitted,
        TraceState::Delivered,
        TraceState::Acknowledged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TraceState::Submitted => "submitted",
            TraceState::Delivered => "delivered",
            TraceState::Acknowledged => "acknowledged",
            TraceState::Answered => "answered",
            TraceState::Declined => "declined",
            TraceState::Expired => "expired",
            TraceState::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        !TraceState::OPEN.contains(&self)
    }

    fn rank(self) -> u8 {
        match self {
            TraceState::Submitted => 0,
            TraceState::Delivered => 1,
            TraceState::Acknowledged => 2,
            _ => 3,
        }
    }

    /// Forward only: an open state may move to any later open state (a step can be
    /// skipped, e.g. an answer may arrive before the acknowledgement is recorded) or
    /// to any final state; final states never change.
    pub fn can_move_to(self, to: TraceState) -> bool {
        !self.is_terminal() && to.rank() > self.rank()
    }
}

impl fmt::Display for TraceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TraceState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<TraceState, UnknownState> {
        TraceState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState::new("trace state", s))
    }
}
