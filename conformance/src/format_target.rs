//! The offline target (`--mapping NAME`): a format case's input is decoded with
//! the format under test, normalised and validated (`pipeline::prepare`, as
//! `iarms-gateway convert` does), and the accepted messages and reported errors are
//! compared with the case's expectation. A `format = "canonical"` case is encoded
//! with the format under test and decoded back; fields the format does not carry
//! are noted, not failed.

use std::io::Cursor;
use std::sync::Arc;

use iarms_adapters::adapter::DecodeResult;
use iarms_adapters::pipeline::prepare;
use iarms_adapters::{Adapter, Limits, Message, MessageKind, RecordError, Registry};
use serde_json::Value;

use crate::outcome::Finding;
use crate::suite::{Case, CaseExpect, ErrorExpect, Kind, Outcome, Suite};

/// What decoding one input produced.
#[derive(Debug, Default)]
pub struct Decoded {
    pub messages: Vec<Message>,
    pub errors: Vec<RecordError>,
    /// Records with at least one error.
    pub rejected: u64,
}

/// Decodes, normalises and validates `bytes` with `adapter`.
pub fn decode_all(adapter: &dyn Adapter, bytes: &[u8]) -> Decoded {
    let mut out = Decoded::default();
    let stream = match adapter.decode(Box::new(Cursor::new(bytes.to_vec())), Limits::default()) {
        Ok(stream) => stream,
        Err(e) => {
            out.errors.push(e);
            out.rejected += 1;
            return out;
        }
    };
    for item in stream {
        let item: DecodeResult = item;
        match item.map_err(|e| vec![e]).and_then(prepare) {
            Ok(message) => out.messages.push(message),
            Err(errors) => {
                out.rejected += 1;
                out.errors.extend(errors);
            }
        }
    }
    out
}

/// Encodes messages with `adapter`.
pub fn encode_all(adapter: &dyn Adapter, messages: &[Message]) -> Result<Vec<u8>, String> {
    let mut buffer = Vec::new();
    {
        let mut encoder = adapter
            .encoder(Box::new(&mut buffer))
            .map_err(|e| e.to_string())?;
        for m in messages {
            encoder.write(m).map_err(|e| e.to_string())?;
        }
        encoder.finish().map_err(|e| e.to_string())?;
    }
    Ok(buffer)
}

fn message_kind(kind: Kind) -> MessageKind {
    match kind {
        Kind::Record => MessageKind::Record,
        Kind::Search => MessageKind::Search,
        Kind::HitNotification => MessageKind::HitNotification,
        Kind::TraceRequest => MessageKind::TraceRequest,
        Kind::TraceResponse => MessageKind::TraceResponse,
    }
}

/// The format under test: its name and adapter, from the registry of built-in
/// adapters and mappings (plus `--mappings` and a mapping file given as NAME).
#[derive(Clone)]
pub struct FormatUnderTest {
    pub name: String,
    pub adapter: Arc<dyn Adapter>,
    pub registry: Registry,
}

impl FormatUnderTest {
    /// Does this case run against this format?
    pub fn selects(&self, case: &Case) -> bool {
        case.input
            .as_ref()
            .is_some_and(|i| i.format == self.name || i.format == "canonical")
    }
}

fn input_bytes(suite: &Suite, case: &Case) -> Result<Vec<u8>, String> {
    let input = case.input.as_ref().ok_or("the case has no input")?;
    match (&input.inline, &input.file) {
        (Some(text), _) => Ok(text.as_bytes().to_vec()),
        (None, Some(file)) => suite
            .input(file)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("no input file {file}")),
        (None, None) => Err("the case has no input".to_string()),
    }
}

