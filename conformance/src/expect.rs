//! Checks of JSON replies by JSON pointer (RFC 6901, `serde_json::Value::pointer`).

use serde_json::Value;

use crate::suite::JsonExpect;
use crate::template::Vars;

/// Checks every expectation against `reply`; returns one line per failure
/// (`/results/0/outcome: expected "accepted", found "rejected"`).
pub fn check_json(
    expectations: &[JsonExpect],
    reply: Option<&Value>,
    vars: &mut Vars,
) -> Result<Vec<String>, String> {
    let mut failures = Vec::new();
    for e in expectations {
        let found = reply.and_then(|r| r.pointer(&e.pointer));
        if let Some(exists) = e.exists {
            match (exists, found) {
                (true, None) => {
                    failures.push(format!("{}: expected a value, found none", e.pointer))
                }
                (false, Some(v)) => {
                    failures.push(format!("{}: expected no value, found {v}", e.pointer))
                }
                _ => {}
            }
        }
        if let Some(equals) = &e.equals {
            let expected = vars.expand_value(equals)?;
            match found {
                None => failures.push(format!("{}: expected {expected}, found none", e.pointer)),
                Some(v) if !same(v, &expected) => {
                    failures.push(format!("{}: expected {expected}, found {v}", e.pointer))
                }
                Some(_) => {}
            }
        }
    }
    Ok(failures)
}

/// JSON equality where numbers compare by value (`200` equals `200.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// A captured value as text: strings without quotes, anything else as JSON.
pub fn capture_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expect(pointer: &str, equals: Option<Value>, exists: Option<bool>) -> JsonExpect {
        JsonExpect {
            pointer: pointer.into(),
            equals,
            exists,
        }
    }

    #[test]
    fn pointers_equals_and_exists() {
        let reply = json!({"results": [{"outcome": "accepted", "n": 200}], "error": null});
        let mut vars = Vars::default();
        let ok = check_json(
            &[
                expect("/results/0/outcome", Some(json!("accepted")), None),
                expect("/results/0/n", Some(json!(200.0)), None),
                expect("/results/0/message_id", None, Some(false)),
                expect("/results", None, Some(true)),
            ],
            Some(&reply),
            &mut vars,
        )
        .unwrap();
        assert!(ok.is_empty(), "{ok:?}");
        let bad = check_json(
            &[
                expect("/results/0/outcome", Some(json!("rejected")), None),
                expect("/missing", None, Some(true)),
            ],
            Some(&reply),
            &mut vars,
        )
        .unwrap();
        assert_eq!(bad.len(), 2);
        assert!(bad[0].contains("expected \"rejected\", found \"accepted\""));
    }

    #[test]
    fn templates_in_expected_values() {
        let mut vars = Vars::default();
        vars.values.insert("trace".into(), "T-9".into());
        let reply = json!({"trace_id": "T-9"});
        let r = check_json(
            &[expect("/trace_id", Some(json!("{{trace}}")), None)],
            Some(&reply),
            &mut vars,
        )
        .unwrap();
        assert!(r.is_empty());
        assert!(
            check_json(&[expect("/a", None, Some(true))], None, &mut vars)
                .unwrap()
                .len()
                == 1
        );
    }
}
