//! The HTTP API (axum), versioned under `/v1`. Every error is JSON:
//! `{"error": {"code": "...", "message": "...", "location": {...}}}` with a stable
//! code (see `docs/gateway.md`). Batches answer one result per record: HTTP 200
//! when nothing was rejected, 422 with the same per-record body when some records
//! were rejected (the good ones of the batch are accepted and stored all the same).

pub mod auth;
pub mod ingest;
pub mod metrics;
pub mod openapi;

#[cfg(test)]
mod authz_tests;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use iarms_adapters::MessageKind;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use uuid::Uuid;

use self::auth::Keys;
use crate::domain::principal::Principal;
use crate::domain::routing::HUB;
use self::ingest::{ingest_routed, IngestError, IngestReport, Route};
use crate::net::Peer;
use crate::service::Shared;
use crate::store::{DeliveryState, Idempotency, MessageFilter, StoreError};
use crate::traces::TraceAction;

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

    pub(crate) fn at(mut self, location: Value) -> ApiError {
        self.location = Some(location);
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(location) = self.location {
            error["location"] = location;
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

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> ApiError {
        match e {
            IngestError::Store(e) => e.into(),
            e @ IngestError::BatchTooLarge { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "batch_too_large",
                e.to_string(),
            ),
            e => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
        }
    }
}

type ApiResult = Result<Response, ApiError>;

/// Every route of the router, as (method, path): the router is built from this
/// table, and a test checks it against the OpenAPI document (`openapi.rs`).
pub(crate) const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/partners/{partner}/messages"),
    ("POST", "/v1/records"),
    ("POST", "/v1/searches"),
    ("POST", "/v1/traces"),
    ("GET", "/v1/traces/{id}"),
    ("POST", "/v1/traces/{id}/responses"),
    ("POST", "/v1/traces/{id}/acknowledge"),
    ("POST", "/v1/traces/{id}/cancel"),
    ("POST", "/v1/inbound"),
    ("GET", "/v1/messages"),
    ("GET", "/v1/messages/{id}"),
    ("POST", "/v1/messages/{id}/replay"),
    ("POST", "/v1/deliveries/retry-dead"),
    ("GET", "/v1/audit"),
];

/// The handler of one entry of [`ROUTES`].
fn handler(method: &str, path: &str) -> MethodRouter<Arc<Shared>> {
    match (method, path) {
        ("GET", "/healthz") => get(healthz),
        ("GET", "/readyz") => get(readyz),
        ("GET", "/metrics") => get(metrics),
        ("GET", "/openapi.json") => get(openapi_json),
        ("POST", "/v1/partners/{partner}/messages") => post(partner_messages),
        ("POST", "/v1/records") => post(records),
        ("POST", "/v1/searches") => post(searches),
        ("POST", "/v1/traces") => post(traces),
        ("GET", "/v1/traces/{id}") => get(show_trace),
        ("POST", "/v1/traces/{id}/responses") => post(trace_responses),
        ("POST", "/v1/traces/{id}/acknowledge") => post(acknowledge_trace),
        ("POST", "/v1/traces/{id}/cancel") => post(cancel_trace),
        ("POST", "/v1/inbound") => post(inbound),
        ("GET", "/v1/messages") => get(list_messages),
        ("GET", "/v1/messages/{id}") => get(show_message),
        ("POST", "/v1/messages/{id}/replay") => post(replay),
        ("POST", "/v1/deliveries/retry-dead") => post(retry_dead),
        ("GET", "/v1/audit") => get(audit_entries),
        _ => panic!("no handler for {method} {path}"),
    }
}

/// The router with its layers (body limit, request timeout).
pub fn router(shared: Arc<Shared>) -> Router {
    let limit = shared.config.body_limit;
    let timeout = shared.config.request_timeout;
    let router = ROUTES
        .iter()
        .fold(Router::new(), |router, &(method, path)| {
            router.route(path, handler(method, path))
        })
        .fallback(not_found);
    with_limits(router, limit, timeout, "gateway").with_state(shared)
}

