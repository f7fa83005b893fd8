//! `nc:IdentificationType` elements: the record's and the case's identification.

use crate::error::{ErrorCode, RecordError};

use super::reader::{Ident, Part, Reader, RecordParts};
use super::tree::{children, is, prefix, qualified, Node};
use super::{category, NS_NC};

impl Reader {
    pub(super) fn activity_identification(
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

    pub(super) fn required_part(
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
    pub(super) fn only(
        &self,
        owner: &Node<'_>,
        ident: &Ident,
        allowed: &[&str],
    ) -> Result<(), RecordError> {
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
    pub(super) fn identification(
        &self,
        node: &Node<'_>,
        field: &str,
    ) -> Result<Ident, RecordError> {
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
    pub(super) fn single_text(
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
}
