//! proptest strategies for canonical messages (shared by the round-trip tests).
//!
//! Values are arbitrary, not necessarily valid: the codecs must carry anything
//! the model can hold. Limits that are format facts, not bugs: text has no
//! control characters (validation refuses them and XML 1.0 cannot hold them),
//! optional text is non-empty (an empty CSV cell means "absent"), and an
//! optional object holds at least one value (an empty one has no CSV form).

use iarms_adapters::model::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use uuid::Uuid;

pub fn text() -> impl Strategy<Value = String> {
    // Printable text including separators the CSV and XML codecs must escape.
    "[ -~\u{e0}-\u{ff}\u{0106}\u{0107}\u{0160}\u{0161}\u{0416}|;=\\\\<>&\"'\t\n\r]{1,24}"
        .prop_filter("non-blank", |s| !s.is_empty())
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    option::of(text())
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn header() -> impl Strategy<Value = Header> {
    (uuid(), uuid(), "1\\.[0-9]", vec(flag(), 0..3)).prop_map(
        |(message_id, correlation_id, schema_version, flags)| Header {
            message_id,
            correlation_id,
            schema_version,
            flags,
        },
    )
}

fn flag() -> impl Strategy<Value = QualityFlag> {
    (text(), text(), opt_text()).prop_map(|(field, code, detail)| QualityFlag {
        field,
        code,
        detail,
    })
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..5000).prop_map(|n| f64::from(n) / 10.0),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    ]
}

pub fn firearm() -> impl Strategy<Value = Firearm> {
    let identity = (
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        option::of(prop_oneof![
            Just(SerialState::Legible),
            Just(SerialState::PartiallyLegible),
            Just(SerialState::Illegible),
            Just(SerialState::Obliterated),
            Just(SerialState::Absent)
        ]),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
    );
    let detail = (
        opt_text(),
        option::of(any::<i32>()),
        option::of(finite()),
        option::of(any::<u32>()),
        opt_text(),
        vec(
            (text(), opt_text()).prop_map(|(text, location)| Marking { text, location }),
            0..3,
        ),
        option::of(
            (text(), option::of(any::<i32>()))
                .prop_map(|(country, year)| ImportMarking { country, year }),
        ),
        opt_text(),
    );
    let serials = (
        opt_text(),
        opt_text(),
        vec(
            (
                text(),
                opt_text(),
                opt_text(),
                option::of(prop_oneof![
                    Just(SerialState::Legible),
                    Just(SerialState::Absent)
                ]),
                option::of(prop_oneof![
                    Just(SerialPart::Frame),
                    Just(SerialPart::Receiver),
                    Just(SerialPart::Slide),
                    Just(SerialPart::Barrel),
                    Just(SerialPart::Cylinder),
                    Just(SerialPart::Other)
                ]),
                opt_text(),
            )
                .prop_map(|(number, key, pattern, state, part, note)| Serial {
                    number,
                    key,
                    pattern,
                    state,
                    part,
                    note,
                }),
            0..3,
        ),
    );
    (identity, detail, serials).prop_map(
        |(
            (
                make,
                model,
                serial_number,
                serial_key,
                serial_state,
                calibre,
                calibre_as_recorded,
                firearm_type,
                action,
            ),
            (
                country_of_manufacture,
                year_of_manufacture,
                barrel_length_mm,
                number_of_barrels,
                finish,
                markings,
                import_marking,
                ifrt_reference,
            ),
            (serial_pattern, serial_note, serials),
        )| Firearm {
            make,
            make_canonical: None,
            model,
            serial_number,
            serial_key,
            serial_pattern,
            serial_note,
            serial_state,
            serials,
            calibre,
            calibre_as_recorded,
            firearm_type,
            action,
            country_of_manufacture,
            year_of_manufacture,
            barrel_length_mm,
            number_of_barrels,
            finish,
            markings,
            import_marking,
            ifrt_reference,
        },
    )
}

fn place() -> impl Strategy<Value = Place> {
    (opt_text(), opt_text())
        .prop_filter("an optional object holds a value", |(c, l)| {
            c.is_some() || l.is_some()
        })
        .prop_map(|(country, locality)| Place { country, locality })
}

fn status() -> impl Strategy<Value = RecordStatus> {
    prop_oneof![
        Just(RecordStatus::Lost),
        Just(RecordStatus::Stolen),
        Just(RecordStatus::Trafficked),
        Just(RecordStatus::Smuggled),
        Just(RecordStatus::Seized),
        Just(RecordStatus::Found),
        Just(RecordStatus::Surrendered),
        Just(RecordStatus::Other),
    ]
}

fn record() -> impl Strategy<Value = FirearmRecord> {
    (
        header(),
        text(),
        text(),
        text(),
        opt_text(),
        prop_oneof![
            Just(RecordAction::Create),
            Just(RecordAction::Update),
            Just(RecordAction::Cancel)
        ],
        any::<u32>(),
        firearm(),
        (status(), opt_text(), option::of(place()), opt_text()),
    )
        .prop_map(
            |(
                header,
                record_id,
                owner_country,
                owner_agency,
                case_reference,
                action,
                version,
                firearm,
                (status, date, place, description),
            )| {
                FirearmRecord {
                    header,
                    record_id,
                    owner_country,
                    owner_agency,
                    case_reference,
                    action,
                    version,
                    firearm,
                    event: Event {
                        status,
                        date,
                        place,
                        description,
                    },
                }
            },
        )
}

