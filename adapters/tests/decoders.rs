//! Decoder behaviour on bad and hostile input: exact error locations for every
//! canonical format, and fuzz-style runs of arbitrary and mutated bytes through
//! every decoder and the normalise/validate pipeline (they must never panic).

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::BufReader;

use iarms_adapters::model::SerialState;
use iarms_adapters::pipeline::prepare;
use iarms_adapters::{ErrorCode, Limits, Message, RecordError, Registry};
use proptest::prelude::*;

const FORMATS: [&str; 4] = ["iarms-json", "iarms-ndjson", "iarms-xml", "iarms-csv"];

fn decode_all(format: &str, bytes: &[u8]) -> Vec<Result<Message, RecordError>> {
    let registry = Registry::builtin();
    let Some(adapter) = registry.get(format) else {
        panic!("no adapter {format}");
    };
    match adapter.decode(Box::new(BufReader::new(bytes)), Limits::default()) {
        Ok(stream) => stream.map(|item| item.map(|d| d.message)).collect(),
        Err(e) => vec![Err(e)],
    }
}

fn errors(format: &str, bytes: &[u8]) -> Vec<RecordError> {
    decode_all(format, bytes)
        .into_iter()
        .filter_map(Result::err)
        .collect()
}

const RECORD: &str = r#"{"kind":"record","header":{"message_id":"0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a01","correlation_id":"0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a01"},"record_id":"R1","owner_country":"RS","owner_agency":"RS-MUP","action":"create","firearm":{"make":"Zastava","serial_number":"C-1","calibre":"7.62x39mm"},"event":{"status":"stolen"}}"#;

#[test]
fn json_syntax_error_points_at_line_and_column() {
    let doc = format!("{{\"schema_version\":\"1.0\",\"messages\":[\n{RECORD},\n{{\"kind\": \"record\",\n  \"record_id\" \"R2\"}}\n]}}\n");
    let results = decode_all("iarms-json", doc.as_bytes());
    assert!(results[0].is_ok());
    let error = results[1]
        .clone()
        .err()
        .unwrap_or_else(|| panic!("second item should fail"));
    assert_eq!(error.code, ErrorCode::Syntax);
    assert_eq!(
        (
            error.location.record,
            error.location.line,
            error.location.column
        ),
        (Some(2), Some(4), Some(15))
    );
    assert_eq!(error.location.pointer.as_deref(), Some("/messages/1"));
}

#[test]
fn json_structure_error_names_the_pointer() {
    let bad = RECORD.replace("\"make\":\"Zastava\"", "\"make\":7");
    let doc = format!("[{RECORD},\n {bad}]");
    let errs = errors("iarms-json", doc.as_bytes());
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].location.pointer.as_deref(),
        Some("/messages/1/firearm/make")
    );
    assert_eq!(errs[0].field.as_deref(), Some("firearm.make"));
    assert_eq!(
        (
            errs[0].location.record,
            errs[0].location.line,
            errs[0].location.column
        ),
        (Some(2), Some(2), Some(2))
    );
}

#[test]
fn a_missing_field_is_named_itself_not_its_parent() {
    let top = RECORD.replace("\"record_id\":\"R1\",", "");
    let nested = RECORD.replace(
        ",\"correlation_id\":\"0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a01\"",
        "",
    );
    for (doc, field) in [(top, "record_id"), (nested, "header.correlation_id")] {
        let errs = errors("iarms-ndjson", doc.as_bytes());
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].code, ErrorCode::Structure);
        assert_eq!(errs[0].field.as_deref(), Some(field), "{errs:?}");
        assert!(errs[0].reason.contains("missing field"), "{errs:?}");
    }
}

#[test]
fn a_serial_of_only_punctuation_is_absent_and_an_empty_one_refused() {
    // Issue 15: "---" is a placeholder: state absent, no key, flagged.
    let dashes = RECORD.replace("\"serial_number\":\"C-1\"", "\"serial_number\":\"--- \"");
    let message = prepared(&dashes).unwrap_or_else(|e| panic!("{e:?}"));
    let Message::Record(record) = &message else {
        panic!("a record")
    };
    assert_eq!(record.firearm.serial_state, Some(SerialState::Absent));
    assert_eq!(record.firearm.serial_key, None);
    assert_eq!(record.firearm.serial_number.as_deref(), Some("--- "));
    assert!(message
        .header()
        .flags
        .iter()
        .any(|f| f.code == "placeholder_serial" && f.field == "firearm.serial_number"));
    let empty = RECORD.replace("\"serial_number\":\"C-1\"", "\"serial_number\":\"  \"");
    let errs = prepared(&empty).expect_err("no serial");
    assert_eq!(errs[0].field.as_deref(), Some("firearm.serial_number"));
    assert!(
        errs[0].reason.contains("serial number is empty"),
        "{errs:?}"
    );
    let obliterated = empty.replace(
        "\"calibre\":\"7.62x39mm\"",
        "\"calibre\":\"7.62x39mm\",\"serial_state\":\"obliterated\"",
    );
    assert!(prepared(&obliterated).is_ok());
}

