//! One NCIC line as a canonical message.

use std::sync::Arc;

use uuid::Uuid;

use super::cal::calibre_for;
use super::line::{parse_line, shown, LineSite};
use super::makes::{is_code, make_name};
use super::remarks::{parse_remarks, Remarks};
use super::{MessageKey, FLAG_MAKE_CODE, ID_NAMESPACE, MAKE_NOT_IN_TABLE};
use crate::adapter::{Decoded, FieldAnchor, NativeNamer, RecordSite};
use crate::codes::firearm_types;
use crate::error::{ErrorCode, Location, RecordError};
use crate::framing::{frame_text, ByteFrame};
use crate::limits::Limits;
use crate::model::{
    Event, Firearm, FirearmRecord, Header, Message, QualityFlag, RecordAction, RecordStatus,
    Search, SCHEMA_VERSION,
};
use crate::normalise::date;

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
    let make = match mak {
        None => None,
        Some(f) if f.value == MAKE_NOT_IN_TABLE => remarks.make.clone(),
        Some(f) => match make_name(f.value) {
            Some(name) => Some(name.to_string()),
            None if is_code(f.value) => {
                flags.push(QualityFlag {
                    field: "firearm.make".to_string(),
                    code: FLAG_MAKE_CODE.to_string(),
                    detail: Some(format!(
                        "NCIC make code {} is not in the gateway's partial make table; kept as the code",
                        f.value
                    )),
                });
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

    // TYP
    let (firearm_type, action) = match parsed.get("TYP") {
        None => (None, None),
        Some(f) => {
            let code = firearm_types::from_ncic_typ(f.value)
                .filter(|_| f.value.len() == 2 && f.value == f.value.to_ascii_uppercase())
                .ok_or_else(|| {
                    site.error(
                        ErrorCode::InvalidValue,
                        Some("TYP"),
                        Some(f.column),
                        format!(
                            "unknown NCIC gun type {} (two capitals: class P, R, S, B, M, C, Q or Z, then A, B, C, D, E, I, L, O, P, R or S)",
                            shown(f.value)
                        ),
                    )
                })?;
            (
                Some(code.firearm_type.to_string()),
                code.action.map(str::to_string),
            )
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

    let firearm = Firearm {
        make,
        model: value("MOD"),
        serial_number: value("SER"),
        calibre: value("CAL").map(|cal| calibre_for(&cal).to_string()),
        calibre_as_recorded: value("CAL"),
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
