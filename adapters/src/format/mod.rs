//! Formats: how one record is read and written, once framing has isolated it.
//! The canonical formats are JSON (document and NDJSON share [`json`]), XML and
//! CSV; mapping-defined national formats live in [`crate::mapping`].

pub mod csv;
pub mod json;
pub mod value;
pub mod xml;

use serde_json::Value;

use crate::error::{ErrorCode, FieldIssue};
use crate::model::Message;

/// Turns a JSON value into a typed message, naming the path of the first field
/// that does not fit (unknown, missing or of the wrong type).
pub fn message_from_value(value: Value) -> Result<Message, FieldIssue> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        FieldIssue::new(ErrorCode::Structure, field, e.into_inner().to_string())
    })
}
