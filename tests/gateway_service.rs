//! Black-box tests of `iarms-gateway serve`: the binary runs with a temporary
//! config on an ephemeral port, against a fake hub (axum, inside the test).

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use support::service::{cheap_hash, spawn_ready};
use support::wait::wait_until;
use support::{bin, data, path_str, run};

const KEY_RS: &str = "rs-partner-key";
const KEY_BR: &str = "br-partner-key";
const KEY_OPS: &str = "operator-key";
const KEY_HUB: &str = "hub-calls-us-key";

/// One request the fake receiver took.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    message_id: String,
    body: String,
}

/// A fake hub: records every POST; answers 503 while `down`.
#[derive(Clone, Default)]
struct FakeHub {
    received: Arc<Mutex<Vec<Received>>>,
    down: Arc<AtomicBool>,
    /// Answer 400 (a permanent refusal) while set.
    reject: Arc<AtomicBool>,
}

impl FakeHub {
    async fn start() -> (FakeHub, String) {
        let hub = FakeHub::default();
        let state = hub.clone();
        let app = Router::new().fallback(post(
            |uri: Uri, headers: HeaderMap, body: Bytes| async move {
                if state.down.load(Ordering::SeqCst) {
                    return (StatusCode::SERVICE_UNAVAILABLE, "down".to_string());
                }
                if state.reject.load(Ordering::SeqCst) {
                    return (StatusCode::BAD_REQUEST, "no such calibre".to_string());
                }
                let path = uri.path().to_string();
                let text = String::from_utf8_lossy(&body).into_owned();
                // A batch (`{"messages": [...]}`, as the forwarder sends to the
                // hub) is recorded per message and answered per message.
                let batch = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v.get("messages").and_then(Value::as_array).cloned());
                if let Some(messages) = batch {
                    let mut received = state.received.lock().unwrap();
                    let results: Vec<Value> = messages
                        .iter()
                        .map(|m| {
                            let message_id = m["header"]["message_id"].as_str().unwrap_or_default();
                            received.push(Received {
                                path: path.clone(),
                                message_id: message_id.to_string(),
                                body: m.to_string(),
                            });
                            json!({ "message_id": format!("hub-{message_id}") })
                        })
                        .collect();
                    return (
                        StatusCode::ACCEPTED,
                        json!({ "results": results }).to_string(),
                    );
                }
                let message_id = headers
                    .get("x-message-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                state.received.lock().unwrap().push(Received {
                    path,
                    message_id: message_id.clone(),
                    body: text,
                });
                (
                    StatusCode::ACCEPTED,
                    json!({ "message_id": format!("hub-{message_id}") }).to_string(),
                )
            },
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (hub, url)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// What arrived once `n` messages have (or after 15 s, for the caller to
    /// assert on what did).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while self.received().len() < n && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received()
    }
}

/// The gateway process; killed when dropped.
struct Gateway {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config_text(port: u16, hub_url: &str, extra: &str) -> String {
    format!(
        r#"[gateway]
country = "RS"
agency = "MUP"
listen = "127.0.0.1:{port}"
operator_key_hashes = ["{ops}"]

[store]
url = "gateway.db"

[hub]
url = "{hub_url}"
api_key_env = "IARMS_TEST_HUB_KEY"
inbound_key_hashes = ["{hubkey}"]
retry = {{ max_attempts = 50, initial_backoff = "100ms", max_backoff = "300ms" }}

[forward]
poll_interval = "50ms"
lease = "10s"

[[partner]]
id = "rs"
format = "registry-rs"
api_key_hashes = ["{rs}"]
owner_agencies = ["RS-MUP"]

[[partner]]
id = "br"
format = "registry-br"
api_key_hashes = ["{br}"]
{extra}"#,
        ops = cheap_hash(KEY_OPS),
        rs = cheap_hash(KEY_RS),
        br = cheap_hash(KEY_BR),
        hubkey = cheap_hash(KEY_HUB),
    )
}

async fn start_gateway(hub_url: &str, extra: &str) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gateway.toml");
    std::fs::write(&config, config_text(0, hub_url, extra)).unwrap();
    let mut command = bin();
    command
        .args(["serve", "--config", path_str(&config)])
        .env("IARMS_TEST_HUB_KEY", "our-hub-key")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (child, _, url) = spawn_ready(command, &dir.path().join("ready.json"), None).await;
    Gateway { child, url, dir }
}

