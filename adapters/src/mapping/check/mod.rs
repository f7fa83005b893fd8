//! Static checks: turns a [`MappingFile`] into a compiled [`Mapping`], or
//! reports every problem with file, line and key.
//!
//! Everything that can be decided without data is decided here, once:
//! canonical fields are looked up in the schema, source paths parsed and
//! namespace prefixes resolved, code tables built and compared with the
//! canonical vocabularies, date formats, units, encodings and constants
//! validated. The engine then runs on precompiled rules.
//!
//! One module per part of the check: [`compiled`] holds what a mapping
//! compiles to, `source` the `[source]` section and source paths, `rule` one
//! `[[field]]` rule, `vocabulary` constants and code tables against the
//! canonical vocabularies, `whole` the checks across rules; `encode_plan` and
//! `namer` derive what the engine needs from the compiled rules.

mod compiled;
mod encode_plan;
mod namer;
mod rule;
mod source;
#[cfg(test)]
mod tests;
mod vocabulary;
mod whole;

use super::codes::CodeTable;
use super::load::{load, MappingFile};
use super::paths::{CanonPath, SourcePath};
use super::schema_info::CanonField;
use super::{hint, MappingIssue, Severity};
use crate::model::MessageKind;
use crate::schema::ScalarType;

pub use compiled::{
    CountryForm, CsvSpec, EncodeMode, EncodeStep, Input, JsonSpec, Mapping, Rule, SourceSpec,
    Split, Unit, XmlSpec,
};
use encode_plan::encode_plan;
use namer::build_namer;
use rule::RuleContext;

/// Reads and compiles a mapping file. On success the mapping carries its
/// warnings; on failure every issue (errors and warnings) is returned.
pub fn compile(file: &str, text: &str) -> Result<Mapping, Vec<MappingIssue>> {
    let (parsed, mut issues) = load(file, text);
    let mut checker = Checker {
        file: parsed.file.clone(),
        issues: Vec::new(),
    };
    let mapping = checker.compile(&parsed);
    issues.append(&mut checker.issues);
    issues.sort_by_key(|i| (i.line.unwrap_or(0), i.severity == Severity::Warning));
    match mapping {
        Some(mut mapping) if !issues.iter().any(MappingIssue::is_error) => {
            mapping.warnings = issues;
            Ok(mapping)
        }
        _ => Err(issues),
    }
}

/// Every problem of a mapping file, errors and warnings.
pub fn check(file: &str, text: &str) -> Vec<MappingIssue> {
    match compile(file, text) {
        Ok(mapping) => mapping.warnings,
        Err(issues) => issues,
    }
}

struct Checker {
    file: String,
    issues: Vec<MappingIssue>,
}

fn scalar_name(scalar: ScalarType) -> &'static str {
    match scalar {
        ScalarType::String => "text",
        ScalarType::Integer => "a whole number",
        ScalarType::Number => "a number",
        ScalarType::Boolean => "true or false",
    }
}

impl Checker {
    fn error(&mut self, line: usize, key: impl Into<String>, message: impl Into<String>) {
        self.issues.push(MappingIssue {
            severity: Severity::Error,
            file: self.file.clone(),
            line: Some(line),
            key: key.into(),
            message: message.into(),
        });
    }

    fn warning(&mut self, line: usize, key: impl Into<String>, message: impl Into<String>) {
        self.issues.push(MappingIssue {
            severity: Severity::Warning,
            file: self.file.clone(),
            line: Some(line),
            key: key.into(),
            message: message.into(),
        });
    }

