//! The hub test suite, written once and run against every backend:
//! `sqlite_file::*` on a temporary SQLite file (always) and `postgres::*` on
//! `DATABASE_URL`, each test in a schema of its own that is dropped afterwards
//! (skipped with a notice when `DATABASE_URL` is not set, failed under `CI`).
//! The register and the store share the database, as in production.

use std::sync::Arc;
use std::time::Duration;

use iarms_adapters::model::{
    Event, Firearm, FirearmRecord, Header, HitNotification, MatchKind, MatchSummary, Message,
    RecordAction, RecordRef, RecordStatus, Search, Seizure, SerialState, TraceOutcome,
    TraceQuestion, TraceRequest, TraceResponse,
};
use uuid::Uuid;

use super::matching::{hit_message_id, NoMatchReason};
use super::*;
use crate::store::{ManualClock, Millis};
use crate::test_support::{backend_suite, options, SchemaGuard};

/// 2024-03-01T00:00:00Z.
const START: Millis = 1_709_251_200_000;

// ---------------------------------------------------------------------------
// Fixtures

struct Fixture {
    hub: Hub,
    clock: Arc<ManualClock>,
    url: String,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
    guard: Option<SchemaGuard>,
}

impl Fixture {
    async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("hub.db").display());
        let clock = Arc::new(ManualClock::new(START));
        let hub = Hub::open(&url, options(&clock, None))
            .await
            .expect("open SQLite hub");
        Fixture {
            hub,
            clock,
            url,
            schema: None,
            _dir: Some(dir),
            guard: None,
        }
    }

    async fn postgres() -> Option<Fixture> {
        let guard = SchemaGuard::from_env("hub", "hub_test")?;
        let (url, schema) = (guard.url.clone(), guard.schema.clone());
        let clock = Arc::new(ManualClock::new(START));
        let hub = Hub::open(&url, options(&clock, Some(schema.clone())))
            .await
            .expect("open PostgreSQL hub");
        Some(Fixture {
            hub,
            clock,
            url,
            schema: Some(schema),
            _dir: None,
            guard: Some(guard),
        })
    }

    /// Opens the same database again, as a restart would (migrations run again).
    async fn reopen(&self) -> Hub {
        Hub::open(&self.url, options(&self.clock, self.schema.clone()))
            .await
            .expect("reopen hub")
    }

    async fn finish(mut self) {
        self.hub.close().await;
        if let Some(guard) = &mut self.guard {
            guard.drop_schema().await;
        }
    }
}

backend_suite!(
    partial_pattern_hits_as_partial,
    placeholder_and_unreadable_serials_never_hit,
    any_serial_of_a_search_against_any_serial_of_a_record,
    register_create_update_stale_cancel,
    register_survives_reopen_beside_the_store,
    exact_hit,
    partial_hits_list_agreed_fields,
    no_hit_on_make_only_or_without_serial,
    both_countries_notified_with_deterministic_ids,
    same_country_hit_notifies_once,
    trace_request_routed_and_response_routed_back,
    response_from_unasked_country_refused,
    declined_cancelled_expired,
    authorisation_rules,
    concurrent_submissions,
    audit_trail_of_submissions_refusals_and_notifications,
);

// ---------------------------------------------------------------------------
// Messages

fn firearm(serial: &str, make: &str, calibre: &str) -> Firearm {
    Firearm {
        serial_number: Some(serial.to_string()),
        make: Some(make.to_string()),
        calibre: Some(calibre.to_string()),
        model: Some("M70".to_string()),
        firearm_type: Some("rifle".to_string()),
        ..Firearm::default()
    }
}

fn record(owner: &str, record_id: &str, version: u32, action: RecordAction, f: Firearm) -> Message {
    Message::Record(FirearmRecord {
        header: Header::new(Uuid::new_v4()),
        record_id: record_id.to_string(),
        owner_country: owner.to_string(),
        owner_agency: "POL".to_string(),
        case_reference: None,
        action,
        version,
        firearm: f,
        event: Event {
            status: RecordStatus::Stolen,
            date: Some("2024-02-11".to_string()),
            place: None,
            description: None,
        },
    })
}

fn rs_record(record_id: &str, f: Firearm) -> Message {
    record("RS", record_id, 1, RecordAction::Create, f)
}

fn search(country: &str, search_id: &str, f: Firearm) -> Search {
    Search {
        header: Header::new(Uuid::new_v4()),
        search_id: search_id.to_string(),
        searching_country: country.to_string(),
        searching_agency: "PF".to_string(),
        case_reference: None,
        firearm: f,
        requested_at: None,
    }
}

