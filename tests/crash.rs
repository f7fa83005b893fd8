//! Crash safety of `iarms-gateway serve`: the gateway is killed with SIGKILL
//! while a partner is sending it a few thousand records and it is forwarding
//! them to the hub, then restarted on the same store (SQLite, and PostgreSQL when
//! `DATABASE_URL` is set; under `CI` it must be).
//!
//! What is asserted, and what is not: delivery is at least once. A delivery in
//! flight at the moment of the kill (sent, not yet marked delivered) is sent
//! again once its lease expires, so the receiver may see a message id twice on
//! the wire. The receiver here behaves as the hub does (it dedupes by
//! `Idempotency-Key` and answers a resend as a duplicate), and the test asserts:
//! every record answered 200 before the kill is in the store after it; every
//! message sent is accepted by the receiver exactly once; each record's versions
//! arrive in order; and the raw resends are no more than one claim, four rounds of `batch` (what a
//! worker can hold when it dies). The figures are printed.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use support::load::{post_batch, Load, Posted};
use support::receiver::Receiver;
use support::service::{forwarding_gateway_config, Running};
use support::store::TestStore;

const KEY_PARTNER: &str = "rs-partner-key";
const KEY_OPS: &str = "operator-key";
/// `[forward] batch`: the most deliveries one worker holds, so the most resends a kill can cause.
const CLAIM: u32 = 20;
const RECORDS: u64 = 400;
const VERSIONS: u64 = 5;

/// One of these tests at a time: each loads the machine on its own.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_forwarding_loses_nothing_and_delivers_once_on_sqlite() {
    crash_and_restart(TestStore::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_forwarding_loses_nothing_and_delivers_once_on_postgres() {
    if let Some(store) = TestStore::postgres("crash") {
        crash_and_restart(store).await;
    }
}

async fn crash_and_restart(store: TestStore) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let label = format!("crash ({})", store.name());
    let receiver = Receiver::start(Duration::from_millis(2)).await;
    let dir = support::tempdir();
    let config = dir.path().join("gateway.toml");
    let text = forwarding_gateway_config(
        &store.toml(),
        &receiver.url,
        (KEY_PARTNER, KEY_OPS),
        ("2s", CLAIM),
    );
    std::fs::write(&config, text).unwrap();
    let log = dir.path().join("gateway.log");
    let gateway = Running::start(&["serve"], &config, &log).await;
    let url = gateway.url.clone();

    // The partner sends batches one after another until the gateway stops answering.
    let load = Arc::new(Load::new("RS-MUP-CRASH", RECORDS, VERSIONS, 100));
    let total = (RECORDS * VERSIONS) as usize;
    let client = reqwest::Client::new();
    let submitter = tokio::spawn({
        let (load, client, url) = (Arc::clone(&load), client.clone(), url.clone());
        async move {
            let mut stored = Vec::new();
            for (i, batch) in load.batches.iter().enumerate() {
                match post_batch(&client, &url, KEY_PARTNER, batch).await {
                    Posted::Stored(ids) => stored.extend(ids),
                    Posted::Unanswered(_) => return (stored, i),
                }
            }
            (stored, load.batches.len())
        }
    });

    // kill -9 once a third has reached the hub.
    let started = Instant::now();
    let before = receiver.wait_for(total / 3, Duration::from_secs(60)).await;
    assert!(
        before.accepted.len() >= total / 3,
        "{label}: forwarding too slow: {} of {total} after {:?}\n{}",
        before.accepted.len(),
        started.elapsed(),
        gateway.log()
    );
    gateway.kill();
    let (stored_before_kill, next_batch) = submitter.await.unwrap();
    let at_kill = receiver.arrivals();
    assert!(
        at_kill.accepted.len() < total,
        "{label}: everything was forwarded before the kill"
    );
    eprintln!(
        "{label}: killed after {:?}: {} records answered 200, {} delivered",
        started.elapsed(),
        stored_before_kill.len(),
        at_kill.accepted.len()
    );

    // Restarted on the same store, it still holds every record it had accepted.
    let gateway = Running::start(&["serve"], &config, &log).await;
    assert_stored(&client, &gateway.url, &stored_before_kill, &label).await;

    // The partner sends again what went unanswered (a resend of a record stored
    // just before the kill comes back as a duplicate of itself).
    for batch in &load.batches[next_batch..] {
        match post_batch(&client, &gateway.url, KEY_PARTNER, batch).await {
            Posted::Stored(_) => {}
            Posted::Unanswered(why) => panic!("{label}: the restarted gateway refused: {why}"),
        }
    }

    let arrivals = receiver.wait_for(total, Duration::from_secs(60)).await;
    eprintln!("{label}: all delivered after {:?}", started.elapsed());
    if arrivals.accepted.len() < total {
        eprintln!("{}", gateway.log());
    }
    // What one claim may have on the wire: the hub's sink sends a claim of four
    // rounds of `batch` at once.
    arrivals.assert_delivered_once(&label, &load.message_ids(), VERSIONS, u64::from(CLAIM) * 4);
}

/// Every id is in the store (`GET /v1/messages/{id}` answers 200), 8 at a time.
async fn assert_stored(client: &reqwest::Client, url: &str, ids: &[String], label: &str) {
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in ids.chunks(ids.len().div_ceil(8).max(1)) {
        let (client, url, chunk) = (client.clone(), url.to_string(), chunk.to_vec());
        tasks.spawn(async move {
            let mut missing = Vec::new();
            for id in chunk {
                let status = client
                    .get(format!("{url}/v1/messages/{id}"))
                    .bearer_auth(KEY_OPS)
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                if status.as_ref().ok() != Some(&200) {
                    missing.push((id, status.map_err(|e| e.to_string())));
                }
            }
            missing
        });
    }
    let mut missing = Vec::new();
    while let Some(result) = tasks.join_next().await {
        missing.extend(result.unwrap());
    }
    assert!(
        missing.is_empty(),
        "{label}: {} records answered 200 before the kill are not in the store, e.g. {:?}",
        missing.len(),
        missing.iter().take(3).collect::<Vec<_>>()
    );
}