    fn compile(&mut self, file: &MappingFile) -> Option<Mapping> {
        // [mapping]
        let mut name = None;
        let mut description = String::new();
        let mut revision = None;
        let mut kind = MessageKind::Record;
        match &file.mapping {
            Some(section) => {
                let m = &section.value;
                match m.name.as_deref().map(str::trim) {
                    Some(n)
                        if !n.is_empty()
                            && n.chars().all(|c| {
                                c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c)
                            }) =>
                    {
                        name = Some(n.to_string())
                    }
                    Some(n) => self.error(
                        section.line_of("name"),
                        "mapping.name",
                        format!("\"{n}\" is not a usable format name: use lowercase letters, digits and - _ . (e.g. registry-xy)"),
                    ),
                    None => self.error(
                        section.line,
                        "mapping.name",
                        "missing: the format name used on the command line, e.g. name = \"registry-xy\"",
                    ),
                }
                description = m.description.clone().unwrap_or_default();
                revision = m.revision.clone();
                if let Some(message) = &m.message {
                    match MessageKind::from_tag(message) {
                        Some(k) => kind = k,
                        None => {
                            let known: Vec<&str> =
                                MessageKind::ALL.iter().map(|k| k.tag()).collect();
                            self.error(
                                section.line_of("message"),
                                "mapping.message",
                                format!(
                                    "unknown message kind \"{message}\" (one of: {}){}",
                                    known.join(", "),
                                    hint(message, known.iter().copied())
                                ),
                            );
                        }
                    }
                }
                if let Some(version) = m.version {
                    if version != 1 {
                        self.error(
                            section.line_of("version"),
                            "mapping.version",
                            format!("mapping language version {version} is not supported by this build (it reads version 1)"),
                        );
                    }
                }
            }
            None if !file.mapping_broken => self.error(
                1,
                "mapping",
                "missing [mapping] section with at least name = \"...\"",
            ),
            None => {}
        }
        // [source]
        let source = match &file.source {
            Some(section) => self.source(section),
            None => {
                if !file.source_broken {
                    self.error(1, "source", "missing [source] section with format = \"csv\", \"json\", \"ndjson\" or \"xml\"");
                }
                None
            }
        };
        let trim = file
            .source
            .as_ref()
            .and_then(|s| s.value.trim)
            .unwrap_or(true);
        // [codes.*]
        let mut tables = Vec::new();
        for table in &file.codes {
            let (built, conflicts) = CodeTable::build(table);
            for conflict in conflicts {
                self.error(
                    conflict.line,
                    format!("codes.{}", table.name),
                    conflict.message,
                );
            }
            if table.entries.is_empty() {
                self.error(
                    table.line,
                    format!("codes.{}", table.name),
                    "the table has no local value = \"canonical code\" entries",
                );
            }
            tables.push(built);
        }
        let (source, source_info) = match source {
            Some(s) => s,
            None => {
                // Rules cannot be checked without knowing the source format; still check canonical fields.
                for (i, rule) in file.fields.iter().enumerate() {
                    if let Some(rule) = rule {
                        self.target(kind, rule, i + 1);
                    }
                }
                return None;
            }
        };
        let mut ctx = RuleContext {
            kind,
            source: &source,
            info: source_info,
            tables: &tables,
            file_tables: file,
            trim,
        };
        let mut rules = Vec::new();
        for (i, rule) in file.fields.iter().enumerate() {
            if let Some(rule) = rule {
                if let Some(compiled) = self.rule(&mut ctx, rule, i + 1) {
                    rules.push(compiled);
                }
            }
        }
        let columns = ctx.info.columns.clone();
        let document_members = ctx.info.document_members.clone();
        if file.fields.is_empty() {
            self.error(1, "field", "the mapping has no [[field]] rules");
        }
        self.whole_mapping(kind, file, &rules, &tables);
        let name = name?;
        let encode_plan = encode_plan(&rules);
        let namer = build_namer(&rules);
        Some(Mapping {
            name,
            description,
            revision,
            file: file.file.clone(),
            kind,
            source,
            rules,
            tables,
            columns,
            document_members,
            encode_plan,
            namer,
            warnings: Vec::new(),
        })
    }
}

fn target_text(target: &Option<(CanonPath, &'static CanonField)>) -> String {
    target
        .as_ref()
        .map(|(p, _)| p.display.clone())
        .unwrap_or_else(|| "the field".to_string())
}

fn path_text(path: &SourcePath) -> String {
    match path {
        SourcePath::Column(c) => c.name.clone(),
        SourcePath::Json(p) => p.text.clone(),
        SourcePath::Xml(p) => p.text.clone(),
    }
}