fn expected_canonical(suite: &Suite, expect: &CaseExpect) -> Result<Option<Value>, String> {
    let text = match (&expect.canonical, &expect.canonical_file) {
        (Some(t), _) => t.clone(),
        (None, Some(f)) => {
            let bytes = suite.input(f).ok_or_else(|| format!("no input file {f}"))?;
            String::from_utf8_lossy(bytes).into_owned()
        }
        (None, None) => return Ok(None),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("expect.canonical is not JSON: {e}"))
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn messages_json(messages: &[Message]) -> Value {
    Value::Array(
        messages
            .iter()
            .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
            .collect(),
    )
}

fn error_json(errors: &[RecordError]) -> Value {
    serde_json::to_value(errors).unwrap_or(Value::Null)
}

/// Does a reported error match an expected one (only the keys it gives)?
pub fn error_matches(expected: &ErrorExpect, actual: &RecordError) -> bool {
    let l = &actual.location;
    expected
        .code
        .as_deref()
        .is_none_or(|c| c == actual.code.as_str())
        && expected
            .field
            .as_ref()
            .is_none_or(|f| actual.field.as_ref() == Some(f))
        && expected.record.is_none_or(|r| l.record == Some(r))
        && expected.line.is_none_or(|r| l.line == Some(r))
        && expected.column.is_none_or(|r| l.column == Some(r))
        && expected
            .pointer
            .as_ref()
            .is_none_or(|p| l.pointer.as_ref() == Some(p))
        && expected
            .xml_path
            .as_ref()
            .is_none_or(|p| l.xml_path.as_ref() == Some(p))
        && expected
            .csv_column
            .as_ref()
            .is_none_or(|p| l.csv_column.as_ref() == Some(p))
}

/// Compares what decoding produced with the case's expectation.
fn judge(suite: &Suite, expect: &CaseExpect, decoded: &Decoded, finding: &mut Finding) {
    match expect.outcome {
        Outcome::Accepted => {
            if !decoded.errors.is_empty() {
                finding.messages.push(format!(
                    "expected the input to be accepted; {} error(s) reported, first: {}",
                    decoded.errors.len(),
                    decoded
                        .errors
                        .iter()
                        .map(ToString::to_string)
                        .next()
                        .unwrap_or_default()
                ));
                finding.expected = Some("accepted, no errors".to_string());
                finding.actual = Some(pretty(&error_json(&decoded.errors)));
                return;
            }
            if decoded.messages.is_empty() {
                finding
                    .messages
                    .push("expected accepted records; the input produced none".to_string());
                return;
            }
            match expected_canonical(suite, expect) {
                Err(e) => finding.messages.push(e),
                Ok(Some(expected)) => {
                    let actual = messages_json(&decoded.messages);
                    if actual != expected {
                        let differences = diff(&expected, &actual, "");
                        finding.messages.push(format!(
                            "the canonical result differs: {}",
                            differences.join("; ")
                        ));
                        finding.expected = Some(pretty(&expected));
                        finding.actual = Some(pretty(&actual));
                    }
                }
                Ok(None) => {}
            }
        }
        Outcome::Rejected => {
            if decoded.errors.is_empty() {
                finding
                    .messages
                    .push("expected the input to be rejected; it was accepted".to_string());
                finding.expected =
                    Some(serde_json::to_string_pretty(&expect.errors).unwrap_or_default());
                finding.actual = Some(pretty(&messages_json(&decoded.messages)));
                return;
            }
            let missing: Vec<&ErrorExpect> = expect
                .errors
                .iter()
                .filter(|e| !decoded.errors.iter().any(|a| error_matches(e, a)))
                .collect();
            if !missing.is_empty() {
                finding.messages.push(format!(
                    "{} expected error(s) not reported: {}",
                    missing.len(),
                    missing
                        .iter()
                        .map(|e| serde_json::to_string(e).unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                finding.expected =
                    Some(serde_json::to_string_pretty(&expect.errors).unwrap_or_default());
                finding.actual = Some(pretty(&error_json(&decoded.errors)));
            }
            if let Some(n) = expect.accepted {
                if decoded.messages.len() as u64 != n {
                    finding.messages.push(format!(
                        "expected {n} record(s) accepted alongside the rejected ones, found {}",
                        decoded.messages.len()
                    ));
                }
            }
        }
    }
}

/// Paths where two JSON values differ (`/0/firearm/calibre: ".45 ACP" != "9mm"`), at most 10.
pub fn diff(expected: &Value, actual: &Value, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    diff_into(expected, actual, at, &mut out);
    out.truncate(10);
    out
}

fn diff_into(expected: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let path = format!("{at}/{k}");
                match a.get(k) {
                    Some(w) => diff_into(v, w, &path, out),
                    None => out.push(format!("{path}: expected {v}, missing")),
                }
            }
            for (k, w) in a {
                if !e.contains_key(k) {
                    out.push(format!("{at}/{k}: unexpected {w}"));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (v, w)) in e.iter().zip(a).enumerate() {
                diff_into(v, w, &format!("{at}/{i}"), out);
            }
        }
        (Value::Array(e), Value::Array(a)) => out.push(format!(
            "{}: expected {} element(s), found {}",
            if at.is_empty() { "/" } else { at },
            e.len(),
            a.len()
        )),
        _ if expected != actual => out.push(format!(
            "{}: expected {expected}, found {actual}",
            if at.is_empty() { "/" } else { at }
        )),
        _ => {}
    }
}

/// Every leaf of a JSON value with its pointer.
fn leaves(value: &Value, at: String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                leaves(v, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{at}/{i}"), out);
            }
        }
        other => out.push((at, other.clone())),
    }
}

