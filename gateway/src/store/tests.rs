//! The store test suite, written once and run against every backend:
//! `sqlite_file::*` on a temporary SQLite file (always) and `postgres::*` on
//! `DATABASE_URL`, each test in a schema of its own that is dropped afterwards
//! (skipped with a notice when `DATABASE_URL` is not set, failed under `CI`).
//!
//! Time is a [`ManualClock`]: leases expire and retries come due when a test says so.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iarms_adapters::model::{
    Event, Firearm, FirearmRecord, Header, Message, RecordAction, RecordStatus, Search, Seizure,
    TraceOutcome, TraceQuestion, TraceRequest, TraceResponse,
};
use iarms_adapters::MessageKind;
use uuid::Uuid;

use super::*;
use crate::test_support::{backend_suite, options, SchemaGuard};

/// 2024-03-01T00:00:00Z.
const START: Millis = 1_709_251_200_000;
const LEASE: Duration = Duration::from_secs(30);
const HUB: &str = "hub";

// ---------------------------------------------------------------------------
// Fixtures

struct Fixture {
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    backing: Backing,
}

enum Backing {
    Sqlite {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
    },
    Postgres(SchemaGuard),
}

impl Fixture {
    async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("gateway.db");
        let clock = Arc::new(ManualClock::new(START));
        let store = open_sqlite(&path, &clock).await;
        Fixture {
            store,
            clock,
            backing: Backing::Sqlite { _dir: dir, path },
        }
    }

    async fn postgres() -> Option<Fixture> {
        let guard = SchemaGuard::from_env("store", "store_test")?;
        let clock = Arc::new(ManualClock::new(START));
        let store = open_postgres(&guard, &clock).await;
        Some(Fixture {
            store,
            clock,
            backing: Backing::Postgres(guard),
        })
    }

    /// Closes the store and opens the same database again, as a restart would.
    async fn reopen(&self) -> Arc<dyn Store> {
        self.store.close().await;
        match &self.backing {
            Backing::Sqlite { path, .. } => open_sqlite(path, &self.clock).await,
            Backing::Postgres(guard) => open_postgres(guard, &self.clock).await,
        }
    }

    async fn finish(mut self) {
        self.store.close().await;
        if let Backing::Postgres(guard) = &mut self.backing {
            guard.drop_schema().await;
        }
    }

    fn now(&self) -> Millis {
        self.clock.now()
    }
}

async fn open_sqlite(path: &std::path::Path, clock: &Arc<ManualClock>) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", path.display());
    open_with(&url, options(clock, None))
        .await
        .expect("open SQLite store")
}

async fn open_postgres(guard: &SchemaGuard, clock: &Arc<ManualClock>) -> Arc<dyn Store> {
    open_with(&guard.url, options(clock, Some(guard.schema.clone())))
        .await
        .expect("open PostgreSQL store")
}

backend_suite!(
    accept_is_durable,
    duplicate_by_message_id,
    duplicate_by_natural_key,
    message_id_conflicts_never_hide_a_message,
    concurrent_accepts_store_each_message_once,
    accept_refuses_an_empty_destination,
    idempotency_replay_and_conflict,
    claim_lease_and_expiry_takeover,
    settling_requires_the_lease,
    settle_a_round_in_one_call,
    release_gives_leases_back,
    expired_leases_come_before_the_backlog,
    unsent_is_queued_again_without_an_attempt,
    make_due_ends_a_destinations_wait,
    concurrent_claimers_deliver_each_once_in_order,
    ordering_update_waits_for_create,
    dead_blocks_its_key_until_retried,
    retry_waits_for_backoff,
    dead_after_max_attempts_and_retry_dead,
    replay_requeues_every_delivery,
    claim_across_destinations,
    claims_carry_kind_and_trace,
    trace_ids_of_stored_rows_are_filled_by_the_migration,
    trace_transitions,
    trace_expiry,
    traces_to_tell_the_hub,
    list_filters_and_pages,
    queue_depth_by_destination_and_state,
    audit_records_the_lifecycle_without_personal_data,
    audit_log_refuses_update_delete_and_truncate,
    audit_names_a_tampered_entry_and_a_gap,
    audit_concurrent_appends_keep_one_chain,
    audit_export_is_a_slice_that_verifies,
);

// ---------------------------------------------------------------------------
// Messages

fn header() -> Header {
    Header::new(Uuid::new_v4())
}

fn record(record_id: &str, version: u32) -> Message {
    let action = if version == 1 {
        RecordAction::Create
    } else {
        RecordAction::Update
    };
    Message::Record(FirearmRecord {
        header: header(),
        record_id: record_id.to_string(),
        owner_country: "RS".to_string(),
        owner_agency: "MUP".to_string(),
        case_reference: None,
        action,
        version,
        firearm: Firearm {
            make: Some("Zastava".to_string()),
            serial_number: Some(format!("SN-{record_id}")),
            ..Firearm::default()
        },
        event: Event {
            status: RecordStatus::Stolen,
            date: Some("2024-02-11".to_string()),
            place: None,
            description: None,
        },
    })
}

fn search(search_id: &str) -> Message {
    Message::Search(Search {
        header: header(),
        search_id: search_id.to_string(),
        searching_country: "BR".to_string(),
        searching_agency: "PF".to_string(),
        case_reference: None,
        firearm: Firearm {
            serial_number: Some("A123".to_string()),
            ..Firearm::default()
        },
        requested_at: None,
    })
}

fn trace_request(trace_id: &str, due_date: Option<&str>) -> Message {
    Message::TraceRequest(TraceRequest {
        header: header(),
        trace_id: trace_id.to_string(),
        requesting_country: "BR".to_string(),
        requesting_agency: "PF".to_string(),
        requested_country: "RS".to_string(),
        priority: None,
        firearm: Firearm::default(),
        seizure: Seizure {
            date: None,
            place: None,
            circumstances: None,
        },
        linked_record: None,
        questions: vec![TraceQuestion::Manufacture],
        intended_use: None,
        due_date: due_date.map(str::to_string),
        contact: None,
    })
}

fn id_of(message: &Message) -> Uuid {
    message.header().message_id
}

fn new(message: &Message, partner: &str, destinations: &[&str]) -> NewMessage {
    NewMessage::serialise(
        message.clone(),
        partner,
        destinations.iter().map(|d| d.to_string()).collect(),
    )
    .expect("serialises")
}

/// Accepts messages from partner `rs` for the hub, one transaction, all accepted.
async fn accept_all(store: &Arc<dyn Store>, messages: &[&Message]) {
    let batch: Vec<NewMessage> = messages.iter().map(|m| new(m, "rs", &[HUB])).collect();
    let outcomes = store
        .accept(&batch, &Origin::actor("test"))
        .await
        .expect("accept");
    assert!(
        outcomes.iter().all(AcceptOutcome::is_accepted),
        "{outcomes:?}"
    );
}

async fn claim(store: &Arc<dyn Store>, worker: &str, limit: u32) -> Vec<ClaimedDelivery> {
    store
        .claim(worker, Some(HUB), limit, LEASE)
        .await
        .expect("claim")
}

fn claimed_ids(claimed: &[ClaimedDelivery]) -> Vec<Uuid> {
    claimed.iter().map(|c| c.delivery.message_id).collect()
}

async fn deliver(store: &Arc<dyn Store>, worker: &str, claimed: &ClaimedDelivery) {
    let receipt = Receipt {
        remote_id: Some(format!("remote-{}", claimed.delivery.id)),
        status: Some(202),
        detail: None,
    };
    assert!(store
        .mark_delivered(claimed.delivery.id, worker, &receipt)
        .await
        .expect("mark delivered"));
}

async fn delivery(store: &Arc<dyn Store>, message_id: Uuid, destination: &str) -> Delivery {
    store
        .get_message(message_id)
        .await
        .expect("get message")
        .expect("message stored")
        .deliveries
        .into_iter()
        .find(|d| d.destination == destination)
        .expect("delivery to destination")
}

// ---------------------------------------------------------------------------
// The suite

async fn accept_is_durable(f: &Fixture) {
    let rec = record("R-1", 1);
    let srch = search("S-1");
    let trace = trace_request("T-1", Some("2024-03-31"));
    let batch = vec![
        new(&rec, "rs-registry", &[HUB, "archive", HUB]),
        new(&srch, "rs-registry", &[HUB]),
        new(&trace, "rs-registry", &[HUB]),
    ];
    let outcomes = f
        .store
        .accept(&batch, &Origin::actor("test"))
        .await
        .expect("accept");
    assert_eq!(
        outcomes,
        vec![
            AcceptOutcome::Accepted {
                message_id: id_of(&rec)
            },
            AcceptOutcome::Accepted {
                message_id: id_of(&srch)
            },
            AcceptOutcome::Accepted {
                message_id: id_of(&trace)
            },
        ]
    );

    // A restart finds everything that was acknowledged.
    let store = f.reopen().await;
    let view = store
        .get_message(id_of(&rec))
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(view.message.message().expect("body decodes"), rec);
    assert_eq!(view.message.kind, MessageKind::Record);
    assert_eq!(view.message.source_partner, "rs-registry");
    assert_eq!(view.message.received_at, START);
    assert_eq!(view.message.correlation_id, rec.header().correlation_id);
    assert_eq!(
        view.message.natural_key,
        Some(NaturalKey {
            owner_country: "RS".into(),
            owner_agency: "MUP".into(),
            record_id: "R-1".into(),
            version: 1
        })
    );
    assert_eq!(
        view.message.body,
        serde_json::to_string(&rec).expect("serialise")
    );
    // The repeated destination gave one delivery.
    let destinations: Vec<&str> = view
        .deliveries
        .iter()
        .map(|d| d.destination.as_str())
        .collect();
    assert_eq!(destinations, vec![HUB, "archive"]);
    for d in &view.deliveries {
        assert_eq!(d.state, DeliveryState::Queued);
        assert_eq!(d.attempts, 0);
        assert_eq!(d.next_attempt_at, Some(START));
        assert_eq!(d.receipt, None);
    }
    let trace_view = store
        .get_trace("T-1")
        .await
        .expect("get trace")
        .expect("trace");
    assert_eq!(trace_view.state, TraceState::Submitted);
    assert_eq!(trace_view.request_message_id, id_of(&trace));
    assert_eq!(
        (
            trace_view.requesting_country.as_str(),
            trace_view.requested_country.as_str()
        ),
        ("BR", "RS")
    );
    assert_eq!(trace_view.due_at, due_date_end("2024-03-31"));
    assert_eq!(
        store
            .get_message(id_of(&srch))
            .await
            .expect("get")
            .expect("stored")
            .message
            .message()
            .expect("decodes"),
        srch
    );
    store.close().await;
}

