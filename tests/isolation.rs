//! Black-box tests of partner isolation (issue 16): a partner cannot hide
//! another sender's message behind its message id, cannot see or move a trace
//! it is no party to, and query strings are refused as JSON after the caller is
//! known. The binary runs on an ephemeral port against a fake hub in the test.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing;
use axum::Router;
use serde_json::{json, Value};
use support::load::record;
use support::service::{cheap_hash, start, Process};
use support::wait::wait_until;

const KEY_RS: &str = "rs-partner-key";
const KEY_VO: &str = "vo-partner-key";
const KEY_DESK: &str = "desk-partner-key";
const KEY_OPS: &str = "operator-key";
const KEY_HUB: &str = "hub-calls-us-key";

/// A fake hub: keeps (message id, body) of every POST, and its path, and answers 202.
#[derive(Clone, Default)]
struct FakeHub {
    received: Arc<Mutex<Vec<(String, Value)>>>,
    paths: Arc<Mutex<Vec<String>>>,
}

impl FakeHub {
    async fn start() -> (FakeHub, String) {
        let hub = FakeHub::default();
        let state = hub.clone();
        let app = Router::new().fallback(routing::post(
            move |uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    state.paths.lock().unwrap().push(uri.path().to_string());
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    // A `{"messages": [...]}` batch, as the forwarder sends:
                    // each message kept by its own id, answered in `results`.
                    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
                        let mut got = state.received.lock().unwrap();
                        let results: Vec<Value> = messages
                            .iter()
                            .map(|m| {
                                let id = m["header"]["message_id"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_string();
                                got.push((id.clone(), m.clone()));
                                json!({ "message_id": id })
                            })
                            .collect();
                        return (StatusCode::OK, json!({ "results": results }).to_string());
                    }
                    let id = headers
                        .get("x-message-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    state.received.lock().unwrap().push((id.clone(), body));
                    (
                        StatusCode::ACCEPTED,
                        json!({ "message_id": id }).to_string(),
                    )
                }
            },
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (hub, url)
    }

    fn received(&self) -> Vec<(String, Value)> {
        self.received.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

/// A gateway of RS with partners `rs` (agency RS-MUP), `vo` (RS-VOJ) and
/// `desk` (fed through an outbox folder: it takes what the hub sends).
async fn gateway(hub_url: &str) -> Process {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        r#"[gateway]
country = "RS"
agency = "RS-MUP"
listen = "127.0.0.1:0"
operator_key_hashes = ["{ops}"]

[store]
url = "gateway.db"

[hub]
url = "{hub_url}"
inbound_key_hashes = ["{hub}"]
retry = {{ max_attempts = 50, initial_backoff = "100ms", max_backoff = "300ms" }}

[forward]
poll_interval = "20ms"

[[partner]]
id = "rs"
format = "iarms-json"
api_key_hashes = ["{rs}"]
owner_agencies = ["RS-MUP"]

[[partner]]
id = "vo"
format = "iarms-json"
api_key_hashes = ["{vo}"]
owner_agencies = ["RS-VOJ"]

[[partner]]
id = "desk"
format = "iarms-json"
api_key_hashes = ["{desk}"]
outbound = {{ directory = "outbox-desk" }}
"#,
        ops = cheap_hash(KEY_OPS),
        hub = cheap_hash(KEY_HUB),
        rs = cheap_hash(KEY_RS),
        vo = cheap_hash(KEY_VO),
        desk = cheap_hash(KEY_DESK),
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    start(&["serve"], dir).await
}

/// (status, content type, JSON body or the text as a JSON string).
async fn call(
    method: reqwest::Method,
    url: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> (u16, String, Value) {
    let mut request = reqwest::Client::new().request(method, url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, content_type, body)
}

async fn post(url: &str, key: &str, body: &Value) -> (u16, Value) {
    let (status, _, body) = call(
        reqwest::Method::POST,
        url,
        Some(key),
        &[],
        Some(body.to_string()),
    )
    .await;
    (status, body)
}

async fn get(url: &str, key: &str) -> (u16, Value) {
    let (status, _, body) = call(reqwest::Method::GET, url, Some(key), &[], None).await;
    (status, body)
}

/// `record(id, 1)` of agency `agency` under message id `message_id`.
fn record_of(agency: &str, record_id: &str, message_id: &str) -> Value {
    let mut r = record(record_id, 1);
    r["owner_agency"] = json!(agency);
    r["header"] =
        json!({"message_id": message_id, "correlation_id": message_id, "schema_version": "1.0"});
    r
}

fn id(n: u32) -> String {
    format!("5e1f0000-0000-4000-8000-{n:012}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_senders_message_id_is_a_conflict_that_hides_nothing() {
    let (hub, hub_url) = FakeHub::start().await;
    let gw = gateway(&hub_url).await;
    let records = format!("{}/v1/records", gw.url);

    // rs stores its record; vo then posts its own record under rs's id, in a
    // batch beside a fresh record of its own.
    let genuine = record_of("RS-MUP", "R-1", &id(1));
    let (status, reply) = post(&records, KEY_RS, &genuine).await;
    assert_eq!((status, &reply["accepted"]), (200, &json!(1)), "{reply}");
    let squat = record_of("RS-VOJ", "V-1", &id(1));
    let fresh = record_of("RS-VOJ", "V-2", &id(2));
    let (status, reply) = post(&records, KEY_VO, &json!({ "messages": [fresh, squat] })).await;
    assert_eq!(status, 409, "{reply}");
    assert_eq!(reply["error"]["code"], "message_id_conflict", "{reply}");
    assert_eq!(reply["error"]["location"]["record"], 2, "{reply}");
    // Nothing of vo's batch is stored; rs's message stands, from rs.
    let (status, _) = get(&format!("{}/v1/messages/{}", gw.url, id(2)), KEY_OPS).await;
    assert_eq!(status, 404);
    let (status, view) = get(&format!("{}/v1/messages/{}", gw.url, id(1)), KEY_OPS).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["message"]["source_partner"], "rs", "{view}");

    // The same sender's other content under the same id is a conflict too; its
    // resend of the same record is still a duplicate.
    let mut changed = genuine.clone();
    changed["firearm"]["model"] = json!("M88");
    let (status, reply) = post(&records, KEY_RS, &changed).await;
    assert_eq!(status, 409, "{reply}");
    assert_eq!(reply["error"]["code"], "message_id_conflict");
    let (status, reply) = post(&records, KEY_RS, &genuine).await;
    assert_eq!((status, &reply["duplicates"]), (200, &json!(1)), "{reply}");

    // vo's own records, sent again without the squat, are stored and forwarded.
    let (status, reply) = post(&records, KEY_VO, &record_of("RS-VOJ", "V-2", &id(2))).await;
    assert_eq!((status, &reply["accepted"]), (200, &json!(1)), "{reply}");

    // A partner that squats an id first makes the later sender's post a
    // conflict, never a silent `duplicate`: here the hub's trace request.
    let (status, reply) = post(&records, KEY_VO, &record_of("RS-VOJ", "V-3", &id(3))).await;
    assert_eq!(status, 200, "{reply}");
    let request = json!({
        "kind": "trace_request",
        "header": {"message_id": id(3), "correlation_id": id(3), "schema_version": "1.0"},
        "trace_id": "BR-PF-T-1",
        "requesting_country": "BR",
        "requesting_agency": "BR-PF",
        "requested_country": "RS",
        "firearm": {"make": "Taurus", "serial_number": "TBR-1", "calibre": "9x19mm"},
        "seizure": {"date": "2026-01-05"},
        "questions": ["manufacture"]
    });
    let (status, reply) = post(&format!("{}/v1/inbound", gw.url), KEY_HUB, &request).await;
    assert_eq!(status, 409, "{reply}");
    assert_eq!(reply["error"]["code"], "message_id_conflict", "{reply}");

    // The hub got rs's record (its body, not vo's), and vo's two, once each.
    wait_until(Duration::from_secs(15), "three messages at the hub", || {
        let done = hub.received().len() >= 3;
        async move { done }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = hub.received();
    let mut ids: Vec<&str> = got.iter().map(|(i, _)| i.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [id(1), id(2), id(3)], "{got:?}");
    let first = got.iter().find(|(i, _)| *i == id(1)).unwrap();
    assert_eq!(first.1["owner_agency"], "RS-MUP", "{first:?}");
    assert_eq!(first.1["firearm"]["model"], "M70", "{first:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_are_each_senders_own() {
    let (_hub, hub_url) = FakeHub::start().await;
    let gw = gateway(&hub_url).await;
    let records = format!("{}/v1/records", gw.url);
    let key = [("idempotency-key", "batch-1")];
    let mine = record_of("RS-MUP", "R-9", &id(9));
    let theirs = record_of("RS-VOJ", "V-9", &id(10));
    let (status, _, first) = call(
        reqwest::Method::POST,
        &records,
        Some(KEY_RS),
        &key,
        Some(mine.to_string()),
    )
    .await;
    assert_eq!((status, &first["accepted"]), (200, &json!(1)), "{first}");
    // Another sender's request under the same key is its own request: neither
    // the first answer replayed nor an idempotency conflict.
    let (status, _, other) = call(
        reqwest::Method::POST,
        &records,
        Some(KEY_VO),
        &key,
        Some(theirs.to_string()),
    )
    .await;
    assert_eq!((status, &other["accepted"]), (200, &json!(1)), "{other}");
    assert_eq!(other["results"][0]["message_id"], id(10).as_str());
}

/// The one 404 every non-party gets, with the trace id taken out.
fn without_id(body: &Value, trace_id: &str) -> String {
    body.to_string().replace(trace_id, "ID")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_parties_see_move_or_answer_a_trace() {
    let (hub, hub_url) = FakeHub::start().await;
    let gw = gateway(&hub_url).await;
    let trace_id = "BR-PF-T-2026-4";
    let request = json!({
        "kind": "trace_request",
        "header": {"message_id": id(20), "correlation_id": id(20), "schema_version": "1.0"},
        "trace_id": trace_id,
        "requesting_country": "BR",
        "requesting_agency": "BR-PF",
        "requested_country": "RS",
        "due_date": "2099-12-31",
        "firearm": {"make": "Taurus", "serial_number": "TBR-1", "calibre": "9x19mm"},
        "seizure": {"date": "2026-01-05"},
        "questions": ["manufacture"]
    });
    // The hub asks RS; the request goes to `desk`, the partner that takes it.
    let (status, reply) = post(&format!("{}/v1/inbound", gw.url), KEY_HUB, &request).await;
    assert_eq!(status, 200, "{reply}");
    let answer = |n: u32, outcome: &str| {
        json!({
            "kind": "trace_response",
            "header": {"message_id": id(n), "correlation_id": id(20), "schema_version": "1.0"},
            "trace_id": trace_id,
            "responding_country": "RS",
            "responding_agency": "RS-MUP",
            "outcome": outcome,
            "responded_at": "2026-01-10T10:00:00Z"
        })
    };
    let trace = format!("{}/v1/traces/{trace_id}", gw.url);
    let unknown = format!("{}/v1/traces/NO-SUCH-TRACE", gw.url);

    // `rs` is no party: every route answers it as for a trace that does not exist.
    for (method, suffix, body) in [
        (reqwest::Method::GET, "", None),
        (reqwest::Method::POST, "/cancel", None),
        (reqwest::Method::POST, "/acknowledge", None),
        (
            reqwest::Method::POST,
            "/responses",
            Some(answer(21, "declined").to_string()),
        ),
    ] {
        let (status, _, body_real) = call(
            method.clone(),
            &format!("{trace}{suffix}"),
            Some(KEY_RS),
            &[],
            body.clone(),
        )
        .await;
        let (status_unknown, _, body_unknown) = call(
            method,
            &format!("{unknown}{suffix}"),
            Some(KEY_RS),
            &[],
            body.map(|b| b.replace(trace_id, "NO-SUCH-TRACE")),
        )
        .await;
        assert_eq!(status, 404, "{suffix}: {body_real}");
        assert_eq!(
            (status, without_id(&body_real, trace_id)),
            (status_unknown, without_id(&body_unknown, "NO-SUCH-TRACE")),
            "{suffix}"
        );
    }
    // Nor can it answer through the general trace route.
    let (status, reply) = post(
        &format!("{}/v1/traces", gw.url),
        KEY_RS,
        &answer(22, "declined"),
    )
    .await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["results"][0]["outcome"], "rejected", "{reply}");
    assert_eq!(reply["results"][0]["errors"][0]["code"], "forbidden");

    // The trace is untouched, and the party it was passed on to answers it.
    let (status, state) = get(&trace, KEY_DESK).await;
    assert_eq!(status, 200, "{state}");
    assert_ne!(state["state"], "declined", "{state}");
    let mut astray = answer(23, "traced");
    astray["trace_id"] = json!("ANOTHER-TRACE");
    let (status, reply) = post(&format!("{trace}/responses"), KEY_DESK, &astray).await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["error"]["code"], "trace_mismatch");
    let (status, reply) = post(
        &format!("{trace}/responses"),
        KEY_DESK,
        &answer(23, "traced"),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let (_, state) = get(&trace, KEY_OPS).await;
    assert_eq!(state["state"], "answered", "{state}");
    wait_until(Duration::from_secs(15), "the answer at the hub", || {
        let done = hub.received().iter().any(|(i, _)| *i == id(23));
        async move { done }
    })
    .await;
    assert!(!hub
        .received()
        .iter()
        .any(|(i, _)| *i == id(21) || *i == id(22)));
    assert_eq!(hub.paths(), [format!("/v1/traces/{trace_id}/responses")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_sends_no_records_or_searches_to_inbound() {
    let (_hub, hub_url) = FakeHub::start().await;
    let gw = gateway(&hub_url).await;
    let (status, reply) = post(
        &format!("{}/v1/inbound", gw.url),
        KEY_HUB,
        &record_of("RS-MUP", "R-IN", &id(30)),
    )
    .await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["results"][0]["outcome"], "rejected", "{reply}");
    assert_eq!(reply["results"][0]["errors"][0]["code"], "unsupported");
    let (status, _) = get(&format!("{}/v1/messages/{}", gw.url, id(30)), KEY_OPS).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_strings_are_refused_as_json_after_authentication() {
    let (_hub, hub_url) = FakeHub::start().await;
    let gw = gateway(&hub_url).await;
    let cases = [
        (reqwest::Method::GET, "/v1/messages?limit=many"),
        (reqwest::Method::GET, "/v1/messages?limit=5000"),
        (reqwest::Method::GET, "/v1/audit?after=yesterday"),
        (reqwest::Method::GET, "/v1/audit?limit=0"),
        (
            reqwest::Method::POST,
            "/v1/deliveries/retry-dead?destination=a&destination=b",
        ),
        (
            reqwest::Method::POST,
            "/v1/partners/rs/messages?kind=record&kind=search",
        ),
    ];
    for (method, path) in cases {
        let url = format!("{}{path}", gw.url);
        // A stranger is refused for who it is, whatever its query.
        let (status, content_type, body) = call(method.clone(), &url, None, &[], None).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert!(content_type.starts_with("application/json"), "{path}");
        assert_eq!(body["error"]["code"], "unauthenticated", "{path}");
        // The operator (or the partner, for its own route) gets a JSON 400.
        let key = if path.contains("/partners/") {
            KEY_RS
        } else {
            KEY_OPS
        };
        let (status, content_type, body) =
            call(method, &url, Some(key), &[], Some(String::new())).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type}"
        );
        assert_eq!(body["error"]["code"], "bad_query", "{path}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_owner_however_its_agency_is_spelled() {
    let (_hub, hub_url) = FakeHub::start().await;
    let gw = gateway(&hub_url).await;
    let records = format!("{}/v1/records", gw.url);
    let spellings = ["RS-MUP", "rs-mup", "RS-MUP ", " Rs-Mup"];
    let batch: Vec<Value> = spellings
        .iter()
        .enumerate()
        .map(|(i, agency)| record_of(agency, "R-ONE", &id(40 + i as u32)))
        .collect();
    let (status, reply) = post(&records, KEY_RS, &json!({ "messages": batch })).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        (&reply["accepted"], &reply["duplicates"]),
        (&json!(1), &json!(3)),
        "{reply}"
    );
    for result in &reply["results"].as_array().unwrap()[1..] {
        assert_eq!(result["duplicate_reason"], "natural_key", "{result}");
        assert_eq!(result["original_message_id"], id(40).as_str(), "{result}");
    }
    let (_, view) = get(&format!("{}/v1/messages/{}", gw.url, id(40)), KEY_OPS).await;
    assert_eq!(
        view["message"]["natural_key"]["owner_agency"], "RS-MUP",
        "{view}"
    );

    // Invisible and bidirectional characters are refused, located.
    let hidden = record_of("RS-MUP\u{200B}", "R-TWO", &id(50));
    let (status, reply) = post(&records, KEY_RS, &hidden).await;
    assert_eq!(status, 422, "{reply}");
    let error = &reply["results"][0]["errors"][0];
    assert_eq!(error["field"], "owner_agency", "{reply}");
    assert!(
        error["reason"].as_str().unwrap().contains("U+200B"),
        "{reply}"
    );
    let mut reordered = record_of("RS-MUP", "R-\u{202E}3", &id(51));
    reordered["firearm"]["serial_number"] = json!("Z-R-3");
    let (status, reply) = post(&records, KEY_RS, &reordered).await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(
        reply["results"][0]["errors"][0]["field"], "record_id",
        "{reply}"
    );
}
