//! Black-box test of the audit trail: `iarms-gateway serve` on a temporary SQLite
//! store takes good and bad records and an operator replay; after it stops,
//! `audit verify` passes and `audit list` shows who did what; a tampered entry
//! is named by `audit verify`; `audit export` bundles verify offline.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use support::service::{cheap_hash, spawn_ready};
use support::wait::wait_until;
use support::{bin, data, path_str};

const KEY_RS: &str = "rs-partner-key";
const KEY_OPS: &str = "operator-key";
const KEY_HUB: &str = "hub-calls-us-key";

/// A fake hub that takes everything and counts the message ids it got: one
/// message (its id in `x-message-id`) or a `{"messages": [...]}` batch, as the
/// forwarder sends, answered per message in `results`.
async fn fake_hub() -> (Arc<Mutex<Vec<String>>>, String) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let state = received.clone();
    let app = Router::new().fallback(post(|headers: HeaderMap, body: Bytes| async move {
        let batch = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("messages").and_then(Value::as_array).cloned());
        if let Some(messages) = batch {
            let mut got = state.lock().unwrap();
            let results: Vec<Value> = messages
                .iter()
                .map(|m| {
                    let id = m["header"]["message_id"].as_str().unwrap_or_default();
                    got.push(id.to_string());
                    json!({ "message_id": format!("hub-{id}") })
                })
                .collect();
            return (StatusCode::OK, json!({ "results": results }).to_string());
        }
        let id = headers
            .get("x-message-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        state.lock().unwrap().push(id.clone());
        (
            StatusCode::ACCEPTED,
            json!({ "message_id": format!("hub-{id}") }).to_string(),
        )
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (received, url)
}

async fn wait_for(received: &Arc<Mutex<Vec<String>>>, n: usize) -> usize {
    wait_until(
        Duration::from_secs(20),
        format!("{n} messages at the hub"),
        || {
            let got = received.lock().unwrap().len() >= n;
            async move { got }
        },
    )
    .await;
    received.lock().unwrap().len()
}

struct Gateway {
    child: Child,
    url: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_gateway(dir: &Path, hub_url: &str) -> Gateway {
    start_gateway_with(dir, hub_url, "[store]\nurl = \"gateway.db\"\n", "").await
}

/// A gateway with the given `[store]` table and extra tables (`[audit]`).
async fn start_gateway_with(dir: &Path, hub_url: &str, store: &str, extra: &str) -> Gateway {
    let config = format!(
        r#"[gateway]
country = "RS"
agency = "MUP"
listen = "127.0.0.1:0"
operator_key_hashes = ["{ops}"]

{store}
{extra}

[hub]
url = "{hub_url}"
api_key_env = "IARMS_TEST_HUB_KEY"
inbound_key_hashes = ["{hubkey}"]

[forward]
poll_interval = "50ms"
lease = "10s"

[[partner]]
id = "rs"
format = "registry-rs"
api_key_hashes = ["{rs}"]
owner_agencies = ["RS-MUP"]

[[partner]]
id = "rs-batch"
format = "registry-rs"
owner_agencies = ["RS-MUP"]
inbound = {{ directory = "inbox", poll_interval = "100ms" }}
"#,
        ops = cheap_hash(KEY_OPS),
        rs = cheap_hash(KEY_RS),
        hubkey = cheap_hash(KEY_HUB),
    );
    std::fs::write(dir.join("gateway.toml"), config).unwrap();
    let mut command = bin();
    command
        .args(["serve", "--config", path_str(&dir.join("gateway.toml"))])
        .env("IARMS_TEST_HUB_KEY", "our-hub-key")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (child, _, url) = spawn_ready(command, &dir.join("ready.json"), None).await;
    Gateway { child, url }
}

async fn post_as(url: &str, key: &str, body: Vec<u8>) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(key)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn audit(dir: &Path, args: &[&str]) -> Output {
    bin()
        .arg("audit")
        .args(args)
        .args(["--config", path_str(&dir.join("gateway.toml"))])
        .env("IARMS_TEST_HUB_KEY", "k")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs statements on the SQLite file directly, as an attacker with file access would.
async fn tamper(db: &Path, statements: &[&'static str]) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    for statement in statements {
        sqlx::query(*statement).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_keeps_a_verifiable_audit_trail_and_tampering_is_named() {
    let (received, hub_url) = fake_hub().await;
    let dir = tempfile::tempdir().unwrap();
    let mut gw = start_gateway(dir.path(), &hub_url).await;
    let route = format!("{}/v1/partners/rs/messages", gw.url);

    // Ten good records, then a file with a duplicate, two bad rows and a new
    // record with an unknown type (kept and flagged, so accepted).
    let export = std::fs::read(data("tests/data/native/registry-rs-export.csv")).unwrap();
    let (status, reply) = post_as(&route, KEY_RS, export).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["accepted"], 10, "{reply}");
    let bad = std::fs::read(data("tests/data/native/registry-rs-export-with-errors.csv")).unwrap();
    let (status, reply) = post_as(&route, KEY_RS, bad).await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["rejected"], 2, "{reply}");
    assert_eq!(reply["duplicates"], 1, "{reply}");
    assert_eq!(reply["accepted"], 1, "{reply}");
    assert_eq!(wait_for(&received, 11).await, 11);

    // The same bad file through the directory inbox.
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(
        data("tests/data/native/registry-rs-export-with-errors.csv"),
        inbox.join(".bad.csv"),
    )
    .unwrap();
    std::fs::rename(inbox.join(".bad.csv"), inbox.join("bad.csv")).unwrap();
    let failed = inbox.join("failed/bad.csv");
    wait_until(
        Duration::from_secs(20),
        "the inbox to take the file",
        || {
            let taken = failed.exists();
            async move { taken }
        },
    )
    .await;

    // The operator replays the first record: it reaches the hub again.
    let first = reply["results"][0]["original_message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, reply) = post_as(
        &format!("{}/v1/messages/{first}/replay", gw.url),
        KEY_OPS,
        Vec::new(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(wait_for(&received, 12).await, 12);
    // Every delivery settled (its receipt committed) before stopping.
    let gw_url = &gw.url;
    wait_until(
        Duration::from_secs(20),
        "every delivery to settle",
        || async move {
            let mut pending = 0;
            for state in ["queued", "delivering", "retry_wait"] {
                let response = reqwest::Client::new()
                    .get(format!("{gw_url}/v1/messages?state={state}"))
                    .bearer_auth(KEY_OPS)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                let page: Value = response.json().await.unwrap();
                pending += page["items"].as_array().unwrap().len();
            }
            pending == 0
        },
    )
    .await;

    // Operators read the trail over HTTP too; partners may not.
    let audit_route = format!("{}/v1/audit?limit=5", gw.url);
    let client = reqwest::Client::new();
    let response = client
        .get(&audit_route)
        .bearer_auth(KEY_OPS)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    let recent = page["entries"].as_array().unwrap();
    assert_eq!(recent.len(), 5, "{page}");
    assert_eq!(recent[4]["action"], "delivered", "{page}");
    let response = client
        .get(&audit_route)
        .bearer_auth(KEY_RS)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    let pid = gw.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    wait_until(
        Duration::from_secs(10),
        "the gateway to stop on SIGTERM",
        || {
            let stopped = gw.child.try_wait().unwrap().is_some();
            async move { stopped }
        },
    )
    .await;

    // The chain verifies: 11 x (accepted, delivered), HTTP (1 duplicate,
    // 2 rejected), the inbox (2 duplicates, 2 rejected), 1 replayed and its
    // second delivery.
    let verify = audit(dir.path(), &["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(
        text(&verify).contains("intact: 31 entries checked"),
        "{}",
        text(&verify)
    );

    let list = audit(dir.path(), &["list", "--limit", "1000", "--json"]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list));
    let entries: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    let count = |action: &str| entries.iter().filter(|e| e["action"] == action).count();
    assert_eq!(count("accepted"), 11);
    assert_eq!(count("delivered"), 12);
    assert_eq!(count("duplicate"), 3);
    assert_eq!(count("rejected"), 4);
    let by_inbox = entries
        .iter()
        .filter(|e| e["actor"] == "inbox:rs-batch" && e["partner"] == "rs-batch")
        .count();
    assert_eq!(by_inbox, 4, "the inbox's duplicate and rejections");
    assert_eq!(count("replayed"), 1);
    let replayed = entries.iter().find(|e| e["action"] == "replayed").unwrap();
    assert_eq!(replayed["actor"], "operator");
    assert_eq!(replayed["subject"], first.as_str());
    let accepted = entries.iter().find(|e| e["action"] == "accepted").unwrap();
    assert_eq!(accepted["actor"], "rs");
    assert_eq!(accepted["partner"], "rs");
    // Translated from the partner's format and queued for the hub.
    let details: Value = serde_json::from_str(accepted["details"].as_str().unwrap()).unwrap();
    assert_eq!(details["format"], "registry-rs");
    assert_eq!(details["forwarded"][0]["destination"], "hub");
    let rejected = entries.iter().find(|e| e["action"] == "rejected").unwrap();
    assert!(rejected["details"].as_str().unwrap().contains("codes"));
    let about = audit(dir.path(), &["list", "--subject", &first, "--json"]);
    let about: Vec<Value> = serde_json::from_slice(&about.stdout).unwrap();
    let mut actions: Vec<&str> = about
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "accepted");
    // The forwarder settles while the resends come in: compare as a set.
    // The native format derives message ids from the record, so both resends
    // of the bad file (HTTP, then the inbox) name the same message.
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "accepted",
            "delivered",
            "delivered",
            "duplicate",
            "duplicate",
            "replayed"
        ]
    );

    // No personal data in clear: no serial numbers, case numbers or places.
    let all = String::from_utf8_lossy(&list.stdout);
    for secret in ["C-123456", "KU-2024-00117", "Kragujevac", "BCDF123"] {
        assert!(!all.contains(secret), "`{secret}` in the audit trail");
    }

    // Export: the whole log, and a time slice; both verify offline.
    let whole = dir.path().join("whole.json");
    let out = audit(dir.path(), &["export", "--out", path_str(&whole)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let slice = dir.path().join("slice.json");
    let out = audit(
        dir.path(),
        &[
            "export",
            "--from",
            "2000-01-01T00:00:00Z",
            "--to",
            "2100-01-01",
            "--out",
            path_str(&slice),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for bundle in [&whole, &slice] {
        let out = audit(dir.path(), &["verify", "--bundle", path_str(bundle)]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            text(&out).contains("intact: 31 entries (seq 1..31) checked"),
            "{}",
            text(&out)
        );
    }
    let bad_time = audit(
        dir.path(),
        &["export", "--from", "last week", "--out", "x.json"],
    );
    assert_eq!(bad_time.status.code(), Some(2), "{}", text(&bad_time));
    assert!(text(&bad_time).contains("last week"), "{}", text(&bad_time));

    // A mistyped store path is an error, not an empty log.
    let missing = dir.path().join("missing.db");
    let out = audit(dir.path(), &["verify", "--store", path_str(&missing)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("does not exist"), "{}", text(&out));
    assert!(!missing.exists());

    // A forged bundle entry is named.
    let mut bundle: Value =
        serde_json::from_str(&std::fs::read_to_string(&whole).unwrap()).unwrap();
    bundle["entries"][6]["actor"] = json!("someone-else");
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, bundle.to_string()).unwrap();
    let out = audit(dir.path(), &["verify", "--bundle", path_str(&forged)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("entry 7: hash mismatch"),
        "{}",
        text(&out)
    );

    // The file itself: the trigger refuses an update; dropped, the change is named.
    let db = dir.path().join("gateway.db");
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let refused = sqlx::query("DELETE FROM audit_log WHERE seq = 1")
            .execute(&mut conn)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
        conn.close().await.unwrap();
    }
    tamper(
        &db,
        &[
            "DROP TRIGGER audit_log_no_update",
            "UPDATE audit_log SET partner = 'br' WHERE seq = 5",
        ],
    )
    .await;
    let verify = audit(dir.path(), &["verify"]);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    assert!(
        text(&verify).contains("BROKEN") && text(&verify).contains("entry 5: hash mismatch"),
        "{}",
        text(&verify)
    );
    // A tampered store exports nothing.
    let out = audit(dir.path(), &["export", "--out", path_str(&slice)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// Waits until no delivery is pending, then stops the gateway with SIGTERM
/// (it signs a last checkpoint as it stops).
async fn settle_and_stop(gw: &mut Gateway) {
    let gw_url = gw.url.clone();
    wait_until(Duration::from_secs(20), "every delivery to settle", || {
        let gw_url = gw_url.clone();
        async move {
            let mut pending = 0;
            for state in ["queued", "delivering", "retry_wait"] {
                let response = reqwest::Client::new()
                    .get(format!("{gw_url}/v1/messages?state={state}"))
                    .bearer_auth(KEY_OPS)
                    .send()
                    .await
                    .unwrap();
                let page: Value = response.json().await.unwrap();
                pending += page["items"].as_array().unwrap().len();
            }
            pending == 0
        }
    })
    .await;
    let pid = gw.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    wait_until(
        Duration::from_secs(10),
        "the gateway to stop on SIGTERM",
        || {
            let stopped = gw.child.try_wait().unwrap().is_some();
            async move { stopped }
        },
    )
    .await;
}

/// Issue 16, finding 6: an insider who edits an entry and recomputes the
/// chain with the documented algorithm (no secret needed) is caught by the
/// signed checkpoints; keygen, signing by `serve`, `verify` with the public
/// key and a signed export, all from the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_checkpoints_catch_a_recomputed_chain() {
    let (received, hub_url) = fake_hub().await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("audit.key");
    let keygen = bin()
        .args(["keygen", "--out", path_str(&key_file)])
        .output()
        .unwrap();
    assert_eq!(keygen.status.code(), Some(0), "{}", text(&keygen));
    let public = String::from_utf8(keygen.stdout.clone())
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(public.len(), 44, "base64 of 32 bytes: {public}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Never overwritten.
    let again = bin()
        .args(["keygen", "--out", path_str(&key_file)])
        .output()
        .unwrap();
    assert_ne!(again.status.code(), Some(0), "{}", text(&again));

    let mut gw = start_gateway_with(
        dir.path(),
        &hub_url,
        "[store]\nurl = \"gateway.db\"\n",
        "[audit]\nsigning_key = \"audit.key\"\ncheckpoint_interval = \"200ms\"\n",
    )
    .await;
    let route = format!("{}/v1/partners/rs/messages", gw.url);
    let export = std::fs::read(data("tests/data/native/registry-rs-export.csv")).unwrap();
    let (status, reply) = post_as(&route, KEY_RS, export).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(wait_for(&received, 10).await, 10);
    settle_and_stop(&mut gw).await;

    let verify = audit(dir.path(), &["verify", "--json"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["checked"], 20, "{report}");
    assert_eq!(report["signatures_checked"], true, "{report}");
    assert!(
        report["checkpoints_signed"].as_u64().unwrap() >= 1,
        "{report}"
    );
    assert_eq!(report["unsigned_entries"], 0, "{report}");
    assert_eq!(report["bodies_checked"], 10, "{report}");
    assert_eq!(report["deliveries_checked"], 10, "{report}");

    // A signed export verifies offline with the public key alone.
    let bundle = dir.path().join("bundle.json");
    let out = audit(dir.path(), &["export", "--out", path_str(&bundle)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains(", signed"), "{}", text(&out));
    let offline = |key: &str| {
        bin()
            .args(["audit", "verify", "--bundle", path_str(&bundle)])
            .args(["--store", "unused.db", "--public-key", key])
            .output()
            .unwrap()
    };
    let out = offline(&public);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stranger = bin()
        .args(["keygen", "--out", path_str(&dir.path().join("other.key"))])
        .output()
        .unwrap();
    let stranger = String::from_utf8(stranger.stdout)
        .unwrap()
        .trim()
        .to_string();
    let out = offline(&stranger);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // The insider: entry 3's details edited, every hash after it recomputed.
    let list = audit(dir.path(), &["list", "--limit", "1000", "--json"]);
    let mut entries: Vec<iarms_gateway::audit::AuditEntry> =
        serde_json::from_slice(&list.stdout).unwrap();
    let db = dir.path().join("gateway.db");
    tamper(&db, &["DROP TRIGGER audit_log_no_update"]).await;
    let mut prev = entries[1].hash.clone();
    let mut statements: Vec<&'static str> = Vec::new();
    for entry in entries.iter_mut().skip(2) {
        if entry.seq == 3 {
            entry.partner = Some("br".to_string());
        }
        entry.prev_hash = prev;
        entry.hash = entry.computed_hash();
        prev = entry.hash.clone();
        statements.push(Box::leak(
            format!(
                "UPDATE audit_log SET partner = {}, prev_hash = '{}', hash = '{}' WHERE seq = {}",
                entry
                    .partner
                    .as_deref()
                    .map_or("NULL".to_string(), |p| format!("'{p}'")),
                entry.prev_hash,
                entry.hash,
                entry.seq
            )
            .into_boxed_str(),
        ));
    }
    tamper(&db, &statements).await;
    // Without a key the checkpoints are still compared (not their signatures).
    let unkeyed = bin()
        .args(["audit", "verify", "--store", path_str(&db)])
        .output()
        .unwrap();
    assert_eq!(unkeyed.status.code(), Some(1), "{}", text(&unkeyed));
    assert!(
        text(&unkeyed).contains("signatures NOT checked"),
        "{}",
        text(&unkeyed)
    );
    // With it, the rewrite is named.
    let verify = audit(dir.path(), &["verify"]);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify));
    assert!(
        text(&verify).contains("checkpoint_mismatch") && text(&verify).contains("rewritten"),
        "{}",
        text(&verify)
    );
    let keyed = bin()
        .args([
            "audit",
            "verify",
            "--store",
            path_str(&db),
            "--public-key",
            &public,
        ])
        .output()
        .unwrap();
    assert_eq!(keyed.status.code(), Some(1), "{}", text(&keyed));
}

/// Issue 16, finding 6: `audit verify/list/export --config` open the store
/// as `serve` does, `[store] schema` included (they used to read the
/// default schema of PostgreSQL and report an empty, intact trail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_commands_read_the_schema_serve_writes() {
    let Some(pg) = support::store::PgSchema::from_env("audit_cli") else {
        return;
    };
    let (received, hub_url) = fake_hub().await;
    let dir = tempfile::tempdir().unwrap();
    let store = format!(
        "[store]\nurl = \"{}\"\nschema = \"{}\"\n",
        pg.url, pg.schema
    );
    let mut gw = start_gateway_with(dir.path(), &hub_url, &store, "").await;
    let route = format!("{}/v1/partners/rs/messages", gw.url);
    let export = std::fs::read(data("tests/data/native/registry-rs-export.csv")).unwrap();
    let (status, reply) = post_as(&route, KEY_RS, export).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(wait_for(&received, 10).await, 10);
    settle_and_stop(&mut gw).await;

    let list = audit(dir.path(), &["list", "--limit", "1000", "--json"]);
    assert_eq!(list.status.code(), Some(0), "{}", text(&list));
    let entries: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(entries.len(), 20, "{}", text(&list));
    let verify = audit(dir.path(), &["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    assert!(
        text(&verify).contains("intact: 20 entries checked"),
        "{}",
        text(&verify)
    );
    let bundle = dir.path().join("bundle.json");
    let out = audit(dir.path(), &["export", "--out", path_str(&bundle)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("20 entries (seq 1..20)"),
        "{}",
        text(&out)
    );
    // --store with --schema reads it too.
    let out = bin()
        .args([
            "audit", "verify", "--store", &pg.url, "--schema", &pg.schema,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("intact: 20 entries"), "{}", text(&out));
}
