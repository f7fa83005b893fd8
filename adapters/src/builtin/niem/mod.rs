//! `niem-xml`: firearm records as NIEM 5.2 `j:Firearm` elements, read and written.
//!
//! A document is our own root, `ix:FirearmRecordExchange` in namespace
//! [`NS_EXCHANGE`], holding one `ix:FirearmRecord` per canonical record. The
//! record extends `nc:ActivityType` (identification, category = status, date,
//! description, location), adds the message fields NIEM has no element for
//! (`ix:MessageID`, `ix:CorrelationID`, `ix:RecordActionCode`,
//! `ix:RecordVersionNumeric`) and holds one `j:Firearm` made of NIEM elements
//! only, in schema order. The XSD is `adapters/schemas/niem/iarms-niem-exchange.xsd`;
//! the field-by-field mapping, and what does not survive, is in
//! `mappings/niem-xml.md`.
//!
//! Reading is strict about structure: an element the adapter does not read is an
//! error naming it (its value would otherwise be lost), and a singular element
//! that appears twice is an error. Values are passed on as written; the
//! normaliser maps codes (calibre, type, country) afterwards, and its problems
//! are located at the NIEM element through the record site's native names.
//!
//! One module per part: `tree` walks a record element, `reader` reads a record
//! (with `identification`, `values` and `firearm` for its parts), `vocabulary`
//! holds the codes of both directions, `paths` places canonical fields in the
//! document, `writer` and `write_record` write it.

mod firearm;
mod identification;
mod paths;
mod reader;
#[cfg(test)]
mod tests;
mod tree;
mod values;
mod vocabulary;
mod write_record;
mod writer;

use std::io::{BufRead, Write};

use uuid::Uuid;

use crate::adapter::{Adapter, Capabilities, Media, MessageEncoder, MessageStream};
use crate::error::{EncodeError, RecordError};
use crate::format::xml::check_document_root;
use crate::framing::xml_elements::XmlElement;
use crate::framing::XmlElementFramer;
use crate::limits::Limits;
use crate::model::MessageKind;

pub use paths::niem_path;
use reader::decode_frame;
use tree::qualified;
pub use vocabulary::item_status_code;
pub use writer::NiemWriter;

/// Format name.
pub const FORMAT: &str = "niem-xml";
/// Namespace of the exchange root and of the few record fields NIEM lacks.
pub const NS_EXCHANGE: &str = "urn:iarms-gateway:niem-exchange:1";
/// NIEM Core 5.0.
pub const NS_NC: &str = "http://release.niem.gov/niem/niem-core/5.0/";
/// NIEM Justice domain 7.2 (NIEM 5.2).
pub const NS_J: &str = "http://release.niem.gov/niem/domains/jxdm/7.2/";
/// NIEM's ISO 3166-1 code list.
pub const NS_ISO_3166: &str = "http://release.niem.gov/niem/codes/iso_3166-1/5.0/";
/// NIEM code-list instance attributes (`cli:codeListURI`).
pub const NS_CLI: &str =
    "http://reference.niem.gov/niem/specification/code-lists/5.0/code-lists-instance/";
/// The document element.
pub const ROOT: &str = "FirearmRecordExchange";
/// One record.
pub const RECORD: &str = "FirearmRecord";
/// The exchange schema, relative to the repository root.
pub const SCHEMA_PATH: &str = "adapters/schemas/niem/iarms-niem-exchange.xsd";
/// `cli:codeListURI` of a country code NIEM's ISO 3166-1 list does not hold
/// (historic codes such as YU, the user-assigned XK).
pub const COUNTRY_CODE_LIST: &str = "urn:iarms-gateway:code-list:country";

/// `nc:IdentificationCategoryText` values this format gives meaning to.
pub mod category {
    /// The record's own identification (`nc:ActivityIdentification`).
    pub const RECORD: &str = "record";
    /// The police case number (`nc:ActivityIdentification`).
    pub const CASE: &str = "case";
    /// A marking on the firearm (`nc:ItemOtherIdentification`).
    pub const MARKING: &str = "marking";
    /// The marking applied at import (`nc:ItemOtherIdentification`).
    pub const IMPORT_MARKING: &str = "import marking";
    /// INTERPOL Firearms Reference Table id (`nc:ItemOtherIdentification`).
    pub const IFRT: &str = "IFRT";
}

/// The ISO 3166-1 alpha-2 codes NIEM 5.2's `iso_3166:CountryAlpha2Code` accepts
/// (`codes/iso_3166.xsd`, checked by a test). Other codes are written as
/// `nc:CountryCode` with [`COUNTRY_CODE_LIST`].
const NIEM_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Namespace of message ids derived for records that carry none.
const ID_NAMESPACE: Uuid = Uuid::from_u128(0xe89e_0210_9a22_4456_9660_121f_143a_18ce);

/// Whether NIEM's ISO 3166-1 enumeration holds `code`.
pub fn niem_lists_country(code: &str) -> bool {
    code.len() == 2 && NIEM_ALPHA2.split(' ').any(|c| c == code)
}

/// The `niem-xml` adapter.
pub struct NiemXml;

impl Adapter for NiemXml {
    fn name(&self) -> &str {
        FORMAT
    }

    fn description(&self) -> &str {
        "NIEM 5.2 j:Firearm records in an ix:FirearmRecordExchange document (records only; XSD: adapters/schemas/niem/iarms-niem-exchange.xsd)"
    }

    fn media(&self) -> Media {
        Media::XML
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read: true,
            write: true,
            kinds: vec![MessageKind::Record],
        }
    }

    fn decode<'a>(
        &self,
        input: Box<dyn BufRead + 'a>,
        limits: Limits,
    ) -> Result<MessageStream<'a>, RecordError> {
        let mut framer = XmlElementFramer::new(input, 1, limits);
        let mut root_checked = false;
        let mut stopped = false;
        let stream = std::iter::from_fn(move || {
            if stopped {
                return None;
            }
            let next = framer.next();
            if !root_checked {
                if let Some(root) = framer.root() {
                    root_checked = true;
                    if let Err(e) = check_root(root) {
                        stopped = true;
                        return Some(Err(e));
                    }
                }
            }
            Some(next?.and_then(|frame| decode_frame(&frame)))
        });
        Ok(Box::new(stream))
    }

    fn encoder<'a>(
        &self,
        output: Box<dyn Write + 'a>,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError> {
        Ok(Box::new(NiemWriter::new(output)))
    }
}

/// Checks the document element: ours, with a version this build reads.
pub fn check_root(root: &XmlElement) -> Result<(), RecordError> {
    check_document_root(root, ROOT, NS_EXCHANGE, format!("/{}", qualified(root)))
}
