//! Static checks: turns a [`MappingFile`] into a compiled [`Mapping`], or
//! reports every problem with file, line and key.
//!
//! Everything that can be decided without data is decided here, once:
//! canonical fields are looked up in the schema, source paths parsed and
//! namespace prefixes resolved, code tables built and compared with the
//! canonical vocabularies, date formats, units, encodings and constants
//! validated. The engine then runs on precompiled rules.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::codes::CodeTable;
use super::load::{load, MappingFile, Section};
use super::model::{EncodeSpec, FieldRule, OneOrMany, SourceSection};
use super::paths::{
    parse_records_json, parse_records_xml, CanonPath, ColumnRef, JsonPath, SourcePath, XmlName,
    XmlPath,
};
use super::schema_info::{self, CanonField};
use super::{hint, MappingIssue, Severity};
use crate::adapter::NativeNamer;
use crate::codes::{calibres, countries};
use crate::format::value::parse_scalar;
use crate::model::MessageKind;
use crate::normalise::date;
use crate::schema::ScalarType;

/// A mapping ready to run.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub name: String,
    pub description: String,
    pub revision: Option<String>,
    /// The file it was read from (`mappings/registry-rs.toml` for built-ins).
    pub file: String,
    pub kind: MessageKind,
    pub source: SourceSpec,
    pub rules: Vec<Rule>,
    pub tables: Vec<CodeTable>,
    /// CSV: every column the mapping knows (declared, then referenced), by id.
    pub columns: Vec<String>,
    /// JSON: members of the document (outside the record array) that rules read.
    pub document_members: Vec<String>,
    /// How the encoder walks the rules.
    pub encode_plan: Vec<EncodeStep>,
    /// Canonical field -> native name, for errors found after decoding.
    pub namer: NativeNamer,
    /// Warnings found while checking (the mapping works).
    pub warnings: Vec<MappingIssue>,
}

impl Mapping {
    /// True when at least one rule writes a native field.
    pub fn writable(&self) -> bool {
        !self.encode_plan.is_empty()
    }
}

#[derive(Debug, Clone)]
pub enum SourceSpec {
    Csv(CsvSpec),
    Json(JsonSpec),
    Ndjson,
    Xml(XmlSpec),
}

