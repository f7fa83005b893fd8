//! The delivery engine from outside: a gateway process forwarding to a
//! receiver that stands for the hub, behind a relay the test points at a
//! closed port (an outage) and back.
//!
//! - an outage and the hub's return: the backlog drains at once after the
//!   destination answers again (not when each delivery's own backoff ends),
//!   with a handful of warning lines for the whole outage;
//! - a batch answered per message: one refused message is dead with its
//!   reason, the others of the same request are delivered;
//! - a replica killed while holding leases: another gateway on the same
//!   PostgreSQL schema resends them within the lease plus 5 s, ahead of the
//!   backlog queued before them.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use support::load::{post_batch, Load, Posted};
use support::receiver::Receiver;
use support::relay::Relay;
use support::service::{cheap_hash, forwarding_gateway_config, Running};
use support::store::TestStore;
use support::wait::wait_until;

const KEY_PARTNER: &str = "rs-partner-key";
const KEY_OPS: &str = "operator-key";

/// A gateway forwarding to `hub_url` with long per-delivery backoffs (20 s
/// and more): only the destination's own probe can end an outage quickly.
fn patient_gateway(hub_url: &str) -> String {
    format!(
        r#"[gateway]
country = "RS"
agency = "RS-MUP"
listen = "127.0.0.1:0"
operator_key_hashes = ["{operator}"]

[store]
url = "gateway.db"

[hub]
url = "{hub_url}"
retry = {{ max_attempts = 50, initial_backoff = "20s", max_backoff = "60s" }}

[forward]
poll_interval = "20ms"
batch = 50

[[partner]]
id = "rs"
format = "registry-rs"
api_key_hashes = ["{partner}"]
owner_agencies = ["RS-MUP"]
"#,
        operator = cheap_hash(KEY_OPS),
        partner = cheap_hash(KEY_PARTNER),
    )
}

/// An address nothing listens on: connections to it are refused.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

async fn submit(url: &str, load: &Load) {
    let client = reqwest::Client::new();
    for batch in &load.batches {
        match post_batch(&client, url, KEY_PARTNER, batch).await {
            Posted::Stored(_) => {}
            Posted::Unanswered(why) => panic!("the gateway did not store a batch: {why}"),
        }
    }
}

