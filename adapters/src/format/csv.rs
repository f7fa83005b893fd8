//! Canonical CSV (`iarms-csv`): one message per row, flat columns derived from the
//! schema (see `docs/formats/iarms-csv.md`).
//!
//! - Columns are the schema's fields in order, nested objects as dotted names
//!   (`firearm.make`, `event.place.country`); the header's fields are promoted to
//!   plain names (`message_id`, `correlation_id`, `schema_version`, `flags`).
//! - The first column, `kind`, names the message kind; a file written by the
//!   gateway holds one kind, a file read may mix kinds.
//! - Lists sit in one cell: items separated by `|`; an object item is
//!   `key=value` pairs separated by `;` (`text=IMBEL;location=frame|text=IMP PY 2019`).
//!   `\` escapes `|`, `;`, `=` and itself.
//! - An empty cell is an absent value.
//! - Spreadsheet formulas are neutralised (see [`FormulaPolicy`]): a cell a
//!   spreadsheet would run (`=`, `+`, `-`, `@`, tab, CR first) is written with a
//!   leading `'`, and a cell that starts with `'` gets one more; the reader strips
//!   one leading `'`, so decoding what was encoded gives the same message.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::value::{parse_scalar, scalar_text};
use crate::error::EncodeError;
use crate::model::MessageKind;
use crate::schema::{shape, FieldShape, ObjectShape, ScalarType};

/// The column that names each row's message kind.
pub const KIND_COLUMN: &str = "kind";

#[derive(Debug, Clone, PartialEq)]
pub enum ColumnShape {
    Scalar(ScalarType),
    ScalarList(ScalarType),
    ObjectList(ObjectShape),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header name, e.g. `firearm.markings`.
    pub name: String,
    /// Path of the value in the message's JSON form, e.g. `["firearm", "markings"]`.
    pub path: Vec<String>,
    pub shape: ColumnShape,
}

/// The columns of one message kind, and the (required) objects that must exist
/// even when all their columns are empty.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvLayout {
    pub kind: MessageKind,
    pub columns: Vec<Column>,
    required_objects: Vec<Vec<String>>,
    by_name: HashMap<String, usize>,
}

static LAYOUTS: LazyLock<Vec<CsvLayout>> = LazyLock::new(|| {
    MessageKind::ALL
        .iter()
        .map(|k| CsvLayout::derive(*k))
        .collect()
});

/// The CSV layout of a message kind.
#[allow(clippy::indexing_slicing)] // LAYOUTS is built from MessageKind::ALL: one per kind
pub fn layout(kind: MessageKind) -> &'static CsvLayout {
    &LAYOUTS[kind as usize]
}

/// True when a column name belongs to some kind's layout.
pub fn is_known_column(name: &str) -> bool {
    name == KIND_COLUMN || LAYOUTS.iter().any(|l| l.by_name.contains_key(name))
}

impl CsvLayout {
    fn derive(kind: MessageKind) -> CsvLayout {
        let mut columns = Vec::new();
        let mut required_objects = Vec::new();
        flatten(
            shape::of(kind),
            &mut Vec::new(),
            &mut columns,
            &mut required_objects,
        );
        let by_name = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        CsvLayout {
            kind,
            columns,
            required_objects,
            by_name,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.by_name.get(name).and_then(|&i| self.columns.get(i))
    }

    /// The header row: `kind` then every column.
    pub fn header(&self) -> Vec<&str> {
        std::iter::once(KIND_COLUMN)
            .chain(self.columns.iter().map(|c| c.name.as_str()))
            .collect()
    }

    /// A message's JSON form as cells in header order (without the `kind` cell),
    /// each guarded against spreadsheet formulas as `formulas` says.
    pub fn encode_row(
        &self,
        message: &Value,
        formulas: FormulaPolicy,
    ) -> Result<Vec<String>, EncodeError> {
        self.columns
            .iter()
            .map(|column| {
                let mut value = message;
                for key in &column.path {
                    match value.get(key) {
                        Some(v) => value = v,
                        None => return Ok(String::new()),
                    }
                }
                encode_cell(value, &column.shape)
                    .map(|cell| guard_canonical_cell(cell, formulas))
                    .map_err(|reason| EncodeError::Invalid(format!("{}: {reason}", column.name)))
            })
            .collect()
    }

    /// Builds the JSON form of a message from (column, cell) pairs. Errors name the column.
    pub fn decode_row<'a>(
        &self,
        cells: impl Iterator<Item = (&'a Column, &'a str)>,
    ) -> Result<Value, (String, String)> {
        let mut root = Map::new();
        root.insert(KIND_COLUMN.to_string(), Value::from(self.kind.tag()));
        for path in &self.required_objects {
            insert_at(&mut root, path, Value::Object(Map::new()), false);
        }
        for (column, cell) in cells {
            if cell.is_empty() {
                continue;
            }
            let cell = unguard_canonical_cell(cell);
            let value = decode_cell(cell, &column.shape).map_err(|r| (column.name.clone(), r))?;
            insert_at(&mut root, &column.path, value, true);
        }
        Ok(Value::Object(root))
    }
}

