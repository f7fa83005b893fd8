use std::io::Cursor;

use crate::adapter::{Adapter, Decoded};
use crate::error::{ErrorCode, RecordError};
use crate::limits::Limits;
use crate::model::{FirearmRecord, Message, RecordStatus};

use super::vocabulary::{action_from, parse_status, parse_year, status_from_item_code, STATUSES};
use super::write_record::{decimal, year_text};
use super::*;

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
    let out = decode_all(
        "<messages xmlns=\"urn:iarms-gateway:canonical:1\" version=\"1.0\"><record/></messages>",
    );
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
