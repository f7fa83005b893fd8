//! The front door's side of the HTTP message signatures between the gateways
//! and the hub ([`crate::signature`]): a request from a peer whose public key
//! is configured must carry its valid signature, or it is refused with 401
//! `bad_signature` and the reason.

use axum::http::{HeaderMap, StatusCode};

use super::error::ApiError;
use crate::audit::PublicKey;
use crate::signature::{now_secs, verify_request};

/// Checks the signature of a peer's request when the peer's key is known;
/// returns the evidence to keep with what it carries (`None`: no key is
/// configured for that peer, nothing is checked).
pub fn require_signature(
    key: Option<&PublicKey>,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<String>, ApiError> {
    let Some(key) = key else {
        return Ok(None);
    };
    verify_request(
        method,
        path,
        headers,
        body,
        std::slice::from_ref(key),
        now_secs(),
    )
    .map(|verified| Some(verified.evidence()))
    .map_err(|e| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            format!("the HTTP message signature (RFC 9421) was refused: {e}"),
        )
    })
}