async fn duplicate_by_message_id(f: &Fixture) {
    let store = &f.store;
    let rec = record("R-1", 1);
    accept_all(store, &[&rec]).await;

    // Resent later, and twice within one batch beside a new message.
    let other = record("R-2", 1);
    let batch = vec![
        new(&rec, "rs", &[HUB]),
        new(&other, "rs", &[HUB]),
        new(&other, "rs", &[HUB]),
    ];
    let outcomes = store
        .accept(&batch, &Origin::actor("test"))
        .await
        .expect("accept");
    assert_eq!(
        outcomes,
        vec![
            AcceptOutcome::Duplicate {
                message_id: id_of(&rec),
                original_message_id: id_of(&rec),
                reason: DuplicateReason::MessageId
            },
            AcceptOutcome::Accepted {
                message_id: id_of(&other)
            },
            AcceptOutcome::Duplicate {
                message_id: id_of(&other),
                original_message_id: id_of(&other),
                reason: DuplicateReason::MessageId
            },
        ]
    );
    // A search has no natural key: only its id makes it a duplicate.
    let s = search("S-1");
    accept_all(store, &[&s]).await;
    let again = store
        .accept(&[new(&s, "rs", &[HUB])], &Origin::actor("test"))
        .await
        .expect("accept");
    assert!(!again[0].is_accepted());

    // One delivery each, whatever the resends.
    let claimed = claim(store, "w", 100).await;
    assert_eq!(claimed.len(), 3);
}

async fn duplicate_by_natural_key(f: &Fixture) {
    let store = &f.store;
    let v1 = record("R-1", 1);
    accept_all(store, &[&v1]).await;

    // The same record and version under a new message id: a resend.
    let mut resend = v1.clone();
    resend.header_mut().message_id = Uuid::new_v4();
    let v2 = record("R-1", 2);
    // Another agency's record with the same id is another record.
    let mut elsewhere = record("R-1", 1);
    if let Message::Record(r) = &mut elsewhere {
        r.owner_agency = "MUP-VOJVODINA".to_string();
    }
    // Within one batch too: the second of two same-version records.
    let v3 = record("R-1", 3);
    let mut v3_resend = v3.clone();
    v3_resend.header_mut().message_id = Uuid::new_v4();

    let batch: Vec<NewMessage> = [&resend, &v2, &elsewhere, &v3, &v3_resend]
        .iter()
        .map(|m| new(m, "rs", &[HUB]))
        .collect();
    let outcomes = store
        .accept(&batch, &Origin::actor("test"))
        .await
        .expect("accept");
    assert_eq!(
        outcomes,
        vec![
            AcceptOutcome::Duplicate {
                message_id: id_of(&resend),
                original_message_id: id_of(&v1),
                reason: DuplicateReason::NaturalKey
            },
            AcceptOutcome::Accepted {
                message_id: id_of(&v2)
            },
            AcceptOutcome::Accepted {
                message_id: id_of(&elsewhere)
            },
            AcceptOutcome::Accepted {
                message_id: id_of(&v3)
            },
            AcceptOutcome::Duplicate {
                message_id: id_of(&v3_resend),
                original_message_id: id_of(&v3),
                reason: DuplicateReason::NaturalKey
            },
        ]
    );
    assert!(store
        .get_message(id_of(&resend))
        .await
        .expect("get")
        .is_none());
    assert!(store
        .get_message(id_of(&v3_resend))
        .await
        .expect("get")
        .is_none());
}

/// Duplicates are decided per sender: another sender's message under a stored
/// id, or the same sender's other content, is a conflict that stores nothing of
/// its batch and leaves the stored message as it was (issue 16, finding 1).
async fn message_id_conflicts_never_hide_a_message(f: &Fixture) {
    let store = &f.store;
    let genuine = record("R-1", 1);
    accept_all(store, &[&genuine]).await;
    let squatted = id_of(&genuine);

    // Partner `br` posts its own record under `rs`'s message id.
    let mut squat = record("R-BR", 1);
    squat.header_mut().message_id = squatted;
    let fresh = record("R-FRESH", 1);
    let conflict = |outcome: Result<Vec<AcceptOutcome>, StoreError>| match outcome {
        Err(StoreError::MessageIdConflict { message_id, reason }) => (message_id, reason),
        other => panic!("expected a message id conflict, got {other:?}"),
    };
    let batch = [new(&fresh, "br", &[HUB]), new(&squat, "br", &[HUB])];
    let (id, reason) = conflict(store.accept(&batch, &Origin::actor("br")).await);
    assert_eq!((id, reason), (squatted, ConflictReason::OtherSender));
    // The whole batch is refused: the fresh record is not stored either.
    assert!(store
        .get_message(id_of(&fresh))
        .await
        .expect("get")
        .is_none());

    // The same record from another partner of its owner, byte for byte, hides
    // nothing: a duplicate. Any other message from another sender, even byte
    // for byte, is not (a search, the hub's inbound message under a partner's id).
    let again = store
        .accept(&[new(&genuine, "br", &[HUB])], &Origin::actor("br"))
        .await
        .expect("accept");
    assert_eq!(again[0].message_id(), squatted);
    assert!(!again[0].is_accepted(), "{again:?}");
    let s = search("S-1");
    accept_all(store, &[&s]).await;
    for sender in ["br", HUB] {
        let (_, reason) = conflict(
            store
                .accept(&[new(&s, sender, &["rs"])], &Origin::actor(sender))
                .await,
        );
        assert_eq!(reason, ConflictReason::OtherSender, "{sender}");
    }

    // The same sender, other content under the same id.
    let mut changed = record("R-1", 2);
    changed.header_mut().message_id = squatted;
    let (_, reason) = conflict(
        store
            .accept(&[new(&changed, "rs", &[HUB])], &Origin::actor("rs"))
            .await,
    );
    assert_eq!(reason, ConflictReason::OtherContent);

    // Within one batch: two senders' messages under one new id.
    let first = record("R-2", 1);
    let mut second = record("R-BR-2", 1);
    second.header_mut().message_id = id_of(&first);
    let (_, reason) = conflict(
        store
            .accept(
                &[new(&first, "rs", &[HUB]), new(&second, "br", &[HUB])],
                &Origin::actor("test"),
            )
            .await,
    );
    assert_eq!(reason, ConflictReason::OtherSender);

    // The genuine sender's resend is still its duplicate, and its next message
    // (refused above beside a conflict) is stored and forwarded.
    let again = store
        .accept(&[new(&genuine, "rs", &[HUB])], &Origin::actor("rs"))
        .await
        .expect("accept");
    assert_eq!(
        again,
        vec![AcceptOutcome::Duplicate {
            message_id: squatted,
            original_message_id: squatted,
            reason: DuplicateReason::MessageId
        }]
    );
    accept_all(store, &[&first]).await;
    let view = store
        .get_message(squatted)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(view.message.source_partner, "rs");
    assert_eq!(view.message.message().expect("decodes"), genuine);
    let claimed = claim(store, "w", 100).await;
    assert_eq!(
        claimed_ids(&claimed),
        vec![squatted, id_of(&s), id_of(&first)]
    );
    assert!(verified(store).await.is_ok());
}

/// Concurrent requests (which the SQLite store commits together) keep every
/// request's answer its own: the same message, or the same record version, sent
/// by many requests at once is accepted once; distinct messages all are.
async fn concurrent_accepts_store_each_message_once(f: &Fixture) {
    let store = &f.store;
    let same = record("R-SAME", 1);
    let mut same_key = record("R-SAME", 1);
    same_key.header_mut().message_id = Uuid::new_v4();
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let store = Arc::clone(store);
            let own = record(&format!("R-OWN-{i}"), 1);
            let repeated = if i % 2 == 0 {
                same.clone()
            } else {
                same_key.clone()
            };
            tokio::spawn(async move {
                let batch = [new(&own, "rs", &[HUB]), new(&repeated, "rs", &[HUB])];
                let origin = Origin::actor(format!("rs-{i}")).format("registry-rs");
                store.accept(&batch, &origin).await.expect("accept")
            })
        })
        .collect();
    let mut repeated_accepted = 0;
    for task in tasks {
        let outcomes = task.await.expect("task");
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes[0].is_accepted(), "{outcomes:?}");
        match &outcomes[1] {
            AcceptOutcome::Accepted { .. } => repeated_accepted += 1,
            AcceptOutcome::Duplicate {
                original_message_id,
                ..
            } => assert!([id_of(&same), id_of(&same_key)].contains(original_message_id)),
        }
    }
    assert_eq!(repeated_accepted, 1);
    let claimed = claim(store, "w", 100).await;
    assert_eq!(claimed.len(), 25, "one delivery per stored message");
    assert!(verified(store).await.is_ok());
    let entries = audit::tail(store.as_ref(), 200).await.expect("entries");
    let accepted = entries.iter().filter(|e| e.action == "accepted").count();
    assert_eq!(accepted, 25);
}

async fn accept_refuses_an_empty_destination(f: &Fixture) {
    let rec = record("R-1", 1);
    let err = f
        .store
        .accept(&[new(&rec, "rs", &[""])], &Origin::actor("test"))
        .await
        .expect_err("empty destination");
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    // Nothing of the batch was stored.
    assert!(f
        .store
        .get_message(id_of(&rec))
        .await
        .expect("get")
        .is_none());
    assert!(f
        .store
        .accept(&[], &Origin::actor("test"))
        .await
        .expect("empty batch")
        .is_empty());
}

