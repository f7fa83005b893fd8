//! Splits a JSON document into the items of its record array, one at a time.
//!
//! Written by hand because serde_json streams whitespace-separated values but
//! not the elements of one array, and buffering the array would break the
//! constant-memory promise. The framer walks the document prefix down to the
//! array at a JSON pointer (`/messages`, `/armas`, `/data/items`) without
//! buffering it, keeping only the members asked for (`/orgao`): values that come
//! before the array are available to every record; values after it cannot be
//! (the records are gone by then). It finds item boundaries only (strings,
//! escapes, nesting), enforcing the depth and size limits before any parser sees
//! the bytes; each item is then parsed by serde_json.

use std::io::Read;

use serde_json::{Map, Value};

use super::cursor::ByteCursor;
use super::ByteFrame;
use crate::error::{ErrorCode, RecordError};
use crate::limits::Limits;

enum State {
    Start,
    Items { first: bool },
    After,
    Done,
}

/// Streams the items of the record array of a JSON document.
pub struct JsonRecordFramer<R> {
    cursor: ByteCursor<R>,
    /// Member names from the root down to the record array.
    records: Vec<String>,
    /// Accept a document that is itself the array, whatever `records` says.
    top_level_array: bool,
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

impl<R: Read> JsonRecordFramer<R> {
    /// A framer for the array at `records` (a JSON pointer; "" = the document is
    /// the array), keeping the document members at the absolute pointers in
    /// `wanted` that come before the array.
    pub fn new(
        reader: R,
        records: &str,
        wanted: Vec<String>,
        limits: Limits,
    ) -> JsonRecordFramer<R> {
        JsonRecordFramer {
            cursor: ByteCursor::new(reader),
            records: records
                .split('/')
                .skip(1)
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect(),
            top_level_array: false,
            wanted,
            document: Map::new(),
            limits,
            state: State::Start,
            index: 0,
        }
    }

    /// Also accepts a document that is itself the array of records (the
    /// canonical format allows `[...]` as well as `{"messages": [...]}`).
    pub fn or_top_level_array(mut self) -> JsonRecordFramer<R> {
        self.top_level_array = true;
        self
    }

    /// The kept document members, complete once the first record is out.
    pub fn document(&self) -> &Map<String, Value> {
        &self.document
    }

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

    /// The JSON pointer of the record array (`/messages`).
    pub fn records_pointer(&self) -> String {
        self.records
            .iter()
            .map(|s| format!("/{}", escape(s)))
            .collect()
    }

    fn ws(&mut self) -> Result<Option<u8>, RecordError> {
        self.cursor
            .skip_whitespace()
            .map_err(|e| RecordError::io(&e))
    }

    fn expect_byte(&mut self, byte: u8, what: &str) -> Result<(), RecordError> {
        match self.ws()? {
            Some(b) if b == byte => {
                self.cursor.next_byte().map_err(|e| RecordError::io(&e))?;
                Ok(())
            }
            other => Err(self.unexpected(other, what)),
        }
    }