fn search() -> impl Strategy<Value = Search> {
    (
        header(),
        text(),
        text(),
        text(),
        opt_text(),
        firearm(),
        opt_text(),
    )
        .prop_map(
            |(
                header,
                search_id,
                searching_country,
                searching_agency,
                case_reference,
                firearm,
                requested_at,
            )| Search {
                header,
                search_id,
                searching_country,
                searching_agency,
                case_reference,
                firearm,
                requested_at,
            },
        )
}

fn record_ref() -> impl Strategy<Value = RecordRef> {
    (text(), text(), text()).prop_map(|(owner_country, owner_agency, record_id)| RecordRef {
        owner_country,
        owner_agency,
        record_id,
    })
}

fn hit() -> impl Strategy<Value = HitNotification> {
    (
        header(),
        text(),
        text(),
        record_ref(),
        prop_oneof![Just(MatchKind::Exact), Just(MatchKind::Partial)],
        vec(text(), 0..3),
        text(),
        opt_text(),
    )
        .prop_map(
            |(
                header,
                search_id,
                searching_country,
                matched_record,
                kind,
                fields,
                notified_at,
                serial_pattern,
            )| {
                HitNotification {
                    header,
                    search_id,
                    searching_country,
                    matched_record,
                    match_summary: MatchSummary {
                        kind,
                        fields,
                        serial_pattern,
                    },
                    notified_at,
                }
            },
        )
}

fn question() -> impl Strategy<Value = TraceQuestion> {
    prop_oneof![
        Just(TraceQuestion::Manufacture),
        Just(TraceQuestion::Export),
        Just(TraceQuestion::Import),
        Just(TraceQuestion::LastLegalOwner),
        Just(TraceQuestion::Sales),
    ]
}

fn trace_request() -> impl Strategy<Value = TraceRequest> {
    (
        (header(), text(), text(), text(), text()),
        option::of(prop_oneof![
            Just(TracePriority::Routine),
            Just(TracePriority::Urgent)
        ]),
        firearm(),
        (opt_text(), option::of(place()), opt_text()),
        option::of(record_ref()),
        vec(question(), 1..4),
        (opt_text(), opt_text()),
        option::of(
            (text(), opt_text(), opt_text()).prop_map(|(name, email, phone)| Contact {
                name,
                email,
                phone,
            }),
        ),
    )
        .prop_map(
            |(
                (header, trace_id, requesting_country, requesting_agency, requested_country),
                priority,
                firearm,
                (date, place, circumstances),
                linked_record,
                questions,
                (intended_use, due_date),
                contact,
            )| TraceRequest {
                header,
                trace_id,
                requesting_country,
                requesting_agency,
                requested_country,
                priority,
                firearm,
                seizure: Seizure {
                    date,
                    place,
                    circumstances,
                },
                linked_record,
                questions,
                intended_use,
                due_date,
                contact,
            },
        )
}

fn custody_event() -> impl Strategy<Value = CustodyEvent> {
    (
        opt_text(),
        prop_oneof![
            Just(CustodyEventKind::Manufactured),
            Just(CustodyEventKind::Exported),
            Just(CustodyEventKind::Imported),
            Just(CustodyEventKind::Sold),
            Just(CustodyEventKind::Transferred),
            Just(CustodyEventKind::Registered),
            Just(CustodyEventKind::ReportedLost),
            Just(CustodyEventKind::ReportedStolen),
        ],
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
    )
        .prop_map(|(date, event, from, to, country, document)| CustodyEvent {
            date,
            event,
            from,
            to,
            country,
            document,
        })
}

fn trace_response() -> impl Strategy<Value = TraceResponse> {
    (
        (header(), text(), text(), text()),
        prop_oneof![
            Just(TraceOutcome::Traced),
            Just(TraceOutcome::PartiallyTraced),
            Just(TraceOutcome::NotFound),
            Just(TraceOutcome::Declined),
        ],
        vec(custody_event(), 0..4),
        option::of(
            (text(), opt_text())
                .prop_map(|(description, date)| DiversionPoint { description, date }),
        ),
        opt_text(),
        text(),
    )
        .prop_map(
            |(
                (header, trace_id, responding_country, responding_agency),
                outcome,
                custody_chain,
                diversion_point,
                remarks,
                responded_at,
            )| {
                TraceResponse {
                    header,
                    trace_id,
                    responding_country,
                    responding_agency,
                    outcome,
                    custody_chain,
                    diversion_point,
                    remarks,
                    responded_at,
                }
            },
        )
}

pub fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        record().prop_map(Message::Record),
        search().prop_map(Message::Search),
        hit().prop_map(Message::HitNotification),
        trace_request().prop_map(Message::TraceRequest),
        trace_response().prop_map(Message::TraceResponse),
    ]
}

/// Messages of one kind (a CSV file holds one kind).
pub fn messages_of_one_kind() -> impl Strategy<Value = Vec<Message>> {
    prop_oneof![
        vec(record().prop_map(Message::Record), 0..5),
        vec(search().prop_map(Message::Search), 0..5),
        vec(hit().prop_map(Message::HitNotification), 0..5),
        vec(trace_request().prop_map(Message::TraceRequest), 0..5),
        vec(trace_response().prop_map(Message::TraceResponse), 0..5),
    ]
}
