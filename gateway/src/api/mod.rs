//! The gateway's HTTP API (axum), versioned under `/v1`, on the shared front
//! door ([`crate::http`]): every error is JSON with a stable code (see
//! `docs/gateway.md`), every caller is authenticated by an extractor, and the
//! routes and the OpenAPI document come from the same `routes!` list below.
//!
//! - `submit`: what partners and the hub send (native, canonical, inbound);
//! - `traces`: a trace's state, acknowledgements and cancellations;
//! - `messages`: stored messages, replay and retry (operators);
//! - `audit`: the audit trail (operators).

mod audit;
mod messages;
pub mod openapi;
mod submit;
mod traces;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::Router;
use utoipa::openapi::OpenApi;
use utoipa::OpenApi as _;
use utoipa_axum::routes;

use self::openapi::ApiDoc;
use crate::config::Config;
use crate::domain::principal::Principal;
use crate::http::auth::{HubCaller, Partner};
use crate::http::door::{Common, FrontDoor};
use crate::http::error::ApiError;
use crate::http::keys::Keys;
use crate::http::limits::Limits;
use crate::ingest::IngestError;
use crate::shared::Shared;

/// The state the gateway's router runs on: what the roads share, and the
/// credentials of everyone who may call.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub shared: Arc<Shared>,
    pub keys: Arc<Keys>,
}

impl FromRef<ApiState> for Arc<Shared> {
    fn from_ref(state: &ApiState) -> Arc<Shared> {
        Arc::clone(&state.shared)
    }
}

impl FromRef<ApiState> for Arc<Keys> {
    fn from_ref(state: &ApiState) -> Arc<Keys> {
        Arc::clone(&state.keys)
    }
}

impl FromRef<ApiState> for Common {
    fn from_ref(state: &ApiState) -> Common {
        Common {
            store: Arc::clone(&state.shared.store),
            metrics: Arc::clone(&state.shared.metrics),
        }
    }
}

/// Who holds which credential in `gateway.toml`: operators, the hub (calling
/// `/v1/inbound`) and every partner, with the partners' rate limits.
pub fn keys(config: &Config) -> Keys {
    let mut holders = vec![(Principal::Operator, config.operator_key_hashes.clone())];
    holders.push((Principal::Hub, config.hub.inbound_key_hashes.clone()));
    let mut certs = vec![
        (Principal::Operator, config.operator_client_certs.clone()),
        (Principal::Hub, config.hub.client_certs.clone()),
    ];
    let mut limits = Vec::new();
    for p in &config.partners {
        let principal = Principal::Partner(p.id.clone());
        holders.push((principal.clone(), p.api_key_hashes.clone()));
        certs.push((principal.clone(), p.client_certs.clone()));
        if let Some(limit) = p.rate_limit {
            limits.push((principal, limit));
        }
    }
    Keys::new(holders).with_certs(certs).with_limits(limits)
}

/// The router with its layers (body limit, request timeout).
pub fn router(shared: Arc<Shared>) -> Router {
    router_and_document(shared).0
}

/// The router and the document it serves: both from the same routes.
pub fn router_and_document(shared: Arc<Shared>) -> (Router, OpenApi) {
    let limits = Limits {
        body_limit: shared.config.body_limit,
        timeout: shared.config.request_timeout,
        table: "gateway",
    };
    let state = ApiState {
        keys: Arc::new(keys(&shared.config)),
        shared,
    };
    FrontDoor::new(ApiDoc::openapi(), state)
        .idempotent::<submit::NativeSender>(routes!(submit::partner_messages))
        .idempotent::<Partner>(routes!(submit::records))
        .idempotent::<Partner>(routes!(submit::searches))
        .idempotent::<Partner>(routes!(submit::traces))
        .idempotent::<Partner>(routes!(submit::trace_responses))
        .idempotent::<HubCaller>(routes!(submit::inbound))
        .routes(routes!(traces::show_trace))
        .routes(routes!(traces::acknowledge_trace))
        .routes(routes!(traces::cancel_trace))
        .routes(routes!(messages::list_messages))
        .routes(routes!(messages::show_message))
        .routes(routes!(messages::replay))
        .routes(routes!(messages::retry_dead))
        .routes(routes!(audit::audit_entries))
        .finish(limits)
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
            e @ IngestError::MessageIdConflict { index, .. } => {
                ApiError::new(StatusCode::CONFLICT, "message_id_conflict", e.to_string())
                    .at(serde_json::json!({ "record": index }))
            }
            e => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
        }
    }
}
