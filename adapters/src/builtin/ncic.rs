//! `ncic`: NCIC-style gun file messages, one message per line, read and written.
//!
//! A message is its message key followed by fields, each a three-letter field
//! code, `/` and the value, separated by periods:
//!
//! ```text
//! EG.ORI/MD1012600.SER/A123456.MAK/GLK.CAL/9MM.MOD/17.TYP/PI.DOT/20240307.OCA/2024-00117.MIS/TAKEN FROM VEHICLE
//! ```
//!
//! NCIC allows no period inside message text, so a period always separates two
//! fields; a trailing period ends the message. Message keys: `EG` enter gun
//! (record `create`), `MG` modify (`update`), `XG` cancel (`cancel`), `QG`
//! query (a canonical `search`). Fields: `ORI` originating agency, `SER` serial
//! number, `MAK` make code, `CAL` calibre, `MOD` model, `TYP` type code, `DOT`
//! date of theft or loss (`YYYYMMDD`), `OCA` originating agency case number,
//! `MIS` remarks. The field-by-field mapping, the `MIS` conventions and what does
//! not survive are in `mappings/ncic.md`.
//!
//! NCIC is a national system, so messages name no country: the owner (or
//! searching) country of every decoded message is the adapter's configured
//! country, `US` by default.

use std::io::{BufRead, Write};
use std::sync::Arc;

use uuid::Uuid;

use crate::adapter::{
    Adapter, Capabilities, Decoded, FieldAnchor, MessageEncoder, MessageStream, NativeNamer,
    RecordSite,
};
use crate::codes::{calibres, firearm_types, fold_key};
use crate::error::{EncodeError, ErrorCode, Location, RecordError};
use crate::framing::{frame_text, ByteFrame, LineFramer};
use crate::limits::Limits;
use crate::model::{
    Event, Firearm, FirearmRecord, Header, Message, MessageKind, QualityFlag, RecordAction,
    RecordStatus, Search, SCHEMA_VERSION,
};
use crate::normalise::date;

/// Format name.
pub const FORMAT: &str = "ncic";
/// Country given to decoded messages unless configured otherwise.
pub const DEFAULT_COUNTRY: &str = "US";
/// `MAK` code of a make that is not in the table; the make is named in `MIS`.
pub const MAKE_NOT_IN_TABLE: &str = "ZZZ";
/// Quality flag raised when `MAK` holds a code the make table does not know; the
/// code is kept as the make, and written back as the code.
pub const FLAG_MAKE_CODE: &str = "ncic_make_code";

/// Field codes in the order the encoder writes them.
pub const FIELDS: [&str; 9] = [
    "ORI", "SER", "MAK", "CAL", "MOD", "TYP", "DOT", "OCA", "MIS",
];

/// Namespace of the message ids derived from message text.
const ID_NAMESPACE: Uuid = Uuid::from_u128(0xe01c_6ded_1358_48f6_b4d1_bf8d_62f6_2ed1);

/// A partial table of NCIC gun make codes (`MAK`): code, the make name the
/// decoder gives, and other spellings the encoder accepts for it. Codes as used
/// in the NCIC Code Manual's gun data codes for these makers; the table holds
/// only common makes and must be checked against the current NCIC Code Manual
/// before production use. A make not in the table is written `MAK/ZZZ` with the
/// name in `MIS`.
pub const MAKES: &[(&str, &str, &[&str])] = &[
    (
        "BER",
        "Beretta",
        &[
            "Pietro Beretta",
            "Fabbrica d'Armi Pietro Beretta",
            "Beretta USA",
        ],
    ),
    (
        "BRO",
        "Browning",
        &["Browning Arms", "Browning Arms Company"],
    ),
    (
        "COL",
        "Colt",
        &[
            "Colt's",
            "Colts",
            "Colt's Manufacturing",
            "Colt's Manufacturing Company",
        ],
    ),
    ("GLK", "Glock", &["Glock GmbH", "Glock Inc"]),
    (
        "MOS",
        "Mossberg",
        &["O.F. Mossberg & Sons", "Mossberg & Sons"],
    ),
    (
        "REM",
        "Remington",
        &["Remington Arms", "Remington Arms Company"],
    ),
    (
        "RUG",
        "Ruger",
        &[
            "Sturm Ruger",
            "Sturm, Ruger & Co.",
            "Sturm Ruger and Company",
        ],
    ),
    (
        "SIG",
        "SIG Sauer",
        &["Sig-Sauer", "SIG Sauer GmbH", "Sig Sauer Inc"],
    ),
    ("SW", "Smith & Wesson", &["Smith and Wesson", "S&W"]),
    ("TAU", "Taurus", &["Forjas Taurus", "Taurus International"]),
    (
        "WIN",
        "Winchester",
        &[
            "Winchester Repeating Arms",
            "Winchester Repeating Arms Company",
        ],
    ),
];

