//! One NCIC line as a canonical message.

use std::sync::Arc;

use uuid::Uuid;

use super::cal::calibre_for;
use super::line::{parse_line, shown, LineSite};
use super::makes::is_code;
use super::remarks::{parse_remarks, Remarks};
use super::{MessageKey, FLAG_MAKE_CODE, FLAG_MAKE_COUNTRY, ID_NAMESPACE, MAKE_NOT_IN_TABLE};
use crate::adapter::{Decoded, FieldAnchor, NativeNamer, RecordSite};
use crate::codes::ncic::{self, MakCode};
use crate::codes::{calibres, firearm_types};
use crate::error::{ErrorCode, Location, RecordError};
use crate::framing::{frame_text, ByteFrame};
use crate::limits::Limits;
use crate::model::{
    Event, Firearm, FirearmRecord, Header, Message, QualityFlag, RecordAction, RecordStatus,
    Search, SCHEMA_VERSION,
};
use crate::normalise::date;
use crate::normalise::flags::AMBIGUOUS_CALIBRE;

pub(super) fn decode_frame(
    frame: &ByteFrame,
    country: &str,
    limits: &Limits,
) -> Result<Decoded, RecordError> {
    let site = LineSite {
        record: frame.index + 1,
        line: frame.start.line,
    };
    let text = frame_text(frame)?;
    let parsed = parse_line(text, &site, limits)?;
    let key = parsed.key;
    for field in &parsed.fields {
        if !key.allowed().contains(&field.code) {
            return Err(site.error(
                ErrorCode::Structure,
                Some(field.code),
                Some(field.column),
                format!("not allowed in {}", key.entry_name()),
            ));
        }
    }
    for code in key.required() {
        if parsed.get(code).is_none() {
            return Err(site.error(
                ErrorCode::Structure,
                Some(code),
                None,
                format!("required for {}", key.entry_name()),
            ));
        }
    }
    let value = |code: &str| parsed.get(code).map(|f| f.value.to_string());
    let column = |code: &str| parsed.get(code).map(|f| f.column);

    // MAK and MIS
    let mak = parsed.get("MAK");
    let make_in_mis = mak.is_some_and(|f| f.value == MAKE_NOT_IN_TABLE);
    let remarks = match parsed.get("MIS") {
        Some(mis) => parse_remarks(mis.value, make_in_mis).map_err(|reason| {
            site.error(ErrorCode::Structure, Some("MIS"), Some(mis.column), reason)
        })?,
        None if make_in_mis => {
            return Err(site.error(
                ErrorCode::Structure,
                Some("MIS"),
                None,
                format!("required when MAK is {MAKE_NOT_IN_TABLE}: MIS/MAK <make name>"),
            ))
        }
        None => Remarks::default(),
    };
    let mut flags = Vec::new();
    let mut made_in = None;
    let make = match mak {
        None => None,
        Some(f) if f.value == MAKE_NOT_IN_TABLE => remarks.make.clone(),
        Some(f) => match ncic::mak(f.value) {
            Some(MakCode::Make(make)) => Some(make.name.clone()),
            Some(MakCode::Listed(definition)) => {
                flags.push(flag(
                    "firearm.make",
                    FLAG_MAKE_CODE,
                    format!(
                        "NCIC make code {} is not in the make reference; kept as its official definition",
                        f.value
                    ),
                ));
                Some(definition.to_string())
            }
            // A country or place code "if make cannot be determined": no make.
            Some(MakCode::Country { iso, definition }) => {
                flags.push(flag(
                    "firearm.make",
                    FLAG_MAKE_COUNTRY,
                    format!(
                        "MAK/{} is the NCIC code of a country ({definition}), used when the make cannot be determined; read as the country of manufacture{}",
                        f.value,
                        iso.map_or(" (no ISO 3166 code)".to_string(), |iso| format!(" {iso}"))
                    ),
                ));
                made_in = iso.map(str::to_string);
                None
            }
            Some(MakCode::Place(definition)) => {
                flags.push(flag(
                    "firearm.make",
                    FLAG_MAKE_COUNTRY,
                    format!(
                        "MAK/{} is the NCIC code of a place ({definition}), used when the make cannot be determined; no make",
                        f.value
                    ),
                ));
                None
            }
            None if is_code(f.value) => {
                flags.push(flag(
                    "firearm.make",
                    FLAG_MAKE_CODE,
                    format!(
                        "{} is not a code of the official NCIC make table; kept as the code",
                        f.value
                    ),
                ));
                Some(f.value.to_string())
            }
            None => {
                return Err(site.error(
                    ErrorCode::InvalidValue,
                    Some("MAK"),
                    Some(f.column),
                    format!(
                        "{} is not an NCIC make code (one to four capital letters or digits; {MAKE_NOT_IN_TABLE} with MIS/MAK <name> for a make not in the table)",
                        shown(f.value)
                    ),
                ))
            }
        },
    };

    // CAL: an official code is a family of cartridges, read as ambiguous.
    let (calibre, calibre_as_recorded) = match value("CAL") {
        None => (None, None),
        Some(cal) => match ncic::cal(&cal) {
            Some(family) => {
                let candidates = if family.candidates.is_empty() {
                    "no cartridge of the calibre table".to_string()
                } else {
                    family.candidates.join(", ")
                };
                flags.push(flag(
                    "firearm.calibre",
                    AMBIGUOUS_CALIBRE,
                    format!(
                        "NCIC CAL {cal} is a family ({}): could be {candidates}; kept as recorded",
                        family.definition
                    ),
                ));
                (None, Some(cal))
            }
            None => (Some(calibre_for(&cal).to_string()), Some(cal)),
        },
    };

    // TYP
    let (firearm_type, action) = match parsed.get("TYP") {
        None => (None, None),
        Some(f) => {
            // The official combination codes; other two-capital codes by the
            // composition rules; the bogus `--` row of the table never.
            let code = ncic::typ(f.value)
                .or_else(|| firearm_types::from_ncic_typ(f.value))
                .filter(|_| f.value.len() == 2 && f.value == f.value.to_ascii_uppercase())
                .or_else(|| ncic::typ(f.value).filter(|_| f.value.len() == 1));
            match code {
                Some(code) => (
                    Some(code.firearm_type.to_string()),
                    code.action.map(str::to_string),
                ),
                // Not an NCIC gun type: the code goes on as recorded, for the
                // normaliser to keep and flag (or a strict partner to reject):
                // a type is descriptive, it never costs the record.
                None => (Some(f.value.to_string()), None),
            }
        }
    };

    // DOT
    let event_date = match parsed.get("DOT") {
        None => None,
        Some(f) => Some(
            date::parse_with_format(f.value, "YYYYMMDD")
                .map(|d| d.to_iso())
                .map_err(|e| {
                    site.error(
                        ErrorCode::InvalidValue,
                        Some("DOT"),
                        Some(f.column),
                        e.to_string(),
                    )
                })?,
        ),
    };

    // The type is context: on a shotgun a family code names its gauge when the
    // family has exactly one (CAL/12 on TYP/SP is 12 gauge, not 12.7x99mm).
    let mut calibre = calibre;
    if calibre.is_none() && firearm_type.as_deref() == Some("shotgun") {
        let family = calibre_as_recorded.as_deref().and_then(ncic::cal);
        let mut gauges = family
            .iter()
            .flat_map(|f| &f.candidates)
            .filter(|name| calibres::by_name(name).is_some_and(|c| c.is_gauge));
        if let (Some(gauge), None) = (gauges.next(), gauges.next()) {
            calibre = Some(gauge.clone());
            flags.retain(|f| !(f.field == "firearm.calibre" && f.code == AMBIGUOUS_CALIBRE));
        }
    }
    let firearm = Firearm {
        make,
        model: value("MOD"),
        serial_number: value("SER"),
        calibre,
        calibre_as_recorded,
        country_of_manufacture: made_in,
        firearm_type,
        action,
        ..Firearm::default()
    };
    let message_id = Uuid::new_v5(&ID_NAMESPACE, format!("{country}\u{1f}{text}").as_bytes());
    let header = Header {
        message_id,
        correlation_id: message_id,
        schema_version: SCHEMA_VERSION.to_string(),
        flags,
    };
    let ori = value("ORI").unwrap_or_default();
    let oca = value("OCA");
    let message = match key {
        MessageKey::Qg => {
            if remarks.status.is_some() || remarks.text.is_some() {
                return Err(site.error(
                    ErrorCode::Structure,
                    Some("MIS"),
                    column("MIS"),
                    "in a QG query MIS only names a ZZZ make (MIS/MAK <name>); a search carries no remarks",
                ));
            }
            Message::Search(Search {
                header,
                search_id: oca.clone().unwrap_or_else(|| format!("QG-{message_id}")),
                searching_country: country.to_string(),
                searching_agency: ori,
                case_reference: oca,
                firearm,
                requested_at: None,
            })
        }
        MessageKey::Eg | MessageKey::Mg | MessageKey::Xg => {
            let action = match key {
                MessageKey::Mg => RecordAction::Update,
                MessageKey::Xg => RecordAction::Cancel,
                _ => RecordAction::Create,
            };
            Message::Record(FirearmRecord {
                header,
                record_id: oca.clone().unwrap_or_default(),
                owner_country: country.to_string(),
                owner_agency: ori,
                case_reference: oca,
                action,
                version: 1,
                firearm,
                event: Event {
                    status: remarks.status.unwrap_or(RecordStatus::Stolen),
                    date: event_date,
                    place: None,
                    description: remarks.text,
                },
            })
        }
    };
    Ok(Decoded {
        message,
        site: RecordSite {
            location: Location {
                record: Some(site.record),
                line: Some(site.line),
                ..Location::default()
            },
            anchor: FieldAnchor::Native(NativeNamer(Arc::new(|field: &str| {
                ncic_field(field).map(str::to_string)
            }))),
        },
    })
}

/// The NCIC field that carries a canonical field, for locating problems the
/// normaliser and validator find.
pub fn ncic_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "owner_agency" | "searching_agency" => "ORI",
        "record_id" | "case_reference" | "search_id" => "OCA",
        "firearm.serial_number" | "firearm.serial_key" => "SER",
        "firearm.make" => "MAK",
        "firearm.model" => "MOD",
        "firearm.calibre" | "firearm.calibre_as_recorded" => "CAL",
        "firearm.firearm_type" | "firearm.action" => "TYP",
        "event.date" => "DOT",
        "event.description" | "event.status" => "MIS",
        _ => return None,
    })
}

fn flag(field: &str, code: &str, detail: String) -> QualityFlag {
    QualityFlag {
        field: field.to_string(),
        code: code.to_string(),
        detail: Some(detail),
    }
}
