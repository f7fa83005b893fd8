//! Limits of `iarms-gateway serve`, black-box: body size, records per batch,
//! field length, per-partner rate limit, request timeout, slow and idle clients
//! (header read timeout), each refused with a JSON error naming the limit; and
//! secrets: API keys never reach the logs, record contents not at info level.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::service::{cheap_hash, spawn_ready};
use support::{bin, path_str};

const KEY_OPS: &str = "operator-key-8c1f";
const KEY_RS: &str = "rs-partner-key-5d2a";
const KEY_HUB_SECRET: &str = "our-key-at-the-hub-77e1";

struct Gateway {
    child: Child,
    url: String,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gateway {
    /// Stops the process and returns what it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap()
    }
}

/// Starts the gateway with `gateway_extra` in `[gateway]` and `partner_extra`
/// in the partner's table; stderr goes to `stderr.log` in its folder.
async fn start(gateway_extra: &str, partner_extra: &str, log: &str) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"[gateway]
country = "RS"
agency = "MUP"
listen = "127.0.0.1:0"
operator_key_hashes = ["{ops}"]
{gateway_extra}

[store]
url = "gateway.db"

[hub]
url = "http://127.0.0.1:9"
api_key_env = "IARMS_LIMITS_HUB_KEY"

[[partner]]
id = "rs"
format = "registry-rs"
api_key_hashes = ["{rs}"]
owner_agencies = ["RS-MUP"]
{partner_extra}
"#,
        ops = cheap_hash(KEY_OPS),
        rs = cheap_hash(KEY_RS),
    );
    let config = dir.path().join("gateway.toml");
    std::fs::write(&config, text).unwrap();
    let stderr = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
    let mut command = bin();
    command
        .args(["serve", "--config", path_str(&config)])
        .env("IARMS_LIMITS_HUB_KEY", KEY_HUB_SECRET)
        .env("RUST_LOG", log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr));
    let (child, addr, url) = spawn_ready(
        command,
        &dir.path().join("ready.json"),
        Some(&dir.path().join("stderr.log")),
    )
    .await;
    Gateway {
        child,
        url,
        port: addr.port(),
        dir,
    }
}

fn record(n: u32, make: &str) -> Value {
    let id = format!("44444444-4444-4444-8444-{n:012}");
    json!({
        "kind": "record",
        "header": {"message_id": id, "correlation_id": id, "schema_version": "1.0"},
        "record_id": format!("LIM-{n}"),
        "owner_country": "RS",
        "owner_agency": "RS-MUP",
        "action": "create",
        "firearm": {"make": make, "model": "M70", "serial_number": format!("SECRETSERIAL{n}"),
                    "calibre": "7.62x39mm", "firearm_type": "assault_rifle"},
        "event": {"status": "stolen", "date": "2024-03-07"}
    })
}