/// The limits both the gateway and the hub put on a request: body size and
/// time to answer, with their refusals in the JSON error shape, naming the limit.
pub(crate) fn with_limits<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    body_limit: usize,
    timeout: std::time::Duration,
    table: &'static str,
) -> Router<S> {
    let limits = Limits {
        body_limit,
        timeout,
        table,
    };
    router
        .layer(DefaultBodyLimit::disable())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::map_response_with_state(
            limits,
            json_limit_errors,
        ))
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    body_limit: usize,
    timeout: std::time::Duration,
    /// `gateway` or `hub`: where the limits are configured.
    table: &'static str,
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

async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route for {}", uri.path()),
    )
}

/// This document (OpenAPI 3.1).
#[utoipa::path(get, path = "/openapi.json", security(()), responses(
    (status = 200, description = "the OpenAPI 3.1 document of this API", body = Object),
))]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi::ApiDoc::openapi())
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", security(()), responses(
    (status = 200, description = "`{\"status\": \"ok\"}`", body = Object),
))]
async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The store answers.
#[utoipa::path(get, path = "/readyz", security(()), responses(
    (status = 200, description = "`{\"status\": \"ready\"}`", body = Object),
    (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn readyz(State(shared): State<Arc<Shared>>) -> ApiResult {
    match shared.store.ping().await {
        Ok(()) => Ok(Json(json!({"status": "ready"})).into_response()),
        Err(e) => {
            tracing::warn!(error = %e, "store not ready");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the store does not answer",
            ))
        }
    }
}

/// Prometheus/OpenMetrics text.
#[utoipa::path(get, path = "/metrics", security(()), responses(
    (status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text"),
    (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn metrics(State(shared): State<Arc<Shared>>) -> ApiResult {
    let depth = shared.store.queue_depth().await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.render(&depth),
    )
        .into_response())
}

/// Who calls: the holder of the verified client certificate, else of the API
/// key; then the caller's rate limit.
pub(crate) async fn authenticate(
    keys: &Arc<Keys>,
    headers: &HeaderMap,
    peer: &Peer,
) -> Result<Principal, ApiError> {
    let principal = match &peer.0 {
        Some(identity) => keys.identify(identity).ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "unknown_certificate",
                format!(
                    "the client certificate `{}` is not one of a configured partner, \
                     operator, hub or gateway (client_certs)",
                    identity.subject_text()
                ),
            )
        })?,
        None => {
            let Some(key) = Keys::presented(headers) else {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "send an API key as `Authorization: Bearer <key>` or `X-Api-Key: <key>`, \
                     or a client certificate",
                ));
            };
            keys.verify(key).await.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "the API key is not valid",
                )
            })?
        }
    };
    if let Err(wait) = keys.admit(&principal) {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("over this caller's rate limit (rate_limit); retry in {seconds} s"),
        );
        e.retry_after = Some(u16::try_from(seconds.max(1)).unwrap_or(u16::MAX));
        return Err(e);
    }
    Ok(principal)
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

/// Answers from the idempotency store when the key was seen, otherwise runs
/// `work` and remembers its answer. Keys are scoped per caller.
pub(crate) async fn idempotent<F>(
    store: &dyn crate::store::Store,
    caller: &str,
    headers: &HeaderMap,
    request: (&Method, &Uri, &[u8]),
    work: F,
) -> ApiResult
where
    F: std::future::Future<Output = Result<(StatusCode, Value), ApiError>>,
{
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= 255 => Some(k.to_string()),
            _ => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_idempotency_key",
                    "Idempotency-Key must be 1 to 255 visible ASCII characters",
                ))
            }
        },
    };
    let Some(key) = key else {
        let (status, body) = work.await?;
        return Ok((status, Json(body)).into_response());
    };
    let (method, uri, body) = request;
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(uri.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    let hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    match store.lookup_idempotency(caller, &key, &hash).await? {
        Idempotency::Replay(stored) => return Ok(replay_response(&stored)),
        Idempotency::Conflict => return Err(conflict()),
        Idempotency::New => {}
    }
    let (status, body) = work.await?;
    let stored = json!({"status": status.as_u16(), "body": body}).to_string();
    match store
        .remember_idempotency(caller, &key, &hash, &stored)
        .await?
    {
        Idempotency::New => Ok((status, Json(body)).into_response()),
        Idempotency::Replay(stored) => Ok(replay_response(&stored)),
        Idempotency::Conflict => Err(conflict()),
    }
}

