//! Traces as the store keeps them: the current state of each trace request and
//! the checked move to the next one.

use serde::Serialize;
use uuid::Uuid;

use super::rows::TraceRow;
use super::{StoreError, TraceState};
use crate::time::Millis;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub trace_id: String,
    /// The trace request that started it.
    pub request_message_id: Uuid,
    pub requesting_country: String,
    pub requested_country: String,
    pub state: TraceState,
    /// The end of the request's due date (UTC), if it had one.
    pub due_at: Option<Millis>,
    pub submitted_at: Millis,
    pub delivered_at: Option<Millis>,
    pub acknowledged_at: Option<Millis>,
    /// When it reached a final state.
    pub closed_at: Option<Millis>,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub from: TraceState,
    pub to: TraceState,
    /// `false` when the trace was already in `to`.
    pub changed: bool,
}

/// The trace's current state if it may move to `to` (or is already there).
pub(crate) fn check_transition(
    trace_id: &str,
    row: Option<TraceRow>,
    to: TraceState,
) -> Result<TraceState, StoreError> {
    let from = row
        .ok_or_else(|| StoreError::NotFound {
            what: "trace",
            id: trace_id.to_string(),
        })?
        .into_trace()?
        .state;
    if from == to || from.can_move_to(to) {
        Ok(from)
    } else {
        Err(StoreError::TraceTransition {
            trace_id: trace_id.to_string(),
            from,
            to,
        })
    }
}

/// The timestamps a transition to `to` sets (`None` leaves a column as it is).
pub(crate) struct TransitionStamps {
    pub(crate) now: Millis,
    pub(crate) delivered_at: Option<Millis>,
    pub(crate) acknowledged_at: Option<Millis>,
    pub(crate) closed_at: Option<Millis>,
}

impl TransitionStamps {
    pub(crate) fn new(now: Millis, to: TraceState) -> TransitionStamps {
        TransitionStamps {
            now,
            delivered_at: (to == TraceState::Delivered).then_some(now),
            acknowledged_at: (to == TraceState::Acknowledged).then_some(now),
            closed_at: to.is_terminal().then_some(now),
        }
    }
}
