//! The reference hub's HTTP service: the canonical API the country gateways call
//! (the paths their forwarder posts to), the forwarder that delivers the hub's
//! outgoing messages to each gateway's `POST /v1/inbound`, and the trace expiry job.
//!
//! Every message is validated like at a gateway (decoded with `iarms-json`, then
//! [`pipeline::prepare`]) and handed to [`Hub::receive`] with the country of the
//! authenticated key (never what the body claims). A 2xx reply is sent only after
//! `receive` returned, so it is durable. Resends are recognised by message id.

use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use iarms_adapters::{pipeline, Limits, Message, MessageKind, Registry};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::config::HubConfig;
use crate::domain::routing::{gateway_destination, same_country};
use super::{Hub, HubError};
use crate::api::auth::Keys;
use crate::domain::principal::Principal;
use crate::api::metrics::Metrics;
use crate::api::openapi::{CanonicalMessages, ErrorBody};
use crate::api::{authenticate, canonical_submission, idempotent, with_limits, ApiError};
use crate::config::Forward;
use crate::forward::{Host, Sink, Worker};
use crate::net::Peer;
use crate::store::{ClaimedDelivery, Store, StoreOptions};

/// What the hub's handlers and workers share.
pub struct HubState {
    pub config: HubConfig,
    pub hub: Hub,
    pub keys: Arc<Keys>,
    pub registry: Registry,
    pub metrics: Metrics,
}

impl std::fmt::Debug for HubState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HubState {
    pub fn new(config: HubConfig, hub: Hub) -> HubState {
        let holders = config
            .gateways
            .iter()
            .map(|g| (Principal::Gateway(g.country.clone()), g.key_hashes.clone()))
            .collect();
        let certs = config
            .gateways
            .iter()
            .map(|g| {
                (
                    Principal::Gateway(g.country.clone()),
                    g.client_certs.clone(),
                )
            })
            .collect();
        HubState {
            keys: Arc::new(Keys::new(holders).with_certs(certs)),
            config,
            hub,
            registry: Registry::builtin(),
            metrics: Metrics::new(),
        }
    }
}

impl HubState {
    /// An outcome as the reply shows it, counted in the metrics; a message queued
    /// for a country without a `[[gateway]]` gets a `warnings` entry (it waits in
    /// the store until such a gateway is configured).
    fn reply(&self, country: &str, outcome: &super::HubOutcome) -> Value {
        let mut value = serde_json::to_value(outcome).unwrap_or(Value::Null);
        if let Some(kind) = value.get("kind").and_then(Value::as_str) {
            self.metrics.accepted(&gateway_destination(country), kind);
        }
        let warnings: Vec<String> = outcome
            .destinations()
            .into_iter()
            .filter(|d| {
                !self
                    .config
                    .gateways
                    .iter()
                    .any(|g| gateway_destination(&g.country) == *d)
            })
            .map(|d| {
                tracing::warn!(destination = d, "no gateway is configured for this country; the message waits in the store");
                format!("no gateway is configured for {d}: the message is stored and waits until one is")
            })
            .collect();
        if !warnings.is_empty() {
            value["warnings"] = json!(warnings);
        }
        value
    }
}

#[async_trait::async_trait]
impl Host for HubState {
    fn store(&self) -> &Arc<dyn Store> {
        self.hub.store()
    }
    fn forward(&self) -> &Forward {
        &self.config.forward
    }
    fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    /// A trace request that reached the requested gateway moves to `delivered`.
    async fn delivered(&self, claimed: &ClaimedDelivery, destination: &str) {
        let Ok(message) = claimed.message() else {
            return;
        };
        match self.hub.delivered(&message, destination).await {
            Ok(Some(t)) => tracing::info!(transition = ?t, "trace delivered"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, %destination, "cannot record the delivery"),
        }
    }
}

/// One worker per configured gateway: `gateway:XX` -> `{url}/v1/inbound`.
/// Messages for a country without a `[[gateway]]` stay queued.
pub fn workers(config: &HubConfig, instance: &str) -> Vec<Worker> {
    config
        .gateways
        .iter()
        .map(|g| {
            let destination = gateway_destination(&g.country);
            Worker {
                worker_id: format!("{instance}/{destination}"),
                destination,
                sink: Sink::Gateway {
                    url: g.url.clone(),
                    key: g.key.expose().to_string(),
                },
                retry: g.retry,
                tls: g.client_tls.clone(),
            }
        })
        .collect()
}

