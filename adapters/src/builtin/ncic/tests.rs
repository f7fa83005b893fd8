use std::io::Cursor;

use super::cal::cal_reading;
use super::makes::is_code;
use super::*;
use crate::adapter::Decoded;
use crate::codes::calibres;
use crate::error::{ErrorCode, RecordError};
use crate::model::{Firearm, Message, RecordAction, RecordStatus};

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

const EG: &str = "EG.ORI/MD1012600.SER/A123456.MAK/GLC.CAL/9MM.MOD/17.TYP/PI.DOT/20240307.OCA/2024-00117.MIS/TAKEN FROM VEHICLE";

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
    let zzz = EG.replace("MAK/GLC", "MAK/ZZZ");
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
fn official_codes_read_from_the_tables() {
    // A maker outside the make reference: its official definition, written back as the code.
    let line = EG.replace("MAK/GLC", "MAK/HIP");
    let Some(Message::Record(r)) = message(&decode_all(&line)[0]) else {
        panic!("not read");
    };
    assert_eq!(r.firearm.make.as_deref(), Some("HISPANO ARGENTINA"));
    assert_eq!(
        encode_message(&Message::Record(r)).ok().as_deref(),
        Some(line.as_str())
    );
    // A country code "if make cannot be determined": no make, the country through
    // the NCIC country table (AU is Austria), written back as the same code.
    let line = EG.replace("MAK/GLC", "MAK/AU");
    let Some(Message::Record(r)) = message(&decode_all(&line)[0]) else {
        panic!("not read");
    };
    assert_eq!(r.firearm.make, None);
    assert_eq!(r.firearm.country_of_manufacture.as_deref(), Some("AT"));
    assert!(r.header.flags.iter().any(|f| f.code == FLAG_MAKE_COUNTRY));
    assert_eq!(
        encode_message(&Message::Record(r)).ok().as_deref(),
        Some(line.as_str())
    );
    // A CAL family code is ambiguous with the family's candidates and written back.
    let line = EG.replace("CAL/9MM", "CAL/3006");
    let Some(Message::Record(r)) = message(&decode_all(&line)[0]) else {
        panic!("not read");
    };
    assert_eq!(r.firearm.calibre, None);
    assert_eq!(r.firearm.calibre_as_recorded.as_deref(), Some("3006"));
    assert!(r.header.flags.iter().any(|f| f.code == "ambiguous_calibre"
        && f.detail
            .as_deref()
            .is_some_and(|d| d.contains(".30-06 Springfield"))));
    assert_eq!(
        encode_message(&Message::Record(r)).ok().as_deref(),
        Some(line.as_str())
    );
    // Every official TYP code reads; the bogus `--` row does not.
    for (code, _) in crate::codes::ncic::typ_codes() {
        let line = EG.replace("TYP/PI", &format!("TYP/{code}"));
        assert!(message(&decode_all(&line)[0]).is_some(), "TYP/{code}");
    }
    // A code outside the tables (the bogus `--` row, `RV`) is no type: kept as
    // recorded and flagged, and the record stands (a type is descriptive).
    for code in ["--", "RV"] {
        let line = EG.replace("TYP/PI", &format!("TYP/{code}"));
        let decoded = decode_all(&line)
            .remove(0)
            .unwrap_or_else(|e| panic!("TYP/{code}: {e}"));
        let prepared = crate::pipeline::prepare(decoded).unwrap_or_else(|e| panic!("{e:?}"));
        let Message::Record(r) = prepared else {
            panic!("not a record")
        };
        assert_eq!(r.firearm.firearm_type, None, "TYP/{code}");
        let flag = r
            .header
            .flags
            .iter()
            .find(|f| f.field == "firearm.firearm_type");
        assert!(
            flag.is_some_and(|f| f.code == "unknown_firearm_type"
                && f.detail
                    .as_deref()
                    .is_some_and(|d| d.starts_with(&format!("\"{code}\"")))),
            "TYP/{code}: {:?}",
            r.header.flags
        );
    }
    // A canonical calibre is written as its family code, digits only.
    let firearm = Firearm {
        calibre: Some("9x19mm".to_string()),
        ..Firearm::default()
    };
    assert_eq!(
        encode_calibre(&firearm).ok().flatten().as_deref(),
        Some("9")
    );
}

#[test]
fn unknown_make_code_is_kept_and_flagged() {
    // GLK is not a code of the official table (Glock is GLC).
    let line = EG.replace("MAK/GLC", "MAK/GLK");
    let Some(Message::Record(r)) = message(&decode_all(&line)[0]) else {
        panic!("not read");
    };
    assert_eq!(r.firearm.make.as_deref(), Some("GLK"));
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
fn make_codes_come_from_the_official_table() {
    let firearm = |make: &str| Firearm {
        make: Some(make.to_string()),
        ..Firearm::default()
    };
    assert_eq!(make_code(&firearm("Smith & Wesson")), Some("SW"));
    assert_eq!(make_code(&firearm("smith and wesson")), Some("SW"));
    assert_eq!(make_code(&firearm("Sturm, Ruger & Co.")), Some("SR"));
    assert_eq!(make_code(&firearm("GLOCK")), Some("GLC"));
    assert_eq!(make_code(&firearm("Taurus")), Some("TAS"));
    assert_eq!(make_code(&firearm("Colt")), Some("CLT"));
    assert_eq!(make_code(&firearm("Zastava")), Some("ZAS"));
    assert_eq!(make_code(&firearm("CZ")), None);
    assert!(is_code("GLC"));
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
            match crate::codes::ncic::cal(&cal) {
                // An official family code: the calibre is one of its candidates.
                Some(family) => assert!(family.candidates.contains(&calibre.name), "{cal}"),
                None => {
                    if let calibres::CalibreMatch::Known(known) = cal_reading(&cal) {
                        assert_eq!(known.name, calibre.name, "{cal}");
                    }
                }
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
