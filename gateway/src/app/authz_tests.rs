//! Deny by default, table-driven: every route of the gateway's router and of
//! the hub's is tried with every wrong identity (no credential, an unknown key,
//! another partner, the hub's key on partner routes, a partner on operator
//! routes, another country's gateway at the hub); each must be refused with
//! 401, 403 or 404 (404 where existence must not leak). The table must name
//! every route of the gateway's document (which is its router's, see
//! `http::door`), so that no route can be added without its row.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use serde_json::{json, Value};

use crate::config::Config;
use crate::http::keys::hash_key;
use crate::http::openapi::documented_routes;
use crate::shared::Shared;
use crate::test_support::call;

const OPS: &str = "ops-key";
const RS: &str = "rs-key";
const BR: &str = "br-key";
const HUB: &str = "hub-key";
const UNKNOWN: &str = "nobody-key";

/// Who may call a route: the identities that must be refused are all the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowed {
    /// No credential needed.
    Public,
    /// Any partner (the owner check is per record).
    Partners,
    /// The partner `rs` only (its own path, messages or traces).
    PartnerRs,
    /// Operators and the partner `rs`.
    OperatorOrRs,
    /// Operators and every partner (each sees its own).
    OperatorOrPartners,
    Operator,
    Hub,
}

/// The gateway's router, its document, and what its roads share.
async fn gateway(dir: &Path) -> (Router, utoipa::openapi::OpenApi, Arc<Shared>) {
    gateway_with(dir, "", "").await
}

/// [`gateway`], with more keys in `[gateway]` and in partner `br`.
async fn gateway_with(
    dir: &Path,
    gateway_keys: &str,
    br_keys: &str,
) -> (Router, utoipa::openapi::OpenApi, Arc<Shared>) {
    let text = format!(
        r#"[gateway]
country = "RS"
agency = "MUP"
listen = "127.0.0.1:0"
operator_key_hashes = ["{ops}"]
{gateway_keys}

[store]
url = "gateway.db"

[hub]
url = "http://127.0.0.1:9"
inbound_key_hashes = ["{hub}"]

[[partner]]
id = "rs"
format = "iarms-json"
api_key_hashes = ["{rs}"]
owner_agencies = ["RS-MUP"]
outbound = {{ directory = "out-rs" }}

[[partner]]
id = "br"
format = "iarms-json"
api_key_hashes = ["{br}"]
{br_keys}
"#,
        ops = hash_key(OPS).unwrap(),
        hub = hash_key(HUB).unwrap(),
        rs = hash_key(RS).unwrap(),
        br = hash_key(BR).unwrap(),
    );
    let (config, registry) = Config::parse(&text, &dir.join("gateway.toml")).unwrap();
    let store = crate::store::open(&config.store_url).await.unwrap();
    let shared = Arc::new(Shared::new(config, registry, store));
    let (router, document) = crate::api::router_and_document(Arc::clone(&shared));
    (router, document, shared)
}

fn header(n: u32) -> Value {
    let id = format!("00000000-0000-4000-8000-{n:012}");
    json!({"message_id": id, "correlation_id": id, "schema_version": "1.0"})
}

fn record(n: u32, country: &str, agency: &str) -> Value {
    json!({
        "kind": "record",
        "header": header(n),
        "record_id": format!("REC-{n}"),
        "owner_country": country,
        "owner_agency": agency,
        "action": "create",
        "firearm": {"make": "Zastava", "model": "M70", "serial_number": format!("C-{n}"),
                    "calibre": "7.62x39mm", "firearm_type": "assault_rifle"},
        "event": {"status": "stolen", "date": "2024-03-07"}
    })
}

fn trace_request(n: u32, trace_id: &str, requesting: &str, requested: &str) -> Value {
    json!({
        "kind": "trace_request",
        "header": header(n),
        "trace_id": trace_id,
        "requesting_country": requesting,
        "requesting_agency": format!("{requesting}-MUP"),
        "requested_country": requested,
        "firearm": {"make": "Zastava", "model": "M70", "serial_number": "C-123456",
                    "calibre": "7.62x39mm", "firearm_type": "assault_rifle"},
        "seizure": {"date": "2025-05-23", "place": {"country": requesting, "locality": "Novi Sad"}},
        "questions": ["export"],
        "due_date": "2099-12-31"
    })
}

