//! Where the hub sends what, as destinations of the store's deliveries.
//!
//! A destination is `gateway:XX`: the gateway of country `XX` (ISO 3166-1 alpha-2,
//! upper case). The delivery layer maps it to that gateway's URL.
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

use iarms_adapters::model::{TraceOutcome, TraceRequest, TraceResponse};

use super::HubError;
use crate::store::{Store, Trace, TraceState};

/// The prefix of a country gateway's destination.
pub const GATEWAY_PREFIX: &str = "gateway:";

/// `gateway:XX` for country `XX` (upper-cased).
pub fn gateway_destination(country: &str) -> String {
    format!("{GATEWAY_PREFIX}{}", country.trim().to_ascii_uppercase())
}

/// The country of a `gateway:XX` destination.
pub fn destination_country(destination: &str) -> Option<&str> {
    destination
        .strip_prefix(GATEWAY_PREFIX)
        .filter(|c| !c.is_empty())
}

/// Whether two country codes name the same country (codes are canonical
/// alpha-2; case is forgiven).
pub fn same_country(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// A trace request goes to the requested country's gateway.
pub fn trace_request_destination(request: &TraceRequest) -> String {
    gateway_destination(&request.requested_country)
}

/// The state a response moves its trace to: `declined` for a declined outcome,
/// `answered` for any other.
pub fn state_after_response(outcome: TraceOutcome) -> TraceState {
    match outcome {
        TraceOutcome::Declined => TraceState::Declined,
        TraceOutcome::Traced | TraceOutcome::PartiallyTraced | TraceOutcome::NotFound => {
            TraceState::Answered
        }
    }
}

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

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(gateway_destination("rs"), "gateway:RS");
        assert_eq!(destination_country("gateway:BR"), Some("BR"));
        assert_eq!(destination_country("gateway:"), None);
        assert_eq!(destination_country("partner:x"), None);
        assert!(same_country("rs", "RS "));
    }

    #[test]
    fn outcome_to_state() {
        assert_eq!(
            state_after_response(TraceOutcome::Declined),
            TraceState::Declined
        );
        for outcome in [
            TraceOutcome::Traced,
            TraceOutcome::PartiallyTraced,
            TraceOutcome::NotFound,
        ] {
            assert_eq!(state_after_response(outcome), TraceState::Answered);
        }
    }
}