fn conflict() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "idempotency_conflict",
        "this Idempotency-Key was used for a different request",
    )
}

fn replay_response(stored: &str) -> Response {
    let value: Value = serde_json::from_str(stored).unwrap_or(Value::Null);
    let status = value["status"]
        .as_u64()
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, Json(value["body"].clone())).into_response();
    response.headers_mut().insert(
        "idempotent-replay",
        axum::http::HeaderValue::from_static("true"),
    );
    response
}

fn report_reply(report: IngestReport) -> (StatusCode, Value) {
    let status = if report.rejected == 0 {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, serde_json::to_value(report).unwrap_or(Value::Null))
}

/// A body in the partner's own format (CSV, XML, JSON, ...), one record or a batch.
#[utoipa::path(post, path = "/v1/partners/{partner}/messages",
    params(("partner" = String, Path, description = "the partner's name; the key must be this partner's"),
        ("kind" = Option<String>, Query, description = "the kind of message in the body (`record` unless given): picks the partner's format for that kind (`formats` in its config) and accepts only that kind"),
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = String, content_type = "text/plain", description = "the partner's native body, as its adapter reads it"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = openapi::BatchReport),
        (status = 422, description = "some records rejected (the others are stored); same body", body = openapi::BatchReport),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = openapi::ErrorBody),
        (status = 409, description = "`idempotency_conflict`", body = openapi::ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 404, description = "`unknown_partner`", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn partner_messages(
    State(shared): State<Arc<Shared>>,
    (Path(partner), Query(query)): (Path<String>, Query<KindQuery>),
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    peer: Peer,
    body: Bytes,
) -> ApiResult {
    let principal = authenticate(&shared.keys, &headers, &peer).await?;
    match &principal {
        Principal::Partner(p) if *p == partner => {}
        _ => {
            return Err(forbidden(format!(
                "this key may not send for partner `{partner}`"
            )))
        }
    }
    let Some(config) = shared.config.partner(&partner) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_partner",
            format!("no partner `{partner}`"),
        ));
    };
    // Without `?kind=`, the body is in the partner's own format, whatever kinds it carries.
    let (format, kinds) = match query.kind.as_deref() {
        None => (config.format.clone(), None),
        Some(tag) => {
            let kind = crate::config::parse_kind(tag).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_query",
                    format!("unknown kind `{tag}`"),
                )
                .at(json!({ "parameter": "kind" }))
            })?;
            (config.format_for(kind).to_string(), Some(only(kind)))
        }
    };
    let work = async {
        let report = ingest_routed(
            &shared,
            &partner,
            &format,
            body.to_vec(),
            format!("request:{partner}"),
            kinds,
            Route::Hub,
            Some(shared.config.max_batch_records),
        )
        .await?;
        Ok(report_reply(report))
    };
    idempotent(
        shared.store.as_ref(),
        &partner,
        &headers,
        (&method, &uri, &body),
        work,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct KindQuery {
    kind: Option<String>,
}

/// The one-kind list of `kind`, for restricting what a body may hold.
fn only(kind: MessageKind) -> &'static [MessageKind] {
    match kind {
        MessageKind::Record => RECORDS,
        MessageKind::Search => SEARCHES,
        MessageKind::HitNotification => &[MessageKind::HitNotification],
        MessageKind::TraceRequest => &[MessageKind::TraceRequest],
        MessageKind::TraceResponse => &[MessageKind::TraceResponse],
    }
}

