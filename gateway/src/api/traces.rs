//! The gateway's trace routes: a trace's state for the parties to it, and the
//! acknowledgement and cancellation its partners (or an operator) send; the
//! trace job tells the hub ([`crate::traces`]).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::domain::principal::Principal;
use crate::http::auth::Caller;
use crate::http::error::{forbidden, ApiError};
use crate::http::openapi::ErrorBody;
use crate::shared::Shared;
use crate::store::Trace;
use crate::traces::{party_of, TraceAction, TraceActionError};

/// The state of a trace request (operators, and the partners party to it).
#[utoipa::path(get, path = "/v1/traces/{id}",
    params(("id" = String, Path, description = "the trace id")),
    responses(
        (status = 200, description = "the trace's lifecycle state and times", body = Object),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn show_trace(
    State(shared): State<Arc<Shared>>,
    Path(trace_id): Path<String>,
    Caller(principal): Caller,
) -> Result<Response, ApiError> {
    let trace = visible_trace(&shared, &principal, &trace_id).await?;
    Ok(Json(trace).into_response())
}

/// The trace, for operators and the partners party to it; anyone else gets
/// 404, so that trace ids do not leak.
async fn visible_trace(
    shared: &Shared,
    principal: &Principal,
    trace_id: &str,
) -> Result<Trace, ApiError> {
    let trace = shared.store.get_trace(trace_id).await?;
    let visible = match (&trace, principal) {
        (Some(_), Principal::Operator) => true,
        (Some(t), Principal::Partner(p)) => party_to_trace(shared, t, p).await?,
        _ => false,
    };
    match trace {
        Some(trace) if visible => Ok(trace),
        _ => Err(no_trace(trace_id)),
    }
}

/// A partner is party to a trace when it submitted the trace request or the
/// request was delivered to it (it is the one that answers).
async fn party_to_trace(shared: &Shared, trace: &Trace, partner: &str) -> Result<bool, ApiError> {
    Ok(party_of(shared, trace, partner).await?.is_some())
}

/// The 404 of a trace the caller may not see: the same whether the trace is
/// unknown or another party's, so that trace ids do not leak.
pub(super) fn no_trace(trace_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no trace `{trace_id}`"),
    )
}

/// Only a party to a trace posts responses to it; any other partner gets the
/// 404 of an unknown trace.
pub(super) async fn may_answer(
    shared: &Shared,
    partner: &str,
    trace_id: &str,
) -> Result<(), ApiError> {
    let Some(trace) = shared.store.get_trace(trace_id).await? else {
        return Err(no_trace(trace_id));
    };
    match party_of(shared, &trace, partner).await? {
        Some(_) => Ok(()),
        None => Err(no_trace(trace_id)),
    }
}

/// The partner (or an operator) of the requested country acknowledges a trace
/// request: its registry has it. A partner reached over HTTP acknowledges by its
/// 2xx reply; this route is for partners fed through an outbox folder.
#[utoipa::path(post, path = "/v1/traces/{id}/acknowledge",
    params(("id" = String, Path, description = "the trace id")),
    responses(
        (status = 200, description = "the transition `{from, to, changed}`; the hub is told", body = Object),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "`forbidden`: the hub's key, or a trace this country did not receive", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`trace_transition`: the trace is already answered, declined, expired or cancelled", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn acknowledge_trace(
    State(shared): State<Arc<Shared>>,
    Path(trace_id): Path<String>,
    caller: Caller,
) -> Result<Response, ApiError> {
    act_on_trace(&shared, &trace_id, caller, TraceAction::Acknowledge).await
}

/// The requesting partner (or an operator) cancels its trace request; the hub is told.
#[utoipa::path(post, path = "/v1/traces/{id}/cancel",
    params(("id" = String, Path, description = "the trace id")),
    responses(
        (status = 200, description = "the transition `{from, to, changed}`; the hub is told", body = Object),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "`forbidden`: the hub's key, or a trace this country did not ask", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`trace_transition`: the trace is already closed", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn cancel_trace(
    State(shared): State<Arc<Shared>>,
    Path(trace_id): Path<String>,
    caller: Caller,
) -> Result<Response, ApiError> {
    act_on_trace(&shared, &trace_id, caller, TraceAction::Cancel).await
}

/// An operator or a partner party to the trace acts on it (the hub acts at its own API).
async fn act_on_trace(
    shared: &Shared,
    trace_id: &str,
    Caller(principal): Caller,
    action: TraceAction,
) -> Result<Response, ApiError> {
    if !matches!(principal, Principal::Operator | Principal::Partner(_)) {
        return Err(forbidden("only partners and operators act on traces here"));
    }
    visible_trace(shared, &principal, trace_id).await?;
    let transition = crate::traces::act(shared, trace_id, action).await?;
    Ok(Json(transition).into_response())
}

impl From<TraceActionError> for ApiError {
    fn from(e: TraceActionError) -> ApiError {
        match e {
            e @ TraceActionError::Unknown(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            e @ TraceActionError::NotParty { .. } => forbidden(e.to_string()),
            TraceActionError::Store(e) => e.into(),
        }
    }
}