/// One NDJSON message decoded, normalised and validated.
fn prepared(line: &str) -> Result<Message, Vec<RecordError>> {
    let registry = Registry::builtin();
    let adapter = registry
        .get("iarms-ndjson")
        .unwrap_or_else(|| panic!("ndjson"));
    let mut stream = adapter
        .decode(Box::new(BufReader::new(line.as_bytes())), Limits::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let decoded = stream
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("decodes"));
    prepare(decoded)
}

#[test]
fn json_document_without_messages_array_is_an_error() {
    let errs = errors("iarms-json", b"{\"schema_version\":\"1.0\"}");
    assert_eq!(errs.len(), 1);
    assert!(errs[0].reason.contains("no /messages array"), "{}", errs[0]);
}

#[test]
fn json_nesting_beyond_the_limit_is_refused_without_recursion() {
    let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    let errs = errors("iarms-json", deep.as_bytes());
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].code, ErrorCode::Limit);
}

#[test]
fn ndjson_errors_carry_the_line() {
    let bad = RECORD.replace("\"status\":\"stolen\"", "\"status\":\"borrowed\"");
    let input = format!("{RECORD}\n\n{bad}\n{RECORD}\n");
    let results = decode_all("iarms-ndjson", input.as_bytes());
    assert_eq!(results.len(), 3);
    let error = results[1]
        .clone()
        .err()
        .unwrap_or_else(|| panic!("the bad line should fail"));
    assert_eq!(
        (error.location.record, error.location.line),
        (Some(2), Some(3))
    );
    assert_eq!(error.location.pointer.as_deref(), Some("/event/status"));
    assert!(
        error.reason.contains("unknown variant `borrowed`"),
        "{}",
        error.reason
    );
}

fn xml_record(inner: &str) -> String {
    format!(
        "<record>\n  <header><message_id>0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a01</message_id><correlation_id>0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a01</correlation_id></header>\n  <record_id>R1</record_id><owner_country>RS</owner_country><owner_agency>A</owner_agency><action>create</action>\n  {inner}\n  <event><status>stolen</status></event>\n</record>\n"
    )
}

#[test]
fn xml_errors_give_the_element_path_and_line() {
    let good = xml_record("<firearm><make>Zastava</make></firearm>");
    let bad = xml_record(
        "<firearm>\n    <make>Zastava</make>\n    <calibr>7.62x39mm</calibr>\n  </firearm>",
    );
    let doc = format!("<?xml version=\"1.0\"?>\n<messages xmlns=\"urn:iarms-gateway:canonical:1\" version=\"1.0\">\n{good}{bad}</messages>\n");
    let results = decode_all("iarms-xml", doc.as_bytes());
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok(), "{:?}", results[0]);
    let error = results[1]
        .clone()
        .err()
        .unwrap_or_else(|| panic!("second record should fail"));
    assert_eq!(
        error.location.xml_path.as_deref(),
        Some("/messages/record[2]/firearm/calibr")
    );
    assert_eq!(error.location.line, Some(14));
    assert_eq!(error.field.as_deref(), Some("firearm.calibr"));
    assert!(
        error.reason.contains("unknown element <calibr>"),
        "{}",
        error.reason
    );
}

#[test]
fn xml_typed_value_errors_name_the_field() {
    let bad = xml_record(
        "<firearm><make>Zastava</make><barrel_length_mm>12,5</barrel_length_mm></firearm>",
    );
    let doc = format!(
        "<messages xmlns=\"urn:iarms-gateway:canonical:1\" version=\"1.0\">\n{bad}</messages>"
    );
    let errs = errors("iarms-xml", doc.as_bytes());
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].field.as_deref(), Some("firearm.barrel_length_mm"));
    assert!(
        errs[0].reason.contains("expected a number"),
        "{}",
        errs[0].reason
    );
}

#[test]
fn xml_foreign_root_is_refused() {
    let errs = errors(
        "iarms-xml",
        b"<rf:FirearmReport xmlns:rf=\"urn:example\"><rf:Weapon/></rf:FirearmReport>",
    );
    assert_eq!(errs.len(), 1);
    assert!(errs[0].fatal);
    assert!(
        errs[0].reason.contains("root element must be <messages>"),
        "{}",
        errs[0].reason
    );
}

fn csv_with_row(row: &str) -> String {
    format!("kind,message_id,correlation_id,record_id,owner_country,owner_agency,action,firearm.make,firearm.barrel_length_mm,event.status\n\
record,0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a01,0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a01,R1,RS,A,create,Zastava,101.5,stolen\n{row}\n")
}

