//! Decoding one native record into a canonical message, and encoding one
//! canonical message into a native record, by running a compiled mapping's
//! rules. The engine does not know the native format: it reads through
//! [`NativeRecord`] and writes through [`NativeBuilder`], which the CSV, JSON
//! and XML sides implement.
//!
//! Decoding builds the message's JSON form rule by rule and types it with the
//! same function the canonical codecs use ([`crate::format::message_from_value`]),
//! so a mapping-read message is exactly what a canonical reader would produce.
//! The header is derived: `message_id` is a UUID v5 of the mapping name and the
//! message's identity (for a record: owner country and agency, record id,
//! version), so a native record sent twice gets the same id.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde_json::{Map, Number, Value};
use uuid::Uuid;

use super::check::{CountryForm, EncodeMode, EncodeStep, Input, Mapping, Rule, Split};
use super::codes::Decoded as CodeLookup;
use super::paths::{CanonPath, SourcePath};
use crate::codes::countries;
use crate::error::{EncodeError, ErrorCode};
use crate::format::value::{parse_scalar, scalar_text};
use crate::model::{MessageKind, SCHEMA_VERSION};
use crate::normalise::{date, strictness};
use crate::schema::ScalarType;

/// Read access to one native record.
pub trait NativeRecord {
    /// The text at `path` (`item` picks the item of a repeating path); `None` when absent.
    fn text(&self, path: &SourcePath, item: Option<usize>) -> Result<Option<Cow<'_, str>>, String>;
    /// How many items a repeating path has in this record.
    fn count(&self, path: &SourcePath) -> Result<usize, String>;
    /// The line of the value, when the format knows it.
    fn line(&self, _path: &SourcePath, _item: Option<usize>) -> Option<u64> {
        None
    }
}

/// What a native value is, for formats that type their values (JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeKind {
    Text,
    Number,
    Boolean,
}

/// Write access to one native record being built.
pub trait NativeBuilder {
    fn set(&mut self, path: &SourcePath, item: Option<usize>, text: String, kind: NativeKind);
    /// True when the field already has a value (the first rule writing it wins).
    fn has(&self, path: &SourcePath, item: Option<usize>) -> bool;
    /// Makes a repeating field exist even with no items (`"marcacoes": []`).
    fn ensure_list(&mut self, _path: &SourcePath) {}
}

/// A problem with one field of a native record, in both vocabularies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub code: ErrorCode,
    /// Canonical field, with the list index where there is one (`firearm.markings.1.text`).
    pub field: String,
    /// Native name of the value (see [`SourcePath::native_name`]).
    pub native: Option<String>,
    pub line: Option<u64>,
    pub reason: String,
}

static NAMESPACE: LazyLock<Uuid> =
    LazyLock::new(|| Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:iarms-gateway:mapping"));

/// The canonical fields that identify a message of each kind (for its derived id).
fn identity_fields(kind: MessageKind) -> &'static [&'static str] {
    match kind {
        MessageKind::Record => &["owner_country", "owner_agency", "record_id", "version"],
        MessageKind::Search => &["searching_country", "searching_agency", "search_id"],
        MessageKind::HitNotification => &[
            "searching_country",
            "search_id",
            "matched_record.owner_country",
            "matched_record.owner_agency",
            "matched_record.record_id",
        ],
        MessageKind::TraceRequest => &["requesting_country", "requesting_agency", "trace_id"],
        MessageKind::TraceResponse => &["responding_country", "responding_agency", "trace_id"],
    }
}

/// Which fields make the derived message id, for `explain`.
pub fn identity_description(kind: MessageKind) -> String {
    identity_fields(kind).join(", ")
}

