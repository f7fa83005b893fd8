//! The canonical JSON Schemas: embedded, compiled once, and the single source of
//! truth for field order and types used by the CSV and XML codecs ([`shape`]).

pub mod shape;
mod validator;

pub use shape::{FieldShape, ObjectShape, ScalarType};
pub use validator::{validate, validated_text};

use crate::model::MessageKind;

/// Base URI the schema files declare as their `$id`s.
pub const SCHEMA_BASE: &str = "https://schemas.iarms-gateway.org/v1/";

/// Every schema file shipped with the crate: (file name, contents).
pub const FILES: &[(&str, &str)] = &[
    (
        "common.schema.json",
        include_str!("../../schemas/common.schema.json"),
    ),
    (
        "record.schema.json",
        include_str!("../../schemas/record.schema.json"),
    ),
    (
        "search.schema.json",
        include_str!("../../schemas/search.schema.json"),
    ),
    (
        "hit_notification.schema.json",
        include_str!("../../schemas/hit_notification.schema.json"),
    ),
    (
        "trace_request.schema.json",
        include_str!("../../schemas/trace_request.schema.json"),
    ),
    (
        "trace_response.schema.json",
        include_str!("../../schemas/trace_response.schema.json"),
    ),
    ("iarms.xsd", include_str!("../../schemas/iarms.xsd")),
];

/// File name of the JSON Schema for a message kind.
pub fn file_name(kind: MessageKind) -> String {
    format!("{}.schema.json", kind.tag())
}

/// The text of a schema file by kind tag (`record`, `trace-request`), by file name,
/// or `common` / `xsd`.
pub fn text(name: &str) -> Option<&'static str> {
    let wanted = match name {
        "common" => "common.schema.json".to_string(),
        "xsd" | "xml" => "iarms.xsd".to_string(),
        other => match MessageKind::from_tag(other) {
            Some(kind) => file_name(kind),
            None => other.to_string(),
        },
    };
    FILES
        .iter()
        .find(|(file, _)| *file == wanted)
        .map(|(_, text)| *text)
}

/// Names accepted by [`text`], for help and error messages.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = MessageKind::ALL.iter().map(|k| k.tag()).collect();
    names.extend(["common", "xsd"]);
    names
}
