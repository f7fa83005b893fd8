//! Scaling out: three `iarms-gateway serve` replicas on one PostgreSQL store
//! (same `[store] url` and `schema`), a partner's batches spread over them, one
//! replica killed with SIGKILL midway. The other two take over its leased
//! deliveries when the lease (2 s here) expires and finish.
//!
//! Delivery is at least once: what the dead replica had sent but not yet marked
//! delivered is sent again by a survivor. The receiver dedupes by
//! `Idempotency-Key` as the hub does; the test asserts every message is accepted
//! by it exactly once, each record's versions arrive in order (the claim never
//! takes a delivery while an earlier one of the same record is pending, whichever
//! replica holds it), and raw resends stay within one claim (four rounds of `batch`). Needs
//! `DATABASE_URL`; without it, a notice and nothing else (a failure under `CI`).

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
const CLAIM: u32 = 20;
const RECORDS: u64 = 600;
const VERSIONS: u64 = 5;
const REPLICAS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_on_postgres_deliver_everything_once_when_one_is_killed() {
    // Declared first: the schema is dropped after the replicas are gone.
    let Some(store) = TestStore::postgres("replicas") else {
        return;
    };
    let receiver = Receiver::start(Duration::from_millis(2)).await;
    let dirs: Vec<tempfile::TempDir> = (0..REPLICAS).map(|_| support::tempdir()).collect();
    let mut replicas: Vec<Option<Running>> = Vec::new();
    for dir in &dirs {
        let config = dir.path().join("gateway.toml");
        let text = forwarding_gateway_config(
            &store.toml(),
            &receiver.url,
            (KEY_PARTNER, KEY_OPS),
            ("2s", CLAIM),
        );
        std::fs::write(&config, text).unwrap();
        let log = dir.path().join("gateway.log");
        replicas.push(Some(Running::start(&["serve"], &config, &log).await));
    }
    let urls: Vec<String> = replicas.iter().flatten().map(|r| r.url.clone()).collect();

    // Batch i goes to replica i % 3; if it does not answer, to the next one.
    // Sequential, so a record's version v is stored before version v + 1.
    let load = Arc::new(Load::new("RS-MUP-REPLICA", RECORDS, VERSIONS, 100));
    let total = (RECORDS * VERSIONS) as usize;
    let submitter = tokio::spawn({
        let load = Arc::clone(&load);
        async move {
            let client = reqwest::Client::new();
            let mut per_replica = [0usize; REPLICAS];
            for (i, batch) in load.batches.iter().enumerate() {
                let mut done = false;
                for k in 0..REPLICAS * 3 {
                    let r = (i + k) % REPLICAS;
                    if let Posted::Stored(_) =
                        post_batch(&client, &urls[r], KEY_PARTNER, batch).await
                    {
                        per_replica[r] += 1;
                        done = true;
                        break;
                    }
                }
                assert!(done, "no replica stored batch {i}");
            }
            per_replica
        }
    });

    // Kill replica 0 once a third has reached the hub.
    let started = Instant::now();
    let before = receiver.wait_for(total / 3, Duration::from_secs(60)).await;
    assert!(
        before.accepted.len() >= total / 3,
        "forwarding too slow: {} of {total} after {:?}",
        before.accepted.len(),
        started.elapsed()
    );
    if let Some(victim) = replicas[0].take() {
        victim.kill();
    }
    let at_kill = receiver.arrivals().accepted.len();
    assert!(at_kill < total, "everything was forwarded before the kill");
    let per_replica = submitter.await.unwrap();
    eprintln!(
        "replicas: replica 0 killed after {:?} with {at_kill} of {total} delivered; \
         batches stored per replica: {per_replica:?}",
        started.elapsed()
    );
    assert!(
        per_replica.iter().all(|n| *n > 0),
        "the load was not spread: {per_replica:?}"
    );

    let arrivals = receiver.wait_for(total, Duration::from_secs(60)).await;
    eprintln!("replicas: all delivered after {:?}", started.elapsed());
    if arrivals.accepted.len() < total {
        for replica in replicas.iter().flatten() {
            eprintln!("{}", replica.log());
        }
    }
    arrivals.assert_delivered_once(
        "replicas (PostgreSQL)",
        &load.message_ids(),
        VERSIONS,
        // What one claim may have on the wire: the hub's sink sends a claim
        // of four rounds of `batch` at once.
        u64::from(CLAIM) * 4,
    );
    drop(replicas);
    drop(store);
}