/// Every identity, by name, with the key it presents.
const IDENTITIES: &[(&str, Option<&str>)] = &[
    ("none", None),
    ("unknown key", Some(UNKNOWN)),
    ("operator", Some(OPS)),
    ("partner rs", Some(RS)),
    ("partner br", Some(BR)),
    ("hub", Some(HUB)),
];

fn allowed(rule: Allowed, identity: &str) -> bool {
    match rule {
        Allowed::Public => true,
        Allowed::Partners => identity.starts_with("partner"),
        Allowed::PartnerRs => identity == "partner rs",
        Allowed::OperatorOrRs => identity == "operator" || identity == "partner rs",
        Allowed::OperatorOrPartners => identity == "operator" || identity.starts_with("partner"),
        Allowed::Operator => identity == "operator",
        Allowed::Hub => identity == "hub",
    }
}

/// One request with a body that arrives in chunks (no `Content-Length`), so that
/// only reading it finds it over the limit.
async fn streamed(app: &Router, path: &str, key: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    use tower::ServiceExt;
    let chunk = futures_util::stream::once(async move {
        Ok::<_, std::io::Error>(axum::body::Bytes::from(body))
    });
    let mut request = axum::http::Request::post(path);
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let request = request.body(axum::body::Body::from_stream(chunk)).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A stranger is refused before its body is read; a partner's over-long body
/// is then refused by the limit.
#[tokio::test]
async fn strangers_are_refused_before_their_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _, _) = gateway_with(dir.path(), "body_limit_mib = 1", "").await;
    let big = vec![b' '; 2 << 20];
    for key in [None, Some(UNKNOWN), Some(OPS)] {
        let (status, reply) = streamed(&app, "/v1/records", key, big.clone()).await;
        assert!([401, 403].contains(&status), "{key:?}: {status} {reply}");
    }
    let (status, reply) = streamed(&app, "/v1/records", Some(RS), big).await;
    assert_eq!(status, 413, "{reply}");
    assert_eq!(reply["error"]["code"], "body_too_large", "{reply}");
}

/// A request is authenticated once, whether the idempotency layer or the
/// handler asks first: with a burst of one, one request passes, the next waits.
#[tokio::test]
async fn a_request_counts_once_against_its_rate_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _, _) =
        gateway_with(dir.path(), "", "rate_limit = { per_second = 1, burst = 1 }").await;
    let send = |key: &'static str| {
        let app = app.clone();
        async move {
            let request = axum::http::Request::post("/v1/searches")
                .header("authorization", format!("Bearer {BR}"))
                .header("idempotency-key", key)
                .body(axum::body::Body::from("{}"))
                .unwrap();
            let response = tower::ServiceExt::oneshot(app, request).await.unwrap();
            response.status().as_u16()
        }
    };
    // `{}` is no message: a 422 report, past the limiter.
    assert_eq!(send("first").await, 422);
    assert_eq!(send("second").await, 429);
}

