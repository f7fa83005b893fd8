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

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::Arc;

use uuid::Uuid;

use crate::adapter::{
    Adapter, Capabilities, Decoded, FieldAnchor, MessageEncoder, MessageStream, NativeNamer,
    RecordSite,
};
use crate::codes::firearm_types;
use crate::error::{EncodeError, ErrorCode, Location, RecordError};
use crate::framing::xml_elements::{XmlElement, XmlFrame, XmlNode};
use crate::framing::XmlElementFramer;
use crate::limits::Limits;
use crate::model::{
    Event, Firearm, FirearmRecord, Header, ImportMarking, Marking, Message, MessageKind, Place,
    RecordAction, RecordStatus, SerialState, SCHEMA_VERSION,
};
use crate::normalise::date;

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
    let fail = |reason: String| {
        RecordError::new(ErrorCode::Structure, reason)
            .at(Location {
                line: Some(root.line),
                xml_path: Some(format!("/{}", qualified(root))),
                ..Location::default()
            })
            .fatal()
    };
    if root.name != ROOT || root.namespace.as_deref() != Some(NS_EXCHANGE) {
        return Err(fail(format!(
            "root element must be <{ROOT}> in namespace {NS_EXCHANGE}, found <{}> in {}",
            root.name,
            root.namespace.as_deref().unwrap_or("no namespace")
        )));
    }
    match root.attribute("version") {
        Some(v) if v.split('.').next() == SCHEMA_VERSION.split('.').next() => Ok(()),
        Some(v) => Err(fail(format!(
            "document version {v} is not supported (this build reads {SCHEMA_VERSION})"
        ))),
        None => Err(fail("root element has no version attribute".to_string())),
    }
}

// ------------------------------------------------------------------ reading

/// The conventional prefix of a namespace, for paths and messages.
fn prefix(namespace: Option<&str>) -> Option<&'static str> {
    match namespace? {
        NS_EXCHANGE => Some("ix"),
        NS_NC => Some("nc"),
        NS_J => Some("j"),
        NS_ISO_3166 => Some("iso_3166"),
        NS_CLI => Some("cli"),
        _ => None,
    }
}

/// `nc:ItemMakeName`, or `{namespace}Name` for a foreign namespace.
fn qualified(element: &XmlElement) -> String {
    match (prefix(element.namespace.as_deref()), &element.namespace) {
        (Some(p), _) => format!("{p}:{}", element.name),
        (None, Some(ns)) => format!("{{{ns}}}{}", element.name),
        (None, None) => element.name.clone(),
    }
}

fn is(element: &XmlElement, namespace: &str, name: &str) -> bool {
    element.name == name && element.namespace.as_deref() == Some(namespace)
}

/// An element with the path it was found at.
struct Node<'e> {
    element: &'e XmlElement,
    path: String,
}

impl Node<'_> {
    fn line(&self) -> u64 {
        self.element.line
    }
}

/// The child elements of `element`, each with its path; repeated names are indexed.
fn children<'e>(element: &'e XmlElement, path: &str) -> Vec<Node<'e>> {
    let elements: Vec<&XmlElement> = element.elements().collect();
    let key = |e: &XmlElement| (e.namespace.clone(), e.name.clone());
    let mut totals: HashMap<(Option<String>, String), usize> = HashMap::new();
    for child in &elements {
        *totals.entry(key(child)).or_insert(0) += 1;
    }
    let mut seen: HashMap<(Option<String>, String), usize> = HashMap::new();
    let mut nodes = Vec::with_capacity(elements.len());
    for child in elements {
        let k = key(child);
        let total = totals.get(&k).copied().unwrap_or(1);
        let position = seen.entry(k).or_insert(0);
        *position += 1;
        let name = qualified(child);
        let path = if total > 1 {
            format!("{path}/{name}[{position}]")
        } else {
            format!("{path}/{name}")
        };
        nodes.push(Node {
            element: child,
            path,
        });
    }
    nodes
}

/// Reads one record element; errors carry the record number, the element's line
/// and path, and the canonical field when there is one.
struct Reader {
    record: u64,
}

impl Reader {
    fn error(
        &self,
        node: &Node<'_>,
        field: Option<&str>,
        code: ErrorCode,
        reason: impl Into<String>,
    ) -> RecordError {
        let mut error = RecordError::new(code, reason).at(Location {
            record: Some(self.record),
            line: Some(node.line()),
            xml_path: Some(node.path.clone()),
            ..Location::default()
        });
        error.field = field.map(str::to_string);
        error
    }

    fn structure(&self, node: &Node<'_>, field: Option<&str>, reason: String) -> RecordError {
        self.error(node, field, ErrorCode::Structure, reason)
    }

    fn unexpected(&self, node: &Node<'_>, parent: &str) -> RecordError {
        self.structure(
            node,
            None,
            format!(
                "<{}> is not read by {FORMAT} inside <{parent}> (its content would be lost); see mappings/niem-xml.md",
                qualified(node.element)
            ),
        )
    }

    fn twice(&self, node: &Node<'_>, field: Option<&str>) -> RecordError {
        self.structure(
            node,
            field,
            format!("<{}> appears more than once", qualified(node.element)),
        )
    }

    /// The element's text exactly as written (no trimming: values are kept as sent).
    fn text(&self, node: &Node<'_>, field: &str) -> Result<String, RecordError> {
        if node.element.elements().next().is_some() {
            return Err(self.structure(
                node,
                Some(field),
                format!(
                    "<{}> holds elements, expected a value",
                    qualified(node.element)
                ),
            ));
        }
        let mut text = String::new();
        for child in &node.element.children {
            if let XmlNode::Text(t) = child {
                text.push_str(t);
            }
        }
        Ok(text)
    }

    /// Sets a singular value, refusing a second one.
    fn once<T>(
        &self,
        slot: &mut Option<T>,
        node: &Node<'_>,
        field: &str,
        value: T,
    ) -> Result<(), RecordError> {
        if slot.is_some() {
            return Err(self.twice(node, Some(field)));
        }
        *slot = Some(value);
        Ok(())
    }