/// NCIC calibre notations (decimal point stripped) that the calibre code list
/// does not read as written, with the spelling it does read. Other `CAL` values
/// (`9MM`, `22`, `38`, `357`, `380`, `12`, `410`, ...) are read as written.
pub const CAL_SPELLINGS: &[(&str, &str)] = &[
    ("556", "5.56"),
    ("635", "6.35"),
    ("762", "7.62"),
    ("763", "7.63"),
    ("765", "7.65"),
    ("792", "7.92"),
];

/// Message keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKey {
    /// Enter gun: a stolen or lost gun (record `create`).
    Eg,
    /// Modify gun (record `update`).
    Mg,
    /// Cancel gun (record `cancel`).
    Xg,
    /// Query gun (a `search`).
    Qg,
}

impl MessageKey {
    pub const ALL: [MessageKey; 4] = [
        MessageKey::Eg,
        MessageKey::Mg,
        MessageKey::Xg,
        MessageKey::Qg,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MessageKey::Eg => "EG",
            MessageKey::Mg => "MG",
            MessageKey::Xg => "XG",
            MessageKey::Qg => "QG",
        }
    }

    pub fn parse(code: &str) -> Option<MessageKey> {
        MessageKey::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Fields the message must carry. An entry needs what NCIC needs for a
    /// stolen or lost gun; a modify or cancel names the record (ORI, OCA) and the
    /// gun (SER); a query needs the serial number.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            MessageKey::Eg => &["ORI", "SER", "MAK", "CAL", "TYP", "DOT", "OCA"],
            MessageKey::Mg | MessageKey::Xg => &["ORI", "SER", "OCA"],
            MessageKey::Qg => &["ORI", "SER"],
        }
    }

    /// Fields the message may carry.
    pub fn allowed(self) -> &'static [&'static str] {
        match self {
            MessageKey::Eg | MessageKey::Mg | MessageKey::Xg => &FIELDS,
            MessageKey::Qg => &["ORI", "SER", "MAK", "CAL", "MOD", "TYP", "OCA", "MIS"],
        }
    }

    fn entry_name(self) -> &'static str {
        match self {
            MessageKey::Eg => "an EG entry",
            MessageKey::Mg => "an MG modification",
            MessageKey::Xg => "an XG cancellation",
            MessageKey::Qg => "a QG query",
        }
    }
}

/// The `ncic` adapter; `country` is the owner (or searching) country of every
/// decoded message.
#[derive(Debug, Clone)]
pub struct Ncic {
    country: String,
}

impl Ncic {
    /// An adapter whose decoded messages belong to `country` (ISO 3166-1 alpha-2).
    pub fn new(country: impl Into<String>) -> Ncic {
        Ncic {
            country: country.into(),
        }
    }

    pub fn country(&self) -> &str {
        &self.country
    }
}

impl Default for Ncic {
    fn default() -> Ncic {
        Ncic::new(DEFAULT_COUNTRY)
    }
}

impl Adapter for Ncic {
    fn name(&self) -> &str {
        FORMAT
    }

    fn description(&self) -> &str {
        "NCIC-style gun file messages, one per line: EG/MG/XG (records) and QG (searches), fields CODE/value separated by periods"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read: true,
            write: true,
            kinds: vec![MessageKind::Record, MessageKind::Search],
        }
    }

    fn decode<'a>(
        &self,
        input: Box<dyn BufRead + 'a>,
        limits: Limits,
    ) -> Result<MessageStream<'a>, RecordError> {
        let country = self.country.clone();
        let stream = LineFramer::new(input, limits)
            .map(move |frame| frame.and_then(|frame| decode_frame(&frame, &country, &limits)));
        Ok(Box::new(stream))
    }

    fn encoder<'a>(
        &self,
        output: Box<dyn Write + 'a>,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError> {
        Ok(Box::new(NcicWriter { out: output }))
    }
}

