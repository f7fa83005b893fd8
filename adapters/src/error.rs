//! Located errors: every problem with input says where it is and why.
//!
//! A [`Location`] is filled in by the layer that knows it: framing knows the line,
//! column and byte offset; the format knows the JSON pointer or XML path; the
//! normaliser and validator know the field. [`RecordError`] joins them.

use std::fmt;

use serde::Serialize;

/// Where in the input a problem sits. Every part is optional because each input
/// kind knows different things (a CSV row has no pointer, a JSON frame has no column name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Input name (file path, `-` for standard input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// 1-based number of the record in the stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// 1-based line where the record (or the fault) starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column (characters) where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    /// 0-based byte offset in the input where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_offset: Option<u64>,
    /// JSON pointer (RFC 6901) of the faulty value, for JSON inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// XPath-like path of the faulty element, for XML inputs, e.g. `/messages/record[3]/firearm/calibre`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml_path: Option<String>,
    /// Column name, for CSV inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv_column: Option<String>,
}

impl fmt::Display for Location {
    /// `input.csv: record 3 (line 4, column 12)`, `record 7 at /messages/6/firearm`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(record) = self.record {
            parts.push(format!("record {record}"));
        }
        let mut position = Vec::new();
        if let Some(line) = self.line {
            position.push(format!("line {line}"));
        }
        if let Some(column) = self.column {
            position.push(format!("column {column}"));
        }
        if self.line.is_none() {
            if let Some(offset) = self.byte_offset {
                position.push(format!("byte {offset}"));
            }
        }
        if !position.is_empty() {
            parts.push(format!("({})", position.join(", ")));
        }
        if let Some(pointer) = &self.pointer {
            parts.push(format!("at {pointer}"));
        }
        if let Some(path) = &self.xml_path {
            parts.push(format!("at {path}"));
        }
        if let Some(column) = &self.csv_column {
            parts.push(format!("column \"{column}\""));
        }
        let body = parts.join(" ");
        match (&self.source, body.is_empty()) {
            (Some(source), true) => write!(f, "{source}"),
            (Some(source), false) => write!(f, "{source}: {body}"),
            (None, _) => write!(f, "{body}"),
        }
    }
}

/// Stable machine-readable error codes, shared by the CLI report, the HTTP API and
/// the conformance suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The bytes are not in the declared format (broken JSON, XML, CSV quoting).
    Syntax,
    /// Input is not valid UTF-8 (or the declared encoding).
    Encoding,
    /// A record's structure does not fit the model (unknown or missing field, wrong type).
    Structure,
    /// A value cannot be normalised (unknown calibre, impossible date, unknown country).
    InvalidValue,
    /// The normalised message breaks the canonical schema.
    Schema,
    /// Input exceeds a safety limit (nesting depth, field length, record size).
    Limit,
    /// Input uses a forbidden construct (XML DOCTYPE, entity declarations).
    Forbidden,
    /// The message kind cannot be written by the target format.
    Unsupported,
    /// Reading or writing failed.
    Io,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Syntax => "syntax",
            ErrorCode::Encoding => "encoding",
            ErrorCode::Structure => "structure",
            ErrorCode::InvalidValue => "invalid_value",
            ErrorCode::Schema => "schema",
            ErrorCode::Limit => "limit",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::Io => "io",
        }
    }
}

/// One problem with one record (or with the stream, when `fatal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct RecordError {
    pub code: ErrorCode,
    /// Boxed: errors travel in `Result`s on every decode path, and a small `Err` keeps those cheap.
    pub location: Box<Location>,
    /// Dotted canonical (or native) field path, e.g. `firearm.calibre`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub reason: String,
    /// The stream cannot go on after this error (broken framing); the records before it stand.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fatal: bool,
}

impl fmt::Display for RecordError {
    /// `input.csv: record 1234 (line 1235) field firearm.calibre: unknown calibre "7,9 mn"`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location = self.location.to_string();
        match (location.is_empty(), &self.field) {
            (true, None) => {}
            (true, Some(field)) => write!(f, "field {field}: ")?,
            (false, None) => write!(f, "{location}: ")?,
            (false, Some(field)) => write!(f, "{location} field {field}: ")?,
        }
        f.write_str(&self.reason)
    }
}

impl RecordError {
    pub fn new(code: ErrorCode, reason: impl Into<String>) -> RecordError {
        RecordError {
            code,
            location: Box::default(),
            field: None,
            reason: reason.into(),
            fatal: false,
        }
    }

    pub fn fatal(mut self) -> RecordError {
        self.fatal = true;
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> RecordError {
        self.field = Some(field.into());
        self
    }

    pub fn at(mut self, location: Location) -> RecordError {
        self.location = Box::new(location);
        self
    }

    pub fn io(err: &std::io::Error) -> RecordError {
        RecordError::new(ErrorCode::Io, err.to_string()).fatal()
    }
}

/// A problem found in a message's content (by the normaliser or the validator),
/// before it is placed in the input by the decoder that read the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    pub code: ErrorCode,
    /// Dotted canonical path (`firearm.markings.0.text`).
    pub field: String,
    pub reason: String,
}

impl FieldIssue {
    pub fn new(code: ErrorCode, field: impl Into<String>, reason: impl Into<String>) -> FieldIssue {
        FieldIssue {
            code,
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Errors writing a format out.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{kind} messages cannot be written as {format}: {reason}")]
    Unsupported {
        kind: String,
        format: String,
        reason: String,
    },
    #[error("cannot encode message: {0}")]
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_record_line_field_and_reason() {
        let err = RecordError::new(ErrorCode::InvalidValue, "unknown calibre \"7,9 mn\"")
            .with_field("calibre")
            .at(Location {
                record: Some(1234),
                line: Some(1235),
                ..Location::default()
            });
        assert_eq!(
            err.to_string(),
            "record 1234 (line 1235) field calibre: unknown calibre \"7,9 mn\""
        );
    }

    #[test]
    fn display_with_source_pointer_and_no_field() {
        let err = RecordError::new(ErrorCode::Syntax, "expected `,` or `]`").at(Location {
            source: Some("in.json".into()),
            record: Some(2),
            line: Some(9),
            column: Some(4),
            pointer: Some("/messages/1".into()),
            ..Location::default()
        });
        assert_eq!(
            err.to_string(),
            "in.json: record 2 (line 9, column 4) at /messages/1: expected `,` or `]`"
        );
    }
}