    fn record(&self, frame: &XmlFrame) -> Result<(FirearmRecord, String), RecordError> {
        let element = &frame.element;
        let root = Node {
            element,
            path: frame.path.clone(),
        };
        if !is(element, NS_EXCHANGE, RECORD) {
            return Err(self.structure(
                &root,
                None,
                format!(
                    "<{}> found where <ix:{RECORD}> was expected",
                    qualified(element)
                ),
            ));
        }
        // The framer names path steps by local name; give the record's the prefix.
        let base = frame
            .path
            .split('/')
            .map(|step| {
                if step.is_empty() {
                    String::new()
                } else {
                    format!("ix:{step}")
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let root = Node {
            element,
            path: base.clone(),
        };

        let mut parts = RecordParts::default();
        for node in children(element, &base) {
            let child = node.element;
            match (child.namespace.as_deref(), child.name.as_str()) {
                (Some(NS_NC), "ActivityIdentification") => {
                    self.activity_identification(&node, &mut parts)?
                }
                (Some(NS_NC), "ActivityCategoryText") => {
                    let text = self.text(&node, "event.status")?;
                    let status = parse_status(text.trim()).ok_or_else(|| {
                        self.error(
                            &node,
                            Some("event.status"),
                            ErrorCode::InvalidValue,
                            format!(
                                "unknown record status \"{text}\" (expected one of: {})",
                                STATUSES.join(", ")
                            ),
                        )
                    })?;
                    self.once(&mut parts.status, &node, "event.status", status)?;
                }
                (Some(NS_NC), "ActivityDate") => {
                    let value = self.date(&node, "event.date")?;
                    self.once(&mut parts.date, &node, "event.date", value)?;
                }
                (Some(NS_NC), "ActivityDescriptionText") => {
                    let text = self.text(&node, "event.description")?;
                    self.once(&mut parts.description, &node, "event.description", text)?;
                }
                (Some(NS_NC), "ActivityLocation") => {
                    let place = self.location(&node)?;
                    self.once(&mut parts.place, &node, "event.place", place)?;
                }
                (Some(NS_EXCHANGE), "MessageID") => {
                    let id = self.uuid(&node, "header.message_id")?;
                    self.once(&mut parts.message_id, &node, "header.message_id", id)?;
                }
                (Some(NS_EXCHANGE), "CorrelationID") => {
                    let id = self.uuid(&node, "header.correlation_id")?;
                    self.once(
                        &mut parts.correlation_id,
                        &node,
                        "header.correlation_id",
                        id,
                    )?;
                }
                (Some(NS_EXCHANGE), "RecordActionCode") => {
                    let text = self.text(&node, "action")?;
                    let action = match text.trim() {
                        "create" => RecordAction::Create,
                        "update" => RecordAction::Update,
                        "cancel" => RecordAction::Cancel,
                        other => {
                            return Err(self.error(
                                &node,
                                Some("action"),
                                ErrorCode::InvalidValue,
                                format!(
                                    "unknown record action \"{other}\" (expected create, update or cancel)"
                                ),
                            ))
                        }
                    };
                    self.once(&mut parts.action, &node, "action", action)?;
                }
                (Some(NS_EXCHANGE), "RecordVersionNumeric") => {
                    let text = self.text(&node, "version")?;
                    let version = text
                        .trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|v| *v >= 1)
                        .ok_or_else(|| {
                            self.error(
                                &node,
                                Some("version"),
                                ErrorCode::InvalidValue,
                                format!("version \"{text}\" is not a whole number from 1"),
                            )
                        })?;
                    self.once(&mut parts.version, &node, "version", version)?;
                }
                (Some(NS_J), "Firearm") => {
                    if parts.firearm.is_some() {
                        return Err(self.twice(&node, Some("firearm")));
                    }
                    parts.firearm = Some(self.firearm(&node)?);
                }
                _ => return Err(self.unexpected(&node, &format!("ix:{RECORD}"))),
            }
        }
        self.assemble(&root, parts).map(|record| (record, base))
    }

    fn assemble(&self, root: &Node<'_>, parts: RecordParts) -> Result<FirearmRecord, RecordError> {
        let missing = |what: &str, field: &str| {
            self.structure(root, Some(field), format!("the record has no {what}"))
        };
        let record_id = parts.record_id.ok_or_else(|| {
            missing(
                "record identification (nc:ActivityIdentification/nc:IdentificationID)",
                "record_id",
            )
        })?;
        let owner_country = parts.owner_country.ok_or_else(|| {
            missing(
                "owner country (nc:ActivityIdentification/nc:IdentificationJurisdiction/nc:JurisdictionText)",
                "owner_country",
            )
        })?;
        let owner_agency = parts.owner_agency.ok_or_else(|| {
            missing(
                "owner agency (nc:ActivityIdentification/nc:IdentificationSourceText)",
                "owner_agency",
            )
        })?;
        let action = parts
            .action
            .ok_or_else(|| missing("ix:RecordActionCode", "action"))?;
        let (firearm, item_status) = parts
            .firearm
            .ok_or_else(|| missing("j:Firearm", "firearm"))?;
        let status = match (parts.status, item_status) {
            (Some(status), Some((code, node_path, line))) => {
                if let Some(expected) = item_status_code(status) {
                    if expected != code {
                        let node = Node {
                            element: root.element,
                            path: node_path,
                        };
                        let mut error = self.error(
                            &node,
                            Some("event.status"),
                            ErrorCode::InvalidValue,
                            format!(
                                "j:ItemStatusCode {code} contradicts the record status {} (expected {expected})",
                                status_tag(status)
                            ),
                        );
                        error.location.line = Some(line);
                        return Err(error);
                    }
                }
                status
            }
            (Some(status), None) => status,
            (None, Some((code, _, _))) => status_from_item_code(&code),
            (None, None) => {
                return Err(missing(
                    "status (nc:ActivityCategoryText or j:Firearm/nc:ItemStatus)",
                    "event.status",
                ))
            }
        };
        let version = parts.version.unwrap_or(1);
        let message_id = parts.message_id.unwrap_or_else(|| {
            let key = format!(
                "{owner_country}\u{1f}{owner_agency}\u{1f}{record_id}\u{1f}{}\u{1f}{version}",
                action_tag(action)
            );
            Uuid::new_v5(&ID_NAMESPACE, key.as_bytes())
        });
        let header = Header {
            message_id,
            correlation_id: parts.correlation_id.unwrap_or(message_id),
            schema_version: SCHEMA_VERSION.to_string(),
            flags: Vec::new(),
        };
        Ok(FirearmRecord {
            header,
            record_id,
            owner_country,
            owner_agency,
            case_reference: parts.case_reference,
            action,
            version,
            firearm,
            event: Event {
                status,
                date: parts.date,
                place: parts.place,
                description: parts.description,
            },
        })
    }

    fn activity_identification(
        &self,
        node: &Node<'_>,
        parts: &mut RecordParts,
    ) -> Result<(), RecordError> {
        let ident = self.identification(node, "record_id")?;
        let category = ident.category.as_ref().map(|c| c.value.trim().to_string());
        match category.as_deref() {
            Some(category::CASE) => {
                self.only(
                    node,
                    &ident,
                    &["IdentificationID", "IdentificationCategoryText"],
                )?;
                let id = self.required_part(node, &ident.id, "case_reference")?;
                self.once(&mut parts.case_reference, node, "case_reference", id)
            }
            None | Some(category::RECORD) => {
                self.only(
                    node,
                    &ident,
                    &[
                        "IdentificationID",
                        "IdentificationJurisdiction",
                        "IdentificationCategoryText",
                        "IdentificationSourceText",
                    ],
                )?;
                if parts.record_id.is_some() {
                    return Err(self.structure(
                        node,
                        Some("record_id"),
                        "a second record identification (one nc:ActivityIdentification is the record's, one with category \"case\" may hold the case number)".to_string(),
                    ));
                }
                parts.record_id = Some(self.required_part(node, &ident.id, "record_id")?);
                parts.owner_country = ident.jurisdiction.map(|p| p.value);
                parts.owner_agency = ident.source.map(|p| p.value);
                Ok(())
            }
            Some(other) => Err(self.error(
                node,
                None,
                ErrorCode::InvalidValue,
                format!(
                    "unknown identification category \"{other}\" (expected \"{}\" or \"{}\")",
                    category::RECORD,
                    category::CASE
                ),
            )),
        }
    }

    fn required_part(
        &self,
        node: &Node<'_>,
        part: &Option<Part>,
        field: &str,
    ) -> Result<String, RecordError> {
        part.as_ref().map(|p| p.value.clone()).ok_or_else(|| {
            self.structure(
                node,
                Some(field),
                format!("<{}> has no nc:IdentificationID", qualified(node.element)),
            )
        })
    }

    /// Refuses identification parts that this use of the identification does not read.
    fn only(&self, owner: &Node<'_>, ident: &Ident, allowed: &[&str]) -> Result<(), RecordError> {
        for part in ident.parts().into_iter().flatten() {
            if !allowed.contains(&part.element) {
                let node = Node {
                    element: owner.element,
                    path: part.path.clone(),
                };
                let mut error = self.structure(
                    &node,
                    None,
                    format!(
                        "nc:{} is not read in this identification (its value would be lost); see mappings/niem-xml.md",
                        part.element
                    ),
                );
                error.location.line = Some(part.line);
                return Err(error);
            }
        }
        Ok(())
    }

    /// Reads an `nc:IdentificationType` element.
    fn identification(&self, node: &Node<'_>, field: &str) -> Result<Ident, RecordError> {
        let mut ident = Ident::default();
        for child in children(node.element, &node.path) {
            let name = child.element.name.as_str();
            if child.element.namespace.as_deref() != Some(NS_NC) {
                return Err(self.unexpected(&child, &qualified(node.element)));
            }
            let (slot, value) = match name {
                "IdentificationID" => (&mut ident.id, self.text(&child, field)?),
                "IdentificationCategoryText" => (&mut ident.category, self.text(&child, field)?),
                "IdentificationCategoryDescriptionText" => {
                    (&mut ident.category_description, self.text(&child, field)?)
                }
                "IdentificationSourceText" => (&mut ident.source, self.text(&child, field)?),
                "IdentificationJurisdiction" => (
                    &mut ident.jurisdiction,
                    self.single_text(&child, NS_NC, "JurisdictionText", field)?,
                ),
                "IdentificationStatus" => (
                    &mut ident.status,
                    self.single_text(&child, NS_NC, "StatusText", field)?,
                ),
                "IdentificationEffectiveDate" => {
                    (&mut ident.effective_date, self.date(&child, field)?)
                }
                _ => return Err(self.unexpected(&child, &qualified(node.element))),
            };
            if slot.is_some() {
                return Err(self.twice(&child, None));
            }
            *slot = Some(Part {
                element: match name {
                    "IdentificationID" => "IdentificationID",
                    "IdentificationCategoryText" => "IdentificationCategoryText",
                    "IdentificationCategoryDescriptionText" => {
                        "IdentificationCategoryDescriptionText"
                    }
                    "IdentificationSourceText" => "IdentificationSourceText",
                    "IdentificationJurisdiction" => "IdentificationJurisdiction",
                    "IdentificationStatus" => "IdentificationStatus",
                    _ => "IdentificationEffectiveDate",
                },
                value,
                path: child.path.clone(),
                line: child.line(),
            });
        }
        Ok(ident)
    }

    /// An element holding exactly one value element `ns:name`.
    fn single_text(
        &self,
        node: &Node<'_>,
        namespace: &str,
        name: &str,
        field: &str,
    ) -> Result<String, RecordError> {
        let mut value = None;
        for child in children(node.element, &node.path) {
            if !is(child.element, namespace, name) {
                return Err(self.unexpected(&child, &qualified(node.element)));
            }
            let text = self.text(&child, field)?;
            self.once(&mut value, &child, field, text)?;
        }
        value.ok_or_else(|| {
            self.structure(
                node,
                Some(field),
                format!(
                    "<{}> is empty; it should hold <{}:{name}>",
                    qualified(node.element),
                    prefix(Some(namespace)).unwrap_or("")
                ),
            )
        })
    }

    /// An `nc:DateType` element: `nc:Date`, `nc:YearMonthDate`, `nc:YearDate`,
    /// or `nc:DateTime` (whose time of day is not carried). Returns ISO 8601.
    fn date(&self, node: &Node<'_>, field: &str) -> Result<String, RecordError> {
        let mut value = None;
        for child in children(node.element, &node.path) {
            let text = match (
                child.element.namespace.as_deref(),
                child.element.name.as_str(),
            ) {
                (Some(NS_NC), "Date" | "YearMonthDate" | "YearDate") => {
                    self.text(&child, field)?.trim().to_string()
                }
                (Some(NS_NC), "DateTime") => {
                    let text = self.text(&child, field)?;
                    let text = text.trim();
                    match text.split_once(['T', 't']) {
                        Some((day, _)) => day.to_string(),
                        None => text.to_string(),
                    }
                }
                _ => return Err(self.unexpected(&child, &qualified(node.element))),
            };
            let parsed = date::parse_iso(&text).map_err(|e| {
                self.error(&child, Some(field), ErrorCode::InvalidValue, e.to_string())
            })?;
            let expected = match child.element.name.as_str() {
                "YearDate" => parsed.month.is_none(),
                "YearMonthDate" => parsed.month.is_some() && parsed.day.is_none(),
                _ => parsed.day.is_some(),
            };
            if !expected {
                return Err(self.error(
                    &child,
                    Some(field),
                    ErrorCode::InvalidValue,
                    format!("\"{text}\" does not fit <{}>", qualified(child.element)),
                ));
            }
            self.once(&mut value, &child, field, parsed.to_iso())?;
        }
        value.ok_or_else(|| {
            self.structure(
                node,
                Some(field),
                format!(
                    "<{}> holds no nc:Date, nc:YearMonthDate or nc:YearDate",
                    qualified(node.element)
                ),
            )
        })
    }

    fn uuid(&self, node: &Node<'_>, field: &str) -> Result<Uuid, RecordError> {
        let text = self.text(node, field)?;
        Uuid::parse_str(text.trim()).map_err(|e| {
            self.error(
                node,
                Some(field),
                ErrorCode::InvalidValue,
                format!("\"{text}\" is not a UUID: {e}"),
            )
        })
    }

    /// `nc:ActivityLocation/nc:Address` with a city and a country.
    fn location(&self, node: &Node<'_>) -> Result<Place, RecordError> {
        let mut place = Place {
            country: None,
            locality: None,
        };
        let mut address_seen = false;
        for address in children(node.element, &node.path) {
            if !is(address.element, NS_NC, "Address") {
                return Err(self.unexpected(&address, "nc:ActivityLocation"));
            }
            if address_seen {
                return Err(self.twice(&address, Some("event.place")));
            }
            address_seen = true;
            for part in children(address.element, &address.path) {
                match (
                    part.element.namespace.as_deref(),
                    part.element.name.as_str(),
                ) {
                    (Some(NS_NC), "AddressCityName") => {
                        let text = self.text(&part, "event.place.locality")?;
                        self.once(&mut place.locality, &part, "event.place.locality", text)?;
                    }
                    (Some(NS_NC), "AddressCountry") => {
                        let code = self.country(&part, "event.place.country")?;
                        self.once(&mut place.country, &part, "event.place.country", code)?;
                    }
                    _ => return Err(self.unexpected(&part, "nc:Address")),
                }
            }
        }
        Ok(place)
    }

    /// An `nc:CountryType` element: any of NIEM's country representations we read.
    fn country(&self, node: &Node<'_>, field: &str) -> Result<String, RecordError> {
        let mut value = None;
        for child in children(node.element, &node.path) {
            let readable = matches!(
                (
                    child.element.namespace.as_deref(),
                    child.element.name.as_str()
                ),
                (
                    Some(NS_ISO_3166),
                    "CountryAlpha2Code" | "CountryAlpha3Code" | "CountryNumericCode"
                ) | (Some(NS_NC), "CountryCode" | "CountryName")
            );
            if !readable {
                return Err(self.unexpected(&child, &qualified(node.element)));
            }
            let text = self.text(&child, field)?;
            self.once(&mut value, &child, field, text)?;
        }
        value.ok_or_else(|| {
            self.structure(
                node,
                Some(field),
                format!("<{}> holds no country", qualified(node.element)),
            )
        })
    }

    /// `j:Firearm`, and the status code of its `nc:ItemStatus` when present.
    fn firearm(&self, node: &Node<'_>) -> Result<(Firearm, Option<ItemStatus>), RecordError> {
        let mut firearm = Firearm::default();
        let mut item_status = None;
        let mut automatic: Option<(bool, Node<'_>)> = None;
        let mut markings = Vec::new();
        for child in children(node.element, &node.path) {
            let e = child.element;
            match (e.namespace.as_deref(), e.name.as_str()) {
                (Some(NS_NC), "ItemMakeName") => {
                    let text = self.text(&child, "firearm.make")?;
                    self.once(&mut firearm.make, &child, "firearm.make", text)?;
                }
                (Some(NS_NC), "ItemModelName") => {
                    let text = self.text(&child, "firearm.model")?;
                    self.once(&mut firearm.model, &child, "firearm.model", text)?;
                }
                (Some(NS_NC), "ItemModelYearDate") => {
                    let field = "firearm.year_of_manufacture";
                    let text = self.text(&child, field)?;
                    let year = parse_year(text.trim()).ok_or_else(|| {
                        self.error(
                            &child,
                            Some(field),
                            ErrorCode::InvalidValue,
                            format!("\"{text}\" is not a year (YYYY)"),
                        )
                    })?;
                    self.once(&mut firearm.year_of_manufacture, &child, field, year)?;
                }
                (Some(NS_NC), "ItemOtherIdentification") => {
                    self.other_identification(&child, &mut firearm, &mut markings)?
                }
                (Some(NS_NC), "ItemSerialIdentification") => {
                    if firearm.serial_number.is_some()
                        || firearm.serial_state.is_some()
                        || firearm.country_of_manufacture.is_some()
                    {
                        return Err(self.twice(&child, Some("firearm.serial_number")));
                    }
                    let ident = self.identification(&child, "firearm.serial_number")?;
                    self.only(
                        &child,
                        &ident,
                        &[
                            "IdentificationID",
                            "IdentificationJurisdiction",
                            "IdentificationStatus",
                        ],
                    )?;
                    firearm.serial_number = ident.id.map(|p| p.value);
                    firearm.country_of_manufacture = ident.jurisdiction.map(|p| p.value);
                    if let Some(status) = ident.status {
                        let state = parse_serial_state(status.value.trim()).ok_or_else(|| {
                            let node = Node {
                                element: e,
                                path: status.path.clone(),
                            };
                            self.error(
                                &node,
                                Some("firearm.serial_state"),
                                ErrorCode::InvalidValue,
                                format!(
                                    "unknown serial state \"{}\" (expected legible, partially_legible or obliterated)",
                                    status.value
                                ),
                            )
                        })?;
                        firearm.serial_state = Some(state);
                    }
                }
                (Some(NS_NC), "ItemStatus") => {
                    let code = self.item_status(&child)?;
                    self.once(
                        &mut item_status,
                        &child,
                        "event.status",
                        (code, child.path.clone(), child.line()),
                    )?;
                }
                (Some(NS_J), "FirearmCategoryText") => {
                    let text = self.text(&child, "firearm.firearm_type")?;
                    self.once(
                        &mut firearm.firearm_type,
                        &child,
                        "firearm.firearm_type",
                        text,
                    )?;
                }
                (Some(NS_J), "FirearmCategoryDescriptionText") => {
                    let text = self.text(&child, "firearm.action")?;
                    self.once(
                        &mut firearm.action,
                        &child,
                        "firearm.action",
                        action_from(&text),
                    )?;
                }
                (Some(NS_J), "FirearmAutomaticIndicator") => {
                    let field = "firearm.action";
                    let text = self.text(&child, field)?;
                    let value = match text.trim() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        other => {
                            return Err(self.error(
                                &child,
                                Some(field),
                                ErrorCode::InvalidValue,
                                format!("\"{other}\" is not a boolean (true or false)"),
                            ))
                        }
                    };
                    if automatic.is_some() {
                        return Err(self.twice(&child, Some(field)));
                    }
                    automatic = Some((value, child));
                }
                (Some(NS_J), "FirearmBarrelLengthMeasure") => {
                    let mm = self.length_mm(&child)?;
                    self.once(
                        &mut firearm.barrel_length_mm,
                        &child,
                        "firearm.barrel_length_mm",
                        mm,
                    )?;
                }
                (Some(NS_J), "FirearmBoreSizeText") => {
                    let text = self.text(&child, "firearm.calibre")?;
                    self.once(&mut firearm.calibre, &child, "firearm.calibre", text)?;
                }
                (Some(NS_J), "FirearmFinishText") => {
                    let text = self.text(&child, "firearm.finish")?;
                    self.once(&mut firearm.finish, &child, "firearm.finish", text)?;
                }
                _ => return Err(self.unexpected(&child, "j:Firearm")),
            }
        }
        firearm.markings = markings;
        if let Some((value, indicator)) = automatic {
            let known = firearm
                .action
                .as_deref()
                .and_then(firearm_types::lookup_action);
            match (value, firearm.action.is_some(), known) {
                (true, false, _) => firearm.action = Some("automatic".to_string()),
                (_, true, Some(action)) if (action == "automatic") != value => {
                    return Err(self.error(
                        &indicator,
                        Some("firearm.action"),
                        ErrorCode::InvalidValue,
                        format!(
                            "j:FirearmAutomaticIndicator {value} contradicts the action {action}"
                        ),
                    ))
                }
                _ => {}
            }
        }
        Ok((firearm, item_status))
    }

    fn other_identification(
        &self,
        node: &Node<'_>,
        firearm: &mut Firearm,
        markings: &mut Vec<Marking>,
    ) -> Result<(), RecordError> {
        let ident = self.identification(node, "firearm")?;
        let category = ident
            .category
            .as_ref()
            .map(|c| c.value.trim().to_string())
            .unwrap_or_default();
        match category.as_str() {
            category::MARKING => {
                self.only(
                    node,
                    &ident,
                    &[
                        "IdentificationID",
                        "IdentificationCategoryText",
                        "IdentificationCategoryDescriptionText",
                    ],
                )?;
                let text = self.required_part(node, &ident.id, "firearm.markings")?;
                markings.push(Marking {
                    text,
                    location: ident.category_description.map(|p| p.value),
                });
                Ok(())
            }
            category::IMPORT_MARKING => {
                self.only(
                    node,
                    &ident,
                    &[
                        "IdentificationJurisdiction",
                        "IdentificationCategoryText",
                        "IdentificationEffectiveDate",
                    ],
                )?;
                let field = "firearm.import_marking";
                let country = ident.jurisdiction.map(|p| p.value).ok_or_else(|| {
                    self.structure(
                        node,
                        Some(field),
                        "an import marking needs its country (nc:IdentificationJurisdiction/nc:JurisdictionText)".to_string(),
                    )
                })?;
                let year = match ident.effective_date {
                    None => None,
                    Some(part) => Some(parse_year(&part.value).ok_or_else(|| {
                        let at = Node {
                            element: node.element,
                            path: part.path.clone(),
                        };
                        self.error(
                            &at,
                            Some("firearm.import_marking.year"),
                            ErrorCode::InvalidValue,
                            format!(
                                "the import marking date \"{}\" is not a year (nc:YearDate)",
                                part.value
                            ),
                        )
                    })?),
                };
                if firearm.import_marking.is_some() {
                    return Err(self.twice(node, Some(field)));
                }
                firearm.import_marking = Some(ImportMarking { country, year });
                Ok(())
            }
            category::IFRT => {
                self.only(node, &ident, &["IdentificationID", "IdentificationCategoryText"])?;
                let id = self.required_part(node, &ident.id, "firearm.ifrt_reference")?;
                self.once(
                    &mut firearm.ifrt_reference,
                    node,
                    "firearm.ifrt_reference",
                    id,
                )
            }
            other => Err(self.error(
                node,
                None,
                ErrorCode::InvalidValue,
                format!(
                    "nc:ItemOtherIdentification of category \"{other}\" is not read (expected \"{}\", \"{}\" or \"{}\")",
                    category::MARKING,
                    category::IMPORT_MARKING,
                    category::IFRT
                ),
            )),
        }
    }

    /// `nc:ItemStatus` holding `j:ItemStatusCode` or `nc:StatusText`.
    fn item_status(&self, node: &Node<'_>) -> Result<String, RecordError> {
        let mut value = None;
        for child in children(node.element, &node.path) {
            if !(is(child.element, NS_J, "ItemStatusCode")
                || is(child.element, NS_NC, "StatusText"))
            {
                return Err(self.unexpected(&child, "nc:ItemStatus"));
            }
            let text = self.text(&child, "event.status")?.trim().to_string();
            self.once(&mut value, &child, "event.status", text)?;
        }
        value.ok_or_else(|| {
            self.structure(
                node,
                Some("event.status"),
                "nc:ItemStatus holds no j:ItemStatusCode".to_string(),
            )
        })
    }

    /// `nc:LengthMeasureType` in millimetres, centimetres or inches.
    fn length_mm(&self, node: &Node<'_>) -> Result<f64, RecordError> {
        let field = "firearm.barrel_length_mm";
        let mut value: Option<f64> = None;
        let mut unit: Option<f64> = None;
        for child in children(node.element, &node.path) {
            let e = child.element;
            match (e.namespace.as_deref(), e.name.as_str()) {
                (
                    Some(NS_NC),
                    "MeasureDecimalValue" | "MeasureIntegerValue" | "MeasureValueText",
                ) => {
                    let text = self.text(&child, field)?;
                    let number = text
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                        .ok_or_else(|| {
                            self.error(
                                &child,
                                Some(field),
                                ErrorCode::InvalidValue,
                                format!("\"{text}\" is not a number"),
                            )
                        })?;
                    self.once(&mut value, &child, field, number)?;
                }
                // nc:MeasureUnitText, or a UN/CEFACT length unit code in any namespace.
                (Some(NS_NC), "MeasureUnitText") | (_, "LengthUnitCode") => {
                    let text = self.text(&child, field)?;
                    let factor = unit_factor(text.trim()).ok_or_else(|| {
                        self.error(
                            &child,
                            Some(field),
                            ErrorCode::InvalidValue,
                            format!(
                                "unknown length unit \"{text}\" (expected mm, cm or in, or the UN/CEFACT codes MMT, CMT, INH)"
                            ),
                        )
                    })?;
                    self.once(&mut unit, &child, field, factor)?;
                }
                _ => return Err(self.unexpected(&child, "j:FirearmBarrelLengthMeasure")),
            }
        }
        match (value, unit) {
            // Converted lengths are kept to a hundredth of a millimetre.
            (Some(value), Some(factor)) => Ok(if factor == 1.0 {
                value
            } else {
                (value * factor * 100.0).round() / 100.0
            }),
            (None, _) => Err(self.structure(
                node,
                Some(field),
                "the barrel length has no nc:MeasureDecimalValue".to_string(),
            )),
            (Some(_), None) => Err(self.structure(
                node,
                Some(field),
                "the barrel length has no unit (nc:MeasureUnitText mm, cm or in); a unit is never guessed".to_string(),
            )),
        }
    }
}

/// The status code of `nc:ItemStatus`, its path and line.
type ItemStatus = (String, String, u64);

#[derive(Default)]
struct RecordParts {
    record_id: Option<String>,
    owner_country: Option<String>,
    owner_agency: Option<String>,
    case_reference: Option<String>,
    status: Option<RecordStatus>,
    date: Option<String>,
    description: Option<String>,
    place: Option<Place>,
    message_id: Option<Uuid>,
    correlation_id: Option<Uuid>,
    action: Option<RecordAction>,
    version: Option<u32>,
    firearm: Option<(Firearm, Option<ItemStatus>)>,
}

/// One read part of an identification.
struct Part {
    element: &'static str,
    value: String,
    path: String,
    line: u64,
}

#[derive(Default)]
struct Ident {
    id: Option<Part>,
    jurisdiction: Option<Part>,
    category: Option<Part>,
    category_description: Option<Part>,
    effective_date: Option<Part>,
    source: Option<Part>,
    status: Option<Part>,
}

impl Ident {
    fn parts(&self) -> [Option<&Part>; 7] {
        [
            self.id.as_ref(),
            self.jurisdiction.as_ref(),
            self.category.as_ref(),
            self.category_description.as_ref(),
            self.effective_date.as_ref(),
            self.source.as_ref(),
            self.status.as_ref(),
        ]
    }
}

const STATUSES: [&str; 8] = [
    "lost",
    "stolen",
    "trafficked",
    "smuggled",
    "seized",
    "found",
    "surrendered",
    "other",
];

fn parse_status(text: &str) -> Option<RecordStatus> {
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

fn status_tag(status: RecordStatus) -> &'static str {
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

fn action_tag(action: RecordAction) -> &'static str {
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
fn status_from_item_code(code: &str) -> RecordStatus {
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

fn parse_serial_state(text: &str) -> Option<SerialState> {
    Some(match text {
        "legible" => SerialState::Legible,
        "partially_legible" => SerialState::PartiallyLegible,
        "obliterated" => SerialState::Obliterated,
        _ => return None,
    })
}

fn serial_state_tag(state: SerialState) -> &'static str {
    match state {
        SerialState::Legible => "legible",
        SerialState::PartiallyLegible => "partially_legible",
        SerialState::Obliterated => "obliterated",
    }
}

/// `j:FirearmCategoryDescriptionText` as an action: a canonical action or a
/// synonym, or a type-and-action description ("semi-automatic pistol") whose
/// action is taken; anything else is passed on for the normaliser to report.
fn action_from(text: &str) -> String {
    if let Some(action) = firearm_types::lookup_action(text) {
        return action.to_string();
    }
    match firearm_types::lookup_type(text).and_then(|code| code.action) {
        Some(action) => action.to_string(),
        None => text.to_string(),
    }
}

/// A gYear: four (or more) digits, optionally signed.
fn parse_year(text: &str) -> Option<i32> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Millimetres per unit.
fn unit_factor(unit: &str) -> Option<f64> {
    match unit.to_ascii_lowercase().as_str() {
        "mm" | "mmt" | "millimetre" | "millimetres" | "millimeter" | "millimeters" => Some(1.0),
        "cm" | "cmt" | "centimetre" | "centimetres" | "centimeter" | "centimeters" => Some(10.0),
        "in" | "inh" | "inch" | "inches" | "\"" => Some(25.4),
        _ => None,
    }
}

fn decode_frame(frame: &XmlFrame) -> Result<Decoded, RecordError> {
    let reader = Reader {
        record: frame.index + 1,
    };
    let (record, base) = reader.record(frame)?;
    // A problem found later is placed at the NIEM element that fed the field:
    // the namer's path, relative to the record, extends the record's path.
    let site = RecordSite {
        location: Location {
            record: Some(frame.index + 1),
            line: Some(frame.element.line),
            xml_path: Some(base),
            ..Location::default()
        },
        anchor: FieldAnchor::Native(NativeNamer(Arc::new(niem_path))),
    };
    Ok(Decoded {
        message: Message::Record(record),
        site,
    })
}

/// Where a canonical field sits in an `ix:FirearmRecord` (for locating problems
/// the normaliser and validator find).
pub fn niem_path(field: &str) -> Option<String> {
    const SERIAL: &str = "j:Firearm/nc:ItemSerialIdentification";
    let path = match field {
        "record_id" => "nc:ActivityIdentification/nc:IdentificationID".to_string(),
        "owner_country" => {
            "nc:ActivityIdentification/nc:IdentificationJurisdiction/nc:JurisdictionText"
                .to_string()
        }
        "owner_agency" => "nc:ActivityIdentification/nc:IdentificationSourceText".to_string(),
        "case_reference" => "nc:ActivityIdentification[case]/nc:IdentificationID".to_string(),
        "action" => "ix:RecordActionCode".to_string(),
        "version" => "ix:RecordVersionNumeric".to_string(),
        "event.status" => "nc:ActivityCategoryText".to_string(),
        "event.date" => "nc:ActivityDate".to_string(),
        "event.description" => "nc:ActivityDescriptionText".to_string(),
        "event.place.locality" => "nc:ActivityLocation/nc:Address/nc:AddressCityName".to_string(),
        "event.place.country" => "nc:ActivityLocation/nc:Address/nc:AddressCountry".to_string(),
        "firearm.make" => "j:Firearm/nc:ItemMakeName".to_string(),
        "firearm.model" => "j:Firearm/nc:ItemModelName".to_string(),
        "firearm.year_of_manufacture" => "j:Firearm/nc:ItemModelYearDate".to_string(),
        "firearm.serial_number" | "firearm.serial_key" => format!("{SERIAL}/nc:IdentificationID"),
        "firearm.serial_state" => format!("{SERIAL}/nc:IdentificationStatus"),
        "firearm.country_of_manufacture" => {
            format!("{SERIAL}/nc:IdentificationJurisdiction/nc:JurisdictionText")
        }
        "firearm.calibre" | "firearm.calibre_as_recorded" => {
            "j:Firearm/j:FirearmBoreSizeText".to_string()
        }
        "firearm.firearm_type" => "j:Firearm/j:FirearmCategoryText".to_string(),
        "firearm.action" => "j:Firearm/j:FirearmCategoryDescriptionText".to_string(),
        "firearm.barrel_length_mm" => "j:Firearm/j:FirearmBarrelLengthMeasure".to_string(),
        "firearm.finish" => "j:Firearm/j:FirearmFinishText".to_string(),
        "firearm.ifrt_reference" => "j:Firearm/nc:ItemOtherIdentification[IFRT]".to_string(),
        "firearm.import_marking.country" => {
            "j:Firearm/nc:ItemOtherIdentification[import marking]/nc:IdentificationJurisdiction"
                .to_string()
        }
        "firearm.import_marking.year" => {
            "j:Firearm/nc:ItemOtherIdentification[import marking]/nc:IdentificationEffectiveDate"
                .to_string()
        }
        other => {
            let rest = other.strip_prefix("firearm.markings.")?;
            let index: usize = rest.split('.').next()?.parse().ok()?;
            format!(
                "j:Firearm/nc:ItemOtherIdentification[marking {}]",
                index + 1
            )
        }
    };
    Some(path)
}

// ------------------------------------------------------------------ writing

/// Writes `ix:FirearmRecordExchange`, one record at a time.
pub struct NiemWriter<W: Write> {
    out: W,
    started: bool,
}

impl<W: Write> NiemWriter<W> {
    pub fn new(out: W) -> NiemWriter<W> {
        NiemWriter {
            out,
            started: false,
        }
    }

    fn start(&mut self) -> Result<(), EncodeError> {
        if !self.started {
            write!(
                self.out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ix:{ROOT} xmlns:ix=\"{NS_EXCHANGE}\" xmlns:nc=\"{NS_NC}\" xmlns:j=\"{NS_J}\" xmlns:iso_3166=\"{NS_ISO_3166}\" xmlns:cli=\"{NS_CLI}\" version=\"{SCHEMA_VERSION}\">\n"
            )?;
            self.started = true;
        }
        Ok(())
    }
}

impl<W: Write> MessageEncoder for NiemWriter<W> {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        let Message::Record(record) = message else {
            return Err(EncodeError::Unsupported {
                kind: message.kind().to_string(),
                format: FORMAT.to_string(),
                reason: "the NIEM exchange carries firearm records only".to_string(),
            });
        };
        // Render first, so a record that cannot be written leaves no partial element.
        let mut out = Out::new(1);
        write_record(&mut out, record)?;
        self.start()?;
        self.out.write_all(out.text.as_bytes())?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), EncodeError> {
        self.start()?;
        writeln!(self.out, "</ix:{ROOT}>")?;
        self.out.flush()?;
        Ok(())
    }
}

/// An indented XML fragment under construction.
struct Out {
    text: String,
    depth: usize,
}

impl Out {
    fn new(depth: usize) -> Out {
        Out {
            text: String::with_capacity(4096),
            depth,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.text.push_str("  ");
        }
    }

    fn open(&mut self, name: &str) {
        self.indent();
        self.text.push('<');
        self.text.push_str(name);
        self.text.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.text.push_str("</");
        self.text.push_str(name);
        self.text.push_str(">\n");
    }

    fn leaf(&mut self, name: &str, value: &str, field: &str) -> Result<(), EncodeError> {
        self.leaf_with(name, "", value, field)
    }

    /// A value element; `attributes` is written verbatim after the name.
    fn leaf_with(
        &mut self,
        name: &str,
        attributes: &str,
        value: &str,
        field: &str,
    ) -> Result<(), EncodeError> {
        self.indent();
        self.text.push('<');
        self.text.push_str(name);
        self.text.push_str(attributes);
        self.text.push('>');
        escape_text(value, &mut self.text)
            .map_err(|reason| EncodeError::Invalid(format!("{field}: {reason}")))?;
        self.text.push_str("</");
        self.text.push_str(name);
        self.text.push_str(">\n");
        Ok(())
    }
}

/// Escapes element text. Carriage returns become `&#13;` so XML's line-end
/// normalisation keeps them; other C0 controls cannot be written in XML 1.0.
fn escape_text(text: &str, out: &mut String) -> Result<(), String> {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                return Err(format!(
                    "control character U+{:04X} cannot be written in XML",
                    c as u32
                ))
            }
            c => out.push(c),
        }
    }
    Ok(())
}