// ------------------------------------------------------------------ reading

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
struct LineSite {
    record: u64,
    line: u64,
}

impl LineSite {
    fn error(
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
fn shown(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() > MAX {
        let short: String = value.chars().take(MAX).collect();
        format!("\"{short}…\"")
    } else {
        format!("\"{value}\"")
    }
}

/// Splits a message into key and fields (the syntax only).
fn parse_line<'l>(
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

/// What `MIS` carries besides remarks (see mappings/ncic.md): a status marker
/// (`LOST`, `STOLEN`) and, with `MAK/ZZZ`, the make (`MAK <name>`), each a part
/// ending with `; `.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Remarks {
    pub status: Option<RecordStatus>,
    pub make: Option<String>,
    pub text: Option<String>,
}

const PART_SEPARATOR: &str = "; ";

fn split_part(text: &str) -> (&str, Option<&str>) {
    match text.split_once(PART_SEPARATOR) {
        Some((part, rest)) => (part, Some(rest)),
        None => (text, None),
    }
}

fn status_marker(part: &str) -> Option<RecordStatus> {
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

fn make_key(name: &str) -> String {
    fold_key(name)
        .replace('&', " and ")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The make name for a `MAK` code in the table.
pub fn make_name(code: &str) -> Option<&'static str> {
    MAKES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, name, _)| *name)
}

/// The `MAK` code for a make name or one of its listed spellings (case, spacing
/// and punctuation do not matter; `&` = "and").
pub fn make_code(name: &str) -> Option<&'static str> {
    let key = make_key(name);
    if key.is_empty() {
        return None;
    }
    MAKES
        .iter()
        .find(|(code, display, synonyms)| {
            make_key(code) == key
                || make_key(display) == key
                || synonyms.iter().any(|s| make_key(s) == key)
        })
        .map(|(code, _, _)| *code)
}

