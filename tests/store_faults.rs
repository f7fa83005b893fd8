//! Store faults under a running gateway heal by themselves, without a restart.
//!
//! A full disk under the SQLite store: the store lives on a small tmpfs
//! mounted for the test (root only; without root the test is skipped with a
//! notice, and fails under `CI`). The test fills the file system while a
//! partner sends records, sees the API answer 503 and `/readyz` turn 503,
//! frees the space, and sees the same process accept again and `/readyz` turn
//! 200; every record answered 200 is in the store and reaches the hub once.
//! Two inbox files picked up together while the disk is full both go back to
//! the inbox (none waits in `processing/` for a restart) and are taken after.
//!
//! Lost PostgreSQL connections: every connection of the gateway is cut
//! (`pg_terminate_backend`, as a server restart does) while a partner sends;
//! the gateway reconnects and accepts again, nothing lost.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::load::{post_batch, Load, Posted};
use support::receiver::Receiver;
use support::service::{forwarding_gateway_config, Running};
use support::store::PgSchema;

const KEY_PARTNER: &str = "rs-partner-key";
const KEY_OPS: &str = "operator-key";
const RECORDS: u64 = 300;

/// A tmpfs mounted on `mount`; unmounted on drop (lazily: the gateway may
/// still hold its files when a failing test unwinds).
struct Tmpfs {
    mount: PathBuf,
}

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status();
        match status {
            Ok(s) if s.success() => Some(Tmpfs {
                mount: at.to_path_buf(),
            }),
            _ if std::env::var_os("CI").is_some() => {
                panic!("CI is set and a tmpfs cannot be mounted: run the tests as root")
            }
            _ => {
                eprintln!("NOTICE: disk-full test skipped: cannot mount a tmpfs (needs root)");
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.mount)
            .status();
    }
}

/// Takes every byte the file system of `dir` has left, in one file.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    while file.write_all(&[0u8]).is_ok() {}
    let _ = file.sync_all();
    path
}

