//! The binary's upkeep and configuration: `check-config` on hub files,
//! `[forward] lease` against `timeout`, durations that overflow, the
//! idempotency purge of a running gateway, and the inbox streaming a file in
//! chunks.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use support::{path_str, run, stderr};

#[test]
fn check_config_checks_the_example_hub_file_as_a_hub_file() {
    let example = support::data("gateway/examples/hub.toml");
    let output = run(&["check-config", path_str(&example)]);
    let err = stderr(&output);
    // The example ships no keys (they are secrets): those two faults, located, and no other.
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(!err.contains("invalid type"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 2, "{err}");
    for line in &lines {
        assert!(line.contains("hub.toml:"), "no file and line: {line}");
        assert!(line.contains(".key_file: cannot read"), "{line}");
    }

    // With its key files beside it, the example is valid, told from its shape or with --hub.
    let dir = support::tempdir();
    let copy = dir.path().join("hub.toml");
    std::fs::copy(&example, &copy).unwrap();
    std::fs::create_dir_all(dir.path().join("keys")).unwrap();
    for key in ["hub-to-rs.key", "hub-to-br.key"] {
        std::fs::write(dir.path().join("keys").join(key), "a-key\n").unwrap();
    }
    for args in [
        vec!["check-config", path_str(&copy)],
        vec!["check-config", "--hub", "--config", path_str(&copy)],
    ] {
        let output = run(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("ok (hub"), "{}", stderr(&output));
    }
    // The gateway example is still checked as a gateway file.
    let gateway = support::data("gateway/examples/gateway.toml");
    let output = run(&["check-config", path_str(&gateway)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("ok (gateway"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn check_config_locates_hub_faults_lease_and_overflowing_durations() {
    let dir = support::tempdir();
    let hub = dir.path().join("hub.toml");
    std::fs::write(
        &hub,
        "[hub]\nlisten = \"127.0.0.1:0\"\nrequest_timeout = \"99999999999999999999d\"\n\n\
         [forward]\nlease = \"5s\"\ntimeout = \"10s\"\n\n\
         [store]\nidempotency_retention = \"213503982334601d\"\n",
    )
    .unwrap();
    let output = run(&["check-config", path_str(&hub)]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let want = [
        "hub.toml:3: hub.request_timeout: `99999999999999999999d` is longer than the most allowed",
        "hub.toml:6: forward.lease: lease (5s) must be longer than timeout (10s)",
        "hub.toml:10: store.idempotency_retention: `213503982334601d` is longer than the most allowed",
    ];
    for w in want {
        assert!(err.contains(w), "`{w}` not in:\n{err}");
    }

    // The same lease rule in a gateway file.
    let gateway = dir.path().join("gateway.toml");
    std::fs::write(
        &gateway,
        "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n\
         [hub]\nurl = \"http://127.0.0.1:9\"\n\n[forward]\nlease = \"30s\"\ntimeout = \"30s\"\n",
    )
    .unwrap();
    let output = run(&["check-config", path_str(&gateway)]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "gateway.toml:10: forward.lease: lease (30s) must be longer than timeout (30s)"
        ),
        "{}",
        stderr(&output)
    );
}

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::load::record;
use support::receiver::Receiver;
use support::service::{forwarding_gateway_config, Running};

const KEY_PARTNER: &str = "rs-partner-key";
const KEY_OPS: &str = "operator-key";
/// The inbox's records per transaction (`inbox::CHUNK_RECORDS`).
const CHUNK: u64 = 500;

/// A gateway forwarding to `hub`, its idempotency keys kept one second, with
/// a second partner `rs-inbox` reading NDJSON files from `DIR/inbox`.
fn upkeep_gateway(dir: &Path, hub: &str) -> std::path::PathBuf {
    let mut text = forwarding_gateway_config(
        "[store]\nidempotency_retention = \"1s\"\n",
        hub,
        (KEY_PARTNER, KEY_OPS),
        ("10s", 50),
    );
    text.push_str(
        "\n[[partner]]\nid = \"rs-inbox\"\nformat = \"iarms-ndjson\"\nowner_agencies = [\"RS-MUP\"]\n\
         inbound = { directory = \"inbox\", poll_interval = \"50ms\" }\n",
    );
    let config = dir.join("gateway.toml");
    std::fs::write(&config, text).unwrap();
    config
}

async fn post_keyed(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    records: &[Value],
) -> (u16, Value) {
    let response = client
        .post(format!("{url}/v1/records"))
        .bearer_auth(KEY_PARTNER)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(json!({ "messages": records }).to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_are_purged_after_their_retention() {
    let receiver = Receiver::start(Duration::from_millis(1)).await;
    let dir = support::tempdir();
    let config = upkeep_gateway(dir.path(), &receiver.url);
    let gateway = Running::start(&["serve"], &config, &dir.path().join("gateway.log")).await;
    let client = reqwest::Client::new();
    let first = [record("RS-MUP-IDEM-1", 1)];
    let other = [record("RS-MUP-IDEM-2", 1)];
    let (status, _) = post_keyed(&client, &gateway.url, "k-1", &first).await;
    assert_eq!(status, 200);
    let (status, reply) = post_keyed(&client, &gateway.url, "k-1", &other).await;
    assert_eq!(status, 409, "the key is remembered: {reply}");
    // Retention 1s, purged every second: within a few seconds the key is forgotten.
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (status, reply) = post_keyed(&client, &gateway.url, "k-1", &other).await;
        if status == 200 {
            assert_eq!(reply["accepted"], 1, "{reply}");
            break;
        }
        assert_eq!(status, 409, "{reply}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the key was not purged 10 s after its 1 s retention\n{}",
            gateway.log()
        );
    }
}

/// Waits until `path` holds JSON whose `records` is at least `at_least`.
async fn progress_at_least(path: &Path, at_least: u64, timeout: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Ok(bytes) = std::fs::read(path) {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                if v["records"].as_u64().unwrap_or(0) >= at_least {
                    return true;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_file_is_taken_in_chunks_and_resumes_after_a_crash_without_duplicates() {
    const RECORDS: u64 = 20_000;
    let receiver = Receiver::start(Duration::from_millis(0)).await;
    let dir = support::tempdir();
    let config = upkeep_gateway(dir.path(), &receiver.url);
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    // One record of another agency (the 7th) is rejected; the rest are good.
    let mut text = String::new();
    let mut expected = std::collections::HashSet::new();
    for n in 0..RECORDS {
        let mut r = record(&format!("RS-MUP-INBOX-{n:06}"), 1);
        if n == 6 {
            r["owner_agency"] = json!("XX-OTHER");
        } else {
            expected.insert(r["header"]["message_id"].as_str().unwrap().to_string());
        }
        text.push_str(&r.to_string());
        text.push('\n');
    }
    std::fs::write(inbox.join(".big.ndjson"), &text).unwrap();
    drop(text);

    let log = dir.path().join("gateway.log");
    let gateway = Running::start(&["serve"], &config, &log).await;
    std::fs::rename(inbox.join(".big.ndjson"), inbox.join("big.ndjson")).unwrap();
    // kill -9 once two chunks are noted done.
    let note = inbox.join("processing/.big.ndjson.progress");
    assert!(
        progress_at_least(&note, 2 * CHUNK, Duration::from_secs(60)).await,
        "no progress noted\n{}",
        gateway.log()
    );
    gateway.kill();
    let failed = inbox.join("failed/big.ndjson.errors.txt");
    assert!(!failed.exists(), "the file was done before the kill");

    // Restarted, the gateway resumes the file after its last noted chunk.
    let gateway = Running::start(&["serve"], &config, &log).await;
    let started = Instant::now();
    while !failed.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the file was not finished\n{}",
            gateway.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let report = std::fs::read_to_string(&failed).unwrap();
    let head = report.lines().next().unwrap();
    let counts: Vec<u64> = head
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let [accepted, duplicates, rejected] = counts[..] else {
        panic!("{head}")
    };
    eprintln!(
        "inbox after a kill: {accepted} accepted, {duplicates} duplicate, {rejected} rejected"
    );
    assert_eq!(rejected, 1, "{report}");
    assert_eq!(report.lines().count(), 2, "one error line, once: {report}");
    assert_eq!(accepted + duplicates, RECORDS - 1, "{head}");
    // Only the chunk whose commit beat its note is taken again (as duplicates).
    assert!(
        duplicates <= CHUNK,
        "{duplicates} records taken twice: {head}"
    );
    assert!(!note.exists(), "the progress note outlived its file");
    // Each good record reaches the hub once.
    let arrivals = receiver
        .wait_for(expected.len(), Duration::from_secs(120))
        .await;
    arrivals.assert_delivered_once("inbox", &expected, 1, 50);
}
