//! TEST ONLY: `iarms-gateway hub --fault NAME` makes the reference hub misbehave
//! on purpose, so that the conformance suite can be shown to fail where it
//! should (tests/conformance.rs asserts exactly which cases each fault fails).
//! Never use it for anything but testing a conformance runner.
//!
//! The faults rewrite the hub's answers in one middleware layer, so the hub's
//! real handlers stay untouched:
//! - `drop-field`: every JSON object reply loses its `hits` member (search hits).
//! - `accept-invalid`: a 422 refusal is answered 200 "accepted" (nothing is stored).
//! - `wrong-status`: 404 is answered 500, 409 is answered 201.
//! - `late-answer`: search replies come [`LATE_BY`] late.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    DropField,
    AcceptInvalid,
    WrongStatus,
    LateAnswer,
}

impl Fault {
    pub const NAMES: &'static str = "drop-field, accept-invalid, wrong-status, late-answer";

    pub fn parse(name: &str) -> Option<Fault> {
        match name {
            "drop-field" => Some(Fault::DropField),
            "accept-invalid" => Some(Fault::AcceptInvalid),
            "wrong-status" => Some(Fault::WrongStatus),
            "late-answer" => Some(Fault::LateAnswer),
            _ => None,
        }
    }
}

/// How late `late-answer` answers searches: well past the conformance test's
/// 10 s answer timeout, which must hold on a loaded machine.
pub const LATE_BY: Duration = Duration::from_secs(30);

/// Set once by the hub command before the router is built; unset in normal runs.
static FAULT: OnceLock<Fault> = OnceLock::new();

pub fn set(fault: Fault) {
    let _ = FAULT.set(fault);
    tracing::warn!(?fault, "TEST FAULT ACTIVE: the hub misbehaves on purpose");
}

/// Adds the fault layer when a fault was set; otherwise the router is unchanged.
pub fn wrap(router: Router) -> Router {
    match FAULT.get().copied() {
        None => router,
        Some(fault) => router.layer(axum::middleware::from_fn(move |request, next| {
            apply(fault, request, next)
        })),
    }
}

/// Largest reply the fault layer rewrites (the hub's replies are small).
const REPLY_LIMIT: usize = 16 << 20;

async fn apply(fault: Fault, request: Request, next: Next) -> Response {
    let is_search = request.uri().path() == "/v1/searches";
    let response = next.run(request).await;
    match fault {
        Fault::LateAnswer => {
            if is_search {
                tokio::time::sleep(LATE_BY).await;
            }
            response
        }
        Fault::WrongStatus => {
            let (mut parts, body) = response.into_parts();
            parts.status = match parts.status {
                StatusCode::NOT_FOUND => StatusCode::INTERNAL_SERVER_ERROR,
                StatusCode::CONFLICT => StatusCode::CREATED,
                other => other,
            };
            Response::from_parts(parts, body)
        }
        Fault::AcceptInvalid => {
            if response.status() == StatusCode::UNPROCESSABLE_ENTITY {
                (StatusCode::OK, axum::Json(json!({"outcome": "accepted"}))).into_response()
            } else {
                response
            }
        }
        Fault::DropField => {
            let (mut parts, body) = response.into_parts();
            let Ok(bytes) = to_bytes(body, REPLY_LIMIT).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let rewritten = match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(mut map)) => {
                    map.remove("hits");
                    serde_json::to_vec(&Value::Object(map)).unwrap_or_else(|_| bytes.to_vec())
                }
                _ => bytes.to_vec(),
            };
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(rewritten))
        }
    }
}
