//! One canonical record as an `ix:FirearmRecord`.

use crate::codes::firearm_types;
use crate::error::EncodeError;
use crate::model::{Firearm, FirearmRecord, RecordStatus};
use crate::normalise::date;

use super::vocabulary::{
    action_tag, item_status_code, serial_part_tag, serial_state_tag, status_tag,
};
use super::writer::Out;
use super::{category, niem_lists_country, COUNTRY_CODE_LIST};

pub(super) fn write_record(out: &mut Out, record: &FirearmRecord) -> Result<(), EncodeError> {
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

pub(super) fn jurisdiction(out: &mut Out, code: &str, field: &str) -> Result<(), EncodeError> {
    out.open("nc:IdentificationJurisdiction");
    out.leaf("nc:JurisdictionText", code, field)?;
    out.close("nc:IdentificationJurisdiction");
    Ok(())
}

/// An `nc:DateType` element for an ISO 8601 date, full or partial.
pub(super) fn write_date(
    out: &mut Out,
    name: &str,
    iso: &str,
    field: &str,
) -> Result<(), EncodeError> {
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

pub(super) fn year_text(year: i32, field: &str) -> Result<String, EncodeError> {
    if (1..=9999).contains(&year) {
        Ok(format!("{year:04}"))
    } else {
        Err(EncodeError::Invalid(format!(
            "{field}: {year} is not a year NIEM can carry (1 to 9999)"
        )))
    }
}

pub(super) fn write_firearm(
    out: &mut Out,
    f: &Firearm,
    status: RecordStatus,
) -> Result<(), EncodeError> {
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
    // Each serial of `serials` after the primary one (NIEM's serial
    // identification repeats): its number, part and state; a note stays only
    // inside serial_number.
    for (i, item) in f.serials.iter().enumerate() {
        out.open("nc:ItemSerialIdentification");
        out.leaf(
            "nc:IdentificationID",
            &item.number,
            &format!("firearm.serials.{i}.number"),
        )?;
        if let Some(part) = item.part {
            out.leaf(
                "nc:IdentificationCategoryDescriptionText",
                serial_part_tag(part),
                &format!("firearm.serials.{i}.part"),
            )?;
        }
        if let Some(state) = item.state {
            out.open("nc:IdentificationStatus");
            out.leaf(
                "nc:StatusText",
                serial_state_tag(state),
                &format!("firearm.serials.{i}.state"),
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
pub(super) fn decimal(value: f64) -> String {
    let text = format!("{value}");
    if text == "-0" {
        "0".to_string()
    } else {
        text
    }
}