async fn readyz(client: &reqwest::Client, url: &str) -> u16 {
    client
        .get(format!("{url}/readyz"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_heals_without_a_restart() {
    let dir = support::tempdir();
    let Some(fs) = Tmpfs::mount(&dir.path().join("disk"), "8m") else {
        return;
    };
    let receiver = Receiver::start(Duration::from_millis(1)).await;
    let store = format!(
        "[store]\nurl = \"{}\"\n",
        fs.mount.join("gateway.db").display()
    );
    let config = dir.path().join("gateway.toml");
    let mut text =
        forwarding_gateway_config(&store, &receiver.url, (KEY_PARTNER, KEY_OPS), ("10s", 50));
    // An inbox beside the config (not on the small disk), polled often.
    text.push_str(
        "\n[[partner]]\nid = \"rs-inbox\"\nformat = \"iarms-ndjson\"\nowner_agencies = [\"RS-MUP\"]\n\
         inbound = { directory = \"inbox\", poll_interval = \"50ms\" }\n",
    );
    std::fs::write(&config, text).unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let log = dir.path().join("gateway.log");
    let gateway = Running::start(&["serve"], &config, &log).await;
    let url = gateway.url.clone();
    let client = reqwest::Client::new();
    let load = Load::new("RS-MUP-FULL", RECORDS, 1, 20);
    let mut batches = load.batches.iter();
    let mut stored: Vec<String> = Vec::new();

    // Room on the disk: accepted.
    for batch in batches.by_ref().take(3) {
        match post_batch(&client, &url, KEY_PARTNER, batch).await {
            Posted::Stored(ids) => stored.extend(ids),
            Posted::Unanswered(why) => panic!("refused with room on the disk: {why}"),
        }
    }
    assert_eq!(readyz(&client, &url).await, 200);

    // The disk is full: a batch is refused with 503, and the gateway is not ready.
    let filler = fill(&fs.mount);
    let mut refused = None;
    for batch in batches.by_ref() {
        match post_batch(&client, &url, KEY_PARTNER, batch).await {
            Posted::Stored(ids) => stored.extend(ids),
            Posted::Unanswered(why) => {
                refused = Some((batch, why));
                break;
            }
        }
    }
    let (refused, why) = refused.expect("the full disk refused no batch");
    assert!(
        why.starts_with("503"),
        "refused otherwise than with 503: {why}"
    );
    assert_eq!(readyz(&client, &url).await, 503, "ready with a full disk");
    eprintln!(
        "disk full: {} records stored before the refusal",
        stored.len()
    );

    // Two inbox files picked up in one poll while the disk is full: neither is
    // lost nor left in `processing/`; both go back to the inbox for later.
    let mut expected = load.message_ids();
    for name in ["a.ndjson", "b.ndjson"] {
        let mut text = String::new();
        for n in 0..20 {
            let r = support::load::record(&format!("RS-MUP-FULL-{name}-{n}"), 1);
            expected.insert(r["header"]["message_id"].as_str().unwrap().to_string());
            text.push_str(&r.to_string());
            text.push('\n');
        }
        std::fs::write(inbox.join(format!(".{name}")), text).unwrap();
    }
    for name in ["a.ndjson", "b.ndjson"] {
        std::fs::rename(inbox.join(format!(".{name}")), inbox.join(name)).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !inbox.join("archive/a.ndjson").exists() && !inbox.join("archive/b.ndjson").exists(),
        "an inbox file was archived while the disk was full"
    );

    // Space again: the same process takes the refused batch and the rest.
    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    loop {
        match post_batch(&client, &url, KEY_PARTNER, refused).await {
            Posted::Stored(ids) => {
                stored.extend(ids);
                break;
            }
            Posted::Unanswered(why) => {
                assert!(
                    freed.elapsed() < Duration::from_secs(20),
                    "still refused 20 s after the space was freed: {why}\n{}",
                    gateway.log()
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    eprintln!(
        "accepting again {:?} after the space was freed",
        freed.elapsed()
    );
    assert_eq!(
        readyz(&client, &url).await,
        200,
        "not ready after the space was freed"
    );
    for batch in batches {
        match post_batch(&client, &url, KEY_PARTNER, batch).await {
            Posted::Stored(ids) => stored.extend(ids),
            Posted::Unanswered(why) => panic!("refused after healing: {why}"),
        }
    }
    assert_eq!(stored.len() as u64, RECORDS);
    for name in ["a.ndjson", "b.ndjson"] {
        let archived = inbox.join("archive").join(name);
        let waited = Instant::now();
        while !archived.exists() {
            assert!(
                waited.elapsed() < Duration::from_secs(20),
                "inbox file {name} not taken after the space was freed (processing/: {:?})\n{}",
                std::fs::read_dir(inbox.join("processing")).map(|d| d.count()),
                gateway.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Nothing lost: every record answered 200 is in the store and reaches the hub once.
    for id in &stored {
        let status = client
            .get(format!("{url}/v1/messages/{id}"))
            .bearer_auth(KEY_OPS)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "record {id} answered 200 is not in the store");
    }
    let arrivals = receiver
        .wait_for(expected.len(), Duration::from_secs(60))
        .await;
    arrivals.assert_delivered_once("disk full", &expected, 1, RECORDS);
    drop(gateway);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_postgresql_connections_heal_without_a_restart() {
    let Some(pg) = PgSchema::from_env("store_faults") else {
        return;
    };
    // The gateway's connections carry the schema's name, so the test cuts its
    // own and no other test's.
    let sep = if pg.url.contains('?') { '&' } else { '?' };
    let store = format!(
        "[store]\nurl = \"{}{sep}application_name={}\"\nschema = \"{}\"\n",
        pg.url, pg.schema, pg.schema
    );
    let receiver = Receiver::start(Duration::from_millis(1)).await;
    let dir = support::tempdir();
    let config = dir.path().join("gateway.toml");
    let text =
        forwarding_gateway_config(&store, &receiver.url, (KEY_PARTNER, KEY_OPS), ("10s", 50));
    std::fs::write(&config, text).unwrap();
    let gateway = Running::start(&["serve"], &config, &dir.path().join("gateway.log")).await;
    let url = gateway.url.clone();
    let client = reqwest::Client::new();
    let load = Load::new("RS-MUP-PGCUT", 200, 1, 20);
    let mut stored = Vec::new();
    let (first, rest) = load.batches.split_at(3);
    for batch in first {
        match post_batch(&client, &url, KEY_PARTNER, batch).await {
            Posted::Stored(ids) => stored.extend(ids),
            Posted::Unanswered(why) => panic!("refused before the cut: {why}"),
        }
    }

    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&pg.url).await.unwrap();
    let cut: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&pg.schema)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!cut.is_empty(), "the gateway holds no connection to cut");
    eprintln!("cut {} connections of the gateway", cut.len());

    // Each batch is sent until it is stored: the first after the cut may meet
    // a dead connection (503); the pool replaces it.
    let started = Instant::now();
    for batch in rest {
        loop {
            match post_batch(&client, &url, KEY_PARTNER, batch).await {
                Posted::Stored(ids) => {
                    stored.extend(ids);
                    break;
                }
                Posted::Unanswered(why) => {
                    assert!(
                        started.elapsed() < Duration::from_secs(20),
                        "still refused 20 s after the cut: {why}\n{}",
                        gateway.log()
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    assert_eq!(readyz(&client, &url).await, 200, "not ready after the cut");
    let arrivals = receiver
        .wait_for(stored.len(), Duration::from_secs(60))
        .await;
    arrivals.assert_delivered_once("postgres cut", &load.message_ids(), 1, 200);
    drop(gateway);
    admin.close().await.unwrap();
}