type ApiResult = Result<Response, ApiError>;

/// Every route of the hub, as (method, path): the router is built from this
/// table, and a test checks it against the hub's OpenAPI document.
pub(crate) const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/records"),
    ("POST", "/v1/searches"),
    ("POST", "/v1/traces"),
    ("POST", "/v1/hits"),
    ("GET", "/v1/traces/{id}"),
    ("POST", "/v1/traces/{id}/responses"),
    ("POST", "/v1/traces/{id}/acknowledge"),
    ("POST", "/v1/traces/{id}/cancel"),
];

/// The handler of one entry of [`ROUTES`].
fn handler(method: &str, path: &str) -> MethodRouter<Arc<HubState>> {
    match (method, path) {
        ("GET", "/healthz") => get(healthz),
        ("GET", "/readyz") => get(readyz),
        ("GET", "/metrics") => get(metrics),
        ("GET", "/openapi.json") => get(openapi_json),
        ("POST", "/v1/records") => post(records),
        ("POST", "/v1/searches") => post(searches),
        ("POST", "/v1/traces") => post(traces),
        ("POST", "/v1/hits") => post(hits),
        ("GET", "/v1/traces/{id}") => get(show_trace),
        ("POST", "/v1/traces/{id}/responses") => post(trace_responses),
        ("POST", "/v1/traces/{id}/acknowledge") => post(acknowledge),
        ("POST", "/v1/traces/{id}/cancel") => post(cancel),
        _ => panic!("no hub handler for {method} {path}"),
    }
}

/// The hub's router with its layers (body limit, request timeout).
pub fn router(state: Arc<HubState>) -> Router {
    let limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    let router = ROUTES
        .iter()
        .fold(Router::new(), |router, &(method, path)| {
            router.route(path, handler(method, path))
        })
        .fallback(not_found);
    let router = with_limits(router, limit, timeout, "hub").with_state(state);
    // Test-only conformance faults (`hub --fault`); a no-op otherwise.
    super::fault::wrap(router)
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
    (status = 200, description = "the OpenAPI 3.1 document of the reference hub", body = Object),
))]
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    Json(super::openapi::HubApiDoc::openapi())
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", security(()), responses(
    (status = 200, description = "`{\"status\": \"ok\"}`", body = Object),
))]
async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Prometheus/OpenMetrics text: messages received per gateway country and kind,
/// deliveries, failures, queue depth per destination and delivery latency.
#[utoipa::path(get, path = "/metrics", security(()), responses(
    (status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text"),
    (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
async fn metrics(State(state): State<Arc<HubState>>) -> ApiResult {
    let depth = state
        .hub
        .store()
        .queue_depth()
        .await
        .map_err(|e| hub_error(e.into()))?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(&depth),
    )
        .into_response())
}

