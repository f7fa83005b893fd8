//! Checks across the rules of a file: required fields mapped, fields filled
//! or written twice, code tables nobody uses.

use std::collections::{HashMap, HashSet};

use super::compiled::{EncodeMode, Input, Rule};
use super::{path_text, Checker};
use crate::mapping::codes::CodeTable;
use crate::mapping::load::MappingFile;
use crate::mapping::schema_info;
use crate::model::MessageKind;

impl Checker {
    pub(super) fn whole_mapping(
        &mut self,
        kind: MessageKind,
        file: &MappingFile,
        rules: &[Rule],
        tables: &[CodeTable],
    ) {
        // Required canonical fields must be filled by some decoding rule.
        // The targets as written (a rule with another problem still counts).
        let targets: HashSet<&str> = file
            .targets
            .iter()
            .filter(|(_, decode)| *decode)
            .filter_map(|(to, _)| to.as_deref())
            .collect();
        {
            for field in schema_info::fields(kind) {
                if field.required
                    && !field.path.starts_with("header.")
                    && !targets.contains(field.path.as_str())
                {
                    let suggestion = match &field.enum_values {
                        Some(values) => format!(
                            "from = \"...\" with codes, or value = \"{}\"",
                            values.first().map(String::as_str).unwrap_or("...")
                        ),
                        None => "from = \"...\" or value = \"...\"".to_string(),
                    };
                    self.error(
                        1,
                        "field",
                        format!("required canonical field {} is not mapped: add a [[field]] with to = \"{}\" and {suggestion}", field.path, field.path),
                    );
                }
            }
        }
        // The same canonical field filled twice.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for rule in rules.iter().filter(|r| r.decode && r.to.is_some()) {
            if let Some(first) = seen.insert(rule.target(), rule.number) {
                self.warning(rule.line, format!("field[{}].to", rule.number), format!("{} is also filled by field[{first}]; when both have a value this later rule wins", rule.target()));
            }
        }
        // The same native field written twice on encode.
        let mut written: HashMap<String, usize> = HashMap::new();
        for rule in rules.iter().filter(|r| {
            !matches!(r.encode, EncodeMode::Off)
                && r.split.as_ref().is_none_or(|s| s.part.is_none())
        }) {
            if let Input::From(path) = &rule.input {
                if let Some(first) = written.insert(path.native_name(None), rule.number) {
                    self.warning(rule.line, format!("field[{}].from", rule.number), format!("\"{}\" is also written by field[{first}] on encode; the first one with a value is written (add encode = false to one of them to make it explicit)", path_text(path)));
                }
            }
        }
        // Tables nobody uses.
        for table in tables {
            if !rules.iter().any(|r| {
                r.codes
                    .and_then(|i| tables.get(i))
                    .is_some_and(|t| t.name == table.name)
            }) {
                let line = file
                    .codes
                    .iter()
                    .find(|c| c.name == table.name)
                    .map_or(1, |c| c.line);
                self.warning(
                    line,
                    format!("codes.{}", table.name),
                    "no rule uses this code table",
                );
            }
        }
    }
}