fn trace_request(trace_id: &str, from: &str, to: &str, due: Option<&str>) -> TraceRequest {
    TraceRequest {
        header: Header::new(Uuid::new_v4()),
        trace_id: trace_id.to_string(),
        requesting_country: from.to_string(),
        requesting_agency: "PF".to_string(),
        requested_country: to.to_string(),
        priority: None,
        firearm: firearm("M70-1234", "Zastava", "7.62x39mm"),
        seizure: Seizure {
            date: Some("2024-02-20".to_string()),
            place: None,
            circumstances: None,
        },
        linked_record: None,
        questions: vec![TraceQuestion::Manufacture, TraceQuestion::Export],
        intended_use: None,
        due_date: due.map(str::to_string),
        contact: None,
    }
}

fn trace_response(request: &TraceRequest, from: &str, outcome: TraceOutcome) -> TraceResponse {
    let mut header = Header::new(Uuid::new_v4());
    header.correlation_id = request.header.message_id;
    TraceResponse {
        header,
        trace_id: request.trace_id.clone(),
        responding_country: from.to_string(),
        responding_agency: "MUP".to_string(),
        outcome,
        custody_chain: Vec::new(),
        diversion_point: None,
        remarks: None,
        responded_at: "2024-03-02T10:00:00Z".to_string(),
    }
}

async fn receive(hub: &Hub, from: &str, message: Message) -> HubOutcome {
    hub.receive(from, message).await.expect("receive")
}

async fn run_search(hub: &Hub, s: &Search) -> (Option<NoMatchReason>, Vec<HitOutcome>) {
    match receive(hub, &s.searching_country, Message::Search(s.clone())).await {
        HubOutcome::Search { no_match, hits, .. } => (no_match, hits),
        other => panic!("not a search outcome: {other:?}"),
    }
}

fn summary(kind: MatchKind, fields: &[&str]) -> MatchSummary {
    MatchSummary {
        kind,
        fields: fields.iter().map(|f| f.to_string()).collect(),
        serial_pattern: None,
    }
}

fn destinations_of(view: &crate::store::MessageView) -> Vec<String> {
    view.deliveries
        .iter()
        .map(|d| d.destination.clone())
        .collect()
}

// ---------------------------------------------------------------------------
// The suite

async fn register_create_update_stale_cancel(f: &Fixture) {
    let hub = &f.hub;
    let register = |m: HubOutcome| match m {
        HubOutcome::Record { register, .. } => register,
        other => panic!("not a record outcome: {other:?}"),
    };
    let v1 = firearm("M70-1234", "Zastava", "7.62x39mm");
    let created = receive(hub, "RS", record("RS", "R1", 1, RecordAction::Create, v1)).await;
    assert_eq!(register(created), RegisterOutcome::Created { version: 1 });

    let v3 = firearm("M70-5678", "Zastava", "7.62x39mm");
    let updated = receive(
        hub,
        "RS",
        record("RS", "R1", 3, RecordAction::Update, v3.clone()),
    )
    .await;
    assert_eq!(
        register(updated),
        RegisterOutcome::Updated {
            previous_version: 1,
            version: 3
        }
    );

    // Older and equal versions are stale and change nothing.
    for version in [2, 3] {
        let stale = receive(
            hub,
            "RS",
            record(
                "RS",
                "R1",
                version,
                RecordAction::Update,
                firearm("OTHER-1", "Glock", "9x19mm"),
            ),
        )
        .await;
        assert_eq!(
            register(stale),
            RegisterOutcome::Stale {
                version,
                current_version: 3
            }
        );
    }
    let current = hub
        .register()
        .get("RS", "POL", "R1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!((current.version, current.cancelled), (3, false));
    assert_eq!(current.record.firearm, v3);

    // The replaced serial no longer matches; the current one does.
    let (_, hits) = run_search(
        hub,
        &search("BR", "S-old", firearm("M70-1234", "Zastava", "7.62x39mm")),
    )
    .await;
    assert!(hits.is_empty(), "{hits:?}");
    let (_, hits) = run_search(hub, &search("BR", "S-new", v3.clone())).await;
    assert_eq!(hits.len(), 1);
    let by_make = hub
        .register()
        .by_make(" ZASTAVA", 10)
        .await
        .expect("by make");
    assert_eq!(by_make.len(), 1);

    // Cancel: kept as cancelled, never matched, and older versions stay stale.
    let cancelled = receive(
        hub,
        "RS",
        record("RS", "R1", 4, RecordAction::Cancel, v3.clone()),
    )
    .await;
    assert_eq!(
        register(cancelled),
        RegisterOutcome::Cancelled { version: 4 }
    );
    let current = hub
        .register()
        .get("RS", "POL", "R1")
        .await
        .expect("get")
        .expect("kept");
    assert_eq!((current.version, current.cancelled), (4, true));
    let (_, hits) = run_search(hub, &search("BR", "S-after-cancel", v3.clone())).await;
    assert!(hits.is_empty(), "{hits:?}");
    assert!(hub
        .register()
        .by_make("Zastava", 10)
        .await
        .expect("by make")
        .is_empty());
    let late = receive(hub, "RS", record("RS", "R1", 2, RecordAction::Update, v3)).await;
    assert_eq!(
        register(late),
        RegisterOutcome::Stale {
            version: 2,
            current_version: 4
        }
    );

    // A resent message (same owner, record id and version) is a duplicate in the
    // store's audit trail and stale in the register.
    let first = record(
        "RS",
        "R2",
        1,
        RecordAction::Create,
        firearm("X1", "CZ", "9x19mm"),
    );
    receive(hub, "RS", first.clone()).await;
    match receive(hub, "RS", first).await {
        HubOutcome::Record {
            stored, register, ..
        } => {
            assert!(!stored.is_accepted());
            assert!(matches!(register, RegisterOutcome::Stale { .. }));
        }
        other => panic!("{other:?}"),
    }
}

async fn register_survives_reopen_beside_the_store(f: &Fixture) {
    receive(
        &f.hub,
        "RS",
        rs_record("R1", firearm("M70-1234", "Zastava", "7.62x39mm")),
    )
    .await;
    // Both migrators run again on the same database without clashing.
    let hub = f.reopen().await;
    let kept = hub.register().get("RS", "POL", "R1").await.expect("get");
    assert!(kept.is_some());
    hub.store().ping().await.expect("store still works");
    hub.close().await;
}

async fn exact_hit(f: &Fixture) {
    let hub = &f.hub;
    receive(
        hub,
        "RS",
        rs_record("R1", firearm("M70-1234", "Zastava", "7.62x39mm")),
    )
    .await;
    receive(
        hub,
        "RS",
        rs_record("R2", firearm("9999", "Zastava", "7.62x39mm")),
    )
    .await;
    let s = search("BR", "S1", firearm("m70 1234", "ZASTAVA ", "7.62X39mm"));
    let (no_match, hits) = run_search(hub, &s).await;
    assert_eq!(no_match, None);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].record.record_id, "R1");
    assert_eq!(
        hits[0].summary,
        summary(
            MatchKind::Exact,
            &["serial_key", "make", "calibre", "model", "firearm_type"]
        )
    );
}