async fn operator_get(url: &str) -> Value {
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(KEY_OPS)
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_outage_the_backlog_drains_at_once_with_few_warnings() {
    let receiver = Receiver::start(Duration::ZERO).await;
    let relay = Relay::bind().await;
    let down = closed_port().await;
    relay.forward_to(down);
    let dir = support::tempdir();
    let config = dir.path().join("gateway.toml");
    std::fs::write(&config, patient_gateway(&relay.url("http"))).unwrap();
    let log = dir.path().join("gateway.log");
    let gateway = Running::start(&["serve"], &config, &log).await;

    // The hub is down while 1,000 records arrive.
    let load = Load::new("RS-MUP-OUTAGE", 1000, 1, 100);
    submit(&gateway.url, &load).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(receiver.arrivals().accepted.is_empty());
    let metrics = reqwest::get(format!("{}/metrics", gateway.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"destination_health{destination="hub",state="failing"} 1"#)
            || metrics.contains(r#"destination_health{destination="hub",state="probing"} 1"#),
        "{metrics}"
    );

    // It comes back: everything is delivered within the probe interval (5 s)
    // and the drain, long before the deliveries' own 10-20 s backoffs end.
    let back = Instant::now();
    relay.forward_to(addr_of(&receiver.url));
    let arrivals = receiver.wait_for(1000, Duration::from_secs(30)).await;
    let drained = back.elapsed();
    eprintln!("outage: 1000 delivered {drained:?} after the hub's return");
    arrivals.assert_delivered_once("outage", &load.message_ids(), 1, 0);
    assert!(
        drained < Duration::from_secs(9),
        "drained after {drained:?}"
    );

    let text = gateway.log();
    let warnings = text.lines().filter(|l| l.contains("WARN")).count();
    assert!(
        warnings <= 5,
        "{warnings} warning lines for one outage:\n{text}"
    );
    assert!(text.contains("destination failing"), "{text}");
    let metrics = reqwest::get(format!("{}/metrics", gateway.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"destination_health{destination="hub",state="healthy"} 1"#),
        "{metrics}"
    );
}

/// A hub that refuses, inside a batch, every record whose id holds `BAD`
/// (422, `invalid`) while `refuse` is set, and takes the others; it keeps
/// what it took in order.
async fn picky_hub(refuse: Arc<AtomicBool>) -> (String, Arc<Mutex<Vec<String>>>) {
    let taken: Arc<Mutex<Vec<String>>> = Arc::default();
    let state = Arc::clone(&taken);
    let app = Router::new().fallback(post(move |body: Bytes| {
        let state = Arc::clone(&state);
        let refuse = refuse.load(Ordering::SeqCst);
        async move {
            let document: Value = serde_json::from_slice(&body).unwrap();
            let mut status = 200;
            let results: Vec<Value> = document["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    let id = m["header"]["message_id"].as_str().unwrap().to_string();
                    if refuse && m["record_id"].as_str().unwrap().contains("BAD") {
                        status = 422;
                        json!({"error": {"code": "invalid", "message": "no such calibre", "status": 422}})
                    } else {
                        state.lock().unwrap().push(id.clone());
                        json!({"kind": "record", "message_id": id})
                    }
                })
                .collect();
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                json!({ "results": results }).to_string(),
            )
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, taken)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_settled_per_message_and_one_refusal_fails_only_itself() {
    let (hub_url, taken) = picky_hub(Arc::new(AtomicBool::new(true))).await;
    let dir = support::tempdir();
    let config = dir.path().join("gateway.toml");
    let text = forwarding_gateway_config(
        &TestStore::Sqlite.toml(),
        &hub_url,
        (KEY_PARTNER, KEY_OPS),
        ("30s", 50),
    );
    std::fs::write(&config, text).unwrap();
    let gateway = Running::start(&["serve"], &config, &dir.path().join("gateway.log")).await;

    let batch: Vec<Value> = ["GOOD-1", "BAD-2", "GOOD-3", "GOOD-4"]
        .iter()
        .map(|id| support::load::record(id, 1))
        .collect();
    let ids: Vec<String> = batch
        .iter()
        .map(|m| m["header"]["message_id"].as_str().unwrap().to_string())
        .collect();
    submit(
        &gateway.url,
        &Load {
            batches: vec![batch],
            versions: 1,
        },
    )
    .await;

    let bad = format!("{}/v1/messages/{}", gateway.url, ids[1]);
    wait_until(Duration::from_secs(15), "the refused record dead", || {
        let bad = bad.clone();
        async move { operator_get(&bad).await["deliveries"][0]["state"] == "dead" }
    })
    .await;
    let view = operator_get(&bad).await;
    let reason = view["deliveries"][0]["last_error"].as_str().unwrap();
    assert!(
        reason.contains("HTTP 422") && reason.contains("invalid"),
        "{view}"
    );
    assert_eq!(view["deliveries"][0]["attempts"], 1, "{view}");
    for id in [&ids[0], &ids[2], &ids[3]] {
        let view = operator_get(&format!("{}/v1/messages/{id}", gateway.url)).await;
        assert_eq!(view["deliveries"][0]["state"], "delivered", "{view}");
        assert_eq!(
            view["deliveries"][0]["receipt"]["remote_id"],
            id.as_str(),
            "{view}"
        );
    }
    let mut got = taken.lock().unwrap().clone();
    got.sort();
    let mut want = vec![ids[0].clone(), ids[2].clone(), ids[3].clone()];
    want.sort();
    assert_eq!(
        got, want,
        "each good record once, in one request with the bad one"
    );
}

/// Version 1 of a record refused for good: versions 2 and 3 are `blocked`
/// (listed, counted, with the reason), never sent; retrying the dead one sends
/// all three, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_version_blocks_its_successors_visibly_until_retried() {
    let refuse = Arc::new(AtomicBool::new(true));
    let (hub_url, taken) = picky_hub(Arc::clone(&refuse)).await;
    let dir = support::tempdir();
    let config = dir.path().join("gateway.toml");
    let text = forwarding_gateway_config(
        &TestStore::Sqlite.toml(),
        &hub_url,
        (KEY_PARTNER, KEY_OPS),
        ("30s", 50),
    );
    std::fs::write(&config, text).unwrap();
    let gateway = Running::start(&["serve"], &config, &dir.path().join("gateway.log")).await;
    let batch: Vec<Value> = (1..=3)
        .map(|v| support::load::record("BAD-1", v))
        .chain([support::load::record("GOOD-1", 1)])
        .collect();
    let ids: Vec<String> = batch
        .iter()
        .map(|m| m["header"]["message_id"].as_str().unwrap().to_string())
        .collect();
    submit(
        &gateway.url,
        &Load {
            batches: vec![batch],
            versions: 3,
        },
    )
    .await;

    let blocked = format!("{}/v1/messages?state=blocked", gateway.url);
    wait_until(Duration::from_secs(15), "two blocked versions", || {
        let blocked = blocked.clone();
        async move {
            operator_get(&blocked).await["items"]
                .as_array()
                .map(Vec::len)
                == Some(2)
        }
    })
    .await;
    let page = operator_get(&blocked).await;
    assert_eq!(page["truncated"], false, "{page}");
    let listed: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["message"]["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [ids[2].as_str(), ids[1].as_str()],
        "newest first: {page}"
    );
    let reason = page["items"][0]["deliveries"][0]["last_error"]
        .as_str()
        .unwrap();
    assert!(reason.contains(&ids[0]), "names the dead version: {reason}");
    let dead = operator_get(&format!("{}/v1/messages/{}", gateway.url, ids[0])).await;
    assert_eq!(dead["deliveries"][0]["state"], "dead", "{dead}");
    let metrics = reqwest::get(format!("{}/metrics", gateway.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"queue_depth{destination="hub",state="blocked"} 2"#),
        "{metrics}"
    );
    // The CLI lists them too, with the reason.
    let out = support::run(&[
        "messages",
        "list",
        "--config",
        support::path_str(&config),
        "--state",
        "blocked",
    ]);
    let listing = support::stdout(&out);
    assert!(
        listing.contains(&ids[1])
            && listing.contains(&ids[2])
            && listing.contains("blocked behind"),
        "{listing}\n{}",
        support::stderr(&out)
    );
    // Only the good record and the refused version were ever sent.
    assert_eq!(*taken.lock().unwrap(), [ids[3].clone()]);

    // The hub takes it now; retrying the dead one releases the others in order.
    refuse.store(false, Ordering::SeqCst);
    let retried = reqwest::Client::new()
        .post(format!("{}/v1/deliveries/retry-dead", gateway.url))
        .bearer_auth(KEY_OPS)
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status().as_u16(), 200);
    wait_until(Duration::from_secs(15), "all versions delivered", || {
        let taken = Arc::clone(&taken);
        async move { taken.lock().unwrap().len() == 4 }
    })
    .await;
    assert_eq!(
        *taken.lock().unwrap(),
        [
            ids[3].clone(),
            ids[0].clone(),
            ids[1].clone(),
            ids[2].clone()
        ],
        "in order after the retry"
    );
}

/// `[forward]` of the replicas: a short lease, one request a second.
const LEASE: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_replicas_leases_are_resent_within_the_lease_and_5s() {
    // Declared first: the schema is dropped after the gateways are gone.
    let Some(store) = TestStore::postgres("takeover") else {
        return;
    };
    let TestStore::Postgres(pg) = &store else {
        unreachable!()
    };
    // A slow hub (1 s an answer) and a backlog far longer than lease + 5 s to
    // send: by due time alone the dead replica's leases would wait behind it.
    let receiver = Receiver::start(Duration::from_secs(1)).await;
    let config_text = forwarding_gateway_config(
        &store.toml(),
        &receiver.url,
        (KEY_PARTNER, KEY_OPS),
        ("4s", 20),
    )
    .replace("[forward]\n", "[forward]\ntimeout = \"3s\"\n");
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| support::tempdir()).collect();
    let start = |i: usize| {
        let config = dirs[i].path().join("gateway.toml");
        std::fs::write(&config, &config_text).unwrap();
        let log = dirs[i].path().join("gateway.log");
        async move { Running::start(&["serve"], &config, &log).await }
    };
    let victim = start(0).await;
    let load = Load::new("RS-MUP-TAKEOVER", 3000, 1, 500);
    submit(&victim.url, &load).await;
    receiver.wait_for(1, Duration::from_secs(15)).await;

    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&pg.url)
        .await
        .unwrap();
    let leased = format!(
        "SELECT lease_owner, COUNT(*) FROM \"{}\".deliveries WHERE state = 'delivering' GROUP BY lease_owner",
        pg.schema
    );
    // Kill while the victim holds leases (between two claims it holds none).
    wait_until(Duration::from_secs(15), "the victim to hold leases", || {
        let (pool, leased) = (pool.clone(), leased.clone());
        async move {
            let held: Vec<(Option<String>, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(leased))
                .fetch_all(&pool)
                .await
                .unwrap();
            !held.is_empty()
        }
    })
    .await;
    victim.kill();
    let killed = Instant::now();
    let held: Vec<(Option<String>, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(leased.clone()))
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(held.len(), 1, "one replica held leases: {held:?}");
    let (owner, count) = held[0].clone();
    let owner = owner.unwrap();
    assert!(count > 0);
    let _survivor = start(1).await;

    // Every delivery the victim held is claimed by the survivor (and sent:
    // a claim sends at once) within the lease plus 5 s of the kill.
    let still_held = format!(
        "SELECT COUNT(*) FROM \"{}\".deliveries WHERE lease_owner = $1 AND state <> 'delivered'",
        pg.schema
    );
    wait_until(
        LEASE + Duration::from_secs(5),
        format!("the {count} deliveries of {owner} taken over"),
        || {
            let (pool, sql, owner) = (pool.clone(), still_held.clone(), owner.clone());
            async move {
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(owner)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                n == 0
            }
        },
    )
    .await;
    eprintln!(
        "takeover: {count} leased deliveries taken over {:?} after the kill, {} of {} delivered by then",
        killed.elapsed(),
        receiver.arrivals().accepted.len(),
        load.message_ids().len()
    );
    assert!(
        receiver.arrivals().accepted.len() < load.message_ids().len(),
        "the backlog was drained before the takeover: the test proves nothing"
    );
    pool.close().await;
}
