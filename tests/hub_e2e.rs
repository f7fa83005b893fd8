//! End to end through the reference hub: `iarms-gateway hub` and two
//! `iarms-gateway serve` processes (RS with a `registry-rs` partner, BR with a
//! `registry-br` partner), each partner receiving through an outbox directory.
//! A Serbian export goes in at the RS gateway, a Brazilian search at the BR
//! gateway; the hit notification lands at both registries. Then a trace request
//! travels BR -> hub -> RS, the RS answer travels back, and the hub shows the
//! trace `answered`. The gateways run on SQLite, and on PostgreSQL (a schema
//! each) when `DATABASE_URL` is set (under `CI` it must be); the hub keeps its
//! SQLite store.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::service::{cheap_hash, free_port, start, Process};
use support::store::TestStore;
use support::{data, path_str, run};

const KEY_RS_PARTNER: &str = "rs-registry-key";
const KEY_BR_PARTNER: &str = "br-registry-key";
const KEY_RS_TO_HUB: &str = "rs-gateway-calls-hub";
const KEY_BR_TO_HUB: &str = "br-gateway-calls-hub";
const KEY_HUB_TO_RS: &str = "hub-calls-rs-gateway";
const KEY_HUB_TO_BR: &str = "hub-calls-br-gateway";

async fn start_hub(port: u16, rs_port: u16, br_port: u16) -> Process {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rs.key"), KEY_HUB_TO_RS).unwrap();
    std::fs::write(dir.path().join("br.key"), KEY_HUB_TO_BR).unwrap();
    let retry =
        r#"retry = { max_attempts = 50, initial_backoff = "100ms", max_backoff = "300ms" }"#;
    let text = format!(
        r#"[hub]
listen = "127.0.0.1:{port}"

[store]
url = "hub.db"

[forward]
poll_interval = "50ms"

[[gateway]]
country = "RS"
url = "http://127.0.0.1:{rs_port}"
key_hashes = ["{rs}"]
key_file = "rs.key"
{retry}

[[gateway]]
country = "BR"
url = "http://127.0.0.1:{br_port}"
key_hashes = ["{br}"]
key_file = "br.key"
{retry}
"#,
        rs = cheap_hash(KEY_RS_TO_HUB),
        br = cheap_hash(KEY_BR_TO_HUB),
    );
    std::fs::write(dir.path().join("config.toml"), text).unwrap();
    start(&["hub"], dir, port).await
}

/// A country gateway with one partner that receives through `outbox/`;
/// `extra` adds lines to the partner's table.
async fn start_gateway(
    store: &TestStore,
    country: &str,
    port: u16,
    hub_port: u16,
    (partner, format, partner_key, extra): (&str, &str, &str, &str),
    (to_hub, from_hub): (&str, &str),
) -> Process {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hub.key"), to_hub).unwrap();
    let text = format!(
        r#"[gateway]
country = "{country}"
agency = "{country}-TEST"
listen = "127.0.0.1:{port}"

{store}
[hub]
url = "http://127.0.0.1:{hub_port}"
api_key_file = "hub.key"
inbound_key_hashes = ["{from_hub}"]
retry = {{ max_attempts = 50, initial_backoff = "100ms", max_backoff = "300ms" }}

[forward]
poll_interval = "50ms"

[[partner]]
id = "{partner}"
format = "{format}"
api_key_hashes = ["{partner_hash}"]
# Each gateway's country check leaves only its own agency's records through.
owner_agencies = ["RS-MUP", "BR-PF"]
outbound = {{ directory = "outbox" }}
retry = {{ max_attempts = 50, initial_backoff = "100ms", max_backoff = "300ms" }}
{extra}
"#,
        store = store.toml(),
        from_hub = cheap_hash(from_hub),
        partner_hash = cheap_hash(partner_key),
    );
    std::fs::write(dir.path().join("config.toml"), text).unwrap();
    start(&["serve"], dir, port).await
}

async fn post(url: &str, key: &str, body: Vec<u8>) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .bearer_auth(key)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn get(url: &str, key: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The files of `dir` whose name holds `kind` (the outbox names them by kind).
fn files_of(dir: &Path, kind: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|f| {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        name.contains(kind) && !name.starts_with('.')
    });
    files.sort();
    files
}

