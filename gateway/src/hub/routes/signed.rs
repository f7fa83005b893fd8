//! What a country gateway posts to the hub, authenticated and, when the hub
//! knows the gateway's public key (`[[gateway]] public_key`), signed: the
//! extractor refuses a request without the gateway's valid HTTP message
//! signature (RFC 9421, [`crate::signature`]) with 401 `bad_signature`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};

use super::HubRouter;
use crate::http::auth::GatewayCountry;
use crate::http::signed::require_signature;

/// The calling gateway's country and the request body it signed.
pub(super) struct Signed {
    pub(super) country: String,
    pub(super) body: Bytes,
    /// The verified signature, kept with what the request carries (`None`:
    /// the hub knows no key of that gateway).
    pub(super) evidence: Option<String>,
}

impl FromRequest<HubRouter> for Signed {
    type Rejection = Response;

    async fn from_request(request: Request, state: &HubRouter) -> Result<Signed, Response> {
        let (mut parts, body) = request.into_parts();
        let GatewayCountry(country) = GatewayCountry::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let method = parts.method.as_str().to_string();
        let path = parts.uri.path().to_string();
        let headers = parts.headers.clone();
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let key = state
            .0
            .config
            .gateway(&country)
            .and_then(|g| g.public_key.as_ref());
        let evidence = require_signature(key, &method, &path, &headers, &body)
            .map_err(IntoResponse::into_response)?;
        Ok(Signed {
            country,
            body,
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{HeaderMap, Request};
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use crate::audit::SigningKey;
    use crate::hub::state::HubState;
    use crate::signature::{now_secs, sign_request};

    fn record(n: u32, owner: &str) -> Value {
        let id = format!("00000000-0000-4000-8000-{n:012}");
        json!({
            "kind": "record",
            "header": {"message_id": id, "correlation_id": id, "schema_version": "1.0"},
            "record_id": format!("REC-{n}"),
            "owner_country": owner,
            "owner_agency": format!("{owner}-POL"),
            "action": "create",
            "version": 1,
            "firearm": {"make": "Zastava", "serial_number": "C-123456"},
            "event": {"status": "stolen", "date": "2024-03-07"}
        })
    }

    async fn post(
        app: &axum::Router,
        key: &str,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> (u16, Value) {
        let mut request = Request::builder()
            .method("POST")
            .uri("/v1/records")
            .header("authorization", format!("Bearer {key}"));
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::from(body)).expect("request"))
            .await
            .expect("response");
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn plain() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/json".parse().expect("value"));
        headers
    }

    fn signed(body: &[u8], key: &SigningKey) -> HeaderMap {
        let mut headers = plain();
        sign_request("POST", "/v1/records", &mut headers, body, key, now_secs()).expect("sign");
        headers
    }

    /// Issue 16: a gateway whose public key the hub knows must sign what it
    /// sends; unsigned, wrongly signed or altered on the way: 401.
    #[tokio::test]
    async fn the_hub_refuses_unsigned_and_badly_signed_gateway_messages() {
        let dir = tempfile::tempdir().expect("dir");
        let base = crate::test_support::hub_state(dir.path()).await;
        let rs = SigningKey::generate().expect("key");
        let mut config = base.config.clone();
        config.gateways[0].public_key = Some(rs.public());
        assert_eq!(config.gateways[0].country, "RS");
        let app =
            super::super::router(std::sync::Arc::new(HubState::new(config, base.hub.clone())));

        let body = record(1, "RS").to_string().into_bytes();
        let (status, reply) = post(&app, "RS-key", plain(), body.clone()).await;
        assert_eq!(status, 401, "{reply}");
        assert_eq!(reply["error"]["code"], "bad_signature", "{reply}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("not signed")),
            "{reply}"
        );

        let insider = SigningKey::generate().expect("key");
        let (status, reply) = post(&app, "RS-key", signed(&body, &insider), body.clone()).await;
        assert_eq!(
            (status, &reply["error"]["code"]),
            (401, &json!("bad_signature"))
        );

        let altered = record(1, "RS").to_string().replace("C-123456", "C-999999");
        let (status, reply) = post(&app, "RS-key", signed(&body, &rs), altered.into_bytes()).await;
        assert_eq!(status, 401, "{reply}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("Content-Digest")),
            "{reply}"
        );

        let (status, reply) = post(&app, "RS-key", signed(&body, &rs), body).await;
        assert_eq!(status, 200, "{reply}");

        // A gateway whose key the hub does not know is not asked to sign.
        let br = record(2, "BR").to_string().into_bytes();
        let (status, reply) = post(&app, "BR-key", plain(), br).await;
        assert_eq!(status, 200, "{reply}");
    }
}
