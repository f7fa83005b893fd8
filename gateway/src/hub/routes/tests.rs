//! The hub's routes through its router: authentication, validation,
//! idempotency keys, metrics and the trace lifecycle.

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn app(dir: &std::path::Path) -> Router {
    super::router(crate::test_support::hub_state(dir).await)
}

async fn call(app: &Router, method: &str, path: &str, key: &str, body: Value) -> (u16, Value) {
    let key = (!key.is_empty()).then_some(key);
    crate::test_support::call(app, method, path, key, &body).await
}

fn header(n: u32) -> Value {
    let id = format!("00000000-0000-4000-8000-{n:012}");
    json!({"message_id": id, "correlation_id": id, "schema_version": "1.0"})
}

fn record(n: u32, owner: &str) -> Value {
    json!({
        "kind": "record",
        "header": header(n),
        "record_id": format!("REC-{n}"),
        "owner_country": owner,
        "owner_agency": format!("{owner}-POL"),
        "action": "create",
        "version": 1,
        "firearm": {"make": "Zastava", "model": "M70", "serial_number": "C-123456",
                    "calibre": "7.62x39mm", "firearm_type": "assault_rifle"},
        "event": {"status": "stolen", "date": "2024-03-07"}
    })
}

fn trace_request(n: u32) -> Value {
    json!({
        "kind": "trace_request",
        "header": header(n),
        "trace_id": "BR-PF-T-1",
        "requesting_country": "BR",
        "requesting_agency": "BR-PF",
        "requested_country": "RS",
        "priority": "urgent",
        "firearm": {"make": "Zastava", "model": "M70", "serial_number": "C-123456",
                    "calibre": "7.62x39mm", "firearm_type": "assault_rifle"},
        "seizure": {"date": "2025-05-23", "place": {"country": "BR", "locality": "Santos"}},
        "questions": ["export", "last_legal_owner"],
        "due_date": "2099-12-31"
    })
}

async fn call_with(
    app: &Router,
    path: &str,
    headers: &[(&str, &str)],
    body: String,
) -> (u16, Option<String>, String) {
    let mut request = Request::builder().method("POST").uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let replay = response
        .headers()
        .get("idempotent-replay")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, replay, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn idempotency_keys_metrics_and_unconfigured_countries() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let auth = ("authorization", "Bearer BR-key");
    let key = ("idempotency-key", "br-batch-1");

    // The same key and request: the first answer again, marked as a replay.
    let body = trace_request(1).to_string();
    let first = call_with(&app, "/v1/traces", &[auth, key], body.clone()).await;
    assert_eq!(first.0, 200, "{}", first.2);
    assert_eq!(first.1, None);
    let again = call_with(&app, "/v1/traces", &[auth, key], body).await;
    assert_eq!((again.0, again.1.as_deref()), (200, Some("true")));
    assert_eq!(again.2, first.2);
    // The same key with another request: 409.
    let other = call_with(
        &app,
        "/v1/traces",
        &[auth, key],
        trace_request(2).to_string(),
    )
    .await;
    assert_eq!(other.0, 409, "{}", other.2);
    assert!(other.2.contains("idempotency_conflict"), "{}", other.2);
    // Keys are scoped per gateway: RS may use the same key for its own request.
    let rs = call_with(
        &app,
        "/v1/records",
        &[("authorization", "Bearer RS-key"), key],
        record(3, "RS").to_string(),
    )
    .await;
    assert_eq!((rs.0, rs.1), (200, None), "{}", rs.2);

    // A trace request for a country without a [[gateway]] is kept, with a warning.
    let mut to_fr = trace_request(4);
    to_fr["trace_id"] = json!("BR-PF-T-2");
    to_fr["requested_country"] = json!("FR");
    let (status, reply) = call(&app, "POST", "/v1/traces", "BR-key", to_fr).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["destination"], "gateway:FR");
    let warning = reply["warnings"][0].as_str().unwrap_or_default();
    assert!(
        warning.contains("no gateway is configured for gateway:FR"),
        "{reply}"
    );
    assert!(first.2.find("warnings").is_none(), "{}", first.2);

    // Metrics: messages per gateway and kind, queue depth per destination.
    let response = app
        .clone()
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = String::from_utf8(
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        text.contains(
            r#"iarms_gateway_messages_in_total{partner="gateway:BR",kind="trace_request"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"iarms_gateway_queue_depth{destination="gateway:FR",state="queued"} 1"#),
        "{text}"
    );
}