const RECORDS: &[MessageKind] = &[MessageKind::Record];
const SEARCHES: &[MessageKind] = &[MessageKind::Search];
const TRACES: &[MessageKind] = &[MessageKind::TraceRequest, MessageKind::TraceResponse];

/// Canonical records.
#[utoipa::path(post, path = "/v1/records",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = openapi::CanonicalMessages, content_type = "application/json", description = "canonical JSON: one message, `{\"messages\": [...]}` or an array"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = openapi::BatchReport),
        (status = 422, description = "some records rejected (the others are stored); same body", body = openapi::BatchReport),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = openapi::ErrorBody),
        (status = 409, description = "`idempotency_conflict`", body = openapi::ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn records(
    state: State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    peer: Peer,
    body: Bytes,
) -> ApiResult {
    canonical(state, method, uri, headers, peer, body, RECORDS).await
}

/// Canonical searches.
#[utoipa::path(post, path = "/v1/searches",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = openapi::CanonicalMessages, content_type = "application/json", description = "canonical JSON: one message, `{\"messages\": [...]}` or an array"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = openapi::BatchReport),
        (status = 422, description = "some records rejected (the others are stored); same body", body = openapi::BatchReport),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = openapi::ErrorBody),
        (status = 409, description = "`idempotency_conflict`", body = openapi::ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn searches(
    state: State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    peer: Peer,
    body: Bytes,
) -> ApiResult {
    canonical(state, method, uri, headers, peer, body, SEARCHES).await
}

/// Canonical trace requests and responses.
#[utoipa::path(post, path = "/v1/traces",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = openapi::CanonicalMessages, content_type = "application/json", description = "canonical JSON: one message, `{\"messages\": [...]}` or an array"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = openapi::BatchReport),
        (status = 422, description = "some records rejected (the others are stored); same body", body = openapi::BatchReport),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = openapi::ErrorBody),
        (status = 409, description = "`idempotency_conflict`", body = openapi::ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn traces(
    state: State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    peer: Peer,
    body: Bytes,
) -> ApiResult {
    canonical(state, method, uri, headers, peer, body, TRACES).await
}

/// Messages from the hub (hit notifications, trace requests for our country,
/// trace responses), in canonical JSON, passed on to every partner with an outbound.
#[utoipa::path(post, path = "/v1/inbound",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = openapi::CanonicalMessages, content_type = "application/json", description = "canonical JSON: one message, `{\"messages\": [...]}` or an array"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = openapi::BatchReport),
        (status = 422, description = "some records rejected (the others are stored); same body", body = openapi::BatchReport),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = openapi::ErrorBody),
        (status = 409, description = "`idempotency_conflict`", body = openapi::ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn inbound(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    peer: Peer,
    body: Bytes,
) -> ApiResult {
    if authenticate(&shared.keys, &headers, &peer).await? != Principal::Hub {
        return Err(forbidden("only the hub sends to /v1/inbound"));
    }
    let document = canonical_document(&body)?;
    let work = async {
        let report = ingest_routed(
            &shared,
            HUB,
            "iarms-json",
            document,
            "request:hub".to_string(),
            None,
            Route::Partners,
            Some(shared.config.max_batch_records),
        )
        .await?;
        Ok(report_reply(report))
    };
    idempotent(
        shared.store.as_ref(),
        HUB,
        &headers,
        (&method, &uri, &body),
        work,
    )
    .await
}

/// A canonical body as an `iarms-json` document: one message is wrapped in
/// `{"messages": [...]}`; a document or a top-level array is taken as it is.
pub(crate) fn canonical_document(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    canonical_submission(body).map(|(document, _)| document)
}

/// [`canonical_document`], and whether the body was one message (wrapped).
pub(crate) fn canonical_submission(body: &[u8]) -> Result<(Vec<u8>, bool), ApiError> {
    let not_json = |e: serde_json::Error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "syntax",
            format!("the body is not JSON: {e}"),
        )
        .at(json!({"line": e.line(), "column": e.column()}))
    };
    match serde_json::from_slice::<TopLevel>(body).map_err(not_json)? {
        TopLevel::Message => {
            // One message is parsed in full here, so that its faults of encoding
            // and nesting are the body's (400, at the body's own positions), not
            // those of the wrapped document the framer would see. A batch's
            // are its records' own: the framer reports each and keeps the rest.
            serde_json::from_slice::<Value>(body).map_err(not_json)?;
            let mut wrapped = b"{\"messages\":[".to_vec();
            wrapped.extend_from_slice(body);
            wrapped.extend_from_slice(b"]}");
            Ok((wrapped, true))
        }
        TopLevel::Document | TopLevel::Other => Ok((body.to_vec(), false)),
    }
}

