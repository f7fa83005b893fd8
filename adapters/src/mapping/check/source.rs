//! The `[source]` section (format, CSV dialect, JSON and XML record paths)
//! and the native source paths rules read.

use std::collections::{BTreeMap, HashSet};

use super::compiled::{CsvSpec, JsonSpec, SourceSpec, XmlSpec};
use super::rule::RuleContext;
use super::Checker;
use crate::mapping::hint;
use crate::mapping::load::Section;
use crate::mapping::model::SourceSection;
use crate::mapping::paths::{
    parse_records_json, parse_records_xml, ColumnRef, JsonPath, SourcePath, XmlName, XmlPath,
};

const FORMATS: &[&str] = &["csv", "json", "ndjson", "xml"];

/// What the source section tells the rules: the CSV columns known so far and
/// the JSON document members read.
#[derive(Default)]
pub(super) struct SourceInfo {
    pub(super) columns: Vec<String>,
    pub(super) declared_columns: bool,
    pub(super) document_members: Vec<String>,
}

impl Checker {
    pub(super) fn source(
        &mut self,
        section: &Section<SourceSection>,
    ) -> Option<(SourceSpec, SourceInfo)> {
        let s = &section.value;
        let Some(format) = s.format.as_deref() else {
            self.error(
                section.line,
                "source.format",
                "missing: format = \"csv\", \"json\", \"ndjson\" or \"xml\"",
            );
            return None;
        };
        if !FORMATS.contains(&format) {
            self.error(
                section.line_of("format"),
                "source.format",
                format!(
                    "unknown source format \"{format}\" (one of: csv, json, ndjson, xml){}",
                    hint(format, FORMATS.iter().copied())
                ),
            );
            return None;
        }
        let only = |key: &str, formats: &[&str]| -> Option<String> {
            (!formats.contains(&format))
                .then(|| {
                    format!(
                        "applies to format = {} sources, not {format}",
                        formats
                            .iter()
                            .map(|f| format!("\"{f}\""))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )
                })
                .filter(|_| section.keys.contains_key(key))
        };
        let csv_only = ["csv"];
        for key in [
            "delimiter",
            "quote",
            "header",
            "columns",
            "encoding",
            "line_ending",
            "bom",
            "comment",
            "formula_escape",
        ] {
            if let Some(message) = only(key, &csv_only) {
                self.error(section.line_of(key), format!("source.{key}"), message);
            }
        }
        if let Some(message) = only("records", &["json", "xml"]) {
            self.error(section.line_of("records"), "source.records", message);
        }
        if let Some(message) = only("namespaces", &["xml"]) {
            self.error(section.line_of("namespaces"), "source.namespaces", message);
        }
        let mut info = SourceInfo::default();
        let spec = match format {
            "csv" => {
                let byte = |checker: &mut Checker,
                            key: &str,
                            value: Option<&str>,
                            default: Option<u8>|
                 -> Option<Option<u8>> {
                    match value {
                        None => Some(default),
                        Some("") if key != "delimiter" => Some(None),
                        Some(v) if v.len() == 1 && v.is_ascii() && v != "\n" && v != "\r" => {
                            Some(v.bytes().next())
                        }
                        Some(v) => {
                            checker.error(
                                section.line_of(key),
                                format!("source.{key}"),
                                format!(
                                    "\"{}\" is not a single ASCII character{}",
                                    v.escape_debug(),
                                    if key == "delimiter" {
                                        " (use \"\\t\" for a tab)"
                                    } else {
                                        ""
                                    }
                                ),
                            );
                            None
                        }
                    }
                };
                let delimiter = byte(self, "delimiter", s.delimiter.as_deref(), Some(b','));
                let quote = byte(self, "quote", s.quote.as_deref(), Some(b'"'));
                let comment = byte(self, "comment", s.comment.as_deref(), None);
                let header = s.header.unwrap_or(true);
                let encoding = match s.encoding.as_deref() {
                    None => Some(encoding_rs::UTF_8),
                    Some(label) => {
                        match encoding_rs::Encoding::for_label(label.trim().as_bytes()) {
                            Some(e)
                                if e != encoding_rs::REPLACEMENT
                                    && e != encoding_rs::X_USER_DEFINED =>
                            {
                                Some(e)
                            }
                            _ => {
                                self.error(
                                section.line_of("encoding"),
                                "source.encoding",
                                format!("unknown encoding \"{label}\" (for example utf-8, utf-16, windows-1250, windows-1252, iso-8859-2; labels of the WHATWG Encoding Standard)"),
                            );
                                None
                            }
                        }
                    }
                };
                let crlf = match s.line_ending.as_deref() {
                    None | Some("lf") => Some(false),
                    Some("crlf") => Some(true),
                    Some(other) => {
                        self.error(
                            section.line_of("line_ending"),
                            "source.line_ending",
                            format!("\"{other}\" is not a line ending: \"crlf\" or \"lf\" (used when writing; both are read)"),
                        );
                        None
                    }
                };
                let mut seen = HashSet::new();
                for column in s.columns.iter().flatten() {
                    let column = column.trim();
                    if column.is_empty() {
                        self.error(
                            section.line_of("columns"),
                            "source.columns",
                            "a column name is empty",
                        );
                    } else if !seen.insert(column.to_string()) {
                        self.error(
                            section.line_of("columns"),
                            "source.columns",
                            format!("column \"{column}\" is listed twice"),
                        );
                    } else {
                        info.columns.push(column.to_string());
                    }
                }
                info.declared_columns = s.columns.is_some();
                if !header && s.columns.is_none() {
                    self.error(
                        section.line_of("header"),
                        "source.columns",
                        "a CSV file without a header row (header = false) needs columns = [...] naming its columns in order",
                    );
                }
                SourceSpec::Csv(CsvSpec {
                    delimiter: delimiter??,
                    quote: quote?,
                    header,
                    encoding: encoding?,
                    bom: s.bom.unwrap_or(false),
                    crlf: crlf?,
                    comment: comment?,
                    formula_escape: s.formula_escape.unwrap_or(true),
                })
            }
            "json" => {
                let records = match parse_records_json(s.records.as_deref().unwrap_or("")) {
                    Ok(r) => r,
                    Err(message) => {
                        self.error(section.line_of("records"), "source.records", message);
                        return None;
                    }
                };
                SourceSpec::Json(JsonSpec { records })
            }
            "ndjson" => SourceSpec::Ndjson,
            _ => {
                let namespaces = s.namespaces.clone().unwrap_or_default();
                for (prefix, uri) in &namespaces {
                    if uri.trim().is_empty() {
                        self.error(
                            section.line_of("namespaces"),
                            format!("source.namespaces.{prefix}"),
                            "empty namespace URI",
                        );
                    }
                    if !prefix.is_empty() && XmlName::parse(prefix, &BTreeMap::new(), true).is_err()
                    {
                        self.error(
                            section.line_of("namespaces"),
                            format!("source.namespaces.{prefix}"),
                            format!("\"{prefix}\" is not a usable prefix"),
                        );
                    }
                }
                let Some(records) = s.records.as_deref() else {
                    self.error(section.line, "source.records", "missing: the path of the record elements from the root, e.g. records = \"rf:FirearmReport/rf:Weapon\"");
                    return None;
                };
                match parse_records_xml(records, &namespaces) {
                    Ok(records) => SourceSpec::Xml(XmlSpec {
                        records,
                        namespaces,
                    }),
                    Err(message) => {
                        self.error(section.line_of("records"), "source.records", message);
                        return None;
                    }
                }
            }
        };
        Some((spec, info))
    }