/// The derived message id: UUID v5 of the mapping name, the kind and the identity fields.
pub fn message_id(mapping_name: &str, kind: MessageKind, message: &Map<String, Value>) -> Uuid {
    let mut name = String::with_capacity(96);
    name.push_str(mapping_name);
    name.push('\u{1f}');
    name.push_str(kind.tag());
    for field in identity_fields(kind) {
        name.push('\u{1f}');
        let mut value = message.get(field.split('.').next().unwrap_or_default());
        for part in field.split('.').skip(1) {
            value = value.and_then(|v| v.get(part));
        }
        match value.and_then(scalar_text) {
            Some(text) => name.push_str(&text),
            None if *field == "version" => name.push('1'),
            None => {}
        }
    }
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// Runs every decoding rule on one native record and returns the message's
/// JSON form, with `kind` and the derived header.
pub fn decode(mapping: &Mapping, record: &dyn NativeRecord) -> Result<Value, FieldError> {
    let mut root = Map::new();
    for rule in mapping.rules.iter().filter(|r| r.decode) {
        let Some(to) = &rule.to else { continue };
        if rule.each {
            decode_list(mapping, rule, to, record, &mut root)?;
        } else if let Some(value) = decode_one(mapping, rule, record, None)? {
            if let Some(recorded) = &rule.recorded {
                keep_recorded(rule, recorded, record, &value, &mut root)?;
            }
            to.insert(&mut root, None, value);
        }
    }
    apply_sentinels(mapping, &mut root);
    prune(&mut root);
    let id = match root
        .get("header")
        .and_then(|h| h.get("message_id"))
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
    {
        Some(id) => id,
        None => message_id(&mapping.name, mapping.kind, &root),
    };
    let correlation = root
        .get("header")
        .and_then(|h| h.get("correlation_id"))
        .cloned()
        .unwrap_or_else(|| Value::String(id.to_string()));
    let mut header = Map::new();
    header.insert("message_id".into(), Value::String(id.to_string()));
    header.insert("correlation_id".into(), correlation);
    header.insert("schema_version".into(), Value::from(SCHEMA_VERSION));
    root.insert("header".into(), Value::Object(header));
    root.insert("kind".into(), Value::from(mapping.kind.tag()));
    Ok(Value::Object(root))
}

fn field_error(
    rule: &Rule,
    path: Option<&SourcePath>,
    item: Option<usize>,
    record: &dyn NativeRecord,
    code: ErrorCode,
    reason: String,
) -> FieldError {
    let mut field = rule.target().to_string();
    if let Some(i) = item {
        field = field.replacen("[]", &format!(".{i}"), 1);
    }
    FieldError {
        code,
        field,
        native: path.map(|p| p.native_name(item)),
        line: path.and_then(|p| record.line(p, item)),
        reason,
    }
}

/// The native path that names a rule's value in errors.
fn primary_path(rule: &Rule) -> Option<&SourcePath> {
    match &rule.input {
        Input::From(p) => Some(p),
        Input::Concat(parts, _) => parts.first(),
        Input::Const(_) => None,
    }
}

fn trimmed<'a>(text: Cow<'a, str>, trim: bool) -> Option<Cow<'a, str>> {
    let t = if trim { text_trim(text) } else { text };
    (!t.is_empty()).then_some(t)
}

fn text_trim(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
        Cow::Owned(s) => {
            let t = s.trim();
            if t.len() == s.len() {
                Cow::Owned(s)
            } else {
                Cow::Owned(t.to_string())
            }
        }
    }
}

/// The raw native text of a single-valued rule (after trimming, joining and splitting).
fn raw_text<'r>(
    rule: &Rule,
    record: &'r dyn NativeRecord,
    item: Option<usize>,
) -> Result<Option<Cow<'r, str>>, FieldError> {
    match &rule.input {
        Input::Const(_) => Ok(None),
        Input::From(path) => {
            let text = record.text(path, item).map_err(|reason| {
                field_error(rule, Some(path), item, record, ErrorCode::Structure, reason)
            })?;
            let Some(text) = text.and_then(|t| trimmed(t, rule.trim)) else {
                return Ok(None);
            };
            match &rule.split {
                Some(Split {
                    separator,
                    part: Some(part),
                }) => {
                    let piece = text
                        .split(separator.as_str())
                        .nth(*part)
                        .map(str::trim)
                        .unwrap_or_default();
                    Ok((!piece.is_empty()).then(|| Cow::Owned(piece.to_string())))
                }
                _ => Ok(Some(text)),
            }
        }
        Input::Concat(parts, separator) => {
            let mut joined = String::new();
            for path in parts {
                let text = record.text(path, None).map_err(|reason| {
                    field_error(rule, Some(path), None, record, ErrorCode::Structure, reason)
                })?;
                if let Some(text) = text.and_then(|t| trimmed(t, rule.trim)) {
                    if !joined.is_empty() {
                        joined.push_str(separator);
                    }
                    joined.push_str(&text);
                }
            }
            Ok((!joined.is_empty()).then_some(Cow::Owned(joined)))
        }
    }
}