/// Runs one format case against the format under test.
pub fn run_case(suite: &Suite, case: &Case, under_test: &FormatUnderTest) -> Finding {
    let mut finding = Finding::default();
    let bytes = match input_bytes(suite, case) {
        Ok(b) => b,
        Err(e) => return Finding::fail(e),
    };
    let Some(expect) = &case.expect else {
        return Finding::fail("the case has no expectation");
    };
    let Some(input) = &case.input else {
        return Finding::fail("the case has no input");
    };
    if input.format != "canonical" {
        let decoded = decode_all(under_test.adapter.as_ref(), &bytes);
        judge(suite, expect, &decoded, &mut finding);
        return finding;
    }
    // A canonical case: it must apply to the format's message kinds.
    let kind = message_kind(case.kind);
    let caps = under_test.adapter.capabilities();
    if !caps.kinds.contains(&kind) {
        return Finding::skip(format!(
            "not carried: {} does not carry {} messages",
            under_test.name,
            kind.tag()
        ));
    }
    if !caps.read || !caps.write {
        return Finding::skip(format!(
            "not carried: {} cannot both read and write",
            under_test.name
        ));
    }
    let Some(canonical) = under_test.registry.get("iarms-json") else {
        return Finding::fail("the iarms-json format is missing");
    };
    let document = canonical_document(&bytes);
    let original = decode_all(canonical.as_ref(), &document);
    if expect.outcome == Outcome::Rejected {
        // An invalid canonical message is refused before any format sees it.
        judge(suite, expect, &original, &mut finding);
        return finding;
    }
    if !original.errors.is_empty() {
        judge(suite, expect, &original, &mut finding);
        return finding;
    }
    let expected = messages_json(&original.messages);
    let encoded = match encode_all(under_test.adapter.as_ref(), &original.messages) {
        Ok(e) => e,
        // The format has no way to write a value of this message (a code it has no
        // local value for, a partial date it needs in full): not carried, not failed.
        Err(e) => {
            return Finding::skip(format!(
                "not carried: {} cannot write this message: {e}",
                under_test.name
            ))
        }
    };
    let back = decode_all(under_test.adapter.as_ref(), &encoded);
    if !back.errors.is_empty() && back.messages.is_empty() && original.messages.len() == 1 {
        // What it wrote lost a field the message needs (an obliterated serial's
        // serial_state): the format cannot represent this message at all.
        return Finding::skip(format!(
            "not carried: {} cannot represent this message; reading back what it wrote gives: {}",
            under_test.name,
            back.errors
                .iter()
                .map(ToString::to_string)
                .next()
                .unwrap_or_default()
        ));
    }
    if !back.errors.is_empty() || back.messages.len() != original.messages.len() {
        finding.messages.push(format!(
            "{} does not read back what it wrote: {} of {} message(s), {} error(s){}",
            under_test.name,
            back.messages.len(),
            original.messages.len(),
            back.errors.len(),
            back.errors
                .first()
                .map(|e| format!(", first: {e}"))
                .unwrap_or_default()
        ));
        finding.expected = Some(pretty(&expected));
        finding.actual = Some(String::from_utf8_lossy(&encoded).into_owned());
        return finding;
    }
    let actual = messages_json(&back.messages);
    // A field the format does not carry (absent, or replaced by the format's own
    // derived value such as the owner country of a national export) is noted, not
    // failed. What the format does carry must be stable: writing what it read back
    // and reading it again gives the same messages.
    let mut expected_leaves = Vec::new();
    leaves(&expected, String::new(), &mut expected_leaves);
    for (pointer, value) in expected_leaves {
        match actual.pointer(&pointer) {
            None => finding.notes.push(format!("not carried: {pointer}")),
            Some(v) if *v != value => finding
                .notes
                .push(format!("not carried as given: {pointer} ({value} -> {v})")),
            Some(_) => {}
        }
    }
    let again = encode_all(under_test.adapter.as_ref(), &back.messages)
        .map(|bytes| decode_all(under_test.adapter.as_ref(), &bytes));
    match again {
        Err(e) => finding.messages.push(format!(
            "{} cannot encode what it decoded: {e}",
            under_test.name
        )),
        Ok(again) => {
            let second = messages_json(&again.messages);
            if !again.errors.is_empty() || second != actual {
                let differences = diff(&actual, &second, "");
                finding.messages.push(format!(
                    "{} is not stable: a second round trip changes {}",
                    under_test.name,
                    if again.errors.is_empty() {
                        differences.join("; ")
                    } else {
                        format!(
                            "(errors: {})",
                            again
                                .errors
                                .iter()
                                .map(ToString::to_string)
                                .next()
                                .unwrap_or_default()
                        )
                    }
                ));
                finding.expected = Some(pretty(&actual));
                finding.actual = Some(pretty(&second));
            }
        }
    }
    finding
}

