//! JSON sources: a document whose record array sits at a JSON pointer
//! (`/armas`), read one item at a time; NDJSON, one record per line.
//!
//! The framer walks the document prefix down to the record array without
//! buffering it, keeping only the members that rules read (`/orgao`): values
//! that come before the array are available to every record, values after it
//! cannot be (the records are gone by then) and read as absent.

use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::check::{JsonSpec, Mapping};
use super::engine::{self, NativeBuilder, NativeKind, NativeRecord};
use super::paths::{JsonPath, JsonSeg, SourcePath};
use crate::adapter::{Decoded, FieldAnchor, RecordSite};
use crate::error::{EncodeError, ErrorCode, Location, RecordError};
use crate::framing::{JsonRecordFramer, LineFramer, TextPosition};
use crate::limits::Limits;
use crate::model::Message;

/// One JSON record (and the document members kept) as the engine sees it.
struct JsonRecord<'r> {
    record: &'r Value,
    document: &'r Value,
}

fn walk<'v>(root: &'v Value, path: &JsonPath, item: Option<usize>) -> Option<&'v Value> {
    let mut value = root;
    for segment in &path.segments {
        value = match segment {
            JsonSeg::Key(k) => value.get(k)?,
            JsonSeg::Index(i) => value.get(i)?,
            JsonSeg::Each(k) => value.get(k)?.get(item?)?,
        };
    }
    Some(value)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl NativeRecord for JsonRecord<'_> {
    fn text(&self, path: &SourcePath, item: Option<usize>) -> Result<Option<Cow<'_, str>>, String> {
        let SourcePath::Json(path) = path else {
            return Ok(None);
        };
        let root = if path.absolute {
            self.document
        } else {
            self.record
        };
        match walk(root, path, item) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(Cow::Borrowed(s.as_str()))),
            Some(Value::Number(n)) => Ok(Some(Cow::Owned(n.to_string()))),
            Some(Value::Bool(b)) => Ok(Some(Cow::Owned(b.to_string()))),
            Some(other) => Err(format!(
                "expected a single value, found {}",
                type_name(other)
            )),
        }
    }

    fn count(&self, path: &SourcePath) -> Result<usize, String> {
        let SourcePath::Json(path) = path else {
            return Ok(0);
        };
        let mut value = if path.absolute {
            self.document
        } else {
            self.record
        };
        for segment in &path.segments {
            value = match segment {
                JsonSeg::Key(k) => match value.get(k) {
                    Some(v) => v,
                    None => return Ok(0),
                },
                JsonSeg::Index(i) => match value.get(i) {
                    Some(v) => v,
                    None => return Ok(0),
                },
                JsonSeg::Each(k) => {
                    return match value.get(k) {
                        None | Some(Value::Null) => Ok(0),
                        Some(Value::Array(items)) => Ok(items.len()),
                        Some(other) => {
                            Err(format!("expected an array, found {}", type_name(other)))
                        }
                    }
                }
            };
        }
        Ok(0)
    }
}

/// Turns one parsed record into a decoded message.
fn decode_value(
    mapping: &Mapping,
    record: &Value,
    document: &Value,
    location: Location,
    record_pointer: &str,
) -> Result<Decoded, RecordError> {
    let native = JsonRecord { record, document };
    let value = engine::decode(mapping, &native).map_err(|e| {
        let mut location = location.clone();
        location.pointer = Some(match e.native {
            Some(n) if n.starts_with('/') => n,
            Some(n) => format!("{record_pointer}/{n}"),
            None => record_pointer.to_string(),
        });
        RecordError::new(e.code, e.reason)
            .with_field(e.field)
            .at(location)
    })?;
    let mut site_location = location;
    site_location.pointer = Some(record_pointer.to_string());
    let site = RecordSite {
        location: site_location,
        anchor: FieldAnchor::Native(mapping.namer.clone()),
    };
    let message = crate::format::message_from_value(value).map_err(|issue| site.locate(&issue))?;
    Ok(Decoded { message, site })
}

fn parse_frame(
    bytes: &[u8],
    start: TextPosition,
    index: u64,
    pointer: &str,
) -> Result<Value, RecordError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let position = start.offset_by(e.line() as u64, e.column() as u64);
        RecordError::new(ErrorCode::Syntax, e.to_string()).at(Location {
            record: Some(index + 1),
            pointer: Some(pointer.to_string()),
            ..position.location()
        })
    })
}

