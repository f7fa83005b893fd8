//! The OpenAPI 3.1 document of the gateway's HTTP API, served at `GET /openapi.json`:
//! its title, the bodies only the gateway answers with, and the schemas and
//! security it shares with the hub ([`crate::http::openapi`]). The paths are
//! added by the router ([`super::router`]) from the handlers' `#[utoipa::path]`.

use serde::Serialize;
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

use crate::http::openapi::{CanonicalMessages, ErrorBody, ErrorDetail, Security};

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

#[derive(OpenApi)]
#[openapi(
    info(
        title = "iarms-gateway",
        description = "Interoperability gateway between national firearms registries and INTERPOL iARMS (see docs/gateway.md)."
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