/// A canonical input as an `iarms-json` document: one message or an array is wrapped.
fn canonical_document(bytes: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) if !map.contains_key("messages") => {
            let mut out = b"{\"messages\":[".to_vec();
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"]}");
            out
        }
        Ok(Value::Array(_)) => {
            let mut out = b"{\"messages\":".to_vec();
            out.extend_from_slice(bytes);
            out.extend_from_slice(b"}");
            out
        }
        _ => bytes.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_the_paths() {
        let a = serde_json::json!([{"a": 1, "b": {"c": "x"}}]);
        let b = serde_json::json!([{"a": 1, "b": {"c": "y"}, "d": true}]);
        let d = diff(&a, &b, "");
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].starts_with("/0/b/c: expected \"x\""));
        assert!(d[1].starts_with("/0/d: unexpected"));
    }

    fn suite_with(case: &str) -> Suite {
        let files = vec![
            crate::suite::SuiteFile {
                path: "suite.toml".into(),
                bytes: b"name = \"t\"\nversion = \"0.1.0\"\n".to_vec(),
            },
            crate::suite::SuiteFile {
                path: "requirements.csv".into(),
                bytes: b"id,class,level,text,source\nENC-008,formats,MUST,round trip,x\n".to_vec(),
            },
            crate::suite::SuiteFile {
                path: "cases/a.toml".into(),
                bytes: case.as_bytes().to_vec(),
            },
        ];
        crate::suite::load("test", files).unwrap_or_else(|e| panic!("{e}"))
    }

    const RECORD: &str = r#"{"kind": "record", "header": {"message_id": "00000000-0000-4000-8000-000000000001", "correlation_id": "00000000-0000-4000-8000-000000000001"}, "record_id": "RS-1", "owner_country": "DE", "owner_agency": "DE-BKA", "action": "create", "version": 1, "firearm": {"make": "Zastava", "model": "M70", "serial_number": "C-123456", "calibre": "7.62x39mm", "firearm_type": "assault_rifle"}, "event": {"status": "stolen", "date": "2024-03-07"}}"#;

    fn under_test(name: &str) -> FormatUnderTest {
        let registry = Registry::with_mappings(&[]).unwrap_or_else(|e| panic!("{e}"));
        FormatUnderTest {
            name: name.to_string(),
            adapter: registry.get(name).unwrap(),
            registry,
        }
    }

    fn canonical_case(kind: &str) -> String {
        format!(
            "[[case]]\nid = \"ENC-008-P1\"\nrequirements = [\"ENC-008\"]\nclass = \"formats\"\ntitle = \"t\"\nkind = \"{kind}\"\ntarget = \"format\"\n[case.input]\nformat = \"canonical\"\ninline = '''{RECORD}'''\n[case.expect]\noutcome = \"accepted\"\n"
        )
    }

    #[test]
    fn a_canonical_round_trip_notes_what_a_national_format_does_not_carry() {
        let suite = suite_with(&canonical_case("record"));
        let finding = run_case(&suite, &suite.cases[0], &under_test("iarms-xml"));
        assert!(
            finding.messages.is_empty() && finding.notes.is_empty(),
            "{finding:?}"
        );
        let finding = run_case(&suite, &suite.cases[0], &under_test("registry-rs"));
        assert!(
            finding.messages.is_empty() && !finding.skipped,
            "{finding:?}"
        );
        // registry-rs owns its records: the owner country comes back as RS.
        assert!(
            finding.notes.iter().any(|n| n.contains("/0/owner_country")),
            "{finding:?}"
        );
        // A kind the format does not carry is skipped, not failed.
        let suite = suite_with(&canonical_case("search"));
        let finding = run_case(&suite, &suite.cases[0], &under_test("registry-rs"));
        assert!(finding.skipped, "{finding:?}");
    }

    #[test]
    fn expected_errors_match_on_the_keys_they_give() {
        let mut error = RecordError::new(iarms_adapters::ErrorCode::InvalidValue, "bad");
        error.field = Some("event.date".into());
        error.location.record = Some(2);
        let expect = ErrorExpect {
            code: Some("invalid_value".into()),
            record: Some(2),
            ..ErrorExpect::default()
        };
        assert!(error_matches(&expect, &error));
        let wrong = ErrorExpect {
            line: Some(3),
            ..expect.clone()
        };
        assert!(!error_matches(&wrong, &error));
    }

    #[test]
    fn canonical_inputs_are_wrapped() {
        assert_eq!(
            canonical_document(b"{\"kind\":1}"),
            b"{\"messages\":[{\"kind\":1}]}"
        );
        assert_eq!(canonical_document(b"[1]"), b"{\"messages\":[1]}");
    }
}