#[tokio::test]
async fn authenticates_authorises_validates_and_tracks_traces() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;

    let (status, reply) = call(&app, "POST", "/v1/records", "", record(1, "RS")).await;
    assert_eq!(
        (status, &reply["error"]["code"]),
        (401, &json!("unauthenticated"))
    );
    let (status, reply) = call(&app, "POST", "/v1/records", "RS-key", record(1, "RS")).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["kind"], "record");
    // The caller's country comes from its key, not from the body.
    let (status, reply) = call(&app, "POST", "/v1/records", "BR-key", record(2, "RS")).await;
    assert_eq!(
        (status, &reply["error"]["code"]),
        (403, &json!("forbidden"))
    );
    // Validated before anything is received.
    let mut bad = record(3, "RS");
    bad["firearm"]["calibre"] = json!("");
    bad["event"]["date"] = json!("yesterday");
    let (status, reply) = call(&app, "POST", "/v1/records", "RS-key", bad).await;
    assert_eq!(
        (status, &reply["error"]["code"]),
        (422, &json!("invalid")),
        "{reply}"
    );
    let (status, reply) = call(&app, "POST", "/v1/searches", "RS-key", record(4, "RS")).await;
    assert_eq!(
        (status, &reply["error"]["code"]),
        (422, &json!("wrong_endpoint"))
    );

    // A batch answers one result per message.
    let batch = json!({"messages": [record(1, "RS"), record(5, "RS")]});
    let (status, reply) = call(&app, "POST", "/v1/records", "RS-key", batch).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        reply["results"][0]["stored"]["outcome"],
        json!("duplicate"),
        "{reply}"
    );

    let (status, reply) = call(&app, "POST", "/v1/traces", "BR-key", trace_request(10)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["destination"], "gateway:RS");
    let (status, trace) = call(&app, "GET", "/v1/traces/BR-PF-T-1", "BR-key", Value::Null).await;
    assert_eq!(
        (status, &trace["state"]),
        (200, &json!("submitted")),
        "{trace}"
    );
    let (status, _) = call(&app, "GET", "/v1/traces/BR-PF-T-1", "RS-key", Value::Null).await;
    assert_eq!(status, 200);
    let (status, reply) = call(&app, "GET", "/v1/traces/BR-PF-T-1", "DE-key", Value::Null).await;
    assert_eq!(
        (status, &reply["error"]["code"]),
        (404, &json!("unknown_trace"))
    );
    // A third country gets the same 404 everywhere, as for a trace that does
    // not exist: no 403 naming the two countries (issue 16).
    let third = json!({
        "kind": "trace_response",
        "header": header(12),
        "trace_id": "BR-PF-T-1",
        "responding_country": "DE",
        "responding_agency": "DE-BKA",
        "outcome": "declined",
        "responded_at": "2026-01-01T00:00:00Z"
    });
    for (action, body) in [
        ("acknowledge", Value::Null),
        ("cancel", Value::Null),
        ("responses", third.clone()),
    ] {
        let path = format!("/v1/traces/BR-PF-T-1/{action}");
        let (status, reply) = call(&app, "POST", &path, "DE-key", body.clone()).await;
        let mut unknown_body = body;
        if unknown_body.is_object() {
            unknown_body["trace_id"] = json!("NO-SUCH");
        }
        let path = format!("/v1/traces/NO-SUCH/{action}");
        let (unknown_status, unknown) = call(&app, "POST", &path, "DE-key", unknown_body).await;
        assert_eq!(
            (status, &reply["error"]["code"]),
            (404, &json!("unknown_trace")),
            "{action}: {reply}"
        );
        assert_eq!(
            (status, reply.to_string().replace("BR-PF-T-1", "ID")),
            (unknown_status, unknown.to_string().replace("NO-SUCH", "ID")),
            "{action}"
        );
    }

    let path = "/v1/traces/BR-PF-T-1/acknowledge";
    let (status, reply) = call(&app, "POST", path, "BR-key", Value::Null).await;
    assert_eq!(
        (status, &reply["error"]["code"]),
        (403, &json!("not_asked"))
    );
    let (status, reply) = call(&app, "POST", path, "RS-key", Value::Null).await;
    assert_eq!(status, 200, "{reply}");

    let response = json!({
        "kind": "trace_response",
        "header": header(11),
        "trace_id": "OTHER",
        "responding_country": "RS",
        "responding_agency": "RS-MUP",
        "outcome": "not_found",
        "responded_at": "2026-01-01T00:00:00Z"
    });
    let path = "/v1/traces/BR-PF-T-1/responses";
    let (status, reply) = call(&app, "POST", path, "RS-key", response.clone()).await;
    assert_eq!(
        (status, &reply["error"]["code"]),
        (422, &json!("trace_mismatch"))
    );
    let mut response = response;
    response["trace_id"] = json!("BR-PF-T-1");
    let (status, reply) = call(&app, "POST", path, "RS-key", response).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["destination"], "gateway:BR");
    let (_, trace) = call(&app, "GET", "/v1/traces/BR-PF-T-1", "BR-key", Value::Null).await;
    assert_eq!(trace["state"], "answered", "{trace}");
    let (status, reply) = call(
        &app,
        "POST",
        "/v1/traces/BR-PF-T-1/cancel",
        "BR-key",
        Value::Null,
    )
    .await;
    assert_eq!(status, 409, "{reply}");

    let (status, _) = call(&app, "GET", "/healthz", "", Value::Null).await;
    assert_eq!(status, 200);
    let (status, _) = call(&app, "GET", "/nowhere", "RS-key", Value::Null).await;
    assert_eq!(status, 404);
}

