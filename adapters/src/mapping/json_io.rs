//! JSON sources: a document whose record array sits at a JSON pointer
//! (`/armas`), read one item at a time; NDJSON, one record per line.
//!
//! The framer walks the document prefix down to the record array without
//! buffering it, keeping only the members that rules read (`/orgao`): values
//! that come before the array are available to every record, values after it
//! cannot be (the records are gone by then) and read as absent.

use std::borrow::Cow;
use std::io::{BufRead, Read, Write};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::check::{JsonSpec, Mapping};
use super::engine::{self, NativeBuilder, NativeKind, NativeRecord};
use super::paths::{JsonPath, JsonSeg, SourcePath};
use crate::adapter::{Decoded, FieldAnchor, RecordSite};
use crate::error::{EncodeError, ErrorCode, Location, RecordError};
use crate::framing::{LineFramer, TextPosition};
use crate::limits::Limits;
use crate::model::Message;

const CHUNK: usize = 64 * 1024;

/// A byte cursor with line/column tracking over a fixed buffer.
struct Cursor<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    position: TextPosition,
}

impl<R: Read> Cursor<R> {
    fn new(inner: R) -> Cursor<R> {
        Cursor {
            inner,
            buf: vec![0; CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            position: TextPosition::default(),
        }
    }

    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        if self.start >= self.end {
            loop {
                match self.inner.read(&mut self.buf) {
                    Ok(0) => return Ok(None),
                    Ok(n) => {
                        self.start = 0;
                        self.end = n;
                        break;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(self.buf.get(self.start).copied())
    }

    fn bump(&mut self) -> std::io::Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.start += 1;
            self.position.advance(b);
        }
        Ok(b)
    }

    fn skip_ws(&mut self) -> std::io::Result<Option<u8>> {
        if self.position.byte_offset == 0 && self.peek()? == Some(0xEF) {
            let bom = self.buf.get(self.start..self.start + 3) == Some(&[0xEF, 0xBB, 0xBF][..]);
            if bom {
                self.start += 3;
                self.position.byte_offset += 3;
            }
        }
        while let Some(b) = self.peek()? {
            if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                self.bump()?;
            } else {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
}

/// One record item and where it starts.
struct Frame {
    bytes: Vec<u8>,
    index: u64,
    start: TextPosition,
}

enum State {
    Start,
    Items { first: bool },
    After,
    Done,
}

/// Streams the items of the record array of a JSON document.
struct JsonRecords<R> {
    cursor: Cursor<R>,
    records: Vec<String>,
    /// Absolute pointers (`/orgao`) that rules read.
    wanted: Vec<String>,
    document: Map<String, Value>,
    limits: Limits,
    state: State,
    index: u64,
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

impl<R: Read> JsonRecords<R> {
    fn fatal(&self, code: ErrorCode, reason: impl Into<String>) -> RecordError {
        RecordError::new(code, reason)
            .at(self.cursor.position.location())
            .fatal()
    }

    fn unexpected(&self, found: Option<u8>, expected: &str) -> RecordError {
        let found = match found {
            Some(b) if b.is_ascii_graphic() => format!("`{}`", b as char),
            Some(b) => format!("byte 0x{b:02X}"),
            None => "end of input".to_string(),
        };
        self.fatal(
            ErrorCode::Syntax,
            format!("expected {expected}, found {found}"),
        )
    }

    fn records_pointer(&self) -> String {
        self.records
            .iter()
            .map(|s| format!("/{}", escape(s)))
            .collect()
    }

    fn ws(&mut self) -> Result<Option<u8>, RecordError> {
        self.cursor.skip_ws().map_err(|e| RecordError::io(&e))
    }

    fn expect_byte(&mut self, byte: u8, what: &str) -> Result<(), RecordError> {
        match self.ws()? {
            Some(b) if b == byte => {
                self.cursor.bump().map_err(|e| RecordError::io(&e))?;
                Ok(())
            }
            other => Err(self.unexpected(other, what)),
        }
    }

    /// Reads a member name; the cursor is on its opening quote.
    fn read_key(&mut self) -> Result<String, RecordError> {
        let io = |e: std::io::Error| RecordError::io(&e);
        let mut raw = vec![b'"'];
        self.cursor.bump().map_err(io)?;
        let mut escaped = false;
        loop {
            let Some(b) = self.cursor.bump().map_err(io)? else {
                return Err(self.unexpected(None, "the end of a member name"));
            };
            raw.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                break;
            }
            if raw.len() > self.limits.max_field_chars * 4 {
                return Err(self.fatal(ErrorCode::Limit, "member name too long"));
            }
        }
        serde_json::from_slice::<String>(&raw)
            .map_err(|e| self.fatal(ErrorCode::Syntax, format!("bad member name: {e}")))
    }

    /// Scans one value, copying it when asked. Limits apply while scanning.
    fn scan_value(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<(), RecordError> {
        let io = |e: std::io::Error| RecordError::io(&e);
        let start = self.cursor.position;
        let (mut depth, mut in_string, mut escaped, mut size, mut too_deep) =
            (0usize, false, false, 0usize, false);
        loop {
            let Some(b) = self.cursor.peek().map_err(io)? else {
                return Err(RecordError::new(
                    ErrorCode::Syntax,
                    "unexpected end of input inside a value",
                )
                .at(start.location())
                .fatal());
            };
            if !in_string
                && depth == 0
                && size > 0
                && matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
            {
                break;
            }
            self.cursor.bump().map_err(io)?;
            size += 1;
            if let Some(buf) = out.as_deref_mut() {
                if size <= self.limits.max_record_bytes {
                    buf.push(b);
                }
            }
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                    if depth == 0 {
                        break;
                    }
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => {
                    depth += 1;
                    too_deep |= depth > self.limits.max_depth;
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        if too_deep {
            return Err(RecordError::new(
                ErrorCode::Limit,
                format!(
                    "nesting deeper than the limit of {} levels",
                    self.limits.max_depth
                ),
            )
            .at(start.location()));
        }
        if out.is_some() && size > self.limits.max_record_bytes {
            return Err(RecordError::new(
                ErrorCode::Limit,
                format!(
                    "record of {size} bytes exceeds the limit of {} bytes",
                    self.limits.max_record_bytes
                ),
            )
            .at(start.location()));
        }
        Ok(())
    }

    fn is_wanted(&self, pointer: &str) -> bool {
        self.wanted.iter().any(|w| {
            w == pointer
                || w.strip_prefix(pointer)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    /// Walks from the document start to the record array, keeping wanted members.
    fn open(&mut self) -> Result<(), RecordError> {
        let io = |e: std::io::Error| RecordError::io(&e);
        let target = self.records_pointer();
        let mut pointer = String::new();
        let records = self.records.clone();
        for segment in &records {
            let here = if pointer.is_empty() {
                "/".to_string()
            } else {
                pointer.clone()
            };
            match self.ws()? {
                Some(b'{') => {
                    self.cursor.bump().map_err(io)?;
                }
                other => {
                    return Err(self.unexpected(
                        other,
                        &format!("an object at {here} (the records are at {target})"),
                    ))
                }
            }
            let mut first = true;
            loop {
                match self.ws()? {
                    Some(b'}') if first => {
                        return Err(self.fatal(
                            ErrorCode::Structure,
                            format!("the document has no {target} array"),
                        ))
                    }
                    Some(b'"') => {}
                    other => return Err(self.unexpected(other, "a member name")),
                }
                first = false;
                let key = self.read_key()?;
                self.expect_byte(b':', "`:`")?;
                self.ws()?;
                let child = format!("{pointer}/{}", escape(&key));
                if &key == segment {
                    pointer = child;
                    break;
                }
                if self.is_wanted(&child) {
                    let mut bytes = Vec::new();
                    self.scan_value(Some(&mut bytes))
                        .map_err(RecordError::fatal)?;
                    let value: Value = serde_json::from_slice(&bytes)
                        .map_err(|e| self.fatal(ErrorCode::Syntax, format!("in {child}: {e}")))?;
                    insert_pointer(&mut self.document, &child, value);
                } else {
                    self.scan_value(None).map_err(RecordError::fatal)?;
                }
                match self.ws()? {
                    Some(b',') => {
                        self.cursor.bump().map_err(io)?;
                    }
                    Some(b'}') => {
                        return Err(self.fatal(
                            ErrorCode::Structure,
                            format!("the document has no {target} array"),
                        ))
                    }
                    other => return Err(self.unexpected(other, "`,` or `}`")),
                }
            }
        }
        match self.ws()? {
            Some(b'[') => {
                self.cursor.bump().map_err(io)?;
                Ok(())
            }
            other => Err(self.unexpected(
                other,
                &format!(
                    "the record array at {}",
                    if target.is_empty() {
                        "the top of the document"
                    } else {
                        &target
                    }
                ),
            )),
        }
    }

    /// After the array: skips the rest of the enclosing objects and checks the end.
    fn close(&mut self) -> Result<(), RecordError> {
        let io = |e: std::io::Error| RecordError::io(&e);
        for _ in 0..self.records.len() {
            loop {
                match self.ws()? {
                    Some(b'}') => {
                        self.cursor.bump().map_err(io)?;
                        break;
                    }
                    Some(b',') => {
                        self.cursor.bump().map_err(io)?;
                        match self.ws()? {
                            Some(b'"') => {}
                            other => return Err(self.unexpected(other, "a member name")),
                        }
                        self.read_key()?;
                        self.expect_byte(b':', "`:`")?;
                        self.ws()?;
                        self.scan_value(None).map_err(RecordError::fatal)?;
                    }
                    other => return Err(self.unexpected(other, "`,` or `}`")),
                }
            }
        }
        match self.ws()? {
            None => Ok(()),
            other => Err(self.unexpected(other, "the end of the document")),
        }
    }

    fn step(&mut self) -> Result<Option<Frame>, RecordError> {
        let io = |e: std::io::Error| RecordError::io(&e);
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::Start => {
                    self.open()?;
                    self.state = State::Items { first: true };
                }
                State::After => {
                    self.state = State::Done;
                    self.close()?;
                    return Ok(None);
                }
                State::Items { first } => {
                    match self.ws()? {
                        Some(b']') => {
                            self.cursor.bump().map_err(io)?;
                            self.state = State::After;
                            continue;
                        }
                        Some(b',') if !first => {
                            self.cursor.bump().map_err(io)?;
                            self.ws()?;
                        }
                        Some(_) if first => {}
                        other => return Err(self.unexpected(other, "`,` or `]`")),
                    }
                    self.state = State::Items { first: false };
                    let start = self.cursor.position;
                    let index = self.index;
                    self.index += 1;
                    let mut bytes = Vec::with_capacity(512);
                    return match self.scan_value(Some(&mut bytes)) {
                        Ok(()) => Ok(Some(Frame {
                            bytes,
                            index,
                            start,
                        })),
                        Err(mut e) => {
                            e.location.record = Some(index + 1);
                            Err(e)
                        }
                    };
                }
            }
        }
    }
}

/// Puts a value at an absolute pointer in a document being assembled.
fn insert_pointer(document: &mut Map<String, Value>, pointer: &str, value: Value) {
    let parts: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut map = document;
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            map.insert(part.clone(), value);
            return;
        }
        if !matches!(map.get(part), Some(Value::Object(_))) {
            map.insert(part.clone(), Value::Object(Map::new()));
        }
        match map.get_mut(part).and_then(Value::as_object_mut) {
            Some(inner) => map = inner,
            None => return,
        }
    }
}

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
    let mut framer = JsonRecords {
        cursor: Cursor::new(input),
        records: spec.records.clone(),
        wanted,
        document: Map::new(),
        limits,
        state: State::Start,
        index: 0,
    };
    let prefix = framer.records_pointer();
    let mut document = None;
    std::iter::from_fn(move || {
        let next = match framer.step() {
            Ok(Some(frame)) => Ok(frame),
            Ok(None) => return None,
            Err(e) => {
                if e.fatal {
                    framer.state = State::Done;
                }
                return Some(Err(e));
            }
        };
        let document = document.get_or_insert_with(|| Value::Object(framer.document.clone()));
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
        let mut framer = JsonRecords {
            cursor: Cursor::new(text.as_bytes()),
            records: records.iter().map(|s| s.to_string()).collect(),
            wanted: wanted.iter().map(|s| s.to_string()).collect(),
            document: Map::new(),
            limits: Limits::default(),
            state: State::Start,
            index: 0,
        };
        let mut out = Vec::new();
        loop {
            match framer.step() {
                Ok(Some(frame)) => out.push(Ok(String::from_utf8_lossy(&frame.bytes).into_owned())),
                Ok(None) => break,
                Err(e) => {
                    let fatal = e.fatal;
                    out.push(Err(e));
                    if fatal {
                        break;
                    }
                }
            }
        }
        (out, framer.document)
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
