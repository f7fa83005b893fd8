//! The reference hub's routes: the canonical API the country gateways call (the
//! paths their forwarder posts to), on the shared front door ([`crate::http`]).
//! The hub's outgoing deliveries are [`super::delivery`]'s.

mod signed;
mod submit;
mod traces;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa::OpenApi as _;
use utoipa_axum::routes;

use super::openapi::HubApiDoc;
use super::state::HubState;
use super::HubError;
use crate::http::auth::GatewayCountry;
use crate::http::door::{Common, FrontDoor};
use crate::http::error::ApiError;
use crate::http::keys::Keys;
use crate::http::limits::Limits;

/// The state the hub's router runs on.
#[derive(Debug, Clone)]
pub struct HubRouter(pub Arc<HubState>);

impl FromRef<HubRouter> for Arc<HubState> {
    fn from_ref(router: &HubRouter) -> Arc<HubState> {
        Arc::clone(&router.0)
    }
}

impl FromRef<HubRouter> for Arc<Keys> {
    fn from_ref(router: &HubRouter) -> Arc<Keys> {
        Arc::clone(&router.0.keys)
    }
}

impl FromRef<HubRouter> for Common {
    fn from_ref(router: &HubRouter) -> Common {
        Common {
            store: Arc::clone(router.0.hub.store()),
            metrics: Arc::clone(&router.0.metrics),
        }
    }
}

/// The hub's router with its layers (body limit, request timeout).
pub fn router(state: Arc<HubState>) -> Router {
    let (router, _) = router_and_document(state);
    // Test-only conformance faults (`hub --fault`); a no-op otherwise.
    super::fault::wrap(router)
}

/// The hub's router and the document it serves: both from the same routes.
pub fn router_and_document(state: Arc<HubState>) -> (Router, OpenApi) {
    let limits = Limits {
        body_limit: state.config.body_limit,
        timeout: state.config.request_timeout,
        table: "hub",
    };
    FrontDoor::new(HubApiDoc::openapi(), HubRouter(state))
        .idempotent::<GatewayCountry>(routes!(submit::records))
        .idempotent::<GatewayCountry>(routes!(submit::searches))
        .idempotent::<GatewayCountry>(routes!(submit::traces))
        .idempotent::<GatewayCountry>(routes!(submit::hits))
        .idempotent::<GatewayCountry>(routes!(submit::trace_responses))
        .routes(routes!(traces::show_trace))
        .routes(routes!(traces::acknowledge))
        .routes(routes!(traces::cancel))
        .finish(limits)
}

/// A hub refusal in the API's error shape (a store failure says no more than
/// that the store is unavailable).
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