async fn partial_hits_list_agreed_fields(f: &Fixture) {
    let hub = &f.hub;
    receive(
        hub,
        "RS",
        rs_record("R1", firearm("1234", "Zastava", "7.62x39mm")),
    )
    .await;
    receive(
        hub,
        "RS",
        rs_record("R2", firearm("A0412345", "Beretta", "9x19mm")),
    )
    .await;
    receive(
        hub,
        "RS",
        rs_record("R3", firearm("K-445112", "Glock", "9x19mm")),
    )
    .await;
    let all = ["serial_key", "make", "calibre", "model", "firearm_type"];

    // Letters embedded between digits are ignored.
    let (_, hits) = run_search(
        hub,
        &search("BR", "S1", firearm("12A34", "Zastava", "7.62x39mm")),
    )
    .await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].record.record_id, "R1");
    assert_eq!(
        hits[0].summary,
        summary(
            MatchKind::Partial,
            &[
                "tolerant_serial_key",
                "make",
                "calibre",
                "model",
                "firearm_type"
            ]
        )
    );

    // The letter O reads as zero.
    let (_, hits) = run_search(
        hub,
        &search("BR", "S2", firearm("AO412345", "Beretta", "9x19mm")),
    )
    .await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].record.record_id, "R2");
    assert_eq!(hits[0].summary.kind, MatchKind::Partial);
    assert_eq!(hits[0].summary.fields[0], "tolerant_serial_key");

    // The make differs.
    let (_, hits) = run_search(
        hub,
        &search("BR", "S3", firearm("K445112", "Beretta", "9x19mm")),
    )
    .await;
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].summary,
        summary(
            MatchKind::Partial,
            &["serial_key", "calibre", "model", "firearm_type"]
        )
    );

    // The calibre differs.
    let (_, hits) = run_search(
        hub,
        &search("BR", "S4", firearm("K445112", "glock", ".45 ACP")),
    )
    .await;
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].summary,
        summary(
            MatchKind::Partial,
            &["serial_key", "make", "model", "firearm_type"]
        )
    );

    // Exact hits come before partial ones.
    receive(
        hub,
        "RS",
        rs_record("R0", firearm("12A34", "Zastava", "7.62x39mm")),
    )
    .await;
    let (_, hits) = run_search(
        hub,
        &search("BR", "S5", firearm("12A34", "Zastava", "7.62x39mm")),
    )
    .await;
    let got: Vec<(&str, MatchKind)> = hits
        .iter()
        .map(|h| (h.record.record_id.as_str(), h.summary.kind))
        .collect();
    assert_eq!(got, [("R0", MatchKind::Exact), ("R1", MatchKind::Partial)]);
    assert_eq!(hits[0].summary, summary(MatchKind::Exact, &all));
}