async fn idempotency_replay_and_conflict(f: &Fixture) {
    let store = &f.store;
    let response = r#"{"status":201,"body":{"results":[{"outcome":"accepted"}]}}"#;
    assert_eq!(
        store
            .lookup_idempotency("rs", "key-1", "hash-a")
            .await
            .expect("lookup"),
        Idempotency::New
    );
    assert_eq!(
        store
            .remember_idempotency("rs", "key-1", "hash-a", response)
            .await
            .expect("remember"),
        Idempotency::New
    );
    // The retried request gets the stored response; another body under the key conflicts.
    assert_eq!(
        store
            .lookup_idempotency("rs", "key-1", "hash-a")
            .await
            .expect("lookup"),
        Idempotency::Replay(response.to_string())
    );
    assert_eq!(
        store
            .lookup_idempotency("rs", "key-1", "hash-b")
            .await
            .expect("lookup"),
        Idempotency::Conflict
    );
    // A racing request that stores second learns the first one's answer.
    assert_eq!(
        store
            .remember_idempotency("rs", "key-1", "hash-a", "{\"other\":true}")
            .await
            .expect("remember"),
        Idempotency::Replay(response.to_string())
    );
    assert_eq!(
        store
            .remember_idempotency("rs", "key-1", "hash-b", "{}")
            .await
            .expect("remember"),
        Idempotency::Conflict
    );
    // Keys belong to a partner.
    assert_eq!(
        store
            .lookup_idempotency("br", "key-1", "hash-b")
            .await
            .expect("lookup"),
        Idempotency::New
    );
    // Old keys are forgotten.
    f.clock.advance(Duration::from_secs(3600));
    store
        .remember_idempotency("rs", "key-2", "hash-c", "{}")
        .await
        .expect("remember");
    assert_eq!(
        store
            .purge_idempotency(Duration::from_secs(60))
            .await
            .expect("purge"),
        1
    );
    assert_eq!(
        store
            .lookup_idempotency("rs", "key-1", "hash-a")
            .await
            .expect("lookup"),
        Idempotency::New
    );
    assert_ne!(
        store
            .lookup_idempotency("rs", "key-2", "hash-c")
            .await
            .expect("lookup"),
        Idempotency::New
    );
}

async fn claim_lease_and_expiry_takeover(f: &Fixture) {
    let store = &f.store;
    let rec = record("R-1", 1);
    accept_all(store, &[&rec]).await;

    let first = claim(store, "w1", 10).await;
    assert_eq!(claimed_ids(&first), vec![id_of(&rec)]);
    let c = &first[0];
    assert_eq!(c.kind, MessageKind::Record);
    assert_eq!(c.message().expect("decodes"), rec);
    assert_eq!(c.delivery.state, DeliveryState::Delivering);
    assert_eq!(c.delivery.attempts, 1);
    assert_eq!(c.delivery.lease_owner.as_deref(), Some("w1"));
    assert_eq!(c.delivery.lease_expires_at, Some(START + 30_000));

    // Leased: nobody else gets it, until the lease expires.
    assert!(claim(store, "w2", 10).await.is_empty());
    f.clock.advance(Duration::from_secs(29));
    assert!(claim(store, "w2", 10).await.is_empty());
    f.clock.advance(Duration::from_secs(1));
    let taken = claim(store, "w2", 10).await;
    assert_eq!(claimed_ids(&taken), vec![id_of(&rec)]);
    assert_eq!(taken[0].delivery.attempts, 2);
    assert_eq!(taken[0].delivery.lease_owner.as_deref(), Some("w2"));

    // The first worker comes back late: refused. The new holder settles it.
    let receipt = Receipt {
        remote_id: Some("hub-77".into()),
        status: Some(201),
        detail: Some("accepted".into()),
    };
    assert!(!store
        .mark_delivered(c.delivery.id, "w1", &receipt)
        .await
        .expect("mark"));
    assert!(store
        .mark_delivered(c.delivery.id, "w2", &receipt)
        .await
        .expect("mark"));
    let d = delivery(store, id_of(&rec), HUB).await;
    assert_eq!(d.state, DeliveryState::Delivered);
    assert_eq!(d.receipt, Some(receipt.clone()));
    assert_eq!(d.delivered_at, Some(f.now()));
    assert_eq!(d.lease_owner.as_deref(), Some("w2"));
    assert_eq!(d.lease_expires_at, None);
    assert_eq!(d.next_attempt_at, None);
    // Delivered is final: a second settlement changes nothing.
    assert!(!store
        .mark_delivered(c.delivery.id, "w2", &receipt)
        .await
        .expect("mark"));
    f.clock.advance(Duration::from_secs(3600));
    assert!(claim(store, "w3", 10).await.is_empty());
}

async fn settling_requires_the_lease(f: &Fixture) {
    let store = &f.store;
    let rec = record("R-1", 1);
    accept_all(store, &[&rec]).await;
    let first = claim(store, "w1", 1).await;
    let id = first[0].delivery.id;
    f.clock.advance(LEASE);
    let second = claim(store, "w2", 1).await;
    assert_eq!(second[0].delivery.id, id);

    assert!(!store
        .mark_failed(id, "w1", "timeout", NextStep::Dead)
        .await
        .expect("mark"));
    assert!(!store
        .mark_delivered(id, "w1", &Receipt::default())
        .await
        .expect("mark"));
    assert!(!store
        .mark_delivered(id, "nobody", &Receipt::default())
        .await
        .expect("mark"));
    assert!(!store
        .mark_failed(id + 1000, "w2", "no such delivery", NextStep::Dead)
        .await
        .expect("mark"));
    let d = delivery(store, id_of(&rec), HUB).await;
    assert_eq!(d.state, DeliveryState::Delivering);
    assert_eq!(d.lease_owner.as_deref(), Some("w2"));
    assert_eq!(d.last_error, None);
}

async fn settle_a_round_in_one_call(f: &Fixture) {
    let store = &f.store;
    let (taken, ok, fails) = (record("R-1", 1), record("R-2", 1), record("R-3", 1));
    accept_all(store, &[&taken, &ok, &fails]).await;
    let round = claim(store, "w1", 3).await;
    assert_eq!(round.len(), 3);
    // The first delivery's lease runs out and another worker takes it over.
    f.clock.advance(LEASE);
    assert_eq!(
        claimed_ids(&claim(store, "w2", 1).await),
        vec![id_of(&taken)]
    );

    let receipt = Receipt {
        remote_id: Some("remote-2".into()),
        status: Some(202),
        detail: None,
    };
    let outcomes: Vec<(i64, Settlement)> = vec![
        (round[0].delivery.id, Settlement::Delivered(receipt.clone())),
        (round[1].delivery.id, Settlement::Delivered(receipt)),
        (
            round[2].delivery.id,
            Settlement::Failed {
                error: "HTTP 503".into(),
                next: NextStep::RetryAfter(Duration::from_secs(5)),
            },
        ),
    ];
    let settled = store.settle("w1", &outcomes).await.expect("settle");
    assert_eq!(settled, [false, true, true]);
    assert!(store.settle("w1", &[]).await.expect("nothing").is_empty());

    let taken = delivery(store, id_of(&taken), HUB).await;
    assert_eq!(
        (taken.state, taken.lease_owner.as_deref()),
        (DeliveryState::Delivering, Some("w2"))
    );
    let ok = delivery(store, id_of(&ok), HUB).await;
    assert_eq!(ok.state, DeliveryState::Delivered);
    assert_eq!(
        ok.receipt.and_then(|r| r.remote_id).as_deref(),
        Some("remote-2")
    );
    let fails = delivery(store, id_of(&fails), HUB).await;
    assert_eq!(fails.state, DeliveryState::RetryWait);
    assert_eq!(fails.last_error.as_deref(), Some("HTTP 503"));

    // One audit entry per settled delivery, none for the one whose lease was lost.
    let entries = audit::tail(store.as_ref(), 2).await.expect("entries");
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["delivered", "failed"]);
    assert!(verified(store).await.is_ok());
}

async fn release_gives_leases_back(f: &Fixture) {
    let store = &f.store;
    let (a, b, c) = (record("A", 1), record("B", 1), record("C", 1));
    accept_all(store, &[&a, &b, &c]).await;
    assert_eq!(claim(store, "w1", 2).await.len(), 2);
    assert_eq!(claim(store, "w2", 2).await.len(), 1);
    assert_eq!(store.release("w1").await.expect("release"), 2);
    assert_eq!(store.release("w1").await.expect("release"), 0);
    let a = delivery(store, id_of(&a), HUB).await;
    assert_eq!(a.state, DeliveryState::Queued);
    assert_eq!(a.attempts, 0, "a released attempt is not counted");
    assert_eq!(a.lease_owner, None);
    // Claimable again at once, by anyone.
    assert_eq!(claim(store, "w3", 10).await.len(), 2);
}

/// A replica that dies leaves its leases: they are claimed before the backlog
/// queued ahead of them, not after it.
async fn expired_leases_come_before_the_backlog(f: &Fixture) {
    let store = &f.store;
    let leased = record("L", 1);
    accept_all(store, &[&leased]).await;
    assert_eq!(
        claimed_ids(&claim(store, "dead", 1).await),
        vec![id_of(&leased)]
    );
    f.clock.advance(Duration::from_secs(1));
    let backlog: Vec<Message> = (0..5).map(|i| record(&format!("B-{i}"), 1)).collect();
    accept_all(store, &backlog.iter().collect::<Vec<_>>()).await;
    // The backlog is older than the lease's expiry, so by due time alone the
    // leased delivery came last.
    f.clock.advance(LEASE);
    let taken = claim(store, "w2", 2).await;
    assert_eq!(taken.len(), 2);
    assert_eq!(taken[0].delivery.message_id, id_of(&leased), "{taken:?}");
    assert_eq!(taken[0].delivery.attempts, 2);
    assert_eq!(taken[1].delivery.message_id, id_of(&backlog[0]));
}

async fn unsent_is_queued_again_without_an_attempt(f: &Fixture) {
    let store = &f.store;
    let (a, b) = (record("A", 1), record("B", 1));
    accept_all(store, &[&a, &b]).await;
    let round = claim(store, "w1", 2).await;
    let outcomes = vec![
        (round[0].delivery.id, Settlement::Unsent),
        (
            round[1].delivery.id,
            Settlement::Delivered(Receipt::default()),
        ),
    ];
    assert_eq!(
        store.settle("w1", &outcomes).await.expect("settle"),
        [true, true]
    );
    let unsent = delivery(store, id_of(&a), HUB).await;
    assert_eq!((unsent.state, unsent.attempts), (DeliveryState::Queued, 0));
    assert_eq!(unsent.lease_owner, None);
    // No audit entry for what did not happen.
    let entries = audit::tail(store.as_ref(), 1).await.expect("entries");
    assert_eq!(entries[0].action.as_str(), "delivered");
    assert_eq!(claimed_ids(&claim(store, "w2", 10).await), vec![id_of(&a)]);
}