fn decode_one(
    mapping: &Mapping,
    rule: &Rule,
    record: &dyn NativeRecord,
    item: Option<usize>,
) -> Result<Option<Value>, FieldError> {
    if let Input::Const(value) = &rule.input {
        return Ok((!value.is_null()).then(|| value.clone()));
    }
    let text = raw_text(rule, record, item)?;
    let value = match text {
        Some(text) => transform(mapping, rule, record, item, text)?,
        None => None,
    };
    finish_value(rule, record, item, value)
}

/// Keeps the native text of a calibre that a code table or a convention
/// translated, unless another rule fills `calibre_as_recorded` itself.
fn keep_recorded(
    rule: &Rule,
    recorded: &CanonPath,
    record: &dyn NativeRecord,
    value: &Value,
    root: &mut Map<String, Value>,
) -> Result<(), FieldError> {
    if recorded.is_set_in(root) {
        return Ok(());
    }
    if let Some(text) = raw_text(rule, record, None)? {
        if value.as_str() != Some(text.as_ref()) {
            recorded.insert(root, None, Value::String(text.into_owned()));
        }
    }
    Ok(())
}

/// Default and required, once the value (or its absence) is known.
fn finish_value(
    rule: &Rule,
    record: &dyn NativeRecord,
    item: Option<usize>,
    value: Option<Value>,
) -> Result<Option<Value>, FieldError> {
    match value {
        Some(v) => Ok(Some(v)),
        None => match &rule.default {
            Some(default) => Ok(Some(default.clone())),
            None if rule.required => Err(field_error(
                rule,
                primary_path(rule),
                item,
                record,
                ErrorCode::Structure,
                "required value is missing or empty".to_string(),
            )),
            None => Ok(None),
        },
    }
}

fn decode_list(
    mapping: &Mapping,
    rule: &Rule,
    to: &CanonPath,
    record: &dyn NativeRecord,
    root: &mut Map<String, Value>,
) -> Result<(), FieldError> {
    let Input::From(path) = &rule.input else {
        return Ok(());
    };
    if path.is_each() {
        let count = record.count(path).map_err(|reason| {
            field_error(rule, Some(path), None, record, ErrorCode::Structure, reason)
        })?;
        for i in 0..count {
            if let Some(value) = decode_one(mapping, rule, record, Some(i))? {
                to.insert(root, Some(i), value);
            }
        }
        return Ok(());
    }
    // One native value split into items.
    let separator = rule
        .split
        .as_ref()
        .map(|s| s.separator.as_str())
        .unwrap_or("|");
    let text = record.text(path, None).map_err(|reason| {
        field_error(rule, Some(path), None, record, ErrorCode::Structure, reason)
    })?;
    let Some(text) = text.and_then(|t| trimmed(t, rule.trim)) else {
        return Ok(());
    };
    let mut index = 0;
    for piece in text.split(separator) {
        let piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        if let Some(value) = transform(mapping, rule, record, Some(index), Cow::Borrowed(piece))? {
            to.insert(root, Some(index), value);
            index += 1;
        }
    }
    Ok(())
}

/// A serial number that is one of its rule's `absent`/`illegible` words sets
/// the serial state beside it (unless a rule set one); the number is kept as
/// recorded and the normaliser then makes no key of it.
fn apply_sentinels(mapping: &Mapping, root: &mut Map<String, Value>) {
    for rule in mapping.rules.iter().filter(|r| r.decode) {
        let (Some(sentinels), Some(to)) = (&rule.sentinels, &rule.to) else {
            continue;
        };
        let Some(parent) = to.display.strip_suffix("serial_number") else {
            continue;
        };
        let mut node: Option<&mut Map<String, Value>> = Some(root);
        for part in parent
            .trim_end_matches('.')
            .split('.')
            .filter(|p| !p.is_empty())
        {
            node = node
                .and_then(|m| m.get_mut(part))
                .and_then(Value::as_object_mut);
        }
        let Some(firearm) = node else { continue };
        let state = firearm
            .get("serial_number")
            .and_then(Value::as_str)
            .and_then(|n| sentinels.state_of(n));
        if let Some(state) = state {
            if !firearm.contains_key("serial_state") {
                let tag = match state {
                    crate::model::SerialState::Illegible => "illegible",
                    _ => "absent",
                };
                firearm.insert("serial_state".into(), Value::from(tag));
            }
        }
    }
}