fn write_record(out: &mut Out, record: &FirearmRecord) -> Result<(), EncodeError> {
    out.open("ix:FirearmRecord");

    out.open("nc:ActivityIdentification");
    out.leaf("nc:IdentificationID", &record.record_id, "record_id")?;
    jurisdiction(out, &record.owner_country, "owner_country")?;
    out.leaf(
        "nc:IdentificationCategoryText",
        category::RECORD,
        "record_id",
    )?;
    out.leaf(
        "nc:IdentificationSourceText",
        &record.owner_agency,
        "owner_agency",
    )?;
    out.close("nc:ActivityIdentification");
    if let Some(case) = &record.case_reference {
        out.open("nc:ActivityIdentification");
        out.leaf("nc:IdentificationID", case, "case_reference")?;
        out.leaf(
            "nc:IdentificationCategoryText",
            category::CASE,
            "case_reference",
        )?;
        out.close("nc:ActivityIdentification");
    }

    let event = &record.event;
    out.leaf(
        "nc:ActivityCategoryText",
        status_tag(event.status),
        "event.status",
    )?;
    if let Some(date) = &event.date {
        write_date(out, "nc:ActivityDate", date, "event.date")?;
    }
    if let Some(description) = &event.description {
        out.leaf(
            "nc:ActivityDescriptionText",
            description,
            "event.description",
        )?;
    }
    if let Some(place) = &event.place {
        out.open("nc:ActivityLocation");
        out.open("nc:Address");
        if let Some(locality) = &place.locality {
            out.leaf("nc:AddressCityName", locality, "event.place.locality")?;
        }
        if let Some(country) = &place.country {
            out.open("nc:AddressCountry");
            if niem_lists_country(country) {
                out.leaf("iso_3166:CountryAlpha2Code", country, "event.place.country")?;
            } else {
                out.leaf_with(
                    "nc:CountryCode",
                    &format!(" cli:codeListURI=\"{COUNTRY_CODE_LIST}\""),
                    country,
                    "event.place.country",
                )?;
            }
            out.close("nc:AddressCountry");
        }
        out.close("nc:Address");
        out.close("nc:ActivityLocation");
    }

    let header = &record.header;
    out.leaf(
        "ix:MessageID",
        &header.message_id.to_string(),
        "header.message_id",
    )?;
    out.leaf(
        "ix:CorrelationID",
        &header.correlation_id.to_string(),
        "header.correlation_id",
    )?;
    out.leaf("ix:RecordActionCode", action_tag(record.action), "action")?;
    if record.version < 1 {
        return Err(EncodeError::Invalid(format!(
            "version: {} is not a record version (they start at 1)",
            record.version
        )));
    }
    out.leaf(
        "ix:RecordVersionNumeric",
        &record.version.to_string(),
        "version",
    )?;

    write_firearm(out, &record.firearm, event.status)?;
    out.close("ix:FirearmRecord");
    Ok(())
}