async fn no_hit_on_make_only_or_without_serial(f: &Fixture) {
    let hub = &f.hub;
    receive(
        hub,
        "RS",
        rs_record("R1", firearm("M70-1234", "Zastava", "7.62x39mm")),
    )
    .await;

    // Same make, calibre, model and type, another serial: nothing.
    let (no_match, hits) = run_search(
        hub,
        &search("BR", "S1", firearm("555", "Zastava", "7.62x39mm")),
    )
    .await;
    assert_eq!((no_match, hits.len()), (None, 0));

    // No serial at all, or an obliterated one: nothing, and it says why.
    let mut no_serial = firearm("x", "Zastava", "7.62x39mm");
    no_serial.serial_number = None;
    let (no_match, hits) = run_search(hub, &search("BR", "S2", no_serial)).await;
    assert_eq!((no_match, hits.len()), (Some(NoMatchReason::NoSerial), 0));
    let mut obliterated = firearm("M70-1234", "Zastava", "7.62x39mm");
    obliterated.serial_state = Some(SerialState::Obliterated);
    let (no_match, hits) = run_search(hub, &search("BR", "S3", obliterated)).await;
    assert_eq!((no_match, hits.len()), (Some(NoMatchReason::NoSerial), 0));
}

fn hit_ids(hits: &[HitOutcome]) -> Vec<(&str, MatchKind, Option<&str>)> {
    hits.iter()
        .map(|h| {
            (
                h.record.record_id.as_str(),
                h.summary.kind,
                h.summary.serial_pattern.as_deref(),
            )
        })
        .collect()
}

async fn partial_pattern_hits_as_partial(f: &Fixture) {
    let hub = &f.hub;
    for (id, serial) in [
        ("R1", "31?407"),
        ("R2", "315407"),
        ("R3", "316407"),
        ("R4", "3154071"),
    ] {
        receive(
            hub,
            "RS",
            rs_record(id, firearm(serial, "Zastava", "7.62x39mm")),
        )
        .await;
    }
    // A full key matches the recorded pattern, as partial with the pattern,
    // and the equal key exactly.
    let (_, hits) = run_search(
        hub,
        &search("BR", "S1", firearm("315407", "Zastava", "7.62x39mm")),
    )
    .await;
    assert_eq!(
        hit_ids(&hits),
        [
            ("R2", MatchKind::Exact, None),
            ("R1", MatchKind::Partial, Some("31?407"))
        ]
    );
    assert!(hits[1]
        .summary
        .fields
        .contains(&"serial_pattern".to_string()));
    // A searched pattern matches the keys of its length that agree on its known
    // positions: by prefix, by suffix, and with known positions inside.
    for (id, pattern) in [("S2", "31?407"), ("S3", "??5407"), ("S4", "31?4?7")] {
        let (_, hits) = run_search(
            hub,
            &search("BR", id, firearm(pattern, "Zastava", "7.62x39mm")),
        )
        .await;
        let got = hit_ids(&hits);
        assert!(
            got.iter()
                .all(|(_, kind, p)| *kind == MatchKind::Partial && p.is_some()),
            "{got:?}"
        );
        let mut ids: Vec<&str> = got.iter().map(|(r, _, _)| *r).collect();
        ids.sort_unstable();
        let expected: &[&str] = if pattern == "??5407" {
            &["R2"]
        } else {
            &["R2", "R3"]
        };
        assert_eq!(ids, expected, "{pattern}");
    }
    // Fewer than four known characters: never matched.
    let (no_match, hits) = run_search(
        hub,
        &search("BR", "S5", firearm("3?5?0?", "Zastava", "7.62x39mm")),
    )
    .await;
    assert_eq!((no_match, hits.len()), (Some(NoMatchReason::NoSerial), 0));
}

