//! The audit trail over HTTP, for operators (`GET /v1/audit`); the trail
//! itself is [`crate::audit`]'s.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::http::auth::Operator;
use crate::http::error::ApiError;
use crate::http::openapi::ErrorBody;
use crate::http::query::{bad_query, QueryParams};
use crate::shared::Shared;
use crate::store::MAX_PAGE;

#[derive(Debug, Deserialize)]
pub(super) struct AuditQuery {
    after: Option<i64>,
    limit: Option<u32>,
    subject: Option<String>,
}

/// Entries of the audit trail, oldest first (operator); see `docs/gateway.md`.
#[utoipa::path(get, path = "/v1/audit",
    params(
        ("after" = Option<i64>, Query, description = "entries after this seq (default: the most recent ones)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "at most this many (default 100, at most 1000)"),
        ("subject" = Option<String>, Query, description = "only the most recent entries about this message id"),
    ),
    responses(
        (status = 200, description = "`{\"entries\": [{seq, at, actor, action, subject, kind, partner, details, prev_hash, hash}]}`", body = Object),
        (status = 400, description = "`bad_query`", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn audit_entries(
    State(shared): State<Arc<Shared>>,
    _operator: Operator,
    QueryParams(q): QueryParams<AuditQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(
            bad_query(format!("limit must be 1 to {MAX_PAGE}, not {limit}"))
                .at(json!({ "parameter": "limit" })),
        );
    }
    let entries = match (&q.subject, q.after) {
        (Some(subject), _) => shared.store.audit_of_subject(subject, limit).await?,
        (None, Some(after)) => shared.store.audit_entries(after, limit).await?,
        (None, None) => crate::audit::tail(shared.store.as_ref(), limit).await?,
    };
    Ok(Json(json!({ "entries": entries })).into_response())
}
