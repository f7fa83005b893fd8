//! The canonical fields a mapping may write, per message kind, read from the
//! embedded JSON Schemas: dotted path (lists as `[]`), scalar type, whether the
//! schema requires it, its closed vocabulary (enum) and the schema definition
//! it uses (`iso_date`, `country_code`, ...), which decides which transforms
//! make sense on it.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::Value;

use crate::model::MessageKind;
use crate::schema::{shape, ScalarType};

#[derive(Debug, Clone, PartialEq)]
pub struct CanonField {
    /// `firearm.markings[].text`, `questions[]`.
    pub path: String,
    pub scalar: ScalarType,
    /// Required by the schema, and so are all its parents (no list on the way).
    pub required: bool,
    /// The allowed values when the schema has an enum.
    pub enum_values: Option<Vec<String>>,
    /// Name of the innermost `$defs` entry the field uses (`iso_date`, `country_code`).
    pub def: Option<String>,
    pub description: Option<String>,
}

static FIELDS: LazyLock<Vec<Vec<CanonField>>> = LazyLock::new(|| {
    let documents = shape::documents();
    MessageKind::ALL
        .iter()
        .map(|kind| {
            let file = crate::schema::file_name(*kind);
            let mut out = Vec::new();
            if let Some(root) = documents.get(file.as_str()) {
                let mut walker = Walker {
                    documents: &documents,
                    out: &mut out,
                };
                walker.walk(root, root, "", true, None, None, 0);
            }
            out.retain(|f| {
                !f.path.starts_with("header.")
                    || f.path == "header.message_id"
                    || f.path == "header.correlation_id"
            });
            out
        })
        .collect()
});

/// Every canonical field of a kind, in schema order.
pub fn fields(kind: MessageKind) -> &'static [CanonField] {
    FIELDS.get(kind as usize).map(Vec::as_slice).unwrap_or(&[])
}

pub fn field(kind: MessageKind, path: &str) -> Option<&'static CanonField> {
    fields(kind).iter().find(|f| f.path == path)
}

/// Flattens a kind's schema into fields, keeping what the checker needs beyond
/// the shape (enums, `$defs` names, descriptions); references and types are read
/// with the same helpers as [`crate::schema::shape`].
struct Walker<'a, 'o> {
    documents: &'a HashMap<&'static str, Value>,
    out: &'o mut Vec<CanonField>,
}

impl<'a> Walker<'a, '_> {
    fn resolve(&self, reference: &str, current: &'a Value) -> Option<(&'a Value, &'a Value)> {
        shape::resolve_ref(reference, current, self.documents)
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        schema: &'a Value,
        document: &'a Value,
        path: &str,
        required: bool,
        def: Option<String>,
        description: Option<String>,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        let description = description.or_else(|| {
            schema
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().map(str::to_string);
            if let Some((target, target_document)) = self.resolve(reference, document) {
                self.walk(
                    target,
                    target_document,
                    path,
                    required,
                    name,
                    description,
                    depth + 1,
                );
            }
            return;
        }
        let declared = shape::declared_type(schema);
        match declared {
            Some("object") => {
                let required_names: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                    for (name, sub) in properties {
                        if path.is_empty() && name == "kind" {
                            continue;
                        }
                        let child = if path.is_empty() {
                            name.clone()
                        } else {
                            format!("{path}.{name}")
                        };
                        let child_required = required && required_names.contains(&name.as_str());
                        self.walk(sub, document, &child, child_required, None, None, depth + 1);
                    }
                }
            }
            Some("array") => {
                if let Some(items) = schema.get("items") {
                    self.walk(
                        items,
                        document,
                        &format!("{path}[]"),
                        false,
                        None,
                        description,
                        depth + 1,
                    );
                }
            }
            other => {
                let scalar = shape::scalar_of(other);
                let enum_values = schema.get("enum").and_then(Value::as_array).map(|values| {
                    values
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                });
                self.out.push(CanonField {
                    path: path.to_string(),
                    scalar,
                    required: required && !path.contains("[]"),
                    enum_values,
                    def,
                    description,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_fields_know_types_requirements_enums_and_defs() {
        let kind = MessageKind::Record;
        let record_id = field(kind, "record_id");
        assert_eq!(record_id.map(|f| f.required), Some(true));
        let status = field(kind, "event.status");
        assert_eq!(status.map(|f| f.required), Some(true));
        assert!(status
            .and_then(|f| f.enum_values.as_ref())
            .is_some_and(|v| v.iter().any(|s| s == "stolen")));
        assert_eq!(
            field(kind, "event.date").and_then(|f| f.def.as_deref()),
            Some("iso_date")
        );
        assert_eq!(
            field(kind, "firearm.barrel_length_mm").map(|f| f.scalar),
            Some(ScalarType::Number)
        );
        assert_eq!(
            field(kind, "firearm.markings[].text").map(|f| f.required),
            Some(false)
        );
        assert_eq!(
            field(kind, "firearm.import_marking.country").map(|f| f.required),
            Some(false)
        );
        assert!(field(kind, "header.message_id").is_some());
        assert!(field(kind, "header.flags[].code").is_none());
        assert!(field(kind, "kind").is_none());
    }

    #[test]
    fn every_kind_has_fields() {
        for kind in MessageKind::ALL {
            assert!(fields(kind).len() > 3, "{kind}");
        }
        assert!(field(MessageKind::TraceRequest, "questions[]").is_some());
    }
}