/// What a CSV encoder does with a cell a spreadsheet would run as a formula
/// (CSV injection, OWASP): a cell starting with `=`, `+`, `-`, `@`, tab or CR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FormulaPolicy {
    /// Prefix such a cell with `'`, which spreadsheets read as "this is text".
    #[default]
    Escape,
    /// Write it as it is (for consumers that are programs, not spreadsheets).
    Keep,
}

impl FormulaPolicy {
    /// The policy named on the command line: `escape` or `keep`.
    pub fn parse(name: &str) -> Option<FormulaPolicy> {
        match name {
            "escape" => Some(FormulaPolicy::Escape),
            "keep" => Some(FormulaPolicy::Keep),
            _ => None,
        }
    }
}

/// The text a spreadsheet prefix marks a cell as literal text with.
pub const FORMULA_GUARD: char = '\'';

/// True when a spreadsheet would evaluate the cell: it starts with `=`, `+`,
/// `-`, `@`, tab or CR. A plain negative number (`-12.5`, `-3`) is not a
/// formula: spreadsheets read it as a number, and prefixing it would turn
/// numeric columns (negative coordinates, corrections) into text.
pub fn is_formula(cell: &str) -> bool {
    match cell.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => !is_plain_negative_number(cell),
        _ => false,
    }
}

/// `-` followed by digits with at most one decimal point between digits.
fn is_plain_negative_number(cell: &str) -> bool {
    let Some(digits) = cell.strip_prefix('-') else {
        return false;
    };
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// A native (mapping) CSV cell as written: a formula is prefixed with `'` when
/// the policy says so. Native formats have no escape for a leading `'`, so a
/// reader strips the guard only where it precedes a formula character.
pub fn guard_formula(cell: String, policy: FormulaPolicy) -> String {
    if policy == FormulaPolicy::Escape && is_formula(&cell) {
        format!("{FORMULA_GUARD}{cell}")
    } else {
        cell
    }
}

/// The inverse of [`guard_formula`] for readers of native CSV.
pub fn unguard_formula(cell: &str) -> &str {
    match cell.strip_prefix(FORMULA_GUARD) {
        Some(rest) if is_formula(rest) => rest,
        _ => cell,
    }
}

/// A canonical cell as written. Besides guarding formulas, a cell that itself
/// starts with `'` gets one more (under either policy), so the reader can
/// always strip exactly one leading `'` and `decode(encode(x)) == x`.
fn guard_canonical_cell(cell: String, policy: FormulaPolicy) -> String {
    if cell.starts_with(FORMULA_GUARD) || (policy == FormulaPolicy::Escape && is_formula(&cell)) {
        format!("{FORMULA_GUARD}{cell}")
    } else {
        cell
    }
}

/// A canonical cell as read: one leading `'` is the writer's guard.
fn unguard_canonical_cell(cell: &str) -> &str {
    cell.strip_prefix(FORMULA_GUARD).unwrap_or(cell)
}

fn flatten(
    object: &ObjectShape,
    prefix: &mut Vec<String>,
    columns: &mut Vec<Column>,
    required_objects: &mut Vec<Vec<String>>,
) {
    for (name, field) in &object.fields {
        prefix.push(name.clone());
        match field {
            FieldShape::Scalar(scalar) => {
                columns.push(column(prefix, ColumnShape::Scalar(*scalar)))
            }
            FieldShape::Object(inner) => {
                if object.is_required(name) {
                    required_objects.push(prefix.clone());
                }
                flatten(inner, prefix, columns, required_objects);
            }
            FieldShape::List { item, .. } => {
                let shape = match item.as_ref() {
                    FieldShape::Scalar(scalar) => ColumnShape::ScalarList(*scalar),
                    FieldShape::Object(inner) => ColumnShape::ObjectList(inner.clone()),
                    // Not in the v1 model; a list of lists would need a new cell syntax.
                    FieldShape::List { .. } => ColumnShape::ScalarList(ScalarType::String),
                };
                columns.push(column(prefix, shape));
            }
        }
        prefix.pop();
    }
}

fn column(path: &[String], shape: ColumnShape) -> Column {
    // The header's fields are promoted: `message_id`, not `header.message_id`.
    let visible: &[String] = match path.first().map(String::as_str) {
        Some("header") => path.get(1..).unwrap_or_default(),
        _ => path,
    };
    Column {
        name: visible.join("."),
        path: path.to_vec(),
        shape,
    }
}

fn insert_at(root: &mut Map<String, Value>, path: &[String], value: Value, overwrite: bool) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut map = root;
    for key in parents {
        let entry = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(inner) = entry else { return };
        map = inner;
    }
    if overwrite || !map.contains_key(last) {
        map.insert(last.clone(), value);
    }
}