/// The store answers.
#[utoipa::path(get, path = "/readyz", security(()), responses(
    (status = 200, description = "`{\"status\": \"ready\"}`", body = Object),
    (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
async fn readyz(State(state): State<Arc<HubState>>) -> ApiResult {
    match state.hub.store().ping().await {
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

/// The country of the calling gateway.
async fn caller(state: &HubState, headers: &HeaderMap, peer: &Peer) -> Result<String, ApiError> {
    match authenticate(&state.keys, headers, peer).await? {
        Principal::Gateway(country) => Ok(country),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only country gateways call the hub",
        )),
    }
}

fn hub_error(e: HubError) -> ApiError {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = if let HubError::Store(inner) = &e {
        if status.is_server_error() {
            tracing::error!(error = %inner, "store error");
            "the store is unavailable; retry later".to_string()
        } else {
            e.to_string()
        }
    } else {
        e.to_string()
    };
    ApiError::new(status, e.code(), message)
}

const RECORDS: &[MessageKind] = &[MessageKind::Record];
const SEARCHES: &[MessageKind] = &[MessageKind::Search];
const TRACES: &[MessageKind] = &[MessageKind::TraceRequest, MessageKind::TraceResponse];
const RESPONSES: &[MessageKind] = &[MessageKind::TraceResponse];
const HITS: &[MessageKind] = &[MessageKind::HitNotification];

/// The request parts a submission needs.
type Submission = (State<Arc<HubState>>, Method, Uri, HeaderMap, Peer, Bytes);

/// Records of the caller's country.
#[utoipa::path(post, path = "/v1/records", params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again")),
    request_body(content = CanonicalMessages, content_type = "application/json"),
    responses(
        (status = 200, description = "what the hub did: one outcome, or `{\"results\": [...]}` for a batch", body = Object),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: a record of another country", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`", body = ErrorBody),
        (status = 422, description = "`invalid` (located errors), `wrong_endpoint`, `empty`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
async fn records(
    State(s): State<Arc<HubState>>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    p: Peer,
    b: Bytes,
) -> ApiResult {
    submit((State(s), m, u, h, p, b), RECORDS, None).await
}

/// Searches of the caller's country; the outcome lists the hits and the
/// notifications queued for the searching and the owner country.
#[utoipa::path(post, path = "/v1/searches", params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again")),
    request_body(content = CanonicalMessages, content_type = "application/json"),
    responses(
        (status = 200, description = "the search's hits and queued notifications", body = Object),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: a search of another country", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`", body = ErrorBody),
        (status = 422, description = "`invalid`, `wrong_endpoint`, `empty`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
async fn searches(
    State(s): State<Arc<HubState>>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    p: Peer,
    b: Bytes,
) -> ApiResult {
    submit((State(s), m, u, h, p, b), SEARCHES, None).await
}

/// Trace requests of the caller's country (routed to the requested country's
/// gateway) and trace responses.
#[utoipa::path(post, path = "/v1/traces", params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again")),
    request_body(content = CanonicalMessages, content_type = "application/json"),
    responses(
        (status = 200, description = "the trace's destination (a `warnings` list when no gateway is configured for it)", body = Object),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`, `not_asked`", body = ErrorBody),
        (status = 409, description = "`trace_conflict`, `trace_closed`, `idempotency_conflict`", body = ErrorBody),
        (status = 422, description = "`invalid`, `wrong_endpoint`, `empty`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
async fn traces(
    State(s): State<Arc<HubState>>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    p: Peer,
    b: Bytes,
) -> ApiResult {
    submit((State(s), m, u, h, p, b), TRACES, None).await
}

/// Hit notifications come from the hub only: [`Hub::receive`] answers 403.
#[utoipa::path(post, path = "/v1/hits", params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again")),
    request_body(content = CanonicalMessages, content_type = "application/json"),
    responses(
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: hit notifications are issued by the hub", body = ErrorBody),
        (status = 422, description = "`invalid`, `wrong_endpoint`, `empty`", body = ErrorBody),
))]
async fn hits(
    State(s): State<Arc<HubState>>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    p: Peer,
    b: Bytes,
) -> ApiResult {
    submit((State(s), m, u, h, p, b), HITS, None).await
}

/// The requested country's answers to trace `id`.
#[utoipa::path(post, path = "/v1/traces/{id}/responses",
    params(("id" = String, Path, description = "the trace id"), ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again")),
    request_body(content = CanonicalMessages, content_type = "application/json"),
    responses(
        (status = 200, description = "the destination and the trace's transition", body = Object),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`not_asked`: the trace was not addressed to the caller's country", body = ErrorBody),
        (status = 404, description = "`unknown_trace`", body = ErrorBody),
        (status = 409, description = "`trace_closed`, `trace_transition`, `idempotency_conflict`", body = ErrorBody),
        (status = 422, description = "`trace_mismatch`, `invalid`, `wrong_endpoint`, `empty`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
async fn trace_responses(
    State(s): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    p: Peer,
    b: Bytes,
) -> ApiResult {
    submit((State(s), m, u, h, p, b), RESPONSES, Some(trace_id)).await
}

/// Decodes and validates the whole body first (nothing is received when any
/// message is invalid), then receives each message in order. One message
/// answers with its outcome; a `{"messages": [...]}` batch with `{"results": [...]}`,
/// each an outcome or an error, and the status of the first error, if any.
async fn submit(
    (State(state), method, uri, headers, peer, body): Submission,
    kinds: &'static [MessageKind],
    trace_id: Option<String>,
) -> ApiResult {
    let country = caller(&state, &headers, &peer).await?;
    let scope = gateway_destination(&country);
    let work = receive_all(&state, &country, &body, kinds, trace_id);
    idempotent(
        state.hub.store().as_ref(),
        &scope,
        &headers,
        (&method, &uri, &body),
        work,
    )
    .await
}

/// The messages of a submission received in order: (status, reply body).
async fn receive_all(
    state: &HubState,
    country: &str,
    body: &[u8],
    kinds: &'static [MessageKind],
    trace_id: Option<String>,
) -> Result<(StatusCode, Value), ApiError> {
    let (document, single) = canonical_submission(body)?;
    let messages = decode(&state.registry, document, kinds).await?;
    if let Some(id) = &trace_id {
        for (i, m) in messages.iter().enumerate() {
            if !matches!(m, Message::TraceResponse(r) if r.trace_id == *id) {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "trace_mismatch",
                    format!("message {} does not answer trace `{id}`", i + 1),
                )
                .at(json!({ "pointer": format!("/messages/{i}/trace_id") })));
            }
        }
    }
    if single && messages.len() == 1 {
        let message = messages.into_iter().next().ok_or_else(internal)?;
        let outcome = state
            .hub
            .receive(country, message)
            .await
            .map_err(hub_error)?;
        return Ok((StatusCode::OK, state.reply(country, &outcome)));
    }
    let mut status = StatusCode::OK;
    let mut results = Vec::with_capacity(messages.len());
    for message in messages {
        match state.hub.receive(country, message).await {
            Ok(outcome) => results.push(state.reply(country, &outcome)),
            Err(e) => {
                let e = hub_error(e);
                if status == StatusCode::OK {
                    status = e.status;
                }
                results.push(json!({"error": {"code": e.code, "message": e.message}}));
            }
        }
    }
    Ok((status, json!({ "results": results })))
}

fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the message was lost in decoding",
    )
}

/// Every message of an `iarms-json` document, normalised and validated; the
/// first invalid one refuses the request with its located errors.
async fn decode(
    registry: &Registry,
    document: Vec<u8>,
    kinds: &'static [MessageKind],
) -> Result<Vec<Message>, ApiError> {
    let adapter = registry.get("iarms-json").ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the iarms-json format is missing",
        )
    })?;
    let invalid = |index: usize, errors: Vec<iarms_adapters::RecordError>| {
        let first = errors
            .first()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "invalid".to_string());
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("message {index} is invalid: {first}"),
        )
        .at(json!({
            "index": index,
            "errors": serde_json::to_value(&errors).unwrap_or(Value::Null),
        }))
    };
    tokio::task::spawn_blocking(move || {
        let stream = adapter
            .decode(Box::new(Cursor::new(document)), Limits::default())
            .map_err(|e| invalid(1, vec![e]))?;
        let mut out = Vec::new();
        for (i, item) in stream.enumerate() {
            let index = i + 1;
            let message = item
                .map_err(|e| invalid(index, vec![e]))
                .and_then(|decoded| pipeline::prepare(decoded).map_err(|e| invalid(index, e)))?;
            if !kinds.contains(&message.kind()) {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "wrong_endpoint",
                    format!(
                        "message {index}: a {} message does not belong at this endpoint",
                        message.kind().tag()
                    ),
                )
                .at(json!({ "index": index })));
            }
            out.push(message);
        }
        if out.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "empty",
                "the body holds no message",
            ));
        }
        Ok(out)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

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
async fn show_trace(
    State(state): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    let country = caller(&state, &headers, &peer).await?;
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
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`not_asked`: the trace was not addressed to the caller's country", body = ErrorBody),
        (status = 404, description = "`unknown_trace`", body = ErrorBody),
        (status = 409, description = "`trace_transition`: already answered, declined, expired or cancelled", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
async fn acknowledge(
    State(state): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    let country = caller(&state, &headers, &peer).await?;
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
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: only the requesting country cancels", body = ErrorBody),
        (status = 404, description = "`unknown_trace`", body = ErrorBody),
        (status = 409, description = "`trace_transition`: already closed", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
async fn cancel(
    State(state): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    headers: HeaderMap,
    peer: Peer,
) -> ApiResult {
    let country = caller(&state, &headers, &peer).await?;
    let transition = state
        .hub
        .cancel(&country, &trace_id)
        .await
        .map_err(hub_error)?;
    Ok(Json(transition).into_response())
}

/// Runs the hub until `shutdown` completes, then stops gracefully: no new
/// requests, in-flight ones finish, the workers stop after their current
/// delivery and give their leases back, the store closes.
pub async fn run(
    config: HubConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    run_on(listener, config, shutdown).await
}

/// Like [`run`], on a listener bound by the caller (the in-process demo binds
/// `127.0.0.1:0` first to learn its ports); `config.listen` is not used.
pub async fn run_on(
    listener: TcpListener,
    config: HubConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let tls = match &config.tls {
        Some(tls) => Some(Arc::new(
            crate::tls::Acceptor::new(tls).context("cannot set up TLS ([tls])")?,
        )),
        None => None,
    };
    let hub = Hub::open(&config.store_url, StoreOptions::default())
        .await
        .with_context(|| format!("cannot open the store {}", config.store_url))?;
    let addr: SocketAddr = listener.local_addr()?;
    let state = Arc::new(HubState::new(config, hub));
    let instance = format!("hub-{}", uuid::Uuid::new_v4().simple());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = crate::forward::spawn(
        Arc::clone(&state),
        workers(&state.config, &instance),
        stop_rx.clone(),
    );
    tasks.push(tokio::spawn(expire_job(Arc::clone(&state), stop_rx)));
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%addr, gateways = state.config.gateways.len(), scheme, "hub listening");
    eprintln!("iarms-gateway hub listening on {scheme}://{addr}");
    let options = crate::net::ServeOptions {
        tls,
        header_timeout: state.config.header_timeout,
        idle_timeout: state.config.idle_timeout,
        drain_timeout: state.config.request_timeout + std::time::Duration::from_secs(1),
    };
    let served = crate::net::serve(listener, router(Arc::clone(&state)), options, shutdown).await;
    tracing::info!("stopping: no new requests; stopping the workers");
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
    state.hub.close().await;
    eprintln!("iarms-gateway hub stopped");
    served.context("the HTTP server failed")
}

/// Expires open traces past their due date every `expire_interval`.
async fn expire_job(state: Arc<HubState>, mut stop: watch::Receiver<bool>) {
    let every = state.config.expire_interval;
    while !*stop.borrow() {
        match state.hub.expire_due().await {
            Ok(expired) if !expired.is_empty() => {
                tracing::info!(?expired, "traces expired")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "the expiry job failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;
    use crate::config::{Retry, Secret};
    use crate::hub::config::GatewayPeer;

    async fn app(dir: &std::path::Path) -> Router {
        let hub = Hub::open(
            &dir.join("hub.db").display().to_string(),
            StoreOptions::default(),
        )
        .await
        .unwrap();
        let peer = |country: &str| GatewayPeer {
            country: country.to_string(),
            url: "http://127.0.0.1:1".to_string(),
            key_hashes: vec![crate::api::auth::hash_key(&format!("{country}-key")).unwrap()],
            key: Secret::new("unused".to_string()),
            client_certs: Vec::new(),
            client_tls: crate::tls::ClientTls::default(),
            retry: Retry::default(),
        };
        let config = HubConfig {
            file: dir.join("hub.toml"),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            body_limit: 1 << 20,
            request_timeout: std::time::Duration::from_secs(30),
            header_timeout: std::time::Duration::from_secs(10),
            idle_timeout: std::time::Duration::from_secs(60),
            tls: None,
            expire_interval: std::time::Duration::from_secs(60),
            store_url: String::new(),
            forward: crate::config::Forward::default(),
            gateways: vec![peer("RS"), peer("BR"), peer("DE")],
        };
        router(Arc::new(HubState::new(config, hub)))
    }

    async fn call(app: &Router, method: &str, path: &str, key: &str, body: Value) -> (u16, Value) {
        let key = (!key.is_empty()).then_some(key);
        crate::test_support::call(app, method, path, key, &body).await
    }

    fn header(n: u32) -> Value {
        let id = format!("00000000-0000-4000-8000-{n:012}");
        json!({"message_id": id, "correlation_id": id, "schema_version": "1.0"})
    }

    fn record(n: u32, owner: &str) -> Value {
        json!({
            "kind": "record",
            "header": header(n),
            "record_id": format!("REC-{n}"),
            "owner_country": owner,
            "owner_agency": format!("{owner}-POL"),
            "action": "create",
            "version": 1,
            "firearm": {"make": "Zastava", "model": "M70", "serial_number": "C-123456",
                        "calibre": "7.62x39mm", "firearm_type": "assault_rifle"},
            "event": {"status": "stolen", "date": "2024-03-07"}
        })
    }

    fn trace_request(n: u32) -> Value {
        json!({
            "kind": "trace_request",
            "header": header(n),
            "trace_id": "BR-PF-T-1",
            "requesting_country": "BR",
            "requesting_agency": "BR-PF",
            "requested_country": "RS",
            "priority": "urgent",
            "firearm": {"make": "Zastava", "model": "M70", "serial_number": "C-123456",
                        "calibre": "7.62x39mm", "firearm_type": "assault_rifle"},
            "seizure": {"date": "2025-05-23", "place": {"country": "BR", "locality": "Santos"}},
            "questions": ["export", "last_legal_owner"],
            "due_date": "2099-12-31"
        })
    }

    async fn call_with(
        app: &Router,
        path: &str,
        headers: &[(&str, &str)],
        body: String,
    ) -> (u16, Option<String>, String) {
        let mut request = Request::builder().method("POST").uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let replay = response
            .headers()
            .get("idempotent-replay")
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, replay, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn idempotency_keys_metrics_and_unconfigured_countries() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path()).await;
        let auth = ("authorization", "Bearer BR-key");
        let key = ("idempotency-key", "br-batch-1");

        // The same key and request: the first answer again, marked as a replay.
        let body = trace_request(1).to_string();
        let first = call_with(&app, "/v1/traces", &[auth, key], body.clone()).await;
        assert_eq!(first.0, 200, "{}", first.2);
        assert_eq!(first.1, None);
        let again = call_with(&app, "/v1/traces", &[auth, key], body).await;
        assert_eq!((again.0, again.1.as_deref()), (200, Some("true")));
        assert_eq!(again.2, first.2);
        // The same key with another request: 409.
        let other = call_with(
            &app,
            "/v1/traces",
            &[auth, key],
            trace_request(2).to_string(),
        )
        .await;
        assert_eq!(other.0, 409, "{}", other.2);
        assert!(other.2.contains("idempotency_conflict"), "{}", other.2);
        // Keys are scoped per gateway: RS may use the same key for its own request.
        let rs = call_with(
            &app,
            "/v1/records",
            &[("authorization", "Bearer RS-key"), key],
            record(3, "RS").to_string(),
        )
        .await;
        assert_eq!((rs.0, rs.1), (200, None), "{}", rs.2);

        // A trace request for a country without a [[gateway]] is kept, with a warning.
        let mut to_fr = trace_request(4);
        to_fr["trace_id"] = json!("BR-PF-T-2");
        to_fr["requested_country"] = json!("FR");
        let (status, reply) = call(&app, "POST", "/v1/traces", "BR-key", to_fr).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["destination"], "gateway:FR");
        let warning = reply["warnings"][0].as_str().unwrap_or_default();
        assert!(
            warning.contains("no gateway is configured for gateway:FR"),
            "{reply}"
        );
        assert!(first.2.find("warnings").is_none(), "{}", first.2);

        // Metrics: messages per gateway and kind, queue depth per destination.
        let response = app
            .clone()
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = String::from_utf8(
            axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap()
                .to_vec(),
        )
        .unwrap();
        assert!(
            text.contains(
                r#"iarms_gateway_messages_in_total{partner="gateway:BR",kind="trace_request"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"iarms_gateway_queue_depth{destination="gateway:FR",state="queued"} 1"#
            ),
            "{text}"
        );
    }

    #[tokio::test]
    async fn authenticates_authorises_validates_and_tracks_traces() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path()).await;

        let (status, reply) = call(&app, "POST", "/v1/records", "", record(1, "RS")).await;
        assert_eq!(
            (status, &reply["error"]["code"]),
            (401, &json!("unauthenticated"))
        );
        let (status, reply) = call(&app, "POST", "/v1/records", "RS-key", record(1, "RS")).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["kind"], "record");
        // The caller's country comes from its key, not from the body.
        let (status, reply) = call(&app, "POST", "/v1/records", "BR-key", record(2, "RS")).await;
        assert_eq!(
            (status, &reply["error"]["code"]),
            (403, &json!("forbidden"))
        );
        // Validated before anything is received.
        let mut bad = record(3, "RS");
        bad["firearm"]["calibre"] = json!("");
        bad["event"]["date"] = json!("yesterday");
        let (status, reply) = call(&app, "POST", "/v1/records", "RS-key", bad).await;
        assert_eq!(
            (status, &reply["error"]["code"]),
            (422, &json!("invalid")),
            "{reply}"
        );
        let (status, reply) = call(&app, "POST", "/v1/searches", "RS-key", record(4, "RS")).await;
        assert_eq!(
            (status, &reply["error"]["code"]),
            (422, &json!("wrong_endpoint"))
        );

        // A batch answers one result per message.
        let batch = json!({"messages": [record(1, "RS"), record(5, "RS")]});
        let (status, reply) = call(&app, "POST", "/v1/records", "RS-key", batch).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["results"].as_array().unwrap().len(), 2);
        assert_eq!(
            reply["results"][0]["stored"]["outcome"],
            json!("duplicate"),
            "{reply}"
        );

        let (status, reply) = call(&app, "POST", "/v1/traces", "BR-key", trace_request(10)).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["destination"], "gateway:RS");
        let (status, trace) =
            call(&app, "GET", "/v1/traces/BR-PF-T-1", "BR-key", Value::Null).await;
        assert_eq!(
            (status, &trace["state"]),
            (200, &json!("submitted")),
            "{trace}"
        );
        let (status, _) = call(&app, "GET", "/v1/traces/BR-PF-T-1", "RS-key", Value::Null).await;
        assert_eq!(status, 200);
        let (status, reply) =
            call(&app, "GET", "/v1/traces/BR-PF-T-1", "DE-key", Value::Null).await;
        assert_eq!(
            (status, &reply["error"]["code"]),
            (404, &json!("unknown_trace"))
        );

        let path = "/v1/traces/BR-PF-T-1/acknowledge";
        let (status, reply) = call(&app, "POST", path, "BR-key", Value::Null).await;
        assert_eq!(
            (status, &reply["error"]["code"]),
            (403, &json!("not_asked"))
        );
        let (status, reply) = call(&app, "POST", path, "RS-key", Value::Null).await;
        assert_eq!(status, 200, "{reply}");

        let response = json!({
            "kind": "trace_response",
            "header": header(11),
            "trace_id": "OTHER",
            "responding_country": "RS",
            "responding_agency": "RS-MUP",
            "outcome": "not_found",
            "responded_at": "2026-01-01T00:00:00Z"
        });
        let path = "/v1/traces/BR-PF-T-1/responses";
        let (status, reply) = call(&app, "POST", path, "RS-key", response.clone()).await;
        assert_eq!(
            (status, &reply["error"]["code"]),
            (422, &json!("trace_mismatch"))
        );
        let mut response = response;
        response["trace_id"] = json!("BR-PF-T-1");
        let (status, reply) = call(&app, "POST", path, "RS-key", response).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["destination"], "gateway:BR");
        let (_, trace) = call(&app, "GET", "/v1/traces/BR-PF-T-1", "BR-key", Value::Null).await;
        assert_eq!(trace["state"], "answered", "{trace}");
        let (status, reply) = call(
            &app,
            "POST",
            "/v1/traces/BR-PF-T-1/cancel",
            "BR-key",
            Value::Null,
        )
        .await;
        assert_eq!(status, 409, "{reply}");

        let (status, _) = call(&app, "GET", "/healthz", "", Value::Null).await;
        assert_eq!(status, 200);
        let (status, _) = call(&app, "GET", "/nowhere", "RS-key", Value::Null).await;
        assert_eq!(status, 404);
    }
}
