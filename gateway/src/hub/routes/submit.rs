//! The routes country gateways submit messages to: records, searches, trace
//! requests and responses, and hits (which the hub refuses: it issues them).
//!
//! Every message is validated like at a gateway (decoded with `iarms-json`, then
//! [`pipeline::prepare_canonical`], which also gives its canonical text) and handed to
//! [`Hub::receive_canonical`](crate::hub::Hub::receive_canonical) with the country of the
//! authenticated key (never what the body claims). A 2xx reply is sent only after
//! `receive` returned, so it is durable. Resends are recognised by message id,
//! and an `Idempotency-Key` gets the first answer again (the front door's layer).

use std::io::Cursor;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use iarms_adapters::pipeline::{self, Canonical};
use iarms_adapters::{Limits, Message, MessageKind, Registry};
use serde_json::{json, Value};

use super::hub_error;
use super::signed::Signed;
use crate::http::canonical::canonical_submission;
use crate::http::error::ApiError;
use crate::http::idempotency::Outcome;
use crate::http::openapi::{CanonicalMessages, ErrorBody};
use crate::hub::state::HubState;

const RECORDS: &[MessageKind] = &[MessageKind::Record];
const SEARCHES: &[MessageKind] = &[MessageKind::Search];
const TRACES: &[MessageKind] = &[MessageKind::TraceRequest, MessageKind::TraceResponse];
const RESPONSES: &[MessageKind] = &[MessageKind::TraceResponse];
const HITS: &[MessageKind] = &[MessageKind::HitNotification];

/// Records of the caller's country.
#[utoipa::path(post, path = "/v1/records", params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again")),
    request_body(content = CanonicalMessages, content_type = "application/json"),
    responses(
        (status = 200, description = "what the hub did: one outcome, or `{\"results\": [...]}` for a batch, one per message in order: an outcome or `{\"error\": {\"code\", \"message\", \"status\"}}` (a batch answers with the status of its first refusal; the other messages are received)", body = Object),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`; `bad_signature`: no valid HTTP message signature of a gateway whose `public_key` the hub knows", body = ErrorBody),
        (status = 403, description = "`forbidden`: a record of another country", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`, `message_id_conflict`", body = ErrorBody),
        (status = 422, description = "`invalid` (located errors), `wrong_endpoint`, `empty`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn records(
    State(state): State<Arc<HubState>>,
    signed: Signed,
) -> Result<Outcome, ApiError> {
    receive_all(&state, &signed, RECORDS, None).await
}

/// Searches of the caller's country; the outcome lists the hits and the
/// notifications queued for the searching and the owner country.
#[utoipa::path(post, path = "/v1/searches", params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again")),
    request_body(content = CanonicalMessages, content_type = "application/json"),
    responses(
        (status = 200, description = "the search's hits and queued notifications", body = Object),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`; `bad_signature`: no valid HTTP message signature of a gateway whose `public_key` the hub knows", body = ErrorBody),
        (status = 403, description = "`forbidden`: a search of another country", body = ErrorBody),
        (status = 409, description = "`idempotency_conflict`, `message_id_conflict`", body = ErrorBody),
        (status = 422, description = "`invalid`, `wrong_endpoint`, `empty`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn searches(
    State(state): State<Arc<HubState>>,
    signed: Signed,
) -> Result<Outcome, ApiError> {
    receive_all(&state, &signed, SEARCHES, None).await
}

/// Trace requests of the caller's country (routed to the requested country's
/// gateway) and trace responses.
#[utoipa::path(post, path = "/v1/traces", params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again")),
    request_body(content = CanonicalMessages, content_type = "application/json"),
    responses(
        (status = 200, description = "the trace's destination (a `warnings` list when no gateway is configured for it)", body = Object),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`; `bad_signature`: no valid HTTP message signature of a gateway whose `public_key` the hub knows", body = ErrorBody),
        (status = 403, description = "`forbidden`, `not_asked`", body = ErrorBody),
        (status = 404, description = "`unknown_trace`: a response to a trace that does not exist or is of other countries (the same answer)", body = ErrorBody),
        (status = 409, description = "`trace_conflict`, `trace_closed`, `idempotency_conflict`, `message_id_conflict`", body = ErrorBody),
        (status = 422, description = "`invalid`, `wrong_endpoint`, `empty`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn traces(
    State(state): State<Arc<HubState>>,
    signed: Signed,
) -> Result<Outcome, ApiError> {
    receive_all(&state, &signed, TRACES, None).await
}

/// Hit notifications come from the hub only: [`Hub::receive`](crate::hub::Hub::receive) answers 403.
#[utoipa::path(post, path = "/v1/hits", params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again")),
    request_body(content = CanonicalMessages, content_type = "application/json"),
    responses(
        (status = 401, description = "`unauthenticated`; `bad_signature`: no valid HTTP message signature of a gateway whose `public_key` the hub knows", body = ErrorBody),
        (status = 403, description = "`forbidden`: hit notifications are issued by the hub", body = ErrorBody),
        (status = 422, description = "`invalid`, `wrong_endpoint`, `empty`", body = ErrorBody),
))]
pub(super) async fn hits(
    State(state): State<Arc<HubState>>,
    signed: Signed,
) -> Result<Outcome, ApiError> {
    receive_all(&state, &signed, HITS, None).await
}

