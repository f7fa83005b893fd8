//! The codes of the format, both ways: record status, action, item status,
//! serial state, years and length units.

use crate::codes::firearm_types;
use crate::model::{RecordAction, RecordStatus, SerialPart, SerialState};

pub(super) const STATUSES: [&str; 8] = [
    "lost",
    "stolen",
    "trafficked",
    "smuggled",
    "seized",
    "found",
    "surrendered",
    "other",
];

pub(super) fn parse_status(text: &str) -> Option<RecordStatus> {
    Some(match text {
        "lost" => RecordStatus::Lost,
        "stolen" => RecordStatus::Stolen,
        "trafficked" => RecordStatus::Trafficked,
        "smuggled" => RecordStatus::Smuggled,
        "seized" => RecordStatus::Seized,
        "found" => RecordStatus::Found,
        "surrendered" => RecordStatus::Surrendered,
        "other" => RecordStatus::Other,
        _ => return None,
    })
}

pub(super) fn status_tag(status: RecordStatus) -> &'static str {
    match status {
        RecordStatus::Lost => "lost",
        RecordStatus::Stolen => "stolen",
        RecordStatus::Trafficked => "trafficked",
        RecordStatus::Smuggled => "smuggled",
        RecordStatus::Seized => "seized",
        RecordStatus::Found => "found",
        RecordStatus::Surrendered => "surrendered",
        RecordStatus::Other => "other",
    }
}

pub(super) fn action_tag(action: RecordAction) -> &'static str {
    match action {
        RecordAction::Create => "create",
        RecordAction::Update => "update",
        RecordAction::Cancel => "cancel",
    }
}

/// The NIBRS property-loss code (`j:ItemStatusCode`) written for a status, when
/// one fits: trafficked and smuggled are both CONTRABAND; surrendered and other
/// have none.
pub fn item_status_code(status: RecordStatus) -> Option<&'static str> {
    match status {
        RecordStatus::Lost => Some("LOST"),
        RecordStatus::Stolen => Some("STOLEN"),
        RecordStatus::Seized => Some("SEIZED"),
        RecordStatus::Found => Some("FOUND"),
        RecordStatus::Trafficked | RecordStatus::Smuggled => Some("CONTRABAND"),
        RecordStatus::Surrendered | RecordStatus::Other => None,
    }
}

/// The status read from `j:ItemStatusCode` when the record has no
/// `nc:ActivityCategoryText`.
pub(super) fn status_from_item_code(code: &str) -> RecordStatus {
    match code {
        "LOST" => RecordStatus::Lost,
        "SEIZED" => RecordStatus::Seized,
        "FOUND" | "RECOVERED" => RecordStatus::Found,
        c if c == "STOLEN" || c.starts_with("STOLEN-") => RecordStatus::Stolen,
        _ => match parse_status(code) {
            Some(status) => status,
            None => RecordStatus::Other,
        },
    }
}

pub(super) fn parse_serial_state(text: &str) -> Option<SerialState> {
    Some(match text {
        "legible" => SerialState::Legible,
        "partially_legible" => SerialState::PartiallyLegible,
        "illegible" => SerialState::Illegible,
        "obliterated" => SerialState::Obliterated,
        "absent" => SerialState::Absent,
        _ => return None,
    })
}

pub(super) fn serial_part_tag(part: SerialPart) -> &'static str {
    match part {
        SerialPart::Frame => "frame",
        SerialPart::Receiver => "receiver",
        SerialPart::Slide => "slide",
        SerialPart::Barrel => "barrel",
        SerialPart::Cylinder => "cylinder",
        SerialPart::Other => "other",
    }
}

pub(super) fn parse_serial_part(text: &str) -> Option<SerialPart> {
    Some(match text {
        "frame" => SerialPart::Frame,
        "receiver" => SerialPart::Receiver,
        "slide" => SerialPart::Slide,
        "barrel" => SerialPart::Barrel,
        "cylinder" => SerialPart::Cylinder,
        "other" => SerialPart::Other,
        _ => return None,
    })
}

pub(super) fn serial_state_tag(state: SerialState) -> &'static str {
    match state {
        SerialState::Legible => "legible",
        SerialState::PartiallyLegible => "partially_legible",
        SerialState::Illegible => "illegible",
        SerialState::Obliterated => "obliterated",
        SerialState::Absent => "absent",
    }
}

/// `j:FirearmCategoryDescriptionText` as an action: a canonical action or a
/// synonym, or a type-and-action description ("semi-automatic pistol") whose
/// action is taken; anything else is passed on for the normaliser to report.
pub(super) fn action_from(text: &str) -> String {
    if let Some(action) = firearm_types::lookup_action(text) {
        return action.to_string();
    }
    match firearm_types::lookup_type(text).and_then(|code| code.action) {
        Some(action) => action.to_string(),
        None => text.to_string(),
    }
}

/// A gYear: four (or more) digits, optionally signed.
pub(super) fn parse_year(text: &str) -> Option<i32> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Millimetres per unit.
pub(super) fn unit_factor(unit: &str) -> Option<f64> {
    match unit.to_ascii_lowercase().as_str() {
        "mm" | "mmt" | "millimetre" | "millimetres" | "millimeter" | "millimeters" => Some(1.0),
        "cm" | "cmt" | "centimetre" | "centimetres" | "centimeter" | "centimeters" => Some(10.0),
        "in" | "inh" | "inch" | "inches" | "\"" => Some(25.4),
        _ => None,
    }
}
