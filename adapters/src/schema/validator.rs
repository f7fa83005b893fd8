//! Schema validation of canonical messages with the `jsonschema` crate; one
//! validator per kind, compiled once.

use std::sync::LazyLock;

use serde_json::Value;

use super::{file_name, FILES, SCHEMA_BASE};
use crate::error::{ErrorCode, FieldIssue};
use crate::model::{Message, MessageKind};

struct Validators(Vec<jsonschema::Validator>);

static VALIDATORS: LazyLock<Validators> = LazyLock::new(|| {
    // Embedded schemas are checked by this module's tests; failing here is a build
    // defect, never an input error.
    let documents: Vec<(String, Value)> = FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".json"))
        .map(|(name, text)| {
            let value: Value = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("embedded schema {name} is not JSON: {e}"));
            (format!("{SCHEMA_BASE}{name}"), value)
        })
        .collect();
    let registry = jsonschema::Registry::new()
        .extend(documents.iter().map(|(uri, value)| (uri.as_str(), value)))
        .and_then(|builder| builder.prepare())
        .unwrap_or_else(|e| panic!("embedded schemas do not form a registry: {e}"));
    let validators = MessageKind::ALL
        .iter()
        .map(|kind| {
            let uri = format!("{SCHEMA_BASE}{}", file_name(*kind));
            let schema = documents
                .iter()
                .find(|(u, _)| *u == uri)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("schema {uri} missing"));
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .with_registry(&registry)
                .build(schema)
                .unwrap_or_else(|e| panic!("embedded schema {uri} does not compile: {e}"))
        })
        .collect();
    Validators(validators)
});

/// Validates a message against its kind's schema; every violation becomes a
/// [`FieldIssue`] naming the dotted field path.
pub fn validate(message: &Message) -> Vec<FieldIssue> {
    match canonical_value(message) {
        Ok(_) => Vec::new(),
        Err(issues) => issues,
    }
}

/// Validates a message and returns its canonical JSON text: the message is
/// serialised once, into the tree the validator reads, and that tree is written
/// out as the text (with `preserve_order`, in the fields' declared order, the
/// same text as serialising the message directly). The gateway stores and sends
/// this text as it is.
pub fn validated_text(message: &Message) -> Result<String, Vec<FieldIssue>> {
    let value = canonical_value(message)?;
    serde_json::to_string(&value)
        .map_err(|e| vec![FieldIssue::new(ErrorCode::Schema, "", e.to_string())])
}

fn canonical_value(message: &Message) -> Result<Value, Vec<FieldIssue>> {
    let value = serde_json::to_value(message)
        .map_err(|e| vec![FieldIssue::new(ErrorCode::Schema, "", e.to_string())])?;
    let mut issues = Vec::new();
    text_issues(&value, &mut Vec::new(), &mut issues);
    issues.extend(validate_value(message.kind(), &value));
    if issues.is_empty() {
        Ok(value)
    } else {
        Err(issues)
    }
}

/// One step of the path to a value; names are borrowed, since the path is
/// spelled out only for the rare value that has an issue.
enum Segment<'v> {
    Key(&'v str),
    Index(usize),
}

fn dotted(path: &[Segment<'_>]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|segment| match segment {
            Segment::Key(key) => key.to_string(),
            Segment::Index(i) => i.to_string(),
        })
        .collect();
    parts.join(".")
}

/// Control characters have no place in a firearm record and break XML and CSV
/// consumers downstream (a NUL truncates C strings); tab and line breaks are allowed.
fn text_issues<'v>(value: &'v Value, path: &mut Vec<Segment<'v>>, issues: &mut Vec<FieldIssue>) {
    match value {
        Value::String(text) => {
            if let Some(c) = text
                .chars()
                .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            {
                issues.push(FieldIssue::new(
                    ErrorCode::InvalidValue,
                    dotted(path),
                    format!(
                        "control character U+{:04X} is not allowed in text",
                        c as u32
                    ),
                ));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                text_issues(item, path, issues);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                path.push(Segment::Key(key));
                text_issues(item, path, issues);
                path.pop();
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Validates a JSON value that claims to be a message of `kind`.
pub fn validate_value(kind: MessageKind, value: &Value) -> Vec<FieldIssue> {
    let validator = &VALIDATORS.0[kind as usize];
    // The boolean check is much cheaper than collecting errors; most messages pass.
    if validator.is_valid(value) {
        return Vec::new();
    }
    validator
        .iter_errors(value)
        .map(|error| {
            let pointer = error.instance_path().to_string();
            FieldIssue::new(
                ErrorCode::Schema,
                pointer_to_field(&pointer),
                error.to_string(),
            )
        })
        .collect()
}

/// `/firearm/markings/0/text` -> `firearm.markings.0.text`.
pub fn pointer_to_field(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|part| part.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_validators_compile() {
        assert_eq!(VALIDATORS.0.len(), MessageKind::ALL.len());
    }

    #[test]
    fn schema_examples_are_valid() {
        for kind in MessageKind::ALL {
            let text = crate::schema::text(kind.tag()).unwrap_or_default();
            let schema: Value = serde_json::from_str(text).unwrap_or_default();
            let examples = schema["examples"].as_array().cloned().unwrap_or_default();
            assert!(!examples.is_empty(), "{kind} schema has no examples");
            for example in examples {
                let issues = validate_value(kind, &example);
                assert!(issues.is_empty(), "{kind} example invalid: {issues:?}");
                let message: Message = serde_json::from_value(example.clone())
                    .unwrap_or_else(|e| panic!("{kind} example does not fit the model: {e}"));
                assert_eq!(message.kind(), kind);
            }
        }
    }

    /// The validated text is the message's own serialisation, byte for byte.
    #[test]
    fn validated_text_is_the_messages_serialisation() {
        for kind in MessageKind::ALL {
            let text = crate::schema::text(kind.tag()).unwrap_or_default();
            let schema: Value = serde_json::from_str(text).unwrap_or_default();
            for example in schema["examples"].as_array().cloned().unwrap_or_default() {
                let message: Message = serde_json::from_value(example)
                    .unwrap_or_else(|e| panic!("{kind} example does not fit the model: {e}"));
                let direct = serde_json::to_string(&message).unwrap_or_default();
                assert_eq!(validated_text(&message).ok(), Some(direct), "{kind}");
            }
        }
    }

    #[test]
    fn pointer_becomes_dotted_field() {
        assert_eq!(
            pointer_to_field("/firearm/markings/0/text"),
            "firearm.markings.0.text"
        );
        assert_eq!(pointer_to_field(""), "");
    }
}