/// The gateway's router serves exactly the routes of the document it serves,
/// and the document names both ways of presenting a key.
#[tokio::test]
async fn the_gateway_router_and_its_document_are_one() {
    let dir = tempfile::tempdir().unwrap();
    let (app, document, _) = gateway(dir.path()).await;
    crate::http::door::assert_serves_its_document(&app, &document).await;
    let (status, served) = call(&app, "GET", "/openapi.json", None, &Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(served, serde_json::to_value(&document).unwrap());
    let schemes = &served["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["name"], "X-Api-Key");
}

#[tokio::test]
async fn every_gateway_route_refuses_every_wrong_identity() {
    let dir = tempfile::tempdir().unwrap();
    let (app, document, _shared) = gateway(dir.path()).await;

    // A message of `rs` and a trace it requested, so that other callers have
    // something to be refused.
    let (status, reply) = call(
        &app,
        "POST",
        "/v1/records",
        Some(RS),
        &record(1, "RS", "RS-MUP"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let message_id = reply["results"][0]["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, reply) = call(
        &app,
        "POST",
        "/v1/traces",
        Some(RS),
        &trace_request(2, "RS-MUP-T-1", "RS", "BR"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    // A trace request from the hub, passed on to `rs` (which may acknowledge it).
    let (status, reply) = call(
        &app,
        "POST",
        "/v1/inbound",
        Some(HUB),
        &trace_request(3, "BR-PF-T-1", "BR", "RS"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");

    let rows: &[(&str, &str, &str, Allowed, Value)] = &[
        ("GET", "/healthz", "/healthz", Allowed::Public, Value::Null),
        ("GET", "/readyz", "/readyz", Allowed::Public, Value::Null),
        ("GET", "/metrics", "/metrics", Allowed::Public, Value::Null),
        (
            "GET",
            "/openapi.json",
            "/openapi.json",
            Allowed::Public,
            Value::Null,
        ),
        (
            "POST",
            "/v1/partners/{partner}/messages",
            "/v1/partners/rs/messages",
            Allowed::PartnerRs,
            record(10, "RS", "RS-MUP"),
        ),
        (
            "POST",
            "/v1/records",
            "/v1/records",
            Allowed::Partners,
            record(11, "RS", "RS-MUP"),
        ),
        (
            "POST",
            "/v1/searches",
            "/v1/searches",
            Allowed::Partners,
            json!({}),
        ),
        (
            "POST",
            "/v1/traces",
            "/v1/traces",
            Allowed::Partners,
            json!({}),
        ),
        (
            "GET",
            "/v1/traces/{id}",
            "/v1/traces/RS-MUP-T-1",
            Allowed::OperatorOrRs,
            Value::Null,
        ),
        (
            "POST",
            "/v1/traces/{id}/responses",
            // Answered only by a party (here `rs`, which the request was
            // passed on to); the body names the trace, so that the route's
            // trace_mismatch check passes and the party check answers.
            "/v1/traces/BR-PF-T-1/responses",
            Allowed::PartnerRs,
            json!({"trace_id": "BR-PF-T-1"}),
        ),
        (
            "POST",
            "/v1/traces/{id}/acknowledge",
            "/v1/traces/BR-PF-T-1/acknowledge",
            Allowed::OperatorOrRs,
            Value::Null,
        ),
        (
            "POST",
            "/v1/traces/{id}/cancel",
            "/v1/traces/RS-MUP-T-1/cancel",
            Allowed::OperatorOrRs,
            Value::Null,
        ),
        (
            "GET",
            "/v1/audit",
            "/v1/audit",
            Allowed::Operator,
            Value::Null,
        ),
        (
            "POST",
            "/v1/inbound",
            "/v1/inbound",
            Allowed::Hub,
            json!({}),
        ),
        (
            "GET",
            "/v1/messages",
            "/v1/messages",
            Allowed::OperatorOrPartners,
            Value::Null,
        ),
        (
            "GET",
            "/v1/messages/{id}",
            &format!("/v1/messages/{message_id}"),
            Allowed::OperatorOrRs,
            Value::Null,
        ),
        (
            "POST",
            "/v1/messages/{id}/replay",
            &format!("/v1/messages/{message_id}/replay"),
            Allowed::Operator,
            Value::Null,
        ),
        (
            "POST",
            "/v1/deliveries/retry-dead",
            "/v1/deliveries/retry-dead",
            Allowed::Operator,
            Value::Null,
        ),
    ];

    let table: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.0.to_string(), r.1.to_string()))
        .collect();
    let routes = documented_routes(&document);
    assert_eq!(table, routes, "every route needs its row in this table");

    for (method, _, path, rule, body) in rows {
        for (identity, key) in IDENTITIES {
            let (status, reply) = call(&app, method, path, *key, body).await;
            if allowed(*rule, identity) {
                assert!(
                    ![401, 403].contains(&status),
                    "{method} {path} as {identity}: refused {status} {reply}"
                );
                if *rule != Allowed::Public && *identity != "operator" {
                    // The visible object really is there for its owner.
                    assert_ne!(status, 404, "{method} {path} as {identity}: {reply}");
                }
            } else {
                assert!(
                    [401, 403, 404].contains(&status),
                    "{method} {path} as {identity}: answered {status} {reply}"
                );
                assert!(
                    reply["error"]["code"].is_string(),
                    "{method} {path} as {identity}: {reply}"
                );
            }
        }
    }
}

#[tokio::test]
async fn partners_submit_only_for_their_owner_and_country() {
    let dir = tempfile::tempdir().unwrap();
    let (app, _, _) = gateway(dir.path()).await;
    let batch = json!({"messages": [
        record(1, "RS", "RS-MUP"),
        record(2, "RS", "RS-BIA"),
        record(3, "BR", "BR-PF"),
        trace_request(4, "BR-PF-T-9", "BR", "RS"),
    ]});
    let (status, reply) = call(&app, "POST", "/v1/records", Some(RS), &batch).await;
    assert_eq!(status, 422, "{reply}");
    let outcomes: Vec<&str> = reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["accepted", "rejected", "rejected", "rejected"],
        "{reply}"
    );
    for (i, field) in [(1, "owner_agency"), (2, "owner_country")] {
        let error = &reply["results"][i]["errors"][0];
        assert_eq!(error["code"], "forbidden", "{reply}");
        assert!(
            error["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("forbidden_owner")
                || error.to_string().contains("forbidden_owner"),
            "{reply}"
        );
        assert!(error.to_string().contains(field), "{reply}");
    }
    // A partner without owner_agencies may submit no record at all.
    let (status, reply) = call(
        &app,
        "POST",
        "/v1/records",
        Some(BR),
        &record(5, "RS", "RS-MUP"),
    )
    .await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["results"][0]["outcome"], "rejected", "{reply}");
    // Trace requests must come from our country.
    let (status, reply) = call(
        &app,
        "POST",
        "/v1/traces",
        Some(RS),
        &trace_request(6, "BR-PF-T-10", "BR", "RS"),
    )
    .await;
    assert_eq!(status, 422, "{reply}");
    assert!(reply.to_string().contains("requesting_country"), "{reply}");
}

mod hub {
    use super::*;

    async fn hub(dir: &Path) -> Router {
        crate::hub::routes::router(crate::test_support::hub_state(dir).await)
    }

    /// Every hub route: none and an unknown key get 401 everywhere; another
    /// country's gateway gets 403 on messages of RS and 404 on RS's trace.
    #[tokio::test]
    async fn every_hub_route_refuses_every_wrong_identity() {
        let dir = tempfile::tempdir().unwrap();
        let app = hub(dir.path()).await;
        let (status, reply) = call(
            &app,
            "POST",
            "/v1/traces",
            Some("RS-key"),
            &trace_request(1, "RS-MUP-T-1", "RS", "BR"),
        )
        .await;
        assert_eq!(status, 200, "{reply}");

        let authenticated: &[(&str, &str, Value)] = &[
            ("POST", "/v1/records", record(2, "RS", "RS-MUP")),
            ("POST", "/v1/searches", json!({})),
            (
                "POST",
                "/v1/traces",
                trace_request(3, "RS-MUP-T-2", "RS", "BR"),
            ),
            ("POST", "/v1/hits", json!({})),
            ("GET", "/v1/traces/RS-MUP-T-1", Value::Null),
            ("POST", "/v1/traces/RS-MUP-T-1/responses", json!({})),
            ("POST", "/v1/traces/RS-MUP-T-1/acknowledge", Value::Null),
            ("POST", "/v1/traces/RS-MUP-T-1/cancel", Value::Null),
        ];
        for (method, path, body) in authenticated {
            for key in [None, Some(UNKNOWN), Some(OPS)] {
                let (status, reply) = call(&app, method, path, key, body).await;
                assert_eq!(status, 401, "{method} {path} with {key:?}: {reply}");
            }
        }
        // Another country's gateway: RS's records and traces are not its own.
        // (BR is the requested country of RS-MUP-T-1, so DE is the stranger.)
        let strangers: &[(&str, &str, Value, &[u16])] = &[
            ("POST", "/v1/records", record(4, "RS", "RS-MUP"), &[403]),
            (
                "POST",
                "/v1/traces",
                trace_request(5, "RS-MUP-T-3", "RS", "BR"),
                &[403],
            ),
            ("GET", "/v1/traces/RS-MUP-T-1", Value::Null, &[404]),
            (
                "POST",
                "/v1/traces/RS-MUP-T-1/acknowledge",
                Value::Null,
                &[403, 404],
            ),
            (
                "POST",
                "/v1/traces/RS-MUP-T-1/cancel",
                Value::Null,
                &[403, 404],
            ),
            ("POST", "/v1/hits", json!({}), &[403, 422]),
        ];
        for (method, path, body, expected) in strangers {
            let (status, reply) = call(&app, method, path, Some("DE-key"), body).await;
            assert!(
                expected.contains(&status),
                "{method} {path} as DE: {status} {reply}"
            );
        }
        // The parties themselves are let through.
        let (status, reply) = call(
            &app,
            "GET",
            "/v1/traces/RS-MUP-T-1",
            Some("BR-key"),
            &Value::Null,
        )
        .await;
        assert_eq!(status, 200, "{reply}");
        let (status, reply) = call(
            &app,
            "GET",
            "/v1/traces/RS-MUP-T-1",
            Some("RS-key"),
            &Value::Null,
        )
        .await;
        assert_eq!(status, 200, "{reply}");
    }
}
