//! The OpenAPI 3.1 document of the gateway's HTTP API, served at `GET /openapi.json`.
//! Every route is described by `#[utoipa::path]` on its handler (in `api/mod.rs`);
//! the types below only describe bodies for the document.

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The body of every error reply.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A stable error code, a human message and, when the fault has a place, where.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// A stable code, e.g. `unauthenticated`, `forbidden`, `not_found`, `syntax`.
    pub code: String,
    pub message: String,
    /// JSON `line`/`column`, a query `parameter` or a JSON `pointer`.
    #[schema(value_type = Option<Object>)]
    pub location: Option<Value>,
}

/// The answer to a batch: one result per record, in input order.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct BatchReport {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub results: Vec<RecordResult>,
}

/// What happened to one record.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct RecordResult {
    /// 1-based position in the input.
    pub index: u64,
    /// `accepted`, `duplicate` or `rejected`.
    pub outcome: String,
    pub kind: Option<String>,
    #[schema(format = Uuid)]
    pub message_id: Option<String>,
    #[schema(format = Uuid)]
    pub original_message_id: Option<String>,
    /// `natural_key` or `message_id`.
    pub duplicate_reason: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub location: Option<Value>,
    /// Located errors of a rejected record.
    #[schema(value_type = Option<Vec<Object>>)]
    pub errors: Option<Vec<Value>>,
}

/// A 422 to trace responses: the batch reply, or `trace_mismatch` (nothing stored).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum BatchOrError {
    Batch(BatchReport),
    Error(ErrorBody),
}

/// Canonical JSON: one message, `{"messages": [...]}`, or a top-level array of messages.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CanonicalMessages {
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<Value>,
}

/// Adds the two ways of presenting an API key.
pub(crate) struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`Authorization: Bearer <key>`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "iarms-gateway",
        description = "Interoperability gateway between national firearms registries and INTERPOL iARMS (see docs/gateway.md)."
    ),
    paths(
        super::healthz,
        super::readyz,
        super::metrics,
        super::openapi_json,
        super::partner_messages,
        super::records,
        super::searches,
        super::traces,
        super::show_trace,
        super::trace_responses,
        super::acknowledge_trace,
        super::cancel_trace,
        super::inbound,
        super::list_messages,
        super::show_message,
        super::replay,
        super::retry_dead,
        super::audit_entries,
    ),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        BatchReport,
        RecordResult,
        BatchOrError,
        CanonicalMessages
    )),
    modifiers(&Security),
    security(("bearer" = []), ("api_key" = []))
)]
pub struct ApiDoc;

/// The (method, path) pairs a document describes.
#[cfg(test)]
pub(crate) fn documented_routes(
    doc: &utoipa::openapi::OpenApi,
) -> std::collections::BTreeSet<(String, String)> {
    let document = serde_json::to_value(doc).unwrap_or_default();
    assert!(document["openapi"]
        .as_str()
        .unwrap_or("")
        .starts_with("3.1"));
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    documented
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use utoipa::OpenApi;

    use super::{documented_routes, ApiDoc};

    #[test]
    fn every_route_is_documented_and_nothing_else() {
        let routed: BTreeSet<(String, String)> = super::super::ROUTES
            .iter()
            .map(|(method, path)| (method.to_string(), path.to_string()))
            .collect();
        assert_eq!(routed, documented_routes(&ApiDoc::openapi()));
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let schemes = &document["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(schemes["api_key"]["name"], "X-Api-Key");
    }
}