impl SourceSpec {
    pub fn format_name(&self) -> &'static str {
        match self {
            SourceSpec::Csv(_) => "csv",
            SourceSpec::Json(_) => "json",
            SourceSpec::Ndjson => "ndjson",
            SourceSpec::Xml(_) => "xml",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CsvSpec {
    pub delimiter: u8,
    pub quote: Option<u8>,
    pub header: bool,
    pub encoding: &'static encoding_rs::Encoding,
    /// Write a byte order mark.
    pub bom: bool,
    /// Write CRLF line ends.
    pub crlf: bool,
    pub comment: Option<u8>,
    /// Prefix cells a spreadsheet would run as formulas with `'` when writing,
    /// and strip that `'` when reading (`formula_escape`, default true).
    pub formula_escape: bool,
}

#[derive(Debug, Clone)]
pub struct JsonSpec {
    /// Pointer segments of the record array (empty: the document is the array).
    pub records: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct XmlSpec {
    /// Root element, then the steps down to the record elements.
    pub records: Vec<XmlName>,
    pub namespaces: BTreeMap<String, String>,
}

/// Where a rule's value comes from.
#[derive(Debug, Clone)]
pub enum Input {
    From(SourcePath),
    Concat(Vec<SourcePath>, String),
    Const(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Millimetre,
    Centimetre,
    Metre,
    Inch,
}

impl Unit {
    pub fn parse(text: &str) -> Option<Unit> {
        match text.trim().to_ascii_lowercase().as_str() {
            "mm" | "millimetre" | "millimetres" | "millimeter" | "millimeters" => {
                Some(Unit::Millimetre)
            }
            "cm" | "centimetre" | "centimetres" | "centimeter" | "centimeters" => {
                Some(Unit::Centimetre)
            }
            "m" | "metre" | "metres" | "meter" | "meters" => Some(Unit::Metre),
            "in" | "inch" | "inches" | "\"" => Some(Unit::Inch),
            _ => None,
        }
    }

    pub fn millimetres(self) -> f64 {
        match self {
            Unit::Millimetre => 1.0,
            Unit::Centimetre => 10.0,
            Unit::Metre => 1000.0,
            Unit::Inch => 25.4,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Millimetre => "mm",
            Unit::Centimetre => "cm",
            Unit::Metre => "m",
            Unit::Inch => "in",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryForm {
    Alpha2,
    Alpha3,
    Numeric,
    Name,
}

#[derive(Debug, Clone)]
pub enum EncodeMode {
    /// Decode only.
    Off,
    /// Write the native field by inverting the decode rule.
    Invert,
    /// Always write this text.
    Const(String),
    /// Write the first of these canonical fields that has a value, inverting the rule's transforms.
    From(Vec<CanonPath>),
}

#[derive(Debug, Clone)]
pub struct Split {
    pub separator: String,
    /// 0-based part; `None` on a list rule: every part is an item.
    pub part: Option<usize>,
}

/// One compiled `[[field]]` rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// 1-based position among the `[[field]]` tables.
    pub number: usize,
    pub line: usize,
    pub to: Option<CanonPath>,
    pub scalar: ScalarType,
    pub input: Input,
    pub split: Option<Split>,
    pub default: Option<Value>,
    pub required: bool,
    pub trim: bool,
    pub codes: Option<usize>,
    pub dates: Vec<String>,
    pub decimal_comma: bool,
    pub decimals: Option<usize>,
    pub unit: Option<Unit>,
    pub unit_from: Option<SourcePath>,
    pub country: Option<CountryForm>,
    pub decode: bool,
    pub encode: EncodeMode,
    /// The rule fills every item of a list.
    pub each: bool,
}

impl Rule {
    pub fn target(&self) -> &str {
        self.to.as_ref().map(|t| t.display.as_str()).unwrap_or("")
    }
}

/// How the encoder produces one native field.
#[derive(Debug, Clone)]
pub enum EncodeStep {
    /// One rule writes one native field (or, for list rules, one per item).
    Rule(usize),
    /// A `concat` rule: the canonical value is split back into its parts.
    Concat(usize),
    /// Rules that each read one part of the same native field: joined back.
    Parts {
        path: Box<SourcePath>,
        separator: String,
        /// (part, rule index)
        parts: Vec<(usize, usize)>,
    },
}

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

const FORMATS: &[&str] = &["csv", "json", "ndjson", "xml"];

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

    fn source(&mut self, section: &Section<SourceSection>) -> Option<(SourceSpec, SourceInfo)> {
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

    /// Checks only the `to` key (used when the source cannot be checked).
    fn target(
        &mut self,
        kind: MessageKind,
        rule: &Section<FieldRule>,
        number: usize,
    ) -> Option<(CanonPath, &'static CanonField)> {
        let key = format!("field[{number}].to");
        let to = rule.value.to.as_deref()?;
        let path = match CanonPath::parse(to) {
            Ok(p) => p,
            Err(message) => {
                self.error(rule.line_of("to"), key, message);
                return None;
            }
        };
        match schema_info::field(kind, &path.display) {
            Some(field) => Some((path, field)),
            None => {
                let fields = schema_info::fields(kind);
                let children: Vec<&str> = fields
                    .iter()
                    .map(|f| f.path.as_str())
                    .filter(|p| {
                        p.starts_with(&format!("{}.", path.display))
                            || p.starts_with(&format!("{}[].", path.display))
                    })
                    .collect();
                let message = if path.display == "kind" {
                    "the message kind is set by [mapping] message, not by a rule".to_string()
                } else if path.display.starts_with("header.") {
                    "only header.message_id and header.correlation_id can be mapped; the rest of the header is set by the gateway".to_string()
                } else if let Some(first) = children.first() {
                    format!(
                        "\"{}\" is not a single value: map its fields one by one, e.g. {first}",
                        path.display
                    )
                } else if fields
                    .iter()
                    .any(|f| f.path == format!("{}[]", path.display))
                {
                    format!("\"{}\" is a list: write {}[]", path.display, path.display)
                } else {
                    format!(
                        "unknown canonical field \"{}\" for {} messages{}",
                        path.display,
                        kind,
                        hint(&path.display, fields.iter().map(|f| f.path.as_str()))
                    )
                };
                self.error(rule.line_of("to"), key, message);
                None
            }
        }
    }

    fn source_path(
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

    fn rule(
        &mut self,
        ctx: &mut RuleContext<'_>,
        section: &Section<FieldRule>,
        number: usize,
    ) -> Option<Rule> {
        let r = &section.value;
        let key = |k: &str| format!("field[{number}].{k}");
        let mut ok = true;
        let decode = r.decode.unwrap_or(true);
        let mut encode = match &r.encode {
            None | Some(EncodeSpec::Enabled(true)) => EncodeMode::Invert,
            Some(EncodeSpec::Enabled(false)) => EncodeMode::Off,
            Some(EncodeSpec::Rule(rule)) => match (&rule.value, &rule.from) {
                (Some(value), None) => match toml_scalar_text(value) {
                    Some(text) => EncodeMode::Const(text),
                    None => {
                        self.error(
                            section.line_of("encode"),
                            key("encode"),
                            "encode value must be a string, number or boolean",
                        );
                        ok = false;
                        EncodeMode::Off
                    }
                },
                (None, Some(from)) => {
                    let mut paths = Vec::new();
                    for text in from.to_vec() {
                        match CanonPath::parse(&text) {
                            Ok(p) if schema_info::field(ctx.kind, &p.display).is_some() => {
                                paths.push(p)
                            }
                            Ok(p) => {
                                let fields = schema_info::fields(ctx.kind);
                                self.error(
                                    section.line_of("encode"),
                                    key("encode.from"),
                                    format!(
                                        "unknown canonical field \"{}\"{}",
                                        p.display,
                                        hint(&p.display, fields.iter().map(|f| f.path.as_str()))
                                    ),
                                );
                                ok = false;
                            }
                            Err(message) => {
                                self.error(section.line_of("encode"), key("encode.from"), message);
                                ok = false;
                            }
                        }
                    }
                    EncodeMode::From(paths)
                }
                (Some(_), Some(_)) => {
                    self.error(
                        section.line_of("encode"),
                        key("encode"),
                        "give either value or from, not both",
                    );
                    ok = false;
                    EncodeMode::Off
                }
                (None, None) => {
                    self.error(section.line_of("encode"), key("encode"), "an encode table needs value = \"...\" or from = [\"canonical.field\", ...]");
                    ok = false;
                    EncodeMode::Off
                }
            },
        };
        if !decode && matches!(encode, EncodeMode::Off) {
            self.error(
                section.line_of("decode"),
                key("decode"),
                "decode = false and encode = false: the rule does nothing",
            );
            ok = false;
        }
        // Target
        let target = if r.to.is_some() {
            let t = self.target(ctx.kind, section, number);
            ok &= t.is_some();
            t
        } else {
            let needs_target = decode || !matches!(encode, EncodeMode::Const(_));
            if needs_target {
                self.error(section.line, key("to"), "missing: the canonical field this rule fills, e.g. to = \"firearm.serial_number\"");
                ok = false;
            }
            None
        };
        let field = target.as_ref().map(|(_, f)| *f);
        let scalar = field.map(|f| f.scalar).unwrap_or(ScalarType::String);
        let each = target.as_ref().is_some_and(|(p, _)| p.is_list());
        // Input
        let given: Vec<&str> = [
            r.from.as_ref().map(|_| "from"),
            r.concat.as_ref().map(|_| "concat"),
            r.value.as_ref().map(|_| "value"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if given.len() != 1 {
            let message = if given.is_empty() {
                "the rule needs a source: from = \"native field\", concat = [...] or value = constant".to_string()
            } else {
                format!("give only one of {}", given.join(", "))
            };
            self.error(section.line, key("from"), message);
            return None;
        }
        let input = if let Some(from) = &r.from {
            let path = self.source_path(ctx, from, section.line_of("from"), &key("from"));
            if path.as_ref().is_some_and(|p| p.is_absolute()) && each {
                self.error(
                    section.line_of("from"),
                    key("from"),
                    "a list field cannot be filled from a document-level value",
                );
                ok = false;
            }
            match path {
                Some(path) => Some(Input::From(path)),
                None => {
                    ok = false;
                    None
                }
            }
        } else if let Some(parts) = &r.concat {
            if parts.len() < 2 {
                self.error(
                    section.line_of("concat"),
                    key("concat"),
                    "concat joins two or more native fields; use from for one",
                );
                ok = false;
            }
            let mut paths = Vec::new();
            for part in parts {
                match self.source_path(ctx, part, section.line_of("concat"), &key("concat")) {
                    Some(p) if p.is_each() => {
                        self.error(
                            section.line_of("concat"),
                            key("concat"),
                            format!("\"{part}\" repeats: concat joins single values"),
                        );
                        ok = false;
                    }
                    Some(p) => paths.push(p),
                    None => ok = false,
                }
            }
            if each {
                self.error(
                    section.line_of("concat"),
                    key("concat"),
                    "concat cannot fill a list field",
                );
                ok = false;
            }
            Some(Input::Concat(
                paths,
                r.separator.clone().unwrap_or_else(|| " ".to_string()),
            ))
        } else {
            let value = r.value.as_ref().and_then(|v| {
                let field = field?;
                self.constant(v, field, section.line_of("value"), &key("value"))
            });
            if each {
                self.error(
                    section.line_of("value"),
                    key("value"),
                    "a constant cannot fill a list field",
                );
                ok = false;
            }
            if !decode {
                self.error(section.line_of("decode"), key("decode"), "a constant (value) is only used when decoding; for a native constant written on encode use from = \"...\", decode = false, encode = { value = \"...\" }");
                ok = false;
            }
            encode = EncodeMode::Off;
            match value {
                Some(v) => Some(Input::Const(v)),
                None if field.is_some() => {
                    ok = false;
                    None
                }
                None => Some(Input::Const(Value::Null)),
            }
        };
        if r.separator.is_some() && r.concat.is_none() {
            self.error(
                section.line_of("separator"),
                key("separator"),
                "separator goes with concat (for splitting one native field use split)",
            );
            ok = false;
        }
        // Split
        let split = match (&r.split, r.part) {
            (None, None) => None,
            (None, Some(_)) => {
                self.error(
                    section.line_of("part"),
                    key("part"),
                    "part goes with split = \"separator\"",
                );
                ok = false;
                None
            }
            (Some(sep), part) => {
                if sep.is_empty() {
                    self.error(section.line_of("split"), key("split"), "empty separator");
                    ok = false;
                }
                if r.from.is_none() {
                    self.error(
                        section.line_of("split"),
                        key("split"),
                        "split applies to a rule with from",
                    );
                    ok = false;
                }
                let part = match part {
                    Some(p) if p >= 1 => Some(usize::try_from(p - 1).unwrap_or(0)),
                    Some(p) => {
                        self.error(
                            section.line_of("part"),
                            key("part"),
                            format!("part counts from 1 (the first piece), found {p}"),
                        );
                        ok = false;
                        None
                    }
                    None if each => None,
                    None => {
                        self.error(section.line_of("split"), key("part"), "which piece? add part = 1 for the first piece (without part, split fills a list field with every piece)");
                        ok = false;
                        None
                    }
                };
                Some(Split {
                    separator: sep.clone(),
                    part,
                })
            }
        };
        // One value vs. many
        if let (Some(Input::From(path)), Some((to, _))) = (&input, &target) {
            let many = path.is_each() || split.as_ref().is_some_and(|s| s.part.is_none());
            if each && !many {
                self.error(section.line_of("from"), key("from"), format!("{} is a list field: its source must repeat (name[]) or be split into pieces (split = \"|\")", to.display));
                ok = false;
            }
            if !each && path.is_each() {
                self.error(section.line_of("from"), key("from"), format!("\"{}\" repeats, but {} holds one value: use a list field (name[]) or pick one item (name[1] in XML, name.0 in JSON)", path_text(path), to.display));
                ok = false;
            }
            if path.is_each() && split.is_some() {
                self.error(
                    section.line_of("split"),
                    key("split"),
                    "a repeating source cannot also be split",
                );
                ok = false;
            }
        }
        // Codes
        let codes = match &r.codes {
            None => None,
            Some(name) => match ctx.tables.iter().position(|t| &t.name == name) {
                Some(i) => Some(i),
                None => {
                    self.error(
                        section.line_of("codes"),
                        key("codes"),
                        format!(
                            "no code table [codes.{name}] in this file{}",
                            hint(name, ctx.tables.iter().map(|t| t.name.as_str()))
                        ),
                    );
                    ok = false;
                    None
                }
            },
        };
        if codes.is_some() && r.value.is_some() {
            self.error(
                section.line_of("codes"),
                key("codes"),
                "a constant is already canonical: codes applies to from or concat",
            );
            ok = false;
        }
        // Dates
        let dates = r.date.as_ref().map(OneOrMany::to_vec).unwrap_or_default();
        if r.date.is_some() {
            if dates.is_empty() {
                self.error(
                    section.line_of("date"),
                    key("date"),
                    "empty list of date formats",
                );
                ok = false;
            }
            for format in &dates {
                if let Err(e) = date::check_format(format) {
                    self.error(section.line_of("date"), key("date"), e.to_string());
                    ok = false;
                }
            }
            if field.is_some_and(|f| f.def.as_deref() != Some("iso_date")) {
                self.error(
                    section.line_of("date"),
                    key("date"),
                    format!("{} is not a date field", target_text(&target)),
                );
                ok = false;
            }
            if codes.is_some() {
                self.error(
                    section.line_of("date"),
                    key("date"),
                    "use either codes or date on one rule",
                );
                ok = false;
            }
        }
        // Numbers and units
        let numeric = matches!(scalar, ScalarType::Integer | ScalarType::Number);
        let decimal_comma = match r.number.as_deref() {
            None | Some("decimal_point") => false,
            Some("decimal_comma") => true,
            Some(other) => {
                self.error(section.line_of("number"), key("number"), format!("\"{other}\" is not a number style: \"decimal_point\" (12.5) or \"decimal_comma\" (12,5)"));
                ok = false;
                false
            }
        };
        if r.number.is_some() && !numeric && field.is_some() {
            self.error(
                section.line_of("number"),
                key("number"),
                format!(
                    "{} holds {}, not a number",
                    target_text(&target),
                    scalar_name(scalar)
                ),
            );
            ok = false;
        }
        let decimals = match r.decimals {
            None => None,
            Some(d) if (0..=10).contains(&d) && scalar == ScalarType::Number => {
                usize::try_from(d).ok()
            }
            Some(d) => {
                self.error(
                    section.line_of("decimals"),
                    key("decimals"),
                    format!("decimals ({d}) applies to decimal number fields, from 0 to 10"),
                );
                ok = false;
                None
            }
        };
        let unit = match r.unit.as_deref() {
            None => None,
            Some(text) => match Unit::parse(text) {
                Some(u) => Some(u),
                None => {
                    self.error(
                        section.line_of("unit"),
                        key("unit"),
                        format!("unknown unit \"{text}\" (mm, cm, m or in)"),
                    );
                    ok = false;
                    None
                }
            },
        };
        if r.unit.is_some()
            && !target
                .as_ref()
                .is_some_and(|(p, _)| p.display.ends_with("_mm"))
            && field.is_some()
        {
            self.error(
                section.line_of("unit"),
                key("unit"),
                format!("{} is not a length in millimetres", target_text(&target)),
            );
            ok = false;
        }
        let unit_from = match &r.unit_from {
            None => None,
            Some(text) => {
                if r.unit.is_none() {
                    self.error(section.line_of("unit_from"), key("unit_from"), "unit_from needs unit = \"...\" too: the unit of values that carry none, and the unit written on encode");
                    ok = false;
                }
                let path =
                    self.source_path(ctx, text, section.line_of("unit_from"), &key("unit_from"));
                ok &= path.is_some();
                path
            }
        };
        let country = match r.country.as_deref() {
            None => None,
            Some(text) => {
                let form = match text {
                    "alpha2" => Some(CountryForm::Alpha2),
                    "alpha3" => Some(CountryForm::Alpha3),
                    "numeric" => Some(CountryForm::Numeric),
                    "name" => Some(CountryForm::Name),
                    other => {
                        self.error(section.line_of("country"), key("country"), format!("\"{other}\" is not a country code form: alpha2, alpha3, numeric or name"));
                        ok = false;
                        None
                    }
                };
                if field.is_some_and(|f| f.def.as_deref() != Some("country_code")) {
                    self.error(
                        section.line_of("country"),
                        key("country"),
                        format!("{} is not a country field", target_text(&target)),
                    );
                    ok = false;
                }
                form
            }
        };
        let default = match (&r.default, field) {
            (Some(v), Some(f)) => {
                let value = self.constant(v, f, section.line_of("default"), &key("default"));
                ok &= value.is_some();
                value
            }
            _ => None,
        };
        // Codes against the target's vocabulary
        if let (Some(i), Some(f)) = (codes, field) {
            if let Some(table) = ctx.tables.get(i) {
                self.table_against_field(
                    ctx,
                    table,
                    f,
                    !matches!(encode, EncodeMode::Off),
                    section.line_of("codes"),
                    &key("codes"),
                );
            }
        }
        let required = r.required.unwrap_or(false) || field.is_some_and(|f| f.required);
        let input = input?;
        if !ok {
            return None;
        }
        Some(Rule {
            number,
            line: section.line,
            to: target.map(|(p, _)| p),
            scalar,
            input,
            split,
            default,
            required,
            trim: r.trim.unwrap_or(ctx.trim),
            codes,
            dates,
            decimal_comma,
            decimals,
            unit,
            unit_from,
            country,
            decode,
            encode,
            each,
        })
    }

    /// A constant (`value`, `default`) as the canonical JSON value of the field.
    fn constant(
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
    fn table_against_field(
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

    fn whole_mapping(
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

#[derive(Default)]
struct SourceInfo {
    columns: Vec<String>,
    declared_columns: bool,
    document_members: Vec<String>,
}

struct RuleContext<'a> {
    kind: MessageKind,
    source: &'a SourceSpec,
    info: SourceInfo,
    tables: &'a [CodeTable],
    file_tables: &'a MappingFile,
    trim: bool,
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

/// A TOML scalar as text (`"RS"`, `1`, `2.5`, `true`).
fn toml_scalar_text(value: &toml::Value) -> Option<String> {
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

fn encode_plan(rules: &[Rule]) -> Vec<EncodeStep> {
    let mut plan = Vec::new();
    let mut groups: HashMap<String, usize> = HashMap::new();
    for (index, rule) in rules.iter().enumerate() {
        if matches!(rule.encode, EncodeMode::Off) {
            continue;
        }
        match (&rule.input, &rule.split) {
            (
                Input::From(path),
                Some(Split {
                    separator,
                    part: Some(part),
                }),
            ) => {
                let group_key = format!("{}\u{1f}{separator}", path.native_name(None));
                match groups.get(&group_key).and_then(|&i| plan.get_mut(i)) {
                    Some(EncodeStep::Parts { parts, .. }) => parts.push((*part, index)),
                    _ => {
                        groups.insert(group_key, plan.len());
                        plan.push(EncodeStep::Parts {
                            path: Box::new(path.clone()),
                            separator: separator.clone(),
                            parts: vec![(*part, index)],
                        });
                    }
                }
            }
            (Input::From(_), _) => plan.push(EncodeStep::Rule(index)),
            (Input::Concat(..), _) => plan.push(EncodeStep::Concat(index)),
            (Input::Const(_), _) => {}
        }
    }
    plan
}

/// Canonical field (lists as `[]`) -> the native field that fed it.
fn build_namer(rules: &[Rule]) -> NativeNamer {
    let mut names: HashMap<String, SourcePath> = HashMap::new();
    for rule in rules.iter().filter(|r| r.decode) {
        let Some(to) = &rule.to else { continue };
        let path = match &rule.input {
            Input::From(p) => p,
            Input::Concat(parts, _) => match parts.first() {
                Some(p) => p,
                None => continue,
            },
            Input::Const(_) => continue,
        };
        names
            .entry(to.display.clone())
            .or_insert_with(|| path.clone());
    }
    // Fields the normaliser derives are named after the field they come from.
    for (derived, from) in [
        ("firearm.serial_key", "firearm.serial_number"),
        ("firearm.calibre_as_recorded", "firearm.calibre"),
    ] {
        if let Some(path) = names.get(from).cloned() {
            names.entry(derived.to_string()).or_insert(path);
        }
    }
    let names = Arc::new(names);
    NativeNamer(Arc::new(move |field: &str| {
        let (key, index) = list_key(field);
        let path = names.get(&key).or_else(|| {
            // An object or list item as a whole: name its first known member.
            let prefix = format!("{key}.");
            let mut candidates: Vec<(&String, &SourcePath)> = names
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .collect();
            candidates.sort_by(|a, b| a.0.cmp(b.0));
            candidates.first().map(|(_, p)| *p)
        })?;
        Some(path.native_name(index))
    }))
}

/// `firearm.markings.1.text` or `firearm.markings[1].text` -> (`firearm.markings[].text`, Some(1)).
pub(crate) fn list_key(field: &str) -> (String, Option<usize>) {
    let normalised = field.replace('[', ".").replace(']', "");
    let mut key = String::with_capacity(field.len());
    let mut index = None;
    for part in normalised.split('.').filter(|p| !p.is_empty()) {
        if let Ok(i) = part.parse::<usize>() {
            key.push_str("[]");
            index = Some(i);
        } else {
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(part);
        }
    }
    (key, index)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[mapping]
name = "test-csv"

[source]
format = "csv"
delimiter = ";"

[[field]]
to = "record_id"
from = "ID"

[[field]]
to = "owner_country"
value = "RS"

[[field]]
to = "owner_agency"
value = "RS-MUP"

[[field]]
to = "action"
value = "create"

[[field]]
to = "event.status"
from = "Status"
codes = "status"

[codes.status]
ukradeno = "stolen"
"#;

    fn errors(text: &str) -> Vec<String> {
        match compile("x.toml", text) {
            Ok(m) => m
                .warnings
                .iter()
                .filter(|i| i.is_error())
                .map(ToString::to_string)
                .collect(),
            Err(issues) => issues
                .iter()
                .filter(|i| i.is_error())
                .map(ToString::to_string)
                .collect(),
        }
    }

    #[test]
    fn a_minimal_mapping_compiles_with_gap_warnings() {
        let mapping = compile("x.toml", MINIMAL).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(mapping.name, "test-csv");
        assert_eq!(mapping.columns, ["ID", "Status"]);
        assert_eq!(mapping.rules.len(), 5);
        assert!(mapping.rules[0].required);
        assert!(mapping
            .warnings
            .iter()
            .any(|w| w.message.contains("no local value for event.status")));
    }

    #[test]
    fn unknown_canonical_field_is_located_with_a_hint() {
        let text = MINIMAL.replace("to = \"record_id\"", "to = \"firearm.calibr\"");
        let errors = errors(&text);
        assert!(
            errors.iter().any(|e| e == "x.toml:10: field[1].to: unknown canonical field \"firearm.calibr\" for record messages (did you mean firearm.calibre?)"),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("required canonical field record_id is not mapped"))
                || errors.len() == 1,
            "{errors:?}"
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let text = format!(
            "{MINIMAL}\n[[field]]\nto = \"event.date\"\nfrom = \"Datum\"\ndate = \"DD.MM.YY\"\n\n[[field]]\nto = \"firearm.make\"\nfrom = \"Marka\"\ncodes = \"makes\"\n\n[[field]]\nto = \"firearm.barrel_length_mm\"\nfrom = \"Cev\"\nunit = \"furlong\"\n\n[codes.bad]\nx = \"exploded\"\n"
        );
        let errors = errors(&text);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("field[6].date"), "{errors:?}");
        assert!(
            errors[1].contains("field[7].codes: no code table [codes.makes]"),
            "{errors:?}"
        );
        assert!(
            errors[2].contains("field[8].unit: unknown unit \"furlong\""),
            "{errors:?}"
        );
    }

    #[test]
    fn code_values_must_be_canonical_for_the_field() {
        let text = MINIMAL.replace("ukradeno = \"stolen\"", "ukradeno = \"stolne\"");
        let errors = errors(&text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .contains("codes.status.\"ukradeno\": \"stolne\" is not a canonical event.status"),
            "{errors:?}"
        );
        assert!(errors[0].contains("did you mean stolen?"), "{errors:?}");
    }

    #[test]
    fn missing_required_fields_and_bad_constants() {
        let text = MINIMAL
            .replace("value = \"RS\"", "value = \"Narnia\"")
            .replace(
                "to = \"action\"\nvalue = \"create\"",
                "to = \"firearm.make\"\nvalue = \"x\"",
            );
        let errors = errors(&text);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("field[2].value: \"Narnia\" is not a known country")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("required canonical field action is not mapped")),
            "{errors:?}"
        );
    }

    #[test]
    fn source_keys_are_checked_per_format() {
        let text = MINIMAL.replace(
            "delimiter = \";\"",
            "delimiter = \";;\"\nnamespaces = { a = \"urn:a\" }\nencoding = \"klingon\"",
        );
        let errors = errors(&text);
        assert_eq!(errors.len(), 3, "{errors:?}");
    }

    #[test]
    fn list_keys_name_items() {
        assert_eq!(
            list_key("firearm.markings.1.text"),
            ("firearm.markings[].text".to_string(), Some(1))
        );
        assert_eq!(
            list_key("firearm.markings[0].text"),
            ("firearm.markings[].text".to_string(), Some(0))
        );
        assert_eq!(list_key("event.date"), ("event.date".to_string(), None));
    }
}