    /// Reads a member name; the cursor is on its opening quote.
    fn read_key(&mut self) -> Result<String, RecordError> {
        let io = |e: std::io::Error| RecordError::io(&e);
        let mut raw = vec![b'"'];
        self.cursor.next_byte().map_err(io)?;
        let mut escaped = false;
        loop {
            let Some(b) = self.cursor.next_byte().map_err(io)? else {
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
        // Bytes of the string being scanned; a string over four bytes per
        // character of the field limit cannot fit it, whatever its escapes.
        let (mut string_bytes, mut too_long) = (0usize, false);
        let max_record_bytes = self.limits.max_record_bytes;
        let max_string_bytes = self.limits.max_field_chars * 4;
        let max_depth = self.limits.max_depth;
        loop {
            let chunk = self.cursor.buffered().map_err(io)?;
            if chunk.is_empty() {
                return Err(RecordError::new(
                    ErrorCode::Syntax,
                    "unexpected end of input inside a value",
                )
                .at(start.location())
                .fatal());
            }
            // How many bytes of this chunk belong to the value, and whether it ends here.
            let (mut used, mut ended) = (0usize, false);
            for &b in chunk {
                if !in_string
                    && depth == 0
                    && size + used > 0
                    && matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
                {
                    ended = true;
                    break;
                }
                used += 1;
                if in_string {
                    string_bytes += 1;
                    too_long |= string_bytes > max_string_bytes;
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        if depth == 0 {
                            ended = true;
                            break;
                        }
                    }
                    continue;
                }
                match b {
                    b'"' => {
                        in_string = true;
                        string_bytes = 0;
                    }
                    b'{' | b'[' => {
                        depth += 1;
                        too_deep |= depth > max_depth;
                    }
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            ended = true;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if let Some(buf) = out.as_deref_mut() {
                // Beyond the record limit nothing more is kept; the size is still counted.
                let room = max_record_bytes.saturating_sub(size);
                buf.extend_from_slice(chunk.get(..used.min(room)).unwrap_or(chunk));
            }
            size += used;
            self.cursor.consume(used);
            if ended {
                break;
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
        if too_long {
            return Err(RecordError::new(
                ErrorCode::Limit,
                format!(
                    "a string longer than the field limit of {} characters",
                    self.limits.max_field_chars
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
        if self.top_level_array && self.ws()? == Some(b'[') {
            self.records.clear();
        }
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
                    self.cursor.next_byte().map_err(io)?;
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
                        self.cursor.next_byte().map_err(io)?;
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
                self.cursor.next_byte().map_err(io)?;
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
                        self.cursor.next_byte().map_err(io)?;
                        break;
                    }
                    Some(b',') => {
                        self.cursor.next_byte().map_err(io)?;
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

    fn step(&mut self) -> Result<Option<ByteFrame>, RecordError> {
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
                            self.cursor.next_byte().map_err(io)?;
                            self.state = State::After;
                            continue;
                        }
                        Some(b',') if !first => {
                            self.cursor.next_byte().map_err(io)?;
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
                        Ok(()) => Ok(Some(ByteFrame {
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

impl<R: Read> Iterator for JsonRecordFramer<R> {
    type Item = Result<ByteFrame, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some(frame)) => Some(Ok(frame)),
            Ok(None) => None,
            Err(e) => {
                if e.fatal {
                    self.state = State::Done;
                }
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlong_string_rejects_its_record_and_the_next_one_is_read() {
        let doc = format!(
            "{{\"armas\": [{{\"serial\": \"{}\"}}, {{\"serial\": \"ok\"}}]}}",
            "9".repeat(100_000)
        );
        let frames: Vec<_> =
            JsonRecordFramer::new(doc.as_bytes(), "/armas", Vec::new(), Limits::default())
                .collect();
        assert_eq!(frames.len(), 2, "{frames:?}");
        let error = frames[0]
            .as_ref()
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert_eq!(error.code, ErrorCode::Limit);
        assert!(
            error.reason.contains("field limit of 4096 characters"),
            "{}",
            error.reason
        );
        assert!(!error.fatal);
        assert!(frames[1].is_ok(), "{:?}", frames[1]);
    }

    /// A reader that hands out at most `step` bytes per read, so values straddle buffer ends.
    struct Trickle<'a> {
        rest: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.rest.len());
            buf[..n].copy_from_slice(&self.rest[..n]);
            self.rest = &self.rest[n..];
            Ok(n)
        }
    }

    proptest::proptest! {
        /// Frames, their positions and their errors do not depend on how the input arrives.
        #[test]
        fn frames_do_not_depend_on_read_sizes(
            items in proptest::collection::vec(
                proptest::string::string_regex(r#"(\{"a":"[a-zé\\"\n ]{0,12}"\}|\[1, \[2\]\]|"x\\"y"|-?[0-9]{1,4}|true|null|\{"b":\{"c":\[\]\}\})"#)
                    .map_err(|e| e.to_string())
                    .unwrap_or_else(|e| panic!("{e}")),
                0..8,
            ),
            step in 1usize..9,
            truncate in proptest::option::of(0usize..200),
        ) {
            let mut doc = format!("{{\"pre\": 1,\n \"armas\": [\n{}\n]}}", items.join(",\n  "));
            if let Some(at) = truncate {
                let mut at = at.min(doc.len());
                while !doc.is_char_boundary(at) {
                    at -= 1;
                }
                doc.truncate(at);
            }
            let limits = Limits { max_depth: 3, ..Limits::default() };
            let whole: Vec<_> =
                JsonRecordFramer::new(doc.as_bytes(), "/armas", Vec::new(), limits).collect();
            let trickled: Vec<_> = JsonRecordFramer::new(
                Trickle { rest: doc.as_bytes(), step },
                "/armas",
                Vec::new(),
                limits,
            )
            .collect();
            proptest::prop_assert_eq!(format!("{whole:?}"), format!("{trickled:?}"));
        }
    }
}