async fn send_post(
    url: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(url).body(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(url: &str, key: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(url)
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn csv(path: &str) -> Vec<u8> {
    std::fs::read(data(path)).unwrap()
}

fn outcomes(reply: &Value) -> Vec<String> {
    reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_csv_reaches_the_hub_once_with_rejections_duplicates_and_auth() {
    let (hub, hub_url) = FakeHub::start().await;
    let gw = start_gateway(&hub_url, "").await;
    let route = format!("{}/v1/partners/rs/messages", gw.url);

    // The OpenAPI document is served without a key and describes this route.
    let (status, document) = get(&format!("{}/openapi.json", gw.url), "").await;
    assert_eq!(status, 200, "{document}");
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(document["paths"]["/v1/partners/{partner}/messages"]["post"].is_object());

    // Authentication: none, wrong, another partner's key.
    let export = csv("tests/data/native/registry-rs-export.csv");
    let (status, reply) = send_post(&route, None, &[], export.clone()).await;
    assert_eq!(status, 401, "{reply}");
    assert_eq!(reply["error"]["code"], "unauthenticated");
    let (status, _) = send_post(&route, Some("wrong"), &[], export.clone()).await;
    assert_eq!(status, 401);
    let (status, reply) = send_post(&route, Some(KEY_BR), &[], export.clone()).await;
    assert_eq!(status, 403, "{reply}");
    assert_eq!(reply["error"]["code"], "forbidden");

    // The export: all ten accepted, delivered to the hub as canonical JSON.
    let (status, reply) = send_post(&route, Some(KEY_RS), &[], export.clone()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["accepted"], 10, "{reply}");
    let got = hub.wait_for(10).await;
    assert_eq!(got.len(), 10, "{got:?}");
    for r in &got {
        assert_eq!(r.path, "/v1/records");
        let message: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(message["kind"], "record");
        assert_eq!(message["owner_country"], "RS");
        assert_eq!(message["header"]["message_id"], r.message_id.as_str());
    }
    // A round of deliveries goes out at once: records arrive in any order.
    let record_ids: Vec<Value> = got
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["record_id"].clone())
        .collect();
    assert!(
        record_ids.contains(&Value::from("KU-2024-00117#C-123456")),
        "{record_ids:?}"
    );

    // A resend is recognised, not stored or delivered again.
    let (status, reply) = send_post(&route, Some(KEY_RS), &[], export.clone()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["duplicates"], 10, "{reply}");
    assert!(outcomes(&reply).iter().all(|o| o == "duplicate"));

    // Bad rows are rejected with their location; the last row's unknown type
    // ("bacač") is kept and flagged, and its record accepted.
    let bad = csv("tests/data/native/registry-rs-export-with-errors.csv");
    let (status, reply) = send_post(&route, Some(KEY_RS), &[], bad).await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(
        outcomes(&reply),
        ["duplicate", "rejected", "rejected", "accepted"]
    );
    let date_error = &reply["results"][2]["errors"][0];
    assert_eq!(date_error["code"], "invalid_value");
    assert_eq!(date_error["location"]["line"], 4, "{date_error}");
    assert_eq!(date_error["location"]["csv_column"], "Datum događaja");
    assert_eq!(date_error["field"], "event.date");

    // Idempotency-Key: same request, same answer; another body, 409.
    let one = b"\xef\xbb\xbfProizvo\xc4\x91a\xc4\x8d;Model;Serijski broj;Kalibar;Vrsta oru\xc5\xbeja;Zemlja proizvodnje;Status;Datum doga\xc4\x91aja;Broj predmeta;Mesto\nZastava;M99;IDEM-1;9x19 mm;pi\xc5\xa1tolj;RS;ukradeno;01.02.2024;KU-2024-09999;Beograd\n".to_vec();
    let key = [("idempotency-key", "batch-42")];
    let (s1, r1) = send_post(&route, Some(KEY_RS), &key, one.clone()).await;
    assert_eq!(s1, 200, "{r1}");
    assert_eq!(r1["accepted"], 1);
    let (s2, r2) = send_post(&route, Some(KEY_RS), &key, one.clone()).await;
    assert_eq!(
        (s2, &r2),
        (200, &r1),
        "the replay must repeat the first answer"
    );
    let mut other = one.clone();
    other.extend_from_slice(
        "Zastava;M99;IDEM-2;9x19 mm;pištolj;RS;ukradeno;01.02.2024;KU-2024-09998;Beograd\n"
            .as_bytes(),
    );
    let (s3, r3) = send_post(&route, Some(KEY_RS), &key, other).await;
    assert_eq!(s3, 409, "{r3}");
    assert_eq!(r3["error"]["code"], "idempotency_conflict");

    // Twelve distinct records in all, each delivered exactly once.
    let got = hub.wait_for(12).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_after = hub.received();
    assert_eq!(got_after.len(), got.len());
    let mut ids: Vec<_> = got_after.iter().map(|r| r.message_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12);

    // The operator's view: the message, its delivery and the receipt.
    let id = &got_after[0].message_id;
    let (status, view) = get(&format!("{}/v1/messages/{id}", gw.url), KEY_OPS).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["deliveries"][0]["state"], "delivered");
    assert_eq!(view["deliveries"][0]["receipt"]["status"], 202);
    assert_eq!(
        view["deliveries"][0]["receipt"]["remote_id"],
        format!("hub-{id}").as_str()
    );
    let (status, _) = get(&format!("{}/v1/messages/{id}", gw.url), KEY_BR).await;
    assert_eq!(status, 404, "another partner does not see the message");
    let metrics = reqwest::get(format!("{}/metrics", gw.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"iarms_gateway_messages_in_total{partner="rs",kind="record"} 12"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("iarms_gateway_delivery_latency_seconds"),
        "{metrics}"
    );
}

/// A canonical record of one firearm at `version`.
fn record(version: u32, message_id: &str) -> Value {
    json!({
        "kind": "record",
        "header": {"message_id": message_id, "correlation_id": message_id, "schema_version": "1.0"},
        "record_id": "ORDER-1",
        "owner_country": "RS",
        "owner_agency": "RS-MUP",
        "action": if version == 1 { "create" } else { "update" },
        "version": version,
        "firearm": {"make": "Zastava", "model": "M70", "serial_number": "ORD-1",
                    "calibre": "7.62x39mm", "firearm_type": "assault_rifle"},
        "event": {"status": "stolen", "date": "2024-03-07"}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_outage_queues_then_delivers_each_once_in_order() {
    let (hub, hub_url) = FakeHub::start().await;
    hub.down.store(true, Ordering::SeqCst);
    let gw = start_gateway(&hub_url, "").await;
    let route = format!("{}/v1/records", gw.url);
    let ids = [
        "11111111-1111-4111-8111-000000000001",
        "11111111-1111-4111-8111-000000000002",
        "11111111-1111-4111-8111-000000000003",
    ];
    for (i, id) in ids.iter().enumerate() {
        let body = record(i as u32 + 1, id).to_string().into_bytes();
        let (status, reply) = send_post(&route, Some(KEY_RS), &[], body).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["results"][0]["outcome"], "accepted", "{reply}");
    }
    // While the hub is down the first version waits for a retry; the later ones queue behind it.
    let retry_wait = format!("{}/v1/messages?state=retry_wait", gw.url);
    let retry_wait = &retry_wait;
    wait_until(
        Duration::from_secs(10),
        "a delivery in retry_wait",
        || async move {
            let (status, page) = get(retry_wait, KEY_OPS).await;
            assert_eq!(status, 200, "{page}");
            !page["items"].as_array().unwrap().is_empty()
        },
    )
    .await;
    assert!(hub.received().is_empty());
    hub.down.store(false, Ordering::SeqCst);
    let got = hub.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = if hub.received().len() > got.len() {
        hub.received()
    } else {
        got
    };
    let order: Vec<&str> = got.iter().map(|r| r.message_id.as_str()).collect();
    assert_eq!(order, ids, "each version once, in order");

    // A 4xx is permanent: dead at once with the reason, until an operator retries.
    hub.reject.store(true, Ordering::SeqCst);
    let id4 = "11111111-1111-4111-8111-000000000004";
    let body = record(4, id4).to_string().into_bytes();
    let (status, _) = send_post(&route, Some(KEY_RS), &[], body).await;
    assert_eq!(status, 200);
    let message = format!("{}/v1/messages/{id4}", gw.url);
    let message = &message;
    wait_until(
        Duration::from_secs(10),
        format!("{id4} to be dead"),
        || async move {
            let (_, view) = get(message, KEY_OPS).await;
            view["deliveries"][0]["state"] == "dead"
        },
    )
    .await;
    let (_, view) = get(message, KEY_OPS).await;
    let delivery = view["deliveries"][0].clone();
    assert_eq!(delivery["attempts"], 1, "{delivery}");
    assert!(
        delivery["last_error"]
            .as_str()
            .unwrap()
            .contains("HTTP 400: no such calibre"),
        "{delivery}"
    );
    let retry = format!("{}/v1/deliveries/retry-dead", gw.url);
    let (status, _) = send_post(&retry, Some(KEY_RS), &[], Vec::new()).await;
    assert_eq!(status, 403, "partners may not retry dead deliveries");
    hub.reject.store(false, Ordering::SeqCst);
    let (status, reply) = send_post(&retry, Some(KEY_OPS), &[], Vec::new()).await;
    assert_eq!((status, &reply["queued"]), (200, &json!(1)), "{reply}");
    let got = hub.wait_for(4).await;
    assert_eq!(got.last().unwrap().message_id, id4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_archives_good_files_and_fails_bad_ones_with_a_report() {
    let (hub, hub_url) = FakeHub::start().await;
    let extra = r#"
[[partner]]
id = "rs-batch"
format = "registry-rs"
owner_agencies = ["RS-MUP"]
inbound = { directory = "inbox", poll_interval = "100ms" }
"#;
    let gw = start_gateway(&hub_url, extra).await;
    let inbox: PathBuf = gw.dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let drop_file = |name: &str, source: &str| {
        let tmp = inbox.join(format!(".{name}"));
        std::fs::copy(data(source), &tmp).unwrap();
        std::fs::rename(&tmp, inbox.join(name)).unwrap();
    };
    drop_file("good.csv", "tests/data/native/registry-rs-export.csv");
    drop_file(
        "bad.csv",
        "tests/data/native/registry-rs-export-with-errors.csv",
    );
    let archived = inbox.join("archive/good.csv");
    let failed = inbox.join("failed/bad.csv");
    let report = inbox.join("failed/bad.csv.errors.txt");
    wait_until(
        Duration::from_secs(15),
        "the inbox to archive, fail and report the files",
        || {
            let done = archived.exists() && failed.exists() && report.exists();
            async move { done }
        },
    )
    .await;
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("2 rejected"), "{text}");
    assert!(text.contains("line 4"), "{text}");
    assert!(text.contains("Datum događaja"), "{text}");
    assert!(!inbox.join("good.csv").exists() && !inbox.join("processing/good.csv").exists());
    // The good file's ten and the bad file's record with an unknown type.
    assert_eq!(hub.wait_for(11).await.len(), 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_the_hub_reach_partner_outboxes_in_their_format_or_canonical_json() {
    let (hub, hub_url) = FakeHub::start().await;
    let extra = format!(
        r#"
[[partner]]
id = "rs-out"
format = "registry-rs"
formats = {{ trace_request = "registry-rs-trace-request" }}
outbound = {{ directory = "outbox" }}

[[partner]]
id = "rs-http"
format = "registry-rs"
formats = {{ trace_request = "registry-rs-trace-request" }}
outbound = {{ url = "{hub_url}/partner/rs" }}
"#
    );
    let gw = start_gateway(&hub_url, &extra).await;
    let route = format!("{}/v1/inbound", gw.url);
    let hit = std::fs::read_to_string(data("samples/hit-notifications.ndjson")).unwrap();
    let hit = hit.lines().nth(1).unwrap().to_string();
    // What the hub sends: a trace request for RS (in the partner's own CSV) and
    // a hit notification (canonical JSON: its format writes no hits).
    let id = "22222222-2222-4222-8222-000000000001";
    let rec = json!({
        "kind": "trace_request",
        "header": {"message_id": id, "correlation_id": id, "schema_version": "1.0"},
        "trace_id": "BR-PF-T-ORD-1",
        "requesting_country": "BR",
        "requesting_agency": "BR-PF",
        "requested_country": "RS",
        "due_date": "2099-12-31",
        "firearm": {"make": "Zastava", "model": "M70", "serial_number": "ORD-1", "calibre": "7.62x39mm"},
        "seizure": {"date": "2026-01-05"},
        "questions": ["manufacture"]
    })
    .to_string();
    let (status, _) = send_post(&route, Some(KEY_RS), &[], rec.clone().into_bytes()).await;
    assert_eq!(status, 403, "a partner may not post as the hub");
    let body = format!(r#"{{"messages": [{rec}, {hit}]}}"#);
    let (status, reply) = send_post(&route, Some(KEY_HUB), &[], body.into_bytes()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["accepted"], 2, "{reply}");
    let outbox = gw.dir.path().join("outbox");
    // Every file in the outbox, temporary dot-names included: a file being
    // written must not count as arrived (nor stay behind, checked below).
    let files = || -> Vec<PathBuf> {
        let mut f: Vec<PathBuf> = std::fs::read_dir(&outbox)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        f.sort();
        f
    };
    let arrived = || {
        files()
            .iter()
            .filter(|f| !f.file_name().unwrap().to_string_lossy().starts_with('.'))
            .count()
    };
    wait_until(Duration::from_secs(15), "two messages at the hub", || {
        let done = arrived() == 2;
        async move { done }
    })
    .await;
    let files = files();
    let csv_file = files
        .iter()
        .find(|f| f.extension().unwrap() == "csv")
        .unwrap();
    let csv_text = std::fs::read_to_string(csv_file).unwrap();
    assert!(csv_text.contains("ORD-1"), "{csv_text}");
    assert!(
        csv_text.contains("Broj zahteva") && csv_text.contains("BR-PF-T-ORD-1"),
        "registry-rs-trace-request headers: {csv_text}"
    );
    let json_file = files
        .iter()
        .find(|f| f.extension().unwrap() == "json")
        .unwrap();
    let json_text = std::fs::read_to_string(json_file).unwrap();
    assert!(json_text.contains("hit_notification"), "{json_text}");
    assert!(files
        .iter()
        .all(|f| !f.file_name().unwrap().to_string_lossy().starts_with('.')));

    // The HTTP partner gets the same two, by POST, in the same formats (its
    // 2xx acknowledges the trace request, which the gateway tells the hub).
    let to_partner = || -> Vec<Received> {
        hub.received()
            .into_iter()
            .filter(|r| r.path == "/partner/rs")
            .collect()
    };
    wait_until(Duration::from_secs(15), "two posts to the partner", || {
        let done = to_partner().len() >= 2;
        async move { done }
    })
    .await;
    let posted = to_partner();
    assert_eq!(posted.len(), 2, "{posted:?}");
    assert!(posted
        .iter()
        .any(|r| r.body.contains("ORD-1") && r.body.contains("Broj zahteva")));
    assert!(posted.iter().any(|r| r.body.contains("hit_notification")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_go_to_the_hub_by_route_and_their_state_is_visible() {
    let (hub, hub_url) = FakeHub::start().await;
    let gw = start_gateway(&hub_url, "").await;
    let ndjson = |path: &str| -> Value {
        let text = std::fs::read_to_string(data(path)).unwrap();
        serde_json::from_str(text.lines().next().unwrap()).unwrap()
    };
    let output = run(&[
        "convert",
        "--from",
        "iarms-xml",
        "--to",
        "iarms-ndjson",
        path_str(&data("samples/trace-requests.xml")),
    ]);
    let request: Value = serde_json::from_str(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    // Deny by default: a partner of the RS gateway asks and answers for RS only.
    let mut request = request;
    request["requesting_country"] = json!("RS");
    request["requesting_agency"] = json!("RS-MUP");
    // The sample's due date has passed: the expiry job would close the trace
    // before this test looks at it.
    request["due_date"] = json!("2099-12-31");
    let trace_id = request["trace_id"].as_str().unwrap().to_string();
    let (status, reply) = send_post(
        &format!("{}/v1/traces", gw.url),
        Some(KEY_RS),
        &[],
        request.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let (status, trace) = get(&format!("{}/v1/traces/{trace_id}", gw.url), KEY_RS).await;
    assert_eq!(status, 200, "{trace}");
    // The forwarder may already have handed it to the hub.
    assert!(
        trace["state"] == "submitted" || trace["state"] == "delivered",
        "{trace}"
    );

    let mut response = ndjson("samples/trace-responses.ndjson");
    response["responding_country"] = json!("RS");
    response["responding_agency"] = json!("RS-MUP");
    let responses = format!("{}/v1/traces/{trace_id}/responses", gw.url);
    let (status, reply) = send_post(
        &responses,
        Some(KEY_RS),
        &[],
        response.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["error"]["code"], "trace_mismatch");
    response["trace_id"] = json!(trace_id);
    let (status, reply) = send_post(
        &responses,
        Some(KEY_RS),
        &[],
        response.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let got = hub.wait_for(2).await;
    let paths: Vec<&str> = got.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/v1/traces".to_string(),
            format!("/v1/traces/{trace_id}/responses")
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_on_sigterm_exits_zero() {
    let (hub, hub_url) = FakeHub::start().await;
    let mut gw = start_gateway(&hub_url, "").await;
    let id = "33333333-3333-4333-8333-000000000001";
    let body = record(1, id).to_string().into_bytes();
    let (status, reply) =
        send_post(&format!("{}/v1/records", gw.url), Some(KEY_RS), &[], body).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(hub.wait_for(1).await.len(), 1);
    let pid = gw.child.id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let mut exit = None;
    wait_until(
        Duration::from_secs(10),
        "the gateway to stop on SIGTERM",
        || {
            exit = gw.child.try_wait().unwrap();
            let stopped = exit.is_some();
            async move { stopped }
        },
    )
    .await;
    let exit = exit.unwrap();
    assert_eq!(exit.code(), Some(0));
    // Stopped, it no longer says where it listens.
    assert!(!gw.dir.path().join("ready.json").exists());

    // The operator's CLI works on the store the service left behind.
    let config = gw.dir.path().join("gateway.toml");
    let messages = |args: &[&str]| {
        let output = bin()
            .arg("messages")
            .args(args)
            .args(["--config", path_str(&config)])
            .env("IARMS_TEST_HUB_KEY", "k")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        text
    };
    let list = messages(&["list"]);
    assert!(list.contains(id), "{list}");
    assert!(list.contains("hub:delivered"), "{list}");
    let shown: Value = serde_json::from_str(&messages(&["show", id])).unwrap();
    assert_eq!(shown["message"]["source_partner"], "rs");
    messages(&["replay", id]);
    assert!(messages(&["list", "--state", "queued"]).contains(id));
    messages(&["retry-dead"]);
}

#[test]
fn check_config_reports_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gateway.toml");
    let mut text = config_text(8080, "http://127.0.0.1:1", "");
    text = text.replace("format = \"registry-br\"", "format = \"registry-xx\"");
    text = text.replace("id = \"br\"", "id = \"rs\"");
    text.push_str(
        "\n[[partner]]\nid = \"out\"\nformat = \"registry-rs\"\noutbound = { url = \"ftp://x\" }\n",
    );
    std::fs::write(&path, text).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_iarms-gateway"))
        .args(["check-config", "--config", path_str(&path)])
        .env("IARMS_TEST_HUB_KEY", "k")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let name = path.display().to_string();
    assert!(
        stderr.contains(&format!(
            "{name}:27: partner[2].id: duplicate partner id `rs`"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{name}:28: partner[2].format: unknown format `registry-xx`"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("partner[3].outbound.url: `ftp://x` is not an http:// or https:// URL"),
        "{stderr}"
    );

    // The commented example passes.
    let example = data("gateway/examples/gateway.toml");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_iarms-gateway"))
        .args(["check-config", "--config", path_str(&example)])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A good file passes.
    let good = dir.path().join("good.toml");
    std::fs::write(&good, config_text(8080, "http://127.0.0.1:1", "")).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_iarms-gateway"))
        .args(["check-config", "--config", path_str(&good)])
        .env("IARMS_TEST_HUB_KEY", "k")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Messages from the hub are routed by kind (`receives`), the answer to a trace
/// goes back to the partner that asked, not to every partner, and a hit on one
/// of our records to the partner of the record's agency.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_answers_go_back_to_the_partner_that_asked() {
    let (hub, hub_url) = FakeHub::start().await;
    let extra = format!(
        r#"
[[partner]]
id = "desk"
format = "iarms-json"
api_key_hashes = ["{desk}"]
outbound = {{ directory = "outbox-desk" }}

[[partner]]
id = "alerts"
format = "iarms-json"
outbound = {{ directory = "outbox-alerts" }}
receives = ["hit_notification", "trace_response"]
owner_agencies = ["RS-BIA"]
"#,
        desk = cheap_hash("desk-key"),
    );
    let gw = start_gateway(&hub_url, &extra).await;
    let id = |n: u32| format!("7aace000-0000-4000-8000-{n:012}");
    let request = json!({
        "kind": "trace_request",
        "header": {"message_id": id(1), "correlation_id": id(1), "schema_version": "1.0"},
        "trace_id": "RS-MUP-T-2026-9",
        "requesting_country": "RS",
        "requesting_agency": "MUP",
        "requested_country": "BR",
        "firearm": {"make": "Taurus", "serial_number": "TBR-1", "calibre": "9x19mm"},
        "seizure": {"date": "2026-01-05"},
        "questions": ["manufacture"]
    });
    let (status, reply) = send_post(
        &format!("{}/v1/traces", gw.url),
        Some("desk-key"),
        &[],
        request.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(hub.wait_for(1).await.len(), 1);

    // The hub answers the trace, and sends a trace request from BR.
    let answer = json!({
        "kind": "trace_response",
        "header": {"message_id": id(2), "correlation_id": id(1), "schema_version": "1.0"},
        "trace_id": "RS-MUP-T-2026-9",
        "responding_country": "BR",
        "responding_agency": "BR-PF",
        "outcome": "not_found",
        "responded_at": "2026-01-10T10:00:00Z"
    });
    let mut asked = request.clone();
    asked["header"] =
        json!({"message_id": id(3), "correlation_id": id(3), "schema_version": "1.0"});
    asked["trace_id"] = json!("BR-PF-T-2026-4");
    asked["requesting_country"] = json!("BR");
    asked["requesting_agency"] = json!("BR-PF");
    asked["requested_country"] = json!("RS");
    // Hits on records of RS-BIA (the agency of `alerts`) and of another agency.
    let hit = |n: u32, agency: &str| {
        json!({
            "kind": "hit_notification",
            "header": {"message_id": id(n), "correlation_id": id(n), "schema_version": "1.0"},
            "search_id": format!("BR-PF-S-{n}"),
            "searching_country": "BR",
            "matched_record": {"owner_country": "RS", "owner_agency": agency, "record_id": format!("R-{n}")},
            "match": {"kind": "exact", "fields": ["serial_key", "make", "calibre"]},
            "notified_at": "2026-01-10T10:00:00Z"
        })
    };
    let body = json!({"messages": [answer, asked, hit(4, "RS-BIA"), hit(5, "RS-UP")]}).to_string();
    let (status, reply) = send_post(
        &format!("{}/v1/inbound", gw.url),
        Some(KEY_HUB),
        &[],
        body.into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");

    let files = |dir: &str| -> Vec<String> {
        std::fs::read_dir(gw.dir.path().join(dir))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default()
    };
    // The desk asked: it gets the answer, BR's request (it receives every kind)
    // and the hit on the RS-UP record (no partner has that agency: every
    // receiver gets it), not the hit on the RS-BIA record.
    wait_until(
        Duration::from_secs(15),
        "three files in outbox-desk",
        || {
            let done = files("outbox-desk").len() == 3;
            async move { done }
        },
    )
    .await;
    let desk = files("outbox-desk");
    assert!(
        desk.iter().any(|n| n.contains("trace_response")),
        "{desk:?}"
    );
    assert!(desk.iter().any(|n| n.contains("trace_request")), "{desk:?}");
    assert!(desk.iter().any(|n| n.contains(&id(5))), "{desk:?}");
    // The alerts partner gets both hits, and nothing else: the trace answer was
    // not its trace, and it takes no trace requests.
    wait_until(
        Duration::from_secs(15),
        "two files in outbox-alerts",
        || {
            let done = files("outbox-alerts").len() == 2;
            async move { done }
        },
    )
    .await;
    std::thread::sleep(Duration::from_millis(500));
    let mut alerts = files("outbox-alerts");
    alerts.sort();
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(alerts.iter().any(|n| n.contains(&id(4))), "{alerts:?}");
    assert!(alerts.iter().any(|n| n.contains(&id(5))), "{alerts:?}");
    assert_eq!(files("outbox-desk").len(), 3, "{:?}", files("outbox-desk"));
    // The gateway's copy of the trace is answered.
    let (status, trace) = get(&format!("{}/v1/traces/RS-MUP-T-2026-9", gw.url), "desk-key").await;
    assert_eq!(status, 200, "{trace}");
    assert_eq!(trace["state"], "answered", "{trace}");
}
