//! Reading a mapping file: TOML with every key's line kept.
//!
//! The document is parsed once into `toml`'s spanned tree ([`DeTable`]); each
//! section and each `[[field]]` rule is then deserialized on its own, so a
//! typo in one rule is reported together with the problems of every other
//! rule instead of stopping at the first. Unknown keys are found here (with a
//! "did you mean" hint) before serde sees the table.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use super::model::{
    CodeTableSource, FieldRule, MappingSection, SourceSection, CODE_OPTIONS, FIELD_KEYS,
    MAPPING_KEYS, SOURCE_KEYS, TOP_LEVEL_KEYS,
};
use super::{hint, MappingIssue, Severity};

/// A section or rule as read, with the line of its header and of each key.
#[derive(Debug, Clone)]
pub struct Section<T> {
    pub value: T,
    /// Line of the table header (`[[field]]`) or of its first key.
    pub line: usize,
    /// Key -> line of the key.
    pub keys: BTreeMap<String, usize>,
}

impl<T> Section<T> {
    /// The line of `key`, or of the section when the key is absent.
    pub fn line_of(&self, key: &str) -> usize {
        self.keys.get(key).copied().unwrap_or(self.line)
    }
}

/// A mapping file as read, before checking.
#[derive(Debug, Clone, Default)]
pub struct MappingFile {
    /// The file name used in messages.
    pub file: String,
    pub mapping: Option<Section<MappingSection>>,
    /// True when `[mapping]` exists but could not be read (its errors are reported).
    pub mapping_broken: bool,
    pub source: Option<Section<SourceSection>>,
    pub source_broken: bool,
    /// One entry per `[[field]]` in file order; `None` where the rule could not be read.
    pub fields: Vec<Option<Section<FieldRule>>>,
    /// The `to` and `decode` keys of every `[[field]]` as written, even of a rule
    /// that could not be read (so the checker knows which fields are mapped).
    pub targets: Vec<(Option<String>, bool)>,
    pub codes: Vec<CodeTableSource>,
}

/// Maps byte offsets to 1-based lines.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

struct Loader<'t> {
    file: String,
    lines: LineIndex,
    issues: Vec<MappingIssue>,
    _text: &'t str,
}

impl Loader<'_> {
    fn issue(&mut self, offset: usize, key: impl Into<String>, message: impl Into<String>) {
        let line = self.lines.line(offset);
        self.issues.push(MappingIssue {
            severity: Severity::Error,
            file: self.file.clone(),
            line: Some(line),
            key: key.into(),
            message: message.into(),
        });
    }
}

/// Reads a mapping file. Problems of the TOML itself and of its structure
/// (unknown keys, wrong value types) are returned; the checker finds the rest.
pub fn load(file: &str, text: &str) -> (MappingFile, Vec<MappingIssue>) {
    let mut loader = Loader {
        file: file.to_string(),
        lines: LineIndex::new(text),
        issues: Vec::new(),
        _text: text,
    };
    let mut out = MappingFile {
        file: file.to_string(),
        ..MappingFile::default()
    };
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for error in errors {
            let offset = error.span().map(|s| s.start).unwrap_or(0);
            loader.issue(
                offset,
                "",
                format!("TOML syntax: {}", error.message().trim()),
            );
        }
        return (out, loader.issues);
    }
    let root = root.into_inner();
    for (key, value) in in_file_order(&root) {
        let name = key.get_ref().as_ref();
        match name {
            "mapping" => {
                match read_section::<MappingSection>(&mut loader, value, "mapping", MAPPING_KEYS) {
                    Some(section) => out.mapping = Some(section),
                    None => out.mapping_broken = true,
                }
            }
            "source" => {
                match read_section::<SourceSection>(&mut loader, value, "source", SOURCE_KEYS) {
                    Some(section) => out.source = Some(section),
                    None => out.source_broken = true,
                }
            }
            "field" => match value.get_ref() {
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let table = item.get_ref().as_table();
                        let key = |name: &str| {
                            table.and_then(|t| {
                                t.iter().find(|(k, _)| k.get_ref() == name).map(|(_, v)| v)
                            })
                        };
                        out.targets.push((
                            key("to")
                                .and_then(|v| v.get_ref().as_str())
                                .map(|s| s.trim().to_string()),
                            key("decode")
                                .and_then(|v| v.get_ref().as_bool())
                                .unwrap_or(true),
                        ));
                        let prefix = format!("field[{}]", i + 1);
                        out.fields.push(read_section::<FieldRule>(
                            &mut loader,
                            item,
                            &prefix,
                            FIELD_KEYS,
                        ));
                    }
                }
                _ => loader.issue(
                    key.span().start,
                    "field",
                    "expected rules written as [[field]] tables",
                ),
            },
            "codes" => match value.get_ref() {
                DeValue::Table(tables) => {
                    for (table_key, table) in in_file_order(tables) {
                        if let Some(codes) = read_codes(&mut loader, table_key, table) {
                            out.codes.push(codes);
                        }
                    }
                }
                _ => loader.issue(
                    key.span().start,
                    "codes",
                    "expected code tables written as [codes.NAME]",
                ),
            },
            other => {
                let message = format!(
                    "unknown section \"{other}\"; a mapping has [mapping], [source], [[field]] and [codes.NAME]{}",
                    hint(other, TOP_LEVEL_KEYS.iter().copied())
                );
                loader.issue(key.span().start, other, message);
            }
        }
    }
    (out, loader.issues)
}