async fn make_due_ends_a_destinations_wait(f: &Fixture) {
    let store = &f.store;
    let (a, b) = (record("A", 1), record("B", 1));
    accept_all(store, &[&a, &b]).await;
    let round = claim(store, "w1", 2).await;
    let wait = |secs| Settlement::Failed {
        error: "cannot connect".into(),
        next: NextStep::RetryAfter(Duration::from_secs(secs)),
    };
    let outcomes = vec![
        (round[0].delivery.id, wait(300)),
        (round[1].delivery.id, wait(600)),
    ];
    store.settle("w1", &outcomes).await.expect("settle");
    assert!(claim(store, "w1", 10).await.is_empty());
    assert_eq!(store.make_due("elsewhere").await.expect("make due"), 0);
    assert_eq!(store.make_due(HUB).await.expect("make due"), 2);
    assert_eq!(claim(store, "w1", 10).await.len(), 2);
}

async fn concurrent_claimers_deliver_each_once_in_order(f: &Fixture) {
    // 100 records with 5 versions each: 500 deliveries, each version of a record
    // claimable only after the previous one is delivered.
    const RECORDS: usize = 100;
    const VERSIONS: u32 = 5;
    const WORKERS: usize = 6;
    let mut messages = Vec::new();
    for version in 1..=VERSIONS {
        for r in 0..RECORDS {
            messages.push(record(&format!("R-{r}"), version));
        }
    }
    for chunk in messages.chunks(100) {
        let refs: Vec<&Message> = chunk.iter().collect();
        accept_all(&f.store, &refs).await;
    }
    let version_of: HashMap<Uuid, (String, u32)> = messages
        .iter()
        .map(|m| match m {
            Message::Record(r) => (r.header.message_id, (r.record_id.clone(), r.version)),
            _ => unreachable!(),
        })
        .collect();
    let version_of = Arc::new(version_of);

    let delivered: Arc<Mutex<Vec<Uuid>>> = Arc::default();
    let total = (RECORDS * VERSIONS as usize) as u64;
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let store = f.store.clone();
        let delivered = delivered.clone();
        let done = done.clone();
        let version_of = version_of.clone();
        tasks.push(tokio::spawn(async move {
            let worker = format!("worker-{w}");
            let mut seen = HashSet::new();
            while done.load(Ordering::SeqCst) < total {
                assert!(Instant::now() < deadline, "claimers stalled");
                let batch = store
                    .claim(&worker, Some(HUB), 7, LEASE)
                    .await
                    .expect("claim");
                if batch.is_empty() {
                    tokio::task::yield_now().await;
                    continue;
                }
                for c in batch {
                    assert!(seen.insert(c.delivery.id), "claimed twice by {worker}");
                    assert_eq!(c.delivery.attempts, 1, "claimed twice");
                    let (record_id, version) = &version_of[&c.delivery.message_id];
                    // The order this worker settles in is the order deliveries are
                    // recorded: push under the lock, then settle.
                    {
                        let mut log = delivered.lock().expect("lock");
                        log.push(c.delivery.message_id);
                    }
                    let ok = store
                        .mark_delivered(
                            c.delivery.id,
                            &worker,
                            &Receipt {
                                remote_id: Some(format!("{record_id}@{version}")),
                                ..Receipt::default()
                            },
                        )
                        .await
                        .expect("mark delivered");
                    assert!(ok, "lease lost");
                    done.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("claimer task");
    }

    let delivered = delivered.lock().expect("lock").clone();
    assert_eq!(delivered.len(), total as usize);
    let unique: HashSet<&Uuid> = delivered.iter().collect();
    assert_eq!(
        unique.len(),
        total as usize,
        "a delivery was delivered twice"
    );
    // Per record, versions were claimed in order.
    let mut last: HashMap<&str, u32> = HashMap::new();
    for id in &delivered {
        let (record_id, version) = &version_of[id];
        let previous = last.insert(record_id.as_str(), *version).unwrap_or(0);
        assert_eq!(
            *version,
            previous + 1,
            "{record_id} v{version} overtook v{}",
            previous + 1
        );
    }
    assert!(f.store.queue_depth().await.expect("depth").is_empty());
    assert!(claim(&f.store, "late", 10).await.is_empty());
}

async fn ordering_update_waits_for_create(f: &Fixture) {
    let store = &f.store;
    let create = record("R-1", 1);
    let other = record("R-2", 1);
    let update = record("R-1", 2);
    let batch = vec![
        new(&create, "rs", &[HUB, "archive"]),
        new(&other, "rs", &[HUB]),
        new(&update, "rs", &[HUB, "archive"]),
    ];
    store
        .accept(&batch, &Origin::actor("test"))
        .await
        .expect("accept");

    // The update waits behind its create; another record's delivery does not.
    let first = claim(store, "w", 10).await;
    assert_eq!(claimed_ids(&first), vec![id_of(&create), id_of(&other)]);
    assert!(claim(store, "w", 10).await.is_empty());

    // A failed create still holds the update back while it waits to retry.
    store
        .mark_failed(
            first[0].delivery.id,
            "w",
            "503",
            NextStep::RetryAfter(Duration::from_secs(5)),
        )
        .await
        .expect("mark failed");
    assert!(claim(store, "w", 10).await.is_empty());

    // Ordering is per destination: the archive copy of the create goes its own way.
    let archive = store
        .claim("a", Some("archive"), 10, LEASE)
        .await
        .expect("claim");
    assert_eq!(claimed_ids(&archive), vec![id_of(&create)]);
    deliver(store, "a", &archive[0]).await;
    let archive = store
        .claim("a", Some("archive"), 10, LEASE)
        .await
        .expect("claim");
    assert_eq!(claimed_ids(&archive), vec![id_of(&update)]);

    f.clock.advance(Duration::from_secs(5));
    let retried = claim(store, "w", 10).await;
    assert_eq!(claimed_ids(&retried), vec![id_of(&create)]);
    deliver(store, "w", &retried[0]).await;
    let next = claim(store, "w", 10).await;
    assert_eq!(claimed_ids(&next), vec![id_of(&update)]);
}

async fn dead_blocks_its_key_until_retried(f: &Fixture) {
    let store = &f.store;
    let create = record("R-1", 1);
    let update = record("R-1", 2);
    accept_all(store, &[&create, &update]).await;
    let first = claim(store, "w", 10).await;
    assert_eq!(claimed_ids(&first), vec![id_of(&create)]);
    store
        .mark_failed(first[0].delivery.id, "w", "422 rejected", NextStep::Dead)
        .await
        .expect("mark dead");
    // A dead create holds its update back: an update never overtakes its create.
    f.clock.advance(Duration::from_secs(3600));
    assert!(claim(store, "w", 10).await.is_empty());
    // And says so: the update is blocked, naming the dead one, and counted.
    let blocked = delivery(store, id_of(&update), HUB).await;
    assert_eq!(blocked.state, DeliveryState::Blocked);
    assert_eq!(blocked.next_attempt_at, None);
    let reason = blocked.last_error.clone().unwrap_or_default();
    assert!(reason.contains(&id_of(&create).to_string()), "{reason}");
    let depth = store.queue_depth().await.expect("depth");
    assert!(
        depth
            .iter()
            .any(|d| d.state == DeliveryState::Blocked && d.count == 1),
        "{depth:?}"
    );
    let filter = MessageFilter {
        state: Some(DeliveryState::Blocked),
        ..MessageFilter::default()
    };
    let page = store.list_messages(&filter, 10, None).await.expect("list");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].message.message_id, id_of(&update));
    // A version accepted after the create died is blocked by the idle sweep.
    let third = record("R-1", 3);
    accept_all(store, &[&third]).await;
    assert_eq!(store.block_behind_dead(HUB).await.expect("sweep"), 1);
    assert_eq!(
        delivery(store, id_of(&third), HUB).await.state,
        DeliveryState::Blocked
    );
    assert_eq!(
        store
            .retry_dead(None, "operator")
            .await
            .expect("retry dead"),
        1
    );
    // Released, to go in order after the create.
    assert_eq!(
        delivery(store, id_of(&update), HUB).await.state,
        DeliveryState::Queued
    );
    let again = claim(store, "w", 10).await;
    assert_eq!(claimed_ids(&again), vec![id_of(&create)]);
    deliver(store, "w", &again[0]).await;
    let next = claim(store, "w", 10).await;
    assert_eq!(claimed_ids(&next), vec![id_of(&update)]);
    deliver(store, "w", &next[0]).await;
    assert_eq!(
        claimed_ids(&claim(store, "w", 10).await),
        vec![id_of(&third)]
    );
}

async fn retry_waits_for_backoff(f: &Fixture) {
    let store = &f.store;
    let rec = record("R-1", 1);
    accept_all(store, &[&rec]).await;
    let first = claim(store, "w", 1).await;
    assert!(store
        .mark_failed(
            first[0].delivery.id,
            "w",
            "connection refused",
            NextStep::RetryAfter(Duration::from_secs(10))
        )
        .await
        .expect("mark failed"));
    let d = delivery(store, id_of(&rec), HUB).await;
    assert_eq!(d.state, DeliveryState::RetryWait);
    assert_eq!(d.next_attempt_at, Some(START + 10_000));
    assert_eq!(d.last_error.as_deref(), Some("connection refused"));
    assert_eq!(d.lease_expires_at, None);
    assert_eq!(d.attempts, 1);

    assert!(claim(store, "w", 1).await.is_empty());
    f.clock.advance(Duration::from_millis(9_999));
    assert!(claim(store, "w", 1).await.is_empty());
    f.clock.advance(Duration::from_millis(1));
    let second = claim(store, "w2", 1).await;
    assert_eq!(claimed_ids(&second), vec![id_of(&rec)]);
    assert_eq!(second[0].delivery.attempts, 2);
    deliver(store, "w2", &second[0]).await;
    let d = delivery(store, id_of(&rec), HUB).await;
    assert_eq!(d.state, DeliveryState::Delivered);
    assert_eq!(
        d.last_error.as_deref(),
        Some("connection refused"),
        "kept as history"
    );
}

async fn dead_after_max_attempts_and_retry_dead(f: &Fixture) {
    const MAX_ATTEMPTS: u32 = 3;
    let store = &f.store;
    let rec = record("R-1", 1);
    let to_archive = record("R-2", 1);
    accept_all(store, &[&rec]).await;
    store
        .accept(
            &[new(&to_archive, "rs", &["archive"])],
            &Origin::actor("test"),
        )
        .await
        .expect("accept");

    // The forwarder's policy: exponential backoff, dead at the third failure.
    let mut backoff = Duration::from_secs(1);
    for attempt in 1..=MAX_ATTEMPTS {
        let claimed = claim(store, "w", 1).await;
        assert_eq!(claimed.len(), 1, "attempt {attempt}");
        let c = &claimed[0];
        assert_eq!(c.delivery.attempts, attempt);
        let next = if c.delivery.attempts >= MAX_ATTEMPTS {
            NextStep::Dead
        } else {
            NextStep::RetryAfter(backoff)
        };
        store
            .mark_failed(
                c.delivery.id,
                "w",
                &format!("500 on attempt {attempt}"),
                next,
            )
            .await
            .expect("mark failed");
        f.clock.advance(backoff);
        backoff *= 2;
    }
    let d = delivery(store, id_of(&rec), HUB).await;
    assert_eq!(d.state, DeliveryState::Dead);
    assert_eq!(d.attempts, MAX_ATTEMPTS);
    assert_eq!(d.last_error.as_deref(), Some("500 on attempt 3"));
    assert_eq!(d.next_attempt_at, None);
    f.clock.advance(Duration::from_secs(86_400));
    assert!(
        claim(store, "w", 10).await.is_empty(),
        "dead is not retried"
    );

    let archive = store
        .claim("a", Some("archive"), 1, LEASE)
        .await
        .expect("claim");
    store
        .mark_failed(archive[0].delivery.id, "a", "gone", NextStep::Dead)
        .await
        .expect("mark dead");

    // Retrying one destination's dead letters leaves the others dead.
    assert_eq!(
        store
            .retry_dead(Some("elsewhere"), "operator")
            .await
            .expect("retry"),
        0
    );
    assert_eq!(
        store
            .retry_dead(Some(HUB), "operator")
            .await
            .expect("retry"),
        1
    );
    assert_eq!(
        store
            .retry_dead(Some(HUB), "operator")
            .await
            .expect("retry"),
        0
    );
    let d = delivery(store, id_of(&rec), HUB).await;
    assert_eq!(d.state, DeliveryState::Queued);
    assert_eq!(d.attempts, 0, "fresh attempts");
    let again = claim(store, "w", 1).await;
    assert_eq!(claimed_ids(&again), vec![id_of(&rec)]);
    assert_eq!(again[0].delivery.attempts, 1);
    assert_eq!(
        delivery(store, id_of(&to_archive), "archive").await.state,
        DeliveryState::Dead
    );
    assert_eq!(store.retry_dead(None, "operator").await.expect("retry"), 1);
}

async fn replay_requeues_every_delivery(f: &Fixture) {
    let store = &f.store;
    let rec = record("R-1", 1);
    store
        .accept(
            &[new(&rec, "rs", &[HUB, "archive"])],
            &Origin::actor("test"),
        )
        .await
        .expect("accept");
    let claimed = store.claim("w", None, 10, LEASE).await.expect("claim");
    assert_eq!(claimed.len(), 2);
    deliver(store, "w", &claimed[0]).await;
    store
        .mark_failed(claimed[1].delivery.id, "w", "dead", NextStep::Dead)
        .await
        .expect("mark dead");

    assert_eq!(
        store.replay(id_of(&rec), "operator").await.expect("replay"),
        2
    );
    let view = store
        .get_message(id_of(&rec))
        .await
        .expect("get")
        .expect("stored");
    for d in &view.deliveries {
        assert_eq!(d.state, DeliveryState::Queued);
        assert_eq!(d.attempts, 0);
        assert_eq!(d.receipt, None);
        assert_eq!(d.delivered_at, None);
    }
    let again = store.claim("w", None, 10, LEASE).await.expect("claim");
    assert_eq!(again.len(), 2);
    // In flight deliveries are left alone.
    assert_eq!(
        store.replay(id_of(&rec), "operator").await.expect("replay"),
        0
    );
    let err = store
        .replay(Uuid::new_v4(), "operator")
        .await
        .expect_err("unknown message");
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "message",
                ..
            }
        ),
        "{err}"
    );
}