/// Codes, dates, numbers and units: native text -> canonical value.
fn transform(
    mapping: &Mapping,
    rule: &Rule,
    record: &dyn NativeRecord,
    item: Option<usize>,
    text: Cow<'_, str>,
) -> Result<Option<Value>, FieldError> {
    let invalid = |reason: String| {
        field_error(
            rule,
            primary_path(rule),
            item,
            record,
            ErrorCode::InvalidValue,
            reason,
        )
    };
    let mut text = text;
    if let Some(calibre) = rule.convention.and_then(|c| c.apply(&text)) {
        return Ok(Some(Value::String(calibre.name.clone())));
    }
    if let Some(table) = rule.codes.and_then(|i| mapping.tables.get(i)) {
        match table.decode(&text) {
            CodeLookup::Code(code) => text = Cow::Owned(code.to_string()),
            CodeLookup::Keep => {}
            CodeLookup::Skip => return finish_value(rule, record, item, None),
            // A descriptive value the table does not know is kept as recorded,
            // for the normaliser to resolve or flag (docs/model.md "Keep and flag").
            CodeLookup::Unknown if !rule.strict && strictness::is_descriptive(rule.target()) => {}
            CodeLookup::Unknown => return Err(invalid(table.unknown_message(&text))),
        }
    }
    if !rule.dates.is_empty() {
        return parse_date(rule, &text)
            .map(|d| Some(Value::String(d)))
            .map_err(invalid);
    }
    match rule.scalar {
        ScalarType::String => Ok(Some(Value::String(text.into_owned()))),
        ScalarType::Boolean => parse_scalar(&text, ScalarType::Boolean)
            .map(Some)
            .map_err(invalid),
        ScalarType::Integer | ScalarType::Number => {
            let mut number = parse_number(&text, rule.decimal_comma).map_err(&invalid)?;
            if let Some(default_unit) = rule.unit {
                let unit = match &rule.unit_from {
                    Some(path) => match record
                        .text(path, item)
                        .ok()
                        .flatten()
                        .and_then(|t| trimmed(t, true))
                    {
                        Some(u) => super::check::Unit::parse(&u).ok_or_else(|| {
                            field_error(
                                rule,
                                Some(path),
                                item,
                                record,
                                ErrorCode::InvalidValue,
                                format!("unknown unit \"{u}\" (mm, cm, m or in)"),
                            )
                        })?,
                        None => default_unit,
                    },
                    None => default_unit,
                };
                number = (number * unit.millimetres() * 100.0).round() / 100.0;
            }
            if rule.scalar == ScalarType::Integer {
                if number.fract() != 0.0 || number.abs() > 9.0e15 {
                    return Err(invalid(format!(
                        "expected a whole number, found \"{text}\""
                    )));
                }
                Ok(Some(Value::from(number as i64)))
            } else {
                Number::from_f64(number)
                    .map(|n| Some(Value::Number(n)))
                    .ok_or_else(|| invalid(format!("expected a number, found \"{text}\"")))
            }
        }
    }
}

fn parse_number(text: &str, decimal_comma: bool) -> Result<f64, String> {
    let t = text.trim();
    let normalised: Cow<'_, str> = if decimal_comma {
        if t.contains('.') {
            return Err(format!(
                "expected a number with a decimal comma (12,5), found \"{t}\""
            ));
        }
        Cow::Owned(t.replace(',', "."))
    } else {
        if t.contains(',') {
            return Err(format!(
                "expected a number with a decimal point (12.5), found \"{t}\""
            ));
        }
        Cow::Borrowed(t)
    };
    normalised
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("expected a number, found \"{t}\""))
}

/// Tries the rule's date formats in order; an impossible date wins over a shape mismatch.
fn parse_date(rule: &Rule, text: &str) -> Result<String, String> {
    let mut first_error = None;
    for format in &rule.dates {
        match date::parse_with_format(text, format) {
            Ok(d) => return Ok(d.to_iso()),
            Err(e @ date::DateError::Impossible { .. }) => return Err(e.to_string()),
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some(e.to_string());
                }
            }
        }
    }
    Err(first_error.unwrap_or_else(|| format!("\"{text}\" is not a date")))
}

