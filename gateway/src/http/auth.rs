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
//!
//! A request that presents an API key is authenticated by a layer around every
//! route but the probes ([`authenticate_first`]), from its headers alone: a
//! wrong key is refused before any byte of the body is read (so no `100
//! Continue` is sent to it); the extractors then read the principal the layer
//! kept. A request without a key is refused by the route's extractor,
//! which also runs before the body.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{forbidden, ApiError};
use super::idempotency::Scope;
use super::keys::{Keys, Refusal};
use super::serve::{Peer, Remote};
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
        authenticate_parts(&keys, parts).await.map(Caller)
    }
}

/// The layer that authenticates a request presenting an API key before its
/// handler, guard or body ([`super::door::FrontDoor::routes`]).
pub async fn authenticate_first(
    State(keys): State<Arc<Keys>>,
    request: Request,
    next: Next,
) -> Response {
    let has_certificate = request
        .extensions()
        .get::<Peer>()
        .is_some_and(|p| p.0.is_some());
    // A client certificate is checked by the extractors (no argon2, and the
    // probes stay open to any certificate holder).
    if has_certificate || presented_key(request.headers()).is_none() {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    if let Err(e) = authenticate_parts(&keys, &mut parts).await {
        return e.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Authenticates the request of `parts` and keeps the principal in its extensions.
async fn authenticate_parts(keys: &Arc<Keys>, parts: &mut Parts) -> Result<Principal, ApiError> {
    let peer = parts.extensions.get::<Peer>().cloned().unwrap_or_default();
    let from = parts.extensions.get::<Remote>().map(|r| r.0.ip());
    let principal = authenticate(keys, &parts.headers, &peer, from).await?;
    parts.extensions.insert(Authenticated(principal.clone()));
    Ok(principal)
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
    from: Option<std::net::IpAddr>,
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
                if let Err(wait) = keys.admit_stranger(from) {
                    return Err(too_many(wait).await);
                }
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "send an API key as `Authorization: Bearer <key>` or `X-Api-Key: <key>`, \
                     or a client certificate",
                ));
            };
            match keys.verify(key, from).await {
                Ok(principal) => principal,
                Err(Refusal::Unknown) => {
                    return Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "unauthenticated",
                        "the API key is not valid",
                    ))
                }
                Err(Refusal::Busy) => {
                    let mut e = ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "busy",
                        "every key verification slot is taken; retry in a second",
                    );
                    e.retry_after = Some(1);
                    return Err(e);
                }
                Err(Refusal::TooMany(wait)) => return Err(too_many(wait).await),
            }
        }
    };
    if let Err(wait) = keys.admit(&principal) {
        let seconds = whole_seconds(wait);
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

fn whole_seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// How long an address over its quota waits for its 429: a client that
/// retries as soon as it is answered is slowed to a few requests a second per
/// connection (and its connections are bounded), so that the refusals
/// themselves cannot take the CPU from the callers who hold keys.
const TARPIT: std::time::Duration = std::time::Duration::from_millis(250);

/// The source address is over its quota of unauthenticated requests.
async fn too_many(wait: std::time::Duration) -> ApiError {
    tokio::time::sleep(TARPIT.min(wait)).await;
    let seconds = whole_seconds(wait).max(1);
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_unauthenticated",
        format!(
            "too many requests without a valid credential from this address; retry in {seconds} s"
        ),
    );
    e.retry_after = Some(u16::try_from(seconds).unwrap_or(u16::MAX));
    e
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