async fn claim_across_destinations(f: &Fixture) {
    let store = &f.store;
    let a = record("R-1", 1);
    let b = search("S-1");
    store
        .accept(
            &[new(&a, "rs", &[HUB]), new(&b, "br", &["registry-br"])],
            &Origin::actor("test"),
        )
        .await
        .expect("accept");
    let none = store
        .claim("w", Some("nowhere"), 10, LEASE)
        .await
        .expect("claim");
    assert!(none.is_empty());
    assert!(store
        .claim("w", None, 0, LEASE)
        .await
        .expect("claim")
        .is_empty());
    let all = store.claim("w", None, 10, LEASE).await.expect("claim");
    let destinations: Vec<&str> = all
        .iter()
        .map(|c| c.delivery.destination.as_str())
        .collect();
    assert_eq!(destinations, vec![HUB, "registry-br"]);
    assert_eq!(all[1].kind, MessageKind::Search);
    assert_eq!(all[1].correlation_id, b.header().correlation_id);
}

fn trace_response(trace_id: &str) -> Message {
    Message::TraceResponse(TraceResponse {
        header: header(),
        trace_id: trace_id.to_string(),
        responding_country: "RS".to_string(),
        responding_agency: "MUP".to_string(),
        outcome: TraceOutcome::NotFound,
        custody_chain: Vec::new(),
        diversion_point: None,
        remarks: None,
        responded_at: "2024-03-01T00:00:00Z".to_string(),
    })
}

/// The (kind, trace id) of each claimed delivery, in claim order.
fn routing_of(claimed: &[ClaimedDelivery]) -> Vec<(MessageKind, Option<&str>)> {
    claimed
        .iter()
        .map(|c| (c.kind, c.trace_id.as_deref()))
        .collect()
}

/// A claim says what routing needs (the kind, and the trace of a trace request
/// or response) beside the body, so that the forwarder never parses it to route.
async fn claims_carry_kind_and_trace(f: &Fixture) {
    let store = &f.store;
    let (rec, request, response) = (
        record("R-1", 1),
        trace_request("T-7", None),
        trace_response("T-8"),
    );
    accept_all(store, &[&rec, &request, &response]).await;
    let claimed = claim(store, "w1", 10).await;
    assert_eq!(
        routing_of(&claimed),
        vec![
            (MessageKind::Record, None),
            (MessageKind::TraceRequest, Some("T-7")),
            (MessageKind::TraceResponse, Some("T-8")),
        ]
    );
}

/// Rows stored before the trace id had a column of its own get it from their
/// body when the store migrates (the migration's own statement, run again on
/// rows whose column is emptied).
async fn trace_ids_of_stored_rows_are_filled_by_the_migration(f: &Fixture) {
    const SQLITE: &str = include_str!("migrations/sqlite/0005_message_trace_id.sql");
    const POSTGRES: &str = include_str!("migrations/postgres/0005_message_trace_id.sql");
    let migration = match f.backing {
        Backing::Sqlite { .. } => SQLITE,
        Backing::Postgres(_) => POSTGRES,
    };
    let backfill = migration
        .find("UPDATE messages")
        .and_then(|at| migration.get(at..))
        .expect("the migration fills the column");
    let store = &f.store;
    let (rec, request, response) = (
        record("R-1", 1),
        trace_request("T-7", None),
        trace_response("T-8"),
    );
    accept_all(store, &[&rec, &request, &response]).await;
    raw(f, &["UPDATE messages SET trace_id = NULL"])
        .await
        .expect("empty the column");
    let before = claim(store, "w1", 10).await;
    assert!(before.iter().all(|c| c.trace_id.is_none()));
    store.release("w1").await.expect("release");
    raw(f, &[backfill]).await.expect("the migration's backfill");
    let claimed = claim(store, "w1", 10).await;
    assert_eq!(
        routing_of(&claimed),
        vec![
            (MessageKind::Record, None),
            (MessageKind::TraceRequest, Some("T-7")),
            (MessageKind::TraceResponse, Some("T-8")),
        ]
    );
}

