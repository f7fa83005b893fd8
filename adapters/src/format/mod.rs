//! Formats: how one record is read and written, once framing has isolated it.
//! The canonical formats are JSON (document and NDJSON share [`json`]), XML and
//! CSV; mapping-defined national formats live in [`crate::mapping`].

pub mod csv;
pub mod json;
pub mod value;
pub mod xml;

use serde_json::Value;

use crate::error::{ErrorCode, FieldIssue};
use serde::de::DeserializeOwned;

use crate::model::{Message, MessageKind};

/// Turns a JSON value into a typed message, naming the path of the first field
/// that does not fit (unknown, missing or of the wrong type).
///
/// The `kind` tag is dispatched here rather than by serde's internally tagged
/// enum support, which buffers the content and loses the field path.
pub fn message_from_value(mut value: Value) -> Result<Message, FieldIssue> {
    let structure =
        |field: &str, reason: String| FieldIssue::new(ErrorCode::Structure, field, reason);
    let Value::Object(map) = &mut value else {
        return Err(structure("", "a message must be a JSON object".to_string()));
    };
    let kind = match map.remove("kind") {
        Some(Value::String(tag)) => MessageKind::from_tag(&tag).ok_or_else(|| {
            let known: Vec<&str> = MessageKind::ALL.iter().map(|k| k.tag()).collect();
            structure(
                "kind",
                format!(
                    "unknown kind \"{tag}\" (expected one of: {})",
                    known.join(", ")
                ),
            )
        })?,
        Some(_) => return Err(structure("kind", "`kind` must be a string".to_string())),
        None => return Err(structure("kind", "missing field `kind`".to_string())),
    };
    Ok(match kind {
        MessageKind::Record => Message::Record(typed(value)?),
        MessageKind::Search => Message::Search(typed(value)?),
        MessageKind::HitNotification => Message::HitNotification(typed(value)?),
        MessageKind::TraceRequest => Message::TraceRequest(typed(value)?),
        MessageKind::TraceResponse => Message::TraceResponse(typed(value)?),
    })
}

fn typed<T: DeserializeOwned>(value: Value) -> Result<T, FieldIssue> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let reason = e.into_inner().to_string();
        // serde names a missing field only in its message; the error's field
        // should be the missing one, not its parent.
        let missing = reason
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match missing {
            Some(name) if path.is_empty() => name.to_string(),
            Some(name) => format!("{path}.{name}"),
            None => path,
        };
        FieldIssue::new(ErrorCode::Structure, field, reason)
    })
}