async fn placeholder_and_unreadable_serials_never_hit(f: &Fixture) {
    let hub = &f.hub;
    for (id, serial) in [
        ("R1", "removido"),
        ("R2", "S/N"),
        ("R3", "---"),
        ("R4", "ilegível"),
    ] {
        receive(
            hub,
            "RS",
            rs_record(id, firearm(serial, "Zastava", "7.62x39mm")),
        )
        .await;
    }
    let mut obliterated = firearm("M70-1234", "Zastava", "7.62x39mm");
    obliterated.serial_state = Some(SerialState::Obliterated);
    receive(hub, "RS", rs_record("R5", obliterated)).await;
    for (id, serial) in [
        ("S1", "removido"),
        ("S2", "S/N"),
        ("S3", "---"),
        ("S4", "ilegível"),
    ] {
        let (no_match, hits) = run_search(
            hub,
            &search("BR", id, firearm(serial, "Zastava", "7.62x39mm")),
        )
        .await;
        assert_eq!(
            (no_match, hits.len()),
            (Some(NoMatchReason::NoSerial), 0),
            "{serial}"
        );
    }
    // The obliterated record's number never hits on serial.
    let (_, hits) = run_search(
        hub,
        &search("BR", "S5", firearm("M70-1234", "Zastava", "7.62x39mm")),
    )
    .await;
    assert!(hits.is_empty(), "{hits:?}");
}

async fn any_serial_of_a_search_against_any_serial_of_a_record(f: &Fixture) {
    let hub = &f.hub;
    receive(
        hub,
        "RS",
        rs_record("R1", firearm("40217; 930112", "Zastava", "7.62x39mm")),
    )
    .await;
    let (_, hits) = run_search(
        hub,
        &search("BR", "S1", firearm("930112", "Zastava", "7.62x39mm")),
    )
    .await;
    assert_eq!(hit_ids(&hits), [("R1", MatchKind::Exact, None)]);
    let mut searched = firearm("555", "Zastava", "7.62x39mm");
    searched.serial_number = None;
    searched.serials = vec![
        iarms_adapters::model::Serial {
            number: "X-1".to_string(),
            key: None,
            pattern: None,
            state: None,
            part: None,
            note: None,
        },
        iarms_adapters::model::Serial {
            number: "40217".to_string(),
            key: None,
            pattern: None,
            state: None,
            part: Some(iarms_adapters::model::SerialPart::Slide),
            note: None,
        },
    ];
    let (_, hits) = run_search(hub, &search("BR", "S2", searched)).await;
    assert_eq!(hit_ids(&hits), [("R1", MatchKind::Exact, None)]);
}

