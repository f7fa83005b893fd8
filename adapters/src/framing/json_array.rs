//! Splits a JSON document into the items of its message array, one at a time.
//!
//! Written by hand because serde_json streams whitespace-separated values but not
//! the elements of one array; buffering the whole array would break the
//! constant-memory promise. The framer only finds item boundaries (tracking
//! strings, escapes and nesting); each item is then parsed by serde_json.
//!
//! Accepted documents: a top-level array of messages, or an object whose
//! `messages` member is that array (other members, such as `schema_version`, are
//! skipped).

use std::io::Read;

use super::cursor::ByteCursor;
use super::{ByteFrame, TextPosition};
use crate::error::{ErrorCode, Location, RecordError};
use crate::limits::Limits;

/// The member of the document object that holds the messages.
pub const MESSAGES_MEMBER: &str = "messages";

enum State {
    Start,
    /// Inside the document object, before a key (or `}`).
    ObjectKey {
        first: bool,
    },
    /// Inside the messages array, before an item (or `]`).
    ArrayItem {
        first: bool,
    },
    /// After the messages array, inside the document object.
    AfterArray {
        in_object: bool,
    },
    Done,
}

pub struct JsonArrayFramer<R> {
    cursor: ByteCursor<R>,
    state: State,
    index: u64,
    limits: Limits,
    seen_messages: bool,
    top_is_array: bool,
}

impl<R: Read> JsonArrayFramer<R> {
    pub fn new(reader: R, limits: Limits) -> JsonArrayFramer<R> {
        JsonArrayFramer {
            cursor: ByteCursor::new(reader),
            state: State::Start,
            index: 0,
            limits,
            seen_messages: false,
            top_is_array: false,
        }
    }

    fn error(&self, code: ErrorCode, reason: impl Into<String>) -> RecordError {
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
        self.error(
            ErrorCode::Syntax,
            format!("expected {expected}, found {found}"),
        )
    }

    fn step(&mut self) -> Result<Option<ByteFrame>, RecordError> {
        loop {
            let io = |e: std::io::Error| RecordError::io(&e);
            match self.state {
                State::Done => return Ok(None),
                State::Start => match self.cursor.skip_whitespace().map_err(io)? {
                    Some(b'[') => {
                        self.cursor.next_byte().map_err(io)?;
                        self.seen_messages = true;
                        self.top_is_array = true;
                        self.state = State::ArrayItem { first: true };
                    }
                    Some(b'{') => {
                        self.cursor.next_byte().map_err(io)?;
                        self.state = State::ObjectKey { first: true };
                    }
                    other => {
                        return Err(self.unexpected(
                            other,
                            "a JSON array of messages or an object with a `messages` array",
                        ))
                    }
                },
                State::ObjectKey { first } => {
                    match self.cursor.skip_whitespace().map_err(io)? {
                        Some(b'}') if first => {
                            self.cursor.next_byte().map_err(io)?;
                            return self.finish();
                        }
                        Some(b'"') => {}
                        other => return Err(self.unexpected(other, "a member name")),
                    }
                    let key = self.read_key()?;
                    match self.cursor.skip_whitespace().map_err(io)? {
                        Some(b':') => {
                            self.cursor.next_byte().map_err(io)?;
                        }
                        other => return Err(self.unexpected(other, "`:`")),
                    }
                    if key == MESSAGES_MEMBER {
                        match self.cursor.skip_whitespace().map_err(io)? {
                            Some(b'[') => {
                                self.cursor.next_byte().map_err(io)?;
                                self.seen_messages = true;
                                self.state = State::ArrayItem { first: true };
                            }
                            other => {
                                return Err(
                                    self.unexpected(other, "`[` starting the messages array")
                                )
                            }
                        }
                    } else {
                        self.skip_value().map_err(RecordError::fatal)?;
                        self.state = State::AfterArray { in_object: true };
                    }
                }
                State::AfterArray { in_object } => {
                    if !in_object {
                        return self.finish();
                    }
                    match self.cursor.skip_whitespace().map_err(io)? {
                        Some(b',') => {
                            self.cursor.next_byte().map_err(io)?;
                            self.state = State::ObjectKey { first: false };
                        }
                        Some(b'}') => {
                            self.cursor.next_byte().map_err(io)?;
                            return self.finish();
                        }
                        other => return Err(self.unexpected(other, "`,` or `}`")),
                    }
                }
                State::ArrayItem { first } => {
                    let in_object = !self.top_is_array;
                    match self.cursor.skip_whitespace().map_err(io)? {
                        Some(b']') => {
                            self.cursor.next_byte().map_err(io)?;
                            self.state = State::AfterArray { in_object };
                            continue;
                        }
                        Some(b',') if !first => {
                            self.cursor.next_byte().map_err(io)?;
                            self.cursor.skip_whitespace().map_err(io)?;
                        }
                        Some(_) if first => {}
                        other => return Err(self.unexpected(other, "`,` or `]`")),
                    }
                    let frame = self.capture_item()?;
                    self.state = State::ArrayItem { first: false };
                    return Ok(Some(frame));
                }
            }
        }
    }

