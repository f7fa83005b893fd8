//! A canonical message as one NCIC line.

use std::io::Write;

use super::cal::encode_calibre;
use super::line::shown;
use super::makes::{is_code, make_code};
use super::remarks::{format_remarks, Remarks, PART_SEPARATOR};
use super::{MessageKey, FLAG_MAKE_CODE, FORMAT, MAKE_NOT_IN_TABLE};
use crate::adapter::MessageEncoder;
use crate::codes::firearm_types;
use crate::error::EncodeError;
use crate::model::{
    Firearm, FirearmRecord, Message, QualityFlag, RecordAction, RecordStatus, Search,
};
use crate::normalise::date;

pub(super) struct NcicWriter<W: Write> {
    pub(super) out: W,
}

impl<W: Write> MessageEncoder for NcicWriter<W> {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        let mut line = encode_message(message)?;
        line.push('\n');
        self.out.write_all(line.as_bytes())?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), EncodeError> {
        self.out.flush()?;
        Ok(())
    }
}

pub(super) fn invalid(field: &str, reason: impl std::fmt::Display) -> EncodeError {
    EncodeError::Invalid(format!("NCIC field {field}: {reason}"))
}

/// An identifier written as is: it may hold no period (NCIC's field separator)
/// and no line break, and may not be empty.
pub(super) fn identifier(field: &str, value: &str) -> Result<String, EncodeError> {
    if value.is_empty() {
        return Err(invalid(field, "empty value"));
    }
    if let Some(c) = value.chars().find(|c| matches!(c, '.' | '\n' | '\r')) {
        return Err(invalid(
            field,
            format!(
                "{} holds {:?}, which NCIC message text cannot carry; identifiers are never altered",
                shown(value),
                c
            ),
        ));
    }
    Ok(value.to_string())
}