async fn both_countries_notified_with_deterministic_ids(f: &Fixture) {
    let hub = &f.hub;
    receive(
        hub,
        "RS",
        rs_record("R1", firearm("M70-1234", "Zastava", "7.62x39mm")),
    )
    .await;
    let s = search("BR", "S1", firearm("M70-1234", "Zastava", "7.62x39mm"));
    let (_, hits) = run_search(hub, &s).await;
    assert_eq!(hits.len(), 1);
    let record = RecordRef {
        owner_country: "RS".to_string(),
        owner_agency: "POL".to_string(),
        record_id: "R1".to_string(),
    };
    let expected: Vec<(Uuid, String)> = ["BR", "RS"]
        .iter()
        .map(|c| {
            (
                hit_message_id("BR", "S1", &record, c),
                format!("gateway:{c}"),
            )
        })
        .collect();
    let got: Vec<(Uuid, String)> = hits[0]
        .notifications
        .iter()
        .map(|n| (n.message_id, n.destination.clone()))
        .collect();
    assert_eq!(got, expected);
    assert!(hits[0].notifications.iter().all(|n| n.stored.is_accepted()));

    for (id, destination) in &expected {
        let view = hub
            .store()
            .get_message(*id)
            .await
            .expect("get")
            .expect("notification stored");
        assert_eq!(destinations_of(&view), std::slice::from_ref(destination));
        assert_eq!(view.message.source_partner, HUB_PARTNER);
        let Message::HitNotification(HitNotification {
            header,
            search_id,
            matched_record,
            match_summary,
            notified_at,
            ..
        }) = view.message.message().expect("body")
        else {
            panic!("not a hit notification");
        };
        assert_eq!(header.correlation_id, s.header.message_id);
        assert_eq!(search_id, "S1");
        assert_eq!(matched_record, record);
        assert_eq!(match_summary.kind, MatchKind::Exact);
        assert_eq!(notified_at, "2024-03-01T00:00:00.000Z");
    }

    // The same search run again (same id, even as a new message) yields
    // duplicates, not new notifications.
    f.clock.advance(Duration::from_secs(60));
    let mut again = s.clone();
    again.header = Header::new(Uuid::new_v4());
    let (_, hits) = run_search(hub, &again).await;
    let ids: Vec<Uuid> = hits[0].notifications.iter().map(|n| n.message_id).collect();
    assert_eq!(ids, expected.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    assert!(hits[0]
        .notifications
        .iter()
        .all(|n| !n.stored.is_accepted()));
    let depth: u64 = hub
        .store()
        .queue_depth()
        .await
        .expect("depth")
        .iter()
        .map(|d| d.count)
        .sum();
    assert_eq!(
        depth, 2,
        "only the first run's two notifications are queued"
    );
}

async fn same_country_hit_notifies_once(f: &Fixture) {
    let hub = &f.hub;
    receive(
        hub,
        "RS",
        rs_record("R1", firearm("M70-1234", "Zastava", "7.62x39mm")),
    )
    .await;
    let (_, hits) = run_search(
        hub,
        &search("RS", "S1", firearm("M70-1234", "Zastava", "7.62x39mm")),
    )
    .await;
    let destinations: Vec<&str> = hits[0]
        .notifications
        .iter()
        .map(|n| n.destination.as_str())
        .collect();
    assert_eq!(destinations, ["gateway:RS"]);
}

async fn trace_request_routed_and_response_routed_back(f: &Fixture) {
    let hub = &f.hub;
    let request = trace_request("T1", "BR", "RS", Some("2024-04-01"));
    let outcome = receive(hub, "BR", Message::TraceRequest(request.clone())).await;
    let HubOutcome::TraceRequest {
        destination,
        stored,
        ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(destination, "gateway:RS");
    assert!(stored.is_accepted());
    let view = hub
        .store()
        .get_message(request.header.message_id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(destinations_of(&view), ["gateway:RS"]);
    let trace = hub
        .store()
        .get_trace("T1")
        .await
        .expect("get")
        .expect("trace");
    assert_eq!(trace.state, TraceState::Submitted);

    // A resend of the same request is a duplicate; another request reusing the id is refused.
    let resend = receive(hub, "BR", Message::TraceRequest(request.clone())).await;
    assert!(matches!(resend, HubOutcome::TraceRequest { stored, .. } if !stored.is_accepted()));
    let mut hijack = trace_request("T1", "BR", "DE", None);
    hijack.header = Header::new(Uuid::new_v4());
    let err = hub
        .receive("BR", Message::TraceRequest(hijack))
        .await
        .expect_err("conflict");
    assert_eq!(err.code(), "trace_conflict");

    // The forwarder delivers it: submitted -> delivered.
    let claimed = hub
        .store()
        .claim("w1", Some("gateway:RS"), 10, Duration::from_secs(30))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    // Delivery elsewhere, or of another kind, moves nothing.
    assert_eq!(
        hub.delivered(&claimed[0], "gateway:BR")
            .await
            .expect("delivered"),
        None
    );
    let transition = hub
        .delivered(&claimed[0], &claimed[0].delivery.destination)
        .await
        .expect("delivered")
        .expect("a transition");
    assert_eq!(
        (transition.from, transition.to),
        (TraceState::Submitted, TraceState::Delivered)
    );
    assert_eq!(
        hub.delivered(&claimed[0], "gateway:RS")
            .await
            .expect("again"),
        None
    );

    // Acknowledged by the requested country only.
    let err = hub.acknowledge("BR", "T1").await.expect_err("not asked");
    assert_eq!(err.code(), "not_asked");
    let transition = hub.acknowledge("RS", "T1").await.expect("acknowledge");
    assert_eq!(transition.to, TraceState::Acknowledged);

    // The response goes back to the requesting country's gateway: answered.
    let response = trace_response(&request, "RS", TraceOutcome::Traced);
    let outcome = receive(hub, "RS", Message::TraceResponse(response.clone())).await;
    let HubOutcome::TraceResponse {
        destination,
        stored,
        transition,
        ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(destination, "gateway:BR");
    assert!(stored.is_accepted());
    assert_eq!(
        (transition.from, transition.to, transition.changed),
        (TraceState::Acknowledged, TraceState::Answered, true)
    );
    let view = hub
        .store()
        .get_message(response.header.message_id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(destinations_of(&view), ["gateway:BR"]);

    // A resend is a duplicate and changes nothing; a contradicting answer is refused.
    let resend = receive(hub, "RS", Message::TraceResponse(response)).await;
    assert!(matches!(
        resend,
        HubOutcome::TraceResponse { stored, transition, .. }
            if !stored.is_accepted() && !transition.changed
    ));
    let err = hub
        .receive(
            "RS",
            Message::TraceResponse(trace_response(&request, "RS", TraceOutcome::Declined)),
        )
        .await
        .expect_err("closed");
    assert_eq!(err.code(), "trace_closed");
    assert_eq!(
        hub.store()
            .get_trace("T1")
            .await
            .expect("get")
            .expect("trace")
            .state,
        TraceState::Answered
    );
}

async fn response_from_unasked_country_refused(f: &Fixture) {
    let hub = &f.hub;
    let request = trace_request("T1", "BR", "RS", None);
    receive(hub, "BR", Message::TraceRequest(request.clone())).await;

    // DE was not asked, whatever its response claims, and learns nothing of
    // the trace: the answer to an unknown trace, naming neither country.
    for claimed_responder in ["DE", "RS"] {
        let response = trace_response(&request, claimed_responder, TraceOutcome::Traced);
        let err = hub
            .receive("DE", Message::TraceResponse(response.clone()))
            .await
            .expect_err("not asked");
        assert_eq!(
            (err.code(), err.http_status()),
            ("unknown_trace", 404),
            "{err}"
        );
        assert_eq!(err.to_string(), "trace `T1` is unknown");
        assert!(hub
            .store()
            .get_message(response.header.message_id)
            .await
            .expect("get")
            .is_none());
    }
    // The requester cannot answer its own request either.
    let err = hub
        .receive(
            "BR",
            Message::TraceResponse(trace_response(&request, "BR", TraceOutcome::Traced)),
        )
        .await
        .expect_err("not asked");
    assert_eq!(err.code(), "not_asked");
    // A response to an unknown trace.
    let mut unknown = trace_response(&request, "RS", TraceOutcome::Traced);
    unknown.trace_id = "T-unknown".to_string();
    let err = hub
        .receive("RS", Message::TraceResponse(unknown))
        .await
        .expect_err("unknown");
    assert_eq!((err.code(), err.http_status()), ("unknown_trace", 404));
    assert_eq!(
        hub.store()
            .get_trace("T1")
            .await
            .expect("get")
            .expect("trace")
            .state,
        TraceState::Submitted
    );
}

async fn declined_cancelled_expired(f: &Fixture) {
    let hub = &f.hub;
    // A declined outcome declines the trace (straight from submitted).
    let t1 = trace_request("T1", "BR", "RS", None);
    receive(hub, "BR", Message::TraceRequest(t1.clone())).await;
    let outcome = receive(
        hub,
        "RS",
        Message::TraceResponse(trace_response(&t1, "RS", TraceOutcome::Declined)),
    )
    .await;
    assert!(matches!(
        outcome,
        HubOutcome::TraceResponse { transition, .. }
            if transition.to == TraceState::Declined && transition.from == TraceState::Submitted
    ));

    // Not found is an answer.
    let t2 = trace_request("T2", "BR", "RS", None);
    receive(hub, "BR", Message::TraceRequest(t2.clone())).await;
    let outcome = receive(
        hub,
        "RS",
        Message::TraceResponse(trace_response(&t2, "RS", TraceOutcome::NotFound)),
    )
    .await;
    assert!(matches!(
        outcome,
        HubOutcome::TraceResponse { transition, .. } if transition.to == TraceState::Answered
    ));

    // Cancelled by the requester only; a later response is refused.
    let t3 = trace_request("T3", "BR", "RS", None);
    receive(hub, "BR", Message::TraceRequest(t3.clone())).await;
    let err = hub.cancel("RS", "T3").await.expect_err("forbidden");
    assert_eq!(err.code(), "forbidden");
    let transition = hub.cancel("BR", "T3").await.expect("cancel");
    assert_eq!(transition.to, TraceState::Cancelled);
    let err = hub
        .receive(
            "RS",
            Message::TraceResponse(trace_response(&t3, "RS", TraceOutcome::Traced)),
        )
        .await
        .expect_err("closed");
    assert_eq!((err.code(), err.http_status()), ("trace_closed", 409));
    let err = hub.cancel("BR", "T-unknown").await.expect_err("unknown");
    assert_eq!(err.code(), "unknown_trace");

    // Expired at its due date.
    let t4 = trace_request("T4", "BR", "RS", Some("2024-03-05"));
    receive(hub, "BR", Message::TraceRequest(t4)).await;
    assert!(hub.expire_due().await.expect("expire").is_empty());
    f.clock.advance(Duration::from_secs(6 * 86_400));
    assert_eq!(hub.expire_due().await.expect("expire"), ["T4"]);
    assert_eq!(
        hub.store()
            .get_trace("T4")
            .await
            .expect("get")
            .expect("trace")
            .state,
        TraceState::Expired
    );
}

async fn authorisation_rules(f: &Fixture) {
    let hub = &f.hub;
    let forbidden = |result: Result<HubOutcome, HubError>| {
        let err = result.expect_err("forbidden");
        assert_eq!((err.code(), err.http_status()), ("forbidden", 403), "{err}");
        err.to_string()
    };

    // Records only from their owner country.
    let message = forbidden(
        hub.receive("BR", rs_record("R1", firearm("1234", "CZ", "9x19mm")))
            .await,
    );
    assert!(
        message.contains("only submit records owned by BR, not by RS"),
        "{message}"
    );
    assert!(hub
        .register()
        .get("RS", "POL", "R1")
        .await
        .expect("get")
        .is_none());
    // The owner itself may (case is forgiven).
    receive(hub, "rs", rs_record("R1", firearm("1234", "CZ", "9x19mm"))).await;

    // Searches only for the searching country.
    forbidden(
        hub.receive(
            "RS",
            Message::Search(search("BR", "S1", firearm("1234", "CZ", "9x19mm"))),
        )
        .await,
    );
    // Trace requests only from the requesting country.
    forbidden(
        hub.receive(
            "RS",
            Message::TraceRequest(trace_request("T1", "BR", "RS", None)),
        )
        .await,
    );
    assert!(hub.store().get_trace("T1").await.expect("get").is_none());
    // Hit notifications are never accepted from a gateway.
    let hit = HitNotification {
        header: Header::new(Uuid::new_v4()),
        search_id: "S1".to_string(),
        searching_country: "BR".to_string(),
        matched_record: RecordRef {
            owner_country: "RS".to_string(),
            owner_agency: "POL".to_string(),
            record_id: "R1".to_string(),
        },
        match_summary: summary(MatchKind::Exact, &[]),
        notified_at: "2024-03-01T00:00:00Z".to_string(),
    };
    forbidden(hub.receive("BR", Message::HitNotification(hit)).await);
    // No identity, no access.
    forbidden(
        hub.receive("  ", rs_record("R9", firearm("1", "CZ", "9x19mm")))
            .await,
    );
    // Trace responses: covered by `response_from_unasked_country_refused`.
}

async fn concurrent_submissions(f: &Fixture) {
    // Records (register and store writes) and searches (store writes) from
    // several tasks at once: no busy errors, every record registered once.
    let mut tasks = Vec::new();
    for task in 0..4 {
        let hub = f.hub.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let serial = format!("SN-{task}-{i}");
                let id = format!("R{task}-{i}");
                hub.receive("RS", rs_record(&id, firearm(&serial, "CZ", "9x19mm")))
                    .await
                    .expect("record");
                let s = search(
                    "BR",
                    &format!("S{task}-{i}"),
                    firearm(&serial, "CZ", "9x19mm"),
                );
                let outcome = hub.receive("BR", Message::Search(s)).await.expect("search");
                assert!(
                    matches!(&outcome, HubOutcome::Search { hits, .. } if hits.len() == 1),
                    "{outcome:?}"
                );
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let registered = f.hub.register().by_make("cz", 100).await.expect("by make");
    assert_eq!(registered.len(), 40);
}

async fn audit_trail_of_submissions_refusals_and_notifications(f: &Fixture) {
    let hub = &f.hub;
    let gun = firearm("M70-AUDIT-1", "Zastava", "7.62x39mm");
    hub.receive("RS", rs_record("R-AUDIT-1", gun.clone()))
        .await
        .expect("record");
    // BR may not submit a record owned by RS: refused, and audited.
    let refused = rs_record("R-AUDIT-2", gun.clone());
    let refused_id = refused.header().message_id.to_string();
    hub.receive("BR", refused).await.expect_err("forbidden");
    // A search with an exact hit: the search and both notifications in one go.
    hub.receive("BR", Message::Search(search("BR", "S-AUDIT-1", gun)))
        .await
        .expect("search");

    let store = hub.store().as_ref();
    let entries = crate::audit::tail(store, 100).await.expect("entries");
    let summary: Vec<(&str, &str, Option<&str>)> = entries
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.partner.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            ("gateway:RS", "accepted", Some("gateway:RS")),
            ("gateway:BR", "rejected", Some("gateway:BR")),
            ("gateway:BR", "accepted", Some("gateway:BR")),
            ("gateway:BR", "accepted", Some(HUB_PARTNER)),
            ("gateway:BR", "accepted", Some(HUB_PARTNER)),
        ]
    );
    // The hub's own messages name the gateways they were queued for.
    assert!(entries[3]
        .details
        .contains("\"destination\":\"gateway:BR\""));
    assert!(entries[4]
        .details
        .contains("\"destination\":\"gateway:RS\""));
    assert_eq!(entries[1].subject.as_deref(), Some(refused_id.as_str()));
    assert!(entries[1].details.contains("\"code\":\"forbidden\""));
    let text = serde_json::to_string(&entries).expect("json");
    assert!(
        !text.contains("M70-AUDIT"),
        "a serial number in the audit trail"
    );
    let verified = crate::audit::verify_store(store)
        .await
        .expect("read")
        .expect("the chain verifies");
    assert_eq!(verified.checked, 5);
}