    fn finish(&mut self) -> Result<Option<ByteFrame>, RecordError> {
        self.state = State::Done;
        let trailing = self
            .cursor
            .skip_whitespace()
            .map_err(|e| RecordError::io(&e))?;
        if let Some(b) = trailing {
            return Err(self.unexpected(Some(b), "end of input after the document"));
        }
        if !self.seen_messages {
            return Err(self.error(
                ErrorCode::Structure,
                format!("the document has no `{MESSAGES_MEMBER}` array"),
            ));
        }
        Ok(None)
    }

    /// Reads a member name (the cursor is on its opening quote). Keys are short;
    /// a key over the record limit is refused.
    fn read_key(&mut self) -> Result<String, RecordError> {
        let mut bytes = Vec::new();
        self.cursor.next_byte().map_err(|e| RecordError::io(&e))?;
        loop {
            match self.cursor.next_byte().map_err(|e| RecordError::io(&e))? {
                Some(b'"') => break,
                Some(b'\\') => {
                    bytes.push(b'\\');
                    match self.cursor.next_byte().map_err(|e| RecordError::io(&e))? {
                        Some(b) => bytes.push(b),
                        None => return Err(self.unexpected(None, "the end of a member name")),
                    }
                }
                Some(b) => bytes.push(b),
                None => return Err(self.unexpected(None, "the end of a member name")),
            }
            if bytes.len() > self.limits.max_field_chars {
                return Err(self.error(ErrorCode::Limit, "member name too long"));
            }
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Skips one value of the document object that is not the messages array.
    fn skip_value(&mut self) -> Result<(), RecordError> {
        self.scan_value(None)
    }

    fn capture_item(&mut self) -> Result<ByteFrame, RecordError> {
        let start = self.cursor.position;
        let mut bytes = Vec::with_capacity(512);
        let index = self.index;
        self.index += 1;
        match self.scan_value(Some(&mut bytes)) {
            Ok(()) => Ok(ByteFrame {
                bytes,
                index,
                start,
            }),
            Err(mut e) => {
                if e.location.record.is_none() {
                    e.location.record = Some(index + 1);
                }
                Err(e)
            }
        }
    }

    /// Scans one JSON value, copying it into `out` when given. Tracks strings,
    /// escapes and nesting; the depth and size limits are enforced here, before
    /// any parser sees the bytes. An over-size item is skipped to its end and
    /// reported as a (non-fatal) record error.
    fn scan_value(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<(), RecordError> {
        let start: TextPosition = self.cursor.position;
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut size = 0usize;
        let mut too_deep = false;
        loop {
            let Some(b) = self.cursor.peek().map_err(|e| RecordError::io(&e))? else {
                let what = if in_string {
                    "the end of a string"
                } else {
                    "the end of a value"
                };
                return Err(RecordError::new(
                    ErrorCode::Syntax,
                    format!("unexpected end of input: expected {what}"),
                )
                .at(Location {
                    record: None,
                    ..start.location()
                })
                .fatal());
            };
            if !in_string && depth == 0 && size > 0 && matches!(b, b',' | b']' | b'}') {
                break;
            }
            if !in_string && depth == 0 && size > 0 && matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            self.cursor.next_byte().map_err(|e| RecordError::io(&e))?;
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
                    if depth > self.limits.max_depth {
                        too_deep = true;
                    }
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
        let limit_error =
            |reason: String| RecordError::new(ErrorCode::Limit, reason).at(start.location());
        if too_deep {
            return Err(limit_error(format!(
                "nesting deeper than the limit of {} levels",
                self.limits.max_depth
            )));
        }
        if out.is_some() && size > self.limits.max_record_bytes {
            return Err(limit_error(format!(
                "record of {size} bytes exceeds the limit of {} bytes",
                self.limits.max_record_bytes
            )));
        }
        Ok(())
    }
}

impl<R: Read> Iterator for JsonArrayFramer<R> {
    type Item = Result<ByteFrame, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some(frame)) => Some(Ok(frame)),
            Ok(None) => None,
            Err(e) => {
                if e.fatal {
                    self.state = State::Done;
                } else {
                    self.state = State::ArrayItem { first: false };
                }
                Some(Err(e))
            }
        }
    }
}
