//! The routes of the trace lifecycle at the hub: a trace's state for its two
//! countries, the requested country's acknowledgement, the requester's cancel.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::hub_error;
use super::signed::Signed;
use crate::domain::routing::same_country;
use crate::http::auth::GatewayCountry;
use crate::http::error::ApiError;
use crate::http::openapi::ErrorBody;
use crate::hub::state::HubState;
use crate::hub::HubError;

/// A trace's state, for its requesting and requested countries only (anyone
/// else gets 404, so that trace ids do not leak).
#[utoipa::path(get, path = "/v1/traces/{id}",
    params(("id" = String, Path, description = "the trace id")),
    responses(
        (status = 200, description = "the trace's lifecycle state and times", body = Object),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a gateway key", body = ErrorBody),
        (status = 404, description = "`unknown_trace` (also for traces of other countries)", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn show_trace(
    State(state): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    GatewayCountry(country): GatewayCountry,
) -> Result<Response, ApiError> {
    let trace = state
        .hub
        .store()
        .get_trace(&trace_id)
        .await
        .map_err(|e| hub_error(e.into()))?;
    match trace {
        Some(t)
            if same_country(&t.requesting_country, &country)
                || same_country(&t.requested_country, &country) =>
        {
            Ok(Json(t).into_response())
        }
        _ => Err(hub_error(HubError::UnknownTrace { trace_id })),
    }
}

/// The requested country acknowledges the trace request.
#[utoipa::path(post, path = "/v1/traces/{id}/acknowledge",
    params(("id" = String, Path, description = "the trace id")),
    responses(
        (status = 200, description = "the transition `{from, to, changed}`", body = Object),
        (status = 401, description = "`unauthenticated`; `bad_signature`: no valid HTTP message signature of a gateway whose `public_key` the hub knows", body = ErrorBody),
        (status = 403, description = "`not_asked`: the requesting country acknowledging its own trace", body = ErrorBody),
        (status = 404, description = "`unknown_trace` (also for traces of other countries: the same answer)", body = ErrorBody),
        (status = 409, description = "`trace_transition`: already answered, declined, expired or cancelled", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn acknowledge(
    State(state): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    Signed { country, .. }: Signed,
) -> Result<Response, ApiError> {
    let transition = state
        .hub
        .acknowledge(&country, &trace_id)
        .await
        .map_err(hub_error)?;
    Ok(Json(transition).into_response())
}

/// The requesting country cancels its trace request.
#[utoipa::path(post, path = "/v1/traces/{id}/cancel",
    params(("id" = String, Path, description = "the trace id")),
    responses(
        (status = 200, description = "the transition `{from, to, changed}`", body = Object),
        (status = 401, description = "`unauthenticated`; `bad_signature`: no valid HTTP message signature of a gateway whose `public_key` the hub knows", body = ErrorBody),
        (status = 403, description = "`forbidden`: the requested country cancelling (only the requesting country cancels)", body = ErrorBody),
        (status = 404, description = "`unknown_trace` (also for traces of other countries: the same answer)", body = ErrorBody),
        (status = 409, description = "`trace_transition`: already closed", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn cancel(
    State(state): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    Signed { country, .. }: Signed,
) -> Result<Response, ApiError> {
    let transition = state
        .hub
        .cancel(&country, &trace_id)
        .await
        .map_err(hub_error)?;
    Ok(Json(transition).into_response())
}