/// What a canonical body is at its top level. Found by a pass that checks the
/// syntax and skips every value without building it: the framer parses the
/// messages afterwards, and building them twice cost as much as decoding.
enum TopLevel {
    /// An object with a `messages` member.
    Document,
    /// Any other object: one message.
    Message,
    /// An array or a scalar (the framer says what is wrong with a scalar).
    Other,
}

impl<'de> Deserialize<'de> for TopLevel {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<TopLevel, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

        /// A member name, compared with `messages` without keeping it.
        struct IsMessages(bool);
        impl<'de> Deserialize<'de> for IsMessages {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IsMessages, D::Error> {
                struct Name;
                impl Visitor<'_> for Name {
                    type Value = IsMessages;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("a member name")
                    }
                    fn visit_str<E>(self, name: &str) -> Result<IsMessages, E> {
                        Ok(IsMessages(name == "messages"))
                    }
                }
                d.deserialize_str(Name)
            }
        }

        struct Shape;
        impl<'de> Visitor<'de> for Shape {
            type Value = TopLevel;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
                let mut shape = TopLevel::Message;
                while let Some(IsMessages(messages)) = map.next_key()? {
                    map.next_value::<IgnoredAny>()?;
                    if messages {
                        shape = TopLevel::Document;
                    }
                }
                Ok(shape)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TopLevel, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TopLevel::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
            fn visit_unit<E>(self) -> Result<TopLevel, E> {
                Ok(TopLevel::Other)
            }
        }
        deserializer.deserialize_any(Shape)
    }
}

/// Canonical JSON: one message, or `{"messages": [...]}` (or a top-level array).
async fn canonical(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    peer: Peer,
    body: Bytes,
    kinds: &'static [MessageKind],
) -> ApiResult {
    let principal = authenticate(&shared.keys, &headers, &peer).await?;
    let Principal::Partner(partner) = principal else {
        return Err(forbidden("only partners send messages here"));
    };
    let document = canonical_document(&body)?;
    let work = async {
        let report = ingest_routed(
            &shared,
            &partner,
            "iarms-json",
            document,
            format!("request:{partner}"),
            Some(kinds),
            Route::Hub,
            Some(shared.config.max_batch_records),
        )
        .await?;
        Ok(report_reply(report))
    };
    idempotent(
        shared.store.as_ref(),
        &partner,
        &headers,
        (&method, &uri, &body),
        work,
    )
    .await
}

const RESPONSES: &[MessageKind] = &[MessageKind::TraceResponse];