async fn post(url: &str, key: &str, body: Vec<u8>) -> (u16, Value, reqwest::header::HeaderMap) {
    let r = reqwest::Client::new()
        .post(url)
        .bearer_auth(key)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_batch_and_field_limits_answer_json_naming_the_limit() {
    let gw = start(
        "body_limit_mib = 1\nmax_batch_records = 2\nlimits = { max_field_chars = 40, max_depth = 2 }",
        "",
        "warn",
    )
    .await;
    let records = format!("{}/v1/records", gw.url);

    // The server answers 413 from Content-Length and closes the connection; a
    // client still uploading may see the close before the answer, so it tries again.
    let big = vec![b' '; 2 << 20];
    let mut answered = None;
    for _ in 0..5 {
        let sent = reqwest::Client::new()
            .post(&records)
            .bearer_auth(KEY_RS)
            .body(big.clone())
            .send()
            .await;
        if let Ok(r) = sent {
            let status = r.status().as_u16();
            answered = Some((status, r.json::<Value>().await.unwrap_or(Value::Null)));
            break;
        }
    }
    let (status, reply) = answered.expect("the oversize request was never answered");
    assert_eq!(status, 413, "{reply}");
    assert_eq!(reply["error"]["code"], "body_too_large", "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("body_limit_mib"),
        "{reply}"
    );

    let three =
        json!({"messages": [record(1, "Zastava"), record(2, "Zastava"), record(3, "Zastava")]});
    let (status, reply, _) = post(&records, KEY_RS, three.to_string().into_bytes()).await;
    assert_eq!(status, 413, "{reply}");
    assert_eq!(reply["error"]["code"], "batch_too_large", "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_batch_records"),
        "{reply}"
    );

    // Nesting depth (canonical JSON): the second record nests one level too deep.
    let mut deep = record(5, "Zastava");
    deep["event"]["place"] = json!({"country": "RS", "locality": "Beograd"});
    let batch = json!({"messages": [record(4, "Zastava"), deep]});
    let (status, reply, _) = post(&records, KEY_RS, batch.to_string().into_bytes()).await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["results"][0]["outcome"], "accepted", "{reply}");
    assert_eq!(reply["results"][1]["outcome"], "rejected", "{reply}");
    assert_eq!(reply["results"][1]["errors"][0]["code"], "limit", "{reply}");

    // Field length (the partner's CSV): values over 40 characters are refused.
    // Its header line and first record (max_batch_records is 2 here), with a
    // 60-character serial number.
    let export = std::fs::read_to_string(support::data("tests/data/native/registry-rs-export.csv"))
        .unwrap()
        .lines()
        .take(2)
        .collect::<Vec<_>>()
        .join("\n")
        .replace("C-123456", &"C".repeat(60))
        .into_bytes();
    let (status, reply, _) = post(
        &format!("{}/v1/partners/rs/messages", gw.url),
        KEY_RS,
        export,
    )
    .await;
    assert_eq!(status, 422, "{reply}");
    let errors = reply["results"][0]["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["code"] == "limit" && e.to_string().contains("40")),
        "{reply}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_over_its_rate_limit_gets_429_with_retry_after() {
    let gw = start("", "rate_limit = { per_second = 1, burst = 2 }", "warn").await;
    let url = format!("{}/v1/messages", gw.url);
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..4 {
        let r = client.get(&url).bearer_auth(KEY_RS).send().await.unwrap();
        statuses.push(r.status().as_u16());
        last = Some(r);
    }
    assert_eq!(&statuses[..2], &[200, 200], "{statuses:?}");
    assert_eq!(statuses[3], 429, "{statuses:?}");
    let r = last.unwrap();
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // The operator has no limit.
    let r = client.get(&url).bearer_auth(KEY_OPS).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

/// Reads until the server closes the connection or `within` passes; returns
/// what was read and whether it closed.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_cannot_hold_connections_and_slow_bodies_time_out() {
    let gw = start(
        "header_timeout = \"500ms\"\nrequest_timeout = \"700ms\"\nidle_timeout = \"1s\"",
        "",
        "warn",
    )
    .await;
    let addr = format!("127.0.0.1:{}", gw.port);

    // Slowloris: half a request head, then nothing.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(5));
    assert!(
        closed,
        "a client sending its head slowly kept the connection"
    );

    // Idle: connected, nothing sent.
    let mut idle = TcpStream::connect(&addr).unwrap();
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(5));
    assert!(closed, "an idle connection was kept open");

    // A body that never finishes: 408 with the limit named.
    let mut body = TcpStream::connect(&addr).unwrap();
    body.write_all(
        format!(
            "POST /v1/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY_RS}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"kind\""
        )
        .as_bytes(),
    )
    .unwrap();
    let (reply, _) = read_until_closed(&mut body, Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.contains("\"request_timeout\""), "{reply}");
    assert!(reply.contains("request_timeout"), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_never_reach_the_logs_and_info_logs_carry_no_record_contents() {
    // Debug level: every key presented or configured stays out of the log.
    let gw = start("", "", "debug").await;
    let records = format!("{}/v1/records", gw.url);
    let (status, reply, _) = post(
        &records,
        KEY_RS,
        record(1, "Zastava").to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let (status, _, _) = post(&records, "a-wrong-key-e9d4", b"{}".to_vec()).await;
    assert_eq!(status, 401);
    // Let the forwarder try the (unreachable) hub with its key.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let log = gw.stop();
    assert!(
        log.contains("accepted"),
        "the log is not the service's: {log}"
    );
    for secret in [KEY_RS, KEY_OPS, KEY_HUB_SECRET, "a-wrong-key-e9d4"] {
        assert!(!log.contains(secret), "`{secret}` is in the debug log");
    }

    // Info level: no record contents.
    let gw = start("", "", "info").await;
    let (status, reply, _) = post(
        &format!("{}/v1/records", gw.url),
        KEY_RS,
        record(2, "Zastava").to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let log = gw.stop();
    assert!(log.contains("accepted"), "{log}");
    assert!(
        !log.contains("SECRETSERIAL2"),
        "record contents in the info log: {log}"
    );
}
