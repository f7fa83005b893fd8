//! `Idempotency-Key` as a tower layer: a request that repeats a key gets the
//! first answer again (marked `Idempotent-Replay: true`); the same key with a
//! different request is refused (409 `idempotency_conflict`).
//!
//! Keys are scoped per caller, so the layer first runs the route's guard: the
//! extractor of the principal the route serves ([`super::auth`]), which refuses
//! everyone else before any key is looked up. The principal it authenticates is
//! kept for the handler. A request is identified by its method, path and body
//! (SHA-256); only a handler's [`Outcome`] is remembered, never an error, so a
//! request that failed may be sent again with its key.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tower::{Layer, Service};

use super::error::ApiError;
use crate::store::{Idempotency, Store};

/// The scope a caller's keys live in (its partner id, `hub`, `gateway:XX`).
pub trait Scope {
    fn scope(&self) -> String;
}

/// A handler's answer that the idempotency layer remembers for the request's
/// key: a status and a JSON body (a batch report, the hub's outcomes).
#[derive(Debug)]
pub struct Outcome {
    pub status: StatusCode,
    pub body: Value,
}

/// Marks a response as an [`Outcome`] (a response extension).
#[derive(Debug, Clone, Copy)]
struct Remember;

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        response.extensions_mut().insert(Remember);
        response
    }
}

/// The layer for one route: `G` is the route's guard (a principal extractor
/// that also names the scope), `S` the router's state it is extracted from.
pub struct IdempotencyLayer<G, S> {
    store: Arc<dyn Store>,
    state: S,
    guard: PhantomData<fn() -> G>,
}

impl<G, S> IdempotencyLayer<G, S> {
    pub fn new(store: Arc<dyn Store>, state: S) -> IdempotencyLayer<G, S> {
        IdempotencyLayer {
            store,
            state,
            guard: PhantomData,
        }
    }
}

impl<G, S: Clone> Clone for IdempotencyLayer<G, S> {
    fn clone(&self) -> Self {
        IdempotencyLayer::new(Arc::clone(&self.store), self.state.clone())
    }
}

impl<G, S: Clone, I> Layer<I> for IdempotencyLayer<G, S> {
    type Service = Idempotent<G, S, I>;

    fn layer(&self, inner: I) -> Self::Service {
        Idempotent {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`IdempotencyLayer`] wraps a route in.
pub struct Idempotent<G, S, I> {
    inner: I,
    layer: IdempotencyLayer<G, S>,
}

impl<G, S: Clone, I: Clone> Clone for Idempotent<G, S, I> {
    fn clone(&self) -> Self {
        Idempotent {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<G, S, I> Service<Request> for Idempotent<G, S, I>
where
    G: FromRequestParts<S> + Scope + Send + 'static,
    G::Rejection: IntoResponse,
    S: Clone + Send + Sync + 'static,
    I: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    I::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The service that was polled ready goes with the request; its clone stays.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move { Ok(answer::<G, S, I>(request, inner, layer).await) })
    }
}

async fn answer<G, S, I>(request: Request, inner: I, layer: IdempotencyLayer<G, S>) -> Response
where
    G: FromRequestParts<S> + Scope,
    G::Rejection: IntoResponse,
    I: Service<Request, Response = Response, Error = Infallible>,
{
    let (mut parts, body) = request.into_parts();
    let guard = match G::from_request_parts(&mut parts, &layer.state).await {
        Ok(guard) => guard,
        Err(rejection) => return rejection.into_response(),
    };
    let key = match key_of(&parts.headers) {
        Ok(Some(key)) => key,
        Ok(None) => return run(inner, Request::from_parts(parts, body)).await,
        Err(e) => return e.into_response(),
    };
    // Read as the handler's `Bytes` would (the body limit is in the extensions),
    // so that an over-long body is refused the same way.
    let mut for_body = Request::new(body);
    *for_body.extensions_mut() = parts.extensions.clone();
    let bytes = match Bytes::from_request(for_body, &()).await {
        Ok(bytes) => bytes,
        Err(rejection) => return rejection.into_response(),
    };
    let scope = guard.scope();
    let hash = request_hash(&parts.method, &parts.uri, &bytes);
    let store = layer.store.as_ref();
    match store.lookup_idempotency(&scope, &key, &hash).await {
        Ok(Idempotency::Replay(stored)) => return replay(&stored),
        Ok(Idempotency::Conflict) => return conflict().into_response(),
        Ok(Idempotency::New) => {}
        Err(e) => return ApiError::from(e).into_response(),
    }
    let response = run(inner, Request::from_parts(parts, Body::from(bytes))).await;
    if response.extensions().get::<Remember>().is_none() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => return internal(e.to_string()),
    };
    // `{"status": …, "body": …}`, the body as it was sent.
    let stored = match std::str::from_utf8(&body) {
        Ok(text) => format!("{{\"status\":{},\"body\":{text}}}", parts.status.as_u16()),
        Err(e) => return internal(e.to_string()),
    };
    match store
        .remember_idempotency(&scope, &key, &hash, &stored)
        .await
    {
        Ok(Idempotency::New) => Response::from_parts(parts, Body::from(body)),
        // A concurrent request with the same key answered first.
        Ok(Idempotency::Replay(stored)) => replay(&stored),
        Ok(Idempotency::Conflict) => conflict().into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn run<I>(mut inner: I, request: Request) -> Response
where
    I: Service<Request, Response = Response, Error = Infallible>,
{
    match inner.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The request's key: `None` without the header; 1 to 255 visible ASCII characters.
fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= 255 => Ok(Some(k.to_string())),
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )),
        },
    }
}

/// What identifies a request under its key: method, path and body.
fn request_hash(method: &Method, uri: &Uri, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(uri.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

fn conflict() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "idempotency_conflict",
        "this Idempotency-Key was used for a different request",
    )
}

fn internal(message: String) -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message).into_response()
}

/// The first answer again, marked as a replay.
fn replay(stored: &str) -> Response {
    let value: Value = serde_json::from_str(stored).unwrap_or(Value::Null);
    let status = value
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| StatusCode::from_u16(s as u16).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (
        status,
        Json(value.get("body").cloned().unwrap_or(Value::Null)),
    )
        .into_response();
    response
        .headers_mut()
        .insert("idempotent-replay", HeaderValue::from_static("true"));
    response
}
