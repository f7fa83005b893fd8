//! The routes partners and the hub submit messages to: a partner's native body,
//! canonical records, searches, traces and trace responses, and what the hub
//! sends to `/v1/inbound`. Each decodes and accepts through the inbound road
//! ([`crate::ingest`]) and answers one result per record: HTTP 200 when nothing
//! was rejected, 422 with the same per-record body when some records were
//! rejected (the good ones of the batch are accepted and stored all the same).
//! An `Idempotency-Key` gets the first answer again (the front door's layer).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use iarms_adapters::MessageKind;
use serde::Deserialize;
use serde_json::{json, Value};

use super::openapi::{BatchOrError, BatchReport};
use super::ApiState;
use crate::domain::principal::Principal;
use crate::domain::routing::HUB;
use crate::http::auth::{Caller, HubCaller, Partner};
use crate::http::canonical::canonical_document;
use crate::http::error::{forbidden, ApiError};
use crate::http::idempotency::{Outcome, Scope};
use crate::http::openapi::{CanonicalMessages, ErrorBody};
use crate::http::query::QueryParams;
use crate::http::signed::require_signature;
use crate::ingest::{ingest_as, ingest_routed, IngestReport, Route, Submission};
use crate::shared::Shared;

const RECORDS: &[MessageKind] = &[MessageKind::Record];
const SEARCHES: &[MessageKind] = &[MessageKind::Search];
const TRACES: &[MessageKind] = &[MessageKind::TraceRequest, MessageKind::TraceResponse];
const RESPONSES: &[MessageKind] = &[MessageKind::TraceResponse];
/// What the hub sends a gateway (`hub::delivery`): hit notifications, trace
/// requests to the requested country, trace responses to the requesting one.
/// Records and searches never come from it.
const INBOUND: &[MessageKind] = &[
    MessageKind::HitNotification,
    MessageKind::TraceRequest,
    MessageKind::TraceResponse,
];

/// The one-kind list of `kind`, for restricting what a body may hold.
fn only(kind: MessageKind) -> &'static [MessageKind] {
    match kind {
        MessageKind::Record => RECORDS,
        MessageKind::Search => SEARCHES,
        MessageKind::HitNotification => &[MessageKind::HitNotification],
        MessageKind::TraceRequest => &[MessageKind::TraceRequest],
        MessageKind::TraceResponse => RESPONSES,
    }
}

fn report_reply(report: IngestReport) -> Outcome {
    let status = if report.rejected == 0 {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Outcome {
        status,
        body: serde_json::to_value(report).unwrap_or(Value::Null),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct KindQuery {
    kind: Option<String>,
}

/// Who sends a native body and how it is read: the partner of the path,
/// authenticated as itself and configured, in its format for the `?kind=`
/// asked for (and accepting only that kind), else in its own format.
#[derive(Debug)]
pub(super) struct NativeSender {
    partner: String,
    format: String,
    kinds: Option<&'static [MessageKind]>,
}

impl FromRequestParts<ApiState> for NativeSender {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<NativeSender, Response> {
        // The caller first: a stranger is refused before its path or query is
        // looked at, and a malformed query is then the one JSON error shape.
        let Caller(principal) = Caller::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(partner) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let QueryParams(query) = QueryParams::<KindQuery>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match &principal {
            Principal::Partner(p) if *p == partner => {}
            _ => {
                return Err(
                    forbidden(format!("this key may not send for partner `{partner}`"))
                        .into_response(),
                )
            }
        }
        let Some(config) = state.shared.config.partner(&partner) else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_partner",
                format!("no partner `{partner}`"),
            )
            .into_response());
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
                    .into_response()
                })?;
                (config.format_for(kind).to_string(), Some(only(kind)))
            }
        };
        Ok(NativeSender {
            partner,
            format,
            kinds,
        })
    }
}

impl Scope for NativeSender {
    fn scope(&self) -> String {
        self.partner.clone()
    }
}