/// Removes list items no rule filled (an item whose fields were all empty).
fn prune(map: &mut Map<String, Value>) {
    for value in map.values_mut() {
        match value {
            Value::Object(inner) => prune(inner),
            Value::Array(items) => {
                items.retain(|v| !v.is_null() && !v.as_object().is_some_and(Map::is_empty));
                for item in items.iter_mut() {
                    if let Value::Object(inner) = item {
                        prune(inner);
                    }
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------- encode

/// Writes one canonical message (its JSON form) into a native record.
pub fn encode(
    mapping: &Mapping,
    message: &Value,
    out: &mut dyn NativeBuilder,
) -> Result<(), EncodeError> {
    for step in &mapping.encode_plan {
        match step {
            EncodeStep::Rule(i) => {
                if let Some(rule) = mapping.rules.get(*i) {
                    encode_rule(mapping, rule, message, out)?;
                }
            }
            EncodeStep::Concat(i) => {
                let Some(rule) = mapping.rules.get(*i) else {
                    continue;
                };
                let Input::Concat(parts, separator) = &rule.input else {
                    continue;
                };
                let Some(text) = canonical_text(mapping, rule, message, None)? else {
                    continue;
                };
                let pieces: Vec<&str> = text.splitn(parts.len(), separator.as_str()).collect();
                for (path, piece) in parts.iter().zip(pieces) {
                    if !out.has(path, None) {
                        out.set(path, None, piece.to_string(), NativeKind::Text);
                    }
                }
            }
            EncodeStep::Parts {
                path,
                separator,
                parts,
            } => {
                let mut pieces: Vec<String> = Vec::new();
                for (part, i) in parts {
                    let Some(rule) = mapping.rules.get(*i) else {
                        continue;
                    };
                    if let Some(text) = canonical_text(mapping, rule, message, None)? {
                        if pieces.len() <= *part {
                            pieces.resize(part + 1, String::new());
                        }
                        if let Some(piece) = pieces.get_mut(*part) {
                            *piece = text;
                        }
                    }
                }
                while pieces.last().is_some_and(String::is_empty) {
                    pieces.pop();
                }
                if !pieces.is_empty() && !out.has(path, None) {
                    out.set(path, None, pieces.join(separator), NativeKind::Text);
                }
            }
        }
    }
    Ok(())
}

fn encode_rule(
    mapping: &Mapping,
    rule: &Rule,
    message: &Value,
    out: &mut dyn NativeBuilder,
) -> Result<(), EncodeError> {
    let Input::From(path) = &rule.input else {
        return Ok(());
    };
    if let EncodeMode::Const(text) = &rule.encode {
        if !out.has(path, None) {
            out.set(path, None, text.clone(), NativeKind::Text);
        }
        return Ok(());
    }
    if rule.each {
        let Some(to) = &rule.to else { return Ok(()) };
        let count = to.list_len(message);
        if path.is_each() {
            out.ensure_list(path);
            for i in 0..count {
                if let Some(text) = canonical_text(mapping, rule, message, Some(i))? {
                    out.set(path, Some(i), text, native_kind(rule));
                }
            }
        } else {
            let separator = rule
                .split
                .as_ref()
                .map(|s| s.separator.as_str())
                .unwrap_or("|");
            let mut items = Vec::with_capacity(count);
            for i in 0..count {
                if let Some(text) = canonical_text(mapping, rule, message, Some(i))? {
                    items.push(text);
                }
            }
            if !items.is_empty() && !out.has(path, None) {
                out.set(path, None, items.join(separator), NativeKind::Text);
            }
        }
        return Ok(());
    }
    if out.has(path, None) {
        return Ok(());
    }
    if let Some(text) = canonical_text(mapping, rule, message, None)? {
        out.set(path, None, text, native_kind(rule));
    }
    if let (Some(unit_path), Some(unit)) = (&rule.unit_from, rule.unit) {
        if out.has(path, None) && !out.has(unit_path, None) {
            out.set(unit_path, None, unit.symbol().to_string(), NativeKind::Text);
        }
    }
    Ok(())
}

/// How a rule's native value is typed (JSON writes numbers and booleans unquoted).
fn native_kind(rule: &Rule) -> NativeKind {
    if rule.codes.is_some()
        || !rule.dates.is_empty()
        || rule.country.is_some()
        || rule.decimal_comma
    {
        return NativeKind::Text;
    }
    match rule.scalar {
        ScalarType::Integer | ScalarType::Number => NativeKind::Number,
        ScalarType::Boolean => NativeKind::Boolean,
        ScalarType::String => NativeKind::Text,
    }
}

/// The canonical value a rule writes back, as native text (codes, dates, numbers, units, countries inverted).
fn canonical_text(
    mapping: &Mapping,
    rule: &Rule,
    message: &Value,
    item: Option<usize>,
) -> Result<Option<String>, EncodeError> {
    let value = match &rule.encode {
        EncodeMode::From(paths) => paths.iter().find_map(|p| p.get(message, item)),
        _ => rule.to.as_ref().and_then(|to| to.get(message, item)),
    };
    let Some(value) = value else { return Ok(None) };
    let field = rule.target();
    let invalid = |reason: String| EncodeError::Invalid(format!("{field}: {reason}"));
    let Some(mut text) = scalar_text(value) else {
        return Err(invalid("expected a single value".to_string()));
    };
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(table) = rule.codes.and_then(|i| mapping.tables.get(i)) {
        match table.encode(&text) {
            Some(local) => return Ok(Some(local.to_string())),
            None if table.keep_unknown => return Ok(Some(text)),
            None => return Err(invalid(table.unencodable_message(&text))),
        }
    }
    if !rule.dates.is_empty() {
        let parsed = date::parse_iso(&text).map_err(|e| invalid(e.to_string()))?;
        let mut first_error = None;
        for format in &rule.dates {
            match date::format_with(&parsed, format) {
                Ok(native) => return Ok(Some(native)),
                Err(e) => {
                    if first_error.is_none() {
                        first_error = Some(e.to_string());
                    }
                }
            }
        }
        return Err(invalid(first_error.unwrap_or_default()));
    }
    if let Some(form) = rule.country {
        if form != CountryForm::Alpha2 {
            let country = countries::lookup(&text)
                .ok_or_else(|| invalid(format!("unknown country \"{text}\"")))?;
            text = match form {
                CountryForm::Alpha3 => country.alpha3.clone(),
                CountryForm::Numeric => country.numeric.clone(),
                CountryForm::Name => country.name.clone(),
                CountryForm::Alpha2 => text,
            };
        }
        return Ok(Some(text));
    }
    if matches!(rule.scalar, ScalarType::Number | ScalarType::Integer) {
        if let Some(mut number) = value.as_f64() {
            if let Some(unit) = rule.unit {
                number /= unit.millimetres();
            }
            text = match rule.decimals {
                Some(d) => format!("{number:.d$}"),
                None if rule.scalar == ScalarType::Integer => value.to_string(),
                None => {
                    // Shortest text that reads back as the same number, after rounding noise of unit conversions.
                    let rounded = (number * 1e6).round() / 1e6;
                    format!("{rounded}")
                }
            };
            if rule.decimal_comma {
                text = text.replace('.', ",");
            }
        }
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_and_depend_on_identity() {
        let mut a = Map::new();
        a.insert("owner_country".into(), Value::from("RS"));
        a.insert("owner_agency".into(), Value::from("RS-MUP"));
        a.insert("record_id".into(), Value::from("KU-1"));
        let first = message_id("registry-rs", MessageKind::Record, &a);
        assert_eq!(first, message_id("registry-rs", MessageKind::Record, &a));
        assert_eq!(first.get_version_num(), 5);
        a.insert("version".into(), Value::from(1));
        assert_eq!(
            first,
            message_id("registry-rs", MessageKind::Record, &a),
            "absent version is version 1"
        );
        a.insert("version".into(), Value::from(2));
        assert_ne!(first, message_id("registry-rs", MessageKind::Record, &a));
        assert_ne!(first, message_id("registry-br", MessageKind::Record, &a));
    }

    #[test]
    fn numbers_accept_their_declared_decimal_mark_only() {
        assert_eq!(parse_number("12,5", true), Ok(12.5));
        assert!(parse_number("12.5", true).is_err());
        assert_eq!(parse_number("12.5", false), Ok(12.5));
        assert!(parse_number("12,5", false).is_err());
        assert!(parse_number("NaN", false).is_err());
    }
}
