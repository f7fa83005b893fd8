//! Reading one `ix:FirearmRecord`: the reader and its located errors, the
//! record's parts and how they assemble into a canonical record.

use std::sync::Arc;

use uuid::Uuid;

use crate::adapter::{Decoded, FieldAnchor, NativeNamer, RecordSite};
use crate::error::{ErrorCode, Location, RecordError};
use crate::framing::xml_elements::{XmlFrame, XmlNode};
use crate::model::{
    Event, Firearm, FirearmRecord, Header, Message, Place, RecordAction, RecordStatus,
    SCHEMA_VERSION,
};

use super::paths::niem_path;
use super::tree::{children, is, qualified, Node};
use super::vocabulary::{
    action_tag, item_status_code, parse_status, status_from_item_code, status_tag, STATUSES,
};
use super::{FORMAT, ID_NAMESPACE, NS_EXCHANGE, NS_J, NS_NC, RECORD};

/// Reads one record element; errors carry the record number, the element's line
/// and path, and the canonical field when there is one.
pub(super) struct Reader {
    pub(super) record: u64,
}

impl Reader {
    pub(super) fn error(
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

    pub(super) fn structure(
        &self,
        node: &Node<'_>,
        field: Option<&str>,
        reason: String,
    ) -> RecordError {
        self.error(node, field, ErrorCode::Structure, reason)
    }

    pub(super) fn unexpected(&self, node: &Node<'_>, parent: &str) -> RecordError {
        self.structure(
            node,
            None,
            format!(
                "<{}> is not read by {FORMAT} inside <{parent}> (its content would be lost); see mappings/niem-xml.md",
                qualified(node.element)
            ),
        )
    }

    pub(super) fn twice(&self, node: &Node<'_>, field: Option<&str>) -> RecordError {
        self.structure(
            node,
            field,
            format!("<{}> appears more than once", qualified(node.element)),
        )
    }

    /// The element's text exactly as written (no trimming: values are kept as sent).
    pub(super) fn text(&self, node: &Node<'_>, field: &str) -> Result<String, RecordError> {
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
    pub(super) fn once<T>(
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

    pub(super) fn record(&self, frame: &XmlFrame) -> Result<(FirearmRecord, String), RecordError> {
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

    pub(super) fn assemble(
        &self,
        root: &Node<'_>,
        parts: RecordParts,
    ) -> Result<FirearmRecord, RecordError> {
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
}

/// The status code of `nc:ItemStatus`, its path and line.
pub(super) type ItemStatus = (String, String, u64);

#[derive(Default)]
pub(super) struct RecordParts {
    pub(super) record_id: Option<String>,
    pub(super) owner_country: Option<String>,
    pub(super) owner_agency: Option<String>,
    pub(super) case_reference: Option<String>,
    pub(super) status: Option<RecordStatus>,
    pub(super) date: Option<String>,
    pub(super) description: Option<String>,
    pub(super) place: Option<Place>,
    pub(super) message_id: Option<Uuid>,
    pub(super) correlation_id: Option<Uuid>,
    pub(super) action: Option<RecordAction>,
    pub(super) version: Option<u32>,
    pub(super) firearm: Option<(Firearm, Option<ItemStatus>)>,
}

/// One read part of an identification.
pub(super) struct Part {
    pub(super) element: &'static str,
    pub(super) value: String,
    pub(super) path: String,
    pub(super) line: u64,
}

#[derive(Default)]
pub(super) struct Ident {
    pub(super) id: Option<Part>,
    pub(super) jurisdiction: Option<Part>,
    pub(super) category: Option<Part>,
    pub(super) category_description: Option<Part>,
    pub(super) effective_date: Option<Part>,
    pub(super) source: Option<Part>,
    pub(super) status: Option<Part>,
}

impl Ident {
    pub(super) fn parts(&self) -> [Option<&Part>; 7] {
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

pub(super) fn decode_frame(frame: &XmlFrame) -> Result<Decoded, RecordError> {
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
