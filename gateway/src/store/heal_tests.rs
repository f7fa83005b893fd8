//! The store heals from write faults by itself: SQLite on a full file system
//! (a small tmpfs mounted for the test; root only, skipped with a notice
//! otherwise unless `CI` is set), PostgreSQL after its connections are cut.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use iarms_adapters::model::{
    Event, Firearm, FirearmRecord, Header, Message, RecordAction, RecordStatus,
};
use uuid::Uuid;

use super::dialect::Dialect;
use super::*;
use crate::audit::Origin;
use crate::test_support::{options, SchemaGuard};

const START: Millis = 1_709_251_200_000;

fn record(record_id: &str) -> NewMessage {
    let message = Message::Record(FirearmRecord {
        header: Header::new(Uuid::new_v4()),
        record_id: record_id.to_string(),
        owner_country: "RS".to_string(),
        owner_agency: "MUP".to_string(),
        case_reference: None,
        action: RecordAction::Create,
        version: 1,
        firearm: Firearm {
            make: Some("Zastava".to_string()),
            // Bulk, so a few batches fill the small file system.
            model: Some("M70".repeat(300)),
            serial_number: Some(format!("SN-{record_id}")),
            ..Firearm::default()
        },
        event: Event {
            status: RecordStatus::Stolen,
            date: Some("2024-02-11".to_string()),
            place: None,
            description: None,
        },
    });
    NewMessage::serialise(message, "rs", vec!["hub".to_string()]).expect("serialises")
}

fn batch(prefix: &str, n: usize) -> Vec<NewMessage> {
    (0..n).map(|i| record(&format!("{prefix}-{i}"))).collect()
}

/// A tmpfs of `size` mounted on a fresh folder; unmounted on drop.
struct Tmpfs {
    mount: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mount = dir.path().join("mnt");
        std::fs::create_dir(&mount).expect("mount point");
        let done = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .status();
        match done {
            Ok(status) if status.success() => Some(Tmpfs { mount, _dir: dir }),
            _ if std::env::var_os("CI").is_some() => {
                panic!("CI is set and a tmpfs cannot be mounted (the test needs root)")
            }
            _ => {
                eprintln!("NOTICE: store heal test skipped: cannot mount a tmpfs (needs root)");
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

/// Fills the file system of `dir` with one file, to the last byte it takes.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).expect("filler");
    let block = vec![0u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    let byte = [0u8; 1];
    while file.write_all(&byte).is_ok() {}
    let _ = file.sync_all();
    path
}

#[tokio::test]
async fn sqlite_writes_again_after_the_disk_was_full() {
    let Some(fs) = Tmpfs::mount("6m") else {
        return;
    };
    let clock = Arc::new(ManualClock::new(START));
    let url = format!("sqlite://{}", fs.mount.join("gateway.db").display());
    let store = open_with(&url, options(&clock, None)).await.expect("open");
    store
        .accept(&batch("before", 20), &Origin::actor("test"))
        .await
        .expect("a first batch fits");
    store.ready().await.expect("ready while there is room");

    let filler = fill(&fs.mount);
    let mut failures = 0;
    for i in 0..20 {
        if store
            .accept(&batch(&format!("full{i}"), 50), &Origin::actor("test"))
            .await
            .is_err()
        {
            failures += 1;
        }
    }
    assert!(failures > 0, "the full file system refused no write");
    assert!(store.ready().await.is_err(), "ready while the disk is full");

    std::fs::remove_file(&filler).expect("free the space");
    // No restart: the same store takes writes again.
    let outcomes = store
        .accept(&batch("after", 20), &Origin::actor("test"))
        .await
        .expect("a write after the space is freed");
    assert!(outcomes.iter().all(AcceptOutcome::is_accepted));
    store.ready().await.expect("ready again");
    // A write of every other kind goes through the replaced connection too.
    assert_eq!(
        store
            .purge_idempotency(Duration::from_secs(1))
            .await
            .expect("purge"),
        0
    );
    store.close().await;
}

#[test]
fn write_health_counts_the_store_faults_only() {
    let health = super::pools::WriteHealth::default();
    health.check(START).expect("no write yet");
    let full: Result<(), StoreError> = Err(StoreError::Unavailable("disk full".into()));
    health.record(START, &full);
    assert!(health.check(START + 1).is_err(), "a failed write holds");
    assert!(
        health
            .check(START + super::pools::FAILED_WRITE_HOLD)
            .is_ok(),
        "it ages out"
    );
    health.record(START + 2, &Ok::<(), StoreError>(()));
    health.check(START + 3).expect("a write succeeded since");
    let not_found: Result<(), StoreError> = Err(StoreError::NotFound {
        what: "message",
        id: "x".into(),
    });
    health.record(START + 4, &not_found);
    health
        .check(START + 5)
        .expect("a request's own fault is not the store's");
}

#[tokio::test]
async fn postgres_reconnects_after_its_connections_are_cut() {
    let Some(mut guard) = SchemaGuard::from_env("store", "store_heal") else {
        return;
    };
    let clock = Arc::new(ManualClock::new(START));
    let store = PgStore::connect(&guard.url, options(&clock, Some(guard.schema.clone())))
        .await
        .expect("open");
    store
        .accept(&batch("before", 5), &Origin::actor("test"))
        .await
        .expect("accept");
    // Cut every connection the store's pool holds, as a server restart would.
    let pool = store.pools().writer.clone();
    let mut held = Vec::new();
    for _ in 0..pool.size() {
        held.push(pool.acquire().await.expect("a pooled connection"));
    }
    let mut pids = Vec::new();
    for conn in &mut held {
        let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
            .fetch_one(&mut **conn)
            .await
            .expect("pid");
        pids.push(pid);
    }
    drop(held);
    let admin = sqlx::PgPool::connect(&guard.url).await.expect("admin");
    for pid in &pids {
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .execute(&admin)
            .await
            .expect("terminate");
    }
    admin.close().await;
    // The first call may meet a dead connection; the pool replaces it.
    let mut healed = false;
    for _ in 0..5 {
        if store
            .accept(
                &batch(&format!("after{}", Uuid::new_v4()), 5),
                &Origin::actor("test"),
            )
            .await
            .is_ok()
        {
            healed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healed, "the pool did not reconnect");
    store.ready().await.expect("ready again");
    store.close().await;
    guard.drop_schema().await;
}