/// Descriptive text made fit for NCIC, which allows no period in message text:
/// a period before a space or at the end is dropped ("No. 4" -> "No 4"), any
/// other period becomes a space ("S.A" -> "S A"), line breaks and tabs become
/// spaces. Text without those characters is unchanged.
pub fn ncic_text(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '.' => {
                let next = chars.get(i + 1);
                if !matches!(next, None | Some(' ')) {
                    out.push(' ');
                }
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out.trim_end().to_string()
}

pub(super) fn text_value(field: &str, value: &str) -> Result<String, EncodeError> {
    let text = ncic_text(value);
    if text.is_empty() {
        return Err(invalid(field, "empty value"));
    }
    Ok(text)
}

/// `MAK` and the make part of `MIS` for a firearm.
fn encode_make(
    firearm: &Firearm,
    flags: &[QualityFlag],
) -> Result<(Option<String>, Option<String>), EncodeError> {
    let Some(make) = firearm.make.as_deref() else {
        return Ok((None, None));
    };
    if let Some(code) = make_code(make) {
        return Ok((Some(code.to_string()), None));
    }
    let flagged = flags
        .iter()
        .any(|f| f.field == "firearm.make" && f.code == FLAG_MAKE_CODE);
    if flagged && is_code(make) && make != MAKE_NOT_IN_TABLE {
        return Ok((Some(make.to_string()), None));
    }
    let name = text_value("MIS", make)?;
    if name.contains(PART_SEPARATOR) {
        return Err(invalid(
            "MIS",
            format!(
                "the make {} holds \"; \", which separates remark parts",
                shown(make)
            ),
        ));
    }
    Ok((Some(MAKE_NOT_IN_TABLE.to_string()), Some(name)))
}

/// One message as an NCIC line (without the line break).
pub fn encode_message(message: &Message) -> Result<String, EncodeError> {
    match message {
        Message::Record(record) => encode_record(record),
        Message::Search(search) => encode_search(search),
        other => Err(EncodeError::Unsupported {
            kind: other.kind().to_string(),
            format: FORMAT.to_string(),
            reason: "NCIC gun file messages carry records (EG, MG, XG) and searches (QG) only"
                .to_string(),
        }),
    }
}

struct LineOut {
    text: String,
}

impl LineOut {
    fn new(key: MessageKey) -> LineOut {
        LineOut {
            text: key.code().to_string(),
        }
    }

    fn field(&mut self, code: &str, value: Option<String>) {
        if let Some(value) = value {
            self.text.push('.');
            self.text.push_str(code);
            self.text.push('/');
            self.text.push_str(&value);
        }
    }
}

fn require(key: MessageKey, code: &str, value: &Option<String>) -> Result<(), EncodeError> {
    if value.is_none() && key.required().contains(&code) {
        return Err(invalid(
            code,
            format!(
                "required for {}, and the message has no value for it",
                key.entry_name()
            ),
        ));
    }
    Ok(())
}

struct FirearmFields {
    ser: Option<String>,
    mak: Option<String>,
    make_in_mis: Option<String>,
    cal: Option<String>,
    model: Option<String>,
    typ: Option<String>,
}

fn firearm_fields(firearm: &Firearm, flags: &[QualityFlag]) -> Result<FirearmFields, EncodeError> {
    let ser = firearm
        .serial_number
        .as_deref()
        .map(|s| identifier("SER", s))
        .transpose()?;
    let (mak, make_in_mis) = encode_make(firearm, flags)?;
    let cal = encode_calibre(firearm)?;
    let model = firearm
        .model
        .as_deref()
        .map(|m| text_value("MOD", m))
        .transpose()?;
    let typ = match firearm.firearm_type.as_deref() {
        None => None,
        Some(firearm_type) => Some(
            firearm_types::ncic_typ(firearm_type, firearm.action.as_deref()).ok_or_else(|| {
                invalid(
                    "TYP",
                    format!(
                        "no NCIC type code for {firearm_type}{} (a rifle, shotgun or combination gun needs its action)",
                        firearm
                            .action
                            .as_deref()
                            .map(|a| format!(" with action {a}"))
                            .unwrap_or_default()
                    ),
                )
            })?,
        ),
    };
    Ok(FirearmFields {
        ser,
        mak,
        make_in_mis,
        cal,
        model,
        typ,
    })
}

fn encode_record(record: &FirearmRecord) -> Result<String, EncodeError> {
    let key = match record.action {
        RecordAction::Create => MessageKey::Eg,
        RecordAction::Update => MessageKey::Mg,
        RecordAction::Cancel => MessageKey::Xg,
    };
    let status = record.event.status;
    if !matches!(status, RecordStatus::Stolen | RecordStatus::Lost) {
        return Err(EncodeError::Unsupported {
            kind: "record".to_string(),
            format: FORMAT.to_string(),
            reason: format!(
                "its status is {}, and NCIC gun entries are for stolen or lost guns",
                status_name(status)
            ),
        });
    }
    let f = firearm_fields(&record.firearm, &record.header.flags)?;
    let ori = Some(identifier("ORI", &record.owner_agency)?);
    let oca = Some(identifier("OCA", &record.record_id)?);
    let dot = match record.event.date.as_deref() {
        None => None,
        Some(iso) => {
            let parsed = date::parse_iso(iso).map_err(|e| invalid("DOT", e))?;
            Some(date::format_with(&parsed, "YYYYMMDD").map_err(|e| {
                invalid(
                    "DOT",
                    format!("{e}; NCIC needs the full date of theft or loss"),
                )
            })?)
        }
    };
    let description = record
        .event
        .description
        .as_deref()
        .map(ncic_text)
        .filter(|t| !t.is_empty());
    let mis = format_remarks(&Remarks {
        status: Some(status),
        make: f.make_in_mis.clone(),
        text: description,
    });
    for (code, value) in [
        ("ORI", &ori),
        ("SER", &f.ser),
        ("MAK", &f.mak),
        ("CAL", &f.cal),
        ("TYP", &f.typ),
        ("DOT", &dot),
        ("OCA", &oca),
    ] {
        require(key, code, value)?;
    }
    let mut out = LineOut::new(key);
    out.field("ORI", ori);
    out.field("SER", f.ser);
    out.field("MAK", f.mak);
    out.field("CAL", f.cal);
    out.field("MOD", f.model);
    out.field("TYP", f.typ);
    out.field("DOT", dot);
    out.field("OCA", oca);
    out.field("MIS", mis);
    Ok(out.text)
}

fn encode_search(search: &Search) -> Result<String, EncodeError> {
    let key = MessageKey::Qg;
    let f = firearm_fields(&search.firearm, &search.header.flags)?;
    let ori = Some(identifier("ORI", &search.searching_agency)?);
    let oca = Some(identifier("OCA", &search.search_id)?);
    let mis = format_remarks(&Remarks {
        status: None,
        make: f.make_in_mis.clone(),
        text: None,
    });
    require(key, "ORI", &ori)?;
    require(key, "SER", &f.ser)?;
    let mut out = LineOut::new(key);
    out.field("ORI", ori);
    out.field("SER", f.ser);
    out.field("MAK", f.mak);
    out.field("CAL", f.cal);
    out.field("MOD", f.model);
    out.field("TYP", f.typ);
    out.field("OCA", oca);
    out.field("MIS", mis);
    Ok(out.text)
}

fn status_name(status: RecordStatus) -> &'static str {
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
