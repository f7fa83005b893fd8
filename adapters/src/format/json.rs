//! Canonical JSON: one message per frame, as a JSON document (`iarms-json`) or as
//! NDJSON lines (`iarms-ndjson`).

use std::io::Write;

use crate::error::{EncodeError, ErrorCode, Location, RecordError};
use crate::framing::{frame_text, ByteFrame};
use crate::model::{Message, SCHEMA_VERSION};

/// Parses one frame into a message. Syntax errors carry the line and column in
/// the input; structure errors the JSON pointer of the faulty field.
pub fn decode_frame(frame: &ByteFrame, pointer_prefix: &str) -> Result<Message, RecordError> {
    let text = frame_text(frame)?;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| json_error(frame, pointer_prefix, None, e))?;
    super::message_from_value(value).map_err(|issue| {
        let field = (!issue.field.is_empty()).then(|| issue.field.clone());
        let suffix: String = issue
            .field
            .split('.')
            .filter(|p| !p.is_empty())
            .map(|p| format!("/{p}"))
            .collect();
        let mut error = RecordError::new(issue.code, issue.reason).at(Location {
            record: Some(frame.index + 1),
            line: Some(frame.start.line),
            column: (frame.start.column > 1).then_some(frame.start.column),
            pointer: Some(format!("{pointer_prefix}{suffix}")).filter(|p| !p.is_empty()),
            ..Location::default()
        });
        error.field = field;
        error
    })
}

fn json_error(
    frame: &ByteFrame,
    pointer_prefix: &str,
    field: Option<String>,
    inner: serde_json::Error,
) -> RecordError {
    let at = frame
        .start
        .offset_by(inner.line() as u64, inner.column() as u64);
    let code = if inner.is_syntax() || inner.is_eof() {
        ErrorCode::Syntax
    } else {
        ErrorCode::Structure
    };
    let pointer = match &field {
        Some(f) => format!("{pointer_prefix}/{}", f.replace('.', "/")),
        None => pointer_prefix.to_string(),
    };
    let mut error = RecordError::new(code, strip_position(&inner.to_string())).at(Location {
        record: Some(frame.index + 1),
        line: Some(at.line),
        column: Some(at.column),
        pointer: (!pointer.is_empty()).then_some(pointer),
        ..Location::default()
    });
    error.field = field;
    error
}

/// serde_json appends " at line L column C" relative to the frame; we report the
/// absolute position separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Writes a canonical JSON document: `{"schema_version": "1.0", "messages": [...]}`,
/// one message per line inside the array so large files stay diff- and grep-friendly.
pub struct JsonDocumentWriter<W: Write> {
    out: W,
    count: u64,
}

impl<W: Write> JsonDocumentWriter<W> {
    pub fn new(out: W) -> JsonDocumentWriter<W> {
        JsonDocumentWriter { out, count: 0 }
    }

    pub fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        if self.count == 0 {
            writeln!(
                self.out,
                "{{\"schema_version\":\"{SCHEMA_VERSION}\",\"messages\":["
            )?;
        } else {
            self.out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut self.out, message)
            .map_err(|e| EncodeError::Invalid(e.to_string()))?;
        self.count += 1;
        Ok(())
    }

    pub fn finish(&mut self) -> Result<(), EncodeError> {
        if self.count == 0 {
            writeln!(
                self.out,
                "{{\"schema_version\":\"{SCHEMA_VERSION}\",\"messages\":["
            )?;
        }
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()?;
        Ok(())
    }
}

/// Writes NDJSON: one message per line.
pub struct NdjsonWriter<W: Write> {
    out: W,
}

impl<W: Write> NdjsonWriter<W> {
    pub fn new(out: W) -> NdjsonWriter<W> {
        NdjsonWriter { out }
    }

    pub fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        serde_json::to_writer(&mut self.out, message)
            .map_err(|e| EncodeError::Invalid(e.to_string()))?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    pub fn finish(&mut self) -> Result<(), EncodeError> {
        self.out.flush()?;
        Ok(())
    }
}