/// The requested country's answers to trace `id`.
#[utoipa::path(post, path = "/v1/traces/{id}/responses",
    params(("id" = String, Path, description = "the trace id"), ("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; the same request gets the first answer again")),
    request_body(content = CanonicalMessages, content_type = "application/json"),
    responses(
        (status = 200, description = "the destination and the trace's transition", body = Object),
        (status = 400, description = "`syntax`, `bad_idempotency_key`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`; `bad_signature`: no valid HTTP message signature of a gateway whose `public_key` the hub knows", body = ErrorBody),
        (status = 403, description = "`not_asked`: the requesting country answering its own trace", body = ErrorBody),
        (status = 404, description = "`unknown_trace` (also for traces of other countries: the same answer)", body = ErrorBody),
        (status = 409, description = "`trace_closed`, `trace_transition`, `idempotency_conflict`, `message_id_conflict`", body = ErrorBody),
        (status = 422, description = "`trace_mismatch`, `invalid`, `wrong_endpoint`, `empty`", body = ErrorBody),
        (status = 503, description = "`store_unavailable`", body = ErrorBody),
))]
pub(super) async fn trace_responses(
    State(state): State<Arc<HubState>>,
    Path(trace_id): Path<String>,
    signed: Signed,
) -> Result<Outcome, ApiError> {
    receive_all(&state, &signed, RESPONSES, Some(trace_id)).await
}

/// Decodes and validates the whole body first, then receives its messages.
/// One message answers with its outcome (an invalid one with its located
/// errors); a `{"messages": [...]}` batch with `{"results": [...]}`, one per
/// message in order, each an outcome or `{"error": {"code", "message",
/// "status"}}` (an invalid message too: the others are received), and the
/// status of the first error, if any. A batch of records is received in one
/// go ([`Hub::receive_records`](crate::hub::Hub::receive_records)).
async fn receive_all(
    state: &HubState,
    signed: &Signed,
    kinds: &'static [MessageKind],
    trace_id: Option<String>,
) -> Result<Outcome, ApiError> {
    let (country, body) = (signed.country.as_str(), &signed.body[..]);
    let signature = signed.evidence.as_deref();
    let (document, single) = canonical_submission(body)?;
    let decoded = decode(&state.registry, document, kinds).await?;
    if let Some(id) = &trace_id {
        for (i, m) in decoded.iter().enumerate() {
            let Ok(m) = m else { continue };
            if !matches!(&m.message, Message::TraceResponse(r) if r.trace_id == *id) {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "trace_mismatch",
                    format!("message {} does not answer trace `{id}`", i + 1),
                )
                .at(json!({ "pointer": format!("/messages/{i}/trace_id") })));
            }
        }
    }
    if single && decoded.len() == 1 {
        let message = decoded.into_iter().next().ok_or_else(internal)??;
        let outcome = state
            .hub
            .receive_signed(country, message, signature)
            .await
            .map_err(hub_error)?;
        return Ok(Outcome {
            status: StatusCode::OK,
            body: state.reply(country, &outcome),
        });
    }
    let mut results: Vec<Result<Value, ApiError>> = Vec::with_capacity(decoded.len());
    if kinds == RECORDS {
        let mut valid = Vec::new();
        let mut slots = Vec::new();
        for item in decoded {
            match item {
                Ok(message) => {
                    slots.push(results.len());
                    valid.push(message);
                    results.push(Ok(Value::Null));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        let received = state
            .hub
            .receive_records(country, valid, signature)
            .await
            .map_err(hub_error)?;
        for (slot, outcome) in slots.into_iter().zip(received) {
            if let Some(result) = results.get_mut(slot) {
                *result = outcome.map(|o| state.reply(country, &o)).map_err(hub_error);
            }
        }
    } else {
        for item in decoded {
            results.push(match item {
                Ok(message) => state
                    .hub
                    .receive_signed(country, message, signature)
                    .await
                    .map(|o| state.reply(country, &o))
                    .map_err(hub_error),
                Err(e) => Err(e),
            });
        }
    }
    let mut status = StatusCode::OK;
    let results: Vec<Value> = results
        .into_iter()
        .map(|result| match result {
            Ok(reply) => reply,
            Err(e) => {
                if status == StatusCode::OK {
                    status = e.status;
                }
                json!({"error": {"code": e.code, "message": e.message, "status": e.status.as_u16()}})
            }
        })
        .collect();
    Ok(Outcome {
        status,
        body: json!({ "results": results }),
    })
}

fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the message was lost in decoding",
    )
}

/// Every message of an `iarms-json` document, normalised and validated, with
/// its canonical text, or why it is refused (its located errors, or a kind that
/// does not belong at the endpoint). A document that cannot be split into
/// messages at all refuses the request.
async fn decode(
    registry: &Registry,
    document: Vec<u8>,
    kinds: &'static [MessageKind],
) -> Result<Vec<Result<Canonical, ApiError>>, ApiError> {
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
            let decoded = match item {
                Ok(decoded) => decoded,
                // The stream cannot be split any further: the request is refused.
                Err(e) if e.fatal => return Err(invalid(index, vec![e])),
                Err(e) => {
                    out.push(Err(invalid(index, vec![e])));
                    continue;
                }
            };
            let message = pipeline::prepare_canonical(decoded)
                .map_err(|e| invalid(index, e))
                .and_then(|message| {
                    if kinds.contains(&message.message.kind()) {
                        Ok(message)
                    } else {
                        Err(ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "wrong_endpoint",
                            format!(
                                "message {index}: a {} message does not belong at this endpoint",
                                message.message.kind().tag()
                            ),
                        )
                        .at(json!({ "index": index })))
                    }
                });
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
