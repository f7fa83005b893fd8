//! The front door a service is built with, shared by the gateway and the hub:
//! routes and the OpenAPI document come from one source (`utoipa-axum`'s
//! [`OpenApiRouter`] fed by `routes!`), so no route table is kept by hand and
//! no route can be served undocumented. Every front door has the same probes
//! (`/healthz`, `/readyz`, `/metrics`), serves its own document at
//! `/openapi.json`, answers unknown paths with a JSON 404 and puts its
//! [`Limits`] around everything.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use super::auth::authenticate_first;
use super::error::{not_found, ApiError};
use super::idempotency::{IdempotencyLayer, Scope};
use super::keys::Keys;
use super::limits::{with_limits, Limits};
use super::openapi::ErrorBody;
use crate::store::Store;
use crate::telemetry::Metrics;

/// What every front door uses of the service behind it: the store (readiness,
/// queue depth, idempotency keys) and the metrics.
#[derive(Debug, Clone)]
pub struct Common {
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
}

/// Routes being added to a service's router and document at once.
pub struct FrontDoor<S> {
    routes: OpenApiRouter<S>,
    state: S,
    common: Common,
}

impl<S> FrontDoor<S>
where
    S: Clone + Send + Sync + 'static,
    Common: FromRef<S>,
    Arc<Keys>: FromRef<S>,
{
    /// A front door for `state`, its document starting from `document` (title,
    /// schemas, security), with the probes and `/openapi.json`.
    pub fn new(document: OpenApi, state: S) -> FrontDoor<S> {
        let common = Common::from_ref(&state);
        let routes = OpenApiRouter::with_openapi(document)
            .routes(routes!(healthz))
            .routes(routes!(readyz))
            .routes(routes!(metrics))
            .routes(routes!(openapi_json));
        FrontDoor {
            routes,
            state,
            common,
        }
    }

    /// Adds handlers annotated with `#[utoipa::path]` (`routes!(handler)`). A
    /// request with an API key is authenticated before it reaches them (and
    /// before its body is read); the probes of [`FrontDoor::new`] stay open.
    pub fn routes(mut self, routes: UtoipaMethodRouter<S>) -> FrontDoor<S> {
        let keys = Arc::<Keys>::from_ref(&self.state);
        let layer = axum::middleware::from_fn_with_state(keys, authenticate_first);
        let (schemas, paths, method_router) = routes;
        self.routes = self
            .routes
            .routes((schemas, paths, method_router.route_layer(layer)));
        self
    }

    /// Adds handlers that honour `Idempotency-Key` for the callers guard `G`
    /// lets in. The layer runs for matched routes only, so that a wrong method
    /// is still answered 405.
    pub fn idempotent<G>(self, routes: UtoipaMethodRouter<S>) -> FrontDoor<S>
    where
        G: FromRequestParts<S> + Scope + Send + 'static,
        G::Rejection: IntoResponse,
    {
        let layer =
            IdempotencyLayer::<G, S>::new(Arc::clone(&self.common.store), self.state.clone());
        let (schemas, paths, method_router) = routes;
        self.routes((schemas, paths, method_router.route_layer(layer)))
    }

    /// The router with its limits, and the document it serves.
    pub fn finish(self, limits: Limits) -> (Router, OpenApi) {
        let (router, document) = self.routes.split_for_parts();
        let served = Document(Bytes::from(
            serde_json::to_vec(&document).unwrap_or_default(),
        ));
        let router = router.fallback(not_found).layer(Extension(served));
        (with_limits(router, limits).with_state(self.state), document)
    }
}

/// The serialized document, for `/openapi.json`.
#[derive(Debug, Clone)]
struct Document(Bytes);

/// This document (OpenAPI 3.1).
#[utoipa::path(get, path = "/openapi.json", security(()), responses(
    (status = 200, description = "the OpenAPI 3.1 document of this API", body = Object),
))]
async fn openapi_json(Extension(document): Extension<Document>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document.0).into_response()
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", security(()), responses(
    (status = 200, description = "`{\"status\": \"ok\"}`", body = Object),
))]
async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The store takes writes: a probe write commits and the latest accept did
/// not fail for the store's sake (a full disk, a lost database) in the last
/// ten seconds with none succeeding since.
#[utoipa::path(get, path = "/readyz", security(()), responses(
    (status = 200, description = "`{\"status\": \"ready\"}`", body = Object),
    (status = 503, description = "`store_unavailable`: the store does not take writes", body = ErrorBody),
))]
async fn readyz(State(common): State<Common>) -> Result<Json<Value>, ApiError> {
    match common.store.ready().await {
        Ok(()) => Ok(Json(json!({"status": "ready"}))),
        Err(e) => {
            tracing::warn!(error = %e, "store not ready");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the store does not take writes",
            ))
        }
    }
}

/// Prometheus/OpenMetrics text: messages in (per partner, or per gateway
/// country at the hub) and kind, rejections, duplicates, deliveries, failures,
/// queue depth per destination and delivery latency.
#[utoipa::path(get, path = "/metrics", security(()), responses(
    (status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text"),
    (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
async fn metrics(State(common): State<Common>) -> Result<Response, ApiError> {
    let depth = common.store.queue_depth().await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        common.metrics.render(&depth),
    )
        .into_response())
}

/// Checks a router against the document it serves, both ways: every documented
/// route is routed (called without credentials it is neither the fallback's
/// 404 nor a 405), every other method on a documented path is 405, and a path
/// the document does not name reaches the fallback. Routes enter a
/// [`FrontDoor`] only with their `#[utoipa::path]`, so this catches a route
/// added to the router around it.
#[cfg(test)]
pub(crate) async fn assert_serves_its_document(router: &Router, document: &OpenApi) {
    use crate::test_support::call;

    let documented = super::openapi::documented_routes(document);
    assert!(!documented.is_empty());
    let concrete = |path: &str| {
        path.split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    let fallback = |status: u16, reply: &Value| {
        status == 404
            && reply["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no route for"))
    };
    for (method, path) in &documented {
        let (status, reply) = call(router, method, &concrete(path), None, &Value::Null).await;
        assert!(
            status != 405 && !fallback(status, &reply),
            "{method} {path} is documented but not routed: {status} {reply}"
        );
        for other in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            if documented.contains(&(other.to_string(), path.clone())) {
                continue;
            }
            let (status, reply) = call(router, other, &concrete(path), None, &Value::Null).await;
            assert_eq!(
                status, 405,
                "{other} {path} is routed but not documented: {reply}"
            );
        }
    }
    let (status, reply) = call(router, "GET", "/v1/nowhere", None, &Value::Null).await;
    assert!(fallback(status, &reply), "{status} {reply}");
}
