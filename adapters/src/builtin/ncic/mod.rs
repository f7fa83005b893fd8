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
//!
//! One module per part: `line` the syntax of a line, `decode` its meaning,
//! `encode` the other way, `remarks` the `MIS` conventions, `makes` the `MAK`
//! code table and `cal` the `CAL` calibre notation.

mod cal;
mod decode;
mod encode;
mod line;
mod makes;
mod remarks;
#[cfg(test)]
mod tests;

use std::io::{BufRead, Write};

use uuid::Uuid;

use crate::adapter::{Adapter, Capabilities, Media, MessageEncoder, MessageStream};
use crate::error::{EncodeError, RecordError};
use crate::framing::LineFramer;
use crate::limits::Limits;
use crate::model::MessageKind;

pub use cal::{cal_notation, calibre_for, encode_calibre, CAL_SPELLINGS};
use decode::decode_frame;
pub use decode::ncic_field;
use encode::NcicWriter;
pub use encode::{encode_message, ncic_text};
pub use line::{Field, Parsed};
pub use makes::make_code;
pub use remarks::{format_remarks, parse_remarks, Remarks};

/// Format name.
pub const FORMAT: &str = "ncic";
/// Country given to decoded messages unless configured otherwise.
pub const DEFAULT_COUNTRY: &str = "US";
/// `MAK` code of a make that is not in the table; the make is named in `MIS`.
pub const MAKE_NOT_IN_TABLE: &str = "ZZZ";
/// Quality flag raised when `MAK` holds a code the make table does not know; the
/// code is kept as the make, and written back as the code.
pub const FLAG_MAKE_CODE: &str = "ncic_make_code";
/// Quality flag raised when `MAK` holds an NCIC country or place code, which
/// NCIC uses when the make cannot be determined: no make, and the country (when
/// NCIC's country table gives an ISO code) as the country of manufacture.
pub const FLAG_MAKE_COUNTRY: &str = "ncic_make_country";

/// Field codes in the order the encoder writes them.
pub const FIELDS: [&str; 9] = [
    "ORI", "SER", "MAK", "CAL", "MOD", "TYP", "DOT", "OCA", "MIS",
];

/// Namespace of the message ids derived from message text.
const ID_NAMESPACE: Uuid = Uuid::from_u128(0xe01c_6ded_1358_48f6_b4d1_bf8d_62f6_2ed1);

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

    fn media(&self) -> Media {
        Media::TEXT
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