type Entry<'a, 'i> = (
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
);

/// Table entries in the order they appear in the file (the parsed map is sorted by key).
fn in_file_order<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut entries: Vec<Entry<'a, 'i>> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

/// Reads one table into `T`: unknown keys are reported one by one (with a
/// hint), then the rest is deserialized; a wrong value type is reported at its key.
fn read_section<T: DeserializeOwned>(
    loader: &mut Loader<'_>,
    value: &Spanned<DeValue<'_>>,
    prefix: &str,
    allowed: &[&str],
) -> Option<Section<T>> {
    let DeValue::Table(table) = value.get_ref() else {
        loader.issue(
            value.span().start,
            prefix,
            format!("expected a table, found {}", value.get_ref().type_str()),
        );
        return None;
    };
    let line = loader.lines.line(value.span().start);
    let mut keys = BTreeMap::new();
    let mut known = DeTable::new();
    let mut spans: Vec<(String, Range<usize>)> = Vec::new();
    let mut ok = true;
    for (key, item) in in_file_order(table) {
        let name = key.get_ref().to_string();
        if allowed.contains(&name.as_str()) {
            keys.insert(name.clone(), loader.lines.line(key.span().start));
            spans.push((name, key.span().start..item.span().end.max(key.span().end)));
            known.insert(key.clone(), item.clone());
        } else {
            ok = false;
            let message = format!(
                "unknown key \"{name}\"{}",
                hint(&name, allowed.iter().copied())
            );
            loader.issue(key.span().start, format!("{prefix}.{name}"), message);
        }
    }
    let spanned = Spanned::new(value.span(), DeValue::Table(known));
    match T::deserialize(ValueDeserializer::from(spanned)) {
        Ok(parsed) if ok => Some(Section {
            value: parsed,
            line,
            keys,
        }),
        Ok(_) => None,
        Err(error) => {
            let offset = error.span().map(|s| s.start).unwrap_or(value.span().start);
            let key = spans
                .iter()
                .find(|(_, span)| span.contains(&offset))
                .map(|(name, _)| format!("{prefix}.{name}"))
                .unwrap_or_else(|| prefix.to_string());
            loader.issue(offset, key, explain_serde(error.message()));
            None
        }
    }
}

/// Makes serde's messages about the untagged helper types readable.
fn explain_serde(message: &str) -> String {
    let message = message.trim();
    if message.contains("untagged enum EncodeSpec") {
        "expected `false` or a table such as { value = \"...\" } or { from = [\"canonical.field\", ...] }".to_string()
    } else if message.contains("untagged enum OneOrMany") {
        "expected a string or a list of strings".to_string()
    } else {
        message.to_string()
    }
}

