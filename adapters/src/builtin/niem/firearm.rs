//! `j:Firearm` and its other identifications (markings, import marking, IFRT).

use crate::codes::firearm_types;
use crate::error::{ErrorCode, RecordError};
use crate::model::{Firearm, ImportMarking, Marking, Serial};

use super::reader::{ItemStatus, Reader};
use super::tree::{children, Node};
use super::vocabulary::{action_from, parse_serial_part, parse_serial_state, parse_year};
use super::{category, NS_J, NS_NC};

impl Reader {
    /// `j:Firearm`, and the status code of its `nc:ItemStatus` when present.
    pub(super) fn firearm(
        &self,
        node: &Node<'_>,
    ) -> Result<(Firearm, Option<ItemStatus>), RecordError> {
        let mut firearm = Firearm::default();
        // The first serial identification is the primary serial; any further
        // one is an item of `serials`.
        let mut seen_serial = false;
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
                (Some(NS_NC), "ItemSerialIdentification") if seen_serial => {
                    // A further serial identification: one item of `serials`.
                    let field = format!("firearm.serials.{}", firearm.serials.len());
                    let ident = self.identification(&child, &field)?;
                    self.only(
                        &child,
                        &ident,
                        &[
                            "IdentificationID",
                            "IdentificationCategoryDescriptionText",
                            "IdentificationStatus",
                        ],
                    )?;
                    let Some(number) = ident.id.map(|p| p.value) else {
                        return Err(self.error(
                            &child,
                            Some(&format!("{field}.number")),
                            ErrorCode::Structure,
                            "a further serial identification needs its nc:IdentificationID"
                                .to_string(),
                        ));
                    };
                    let part = match ident.category_description {
                        Some(p) => Some(parse_serial_part(p.value.trim()).ok_or_else(|| {
                            self.error(
                                &child,
                                Some(&format!("{field}.part")),
                                ErrorCode::InvalidValue,
                                format!(
                                    "unknown serial part \"{}\" (frame, receiver, slide, barrel, cylinder or other)",
                                    p.value
                                ),
                            )
                        })?),
                        None => None,
                    };
                    let state = match ident.status {
                        Some(p) => Some(parse_serial_state(p.value.trim()).ok_or_else(|| {
                            self.error(
                                &child,
                                Some(&format!("{field}.state")),
                                ErrorCode::InvalidValue,
                                format!("unknown serial state \"{}\"", p.value),
                            )
                        })?),
                        None => None,
                    };
                    firearm.serials.push(Serial {
                        number,
                        key: None,
                        pattern: None,
                        state,
                        part,
                        note: None,
                    });
                }
                (Some(NS_NC), "ItemSerialIdentification") => {
                    seen_serial = true;
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

    pub(super) fn other_identification(
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
}