/// A value shaped like a make code: one to four uppercase letters or digits.
fn is_code(value: &str) -> bool {
    (1..=4).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The calibre text handed to the normaliser for a `CAL` value.
pub fn calibre_for(cal: &str) -> &str {
    CAL_SPELLINGS
        .iter()
        .find(|(code, _)| *code == cal)
        .map_or(cal, |(_, spelling)| *spelling)
}

fn decode_frame(frame: &ByteFrame, country: &str, limits: &Limits) -> Result<Decoded, RecordError> {
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

// ------------------------------------------------------------------ writing

struct NcicWriter<W: Write> {
    out: W,
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

fn invalid(field: &str, reason: impl std::fmt::Display) -> EncodeError {
    EncodeError::Invalid(format!("NCIC field {field}: {reason}"))
}

/// An identifier written as is: it may hold no period (NCIC's field separator)
/// and no line break, and may not be empty.
fn identifier(field: &str, value: &str) -> Result<String, EncodeError> {
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

fn text_value(field: &str, value: &str) -> Result<String, EncodeError> {
    let text = ncic_text(value);
    if text.is_empty() {
        return Err(invalid(field, "empty value"));
    }
    Ok(text)
}

/// Leading number of a calibre name: `.45`, `9`, `7.62`, `12`.
fn leading_number(name: &str) -> Option<(&str, &str)> {
    let bytes = name.as_bytes();
    let mut end = 0;
    if bytes.first() == Some(&b'.') {
        end = 1;
    }
    let digits_start = end;
    let digit_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    while digit_at(end) {
        end += 1;
    }
    if end == digits_start {
        return None;
    }
    if bytes.get(end) == Some(&b'.') && digit_at(end + 1) {
        end += 1;
        while digit_at(end) {
            end += 1;
        }
    }
    Some((&name[..end], &name[end..]))
}

/// The NCIC notation of a calibre name: decimal points and designations dropped
/// (`.45 ACP` -> `45`, `7.62x39mm` -> `762`, `12 gauge` -> `12`, `.410 bore` ->
/// `410`), whole millimetre calibres with `MM` (`9x19mm` -> `9MM`, `10mm Auto` ->
/// `10MM`).
pub fn cal_notation(name: &str) -> Option<String> {
    let name = name.trim();
    let (number, rest) = leading_number(name)?;
    let metric_whole = !number.contains('.')
        && (rest.starts_with('x')
            || rest.starts_with('X')
            || rest.to_ascii_lowercase().starts_with("mm"));
    let gauge = rest.ends_with(" gauge") || rest.ends_with(" bore");
    if metric_whole && !gauge {
        Some(format!("{number}MM"))
    } else {
        Some(number.replace('.', ""))
    }
}

/// What reading a `CAL` value gives.
fn cal_reading(cal: &str) -> calibres::CalibreMatch {
    calibres::lookup(calibre_for(cal))
}

/// Whether reading `cal` back agrees with the canonical calibre: the same known
/// calibre, or an ambiguity (with the calibre among the candidates).
fn cal_agrees(cal: &str, calibre: Option<&str>) -> bool {
    match (cal_reading(cal), calibre) {
        (calibres::CalibreMatch::Known(known), Some(c)) => known.name == c,
        (calibres::CalibreMatch::Known(_), None) => false,
        (calibres::CalibreMatch::Ambiguous(candidates), Some(c)) => candidates.contains(&c),
        (calibres::CalibreMatch::Ambiguous(_), None) => true,
        (calibres::CalibreMatch::Unknown, _) => false,
    }
}

/// `CAL` for a firearm: the value as recorded when it is NCIC notation that
/// reads back as this calibre; else the NCIC notation of the canonical calibre,
/// unless that would read back as a different calibre (then the canonical name
/// without its leading dot, when it holds no other period).
pub fn encode_calibre(firearm: &Firearm) -> Result<Option<String>, EncodeError> {
    let calibre = firearm.calibre.as_deref();
    if let Some(recorded) = firearm.calibre_as_recorded.as_deref() {
        let code = if is_code(recorded) {
            Some(recorded)
        } else {
            CAL_SPELLINGS
                .iter()
                .find(|(_, spelling)| *spelling == recorded)
                .map(|(code, _)| *code)
        };
        if let Some(code) = code.filter(|code| cal_agrees(code, calibre)) {
            return Ok(Some(code.to_string()));
        }
    }
    let Some(source) = calibre.or(firearm.calibre_as_recorded.as_deref()) else {
        return Ok(None);
    };
    if let Some(code) = cal_notation(source) {
        let contradicts = match (cal_reading(&code), calibre) {
            (calibres::CalibreMatch::Known(known), Some(c)) => known.name != c,
            _ => false,
        };
        if !contradicts {
            return Ok(Some(code));
        }
    }
    let name = source.strip_prefix('.').unwrap_or(source);
    if name.contains('.') || name.is_empty() {
        return Err(invalid(
            "CAL",
            format!(
                "calibre {} has no NCIC notation the gateway knows and cannot be written without periods",
                shown(source)
            ),
        ));
    }
    identifier("CAL", name).map(Some)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn decode_all(text: &str) -> Vec<Result<Decoded, RecordError>> {
        match Ncic::default().decode(
            Box::new(Cursor::new(text.as_bytes().to_vec())),
            Limits::default(),
        ) {
            Ok(stream) => stream.collect(),
            Err(e) => vec![Err(e)],
        }
    }

    fn message(result: &Result<Decoded, RecordError>) -> Option<Message> {
        result.as_ref().ok().map(|d| d.message.clone())
    }

    const EG: &str = "EG.ORI/MD1012600.SER/A123456.MAK/GLK.CAL/9MM.MOD/17.TYP/PI.DOT/20240307.OCA/2024-00117.MIS/TAKEN FROM VEHICLE";

    #[test]
    fn reads_an_entry() {
        let out = decode_all(EG);
        let Some(Message::Record(r)) = message(&out[0]) else {
            panic!("{:?}", out[0]);
        };
        assert_eq!(r.owner_country, "US");
        assert_eq!(r.owner_agency, "MD1012600");
        assert_eq!(r.record_id, "2024-00117");
        assert_eq!(r.case_reference.as_deref(), Some("2024-00117"));
        assert_eq!(r.action, RecordAction::Create);
        assert_eq!(r.firearm.make.as_deref(), Some("Glock"));
        assert_eq!(r.firearm.model.as_deref(), Some("17"));
        assert_eq!(r.firearm.serial_number.as_deref(), Some("A123456"));
        assert_eq!(r.firearm.calibre_as_recorded.as_deref(), Some("9MM"));
        assert_eq!(r.firearm.firearm_type.as_deref(), Some("pistol"));
        assert_eq!(r.firearm.action.as_deref(), Some("semi_automatic"));
        assert_eq!(r.event.status, RecordStatus::Stolen);
        assert_eq!(r.event.date.as_deref(), Some("2024-03-07"));
        assert_eq!(r.event.description.as_deref(), Some("TAKEN FROM VEHICLE"));
        let again = message(&decode_all(EG)[0]).map(|m| m.header().message_id);
        assert_eq!(again, Some(r.header.message_id));
    }

    #[test]
    fn missing_required_field_is_located() {
        let text = format!("{EG}\n{EG}\n{EG}\n{}\n", EG.replace(".SER/A123456", ""));
        let out = decode_all(&text);
        assert_eq!(out.len(), 4);
        let err = out[3]
            .clone()
            .err()
            .unwrap_or_else(|| panic!("expected an error"));
        assert_eq!(
            err.to_string(),
            "record 4 (line 4) field SER: required for an EG entry"
        );
        assert!(out[..3].iter().all(Result::is_ok));
    }

    #[test]
    fn syntax_errors_name_the_column() {
        let out = decode_all("EG.ORI/MD1012600.SERA123456");
        let err = out[0]
            .clone()
            .err()
            .unwrap_or_else(|| panic!("expected an error"));
        assert_eq!(err.code, ErrorCode::Syntax);
        assert_eq!(err.location.column, Some(18));
        let out = decode_all("XX.ORI/MD1012600");
        assert_eq!(
            out[0].clone().err().and_then(|e| e.field),
            Some("MKE".to_string())
        );
        let out = decode_all(&EG.replace("DOT/20240307", "DOT/20240231"));
        let err = out[0].clone().err();
        assert_eq!(err.as_ref().map(|e| e.code), Some(ErrorCode::InvalidValue));
        assert_eq!(err.and_then(|e| e.field), Some("DOT".to_string()));
        let out = decode_all(&EG.replace("TYP/PI", "TYP/RV"));
        assert_eq!(
            out[0].clone().err().and_then(|e| e.field),
            Some("TYP".to_string())
        );
        let out = decode_all(&format!("{EG}.SER/X"));
        assert_eq!(
            out[0].clone().err().map(|e| e.reason),
            Some("field appears more than once".to_string())
        );
        let out = decode_all(&format!("{EG}.NIC/G123456789"));
        assert_eq!(
            out[0].clone().err().and_then(|e| e.field),
            Some("NIC".to_string())
        );
    }

    #[test]
    fn zzz_make_needs_mis() {
        let zzz = EG.replace("MAK/GLK", "MAK/ZZZ");
        let out = decode_all(&zzz);
        assert_eq!(
            out[0].clone().err().and_then(|e| e.field),
            Some("MIS".to_string())
        );
        let named = zzz.replace("MIS/TAKEN", "MIS/LOST; MAK HI-POINT; TAKEN");
        let Some(Message::Record(r)) = message(&decode_all(&named)[0]) else {
            panic!("not read");
        };
        assert_eq!(r.firearm.make.as_deref(), Some("HI-POINT"));
        assert_eq!(r.event.status, RecordStatus::Lost);
        assert_eq!(r.event.description.as_deref(), Some("TAKEN FROM VEHICLE"));
    }

    #[test]
    fn unknown_make_code_is_kept_and_flagged() {
        let line = EG.replace("MAK/GLK", "MAK/HIP");
        let Some(Message::Record(r)) = message(&decode_all(&line)[0]) else {
            panic!("not read");
        };
        assert_eq!(r.firearm.make.as_deref(), Some("HIP"));
        assert_eq!(
            r.header.flags.first().map(|f| f.code.as_str()),
            Some(FLAG_MAKE_CODE)
        );
        assert_eq!(
            encode_message(&Message::Record(r)).ok().as_deref(),
            Some(line.as_str())
        );
    }

    #[test]
    fn remarks_round_trip() {
        for (mis, zzz) in [
            ("LOST", false),
            ("LOST; A", false),
            ("STOLEN; LOST", false),
            ("MAK X; LOST", true),
            ("LOST; MAK X", true),
            ("A; B; C", false),
            ("MAK X", true),
        ] {
            let remarks = parse_remarks(mis, zzz).unwrap_or_default();
            assert_eq!(format_remarks(&remarks).as_deref(), Some(mis), "{mis}");
        }
        let stolen = Remarks {
            status: Some(RecordStatus::Stolen),
            make: None,
            text: Some("LOST; KEYS".to_string()),
        };
        let written = format_remarks(&stolen).unwrap_or_default();
        assert_eq!(written, "STOLEN; LOST; KEYS");
        assert_eq!(parse_remarks(&written, false), Ok(stolen));
    }

    #[test]
    fn text_loses_only_periods_and_breaks() {
        assert_eq!(ncic_text("No. 4 Mk I"), "No 4 Mk I");
        assert_eq!(ncic_text("AMADEO ROSSI S.A. SAO"), "AMADEO ROSSI S A SAO");
        assert_eq!(ncic_text("Found by the police."), "Found by the police");
        assert_eq!(ncic_text("line\nbreak"), "line break");
        assert_eq!(ncic_text("M70AB2"), "M70AB2");
    }

    #[test]
    fn make_table() {
        assert_eq!(make_code("Smith & Wesson"), Some("SW"));
        assert_eq!(make_code("smith and wesson"), Some("SW"));
        assert_eq!(make_code("Sturm, Ruger & Co."), Some("RUG"));
        assert_eq!(make_code("GLOCK"), Some("GLK"));
        assert_eq!(make_code("Zastava"), None);
        for (code, name, _) in MAKES {
            assert_eq!(make_code(name), Some(*code));
            assert_eq!(make_name(code), Some(*name));
            assert!(is_code(code));
        }
    }

    #[test]
    fn calibre_notation() {
        for (name, code) in [
            ("9x19mm", "9MM"),
            (".45 ACP", "45"),
            (".380 ACP", "380"),
            ("7.62x39mm", "762"),
            ("12 gauge", "12"),
            (".410 bore", "410"),
            (".22 LR", "22"),
            ("10mm Auto", "10MM"),
            ("5.56x45mm", "556"),
            (".30-06 Springfield", "30"),
        ] {
            assert_eq!(cal_notation(name).as_deref(), Some(code), "{name}");
        }
        assert_eq!(cal_notation("Makarov"), None);
    }

    #[test]
    fn calibre_spellings_are_read_by_the_code_list() {
        for (code, spelling) in CAL_SPELLINGS {
            assert!(
                !matches!(calibres::lookup(spelling), calibres::CalibreMatch::Unknown),
                "{code} -> {spelling}"
            );
            assert!(
                matches!(calibres::lookup(code), calibres::CalibreMatch::Unknown),
                "{code}"
            );
        }
    }

    #[test]
    fn encoding_never_writes_a_calibre_that_reads_back_as_another() {
        for calibre in calibres::all() {
            let firearm = Firearm {
                calibre: Some(calibre.name.clone()),
                ..Firearm::default()
            };
            if let Ok(Some(cal)) = encode_calibre(&firearm) {
                assert!(!cal.contains('.'), "{} -> {cal}", calibre.name);
                if let calibres::CalibreMatch::Known(known) = cal_reading(&cal) {
                    assert_eq!(known.name, calibre.name, "{cal}");
                }
            }
        }
    }

    #[test]
    fn unsupported_statuses_and_kinds() {
        let Some(Message::Record(mut r)) = message(&decode_all(EG)[0]) else {
            panic!("not read");
        };
        r.event.status = RecordStatus::Seized;
        assert!(matches!(
            encode_message(&Message::Record(r.clone())),
            Err(EncodeError::Unsupported { .. })
        ));
        r.event.status = RecordStatus::Stolen;
        r.event.date = Some("2024-03".to_string());
        let err = encode_message(&Message::Record(r))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("DOT"), "{err}");
    }

    #[test]
    fn queries_become_searches() {
        let line = "QG.ORI/VA0290000.SER/K445112.MAK/SW.CAL/38.TYP/PR.OCA/24-3381";
        let Some(Message::Search(s)) = message(&decode_all(line)[0]) else {
            panic!("not read");
        };
        assert_eq!(s.search_id, "24-3381");
        assert_eq!(s.searching_agency, "VA0290000");
        assert_eq!(s.firearm.make.as_deref(), Some("Smith & Wesson"));
        assert_eq!(
            encode_message(&Message::Search(s)).ok().as_deref(),
            Some(line)
        );
        let out = decode_all("QG.ORI/VA0290000.SER/K445112.MIS/HELLO");
        assert_eq!(
            out[0].clone().err().and_then(|e| e.field),
            Some("MIS".to_string())
        );
    }
}