pub fn decoder<'a>(
    mapping: Arc<Mapping>,
    spec: &JsonSpec,
    input: Box<dyn BufRead + 'a>,
    limits: Limits,
) -> impl Iterator<Item = Result<Decoded, RecordError>> + 'a {
    let wanted = mapping
        .rules
        .iter()
        .filter(|r| r.decode)
        .flat_map(|r| match &r.input {
            super::check::Input::From(p) => vec![p.clone()],
            super::check::Input::Concat(parts, _) => parts.clone(),
            super::check::Input::Const(_) => vec![],
        })
        .filter(SourcePath::is_absolute)
        .map(|p| p.native_name(None))
        .collect();
    let records = spec
        .records
        .iter()
        .map(|segment| format!("/{}", segment.replace('~', "~0").replace('/', "~1")))
        .collect::<String>();
    let mut framer = JsonRecordFramer::new(input, &records, wanted, limits);
    let prefix = framer.records_pointer();
    let mut document = None;
    std::iter::from_fn(move || {
        let next = framer.next()?;
        let document = document.get_or_insert_with(|| Value::Object(framer.document().clone()));
        Some(next.and_then(|frame| {
            let pointer = format!("{prefix}/{}", frame.index);
            let record = parse_frame(&frame.bytes, frame.start, frame.index, &pointer)?;
            let location = Location {
                record: Some(frame.index + 1),
                line: Some(frame.start.line),
                column: Some(frame.start.column),
                ..Location::default()
            };
            decode_value(&mapping, &record, document, location, &pointer)
        }))
    })
}

pub fn ndjson_decoder<'a>(
    mapping: Arc<Mapping>,
    input: Box<dyn BufRead + 'a>,
    limits: Limits,
) -> impl Iterator<Item = Result<Decoded, RecordError>> + 'a {
    let empty = Value::Object(Map::new());
    LineFramer::new(input, limits).map(move |frame| {
        let frame = frame?;
        let record = parse_frame(&frame.bytes, frame.start, frame.index, "")?;
        let location = Location {
            record: Some(frame.index + 1),
            line: Some(frame.start.line),
            ..Location::default()
        };
        decode_value(&mapping, &record, &empty, location, "")
    })
}

/// A record (and document members) being built.
struct JsonOut {
    record: Value,
    document: Value,
}

fn typed(text: String, kind: NativeKind) -> Value {
    match kind {
        NativeKind::Number => match serde_json::from_str::<serde_json::Number>(&text) {
            Ok(n) => Value::Number(n),
            Err(_) => Value::String(text),
        },
        NativeKind::Boolean => match text.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text),
        },
        NativeKind::Text => Value::String(text),
    }
}

fn object(value: &mut Value) -> Option<&mut Map<String, Value>> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    value.as_object_mut()
}

fn index_slot(value: &mut Value, index: usize) -> Option<&mut Value> {
    if !value.is_array() {
        *value = Value::Array(Vec::new());
    }
    let items = value.as_array_mut()?;
    if items.len() <= index {
        items.resize(index + 1, Value::Null);
    }
    items.get_mut(index)
}

/// The place of a path in a record being built, created on the way.
fn slot<'v>(
    value: &'v mut Value,
    segments: &[JsonSeg],
    item: Option<usize>,
) -> Option<&'v mut Value> {
    let Some((first, rest)) = segments.split_first() else {
        return Some(value);
    };
    let next = match first {
        JsonSeg::Key(k) => object(value)?.entry(k.clone()).or_insert(Value::Null),
        JsonSeg::Each(k) => index_slot(
            object(value)?
                .entry(k.clone())
                .or_insert(Value::Array(Vec::new())),
            item.unwrap_or(0),
        )?,
        JsonSeg::Index(n) => index_slot(value, *n)?,
    };
    slot(next, rest, item)
}

impl NativeBuilder for JsonOut {
    fn set(&mut self, path: &SourcePath, item: Option<usize>, text: String, kind: NativeKind) {
        let SourcePath::Json(path) = path else { return };
        let root = if path.absolute {
            &mut self.document
        } else {
            &mut self.record
        };
        if let Some(slot) = slot(root, &path.segments, item) {
            *slot = typed(text, kind);
        }
    }

    fn has(&self, path: &SourcePath, item: Option<usize>) -> bool {
        let SourcePath::Json(path) = path else {
            return false;
        };
        let root = if path.absolute {
            &self.document
        } else {
            &self.record
        };
        walk(root, path, item).is_some_and(|v| !v.is_null())
    }

    fn ensure_list(&mut self, path: &SourcePath) {
        let SourcePath::Json(path) = path else { return };
        let Some(position) = path
            .segments
            .iter()
            .position(|s| matches!(s, JsonSeg::Each(_)))
        else {
            return;
        };
        let (before, each) = path.segments.split_at(position);
        if let (Some(parent), Some(JsonSeg::Each(k))) =
            (slot(&mut self.record, before, None), each.first())
        {
            if let Some(map) = object(parent) {
                if !matches!(map.get(k), Some(Value::Array(_))) {
                    map.insert(k.clone(), Value::Array(Vec::new()));
                }
            }
        }
    }
}

/// Removes nulls left by list items no rule filled.
fn clean(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(clean);
        }
        Value::Array(items) => items.iter_mut().for_each(clean),
        _ => {}
    }
}

pub struct JsonEncoder<'a> {
    mapping: Arc<Mapping>,
    records: Option<Vec<String>>,
    out: Box<dyn Write + 'a>,
    started: bool,
    first: bool,
    document: Option<Map<String, Value>>,
}

