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
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use iarms_adapters::{pipeline, Limits, Message, MessageKind, Registry};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use super::config::HubConfig;
use super::routing::{gateway_destination, same_country};
use super::{Hub, HubError};
use crate::api::auth::{Keys, Principal};
use crate::api::metrics::Metrics;
use crate::api::{authenticate, canonical_document, ApiError};
use crate::config::Forward;
use crate::forward::{Host, Sink, Worker};
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
        HubState {
            keys: Arc::new(Keys::new(holders)),
            config,
            hub,
            registry: Registry::builtin(),
            metrics: Metrics::new(),
        }
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
            }
        })
        .collect()
}

type ApiResult = Result<Response, ApiError>;

/// The hub's router with its layers (body limit, request timeout).
pub fn router(state: Arc<HubState>) -> Router {
    let limit = state.config.body_limit;
    let timeout = state.config.request_timeout;
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/records", post(records))
        .route("/v1/searches", post(searches))
        .route("/v1/traces", post(traces))
        .route("/v1/hits", post(hits))
        .route("/v1/traces/{id}", get(show_trace))
        .route("/v1/traces/{id}/responses", post(trace_responses))
        .route("/v1/traces/{id}/acknowledge", post(acknowledge))
        .route("/v1/traces/{id}/cancel", post(cancel))
        .fallback(not_found)
        .layer(DefaultBodyLimit::disable())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(state);
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

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

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
async fn caller(state: &HubState, headers: &HeaderMap) -> Result<String, ApiError> {
    match authenticate(&state.keys, headers).await? {
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

async fn records(state: State<Arc<HubState>>, headers: HeaderMap, body: Bytes) -> ApiResult {
    submit(state, headers, body, RECORDS, None).await
}

async fn searches(state: State<Arc<HubState>>, headers: HeaderMap, body: Bytes) -> ApiResult {
    submit(state, headers, body, SEARCHES, None).await
}

async fn traces(state: State<Arc<HubState>>, headers: HeaderMap, body: Bytes) -> ApiResult {
    submit(state, headers, body, TRACES, None).await
}

/// Hit notifications come from the hub only: [`Hub::receive`] answers 403.
async fn hits(state: State<Arc<HubState>>, headers: HeaderMap, body: Bytes) -> ApiResult {
    submit(state, headers, body, HITS, None).await
}

async fn trace_responses(
    state: State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    submit(state, headers, body, RESPONSES, Some(trace_id)).await
}

/// Decodes and validates the whole body first (nothing is received when any
/// message is invalid), then receives each message in order. One message
/// answers with its outcome; a `{"messages": [...]}` batch with `{"results": [...]}`,
/// each an outcome or an error, and the status of the first error, if any.
async fn submit(
    State(state): State<Arc<HubState>>,
    headers: HeaderMap,
    body: Bytes,
    kinds: &'static [MessageKind],
    trace_id: Option<String>,
) -> ApiResult {
    let country = caller(&state, &headers).await?;
    let single = matches!(
        serde_json::from_slice::<Value>(&body),
        Ok(Value::Object(ref map)) if !map.contains_key("messages")
    );
    let document = canonical_document(&body)?;
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
            .receive(&country, message)
            .await
            .map_err(hub_error)?;
        return Ok(Json(outcome).into_response());
    }
    let mut status = StatusCode::OK;
    let mut results = Vec::with_capacity(messages.len());
    for message in messages {
        match state.hub.receive(&country, message).await {
            Ok(outcome) => results.push(serde_json::to_value(outcome).unwrap_or(Value::Null)),
            Err(e) => {
                let e = hub_error(e);
                if status == StatusCode::OK {
                    status = e.status;
                }
                results.push(json!({"error": {"code": e.code, "message": e.message}}));
            }
        }
    }
    Ok((status, Json(json!({ "results": results }))).into_response())
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
async fn show_trace(
    State(state): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let country = caller(&state, &headers).await?;
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

async fn acknowledge(
    State(state): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let country = caller(&state, &headers).await?;
    let transition = state
        .hub
        .acknowledge(&country, &trace_id)
        .await
        .map_err(hub_error)?;
    Ok(Json(transition).into_response())
}

async fn cancel(
    State(state): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let country = caller(&state, &headers).await?;
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
    tracing::info!(%addr, gateways = state.config.gateways.len(), "hub listening");
    eprintln!("iarms-gateway hub listening on http://{addr}");
    let served = axum::serve(listener, router(Arc::clone(&state)))
        .with_graceful_shutdown(shutdown)
        .await;
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
            retry: Retry::default(),
        };
        let config = HubConfig {
            file: dir.join("hub.toml"),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            body_limit: 1 << 20,
            request_timeout: std::time::Duration::from_secs(30),
            expire_interval: std::time::Duration::from_secs(60),
            store_url: String::new(),
            forward: crate::config::Forward {
                poll_interval: std::time::Duration::from_millis(500),
                lease: std::time::Duration::from_secs(60),
                batch: 50,
                timeout: std::time::Duration::from_secs(30),
            },
            gateways: vec![peer("RS"), peer("BR"), peer("DE")],
        };
        router(Arc::new(HubState::new(config, hub)))
    }

    async fn call(app: &Router, method: &str, path: &str, key: &str, body: Value) -> (u16, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if !key.is_empty() {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let body = if body.is_null() {
            Body::empty()
        } else {
            Body::from(body.to_string())
        };
        let response = app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
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