/// Trace responses to one trace: every message must name the trace of the path.
#[utoipa::path(post, path = "/v1/traces/{id}/responses",
    params(("id" = String, Path, description = "the trace id every message must carry"),
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = openapi::CanonicalMessages, content_type = "application/json", description = "canonical JSON: one message, `{\"messages\": [...]}` or an array"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = openapi::BatchReport),
        (status = 422, description = "some records rejected (the others are stored; same body), or `trace_mismatch` (an error, nothing stored)", body = openapi::BatchOrError),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = openapi::ErrorBody),
        (status = 409, description = "`idempotency_conflict`", body = openapi::ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn trace_responses(
    State(shared): State<Arc<Shared>>,
    Path(trace_id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    peer: Peer,
    body: Bytes,
) -> ApiResult {
    let principal = authenticate(&shared.keys, &headers, &peer).await?;
    let Principal::Partner(partner) = principal else {
        return Err(forbidden("only partners send messages here"));
    };
    let document = canonical_document(&body)?;
    let messages: Value = serde_json::from_slice(&document).unwrap_or(Value::Null);
    let items = messages
        .get("messages")
        .or(Some(&messages))
        .and_then(Value::as_array);
    for (i, m) in items.into_iter().flatten().enumerate() {
        if m.get("trace_id").and_then(Value::as_str) != Some(trace_id.as_str()) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "trace_mismatch",
                format!("message {} does not answer trace `{trace_id}`", i + 1),
            )
            .at(json!({ "pointer": format!("/messages/{i}/trace_id") })));
        }
    }
    let work = async {
        let report = ingest_routed(
            &shared,
            &partner,
            "iarms-json",
            document,
            format!("request:{partner}"),
            Some(RESPONSES),
            Route::Hub,
            Some(shared.config.max_batch_records),
        )
        .await?;
        Ok(report_reply(report))
    };
    idempotent(
        shared.store.as_ref(),
        &partner,
        &headers,
        (&method, &uri, &body),
        work,
    )
    .await
}

/// The state of a trace request (operators, and the partners party to it).
#[utoipa::path(get, path = "/v1/traces/{id}",
    params(("id" = String, Path, description = "the trace id")),
    responses(
        (status = 200, description = "the trace's lifecycle state and times", body = Object),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn show_trace(
    State(shared): State<Arc<Shared>>,
    Path(trace_id): Path<String>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    let principal = authenticate(&shared.keys, &headers, &peer).await?;
    let trace = visible_trace(&shared, &principal, &trace_id).await?;
    Ok(Json(trace).into_response())
}

/// The trace, for operators and the partners party to it; anyone else gets
/// 404, so that trace ids do not leak.
async fn visible_trace(
    shared: &Shared,
    principal: &Principal,
    trace_id: &str,
) -> Result<crate::store::Trace, ApiError> {
    let trace = shared.store.get_trace(trace_id).await?;
    let visible = match (&trace, principal) {
        (Some(_), Principal::Operator) => true,
        (Some(t), Principal::Partner(p)) => party_to_trace(shared, t, p).await?,
        _ => false,
    };
    match trace {
        Some(trace) if visible => Ok(trace),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no trace `{trace_id}`"),
        )),
    }
}

