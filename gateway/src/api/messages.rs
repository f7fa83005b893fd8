//! The operators' routes over stored messages: one message with its deliveries
//! and receipts, pages of messages, replay and retry of dead deliveries (a
//! partner sees its own messages only).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use iarms_adapters::MessageKind;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::domain::principal::Principal;
use crate::http::auth::{Caller, Operator};
use crate::http::error::{forbidden, ApiError};
use crate::http::openapi::ErrorBody;
use crate::http::query::QueryParams;
use crate::shared::Shared;
use crate::store::{DeliveryState, MessageFilter, StoreError, MAX_PAGE};

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_message_id",
            format!("`{id}` is not a message id (UUID)"),
        )
    })
}

/// The message with its deliveries and receipts (operator, or the partner that sent it).
#[utoipa::path(get, path = "/v1/messages/{id}",
    params(("id" = String, Path, format = Uuid, description = "the message id")),
    responses(
        (status = 200, description = "the message with its deliveries and receipts", body = Object),
        (status = 400, description = "`bad_message_id`", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn show_message(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Caller(principal): Caller,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let view = shared.store.get_message(id).await?;
    let visible = match (&view, &principal) {
        (Some(_), Principal::Operator) => true,
        (Some(v), Principal::Partner(p)) => v.message.source_partner == *p,
        _ => false,
    };
    match view {
        Some(view) if visible => Ok(Json(view).into_response()),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no message {id}"),
        )),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    state: Option<String>,
    kind: Option<String>,
    partner: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Messages, newest first (an operator sees all, a partner its own).
#[utoipa::path(get, path = "/v1/messages",
    params(
        ("state" = Option<String>, Query, description = "a delivery state: queued, delivering, retry_wait, delivered, dead, or blocked (waiting behind a dead delivery of the same record; its last_error names it)"),
        ("kind" = Option<String>, Query, description = "a message kind tag"),
        ("partner" = Option<String>, Query, description = "the sending partner (operators only)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "page size (default 100, at most 1000)"),
        ("cursor" = Option<String>, Query, description = "`next` of the previous page"),
    ),
    responses(
        (status = 200, description = "a page: `items`, `truncated` (true when more messages match) and `next`, the cursor of the next page", body = Object),
        (status = 400, description = "`bad_query`", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn list_messages(
    State(shared): State<Arc<Shared>>,
    Caller(principal): Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Response, ApiError> {
    let bad = |what: &str, message: String| {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_query", message)
            .at(json!({ "parameter": what }))
    };
    let state = match &q.state {
        Some(s) => Some(
            s.parse::<DeliveryState>()
                .map_err(|e| bad("state", e.to_string()))?,
        ),
        None => None,
    };
    let kind = match &q.kind {
        Some(k) => Some(
            MessageKind::from_tag(k).ok_or_else(|| bad("kind", format!("unknown kind `{k}`")))?,
        ),
        None => None,
    };
    let partner = match principal {
        Principal::Operator => q.partner.clone(),
        Principal::Partner(p) => Some(p),
        Principal::Hub | Principal::Gateway(_) => {
            return Err(forbidden("the hub may not list messages"))
        }
    };
    let cursor = match &q.cursor {
        Some(c) => Some(
            c.parse()
                .map_err(|e: StoreError| bad("cursor", e.to_string()))?,
        ),
        None => None,
    };
    let filter = MessageFilter {
        state,
        kind,
        partner,
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(bad(
            "limit",
            format!("limit must be 1 to {MAX_PAGE}, not {limit}"),
        ));
    }
    let page = shared.store.list_messages(&filter, limit, cursor).await?;
    Ok(Json(page).into_response())
}

/// Queues every delivery of the message again (operator).
#[utoipa::path(post, path = "/v1/messages/{id}/replay",
    params(("id" = String, Path, format = Uuid, description = "the message id")),
    responses(
        (status = 200, description = "`{\"message_id\", \"queued\"}`", body = Object),
        (status = 400, description = "`bad_message_id`", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn replay(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    _operator: Operator,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let queued = shared.store.replay(id, crate::audit::OPERATOR).await?;
    tracing::info!(message_id = %id, queued, "replayed");
    Ok(Json(json!({"message_id": id, "queued": queued})).into_response())
}

#[derive(Debug, Deserialize)]
pub(super) struct RetryDeadQuery {
    destination: Option<String>,
}

/// Queues dead deliveries again (operator).
#[utoipa::path(post, path = "/v1/deliveries/retry-dead",
    params(("destination" = Option<String>, Query, description = "only deliveries to this destination")),
    responses(
        (status = 200, description = "`{\"queued\": n}`", body = Object),
        (status = 400, description = "`bad_query`", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn retry_dead(
    State(shared): State<Arc<Shared>>,
    _operator: Operator,
    QueryParams(q): QueryParams<RetryDeadQuery>,
) -> Result<Response, ApiError> {
    let queued = shared
        .store
        .retry_dead(q.destination.as_deref(), crate::audit::OPERATOR)
        .await?;
    tracing::info!(queued, "dead deliveries queued again");
    Ok(Json(json!({"queued": queued})).into_response())
}