pub fn encoder<'a>(
    mapping: Arc<Mapping>,
    records: Option<Vec<String>>,
    out: Box<dyn Write + 'a>,
) -> JsonEncoder<'a> {
    JsonEncoder {
        mapping,
        records,
        out,
        started: false,
        first: true,
        document: None,
    }
}

impl JsonEncoder<'_> {
    /// Writes the document up to the opening `[` of the record array.
    fn start(&mut self, document: &Map<String, Value>) -> Result<(), EncodeError> {
        self.started = true;
        let Some(records) = &self.records else {
            return Ok(());
        };
        let mut text = String::new();
        let mut level: Option<&Map<String, Value>> = Some(document);
        for segment in records {
            text.push('{');
            if let Some(map) = level {
                for (key, value) in map.iter().filter(|(k, _)| *k != segment) {
                    text.push_str(
                        &serde_json::to_string(key)
                            .map_err(|e| EncodeError::Invalid(e.to_string()))?,
                    );
                    text.push(':');
                    text.push_str(
                        &serde_json::to_string(value)
                            .map_err(|e| EncodeError::Invalid(e.to_string()))?,
                    );
                    text.push(',');
                }
            }
            text.push_str(
                &serde_json::to_string(segment).map_err(|e| EncodeError::Invalid(e.to_string()))?,
            );
            text.push(':');
            level = level
                .and_then(|m| m.get(segment))
                .and_then(Value::as_object);
        }
        text.push('[');
        self.out.write_all(text.as_bytes())?;
        Ok(())
    }
}

impl crate::adapter::MessageEncoder for JsonEncoder<'_> {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        super::adapter::check_kind(&self.mapping, message)?;
        let value =
            serde_json::to_value(message).map_err(|e| EncodeError::Invalid(e.to_string()))?;
        let mut out = JsonOut {
            record: Value::Object(Map::new()),
            document: Value::Object(Map::new()),
        };
        engine::encode(&self.mapping, &value, &mut out)?;
        let mut record = out.record;
        clean(&mut record);
        let document = match out.document {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        match &self.document {
            None => {
                self.start(&document)?;
                self.document = Some(document);
            }
            Some(written) => {
                for (key, value) in &document {
                    if written.get(key) != Some(value) {
                        return Err(EncodeError::Invalid(format!(
                            "document member /{key} of this message ({value}) differs from the one already written for the document ({}); write such messages to separate files",
                            written.get(key).map(Value::to_string).unwrap_or_else(|| "absent".to_string())
                        )));
                    }
                }
            }
        }
        let text =
            serde_json::to_string(&record).map_err(|e| EncodeError::Invalid(e.to_string()))?;
        if self.records.is_some() {
            self.out
                .write_all(if self.first { b"\n" } else { b",\n" })?;
        }
        self.first = false;
        self.out.write_all(text.as_bytes())?;
        if self.records.is_none() {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), EncodeError> {
        if !self.started {
            self.start(&Map::new())?;
        }
        if let Some(records) = &self.records {
            let closing = format!(
                "{}]{}\n",
                if self.first { "" } else { "\n" },
                "}".repeat(records.len())
            );
            self.out.write_all(closing.as_bytes())?;
        }
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(
        text: &str,
        records: &[&str],
        wanted: &[&str],
    ) -> (Vec<Result<String, RecordError>>, Map<String, Value>) {
        let pointer: String = records.iter().map(|s| format!("/{s}")).collect();
        let mut framer = JsonRecordFramer::new(
            text.as_bytes(),
            &pointer,
            wanted.iter().map(|s| s.to_string()).collect(),
            Limits::default(),
        );
        let out = framer
            .by_ref()
            .map(|frame| frame.map(|f| String::from_utf8_lossy(&f.bytes).into_owned()))
            .collect();
        (out, framer.document().clone())
    }

    #[test]
    fn streams_items_of_a_nested_array_and_keeps_wanted_prefix_members() {
        let text = "\u{feff}{\"orgao\": \"PF\", \"skip\": [1, {\"a\": \"]\"}], \"data\": {\"n\": 2, \"items\": [{\"x\": 1}, {\"x\": \"2\"}]}, \"after\": true}";
        let (frames, document) = scan(text, &["data", "items"], &["/orgao", "/data/n"]);
        let frames: Vec<String> = frames
            .into_iter()
            .map(|f| f.unwrap_or_else(|e| panic!("{e}")))
            .collect();
        assert_eq!(frames, ["{\"x\": 1}", "{\"x\": \"2\"}"]);
        assert_eq!(
            Value::Object(document).to_string(),
            r#"{"orgao":"PF","data":{"n":2}}"#
        );
    }

    #[test]
    fn missing_array_and_trailing_garbage_are_fatal() {
        let (frames, _) = scan("{\"a\": 1}", &["armas"], &[]);
        assert!(frames[0]
            .as_ref()
            .err()
            .is_some_and(|e| e.fatal && e.reason.contains("no /armas array")));
        let (frames, _) = scan("[1, 2] x", &[], &[]);
        assert_eq!(frames.len(), 3);
        assert!(frames[2].as_ref().err().is_some_and(|e| e.fatal));
    }
}
