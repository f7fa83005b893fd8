//! The limits both the gateway and the hub put on a request, as tower layers:
//! body size and time to answer, with their refusals in the JSON error shape,
//! naming the limit and where it is configured.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use super::error::ApiError;

/// A service's request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_limit: usize,
    pub timeout: Duration,
    /// `gateway` or `hub`: the config table the limits are set in, named in refusals.
    pub table: &'static str,
}

/// `router` with the body limit, the request timeout and request tracing.
pub fn with_limits<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    limits: Limits,
) -> Router<S> {
    router
        .layer(DefaultBodyLimit::disable())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(RequestBodyLimitLayer::new(limits.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.timeout,
        ))
        .layer(axum::middleware::map_response_with_state(
            limits,
            json_limit_errors,
        ))
}

/// tower-http answers an over-long body (413) and a timeout (408) in plain
/// text or with no body; this gives them the API's error shape.
async fn json_limit_errors<B>(State(limits): State<Limits>, response: Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let table = limits.table;
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE if !json => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the request body is larger than the limit of {} bytes ({table}.body_limit_mib)",
                limits.body_limit
            ),
        )
        .into_response(),
        StatusCode::REQUEST_TIMEOUT if !json => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request was not answered within {} ms ({table}.request_timeout)",
                limits.timeout.as_millis()
            ),
        )
        .into_response(),
        _ => response.map(axum::body::Body::new),
    }
}
