//! Single values of a record: dates, UUIDs, locations, countries, item status
//! and lengths.

use uuid::Uuid;

use crate::error::{ErrorCode, RecordError};
use crate::model::Place;
use crate::normalise::date;

use super::reader::Reader;
use super::tree::{children, is, qualified, Node};
use super::vocabulary::unit_factor;
use super::{NS_ISO_3166, NS_J, NS_NC};

impl Reader {
    /// An `nc:DateType` element: `nc:Date`, `nc:YearMonthDate`, `nc:YearDate`,
    /// or `nc:DateTime` (whose time of day is not carried). Returns ISO 8601.
    pub(super) fn date(&self, node: &Node<'_>, field: &str) -> Result<String, RecordError> {
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

    pub(super) fn uuid(&self, node: &Node<'_>, field: &str) -> Result<Uuid, RecordError> {
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
    pub(super) fn location(&self, node: &Node<'_>) -> Result<Place, RecordError> {
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
    pub(super) fn country(&self, node: &Node<'_>, field: &str) -> Result<String, RecordError> {
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

    /// `nc:ItemStatus` holding `j:ItemStatusCode` or `nc:StatusText`.
    pub(super) fn item_status(&self, node: &Node<'_>) -> Result<String, RecordError> {
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
    pub(super) fn length_mm(&self, node: &Node<'_>) -> Result<f64, RecordError> {
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
