//! The syntax of one message line: its key and `CODE/value` fields, before
//! any meaning is given to them.

use super::{MessageKey, FIELDS};
use crate::error::{ErrorCode, Location, RecordError};
use crate::limits::Limits;

/// One `CODE/value` field and the column (in characters) where its code starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<'l> {
    pub code: &'l str,
    pub value: &'l str,
    pub column: u64,
}

/// A message split into its key and fields, before any meaning is given to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<'l> {
    pub key: MessageKey,
    pub fields: Vec<Field<'l>>,
}

impl<'l> Parsed<'l> {
    pub fn get(&self, code: &str) -> Option<&Field<'l>> {
        self.fields.iter().find(|f| f.code == code)
    }
}

/// Locates problems in one line.
pub(super) struct LineSite {
    pub(super) record: u64,
    pub(super) line: u64,
}

impl LineSite {
    pub(super) fn error(
        &self,
        code: ErrorCode,
        field: Option<&str>,
        column: Option<u64>,
        reason: impl Into<String>,
    ) -> RecordError {
        let mut error = RecordError::new(code, reason).at(Location {
            record: Some(self.record),
            line: Some(self.line),
            column,
            ..Location::default()
        });
        error.field = field.map(str::to_string);
        error
    }
}

/// A value quoted for an error message, shortened when long.
pub(super) fn shown(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() > MAX {
        let short: String = value.chars().take(MAX).collect();
        format!("\"{short}…\"")
    } else {
        format!("\"{value}\"")
    }
}

/// Splits a message into key and fields (the syntax only).
pub(super) fn parse_line<'l>(
    text: &'l str,
    site: &LineSite,
    limits: &Limits,
) -> Result<Parsed<'l>, RecordError> {
    let body = text.strip_suffix('.').unwrap_or(text);
    let mut offset = 0usize;
    let mut key = None;
    let mut fields: Vec<Field<'l>> = Vec::new();
    for token in body.split('.') {
        let column = text[..offset].chars().count() as u64 + 1;
        offset += token.len() + 1;
        if key.is_none() {
            let code = token.strip_prefix("MKE/").unwrap_or(token);
            key = Some(MessageKey::parse(code).ok_or_else(|| {
                site.error(
                    ErrorCode::Structure,
                    Some("MKE"),
                    Some(column),
                    format!(
                        "unknown message key {} (expected EG, MG, XG or QG)",
                        shown(code)
                    ),
                )
            })?);
            continue;
        }
        let Some((code, value)) = token.split_once('/') else {
            let reason = if token.is_empty() {
                "empty field between two periods".to_string()
            } else {
                format!("expected a field CODE/value, found {}", shown(token))
            };
            return Err(site.error(ErrorCode::Syntax, None, Some(column), reason));
        };
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(site.error(
                ErrorCode::Syntax,
                None,
                Some(column),
                format!(
                    "expected a three-letter field code before '/', found {}",
                    shown(code)
                ),
            ));
        }
        if !FIELDS.contains(&code) {
            let reason = match code {
                "MKE" => "the message key must come first".to_string(),
                "NIC" => "NIC (the NCIC number) is not carried by the canonical model; leave it out".to_string(),
                "DOR" => "DOR (date of recovery): recovered-gun entries are not supported; see mappings/ncic.md".to_string(),
                _ => format!(
                    "unknown field code (this adapter reads {})",
                    FIELDS.join(", ")
                ),
            };
            return Err(site.error(ErrorCode::Structure, Some(code), Some(column), reason));
        }
        if fields.iter().any(|f| f.code == code) {
            return Err(site.error(
                ErrorCode::Structure,
                Some(code),
                Some(column),
                "field appears more than once",
            ));
        }
        if value.is_empty() {
            return Err(site.error(
                ErrorCode::Structure,
                Some(code),
                Some(column),
                "empty value; leave the field out instead",
            ));
        }
        if value.len() > limits.max_field_chars && value.chars().count() > limits.max_field_chars {
            return Err(site.error(
                ErrorCode::Limit,
                Some(code),
                Some(column),
                format!(
                    "value longer than the field limit of {} characters",
                    limits.max_field_chars
                ),
            ));
        }
        fields.push(Field {
            code,
            value,
            column,
        });
    }
    let key =
        key.ok_or_else(|| site.error(ErrorCode::Structure, Some("MKE"), Some(1), "empty message"))?;
    Ok(Parsed { key, fields })
}
