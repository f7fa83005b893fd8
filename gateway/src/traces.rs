//! The gateway's side of the trace lifecycle (`submitted -> delivered ->
//! acknowledged -> answered | declined | expired | cancelled`), in both directions.
//!
//! The gateway keeps its own copy of every trace it takes part in (the store
//! starts one when a trace request is accepted, from a partner or from the hub)
//! and moves it as the messages go by:
//! - a request it forwarded to the hub, or passed on to a partner, is `delivered`;
//! - a request passed on to a partner over HTTP is `acknowledged` by the
//!   partner's 2xx reply (its system has it); a partner fed through an outbox
//!   folder acknowledges with `POST /v1/traces/{id}/acknowledge`;
//! - a response, sent by a partner or arriving from the hub, makes it `answered`
//!   or `declined`;
//! - the requesting partner may cancel it; the expiry job expires it at its due date.
//!
//! The hub must hear of this country's acknowledgements and cancellations: the
//! trace job tells it (`POST /v1/traces/{id}/acknowledge | cancel`) and records
//! what the hub was told in the store, so a hub outage delays the news and a
//! restart repeats it; it is never lost.

use std::sync::Arc;

use iarms_adapters::model::TraceOutcome;
use iarms_adapters::{Message, MessageKind};
use tokio::sync::watch;
use tokio::task::JoinHandle;

// Trace ids are investigation references: logs carry their digest, as the audit does.
use crate::audit::digest;
use crate::config::Outbound;
use crate::domain::routing::HUB;
use crate::shared::Shared;
use crate::store::{ClaimedDelivery, StoreError, Trace, TraceState};

/// How many traces one round of the job tells the hub about.
const TELL_BATCH: u32 = 100;

/// The state a response moves its trace to: `declined` for a declined outcome,
/// `answered` for any other. The same rule holds at the gateway and at the hub.
pub fn state_after_response(outcome: TraceOutcome) -> TraceState {
    match outcome {
        TraceOutcome::Declined => TraceState::Declined,
        TraceOutcome::Traced | TraceOutcome::PartiallyTraced | TraceOutcome::NotFound => {
            TraceState::Answered
        }
    }
}

/// After a message was accepted (new or a duplicate, so that a crash between
/// accepting and moving heals on the resend): a trace response closes its trace.
pub async fn accepted(shared: &Shared, message: &Message) {
    let Message::TraceResponse(response) = message else {
        return;
    };
    move_trace(
        shared,
        &response.trace_id,
        state_after_response(response.outcome),
    )
    .await;
}

/// After a delivery succeeded: a trace request that reached the hub or a partner
/// is `delivered`; one that reached a partner's HTTP endpoint is also acknowledged.
pub async fn delivered(shared: &Shared, claimed: &ClaimedDelivery, destination: &str) {
    let (MessageKind::TraceRequest, Some(trace_id)) = (claimed.kind, claimed.trace_id.as_deref())
    else {
        return;
    };
    move_trace(shared, trace_id, TraceState::Delivered).await;
    if destination == HUB {
        return;
    }
    let over_http = shared
        .config
        .partner(destination)
        .is_some_and(|p| matches!(p.outbound, Some(Outbound::Url(_))));
    if over_http {
        move_trace(shared, trace_id, TraceState::Acknowledged).await;
    }
}

/// Moves a trace forward when the lifecycle allows it; a trace this gateway does
/// not hold, or one already further along, is left as it is.
async fn move_trace(shared: &Shared, trace_id: &str, to: TraceState) {
    match shared.store.transition(trace_id, to).await {
        Ok(t) if t.changed => {
            tracing::info!(trace_id_sha256 = %digest(trace_id), from = %t.from, to = %t.to, "trace moved")
        }
        Ok(_) | Err(StoreError::NotFound { .. }) | Err(StoreError::TraceTransition { .. }) => {}
        Err(e) => {
            tracing::warn!(trace_id_sha256 = %digest(trace_id), error = %e, "cannot move the trace")
        }
    }
}

/// How a partner of this gateway takes part in a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// It sent the trace request.
    Requester,
    /// The request was passed on to it: it is the one that answers.
    Answerer,
}

/// How `partner` takes part in `trace`, if it does: every other partner must
/// learn nothing of the trace, not even that it exists.
pub async fn party_of(
    shared: &Shared,
    trace: &Trace,
    partner: &str,
) -> Result<Option<Party>, StoreError> {
    let Some(view) = shared.store.get_message(trace.request_message_id).await? else {
        return Ok(None);
    };
    Ok(if view.message.source_partner == partner {
        Some(Party::Requester)
    } else if view.deliveries.iter().any(|d| d.destination == partner) {
        Some(Party::Answerer)
    } else {
        None
    })
}

