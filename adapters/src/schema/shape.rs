//! The shape of each message kind, derived from its JSON Schema: which fields an
//! object has, in which order, and what type each holds.
//!
//! Flat and tree formats need this and JSON does not: a CSV cell or an XML text
//! node is always a string, and only the schema says whether `"0412345"` is a
//! string (a serial number) or `"5.0"` a number (a barrel length). Deriving it
//! from the schema keeps one source of truth for field order and types.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::Value;

use super::{FILES, SCHEMA_BASE};
use crate::model::MessageKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    String,
    Integer,
    Number,
    Boolean,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldShape {
    Scalar(ScalarType),
    Object(ObjectShape),
    /// A list; `item_name` is the XML element name of each item (schema annotation `xml.name`).
    List {
        item: Box<FieldShape>,
        item_name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectShape {
    /// Fields in schema order (the order CSV columns and XML elements are written in).
    pub fields: Vec<(String, FieldShape)>,
    /// Names of the required fields.
    pub required: Vec<String>,
}

impl ObjectShape {
    pub fn field(&self, name: &str) -> Option<&FieldShape> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    pub fn is_required(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }
}

/// The shape of a message kind, without its `kind` tag (formats carry the kind
/// themselves: an XML element name, a CSV column).
#[allow(clippy::indexing_slicing)] // total: see below
pub fn of(kind: MessageKind) -> &'static ObjectShape {
    // Indexing is total: SHAPES holds every kind (checked by the unit test below).
    &SHAPES[kind as usize]
}

static SHAPES: LazyLock<Vec<ObjectShape>> = LazyLock::new(|| {
    let documents = documents();
    MessageKind::ALL
        .iter()
        .map(|kind| {
            let file = super::file_name(*kind);
            // The embedded schemas are part of the build; a broken one is a
            // programming error caught by this module's tests, not an input error.
            let root = documents
                .get(file.as_str())
                .unwrap_or_else(|| panic!("embedded schema {file} is missing"));
            match derive(root, root, &documents) {
                FieldShape::Object(mut object) => {
                    object.fields.retain(|(name, _)| name != "kind");
                    object
                }
                other => panic!("schema {file} is not an object schema: {other:?}"),
            }
        })
        .collect()
});

/// The embedded JSON Schema documents by file name.
pub(crate) fn documents() -> HashMap<&'static str, Value> {
    FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".json"))
        .map(|(name, text)| {
            let value: Value = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("embedded schema {name} is not JSON: {e}"));
            (*name, value)
        })
        .collect()
}

/// Resolves `$ref`s of the form `file.schema.json#/$defs/x`, `#/$defs/x` or an
/// absolute URI under [`SCHEMA_BASE`]: the target and the document holding it.
pub(crate) fn resolve_ref<'a>(
    reference: &str,
    current: &'a Value,
    documents: &'a HashMap<&'static str, Value>,
) -> Option<(&'a Value, &'a Value)> {
    let reference = reference.strip_prefix(SCHEMA_BASE).unwrap_or(reference);
    let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
    let document = if file.is_empty() {
        current
    } else {
        documents.get(file)?
    };
    Some((document.pointer(pointer)?, document))
}

/// The JSON type a schema node declares (the first non-null one of a list).
pub(crate) fn declared_type(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

/// The scalar type of a declared JSON type; enums and consts read as text.
pub(crate) fn scalar_of(declared: Option<&str>) -> ScalarType {
    match declared {
        Some("integer") => ScalarType::Integer,
        Some("number") => ScalarType::Number,
        Some("boolean") => ScalarType::Boolean,
        _ => ScalarType::String,
    }
}

fn derive(
    schema: &Value,
    document: &Value,
    documents: &HashMap<&'static str, Value>,
) -> FieldShape {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        // The embedded schemas are part of the build; a dangling reference is a
        // programming error caught by this module's tests.
        let (target, target_document) = resolve_ref(reference, document, documents)
            .unwrap_or_else(|| panic!("schema reference {reference} does not resolve"));
        return derive(target, target_document, documents);
    }
    let declared = declared_type(schema);
    match declared {
        Some("object") => {
            let fields = schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|properties| {
                    properties
                        .iter()
                        .map(|(name, sub)| (name.clone(), derive(sub, document, documents)))
                        .collect()
                })
                .unwrap_or_default();
            let required = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|names| {
                    names
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            FieldShape::Object(ObjectShape { fields, required })
        }
        Some("array") => {
            let items = schema.get("items").cloned().unwrap_or(Value::Null);
            let item_name = items
                .get("xml")
                .and_then(|x| x.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("item")
                .to_string();
            FieldShape::List {
                item: Box::new(derive(&items, document, documents)),
                item_name,
            }
        }
        other => FieldShape::Scalar(scalar_of(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_shape_with_header_first() {
        for kind in MessageKind::ALL {
            let shape = of(kind);
            assert_eq!(
                shape.fields.first().map(|(n, _)| n.as_str()),
                Some("header")
            );
            assert!(shape.field("kind").is_none());
        }
    }

    #[test]
    fn record_shape_knows_types_and_list_item_names() {
        let record = of(MessageKind::Record);
        let Some(FieldShape::Object(firearm)) = record.field("firearm") else {
            panic!("firearm is not an object");
        };
        assert_eq!(
            firearm.field("barrel_length_mm"),
            Some(&FieldShape::Scalar(ScalarType::Number))
        );
        assert_eq!(
            firearm.field("serial_number"),
            Some(&FieldShape::Scalar(ScalarType::String))
        );
        match firearm.field("markings") {
            Some(FieldShape::List { item_name, item }) => {
                assert_eq!(item_name, "marking");
                assert!(matches!(**item, FieldShape::Object(_)));
            }
            other => panic!("markings: {other:?}"),
        }
    }
}