fn jurisdiction(out: &mut Out, code: &str, field: &str) -> Result<(), EncodeError> {
    out.open("nc:IdentificationJurisdiction");
    out.leaf("nc:JurisdictionText", code, field)?;
    out.close("nc:IdentificationJurisdiction");
    Ok(())
}

/// An `nc:DateType` element for an ISO 8601 date, full or partial.
fn write_date(out: &mut Out, name: &str, iso: &str, field: &str) -> Result<(), EncodeError> {
    let parsed = date::parse_iso(iso).map_err(|e| EncodeError::Invalid(format!("{field}: {e}")))?;
    let element = match (parsed.month, parsed.day) {
        (Some(_), Some(_)) => "nc:Date",
        (Some(_), None) => "nc:YearMonthDate",
        _ => "nc:YearDate",
    };
    out.open(name);
    out.leaf(element, &parsed.to_iso(), field)?;
    out.close(name);
    Ok(())
}

fn year_text(year: i32, field: &str) -> Result<String, EncodeError> {
    if (1..=9999).contains(&year) {
        Ok(format!("{year:04}"))
    } else {
        Err(EncodeError::Invalid(format!(
            "{field}: {year} is not a year NIEM can carry (1 to 9999)"
        )))
    }
}

fn write_firearm(out: &mut Out, f: &Firearm, status: RecordStatus) -> Result<(), EncodeError> {
    out.open("j:Firearm");
    if let Some(make) = &f.make {
        out.leaf("nc:ItemMakeName", make, "firearm.make")?;
    }
    if let Some(model) = &f.model {
        out.leaf("nc:ItemModelName", model, "firearm.model")?;
    }
    if let Some(year) = f.year_of_manufacture {
        let field = "firearm.year_of_manufacture";
        out.leaf("nc:ItemModelYearDate", &year_text(year, field)?, field)?;
    }
    for (i, marking) in f.markings.iter().enumerate() {
        let field = format!("firearm.markings.{i}");
        out.open("nc:ItemOtherIdentification");
        out.leaf("nc:IdentificationID", &marking.text, &field)?;
        out.leaf("nc:IdentificationCategoryText", category::MARKING, &field)?;
        if let Some(location) = &marking.location {
            out.leaf("nc:IdentificationCategoryDescriptionText", location, &field)?;
        }
        out.close("nc:ItemOtherIdentification");
    }
    if let Some(import) = &f.import_marking {
        let field = "firearm.import_marking";
        out.open("nc:ItemOtherIdentification");
        jurisdiction(out, &import.country, field)?;
        out.leaf(
            "nc:IdentificationCategoryText",
            category::IMPORT_MARKING,
            field,
        )?;
        if let Some(year) = import.year {
            out.open("nc:IdentificationEffectiveDate");
            out.leaf("nc:YearDate", &year_text(year, field)?, field)?;
            out.close("nc:IdentificationEffectiveDate");
        }
        out.close("nc:ItemOtherIdentification");
    }
    if let Some(ifrt) = &f.ifrt_reference {
        out.open("nc:ItemOtherIdentification");
        out.leaf("nc:IdentificationID", ifrt, "firearm.ifrt_reference")?;
        out.leaf(
            "nc:IdentificationCategoryText",
            category::IFRT,
            "firearm.ifrt_reference",
        )?;
        out.close("nc:ItemOtherIdentification");
    }
    if f.serial_number.is_some() || f.country_of_manufacture.is_some() || f.serial_state.is_some() {
        out.open("nc:ItemSerialIdentification");
        if let Some(serial) = &f.serial_number {
            out.leaf("nc:IdentificationID", serial, "firearm.serial_number")?;
        }
        if let Some(country) = &f.country_of_manufacture {
            jurisdiction(out, country, "firearm.country_of_manufacture")?;
        }
        if let Some(state) = f.serial_state {
            out.open("nc:IdentificationStatus");
            out.leaf(
                "nc:StatusText",
                serial_state_tag(state),
                "firearm.serial_state",
            )?;
            out.close("nc:IdentificationStatus");
        }
        out.close("nc:ItemSerialIdentification");
    }
    if let Some(code) = item_status_code(status) {
        out.open("nc:ItemStatus");
        out.leaf("j:ItemStatusCode", code, "event.status")?;
        out.close("nc:ItemStatus");
    }
    if let Some(firearm_type) = &f.firearm_type {
        out.leaf(
            "j:FirearmCategoryText",
            firearm_type,
            "firearm.firearm_type",
        )?;
    }
    if let Some(action) = &f.action {
        out.leaf("j:FirearmCategoryDescriptionText", action, "firearm.action")?;
        let automatic = firearm_types::lookup_action(action) == Some("automatic");
        out.leaf(
            "j:FirearmAutomaticIndicator",
            if automatic { "true" } else { "false" },
            "firearm.action",
        )?;
    }
    if let Some(mm) = f.barrel_length_mm {
        let field = "firearm.barrel_length_mm";
        if !mm.is_finite() {
            return Err(EncodeError::Invalid(format!(
                "{field}: {mm} is not a length"
            )));
        }
        out.open("j:FirearmBarrelLengthMeasure");
        out.leaf("nc:MeasureDecimalValue", &decimal(mm), field)?;
        out.leaf("nc:MeasureUnitText", "mm", field)?;
        out.close("j:FirearmBarrelLengthMeasure");
    }
    if let Some(calibre) = f.calibre.as_ref().or(f.calibre_as_recorded.as_ref()) {
        out.leaf("j:FirearmBoreSizeText", calibre, "firearm.calibre")?;
    }
    if let Some(finish) = &f.finish {
        out.leaf("j:FirearmFinishText", finish, "firearm.finish")?;
    }
    out.close("j:Firearm");
    Ok(())
}