/// Why a partner may not move a trace.
#[derive(Debug, thiserror::Error)]
pub enum TraceActionError {
    #[error("no trace `{0}`")]
    Unknown(String),
    #[error("trace `{trace_id}` was not {role} {country}")]
    NotParty {
        trace_id: String,
        role: &'static str,
        country: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a partner (or operator) of this country may do to a trace: the requested
/// country acknowledges, the requesting country cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceAction {
    Acknowledge,
    Cancel,
}

/// Moves trace `trace_id` as `action` says, when this country is the party that may.
pub async fn act(
    shared: &Shared,
    trace_id: &str,
    action: TraceAction,
) -> Result<crate::store::Transition, TraceActionError> {
    let trace = match action {
        TraceAction::Acknowledge => {
            party_trace(shared, trace_id, |t| &t.requested_country, "sent to").await?
        }
        TraceAction::Cancel => {
            party_trace(shared, trace_id, |t| &t.requesting_country, "asked by").await?
        }
    };
    let to = match action {
        TraceAction::Acknowledge => TraceState::Acknowledged,
        TraceAction::Cancel => TraceState::Cancelled,
    };
    Ok(shared.store.transition(&trace.trace_id, to).await?)
}

async fn party_trace(
    shared: &Shared,
    trace_id: &str,
    country_of: fn(&Trace) -> &String,
    role: &'static str,
) -> Result<Trace, TraceActionError> {
    let trace = shared
        .store
        .get_trace(trace_id)
        .await?
        .ok_or_else(|| TraceActionError::Unknown(trace_id.to_string()))?;
    if !country_of(&trace).eq_ignore_ascii_case(&shared.config.country) {
        return Err(TraceActionError::NotParty {
            trace_id: trace_id.to_string(),
            role,
            country: shared.config.country.clone(),
        });
    }
    Ok(trace)
}

/// The trace job: every `forward.poll_interval`, expires traces past their due
/// date and tells the hub of acknowledgements and cancellations not yet told.
pub fn spawn(
    shared: Arc<Shared>,
    client: reqwest::Client,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let every = shared.config.forward.poll_interval;
        while !*stop.borrow() {
            match shared.store.expire_due().await {
                Ok(expired) if !expired.is_empty() => {
                    tracing::info!(count = expired.len(), "traces expired")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the expiry job failed"),
            }
            tell_hub(&shared, &client).await;
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
        }
    })
}

/// One round of telling the hub; what fails is tried again next round.
async fn tell_hub(shared: &Shared, client: &reqwest::Client) {
    let traces = match shared
        .store
        .traces_to_tell(&shared.config.country, TELL_BATCH)
        .await
    {
        Ok(traces) => traces,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the traces to tell the hub");
            return;
        }
    };
    for trace in traces {
        let action = match trace.state {
            TraceState::Acknowledged => "acknowledge",
            TraceState::Cancelled => "cancel",
            _ => continue,
        };
        let url = format!(
            "{}/v1/traces/{}/{action}",
            shared.config.hub.url, trace.trace_id
        );
        let mut request = client.post(&url);
        if let Some(signer) = &shared.config.audit.signing_key {
            let mut headers = reqwest::header::HeaderMap::new();
            crate::signature::sign_outbound(&url, &mut headers, b"", signer);
            request = request.headers(headers);
        }
        if let Some(key) = &shared.config.hub.api_key {
            request = request.bearer_auth(key.expose());
        }
        let told = match request.send().await {
            // 409: the hub's trace is already further along (answered, expired):
            // nothing left to tell.
            Ok(r) if r.status().is_success() || r.status().as_u16() == 409 => true,
            Ok(r) => {
                tracing::warn!(trace_id_sha256 = %digest(&trace.trace_id), status = r.status().as_u16(), action, "the hub refused the trace news; retrying later");
                false
            }
            Err(e) => {
                // The URL names the trace: left out of the log.
                let e = e.without_url();
                tracing::warn!(trace_id_sha256 = %digest(&trace.trace_id), error = %e, action, "cannot reach the hub; retrying later");
                false
            }
        };
        if told {
            if let Err(e) = shared.store.told_hub(&trace.trace_id, trace.state).await {
                tracing::warn!(trace_id_sha256 = %digest(&trace.trace_id), error = %e, "cannot record what the hub was told");
            } else {
                tracing::info!(trace_id_sha256 = %digest(&trace.trace_id), state = %trace.state, "hub told");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