/// Polls until `dir` holds a file of `kind`, then returns its text.
async fn wait_for_file(dir: &Path, kind: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(file) = files_of(dir, kind).first() {
            return std::fs::read_to_string(file).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "no {kind} file arrived in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The single canonical message of an outbox file (`{"messages": [..]}`, one
/// message, or NDJSON).
fn only_message(text: &str) -> Value {
    let value: Value = serde_json::from_str(text)
        .or_else(|_| serde_json::from_str(text.lines().next().unwrap_or("")))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    match value.get("messages").and_then(Value::as_array) {
        Some(messages) => {
            assert_eq!(messages.len(), 1, "{text}");
            messages[0].clone()
        }
        None => value,
    }
}

fn first_ndjson_line(args: &[&str]) -> Value {
    let output = run(args);
    assert!(output.status.success(), "{args:?}");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_searches_and_traces_travel_between_two_gateways_through_the_hub() {
    records_searches_and_traces_travel([TestStore::Sqlite, TestStore::Sqlite]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_searches_and_traces_travel_between_two_gateways_through_the_hub_on_postgres() {
    let Some(rs) = TestStore::postgres("e2e_rs") else {
        return;
    };
    let Some(br) = TestStore::postgres("e2e_br") else {
        return;
    };
    records_searches_and_traces_travel([rs, br]).await;
}

/// The story, with the RS and BR gateways on `stores` (dropped after the processes).
async fn records_searches_and_traces_travel([rs_store, br_store]: [TestStore; 2]) {
    let (hub_port, rs_port, br_port) = (free_port(), free_port(), free_port());
    let hub = start_hub(hub_port, rs_port, br_port).await;
    let rs = start_gateway(
        &rs_store,
        "RS",
        rs_port,
        hub_port,
        (
            "rs",
            "registry-rs",
            KEY_RS_PARTNER,
            r#"formats = { trace_request = "registry-rs-trace-request", trace_response = "registry-rs-trace-response" }"#,
        ),
        (KEY_RS_TO_HUB, KEY_HUB_TO_RS),
    )
    .await;
    let br = start_gateway(
        &br_store,
        "BR",
        br_port,
        hub_port,
        ("br", "registry-br", KEY_BR_PARTNER, ""),
        (KEY_BR_TO_HUB, KEY_HUB_TO_BR),
    )
    .await;
    let rs_outbox = rs.dir.path().join("outbox");
    let br_outbox = br.dir.path().join("outbox");

    // The hub refuses callers without a gateway key.
    let (status, reply) = post(&format!("{}/v1/records", hub.url), "nobody", b"{}".to_vec()).await;
    assert_eq!(status, 401, "{reply}");
    assert_eq!(reply["error"]["code"], "unauthenticated");

    // The Serbian registry's export, in its own format, at the RS gateway.
    let export = std::fs::read(data("tests/data/native/registry-rs-export.csv")).unwrap();
    let (status, reply) = post(
        &format!("{}/v1/partners/rs/messages", rs.url),
        KEY_RS_PARTNER,
        export,
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let accepted = reply["accepted"].as_u64().unwrap();
    assert!(accepted >= 2, "{reply}");

    // The records reach the hub's register before the search is sent: the hub
    // answers searches from what it holds when the search arrives.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, page) = get(
            &format!("{}/v1/messages?partner=rs&state=delivered", rs.url),
            KEY_RS_PARTNER,
        )
        .await;
        let delivered = page["items"].as_array().map_or(0, Vec::len) as u64;
        if delivered >= accepted {
            break;
        }
        assert!(Instant::now() < deadline, "records not delivered: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A Brazilian search for the Zastava C-123456, canonical, at the BR gateway.
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
        "case_reference": "IPL 0001/2026-SR/PF",
        "firearm": {
            "make": "Zastava",
            "serial_number": "C-123456",
            "serial_state": "legible",
            "calibre": "7.62x39mm"
        },
        "requested_at": "2026-01-10T10:00:00Z"
    });
    let (status, reply) = post(
        &format!("{}/v1/searches", br.url),
        KEY_BR_PARTNER,
        search.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");

    // The hit notification reaches both registries: BR as searcher, RS as owner.
    for (who, outbox) in [("BR", &br_outbox), ("RS", &rs_outbox)] {
        let text = wait_for_file(outbox, "hit_notification").await;
        let hit = only_message(&text);
        assert_eq!(hit["kind"], "hit_notification", "{who}: {text}");
        assert_eq!(hit["match"]["kind"], "exact", "{who}: {text}");
        assert!(
            text.contains("KU-2024-00117#C-123456"),
            "{who}: the matched record id is missing: {text}"
        );
        assert!(text.contains("BR-PF-S-2026-000001"), "{who}: {text}");
        assert_eq!(files_of(outbox, "hit_notification").len(), 1, "{who}");
    }

    // A trace request BR -> RS, canonical at the BR gateway ...
    let trace_id = "BR-PF-T-2026-000001";
    let request = json!({
        "kind": "trace_request",
        "header": {
            "message_id": "7aace000-0000-4000-8000-000000000001",
            "correlation_id": "7aace000-0000-4000-8000-000000000001",
            "schema_version": "1.0"
        },
        "trace_id": trace_id,
        "requesting_country": "BR",
        "requesting_agency": "BR-PF",
        "requested_country": "RS",
        "priority": "urgent",
        "firearm": {
            "make": "Zastava",
            "model": "M70AB2",
            "serial_number": "C-123456",
            "calibre": "7.62x39mm",
            "firearm_type": "assault_rifle",
            "country_of_manufacture": "YU"
        },
        "seizure": {
            "date": "2026-01-05",
            "place": {"country": "BR", "locality": "Foz do Iguaçu"},
            "circumstances": "apreensão na fronteira"
        },
        "questions": ["manufacture", "export"],
        "due_date": "2099-12-31",
        "contact": {"name": "Ana Souza", "email": "ana.souza@pf.gov.br"}
    });
    let (status, reply) = post(
        &format!("{}/v1/traces", br.url),
        KEY_BR_PARTNER,
        request.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");

    // ... reaches the Serbian registry in its own trace-request format, exactly ...
    let text = wait_for_file(&rs_outbox, "trace_request").await;
    assert_eq!(
        text,
        "\u{feff}Broj zahteva;Zemlja podnosioca;Organ podnosioca;Zamoljena zemlja;Prioritet;\
         Proizvođač;Model;Serijski broj;Kalibar;Vrsta oružja;Zemlja proizvodnje;Datum zaplene;\
         Mesto zaplene;Zemlja zaplene;Okolnosti;Pitanja;Rok za odgovor;Kontakt;Kontakt e-pošta\r\n\
         BR-PF-T-2026-000001;BR;BR-PF;RS;hitan;Zastava;M70AB2;C-123456;7.62x39mm;automatska puška;\
         YU;05.01.2026;Foz do Iguaçu;BR;apreensão na fronteira;proizvodnja|izvoz;31.12.2099;\
         Ana Souza;ana.souza@pf.gov.br\r\n"
    );

    // ... which acknowledges it (an outbox partner acknowledges by the API); the
    // RS gateway tells the hub.
    let (status, reply) = post(
        &format!("{}/v1/traces/{trace_id}/acknowledge", rs.url),
        KEY_RS_PARTNER,
        Vec::new(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["to"], "acknowledged", "{reply}");
    let url = format!("{}/v1/traces/{trace_id}", hub.url);
    wait_for_state(&url, KEY_BR_TO_HUB, "acknowledged").await;

    // ... and answers in its own trace-response format at its gateway ...
    let answer = "\u{feff}Broj zahteva;Ishod;Događaji;Datumi događaja;Zemlje događaja;\
                  Tačka preusmeravanja;Napomena;Vreme odgovora\r\n\
                  BR-PF-T-2026-000001;delimično praćeno;proizvedeno|izvezeno;1987|14.05.2001;YU|YU;\
                  prijavljeno ukradeno 2019.;Dalje praćenje u toku.;2026-01-20T09:30:00Z\r\n";
    let (status, reply) = post(
        &format!("{}/v1/partners/rs/messages?kind=trace_response", rs.url),
        KEY_RS_PARTNER,
        answer.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["accepted"], 1, "{reply}");

    // ... which reaches the Brazilian registry as exactly its canonical translation
    // (registry-br carries records only, so it gets canonical JSON) ...
    let native = tempfile::tempdir().unwrap();
    let answer_file = native.path().join("answer.csv");
    std::fs::write(&answer_file, answer).unwrap();
    let expected = first_ndjson_line(&[
        "convert",
        "--from",
        "registry-rs-trace-response",
        "--to",
        "iarms-ndjson",
        path_str(&answer_file),
    ]);
    assert_eq!(expected["outcome"], "partially_traced");
    assert_eq!(expected["custody_chain"][1]["date"], "2001-05-14");
    let text = wait_for_file(&br_outbox, "trace_response").await;
    assert_eq!(only_message(&text), expected, "{text}");

    // ... and the trace is answered at the hub and at both gateways.
    let (status, trace) = wait_for_state(&url, KEY_BR_TO_HUB, "answered").await;
    assert_eq!(status, 200, "{trace}");
    assert_eq!(trace["requesting_country"], "BR");
    assert_eq!(trace["requested_country"], "RS");
    let (status, _) = get(&url, KEY_RS_TO_HUB).await;
    assert_eq!(status, 200);
    for (gateway, key) in [(&rs, KEY_RS_PARTNER), (&br, KEY_BR_PARTNER)] {
        let url = format!("{}/v1/traces/{trace_id}", gateway.url);
        wait_for_state(&url, key, "answered").await;
    }
}

/// Polls a trace until it is in `state` (30 s at most); returns the last reply.
async fn wait_for_state(url: &str, key: &str, state: &str) -> (u16, Value) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, trace) = get(url, key).await;
        if trace["state"] == state {
            return (status, trace);
        }
        assert!(
            Instant::now() < deadline,
            "trace not {state} at {url}: {status} {trace}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