/// Reads `[codes.NAME]`: string entries are local value -> canonical code;
/// `fold`, `keep_unknown`, `skip_unknown` (booleans) and `encode` (a table) are options.
fn read_codes(
    loader: &mut Loader<'_>,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
) -> Option<CodeTableSource> {
    let name = key.get_ref().to_string();
    let prefix = format!("codes.{name}");
    let DeValue::Table(table) = value.get_ref() else {
        loader.issue(
            key.span().start,
            prefix,
            "expected a table of local value = \"canonical code\" entries",
        );
        return None;
    };
    let mut codes = CodeTableSource {
        name: name.clone(),
        line: loader.lines.line(key.span().start),
        ..CodeTableSource::default()
    };
    for (entry_key, entry) in in_file_order(table) {
        let local = entry_key.get_ref().to_string();
        let line = loader.lines.line(entry_key.span().start);
        let entry_prefix = format!("{prefix}.\"{local}\"");
        match (local.as_str(), entry.get_ref()) {
            (_, DeValue::String(code)) => {
                codes.entries.push((local.clone(), code.to_string(), line))
            }
            ("fold", DeValue::Boolean(b)) => codes.fold = *b,
            ("keep_unknown", DeValue::Boolean(b)) => codes.keep_unknown = *b,
            ("skip_unknown", DeValue::Boolean(b)) => codes.skip_unknown = *b,
            ("encode", DeValue::Table(reverse)) => {
                for (canonical, local_value) in in_file_order(reverse) {
                    let line = loader.lines.line(canonical.span().start);
                    match local_value.get_ref() {
                        DeValue::String(s) => codes.encode.push((
                            canonical.get_ref().to_string(),
                            s.to_string(),
                            line,
                        )),
                        other => loader.issue(
                            canonical.span().start,
                            format!("{prefix}.encode.\"{}\"", canonical.get_ref()),
                            format!(
                                "expected the local value (a string) written for this canonical code, found {}",
                                other.type_str()
                            ),
                        ),
                    }
                }
            }
            (_, other) => {
                let message = if CODE_OPTIONS.contains(&local.as_str()) {
                    format!(
                        "option \"{local}\" takes {}, found {}",
                        if local == "encode" {
                            "a table"
                        } else {
                            "true or false"
                        },
                        other.type_str()
                    )
                } else {
                    format!(
                        "expected the canonical code as a string, found {}",
                        other.type_str()
                    )
                };
                loader.issue(entry_key.span().start, entry_prefix, message);
            }
        }
    }
    Some(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_maps_offsets_to_lines() {
        let index = LineIndex::new("a\nbc\n\nd");
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line(2), 2);
        assert_eq!(index.line(5), 3);
        assert_eq!(index.line(6), 4);
    }

    #[test]
    fn every_rule_is_read_on_its_own_and_keys_keep_lines() {
        let text = "[mapping]\nname = \"x\"\n\n[[field]]\nto = \"a\"\nfrom = \"b\"\n\n[[field]]\nto = \"c\"\nfrm = \"d\"\n\n[[field]]\nto = \"e\"\nrequired = \"yes\"\n";
        let (file, issues) = load("x.toml", text);
        assert_eq!(file.fields.len(), 3);
        assert!(file.fields[0].is_some());
        assert!(file.fields[1].is_none());
        assert!(file.fields[2].is_none());
        let lines: Vec<String> = issues.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0]
                .starts_with("x.toml:10: field[2].frm: unknown key \"frm\" (did you mean from?)"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("x.toml:14: field[3].required: invalid type"),
            "{lines:?}"
        );
        let first = file.fields[0].as_ref().map(|f| f.line_of("from"));
        assert_eq!(first, Some(6));
    }

    #[test]
    fn code_tables_keep_file_order_and_options() {
        let text = "[codes.t]\nzeta = \"z\"\nalpha = \"a\"\nfold = true\n[codes.t.encode]\na = \"alpha\"\n";
        let (file, issues) = load("x.toml", text);
        assert!(issues.is_empty(), "{issues:?}");
        let table = &file.codes[0];
        let locals: Vec<&str> = table.entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(locals, ["zeta", "alpha"]);
        assert!(table.fold);
        assert_eq!(table.encode.len(), 1);
    }

    #[test]
    fn syntax_errors_have_lines_and_unknown_sections_hints() {
        let (_, issues) = load("x.toml", "[mapping]\nname = \n");
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].line, Some(2));
        let (_, issues) = load("x.toml", "[[fields]]\nto = \"a\"\n");
        assert!(
            issues[0].message.contains("did you mean field?"),
            "{issues:?}"
        );
    }
}
