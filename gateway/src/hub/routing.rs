//! Where the hub sends what, as destinations of the store's deliveries
//! (`gateway:XX`, named by [`crate::domain::routing`]):
//! - a trace request goes to the gateway of its `requested_country`;
//! - a trace response goes back to the gateway of the trace's requesting country,
//!   looked up from the trace table (never from the response itself), and only
//!   from the country that was asked;
//! - a hit notification goes to the searching country and to the record's owner
//!   country ([`super::matching::hit_notifications`] makes one message for each).
//!
//! Trace states move through [`Store::transition`]: `submitted` when the request
//! is accepted (by the store), `delivered` when its delivery to the requested
//! gateway succeeds, `acknowledged` when the requested country says so, `answered`
//! or `declined` (a `declined` outcome) on a response, `cancelled` by the
//! requester, `expired` by [`Store::expire_due`].

use iarms_adapters::model::TraceResponse;

use super::HubError;
use crate::domain::routing::{gateway_destination, same_country};
use crate::store::{Store, Trace, TraceState};
use crate::traces::state_after_response;

/// A trace response, checked against its trace: where it goes and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRoute {
    pub trace: Trace,
    /// The requesting country's gateway.
    pub destination: String,
    /// The state the trace moves to.
    pub next_state: TraceState,
}

/// Routes a response sent by `from_country`: the trace must exist, have been
/// addressed to `from_country` (who must also be the response's
/// `responding_country`), and still be open (or already in the state this response
/// leads to, for a resend).
pub async fn route_trace_response(
    store: &dyn Store,
    from_country: &str,
    response: &TraceResponse,
) -> Result<ResponseRoute, HubError> {
    let trace =
        store
            .get_trace(&response.trace_id)
            .await?
            .ok_or_else(|| HubError::UnknownTrace {
                trace_id: response.trace_id.clone(),
            })?;
    // A third country gets what an unknown trace gets: nothing of the trace leaks.
    if !same_country(&trace.requested_country, from_country)
        && !same_country(&trace.requesting_country, from_country)
    {
        return Err(HubError::UnknownTrace {
            trace_id: response.trace_id.clone(),
        });
    }
    if !same_country(&trace.requested_country, from_country)
        || !same_country(&response.responding_country, from_country)
    {
        return Err(HubError::NotAsked {
            trace_id: trace.trace_id,
            country: from_country.to_string(),
            requested_country: trace.requested_country,
        });
    }
    let next_state = state_after_response(response.outcome);
    if trace.state != next_state && !trace.state.can_move_to(next_state) {
        return Err(HubError::TraceClosed {
            trace_id: trace.trace_id,
            state: trace.state,
        });
    }
    Ok(ResponseRoute {
        destination: gateway_destination(&trace.requesting_country),
        next_state,
        trace,
    })
}
