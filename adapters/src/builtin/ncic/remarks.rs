//! The `MIS` field: remarks, and the status and make parts it carries.

use super::MAKE_NOT_IN_TABLE;
use crate::model::RecordStatus;

/// What `MIS` carries besides remarks (see mappings/ncic.md): a status marker
/// (`LOST`, `STOLEN`) and, with `MAK/ZZZ`, the make (`MAK <name>`), each a part
/// ending with `; `.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Remarks {
    pub status: Option<RecordStatus>,
    pub make: Option<String>,
    pub text: Option<String>,
}

pub(super) const PART_SEPARATOR: &str = "; ";

pub(super) fn split_part(text: &str) -> (&str, Option<&str>) {
    match text.split_once(PART_SEPARATOR) {
        Some((part, rest)) => (part, Some(rest)),
        None => (text, None),
    }
}

pub(super) fn status_marker(part: &str) -> Option<RecordStatus> {
    match part {
        "LOST" => Some(RecordStatus::Lost),
        "STOLEN" => Some(RecordStatus::Stolen),
        _ => None,
    }
}

/// Reads `MIS`; `make_in_mis` when `MAK` is `ZZZ`. The error is the reason.
pub fn parse_remarks(mis: &str, make_in_mis: bool) -> Result<Remarks, String> {
    let mut remarks = Remarks::default();
    let mut rest = Some(mis);
    if let Some(text) = rest {
        let (part, after) = split_part(text);
        if let Some(status) = status_marker(part) {
            remarks.status = Some(status);
            rest = after;
        }
    }
    if make_in_mis {
        let text = rest.unwrap_or_default();
        let (part, after) = split_part(text);
        match part.strip_prefix("MAK ").filter(|name| !name.trim().is_empty()) {
            Some(name) => {
                remarks.make = Some(name.to_string());
                rest = after;
            }
            None => {
                return Err(format!(
                    "with MAK/{MAKE_NOT_IN_TABLE} the remarks must name the make first: MIS/MAK <make name>"
                ))
            }
        }
    }
    remarks.text = rest.filter(|t| !t.is_empty()).map(str::to_string);
    Ok(remarks)
}

/// Writes `MIS` from its parts, adding a `STOLEN` marker only where remarks that
/// begin with a marker word would otherwise be misread.
pub fn format_remarks(remarks: &Remarks) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let text = remarks.text.as_deref().filter(|t| !t.is_empty());
    match remarks.status {
        Some(RecordStatus::Lost) => parts.push("LOST".to_string()),
        _ => {
            let misread = remarks.make.is_none()
                && text.is_some_and(|t| status_marker(split_part(t).0).is_some());
            if misread {
                parts.push("STOLEN".to_string());
            }
        }
    }
    if let Some(make) = &remarks.make {
        parts.push(format!("MAK {make}"));
    }
    if let Some(text) = text {
        parts.push(text.to_string());
    }
    (!parts.is_empty()).then(|| parts.join(PART_SEPARATOR))
}