#[test]
fn csv_errors_name_the_row_line_and_column() {
    let input = csv_with_row("record,0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a02,0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a02,R2,RS,A,create,Zastava,\"4,5\",stolen");
    let results = decode_all("iarms-csv", input.as_bytes());
    assert_eq!(results.len(), 2);
    let error = results[1]
        .clone()
        .err()
        .unwrap_or_else(|| panic!("second row should fail"));
    assert_eq!(
        (error.location.record, error.location.line),
        (Some(2), Some(3))
    );
    assert_eq!(
        error.location.csv_column.as_deref(),
        Some("firearm.barrel_length_mm")
    );
}

#[test]
fn csv_unknown_header_column_is_fatal_and_named() {
    let errs = errors("iarms-csv", b"kind,record_id,calibre\nrecord,R1,9mm\n");
    assert_eq!(errs.len(), 1);
    assert!(errs[0].fatal);
    assert!(
        errs[0]
            .reason
            .contains("unknown column \"calibre\" (column 3)"),
        "{}",
        errs[0].reason
    );
}

#[test]
fn csv_wrong_field_count_rejects_only_that_row() {
    let input = csv_with_row("record,x,y");
    let results = decode_all("iarms-csv", input.as_bytes());
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    let error = results[1]
        .clone()
        .err()
        .unwrap_or_else(|| panic!("short row should fail"));
    assert!(
        error
            .reason
            .contains("row has 3 fields but the header has 10"),
        "{}",
        error.reason
    );
}

#[test]
fn csv_invalid_utf8_reports_the_byte_offset() {
    let mut input = csv_with_row("").into_bytes();
    input.truncate(input.len() - 1);
    let row_start = input.len();
    input.extend_from_slice(b"record,0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a02,0b1e4c1e-7c53-4c8e-9a55-3e1f0c2d4a02,R2,RS,A,create,Za\xFFstava,1,stolen\n");
    let errs = errors("iarms-csv", &input);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].code, ErrorCode::Encoding);
    let make_offset = input.windows(2).rposition(|w| w == b"Za").unwrap_or(0);
    assert_eq!(errs[0].location.byte_offset, Some((make_offset + 2) as u64));
    assert!(make_offset > row_start);
    assert_eq!(errs[0].location.csv_column.as_deref(), Some("firearm.make"));
}

#[test]
fn oversized_records_are_refused_and_the_stream_goes_on() {
    let limits = Limits {
        max_record_bytes: 2048,
        ..Limits::default()
    };
    let big = RECORD.replace(
        "\"make\":\"Zastava\"",
        &format!("\"make\":\"{}\"", "Z".repeat(5000)),
    );
    let input = format!("{big}\n{RECORD}\n");
    let registry = Registry::builtin();
    let adapter = registry
        .get("iarms-ndjson")
        .unwrap_or_else(|| panic!("no ndjson"));
    let results: Vec<_> = adapter
        .decode(Box::new(BufReader::new(input.as_bytes())), limits)
        .unwrap_or_else(|e| panic!("{e}"))
        .collect();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].as_ref().err().map(|e| e.code),
        Some(ErrorCode::Limit)
    );
    assert!(results[1].is_ok());
}

/// Valid documents of every format, for mutation.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let registry = Registry::builtin();
    let messages: Vec<Message> = iarms_sample::generate(&iarms_sample::SampleOptions::new(
        iarms_adapters::MessageKind::Record,
        3,
        1,
    ))
    .collect();
    FORMATS
        .iter()
        .map(|format| {
            let mut out = Vec::new();
            if let Some(adapter) = registry.get(format) {
                if let Ok(mut encoder) = adapter.encoder(Box::new(&mut out)) {
                    for m in &messages {
                        let _ = encoder.write(m);
                    }
                    let _ = encoder.finish();
                }
            }
            (*format, out)
        })
        .collect()
}

/// Runs bytes through a decoder and the whole pipeline; only a panic fails.
fn exercise(format: &str, bytes: &[u8]) {
    let registry = Registry::builtin();
    if let Some(adapter) = registry.get(format) {
        if let Ok(stream) = adapter.decode(Box::new(BufReader::new(bytes)), Limits::default()) {
            for decoded in stream.take(1000).flatten() {
                let _ = prepare(decoded);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for format in FORMATS {
            exercise(format, &bytes);
        }
    }

    #[test]
    fn mutated_documents_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let seeds = seeds();
        let (format, mut bytes) = seeds[which].clone();
        for (index, byte, op) in edits {
            if bytes.is_empty() { break; }
            let at = index.index(bytes.len());
            match op {
                0 => bytes[at] = byte,
                1 => { bytes.insert(at, byte); }
                _ => { bytes.truncate(at); }
            }
        }
        exercise(format, &bytes);
    }
}

#[test]
fn csv_lines_are_exact_with_crlf_and_blank_lines() {
    let input = "kind,record_id\r\nrecord,R1\r\nrecord,R2\r\n\r\nrecord,R3\r\n";
    let lines: Vec<Option<u64>> = errors("iarms-csv", input.as_bytes())
        .iter()
        .map(|e| e.location.line)
        .collect();
    assert_eq!(lines, vec![Some(2), Some(3), Some(5)]);
}