const LIST_SEP: char = '|';
const PAIR_SEP: char = ';';
const KEY_SEP: char = '=';

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        if matches!(c, '\\' | LIST_SEP | PAIR_SEP | KEY_SEP) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Splits on an unescaped separator, keeping escapes for the next level.
fn split_escaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                if let Some(last) = parts.last_mut() {
                    last.push('\\');
                    last.push(next);
                }
            }
        } else if c == sep {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn encode_cell(value: &Value, shape: &ColumnShape) -> Result<String, String> {
    match shape {
        ColumnShape::Scalar(_) => Ok(scalar_text(value).unwrap_or_default()),
        ColumnShape::ScalarList(_) => {
            let items = value.as_array().ok_or("expected a list")?;
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(LIST_SEP);
                }
                escape(&scalar_text(item).unwrap_or_default(), &mut out);
            }
            Ok(out)
        }
        ColumnShape::ObjectList(item_shape) => {
            let items = value.as_array().ok_or("expected a list")?;
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(LIST_SEP);
                }
                let mut pairs = Vec::new();
                flatten_item(item, item_shape, &mut Vec::new(), &mut pairs);
                for (j, (key, text)) in pairs.iter().enumerate() {
                    if j > 0 {
                        out.push(PAIR_SEP);
                    }
                    escape(key, &mut out);
                    out.push(KEY_SEP);
                    escape(text, &mut out);
                }
            }
            Ok(out)
        }
    }
}

fn flatten_item(
    value: &Value,
    shape: &ObjectShape,
    prefix: &mut Vec<String>,
    out: &mut Vec<(String, String)>,
) {
    for (name, field) in &shape.fields {
        let Some(v) = value.get(name) else { continue };
        prefix.push(name.clone());
        match field {
            FieldShape::Object(inner) => flatten_item(v, inner, prefix, out),
            _ => {
                if let Some(text) = scalar_text(v) {
                    out.push((prefix.join("."), text));
                }
            }
        }
        prefix.pop();
    }
}

fn decode_cell(cell: &str, shape: &ColumnShape) -> Result<Value, String> {
    match shape {
        ColumnShape::Scalar(scalar) => parse_scalar(cell, *scalar),
        ColumnShape::ScalarList(scalar) => split_escaped(cell, LIST_SEP)
            .iter()
            .map(|item| parse_scalar(&unescape(item), *scalar))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        ColumnShape::ObjectList(item_shape) => {
            let mut items = Vec::new();
            for (n, item) in split_escaped(cell, LIST_SEP).iter().enumerate() {
                let mut object = Map::new();
                for pair in split_escaped(item, PAIR_SEP) {
                    if pair.is_empty() {
                        continue;
                    }
                    let mut halves = split_escaped(&pair, KEY_SEP).into_iter();
                    let key = unescape(&halves.next().unwrap_or_default());
                    let rest: Vec<String> = halves.collect();
                    if rest.is_empty() {
                        return Err(format!(
                            "item {} has \"{key}\" without `=value` (items are key=value pairs separated by `;`)",
                            n + 1
                        ));
                    }
                    let text = unescape(&rest.join("="));
                    let path: Vec<String> = key.split('.').map(str::to_string).collect();
                    let scalar = scalar_at(item_shape, &path).ok_or_else(|| {
                        let known: Vec<&str> =
                            item_shape.fields.iter().map(|(n, _)| n.as_str()).collect();
                        format!(
                            "item {} has unknown key \"{key}\" (known: {})",
                            n + 1,
                            known.join(", ")
                        )
                    })?;
                    let value = parse_scalar(&text, scalar)
                        .map_err(|reason| format!("item {} key {key}: {reason}", n + 1))?;
                    insert_at(&mut object, &path, value, true);
                }
                items.push(Value::Object(object));
            }
            Ok(Value::Array(items))
        }
    }
}