/// The partner (or an operator) of the requested country acknowledges a trace
/// request: its registry has it. A partner reached over HTTP acknowledges by its
/// 2xx reply; this route is for partners fed through an outbox folder.
#[utoipa::path(post, path = "/v1/traces/{id}/acknowledge",
    params(("id" = String, Path, description = "the trace id")),
    responses(
        (status = 200, description = "the transition `{from, to, changed}`; the hub is told", body = Object),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "`forbidden`: the hub's key, or a trace this country did not receive", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 409, description = "`trace_transition`: the trace is already answered, declined, expired or cancelled", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn acknowledge_trace(
    state: State<Arc<Shared>>,
    trace_id: Path<String>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    act_on_trace(state, trace_id, (headers, peer), TraceAction::Acknowledge).await
}

/// The requesting partner (or an operator) cancels its trace request; the hub is told.
#[utoipa::path(post, path = "/v1/traces/{id}/cancel",
    params(("id" = String, Path, description = "the trace id")),
    responses(
        (status = 200, description = "the transition `{from, to, changed}`; the hub is told", body = Object),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "`forbidden`: the hub's key, or a trace this country did not ask", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 409, description = "`trace_transition`: the trace is already closed", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn cancel_trace(
    state: State<Arc<Shared>>,
    trace_id: Path<String>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    act_on_trace(state, trace_id, (headers, peer), TraceAction::Cancel).await
}

/// An operator or a partner party to the trace acts on it (the hub acts at its own API).
async fn act_on_trace(
    State(shared): State<Arc<Shared>>,
    Path(trace_id): Path<String>,
    (headers, peer): (HeaderMap, Peer),
    action: TraceAction,
) -> ApiResult {
    let principal = authenticate(&shared.keys, &headers, &peer).await?;
    if !matches!(principal, Principal::Operator | Principal::Partner(_)) {
        return Err(forbidden("only partners and operators act on traces here"));
    }
    visible_trace(&shared, &principal, &trace_id).await?;
    let transition = crate::traces::act(&shared, &trace_id, action).await?;
    Ok(Json(transition).into_response())
}

impl From<crate::traces::TraceActionError> for ApiError {
    fn from(e: crate::traces::TraceActionError) -> ApiError {
        use crate::traces::TraceActionError as E;
        match e {
            e @ E::Unknown(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            e @ E::NotParty { .. } => forbidden(e.to_string()),
            E::Store(e) => e.into(),
        }
    }
}

/// A partner is party to a trace when it submitted the trace request or the
/// request was delivered to it (it is the one that answers).
async fn party_to_trace(
    shared: &Shared,
    trace: &crate::store::Trace,
    partner: &str,
) -> Result<bool, ApiError> {
    Ok(
        match shared.store.get_message(trace.request_message_id).await? {
            Some(view) => {
                view.message.source_partner == partner
                    || view.deliveries.iter().any(|d| d.destination == partner)
            }
            None => false,
        },
    )
}

async fn operator(shared: &Shared, headers: &HeaderMap, peer: &Peer) -> Result<(), ApiError> {
    match authenticate(&shared.keys, headers, peer).await? {
        Principal::Operator => Ok(()),
        _ => Err(forbidden("this needs an operator key")),
    }
}

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
        (status = 400, description = "`bad_message_id`", body = openapi::ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn show_message(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    let principal = authenticate(&shared.keys, &headers, &peer).await?;
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
struct ListQuery {
    state: Option<String>,
    kind: Option<String>,
    partner: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Messages, newest first (an operator sees all, a partner its own).
#[utoipa::path(get, path = "/v1/messages",
    params(
        ("state" = Option<String>, Query, description = "a delivery state"),
        ("kind" = Option<String>, Query, description = "a message kind tag"),
        ("partner" = Option<String>, Query, description = "the sending partner (operators only)"),
        ("limit" = Option<u32>, Query, description = "page size (default 100)"),
        ("cursor" = Option<String>, Query, description = "`next` of the previous page"),
    ),
    responses(
        (status = 200, description = "a page; `next` is the cursor of the next page", body = Object),
        (status = 400, description = "`bad_query`", body = openapi::ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn list_messages(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    let principal = authenticate(&shared.keys, &headers, &peer).await?;
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
    let page = shared
        .store
        .list_messages(&filter, q.limit.unwrap_or(100), cursor)
        .await?;
    Ok(Json(page).into_response())
}

/// Queues every delivery of the message again (operator).
#[utoipa::path(post, path = "/v1/messages/{id}/replay",
    params(("id" = String, Path, format = Uuid, description = "the message id")),
    responses(
        (status = 200, description = "`{\"message_id\", \"queued\"}`", body = Object),
        (status = 400, description = "`bad_message_id`", body = openapi::ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 404, description = "`not_found`", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn replay(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    operator(&shared, &headers, &peer).await?;
    let id = parse_id(&id)?;
    let queued = shared.store.replay(id, crate::audit::OPERATOR).await?;
    tracing::info!(message_id = %id, queued, "replayed");
    Ok(Json(json!({"message_id": id, "queued": queued})).into_response())
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    after: Option<i64>,
    limit: Option<u32>,
    subject: Option<String>,
}

/// Entries of the audit trail, oldest first (operator); see `docs/gateway.md`.
#[utoipa::path(get, path = "/v1/audit",
    params(
        ("after" = Option<i64>, Query, description = "entries after this seq (default: the most recent ones)"),
        ("limit" = Option<u32>, Query, description = "at most this many (default 100, at most 1000)"),
        ("subject" = Option<String>, Query, description = "only the most recent entries about this message id"),
    ),
    responses(
        (status = 200, description = "`{\"entries\": [{seq, at, actor, action, subject, kind, partner, details, prev_hash, hash}]}`", body = Object),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn audit_entries(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<AuditQuery>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    operator(&shared, &headers, &peer).await?;
    let limit = q.limit.unwrap_or(100);
    let entries = match (&q.subject, q.after) {
        (Some(subject), _) => shared.store.audit_of_subject(subject, limit).await?,
        (None, Some(after)) => shared.store.audit_entries(after, limit).await?,
        (None, None) => crate::audit::tail(shared.store.as_ref(), limit.clamp(1, 1000)).await?,
    };
    Ok(Json(json!({ "entries": entries })).into_response())
}

#[derive(Debug, Deserialize)]
struct RetryDeadQuery {
    destination: Option<String>,
}

/// Queues dead deliveries again (operator).
#[utoipa::path(post, path = "/v1/deliveries/retry-dead",
    params(("destination" = Option<String>, Query, description = "only deliveries to this destination")),
    responses(
        (status = 200, description = "`{\"queued\": n}`", body = Object),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = openapi::ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = openapi::ErrorBody),
        (status = 503, description = "`store_unavailable`", body = openapi::ErrorBody),
))]
async fn retry_dead(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<RetryDeadQuery>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    operator(&shared, &headers, &peer).await?;
    let queued = shared
        .store
        .retry_dead(q.destination.as_deref(), crate::audit::OPERATOR)
        .await?;
    tracing::info!(queued, "dead deliveries queued again");
    Ok(Json(json!({"queued": queued})).into_response())
}

#[cfg(test)]
mod canonical_document_tests {
    use super::canonical_document;

    fn document(body: &str) -> String {
        let bytes = canonical_document(body.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn one_message_is_wrapped_and_documents_pass_as_they_are() {
        let one = r#"{"kind":"record","nested":{"messages":[]}}"#;
        assert_eq!(document(one), format!(r#"{{"messages":[{one}]}}"#));
        for as_is in [
            r#"{"messages":[{"kind":"record"}]}"#,
            r#"{"x":1,"messages":[]}"#,
            r#"[{"kind":"record"}]"#,
            "42",
            "\"text\"",
            "null",
        ] {
            assert_eq!(document(as_is), as_is);
        }
    }

    #[test]
    fn bad_json_is_refused_with_its_position() {
        for (body, line, column) in [
            ("{\"kind\": \"record\",\n  oops}", 2, 3),
            ("{\"messages\": [1, 2", 1, 18),
            ("", 1, 0),
        ] {
            let error = canonical_document(body.as_bytes())
                .err()
                .unwrap_or_else(|| panic!("accepted {body:?}"));
            let text = format!("{error:?}");
            assert!(text.contains("syntax"), "{text}");
            assert!(
                text.contains(&format!("\"line\": Number({line})")),
                "{body:?}: {text}"
            );
            assert!(
                text.contains(&format!("\"column\": Number({column})")),
                "{body:?}: {text}"
            );
        }
        // A batch's deep nesting and bad encoding are its records' faults (the
        // framer reports them, keeping the other records); the skipping pass
        // does not recurse, so no stack is at risk.
        let deep = format!("[{{}}, {}{}]", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(document(&deep), deep);
        assert!(canonical_document(b"{\"messages\": [{\"serial\": \"\xff\"}]}").is_ok());
        // One message's are the body's.
        let deep = format!(
            "{{\"kind\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(canonical_document(deep.as_bytes()).is_err());
        assert!(canonical_document(b"{\"serial\": \"\xff\"}").is_err());
    }
}
