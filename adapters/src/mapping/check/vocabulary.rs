//! Constants and code tables against the canonical vocabularies: enum
//! values, countries, calibres, dates and UUIDs.

use serde_json::Value;

use super::rule::RuleContext;
use super::{scalar_name, Checker};
use crate::codes::{calibres, countries};
use crate::format::value::parse_scalar;
use crate::mapping::codes::CodeTable;
use crate::mapping::hint;
use crate::mapping::schema_info::CanonField;
use crate::normalise::date;

impl Checker {
    /// A constant (`value`, `default`) as the canonical JSON value of the field.
    pub(super) fn constant(
        &mut self,
        value: &toml::Value,
        field: &CanonField,
        line: usize,
        key: &str,
    ) -> Option<Value> {
        let Some(text) = toml_scalar_text(value) else {
            self.error(line, key, "expected a string, number or boolean");
            return None;
        };
        let parsed = match parse_scalar(&text, field.scalar) {
            Ok(v) => v,
            Err(reason) => {
                self.error(
                    line,
                    key,
                    format!(
                        "{} holds {}: {reason}",
                        field.path,
                        scalar_name(field.scalar)
                    ),
                );
                return None;
            }
        };
        if let Some(problem) = vocabulary_problem(field, &text) {
            self.error(line, key, problem);
            return None;
        }
        Some(parsed)
    }

    /// Every canonical code of a table must be valid for the field; codes of
    /// the field's vocabulary the table cannot write back are warnings.
    pub(super) fn table_against_field(
        &mut self,
        ctx: &RuleContext<'_>,
        table: &CodeTable,
        field: &CanonField,
        encodes: bool,
        line: usize,
        key: &str,
    ) {
        let source = ctx.file_tables.codes.iter().find(|c| c.name == table.name);
        for (local, code, entry_line) in source.map(|s| s.entries.as_slice()).unwrap_or_default() {
            if let Some(problem) = vocabulary_problem(field, code) {
                self.error(
                    *entry_line,
                    format!("codes.{}.\"{local}\"", table.name),
                    problem,
                );
            } else if let Err(reason) = parse_scalar(code, field.scalar) {
                self.error(
                    *entry_line,
                    format!("codes.{}.\"{local}\"", table.name),
                    format!(
                        "{} holds {}: {reason}",
                        field.path,
                        scalar_name(field.scalar)
                    ),
                );
            }
        }
        if encodes {
            if let Some(values) = &field.enum_values {
                let missing: Vec<&str> = values
                    .iter()
                    .map(String::as_str)
                    .filter(|v| !table.has_reverse(v))
                    .collect();
                if !missing.is_empty() {
                    self.warning(
                        line,
                        key,
                        format!(
                            "code table {} has no local value for {} {}: records with {} cannot be written in this format (add entries or a [codes.{}.encode] table)",
                            table.name,
                            field.path,
                            missing.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(", "),
                            if missing.len() == 1 { "it" } else { "them" },
                            table.name
                        ),
                    );
                }
            }
        }
    }
}

/// A TOML scalar as text (`"RS"`, `1`, `2.5`, `true`).
pub(super) fn toml_scalar_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Why `value` is not allowed in `field`, if it is not.
fn vocabulary_problem(field: &CanonField, value: &str) -> Option<String> {
    if let Some(values) = &field.enum_values {
        if !values.iter().any(|v| v == value) {
            return Some(format!(
                "\"{value}\" is not a canonical {} (one of: {}){}",
                field.path,
                values.join(", "),
                hint(value, values.iter().map(String::as_str))
            ));
        }
    }
    match field.def.as_deref() {
        Some("country_code") if countries::lookup(value).is_none() => {
            Some(format!("\"{value}\" is not a known country code or name"))
        }
        Some("calibre") if matches!(calibres::lookup(value), calibres::CalibreMatch::Unknown) => {
            Some(format!("\"{value}\" is not a known calibre"))
        }
        Some("iso_date") => date::parse_iso(value).err().map(|e| e.to_string()),
        Some("uuid") if uuid::Uuid::parse_str(value).is_err() => {
            Some(format!("\"{value}\" is not a UUID"))
        }
        _ => None,
    }
}