/// An `xs:decimal` lexical form that reads back as the same `f64`: Rust's
/// shortest round-trip digits, which never use an exponent.
fn decimal(value: f64) -> String {
    let text = format!("{value}");
    if text == "-0" {
        "0".to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn decode_all(doc: &str) -> Vec<Result<Decoded, RecordError>> {
        match NiemXml.decode(
            Box::new(Cursor::new(doc.as_bytes().to_vec())),
            Limits::default(),
        ) {
            Ok(stream) => stream.collect(),
            Err(e) => vec![Err(e)],
        }
    }

    fn doc(records: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?>\n<ix:FirearmRecordExchange xmlns:ix=\"{NS_EXCHANGE}\" xmlns:nc=\"{NS_NC}\" xmlns:j=\"{NS_J}\" version=\"1.0\">\n{records}</ix:FirearmRecordExchange>\n"
        )
    }

    const MINIMAL: &str = "<ix:FirearmRecord>\n<nc:ActivityIdentification><nc:IdentificationID>R-1</nc:IdentificationID><nc:IdentificationJurisdiction><nc:JurisdictionText>RS</nc:JurisdictionText></nc:IdentificationJurisdiction><nc:IdentificationSourceText>RS-MUP</nc:IdentificationSourceText></nc:ActivityIdentification>\n<nc:ActivityCategoryText>stolen</nc:ActivityCategoryText>\n<ix:RecordActionCode>create</ix:RecordActionCode>\n<j:Firearm><nc:ItemSerialIdentification><nc:IdentificationID>A 1</nc:IdentificationID></nc:ItemSerialIdentification></j:Firearm>\n</ix:FirearmRecord>\n";

    fn record_of(result: &Result<Decoded, RecordError>) -> Option<FirearmRecord> {
        match result {
            Ok(Decoded {
                message: Message::Record(r),
                ..
            }) => Some(r.clone()),
            _ => None,
        }
    }

    #[test]
    fn reads_a_minimal_record_and_derives_a_stable_id() {
        let out = decode_all(&doc(MINIMAL));
        assert_eq!(out.len(), 1);
        let record = record_of(&out[0]);
        let record = record.unwrap_or_else(|| panic!("{:?}", out[0]));
        assert_eq!(record.record_id, "R-1");
        assert_eq!(record.owner_country, "RS");
        assert_eq!(record.owner_agency, "RS-MUP");
        assert_eq!(record.event.status, RecordStatus::Stolen);
        assert_eq!(record.firearm.serial_number.as_deref(), Some("A 1"));
        assert_eq!(record.version, 1);
        let again = record_of(&decode_all(&doc(MINIMAL))[0]).map(|r| r.header.message_id);
        assert_eq!(again, Some(record.header.message_id));
        assert_eq!(record.header.correlation_id, record.header.message_id);
    }

    #[test]
    fn unknown_element_is_a_located_error_and_the_next_record_goes_through() {
        let bad = MINIMAL.replace(
            "<j:Firearm>",
            "<j:Firearm><nc:ItemColorDescriptionText>black</nc:ItemColorDescriptionText>",
        );
        let out = decode_all(&doc(&format!("{bad}{MINIMAL}")));
        assert_eq!(out.len(), 2);
        let err = out[0]
            .clone()
            .err()
            .unwrap_or_else(|| panic!("expected an error"));
        assert_eq!(err.code, ErrorCode::Structure);
        assert_eq!(err.location.record, Some(1));
        assert_eq!(err.location.line, Some(7));
        assert_eq!(
            err.location.xml_path.as_deref(),
            Some("/ix:FirearmRecordExchange/ix:FirearmRecord[1]/j:Firearm/nc:ItemColorDescriptionText")
        );
        assert!(err.reason.contains("not read"), "{}", err.reason);
        assert!(out[1].is_ok());
    }

    #[test]
    fn foreign_root_and_doctype_are_refused() {
        let out = decode_all("<messages xmlns=\"urn:iarms-gateway:canonical:1\" version=\"1.0\"><record/></messages>");
        let err = out.first().cloned().and_then(Result::err);
        assert_eq!(
            err.map(|e| (e.code, e.fatal)),
            Some((ErrorCode::Structure, true))
        );
        let out = decode_all(&format!(
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"e\">]>{}",
            doc(MINIMAL)
        ));
        let err = out.first().cloned().and_then(Result::err);
        assert_eq!(
            err.map(|e| (e.code, e.fatal)),
            Some((ErrorCode::Forbidden, true))
        );
    }

    #[test]
    fn missing_status_and_contradictions_are_errors() {
        let no_status = MINIMAL.replace(
            "<nc:ActivityCategoryText>stolen</nc:ActivityCategoryText>\n",
            "",
        );
        let err = decode_all(&doc(&no_status))[0].clone().err();
        assert_eq!(err.and_then(|e| e.field), Some("event.status".to_string()));

        let contradiction = MINIMAL.replace(
            "</j:Firearm>",
            "<nc:ItemStatus><j:ItemStatusCode>LOST</j:ItemStatusCode></nc:ItemStatus></j:Firearm>",
        );
        let err = decode_all(&doc(&contradiction))[0].clone().err();
        assert_eq!(err.map(|e| e.code), Some(ErrorCode::InvalidValue));

        let only_item_status = no_status.replace(
            "</j:Firearm>",
            "<nc:ItemStatus><j:ItemStatusCode>STOLEN-ROBBED</j:ItemStatusCode></nc:ItemStatus></j:Firearm>",
        );
        let record = record_of(&decode_all(&doc(&only_item_status))[0]);
        assert_eq!(record.map(|r| r.event.status), Some(RecordStatus::Stolen));
    }

    #[test]
    fn barrel_length_units_and_missing_unit() {
        let with = |measure: &str| {
            MINIMAL.replace(
                "</j:Firearm>",
                &format!("<j:FirearmBarrelLengthMeasure>{measure}</j:FirearmBarrelLengthMeasure></j:Firearm>"),
            )
        };
        let inches = with("<nc:MeasureDecimalValue>4.5</nc:MeasureDecimalValue><nc:MeasureUnitText>in</nc:MeasureUnitText>");
        let record = record_of(&decode_all(&doc(&inches))[0]);
        assert_eq!(record.and_then(|r| r.firearm.barrel_length_mm), Some(114.3));
        let bare = with("<nc:MeasureDecimalValue>114</nc:MeasureDecimalValue>");
        let err = decode_all(&doc(&bare))[0].clone().err();
        assert_eq!(
            err.and_then(|e| e.field),
            Some("firearm.barrel_length_mm".to_string())
        );
    }

    #[test]
    fn action_from_descriptions() {
        assert_eq!(action_from("semi_automatic"), "semi_automatic");
        assert_eq!(action_from("semi-automatic"), "semi_automatic");
        assert_eq!(action_from("pump action"), "pump");
        assert_eq!(action_from("polymer frame"), "polymer frame");
    }

    #[test]
    fn status_codes_round_trip_where_niem_has_one() {
        for status in STATUSES.iter().filter_map(|s| parse_status(s)) {
            if let Some(code) = item_status_code(status) {
                if code != "CONTRABAND" {
                    assert_eq!(status_from_item_code(code), status);
                }
            }
        }
    }

    #[test]
    fn decimals_and_years() {
        assert_eq!(decimal(114.0), "114");
        assert_eq!(decimal(114.3), "114.3");
        assert_eq!(decimal(1e-7), "0.0000001");
        assert_eq!(decimal(-0.0), "0");
        assert_eq!(parse_year("1987"), Some(1987));
        assert_eq!(parse_year("87"), None);
        assert_eq!(parse_year("19a7"), None);
        assert!(year_text(0, "y").is_err());
        assert_eq!(year_text(987, "y").ok().as_deref(), Some("0987"));
    }

    #[test]
    fn country_list_is_niem_iso_3166_enumeration() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/niem-5.2/xsd/codes/iso_3166.xsd"
        );
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let start = text
            .find("name=\"CountryAlpha2CodeSimpleType\"")
            .unwrap_or(text.len());
        let section = &text[start..];
        let section = &section[..section.find("</xs:simpleType>").unwrap_or(0)];
        let values: Vec<&str> = section
            .split("value=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        assert_eq!(values.join(" "), NIEM_ALPHA2);
        assert!(niem_lists_country("RS"));
        for code in ["XK", "YU", "CS", "SU", "DD", "R", "RSS", ""] {
            assert!(!niem_lists_country(code), "{code}");
        }
    }

    #[test]
    fn niem_paths_name_elements() {
        assert_eq!(
            niem_path("firearm.calibre").as_deref(),
            Some("j:Firearm/j:FirearmBoreSizeText")
        );
        assert_eq!(
            niem_path("firearm.markings.1.text").as_deref(),
            Some("j:Firearm/nc:ItemOtherIdentification[marking 2]")
        );
        assert_eq!(niem_path("nonsense"), None);
    }
}
