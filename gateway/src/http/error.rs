//! The one error shape of every reply, at the gateway and at the hub:
//! `{"error": {"code": "...", "message": "...", "location": {...}}}` with a
//! stable code (see `docs/gateway.md`).

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::store::StoreError;

/// A JSON error reply.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub location: Option<Value>,
    /// Seconds, sent as `Retry-After` (rate limits); `u16` keeps the error
    /// small (clippy's `result_large_err`) and is ample for a rate limit.
    pub retry_after: Option<u16>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            location: None,
            retry_after: None,
        }
    }

    /// Where the fault is: JSON `line`/`column`, a query `parameter`, a JSON `pointer`.
    pub fn at(mut self, location: Value) -> ApiError {
        self.location = Some(location);
        self
    }
}

/// 403 `forbidden`.
pub fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let (Some(location), Some(error)) = (self.location, error.as_object_mut()) {
            error.insert("location".to_string(), location);
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            e @ StoreError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            e @ StoreError::Invalid(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", e.to_string())
            }
            e @ StoreError::MessageIdConflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, "message_id_conflict", e.to_string())
            }
            e @ StoreError::TraceTransition { .. } => {
                ApiError::new(StatusCode::CONFLICT, "trace_transition", e.to_string())
            }
            e => {
                tracing::error!(error = %e, "store error");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the store is unavailable; retry later",
                )
            }
        }
    }
}

/// The reply to a path no route takes.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", uri.path()),
    )
}