async fn trace_transitions(f: &Fixture) {
    let store = &f.store;
    let request = trace_request("T-1", None);
    accept_all(store, &[&request]).await;
    // A resent trace request (new message id, same trace) leaves the trace as it is.
    let resend = trace_request("T-1", Some("2030-01-01"));
    accept_all(store, &[&resend]).await;
    let trace = store.get_trace("T-1").await.expect("get").expect("trace");
    assert_eq!(trace.state, TraceState::Submitted);
    assert_eq!(trace.request_message_id, id_of(&request));
    assert_eq!(trace.due_at, None);

    f.clock.advance(Duration::from_secs(1));
    let t = store
        .transition("T-1", TraceState::Delivered)
        .await
        .expect("deliver");
    assert_eq!(
        t,
        Transition {
            from: TraceState::Submitted,
            to: TraceState::Delivered,
            changed: true
        }
    );
    // Idempotent when already there.
    let again = store
        .transition("T-1", TraceState::Delivered)
        .await
        .expect("again");
    assert!(!again.changed);
    // Backwards is refused, naming both states.
    let err = store
        .transition("T-1", TraceState::Submitted)
        .await
        .expect_err("backwards");
    assert!(
        matches!(
            err,
            StoreError::TraceTransition {
                from: TraceState::Delivered,
                to: TraceState::Submitted,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "trace `T-1` cannot go from delivered to submitted"
    );

    f.clock.advance(Duration::from_secs(1));
    store
        .transition("T-1", TraceState::Acknowledged)
        .await
        .expect("ack");
    f.clock.advance(Duration::from_secs(1));
    store
        .transition("T-1", TraceState::Answered)
        .await
        .expect("answer");
    let trace = store.get_trace("T-1").await.expect("get").expect("trace");
    assert_eq!(trace.state, TraceState::Answered);
    assert_eq!(trace.submitted_at, START);
    assert_eq!(trace.delivered_at, Some(START + 1_000));
    assert_eq!(trace.acknowledged_at, Some(START + 2_000));
    assert_eq!(trace.closed_at, Some(START + 3_000));
    assert_eq!(trace.updated_at, START + 3_000);
    // Final states are final.
    let err = store
        .transition("T-1", TraceState::Cancelled)
        .await
        .expect_err("after the answer");
    assert!(matches!(err, StoreError::TraceTransition { .. }), "{err}");
    assert!(
        !store
            .transition("T-1", TraceState::Answered)
            .await
            .expect("idempotent")
            .changed
    );

    // A step may be skipped: a decline straight after submission.
    accept_all(store, &[&trace_request("T-2", None)]).await;
    store
        .transition("T-2", TraceState::Declined)
        .await
        .expect("decline");
    let err = store
        .transition("T-404", TraceState::Delivered)
        .await
        .expect_err("unknown");
    assert!(
        matches!(err, StoreError::NotFound { what: "trace", .. }),
        "{err}"
    );
}

async fn traces_to_tell_the_hub(f: &Fixture) {
    let store = &f.store;
    // BR asked RS for both; RS acknowledges one, BR cancels the other.
    accept_all(
        store,
        &[
            &trace_request("T-ack", None),
            &trace_request("T-cancel", None),
        ],
    )
    .await;
    let ids = |traces: Vec<crate::store::Trace>| -> Vec<String> {
        traces.into_iter().map(|t| t.trace_id).collect()
    };
    assert!(store
        .traces_to_tell("RS", 10)
        .await
        .expect("tell")
        .is_empty());
    store
        .transition("T-ack", TraceState::Acknowledged)
        .await
        .expect("ack");
    f.clock.advance(Duration::from_secs(1));
    store
        .transition("T-cancel", TraceState::Cancelled)
        .await
        .expect("cancel");
    // Each country tells the hub only of its own part: RS its acknowledgement,
    // BR its cancellation.
    assert_eq!(
        ids(store.traces_to_tell("RS", 10).await.expect("tell")),
        ["T-ack"]
    );
    assert_eq!(
        ids(store.traces_to_tell("BR", 10).await.expect("tell")),
        ["T-cancel"]
    );
    assert!(store
        .traces_to_tell("RS", 0)
        .await
        .expect("tell")
        .is_empty());
    store
        .told_hub("T-ack", TraceState::Acknowledged)
        .await
        .expect("told");
    assert!(store
        .traces_to_tell("RS", 10)
        .await
        .expect("tell")
        .is_empty());
    assert_eq!(
        ids(store.traces_to_tell("BR", 10).await.expect("tell")),
        ["T-cancel"]
    );
    // What was told of an earlier state does not count for a later one.
    store
        .told_hub("T-cancel", TraceState::Acknowledged)
        .await
        .expect("told");
    assert_eq!(
        ids(store.traces_to_tell("BR", 10).await.expect("tell")),
        ["T-cancel"]
    );
}

async fn trace_expiry(f: &Fixture) {
    let store = &f.store;
    let (due, later, undated, answered) = (
        trace_request("T-due", Some("2024-03-07")),
        trace_request("T-later", Some("2024-04")),
        trace_request("T-undated", None),
        trace_request("T-answered", Some("2024-03-02")),
    );
    accept_all(store, &[&due, &later, &undated, &answered]).await;
    store
        .transition("T-answered", TraceState::Answered)
        .await
        .expect("answer");
    store
        .transition("T-due", TraceState::Acknowledged)
        .await
        .expect("ack");

    // Due through 7 March: still open at the last millisecond of the day.
    f.clock.set(due_date_end("2024-03-07").expect("date") - 1);
    assert!(store.expire_due().await.expect("expire").is_empty());
    f.clock.advance(Duration::from_millis(1));
    assert_eq!(
        store.expire_due().await.expect("expire"),
        vec!["T-due".to_string()]
    );
    assert!(store.expire_due().await.expect("expire").is_empty());
    let trace = store.get_trace("T-due").await.expect("get").expect("trace");
    assert_eq!(trace.state, TraceState::Expired);
    assert_eq!(trace.closed_at, Some(f.now()));
    let err = store
        .transition("T-due", TraceState::Answered)
        .await
        .expect_err("expired is final");
    assert!(matches!(err, StoreError::TraceTransition { .. }));

    // A month-only due date runs to the end of the month.
    f.clock.set(due_date_end("2024-04-30").expect("date"));
    assert_eq!(
        store.expire_due().await.expect("expire"),
        vec!["T-later".to_string()]
    );
    assert_eq!(
        store
            .get_trace("T-undated")
            .await
            .expect("get")
            .expect("trace")
            .state,
        TraceState::Submitted
    );
    assert_eq!(
        store
            .get_trace("T-answered")
            .await
            .expect("get")
            .expect("trace")
            .state,
        TraceState::Answered
    );
}

async fn list_filters_and_pages(f: &Fixture) {
    let store = &f.store;
    let records: Vec<Message> = (0..5).map(|i| record(&format!("R-{i}"), 1)).collect();
    let searches: Vec<Message> = (0..3).map(|i| search(&format!("S-{i}"))).collect();
    let mut batch: Vec<NewMessage> = records.iter().map(|m| new(m, "rs", &[HUB])).collect();
    batch.extend(searches.iter().map(|m| new(m, "br", &[HUB, "registry-rs"])));
    store
        .accept(&batch, &Origin::actor("test"))
        .await
        .expect("accept");
    // R-0 delivered, R-1 dead, the rest queued.
    let claimed = claim(store, "w", 2).await;
    deliver(store, "w", &claimed[0]).await;
    store
        .mark_failed(claimed[1].delivery.id, "w", "rejected", NextStep::Dead)
        .await
        .expect("dead");

    let ids = |page: &MessagePage| -> Vec<Uuid> {
        page.items.iter().map(|v| v.message.message_id).collect()
    };
    let all = store
        .list_messages(&MessageFilter::default(), 100, None)
        .await
        .expect("list");
    assert_eq!(all.items.len(), 8);
    assert_eq!(all.next, None);
    // Newest first.
    let mut expected: Vec<Uuid> = records.iter().chain(&searches).map(id_of).collect();
    expected.reverse();
    assert_eq!(ids(&all), expected);
    assert_eq!(all.items[0].deliveries.len(), 2);

    let by_kind = store
        .list_messages(
            &MessageFilter {
                kind: Some(MessageKind::Search),
                ..MessageFilter::default()
            },
            100,
            None,
        )
        .await
        .expect("list");
    assert_eq!(
        ids(&by_kind),
        searches.iter().rev().map(id_of).collect::<Vec<_>>()
    );

    let by_partner = store
        .list_messages(
            &MessageFilter {
                partner: Some("rs".into()),
                ..MessageFilter::default()
            },
            100,
            None,
        )
        .await
        .expect("list");
    assert_eq!(by_partner.items.len(), 5);
    assert!(by_partner
        .items
        .iter()
        .all(|v| v.message.source_partner == "rs"));

    let state = |state| MessageFilter {
        state: Some(state),
        ..MessageFilter::default()
    };
    let dead = store
        .list_messages(&state(DeliveryState::Dead), 100, None)
        .await
        .expect("list");
    assert_eq!(ids(&dead), vec![id_of(&records[1])]);
    assert_eq!(
        dead.items[0].deliveries[0].last_error.as_deref(),
        Some("rejected")
    );
    let delivered = store
        .list_messages(&state(DeliveryState::Delivered), 100, None)
        .await
        .expect("list");
    assert_eq!(ids(&delivered), vec![id_of(&records[0])]);
    let queued = store
        .list_messages(&state(DeliveryState::Queued), 100, None)
        .await
        .expect("list");
    assert_eq!(queued.items.len(), 6);
    let combined = store
        .list_messages(
            &MessageFilter {
                state: Some(DeliveryState::Queued),
                kind: Some(MessageKind::Record),
                partner: Some("rs".into()),
            },
            100,
            None,
        )
        .await
        .expect("list");
    assert_eq!(
        ids(&combined),
        records[2..].iter().rev().map(id_of).collect::<Vec<_>>()
    );
    let nobody = store
        .list_messages(
            &MessageFilter {
                partner: Some("nobody".into()),
                ..MessageFilter::default()
            },
            100,
            None,
        )
        .await
        .expect("list");
    assert!(nobody.items.is_empty());

    // Pages of 3 walk the same list without gaps or repeats.
    let mut walked = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_messages(&MessageFilter::default(), 3, cursor)
            .await
            .expect("page");
        assert!(page.items.len() <= 3);
        walked.extend(ids(&page));
        match page.next {
            // The cursor survives a round trip through text (an HTTP query).
            Some(next) => cursor = Some(next.to_string().parse().expect("cursor")),
            None => break,
        }
    }
    assert_eq!(walked, expected);
    assert!("x".parse::<Cursor>().is_err());
}

async fn queue_depth_by_destination_and_state(f: &Fixture) {
    let store = &f.store;
    let messages: Vec<Message> = (0..4).map(|i| record(&format!("R-{i}"), 1)).collect();
    let mut batch: Vec<NewMessage> = messages.iter().map(|m| new(m, "rs", &[HUB])).collect();
    batch.push(new(&search("S-1"), "br", &["registry-rs"]));
    store
        .accept(&batch, &Origin::actor("test"))
        .await
        .expect("accept");
    let claimed = claim(store, "w", 3).await;
    deliver(store, "w", &claimed[0]).await;
    store
        .mark_failed(
            claimed[1].delivery.id,
            "w",
            "busy",
            NextStep::RetryAfter(Duration::from_secs(1)),
        )
        .await
        .expect("retry");
    let depth = store.queue_depth().await.expect("depth");
    let got: Vec<(&str, DeliveryState, u64)> = depth
        .iter()
        .map(|d| (d.destination.as_str(), d.state, d.count))
        .collect();
    let mut expected = vec![
        (HUB, DeliveryState::Queued, 1),
        (HUB, DeliveryState::Delivering, 1),
        (HUB, DeliveryState::RetryWait, 1),
        ("registry-rs", DeliveryState::Queued, 1),
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort();
    expected.sort();
    assert_eq!(got_sorted, expected);
    store.ping().await.expect("ping");
}

// ---------------------------------------------------------------------------
// Backend-specific and pure checks

#[tokio::test]
async fn sqlite_in_memory_works_for_quick_tests() {
    let clock = Arc::new(ManualClock::new(START));
    let store = open_with("sqlite::memory:", options(&clock, None))
        .await
        .expect("open in memory");
    assert_eq!(store.backend(), Backend::Sqlite);
    let rec = record("R-1", 1);
    accept_all(&store, &[&rec]).await;
    let claimed = claim(&store, "w", 10).await;
    deliver(&store, "w", &claimed[0]).await;
    assert_eq!(
        delivery(&store, id_of(&rec), HUB).await.state,
        DeliveryState::Delivered
    );
}

#[tokio::test]
async fn sqlite_file_is_wal_with_full_sync() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("gateway.db");
    let clock = Arc::new(ManualClock::new(START));
    // A plain path works as a URL too.
    let store = SqliteStore::open(&path.display().to_string(), options(&clock, None))
        .await
        .expect("open");
    assert_eq!(store.pragma_for_tests("journal_mode").await, "wal");
    assert_eq!(store.pragma_for_tests("synchronous").await, "2", "FULL");
    assert_eq!(store.pragma_for_tests("busy_timeout").await, "30000");
    assert_eq!(store.pragma_for_tests("foreign_keys").await, "1");
    store.close().await;
    assert!(path.exists());
}

/// The store's files hold police records: the gateway's user only, whatever
/// the umask (issue 16), and a missing folder is created for it alone.
#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("state").join("gateway.db");
    let clock = Arc::new(ManualClock::new(START));
    let store = SqliteStore::open(
        &format!("sqlite://{}", path.display()),
        options(&clock, None),
    )
    .await
    .expect("open");
    accept_all(&(Arc::new(store) as Arc<dyn Store>), &[&record("R-1", 1)]).await;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&path.with_extension("db-wal")), 0o600);
    assert_eq!(mode(path.parent().expect("folder")), 0o700);
}