/// The router serves exactly the routes of the document it serves.
#[tokio::test]
async fn routes_and_document_are_one() {
    let dir = tempfile::tempdir().unwrap();
    let (router, document) =
        super::router_and_document(crate::test_support::hub_state(dir.path()).await);
    crate::http::door::assert_serves_its_document(&router, &document).await;
    let served = crate::http::openapi::documented_routes(&document);
    let expected: std::collections::BTreeSet<(String, String)> = [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("POST", "/v1/records"),
        ("POST", "/v1/searches"),
        ("POST", "/v1/traces"),
        ("POST", "/v1/hits"),
        ("GET", "/v1/traces/{id}"),
        ("POST", "/v1/traces/{id}/responses"),
        ("POST", "/v1/traces/{id}/acknowledge"),
        ("POST", "/v1/traces/{id}/cancel"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(served, expected);
}

/// A batch of records is settled per record: an invalid one and one of
/// another country are refused with their own status, the others are stored
/// and applied to the register.
#[tokio::test]
async fn a_batch_of_records_answers_each_record_by_its_own_result() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let mut invalid = record(2, "RS");
    invalid["version"] = json!(0);
    let mut update = record(1, "RS");
    update["header"] = header(4);
    update["action"] = json!("update");
    update["version"] = json!(2);
    let batch = json!({"messages": [record(1, "RS"), invalid, record(3, "BR"), update]});
    let (status, reply) = call(&app, "POST", "/v1/records", "RS-key", batch).await;
    let results = reply["results"].as_array().expect("results");
    assert_eq!(results.len(), 4, "{reply}");
    // The request's status is its first refusal's.
    assert_eq!(status, 422, "{reply}");
    assert_eq!(results[0]["register"]["outcome"], "created", "{reply}");
    assert_eq!(results[1]["error"]["code"], "invalid", "{reply}");
    assert_eq!(results[1]["error"]["status"], 422, "{reply}");
    assert_eq!(results[2]["error"]["code"], "forbidden", "{reply}");
    assert_eq!(results[2]["error"]["status"], 403, "{reply}");
    // A later version in the same batch applies after the first.
    assert_eq!(results[3]["register"]["outcome"], "updated", "{reply}");
    assert_eq!(results[3]["register"]["previous_version"], 1, "{reply}");
    // Resent whole: the stored ones are duplicates, nothing is applied twice.
    let (_, again) = call(
        &app,
        "POST",
        "/v1/records",
        "RS-key",
        json!({"messages": [record(1, "RS")]}),
    )
    .await;
    assert_eq!(
        again["results"][0]["stored"]["outcome"], "duplicate",
        "{again}"
    );
    assert_eq!(
        again["results"][0]["register"]["outcome"], "stale",
        "{again}"
    );
}
