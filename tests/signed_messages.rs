//! Issue 16: messages between the gateways and the hub carry HTTP Message
//! Signatures (RFC 9421, ed25519) and are refused without them. The hub and
//! two gateways (RS, BR) from the binary, each with a key from `keygen`, each
//! knowing its peers' public keys: an RS record reaches the hub signed, a BR
//! search's hit notification reaches both gateways signed, and the hub and
//! the gateways keep their peer's signature in their audit trails. Then a hub request signed
//! with another key is refused by a gateway with 401 `bad_signature`.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use support::relay::Relay;
use support::service::{cheap_hash, start, Process};
use support::wait::wait_until;
use support::{bin, data, path_str};

const KEY_RS_PARTNER: &str = "rs-registry-key";
const KEY_BR_PARTNER: &str = "br-registry-key";
const KEY_RS_TO_HUB: &str = "rs-gateway-calls-hub";
const KEY_BR_TO_HUB: &str = "br-gateway-calls-hub";
const KEY_HUB_TO_RS: &str = "hub-calls-rs-gateway";
const KEY_HUB_TO_BR: &str = "hub-calls-br-gateway";

/// `keygen --out DIR/NAME`: the public key it prints.
fn keygen(dir: &Path, name: &str) -> String {
    let out = bin()
        .args(["keygen", "--out", path_str(&dir.join(name))])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

const RETRY: &str =
    r#"retry = { max_attempts = 50, initial_backoff = "100ms", max_backoff = "300ms" }"#;

async fn start_hub(dir: tempfile::TempDir, urls: [&str; 2], gateway_keys: [&str; 2]) -> Process {
    std::fs::write(dir.path().join("rs.key"), KEY_HUB_TO_RS).unwrap();
    std::fs::write(dir.path().join("br.key"), KEY_HUB_TO_BR).unwrap();
    let text = format!(
        r#"[hub]
listen = "127.0.0.1:0"

[store]
url = "hub.db"

[audit]
signing_key = "hub-signing.key"

[forward]
poll_interval = "50ms"

[[gateway]]
country = "RS"
url = "{rs_url}"
key_hashes = ["{rs}"]
key_file = "rs.key"
public_key = "{rs_public}"
{RETRY}

[[gateway]]
country = "BR"
url = "{br_url}"
key_hashes = ["{br}"]
key_file = "br.key"
public_key = "{br_public}"
{RETRY}
"#,
        rs_url = urls[0],
        br_url = urls[1],
        rs = cheap_hash(KEY_RS_TO_HUB),
        br = cheap_hash(KEY_BR_TO_HUB),
        rs_public = gateway_keys[0],
        br_public = gateway_keys[1],
    );
    std::fs::write(dir.path().join("config.toml"), text).unwrap();
    start(&["hub"], dir).await
}

async fn start_gateway(
    dir: tempfile::TempDir,
    country: &str,
    hub: (&str, &str),
    (partner, format, partner_key): (&str, &str, &str),
    (to_hub, from_hub): (&str, &str),
) -> Process {
    std::fs::write(dir.path().join("hub.key"), to_hub).unwrap();
    let (hub_url, hub_public) = hub;
    let text = format!(
        r#"[gateway]
country = "{country}"
agency = "{country}-TEST"
listen = "127.0.0.1:0"
operator_key_hashes = ["{ops}"]

[store]
url = "gateway.db"

[audit]
signing_key = "signing.key"

[hub]
url = "{hub_url}"
api_key_file = "hub.key"
inbound_key_hashes = ["{from_hub}"]
public_key = "{hub_public}"
{RETRY}

[forward]
poll_interval = "50ms"

[[partner]]
id = "{partner}"
format = "{format}"
api_key_hashes = ["{partner_hash}"]
owner_agencies = ["RS-MUP", "BR-PF"]
outbound = {{ directory = "outbox" }}
{RETRY}
"#,
        ops = cheap_hash("operator"),
        from_hub = cheap_hash(from_hub),
        partner_hash = cheap_hash(partner_key),
    );
    std::fs::write(dir.path().join("config.toml"), text).unwrap();
    start(&["serve"], dir).await
}

async fn post(url: &str, key: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(url).bearer_auth(key);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let r = request.body(body).send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(url: &str, key: &str) -> Value {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_and_hub_sign_what_they_send_and_refuse_what_is_not_signed() {
    let (hub_dir, rs_dir, br_dir) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let hub_public = keygen(hub_dir.path(), "hub-signing.key");
    let rs_public = keygen(rs_dir.path(), "signing.key");
    let br_public = keygen(br_dir.path(), "signing.key");
    let (rs_relay, br_relay) = (Relay::bind().await, Relay::bind().await);
    let hub = start_hub(
        hub_dir,
        [&rs_relay.url("http"), &br_relay.url("http")],
        [&rs_public, &br_public],
    )
    .await;
    let rs = start_gateway(
        rs_dir,
        "RS",
        (&hub.url, &hub_public),
        ("rs", "registry-rs", KEY_RS_PARTNER),
        (KEY_RS_TO_HUB, KEY_HUB_TO_RS),
    )
    .await;
    let br = start_gateway(
        br_dir,
        "BR",
        (&hub.url, &hub_public),
        ("br", "registry-br", KEY_BR_PARTNER),
        (KEY_BR_TO_HUB, KEY_HUB_TO_BR),
    )
    .await;
    rs_relay.forward_to(rs.addr());
    br_relay.forward_to(br.addr());

    // Unsigned, the RS gateway's key alone no longer reaches the hub.
    let record = std::fs::read(data("tests/data/native/registry-rs-export.csv")).unwrap();
    let (status, reply) = post(
        &format!("{}/v1/records", hub.url),
        KEY_RS_TO_HUB,
        &[("content-type", "application/json")],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(status, 401, "{reply}");
    assert_eq!(reply["error"]["code"], "bad_signature", "{reply}");

    // Signed by the RS gateway, its records are delivered.
    let (status, reply) = post(
        &format!("{}/v1/partners/rs/messages", rs.url),
        KEY_RS_PARTNER,
        &[],
        record,
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let accepted = reply["accepted"].as_u64().unwrap();
    let delivered_url = format!("{}/v1/messages?partner=rs&state=delivered", rs.url);
    let delivered_url = &delivered_url;
    wait_until(
        Duration::from_secs(30),
        format!("{accepted} records delivered to the hub"),
        || async move {
            let page = get(delivered_url, KEY_RS_PARTNER).await;
            page["items"].as_array().map_or(0, Vec::len) as u64 >= accepted
        },
    )
    .await;

    // The hub keeps the RS gateway's signature with each record it accepted.
    let list = bin()
        .args(["audit", "list", "--limit", "1000", "--json", "--hub-config"])
        .arg(hub.dir.path().join("config.toml"))
        .output()
        .unwrap();
    assert_eq!(list.status.code(), Some(0));
    let entries: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    let signed_by_rs = entries
        .iter()
        .filter(|e| {
            e["actor"] == "gateway:RS"
                && e["action"] == "accepted"
                && e["details"].as_str().is_some_and(|d| {
                    d.contains("signature-input: iarms=") && d.contains(rs_public.as_str())
                })
        })
        .count() as u64;
    assert_eq!(signed_by_rs, accepted, "{entries:?}");
    // The hub signs its own chain's head too: its trail verifies with its key.
    let verify = bin()
        .args(["audit", "verify", "--json", "--hub-config"])
        .arg(hub.dir.path().join("config.toml"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(verify.status.code(), Some(0), "{report}");
    assert_eq!(report["signatures_checked"], true, "{report}");
    assert!(
        report["checkpoints_signed"].as_u64().unwrap() >= 1,
        "{report}"
    );

    // A BR search: the hit notifications come back signed by the hub.
    let search = json!({
        "kind": "search",
        "header": {
            "message_id": "5eac4000-0000-4000-8000-000000000001",
            "correlation_id": "5eac4000-0000-4000-8000-000000000001",
            "schema_version": "1.0"
        },
        "search_id": "BR-PF-S-2026-000001",
        "searching_country": "BR",
        "searching_agency": "BR-PF",
        "firearm": {"make": "Zastava", "serial_number": "C-123456", "calibre": "7.62x39mm"},
        "requested_at": "2026-01-10T10:00:00Z"
    });
    let (status, reply) = post(
        &format!("{}/v1/searches", br.url),
        KEY_BR_PARTNER,
        &[("content-type", "application/json")],
        search.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let hub_public = &hub_public;
    for gateway in [&rs, &br] {
        let url = format!("{}/v1/audit?limit=1000", gateway.url);
        let url = &url;
        wait_until(
            Duration::from_secs(30),
            "the hub's signed hit notification",
            || async move {
                let page = get(url, "operator").await;
                page["entries"].as_array().is_some_and(|entries| {
                    entries.iter().any(|e| {
                        e["actor"] == "hub"
                            && e["action"] == "accepted"
                            && e["details"].as_str().is_some_and(|d| {
                                d.contains("signature-input: iarms=")
                                    && d.contains(hub_public.as_str())
                            })
                    })
                })
            },
        )
        .await;
    }

    // What claims to be the hub but is signed with another key: refused.
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "impostor.key");
    let impostor =
        iarms_gateway::audit::SigningKey::load(&dir.path().join("impostor.key")).unwrap();
    let body = search.to_string().into_bytes();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    iarms_gateway::signature::sign_outbound(
        &format!("{}/v1/inbound", rs.url),
        &mut headers,
        &body,
        &impostor,
    );
    let r = reqwest::Client::new()
        .post(format!("{}/v1/inbound", rs.url))
        .bearer_auth(KEY_HUB_TO_RS)
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let reply: Value = r.json().await.unwrap();
    assert_eq!(reply["error"]["code"], "bad_signature", "{reply}");
    // Unsigned: refused too.
    let (status, reply) = post(
        &format!("{}/v1/inbound", rs.url),
        KEY_HUB_TO_RS,
        &[("content-type", "application/json")],
        search.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 401, "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not signed")),
        "{reply}"
    );
}