fn scalar_at(shape: &ObjectShape, path: &[String]) -> Option<ScalarType> {
    let (first, rest) = path.split_first()?;
    match (shape.field(first)?, rest.is_empty()) {
        (FieldShape::Scalar(s), true) => Some(*s),
        (FieldShape::Object(inner), false) => scalar_at(inner, rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_layout_promotes_header_and_dots_nested_fields() {
        let header = layout(MessageKind::Record).header();
        assert_eq!(
            &header[..4],
            &["kind", "message_id", "correlation_id", "schema_version"]
        );
        assert!(header.contains(&"firearm.make"));
        assert!(header.contains(&"firearm.markings"));
        assert!(header.contains(&"event.place.country"));
        assert!(!header.iter().any(|h| h.starts_with("header.")));
    }

    #[test]
    fn object_lists_round_trip_with_escapes() {
        let shape = match layout(MessageKind::Record).column("firearm.markings") {
            Some(c) => c.shape.clone(),
            None => panic!("no markings column"),
        };
        let value = serde_json::json!([
            {"text": "IMBEL", "location": "ferrolho"},
            {"text": "a|b;c=d\\e"}
        ]);
        let cell = encode_cell(&value, &shape).unwrap_or_default();
        assert_eq!(cell, "text=IMBEL;location=ferrolho|text=a\\|b\\;c\\=d\\\\e");
        assert_eq!(decode_cell(&cell, &shape), Ok(value));
    }

    #[test]
    fn formulas_are_neutralised_but_plain_negative_numbers_are_not() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "+1+2",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-",
            "-1e5",
            "-.5",
        ] {
            assert!(is_formula(formula), "{formula:?}");
            assert_eq!(
                guard_formula(formula.to_string(), FormulaPolicy::Escape),
                format!("'{formula}")
            );
            assert_eq!(
                guard_formula(formula.to_string(), FormulaPolicy::Keep),
                formula
            );
            assert_eq!(
                unguard_formula(&guard_formula(formula.to_string(), FormulaPolicy::Escape)),
                formula
            );
        }
        for plain in ["-12.5", "-3", "12", "abc", "", "'=x", "a=b"] {
            assert!(!is_formula(plain), "{plain:?}");
            assert_eq!(
                guard_formula(plain.to_string(), FormulaPolicy::Escape),
                plain
            );
        }
    }

    #[test]
    fn canonical_cells_round_trip_under_both_policies() {
        for policy in [FormulaPolicy::Escape, FormulaPolicy::Keep] {
            for text in ["=1+1", "'", "''=x", "'abc", "-4.5", "@x", "plain", "\t"] {
                let cell = guard_canonical_cell(text.to_string(), policy);
                assert_eq!(unguard_canonical_cell(&cell), text, "{policy:?} {cell:?}");
                if policy == FormulaPolicy::Escape {
                    assert!(!is_formula(&cell), "{cell:?} would run in a spreadsheet");
                }
            }
        }
    }

    #[test]
    fn encoded_rows_carry_the_guard_and_decode_back() {
        let layout = layout(MessageKind::Record);
        let message = serde_json::json!({
            "kind": "record",
            "header": {"message_id": "=cmd|' /C calc'!A0"},
            "firearm": {"make": "'quoted", "serial_number": "-42"},
        });
        let escaped = layout
            .encode_row(&message, FormulaPolicy::Escape)
            .unwrap_or_default();
        assert!(
            escaped.contains(&"'=cmd|' /C calc'!A0".to_string()),
            "{escaped:?}"
        );
        assert!(escaped.contains(&"''quoted".to_string()), "{escaped:?}");
        assert!(escaped.contains(&"-42".to_string()), "{escaped:?}");
        let kept = layout
            .encode_row(&message, FormulaPolicy::Keep)
            .unwrap_or_default();
        assert!(kept.contains(&"=cmd|' /C calc'!A0".to_string()), "{kept:?}");
        let back = layout
            .decode_row(
                layout
                    .columns
                    .iter()
                    .zip(escaped.iter().map(String::as_str)),
            )
            .unwrap_or_default();
        assert_eq!(back["header"]["message_id"], "=cmd|' /C calc'!A0");
        assert_eq!(back["firearm"]["make"], "'quoted");
    }

    #[test]
    fn unknown_item_key_names_the_known_keys() {
        let shape = match layout(MessageKind::Record).column("firearm.markings") {
            Some(c) => c.shape.clone(),
            None => panic!("no markings column"),
        };
        let err = decode_cell("txt=IMBEL", &shape).err().unwrap_or_default();
        assert!(err.contains("unknown key \"txt\""), "{err}");
        assert!(err.contains("text, location"), "{err}");
    }
}