#[tokio::test]
async fn sqlite_locked_beyond_the_busy_timeout_is_unavailable() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("gateway.db");
    let clock = Arc::new(ManualClock::new(START));
    let store = SqliteStore::open(
        &path.display().to_string(),
        StoreOptions {
            busy_timeout: Duration::from_millis(200),
            ..options(&clock, None)
        },
    )
    .await
    .expect("open");
    // Another process (an operator's CLI, say) holds the write lock.
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .expect("lock");
    let rec = record("R-1", 1);
    let err = store
        .accept(&[new(&rec, "rs", &[HUB])], &Origin::actor("test"))
        .await
        .expect_err("locked");
    assert!(err.is_transient(), "{err:?}");
    sqlx::query("ROLLBACK")
        .execute(&mut other)
        .await
        .expect("unlock");
    let outcomes = store
        .accept(&[new(&rec, "rs", &[HUB])], &Origin::actor("test"))
        .await
        .expect("accept once the lock is gone");
    assert!(outcomes[0].is_accepted());
    store.close().await;
}

#[tokio::test]
async fn postgres_rejects_an_unsafe_schema_name() {
    let err = PgStore::connect(
        "postgres://postgres@127.0.0.1:1/test",
        StoreOptions {
            schema: Some("x\"; DROP TABLE y; --".into()),
            ..StoreOptions::default()
        },
    )
    .await
    .expect_err("unsafe schema");
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn unreachable_postgres_is_unavailable() {
    let err = open_with(
        "postgres://postgres@127.0.0.1:1/test",
        StoreOptions {
            busy_timeout: Duration::from_secs(2),
            ..StoreOptions::default()
        },
    )
    .await
    .expect_err("nothing listens on port 1");
    assert!(err.is_transient(), "{err:?}");
}

#[test]
fn urls_pick_the_backend() {
    assert_eq!(
        backend_of("postgres://u@h/db").ok(),
        Some(Backend::Postgres)
    );
    assert_eq!(
        backend_of("postgresql://u@h/db").ok(),
        Some(Backend::Postgres)
    );
    assert_eq!(
        backend_of("sqlite://data/gw.db").ok(),
        Some(Backend::Sqlite)
    );
    assert_eq!(backend_of("sqlite::memory:").ok(), Some(Backend::Sqlite));
    assert_eq!(
        backend_of("/var/lib/iarms/gateway.db").ok(),
        Some(Backend::Sqlite)
    );
    assert!(matches!(
        backend_of("mysql://u@h/db"),
        Err(StoreError::UnsupportedUrl(_))
    ));
    assert!(backend_of("").is_err());
}

#[test]
fn due_dates_end_with_their_day_month_or_year() {
    const DAY: Millis = 86_400_000;
    // 2024-03-07T00:00Z = 1709769600000.
    assert_eq!(due_date_end("2024-03-07"), Some(1_709_769_600_000 + DAY));
    assert_eq!(
        due_date_end("2024-03-07T15:00:00Z"),
        due_date_end("2024-03-07")
    );
    assert_eq!(due_date_end("2024-02"), due_date_end("2024-02-29"));
    assert_eq!(due_date_end("2024-12"), due_date_end("2024-12-31"));
    assert_eq!(due_date_end("2024"), due_date_end("2024-12-31"));
    assert_eq!(due_date_end("1970-01-01"), Some(DAY));
    for bad in [
        "2023-02-29",
        "2024-13",
        "2024-00-10",
        "24-01-01",
        "2024-1-01",
        "soon",
        "",
    ] {
        assert_eq!(due_date_end(bad), None, "{bad}");
    }
}

#[test]
fn ordering_keys_name_the_record_trace_or_conversation() {
    let r1 = record("R-1", 1);
    let r1v2 = record("R-1", 2);
    assert_eq!(ordering_key(&r1), r#"["record","RS","MUP","R-1"]"#);
    assert_eq!(ordering_key(&r1), ordering_key(&r1v2));
    assert_ne!(ordering_key(&r1), ordering_key(&record("R-2", 1)));
    assert_eq!(
        ordering_key(&trace_request("T-9", None)),
        r#"["trace","T-9"]"#
    );
    let s = search("S-1");
    assert_eq!(
        ordering_key(&s),
        format!(r#"["conversation","{}"]"#, s.header().correlation_id)
    );
}

#[test]
fn trace_lifecycle_moves_forward_only() {
    use TraceState::*;
    assert!(Submitted.can_move_to(Delivered));
    assert!(Submitted.can_move_to(Answered));
    assert!(Delivered.can_move_to(Acknowledged));
    assert!(Acknowledged.can_move_to(Expired));
    assert!(!Delivered.can_move_to(Submitted));
    assert!(!Acknowledged.can_move_to(Acknowledged));
    for terminal in [Answered, Declined, Expired, Cancelled] {
        assert!(terminal.is_terminal());
        assert!(TraceState::ALL.iter().all(|to| !terminal.can_move_to(*to)));
    }
    for state in TraceState::ALL {
        assert_eq!(state.as_str().parse::<TraceState>().ok(), Some(state));
    }
    for state in DeliveryState::ALL {
        assert_eq!(state.as_str().parse::<DeliveryState>().ok(), Some(state));
    }
}

/// Timing, by hand: `cargo test -p iarms-gateway --release store::tests::timing -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing, run by hand"]
async fn timing_accept_claim_deliver() {
    let mut fixtures = vec![("sqlite", Fixture::sqlite().await)];
    if let Some(pg) = Fixture::postgres().await {
        fixtures.push(("postgres", pg));
    }
    for (name, f) in fixtures {
        let messages: Vec<Message> = (0..20_000).map(|i| record(&format!("R-{i}"), 1)).collect();
        let started = Instant::now();
        for chunk in messages.chunks(100) {
            let batch: Vec<NewMessage> = chunk.iter().map(|m| new(m, "rs", &[HUB])).collect();
            f.store
                .accept(&batch, &Origin::actor("test"))
                .await
                .expect("accept");
        }
        let batched = started.elapsed();
        let singles: Vec<Message> = (0..1_000).map(|i| record(&format!("S-{i}"), 1)).collect();
        let started = Instant::now();
        for m in &singles {
            f.store
                .accept(&[new(m, "rs", &[HUB])], &Origin::actor("test"))
                .await
                .expect("accept");
        }
        let single = started.elapsed();
        let started = Instant::now();
        let mut delivered = 0;
        loop {
            let claimed = claim(&f.store, "w", 100).await;
            if claimed.is_empty() {
                break;
            }
            for c in &claimed {
                deliver(&f.store, "w", c).await;
                delivered += 1;
            }
        }
        let forwarding = started.elapsed();
        println!(
            "{name}: accept 20000 in batches of 100: {batched:?} ({:.0}/s); \
             1000 single accepts: {single:?} ({:.0}/s); \
             claim(100)+mark_delivered of {delivered}: {forwarding:?} ({:.0}/s)",
            20_000.0 / batched.as_secs_f64(),
            1_000.0 / single.as_secs_f64(),
            delivered as f64 / forwarding.as_secs_f64()
        );
        f.finish().await;
    }
}

// ---------------------------------------------------------------------------
// The audit trail

use crate::audit::{self, Action, AuditEvent, Origin, Problem};

/// Runs statements on the fixture's database over a connection of its own,
/// bypassing the store (and, where a test says so, the append-only triggers).
async fn raw(f: &Fixture, statements: &[&'static str]) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    match &f.backing {
        Backing::Sqlite { path, .. } => {
            let url = format!("sqlite://{}", path.display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await?;
            for statement in statements {
                sqlx::query(*statement).execute(&mut conn).await?;
            }
            conn.close().await
        }
        Backing::Postgres(guard) => {
            let options = guard
                .url
                .parse::<sqlx::postgres::PgConnectOptions>()?
                .options([("search_path", guard.schema.as_str())]);
            let mut conn = sqlx::PgConnection::connect_with(&options).await?;
            for statement in statements {
                sqlx::query(*statement).execute(&mut conn).await?;
            }
            conn.close().await
        }
    }
}

/// Another store on the same database: a second replica (PostgreSQL) or
/// process (SQLite).
async fn second_store(f: &Fixture) -> Arc<dyn Store> {
    match &f.backing {
        Backing::Sqlite { path, .. } => open_sqlite(path, &f.clock).await,
        Backing::Postgres(guard) => open_postgres(guard, &f.clock).await,
    }
}

fn numbered(n: usize) -> Vec<AuditEvent> {
    (0..n)
        .map(|i| {
            AuditEvent::new("tester", Action::Rejected)
                .partner("rs")
                .details(serde_json::json!({ "n": i }))
        })
        .collect()
}

async fn verified(store: &Arc<dyn Store>) -> Result<audit::Verified, audit::Break> {
    audit::verify_store(store.as_ref())
        .await
        .expect("read the log")
}

async fn audit_records_the_lifecycle_without_personal_data(f: &Fixture) {
    let store = &f.store;
    let delivered = record("R-AUDIT-1", 1);
    let dies = record("R-AUDIT-2", 1);
    let mut origin = Origin::actor("inbox:rs").format("registry-rs");
    origin.also = vec![AuditEvent::new("inbox:rs", Action::Rejected)
        .partner("rs")
        .details(serde_json::json!({ "index": 3, "codes": ["missing_field"] }))];
    let outcomes = store
        .accept(
            &[new(&delivered, "rs", &[HUB]), new(&dies, "rs", &[HUB])],
            &origin,
        )
        .await
        .expect("accept");
    assert!(outcomes.iter().all(AcceptOutcome::is_accepted));
    let again = store
        .accept(&[new(&delivered, "rs", &[HUB])], &Origin::actor("rs"))
        .await
        .expect("accept a duplicate");
    assert!(!again[0].is_accepted());

    let claimed = claim(store, "worker-1", 10).await;
    assert_eq!(claimed_ids(&claimed), vec![id_of(&delivered), id_of(&dies)]);
    deliver(store, "worker-1", &claimed[0]).await;
    let rejected = Settlement::Failed {
        error: Failure::http(400, "serial SN-R-AUDIT-2 unknown"),
        next: NextStep::Dead,
    };
    assert_eq!(
        store
            .settle("worker-1", &[(claimed[1].delivery.id, rejected)])
            .await
            .expect("dead"),
        [true]
    );
    assert_eq!(
        store
            .retry_dead(Some(HUB), "operator")
            .await
            .expect("retry"),
        1
    );
    assert_eq!(
        store
            .replay(id_of(&delivered), "operator")
            .await
            .expect("replay"),
        1
    );

    let entries = audit::tail(store.as_ref(), 100).await.expect("entries");
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "accepted",
            "accepted",
            "rejected",
            "duplicate",
            "delivered",
            "dead",
            "retry_dead",
            "replayed"
        ]
    );
    let actors: Vec<&str> = entries.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(
        actors,
        [
            "inbox:rs", "inbox:rs", "inbox:rs", "rs", "worker-1", "worker-1", "operator",
            "operator"
        ]
    );
    let delivered_id = id_of(&delivered).to_string();
    assert_eq!(entries[0].subject.as_deref(), Some(delivered_id.as_str()));
    assert_eq!(entries[0].kind.as_deref(), Some("record"));
    assert_eq!(entries[0].partner.as_deref(), Some("rs"));
    let details: serde_json::Value =
        serde_json::from_str(&entries[0].details).expect("details are JSON");
    assert_eq!(details["format"], "registry-rs");
    assert_eq!(details["forwarded"][0]["destination"], HUB);
    assert_eq!(entries[4].subject.as_deref(), Some(delivered_id.as_str()));
    assert!(
        entries[4].details.contains("\"http_status\":202"),
        "{}",
        entries[4].details
    );
    assert!(
        entries[5].details.contains("\"http_status\":400"),
        "{}",
        entries[5].details
    );
    assert!(entries.iter().all(|e| e.at == f.now()));

    // Ids, codes and digests only: no record id, serial number or error text.
    let text = serde_json::to_string(&entries).expect("json");
    for secret in ["R-AUDIT", "SN-", "Zastava", "unknown"] {
        assert!(
            !text.contains(secret),
            "`{secret}` in the audit trail: {text}"
        );
    }
    let key = NaturalKey::of(&delivered).expect("key");
    assert!(entries[0].details.contains(&record_key_digest(&key)));

    let about: Vec<String> = store
        .audit_of_subject(&delivered_id, 100)
        .await
        .expect("by subject")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(about, ["accepted", "duplicate", "delivered", "replayed"]);

    let intact = verified(store).await.expect("the chain verifies");
    assert_eq!(intact.checked, 8);
    assert_eq!(intact.head_hash, entries[7].hash);

    // A settle that lost its lease changes nothing and logs nothing.
    assert!(!store
        .mark_delivered(claimed[0].delivery.id, "worker-2", &Receipt::default())
        .await
        .expect("not the lease holder"));
    assert_eq!(verified(store).await.expect("verifies").checked, 8);
    // Durable: a restart reads the same chain.
    let reopened = f.reopen().await;
    assert_eq!(verified(&reopened).await.expect("verifies").checked, 8);
    reopened.close().await;
}

async fn audit_log_refuses_update_delete_and_truncate(f: &Fixture) {
    f.store.audit(&numbered(2)).await.expect("append");
    let update = raw(f, &["UPDATE audit_log SET details = '{}' WHERE seq = 1"]).await;
    let delete = raw(f, &["DELETE FROM audit_log WHERE seq = 2"]).await;
    for (what, result) in [("update", update), ("delete", delete)] {
        let error = result.expect_err(what).to_string();
        assert!(error.contains("append-only"), "{what}: {error}");
    }
    if matches!(f.backing, Backing::Postgres(_)) {
        let error = raw(f, &["TRUNCATE audit_log"]).await.expect_err("truncate");
        assert!(error.to_string().contains("append-only"), "{error}");
    }
    assert_eq!(verified(&f.store).await.expect("untouched").checked, 2);
}

async fn audit_names_a_tampered_entry_and_a_gap(f: &Fixture) {
    f.store.audit(&numbered(5)).await.expect("append");
    let postgres = matches!(f.backing, Backing::Postgres(_));
    let (disable, enable): (&[&'static str], &[&'static str]) = if postgres {
        (
            &["ALTER TABLE audit_log DISABLE TRIGGER USER"],
            &["ALTER TABLE audit_log ENABLE TRIGGER USER"],
        )
    } else {
        (
            &[
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
            ],
            &[],
        )
    };
    raw(f, disable).await.expect("disable the triggers");

    // Entry 3 altered: its hash no longer matches.
    raw(
        f,
        &["UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 3"],
    )
    .await
    .expect("tamper");
    let broken = verified(&f.store).await.expect_err("tampered");
    assert_eq!(broken.seq, 3);
    assert!(
        matches!(broken.problem, Problem::HashMismatch { .. }),
        "{broken}"
    );
    // Put back, the chain verifies again.
    raw(
        f,
        &["UPDATE audit_log SET details = '{\"n\":2}' WHERE seq = 3"],
    )
    .await
    .expect("restore");
    assert_eq!(verified(&f.store).await.expect("restored").checked, 5);

    // Entries 3 and 4 deleted: entry 5 reports the gap.
    raw(f, &["DELETE FROM audit_log WHERE seq IN (3, 4)"])
        .await
        .expect("delete");
    let broken = verified(&f.store).await.expect_err("gap");
    assert_eq!(broken.seq, 5);
    assert_eq!(
        broken.problem,
        Problem::Gap {
            expected: 3,
            found: 5
        }
    );
    raw(f, enable).await.expect("enable the triggers");
}

async fn audit_concurrent_appends_keep_one_chain(f: &Fixture) {
    const TASKS: usize = 8;
    const ROUNDS: usize = 5;
    let replica = second_store(f).await;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = if t % 2 == 0 {
            f.store.clone()
        } else {
            replica.clone()
        };
        tasks.push(tokio::spawn(async move {
            for r in 0..ROUNDS {
                let rec = record(&format!("R-C{t}-{r}"), 1);
                let outcomes = store
                    .accept(
                        &[new(&rec, "rs", &[HUB])],
                        &Origin::actor(format!("task-{t}")),
                    )
                    .await
                    .expect("accept");
                assert!(outcomes[0].is_accepted());
                store.audit(&numbered(1)).await.expect("append");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    // One `accepted` per accept, one more per audit call.
    let intact = verified(&f.store).await.expect("one chain");
    assert_eq!(intact.checked, (TASKS * ROUNDS * 2) as u64);
    replica.close().await;
}

async fn audit_export_is_a_slice_that_verifies(f: &Fixture) {
    let start = f.now();
    for _ in 0..4 {
        f.store.audit(&numbered(2)).await.expect("append");
        f.clock.advance(Duration::from_secs(60));
    }
    // Entries 3..6 were stamped at start+1min and start+2min.
    let from = start + 60_000;
    let to = start + 180_000;
    let bundle = audit::export(f.store.as_ref(), Some(from), Some(to), f.now())
        .await
        .expect("export");
    assert_eq!(bundle.prev_seq, 2);
    let seqs: Vec<i64> = bundle.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [3, 4, 5, 6]);
    assert_eq!(bundle.verify().expect("verifies on its own"), 4);
    let text = serde_json::to_string(&bundle).expect("json");
    let back: audit::Bundle = serde_json::from_str(&text).expect("parse");
    assert_eq!(back.verify().expect("round trip"), 4);

    let mut forged = bundle.clone();
    forged.entries[1].actor = "someone-else".into();
    assert!(matches!(
        forged.verify(),
        Err(audit::BundleError::Broken(audit::Break { seq: 4, .. }))
    ));
    let everything = audit::export(f.store.as_ref(), None, None, f.now())
        .await
        .expect("export all");
    assert_eq!(everything.prev_hash, audit::GENESIS);
    assert_eq!(everything.verify().expect("verifies"), 8);
    let nothing = audit::export(f.store.as_ref(), Some(to + 3_600_000), None, f.now())
        .await
        .expect("export none");
    assert!(nothing.entries.is_empty());
}

// ---------------------------------------------------------------------------
// Statement chunking

#[test]
fn chunks_cover_every_item_in_order_with_few_sizes() {
    for len in [0, 1, 4, 5, 6, 99, 100, 101, 499, 500, 501, 1234, 2000] {
        let items: Vec<usize> = (0..len).collect();
        let cut: Vec<&[usize]> = super::chunks(&items).collect();
        assert_eq!(cut.concat(), items, "{len} items");
        assert!(
            cut.iter().all(|c| super::CHUNK_SIZES.contains(&c.len())),
            "{len} items cut into {:?}",
            cut.iter().map(|c| c.len()).collect::<Vec<_>>()
        );
        // Greedy: each size is used fewer times than the next larger one fits.
        assert!(cut.windows(2).all(|w| w[0].len() >= w[1].len()));
    }
}

// Issue 16: evidence that survives an insider (signed checkpoints, digests).
#[path = "evidence_tests.rs"]
mod evidence;
