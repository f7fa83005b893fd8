//! The TOML file as written, before checking: serde types with
//! `deny_unknown_fields`. Everything is optional here so that the checker, not
//! serde, reports a missing key with a helpful message; [`crate::mapping::check`]
//! turns these into a compiled [`crate::mapping::Mapping`].
//!
//! The `[codes.NAME]` tables are not serde types: their keys are the registry's
//! own values, so [`crate::mapping::load`] reads them entry by entry, in file
//! order.

use serde::Deserialize;

/// `[mapping]`: what the file is.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSection {
    /// The format name used on the command line (`--from registry-rs`).
    pub name: Option<String>,
    /// One line for `iarms-gateway formats`.
    pub description: Option<String>,
    /// Canonical message kind every native record becomes (default `record`).
    pub message: Option<String>,
    /// Version of the mapping language the file is written in (only 1 exists).
    pub version: Option<i64>,
    /// The registry's own revision of this file, free text (shown by `explain`).
    pub revision: Option<String>,
}

/// `[source]`: how the native stream is framed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    /// `csv`, `json`, `ndjson` or `xml`.
    pub format: Option<String>,
    // CSV
    pub delimiter: Option<String>,
    pub quote: Option<String>,
    pub header: Option<bool>,
    pub columns: Option<Vec<String>>,
    pub encoding: Option<String>,
    pub line_ending: Option<String>,
    pub bom: Option<bool>,
    pub comment: Option<String>,
    /// Neutralise spreadsheet formulas in written cells (default true).
    pub formula_escape: Option<bool>,
    // All formats
    pub trim: Option<bool>,
    // JSON and XML
    pub records: Option<String>,
    // XML
    pub namespaces: Option<std::collections::BTreeMap<String, String>>,
}

/// A string or a list of strings (`date = "DD.MM.YYYY"` or `date = ["DD.MM.YYYY", "YYYY"]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// `encode = false` or `encode = { value = "...", from = [...] }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum EncodeSpec {
    Enabled(bool),
    Rule(EncodeRule),
}

/// How a rule writes its native field when it cannot simply invert its decoding.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodeRule {
    /// Always write this constant.
    pub value: Option<toml::Value>,
    /// Write the first of these canonical fields that has a value.
    pub from: Option<OneOrMany>,
}

/// One `[[field]]` rule: one canonical field and where its value comes from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldRule {
    pub to: Option<String>,
    pub from: Option<String>,
    pub concat: Option<Vec<String>>,
    pub separator: Option<String>,
    pub value: Option<toml::Value>,
    pub default: Option<toml::Value>,
    pub required: Option<bool>,
    pub trim: Option<bool>,
    pub split: Option<String>,
    pub part: Option<i64>,
    pub codes: Option<String>,
    pub date: Option<OneOrMany>,
    pub number: Option<String>,
    pub decimals: Option<i64>,
    pub unit: Option<String>,
    pub unit_from: Option<String>,
    pub country: Option<String>,
    pub decode: Option<bool>,
    pub encode: Option<EncodeSpec>,
    /// Reject, rather than keep and flag, a value of this descriptive field
    /// that its code table or the canonical code lists do not know.
    pub strict: Option<bool>,
    /// A regional calibre convention by name (`"36-is-410"`).
    pub convention: Option<String>,
    /// On a serial field: the source's own words for "no serial" (state
    /// absent) and "cannot be read" (state illegible), case- and accent-folded.
    pub absent: Option<Vec<String>>,
    pub illegible: Option<Vec<String>>,
}

/// The keys a `[[field]]` rule may have, for "did you mean" hints.
pub const FIELD_KEYS: &[&str] = &[
    "to",
    "from",
    "concat",
    "separator",
    "value",
    "default",
    "required",
    "trim",
    "split",
    "part",
    "codes",
    "date",
    "number",
    "decimals",
    "unit",
    "unit_from",
    "country",
    "decode",
    "encode",
    "strict",
    "convention",
    "absent",
    "illegible",
];

pub const MAPPING_KEYS: &[&str] = &["name", "description", "message", "version", "revision"];

pub const SOURCE_KEYS: &[&str] = &[
    "format",
    "delimiter",
    "quote",
    "header",
    "columns",
    "encoding",
    "line_ending",
    "bom",
    "comment",
    "formula_escape",
    "trim",
    "records",
    "namespaces",
];

pub const TOP_LEVEL_KEYS: &[&str] = &["mapping", "source", "field", "codes"];

/// Option keys of a `[codes.NAME]` table (recognised by their boolean or table value).
pub const CODE_OPTIONS: &[&str] = &["fold", "keep_unknown", "skip_unknown", "encode"];

/// One `[codes.NAME]` table as written, entries in file order.
#[derive(Debug, Clone, Default)]
pub struct CodeTableSource {
    pub name: String,
    pub line: usize,
    /// (local value, canonical code, line), in file order.
    pub entries: Vec<(String, String, usize)>,
    pub fold: bool,
    pub keep_unknown: bool,
    pub skip_unknown: bool,
    /// `[codes.NAME.encode]`: canonical code -> local value, with lines.
    pub encode: Vec<(String, String, usize)>,
}
