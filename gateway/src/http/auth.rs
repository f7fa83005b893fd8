//! Authentication as extractors, in axum's style: a handler that takes a
//! [`Partner`], an [`Operator`], a [`HubCaller`] or a [`GatewayCountry`] runs
//! only for that principal; every other caller is refused before the handler
//! (and before its body is read). [`Caller`] is any authenticated principal,
//! for routes that decide visibility themselves.
//!
//! Who calls: the holder of the verified client certificate, else of the API
//! key (`Authorization: Bearer <key>` or `X-Api-Key: <key>`); then the caller's
//! rate limit. A request is authenticated once: the principal is kept in its
//! extensions, so a layer that needs it first (idempotency) and the handler's
//! extractor count one request against the rate limit, not two.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};

use super::error::{forbidden, ApiError};
use super::idempotency::Scope;
use super::keys::Keys;
use super::serve::Peer;
use crate::domain::principal::Principal;
use crate::domain::routing::{gateway_destination, HUB};

/// The principal a request was authenticated as (a request extension).
#[derive(Debug, Clone)]
struct Authenticated(Principal);

/// Any authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    Arc<Keys>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Caller, ApiError> {
        if let Some(Authenticated(principal)) = parts.extensions.get::<Authenticated>() {
            return Ok(Caller(principal.clone()));
        }
        let keys = Arc::<Keys>::from_ref(state);
        let peer = parts.extensions.get::<Peer>().cloned().unwrap_or_default();
        let principal = authenticate(&keys, &parts.headers, &peer).await?;
        parts.extensions.insert(Authenticated(principal.clone()));
        Ok(Caller(principal))
    }
}

/// A partner (its id): the routes partners send messages to.
#[derive(Debug, Clone)]
pub struct Partner(pub String);

impl<S> FromRequestParts<S> for Partner
where
    S: Send + Sync,
    Arc<Keys>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Partner, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller(Principal::Partner(partner)) => Ok(Partner(partner)),
            _ => Err(forbidden("only partners send messages here")),
        }
    }
}

impl Scope for Partner {
    fn scope(&self) -> String {
        self.0.clone()
    }
}

/// An operator: replay, retry-dead, the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct Operator;

impl<S> FromRequestParts<S> for Operator
where
    S: Send + Sync,
    Arc<Keys>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Operator, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller(Principal::Operator) => Ok(Operator),
            _ => Err(forbidden("this needs an operator key")),
        }
    }
}

/// The hub, calling a gateway's `/v1/inbound`.
#[derive(Debug, Clone, Copy)]
pub struct HubCaller;

impl<S> FromRequestParts<S> for HubCaller
where
    S: Send + Sync,
    Arc<Keys>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<HubCaller, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller(Principal::Hub) => Ok(HubCaller),
            _ => Err(forbidden(format!(
                "only the hub sends to {}",
                parts.uri.path()
            ))),
        }
    }
}

impl Scope for HubCaller {
    fn scope(&self) -> String {
        HUB.to_string()
    }
}

/// A country gateway calling the reference hub: its country code, from its
/// credential (never from what a body claims).
#[derive(Debug, Clone)]
pub struct GatewayCountry(pub String);

impl<S> FromRequestParts<S> for GatewayCountry
where
    S: Send + Sync,
    Arc<Keys>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<GatewayCountry, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller(Principal::Gateway(country)) => Ok(GatewayCountry(country)),
            _ => Err(forbidden("only country gateways call the hub")),
        }
    }
}

impl Scope for GatewayCountry {
    fn scope(&self) -> String {
        gateway_destination(&self.0)
    }
}

/// Who calls: the holder of the verified client certificate, else of the API
/// key; then the caller's rate limit.
async fn authenticate(
    keys: &Arc<Keys>,
    headers: &HeaderMap,
    peer: &Peer,
) -> Result<Principal, ApiError> {
    let principal = match &peer.0 {
        Some(identity) => keys.identify(identity).ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "unknown_certificate",
                format!(
                    "the client certificate `{}` is not one of a configured partner, \
                     operator, hub or gateway (client_certs)",
                    identity.subject_text()
                ),
            )
        })?,
        None => {
            let Some(key) = presented_key(headers) else {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "send an API key as `Authorization: Bearer <key>` or `X-Api-Key: <key>`, \
                     or a client certificate",
                ));
            };
            keys.verify(key).await.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "the API key is not valid",
                )
            })?
        }
    };
    if let Err(wait) = keys.admit(&principal) {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("over this caller's rate limit (rate_limit); retry in {seconds} s"),
        );
        e.retry_after = Some(u16::try_from(seconds.max(1)).unwrap_or(u16::MAX));
        return Err(e);
    }
    Ok(principal)
}

/// The presented key, if any.
fn presented_key(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        let (scheme, key) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| key.trim().to_string());
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}
