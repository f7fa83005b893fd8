use serde::{Deserialize, Serialize};

/// The firearm description shared by records, searches and trace requests.
/// Marking requirements follow the UN Firearms Protocol art. 8 and the ITI.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Firearm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    /// Derived: the canonical name of `make` in the make reference
    /// (`codes::makes`); absent when the make is unknown or ambiguous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make_canonical: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Exactly as marked on the firearm; never altered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// Derived matching key: uppercase letters and digits of the primary
    /// serial. Absent when the serial is a placeholder, partial, unsure, or not
    /// legible.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_key: Option<String>,
    /// Derived: the primary serial with unknown positions, in key form with `?`
    /// per unknown position and `*` for a run of unknown length ("31?407").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_pattern: Option<String>,
    /// What the serial field said beside the number ("na armação"): where or
    /// how it was read. Never part of the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_state: Option<SerialState>,
    /// Every serial, the frame or receiver first, when the firearm has more
    /// than one or the part is known; the first is the primary one, repeated in
    /// the top-level `serial_*` fields for readers of model 1.0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serials: Vec<Serial>,
    /// Canonical calibre name; absent when the recorded calibre is ambiguous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibre: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibre_as_recorded: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firearm_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// ISO 3166-1 alpha-2 (historic codes such as YU are kept and flagged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_of_manufacture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_of_manufacture: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barrel_length_mm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_barrels: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub markings: Vec<Marking>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_marking: Option<ImportMarking>,
    /// INTERPOL Firearms Reference Table id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ifrt_reference: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SerialState {
    Legible,
    /// Some positions could not be read: the serial is kept as a pattern.
    PartiallyLegible,
    /// The number is there but cannot be read.
    Illegible,
    /// Removed, filed off, scraped, altered.
    Obliterated,
    /// Not marked, or not stated by the source.
    Absent,
}

impl SerialState {
    /// Whether a serial in this state can ever yield a key or a hit.
    pub fn readable(self) -> bool {
        matches!(self, SerialState::Legible | SerialState::PartiallyLegible)
    }
}

/// One serial number of a firearm and the part it is marked on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Serial {
    /// As recorded, without its note.
    pub number: String,
    /// Derived, as `Firearm::serial_key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Derived, as `Firearm::serial_pattern`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<SerialState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<SerialPart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The part a serial is marked on (NCIC asks for the frame or receiver serial first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SerialPart {
    Frame,
    Receiver,
    Slide,
    Barrel,
    Cylinder,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marking {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// The marking applied at import (ITI §8(b)): importing country and, where possible, year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportMarking {
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
}