/// A body in the partner's own format (CSV, XML, JSON, ...), one record or a batch.
#[utoipa::path(post, path = "/v1/partners/{partner}/messages",
    params(("partner" = String, Path, description = "the partner's name; the key must be this partner's"),
        ("kind" = Option<String>, Query, description = "the kind of message in the body (`record` unless given): picks the partner's format for that kind (`formats` in its config) and accepts only that kind"),
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = String, content_type = "text/plain", description = "the partner's native body, as its adapter reads it"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = BatchReport),
        (status = 422, description = "some records rejected (the others are stored); same body", body = BatchReport),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`; `message_id_conflict`: a message id another sender used, or this sender for other content (nothing of the request stored)", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 404, description = "`unknown_partner`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn partner_messages(
    State(shared): State<Arc<Shared>>,
    sender: NativeSender,
    body: Bytes,
) -> Result<Outcome, ApiError> {
    let NativeSender {
        partner,
        format,
        kinds,
    } = sender;
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
}

/// Canonical records.
#[utoipa::path(post, path = "/v1/records",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = CanonicalMessages, content_type = "application/json", description = "canonical JSON: one message, `{\"messages\": [...]}` or an array"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = BatchReport),
        (status = 422, description = "some records rejected (the others are stored); same body", body = BatchReport),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`; `message_id_conflict`: a message id another sender used, or this sender for other content (nothing of the request stored)", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn records(
    State(shared): State<Arc<Shared>>,
    Partner(partner): Partner,
    body: Bytes,
) -> Result<Outcome, ApiError> {
    canonical(&shared, &partner, &body, RECORDS).await
}

/// Canonical searches.
#[utoipa::path(post, path = "/v1/searches",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = CanonicalMessages, content_type = "application/json", description = "canonical JSON: one message, `{\"messages\": [...]}` or an array"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = BatchReport),
        (status = 422, description = "some records rejected (the others are stored); same body", body = BatchReport),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`; `message_id_conflict`: a message id another sender used, or this sender for other content (nothing of the request stored)", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn searches(
    State(shared): State<Arc<Shared>>,
    Partner(partner): Partner,
    body: Bytes,
) -> Result<Outcome, ApiError> {
    canonical(&shared, &partner, &body, SEARCHES).await
}

/// Canonical trace requests and responses.
#[utoipa::path(post, path = "/v1/traces",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = CanonicalMessages, content_type = "application/json", description = "canonical JSON: one message, `{\"messages\": [...]}` or an array"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = BatchReport),
        (status = 422, description = "some records rejected (the others are stored); same body", body = BatchReport),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`; `message_id_conflict`: a message id another sender used, or this sender for other content (nothing of the request stored)", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn traces(
    State(shared): State<Arc<Shared>>,
    Partner(partner): Partner,
    body: Bytes,
) -> Result<Outcome, ApiError> {
    canonical(&shared, &partner, &body, TRACES).await
}

/// Canonical JSON from a partner: one message, or `{"messages": [...]}` (or a
/// top-level array), of the kinds the route takes.
async fn canonical(
    shared: &Shared,
    partner: &str,
    body: &[u8],
    kinds: &'static [MessageKind],
) -> Result<Outcome, ApiError> {
    let document = canonical_document(body)?;
    let report = ingest_routed(
        shared,
        partner,
        "iarms-json",
        document,
        format!("request:{partner}"),
        Some(kinds),
        Route::Hub,
        Some(shared.config.max_batch_records),
    )
    .await?;
    Ok(report_reply(report))
}

/// Trace responses to one trace: every message must name the trace of the path.
#[utoipa::path(post, path = "/v1/traces/{id}/responses",
    params(("id" = String, Path, description = "the trace id every message must carry"),
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = CanonicalMessages, content_type = "application/json", description = "canonical JSON: one message, `{\"messages\": [...]}` or an array"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = BatchReport),
        (status = 422, description = "some records rejected (the others are stored; same body), or `trace_mismatch` (an error, nothing stored)", body = BatchOrError),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`, `message_id_conflict` (nothing stored)", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 404, description = "`not_found`: no trace of this id the caller is party to (the same answer whether it exists or not)", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn trace_responses(
    State(shared): State<Arc<Shared>>,
    Path(trace_id): Path<String>,
    Partner(partner): Partner,
    body: Bytes,
) -> Result<Outcome, ApiError> {
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
    // The body names the path's trace (which tells the caller nothing of the
    // trace); only a party may answer it, anyone else gets an unknown trace's 404.
    super::traces::may_answer(&shared, &partner, &trace_id).await?;
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
}

/// Messages from the hub (hit notifications, trace requests for our country,
/// trace responses), in canonical JSON, passed on to every partner with an outbound.
#[utoipa::path(post, path = "/v1/inbound",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again"),
    ),
    request_body(content = CanonicalMessages, content_type = "application/json", description = "canonical JSON: one message, `{\"messages\": [...]}` or an array"),
    responses(
        (status = 200, description = "every record accepted or a duplicate", body = BatchReport),
        (status = 422, description = "some records rejected (the others are stored); same body; a record or a search (kinds the hub never sends) is rejected as `unsupported`", body = BatchReport),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`; `message_id_conflict`: a message id another sender used, or this sender for other content (nothing of the request stored)", body = ErrorBody),
        (status = 401, description = "no key, or a key nobody holds (`unauthenticated`); with `[hub] public_key`, no valid HTTP message signature of the hub (`bad_signature`)", body = ErrorBody),
        (status = 403, description = "a key that may not use this route (`forbidden`)", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn inbound(
    State(shared): State<Arc<Shared>>,
    _hub: HubCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Outcome, ApiError> {
    // With the hub's public key configured, only what the hub signed is taken;
    // the signature is kept in the accepted messages' audit entries.
    let signature = require_signature(
        shared.config.hub.public_key.as_ref(),
        "POST",
        "/v1/inbound",
        &headers,
        &body,
    )?;
    let document = canonical_document(&body)?;
    let how = Submission {
        actor: HUB,
        partner: HUB,
        format: "iarms-json",
        kinds: Some(INBOUND),
        route: Route::Partners,
        max_records: Some(shared.config.max_batch_records),
        signature: signature.as_deref(),
    };
    let report = ingest_as(&shared, how, document, "request:hub".to_string()).await?;
    Ok(report_reply(report))
}