    /// A native field as the source format names it (a CSV column is added to
    /// the known columns unless they were declared).
    pub(super) fn source_path(
        &mut self,
        ctx: &mut RuleContext<'_>,
        text: &str,
        line: usize,
        key: &str,
    ) -> Option<SourcePath> {
        match ctx.source {
            SourceSpec::Csv(_) => {
                let name = text.trim();
                if name.is_empty() {
                    self.error(line, key, "empty column name");
                    return None;
                }
                let id = match ctx.info.columns.iter().position(|c| c == name) {
                    Some(id) => id,
                    None if ctx.info.declared_columns => {
                        let message = format!(
                            "unknown column \"{name}\": it is not in [source] columns{}",
                            hint(name, ctx.info.columns.iter().map(String::as_str))
                        );
                        self.error(line, key, message);
                        return None;
                    }
                    None => {
                        ctx.info.columns.push(name.to_string());
                        ctx.info.columns.len() - 1
                    }
                };
                Some(SourcePath::Column(ColumnRef {
                    id,
                    name: name.to_string(),
                }))
            }
            SourceSpec::Json(_) | SourceSpec::Ndjson => match JsonPath::parse(text) {
                Ok(path) => {
                    if path.absolute {
                        if matches!(ctx.source, SourceSpec::Ndjson) {
                            self.error(line, key, "an NDJSON stream has no document around its records: paths cannot start with /");
                            return None;
                        }
                        if let (SourceSpec::Json(spec), Some(first)) =
                            (ctx.source, path.first_key())
                        {
                            if spec.records.first().map(String::as_str) == Some(first)
                                && spec.records.len() == 1
                            {
                                self.error(line, key, format!("\"{text}\" is inside the record array; paths of record members are written without a leading /"));
                                return None;
                            }
                            if spec.records.is_empty() {
                                self.error(line, key, "the document is the record array itself (records = \"\"): there are no document members to read");
                                return None;
                            }
                            if !ctx.info.document_members.iter().any(|m| m == first) {
                                ctx.info.document_members.push(first.to_string());
                            }
                        }
                    }
                    Some(SourcePath::Json(path))
                }
                Err(message) => {
                    self.error(line, key, message);
                    None
                }
            },
            SourceSpec::Xml(spec) => {
                match XmlPath::parse(text, &spec.namespaces, spec.records.first()) {
                    Ok(path) => Some(SourcePath::Xml(path)),
                    Err(message) => {
                        self.error(line, key, message);
                        None
                    }
                }
            }
        }
    }
}
