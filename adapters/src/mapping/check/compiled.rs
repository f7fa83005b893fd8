//! What a mapping compiles to: the source format, the rules and the encode
//! plan the engine runs on.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::adapter::NativeNamer;
use crate::codes::calibres::Convention;
use crate::mapping::codes::CodeTable;
use crate::mapping::paths::{CanonPath, SourcePath, XmlName};
use crate::mapping::MappingIssue;
use crate::model::MessageKind;
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
    /// `strict = true`: an unrecognised value of this descriptive field
    /// rejects the record instead of being kept and flagged.
    pub strict: bool,
    /// A regional calibre convention the registry follows.
    pub convention: Option<Convention>,
    /// Where the native text goes when a code table or a convention turned a
    /// calibre into its canonical name (`firearm.calibre_as_recorded`), so the
    /// registry's own spelling is kept as the normaliser keeps it.
    pub recorded: Option<CanonPath>,
    /// `absent`/`illegible` on a serial field (`None` elsewhere).
    pub sentinels: Option<crate::normalise::serial::Sentinels>,
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
