//! The `niem-xml` and `ncic` adapters, tested from the outside: round trips
//! through the canonical model (with exactly the documented losses), schema
//! validation of NIEM output with `xmllint` against the official NIEM 5.2 XSDs,
//! golden files for the hand-written examples in `tests/data/niem/` and
//! `tests/data/ncic/`, and located errors.
//!
//! Regenerate the golden files after a deliberate change with
//! `UPDATE_GOLDEN=1 cargo test -p iarms-adapters --test niem_ncic` and review the diff.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};
use std::process::Command;

use iarms_adapters::builtin::ncic::{self, ncic_text};
use iarms_adapters::builtin::niem;
use iarms_adapters::model::{Event, Firearm, FirearmRecord, Message, MessageKind};
use iarms_adapters::normalise::{flags, normalise, Strictness};
use iarms_adapters::pipeline::{prepare, prepare_with};
use iarms_adapters::{Decoded, Limits, RecordError, Registry};
use iarms_sample::{generate, SampleOptions};
use proptest::prelude::*;

// ------------------------------------------------------------------ helpers

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn data(path: &str) -> PathBuf {
    root().join(path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn decode(format: &str, bytes: &[u8]) -> Vec<Result<Decoded, RecordError>> {
    let registry = Registry::builtin();
    let adapter = registry
        .get(format)
        .unwrap_or_else(|| panic!("no adapter {format}"));
    match adapter.decode(
        Box::new(BufReader::new(Cursor::new(bytes.to_vec()))),
        Limits::default(),
    ) {
        Ok(stream) => stream.collect(),
        Err(e) => vec![Err(e)],
    }
}

/// Decodes and prepares (normalise + validate) every message; panics on any error.
fn read_all(format: &str, bytes: &[u8]) -> Vec<Message> {
    decode(format, bytes)
        .into_iter()
        .map(|item| {
            let decoded = item.unwrap_or_else(|e| panic!("{format}: {e}"));
            prepare(decoded).unwrap_or_else(|errors| {
                panic!(
                    "{format}: {}",
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })
        })
        .collect()
}

/// Encodes messages one by one; returns the bytes and the index and reason of
/// every message the format refused.
fn encode(format: &str, messages: &[Message]) -> (Vec<u8>, Vec<(usize, String)>) {
    let registry = Registry::builtin();
    let adapter = registry
        .get(format)
        .unwrap_or_else(|| panic!("no adapter {format}"));
    let mut out = Vec::new();
    let mut refused = Vec::new();
    {
        let mut encoder = adapter
            .encoder(Box::new(&mut out))
            .unwrap_or_else(|e| panic!("{e}"));
        for (i, message) in messages.iter().enumerate() {
            if let Err(e) = encoder.write(message) {
                refused.push((i, e.to_string()));
            }
        }
        encoder.finish().unwrap_or_else(|e| panic!("{e}"));
    }
    (out, refused)
}

/// What `iarms-gateway convert` does: decode, prepare, encode the good
/// messages; returns the output and the error report (`code: error` lines).
fn convert(from: &str, to: &str, input: &[u8]) -> (String, String) {
    let mut good = Vec::new();
    let mut report = Vec::new();
    for item in decode(from, input) {
        match item {
            Err(e) => report.push(format!("{}: {e}", e.code.as_str())),
            Ok(decoded) => {
                let location = decoded.site.location.clone();
                match prepare(decoded) {
                    Ok(message) => good.push((message, location)),
                    Err(errors) => {
                        report.extend(errors.iter().map(|e| format!("{}: {e}", e.code.as_str())))
                    }
                }
            }
        }
    }
    let messages: Vec<Message> = good.iter().map(|(m, _)| m.clone()).collect();
    let (out, refused) = encode(to, &messages);
    for (i, reason) in refused {
        let location = good[i].1.clone();
        let error = RecordError::new(iarms_adapters::ErrorCode::Unsupported, reason).at(location);
        report.push(format!("{}: {error}", error.code.as_str()));
    }
    let mut report = report.join("\n");
    if !report.is_empty() {
        report.push('\n');
    }
    (String::from_utf8_lossy(&out).into_owned(), report)
}

fn check_golden(expected: &str, actual: &str) {
    let path = data(expected);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_default();
        }
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    assert_eq!(
        actual,
        read(&path),
        "{expected} differs (UPDATE_GOLDEN=1 regenerates it)"
    );
}

/// Normalised sample records (the ones that normalise cleanly).
fn sample_records(count: u64, seed: u64, messy_rate: f64) -> Vec<FirearmRecord> {
    let mut options = SampleOptions::new(MessageKind::Record, count, seed);
    options.messy_rate = messy_rate;
    generate(&options)
        .filter_map(|mut message| {
            if !normalise(&mut message).is_empty() {
                return None;
            }
            match message {
                Message::Record(record) => Some(record),
                _ => None,
            }
        })
        .collect()
}

fn as_messages(records: &[FirearmRecord]) -> Vec<Message> {
    records.iter().cloned().map(Message::Record).collect()
}

/// Runs `xmllint --noout --nonet --schema <exchange xsd> file`; `None` (with a
/// notice) when xmllint is not installed.
fn xmllint(file: &Path) -> Option<(bool, String)> {
    let schema = data(niem::SCHEMA_PATH);
    let output = match Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(&schema)
        .arg(file)
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!(
                "NOTICE: xmllint not found; NIEM schema validation skipped (install libxml2-utils)"
            );
            return None;
        }
        Err(e) => panic!("cannot run xmllint: {e}"),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("xmllint {}: {}", file.display(), text.trim());
    Some((output.status.success(), text))
}

/// Writes `xml` to a scratch file, runs xmllint on it, removes the file.
fn xmllint_bytes(name: &str, xml: &[u8]) -> Option<(bool, String)> {
    let dir = std::env::temp_dir().join(format!("iarms-niem-ncic-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join(name);
    std::fs::write(&path, xml).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let result = xmllint(&path);
    std::fs::remove_dir_all(&dir).unwrap_or_default();
    result
}

fn assert_valid_niem(name: &str, xml: &[u8]) {
    if let Some((ok, text)) = xmllint_bytes(name, xml) {
        assert!(
            ok,
            "{name} does not validate against the NIEM 5.2 schemas:\n{text}"
        );
    }
}

// ------------------------------------------------------------------ niem-xml

/// The fields NIEM does not carry: dropped on the way canonical -> niem ->
/// canonical (mappings/niem-xml.md, "What is lost").
fn without_niem_losses(mut record: FirearmRecord) -> FirearmRecord {
    record.firearm.number_of_barrels = None;
    if record.firearm.calibre.is_some() {
        record.firearm.calibre_as_recorded = None;
    }
    record
}

#[test]
fn niem_round_trip_drops_exactly_the_documented_fields() {
    let originals = sample_records(400, 11, 0.3);
    assert!(originals.len() > 300, "{} clean records", originals.len());
    let (bytes, refused) = encode("niem-xml", &as_messages(&originals));
    assert!(refused.is_empty(), "{refused:?}");
    let back = read_all("niem-xml", &bytes);
    assert_eq!(back.len(), originals.len());
    let mut lossy = 0;
    for (original, back) in originals.iter().zip(&back) {
        let expected = without_niem_losses(original.clone());
        if expected != *original {
            lossy += 1;
        }
        assert_eq!(back, &Message::Record(expected));
    }
    // The sample holds records with the dropped fields, so the test is not vacuous.
    assert!(lossy > 10, "only {lossy} records had a field NIEM drops");
}

#[test]
fn niem_output_of_generated_records_validates_against_niem_5_2() {
    // Normalised records, as `convert` writes them.
    let records = sample_records(300, 5, 0.3);
    let (xml, refused) = encode("niem-xml", &as_messages(&records));
    assert!(refused.is_empty(), "{refused:?}");
    assert_valid_niem("generated-normalised.xml", &xml);

    // Records straight from the generator, messy values and all.
    let raw: Vec<Message> = generate(&SampleOptions::new(MessageKind::Record, 300, 6)).collect();
    let (xml, refused) = encode("niem-xml", &raw);
    assert!(refused.is_empty(), "{refused:?}");
    assert_valid_niem("generated-raw.xml", &xml);
}

#[test]
fn niem_hand_written_examples_validate() {
    for file in [
        "tests/data/niem/records.xml",
        "tests/data/niem/expected/gun-file.niem.xml",
    ] {
        let path = data(file);
        if let Some((ok, text)) = xmllint(&path) {
            assert!(ok, "{file}:\n{text}");
        }
    }
}

#[test]
fn xmllint_catches_what_niem_forbids() {
    let input = read(&data("tests/data/niem/records.xml"));
    // nc:ItemModelName must come after nc:ItemMakeName.
    let swapped = input.replacen(
        "<nc:ItemMakeName>Zastava</nc:ItemMakeName>\n      <nc:ItemModelName>M70AB2</nc:ItemModelName>",
        "<nc:ItemModelName>M70AB2</nc:ItemModelName>\n      <nc:ItemMakeName>Zastava</nc:ItemMakeName>",
        1,
    );
    assert_ne!(swapped, input);
    let result = xmllint_bytes("out-of-order.xml", swapped.as_bytes());
    if let Some((ok, text)) = result {
        assert!(!ok, "an out-of-order j:Firearm validated:\n{text}");
        assert!(text.contains("ItemMakeName"), "{text}");
    }
}

#[test]
fn niem_output_refuses_other_kinds() {
    let search: Vec<Message> = generate(&SampleOptions::new(MessageKind::Search, 1, 1)).collect();
    let (_, refused) = encode("niem-xml", &search);
    assert_eq!(refused.len(), 1);
    assert!(refused[0].1.contains("records only"), "{}", refused[0].1);
}

#[test]
fn niem_golden_files() {
    let input = std::fs::read(data("tests/data/niem/records.xml")).unwrap_or_default();
    let (json, errors) = convert("niem-xml", "iarms-json", &input);
    check_golden("tests/data/niem/expected/records.json", &json);
    check_golden("tests/data/niem/expected/records.errors.txt", &errors);

    let (lines, errors) = convert("niem-xml", "ncic", &input);
    check_golden("tests/data/niem/expected/records.ncic.txt", &lines);
    check_golden("tests/data/niem/expected/records.ncic.errors.txt", &errors);

    let input = std::fs::read(data("tests/data/niem/records-with-errors.xml")).unwrap_or_default();
    let (json, errors) = convert("niem-xml", "iarms-json", &input);
    check_golden("tests/data/niem/expected/records-with-errors.json", &json);
    check_golden(
        "tests/data/niem/expected/records-with-errors.errors.txt",
        &errors,
    );
}

#[test]
fn niem_errors_are_located_and_good_records_go_through() {
    let input = std::fs::read(data("tests/data/niem/records-with-errors.xml")).unwrap_or_default();
    let results = decode("niem-xml", &input);
    assert_eq!(results.len(), 5);
    let unread = results[1]
        .clone()
        .err()
        .unwrap_or_else(|| panic!("record 2 should fail"));
    assert_eq!(
        unread.to_string(),
        "record 2 (line 35) at /ix:FirearmRecordExchange/ix:FirearmRecord[2]/j:Firearm/nc:ItemColorDescriptionText: <nc:ItemColorDescriptionText> is not read by niem-xml inside <j:Firearm> (its content would be lost); see mappings/niem-xml.md"
    );
    let no_unit = results[2]
        .clone()
        .err()
        .unwrap_or_else(|| panic!("record 3 should fail"));
    assert_eq!(no_unit.field.as_deref(), Some("firearm.barrel_length_mm"));
    // Record 4 decodes; its unknown calibre is kept and flagged by default, and
    // a strict partner's complaint is placed at the NIEM element.
    let decoded = results[3].clone().unwrap_or_else(|e| panic!("{e}"));
    let kept = prepare(decoded.clone()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(kept
        .header()
        .flags
        .iter()
        .any(|f| f.field == "firearm.calibre" && f.code == "unknown_calibre"));
    let errors = prepare_with(decoded, &Strictness::all())
        .err()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].location.xml_path.as_deref(),
        Some("/ix:FirearmRecordExchange/ix:FirearmRecord[4]/j:Firearm/j:FirearmBoreSizeText")
    );
    assert_eq!(errors[0].field.as_deref(), Some("firearm.calibre"));
    assert!(results[0].is_ok() && results[4].is_ok());
}

#[test]
fn repository_copy_of_niem_schemas_matches_the_shared_release() {
    let shared = root().join("../shared/niem-5.2/xsd");
    if !shared.is_dir() {
        println!(
            "NOTICE: {} not found; copy comparison skipped",
            shared.display()
        );
        return;
    }
    let ours = data("tests/data/niem-5.2/xsd");
    let mut compared = 0;
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(shared.join(&relative)) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = relative.join(entry.file_name());
            if entry.path().is_dir() {
                stack.push(name);
            } else {
                let theirs = std::fs::read(entry.path()).unwrap_or_default();
                let mine = std::fs::read(ours.join(&name)).unwrap_or_default();
                assert!(
                    theirs == mine,
                    "{} differs from the shared release",
                    name.display()
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 40, "compared {compared} files");
}

// ------------------------------------------------------------------ ncic

/// NCIC type codes that read back as the same code (the official combination
/// codes the encoder writes, and the other codes of the composition rules).
const STABLE_TYP: [&str; 50] = [
    "PA", "PB", "PD", "PE", "PI", "PL", "PO", "PP", "PR", "PS", "RA", "RB", "RC", "RE", "RI", "RL",
    "RO", "RP", "RR", "RS", "SA", "SB", "SE", "SI", "SL", "SO", "SP", "SR", "SS", "MA", "MB", "ME",
    "MI", "ML", "MO", "MP", "MR", "MS", "ZA", "ZB", "ZE", "ZI", "ZL", "ZO", "ZP", "ZR", "ZS", "B",
    "C", "GN",
];

/// Type and action after canonical -> ncic -> canonical (mappings/ncic.md, TYP).
fn typ_after_ncic(firearm_type: &str, action: Option<&str>) -> (String, Option<String>) {
    let (t, a) = match (firearm_type, action) {
        ("assault_rifle", a) => ("rifle", a.or(Some("automatic"))),
        ("carbine", _) => ("carbine", None),
        ("revolver", _) => ("revolver", Some("revolver")),
        ("derringer", _) => ("derringer", None),
        ("pistol", None) => ("pistol", Some("semi_automatic")),
        // B, C and GN are official codes for every action of their type.
        ("submachine_gun" | "combination_gun" | "grenade_launcher", _) => (firearm_type, None),
        ("machine_gun", None) => (firearm_type, Some("automatic")),
        (t, a) => (t, a),
    };
    (t.to_string(), a.map(str::to_string))
}

/// What canonical -> ncic -> canonical keeps of a record; calibre and flags are
/// checked apart (NCIC calibre notation is often ambiguous).
fn after_ncic(original: &FirearmRecord, back: &FirearmRecord) -> FirearmRecord {
    let f = &original.firearm;
    let (firearm_type, action) = match f.firearm_type.as_deref() {
        Some(t) => {
            let (t, a) = typ_after_ncic(t, f.action.as_deref());
            (Some(t), a)
        }
        None => (None, None),
    };
    FirearmRecord {
        header: back.header.clone(),
        record_id: original.record_id.clone(),
        owner_country: ncic::DEFAULT_COUNTRY.to_string(),
        owner_agency: original.owner_agency.clone(),
        case_reference: Some(original.record_id.clone()),
        action: original.action,
        version: 1,
        firearm: Firearm {
            // A make with an NCIC code comes back as its canonical name.
            make: f
                .make_canonical
                .clone()
                .filter(|c| {
                    iarms_adapters::codes::makes::by_name(c).is_some_and(|m| !m.ncic.is_empty())
                })
                .or(f.make.clone()),
            make_canonical: f.make_canonical.clone(),
            model: f.model.as_deref().map(ncic_text),
            serial_number: f.serial_number.clone(),
            serial_key: f.serial_key.clone(),
            serial_pattern: f.serial_pattern.clone(),
            serial_note: f.serial_note.clone(),
            serials: f.serials.clone(),
            // NCIC has no state: what comes back is what the serial itself says.
            serial_state: f.serial_number.as_deref().and_then(|n| {
                iarms_adapters::normalise::serial::read(n, &Default::default())
                    .first()
                    .and_then(|r| r.state)
                    .filter(|s| *s != iarms_adapters::model::SerialState::Legible)
            }),
            calibre: back.firearm.calibre.clone(),
            calibre_as_recorded: back.firearm.calibre_as_recorded.clone(),
            firearm_type,
            action,
            ..Firearm::default()
        },
        event: Event {
            status: original.event.status,
            date: original.event.date.clone(),
            place: None,
            description: original
                .event
                .description
                .as_deref()
                .map(ncic_text)
                .filter(|t| !t.is_empty()),
        },
    }
}

#[test]
fn ncic_round_trip_keeps_what_ncic_carries() {
    let originals = sample_records(1500, 3, 0.3);
    let (bytes, refused) = encode("ncic", &as_messages(&originals));
    let written: Vec<&FirearmRecord> = originals
        .iter()
        .enumerate()
        .filter(|(i, _)| !refused.iter().any(|(r, _)| r == i))
        .map(|(_, r)| r)
        .collect();
    // Refusals are the documented ones: a status other than stolen or lost, a
    // partial or missing date of theft, a type without an NCIC code, no serial
    // number (obliterated) or one holding a period (NCIC text has none, and a
    // serial number is never altered).
    for (i, reason) in &refused {
        let known = reason.contains("for stolen or lost guns")
            || reason.contains("NCIC field DOT")
            || reason.contains("NCIC field TYP")
            || reason.contains("NCIC field SER");
        assert!(known, "record {i}: {reason}");
    }
    assert!(
        written.len() > 100,
        "only {} of {} written",
        written.len(),
        originals.len()
    );

    let text = String::from_utf8_lossy(&bytes).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), written.len());
    let results = decode("ncic", &bytes);
    let (mut exact, mut ambiguous, mut unreadable) = (0, 0, 0);
    for ((original, line), result) in written.iter().zip(&lines).zip(results) {
        let decoded = result.unwrap_or_else(|e| panic!("{line}: {e}"));
        let back = match prepare(decoded) {
            Ok(Message::Record(back)) => back,
            Ok(other) => panic!("{line}: read back as {}", other.kind()),
            Err(errors) => {
                // Only a calibre notation the calibre code list does not know yet.
                assert_eq!(errors.len(), 1, "{line}: {errors:?}");
                assert_eq!(
                    errors[0].location.csv_column.as_deref(),
                    Some("CAL"),
                    "{line}"
                );
                assert!(errors[0].reason.starts_with("unknown calibre"), "{line}");
                unreadable += 1;
                continue;
            }
        };
        assert_eq!(back, after_ncic(original, &back), "{line}");
        let calibre = original.firearm.calibre.as_deref();
        match back.firearm.calibre.as_deref() {
            Some(c) => {
                assert_eq!(Some(c), calibre, "{line}");
                exact += 1;
            }
            None => {
                let flagged =
                    back.header.flags.iter().any(|f| {
                        f.field == "firearm.calibre" && f.code == flags::AMBIGUOUS_CALIBRE
                    });
                assert!(flagged || calibre.is_none(), "{line}");
                ambiguous += 1;
            }
        }
    }
    println!(
        "ncic round trip: {exact} calibres exact, {ambiguous} ambiguous, {unreadable} unreadable"
    );
    assert!(exact > 0 && ambiguous > 0);
}

#[test]
fn ncic_type_codes_that_change_on_the_way_back() {
    use iarms_adapters::codes::firearm_types::{from_ncic_typ, ncic_typ};
    let mut changed = Vec::new();
    for class in "PRSBMCQZ".chars() {
        for second in "ABCDEILOPRS".chars() {
            let code = format!("{class}{second}");
            let back = from_ncic_typ(&code).and_then(|t| ncic_typ(t.firearm_type, t.action));
            if back.as_deref() != Some(code.as_str()) {
                changed.push(format!("{code}->{}", back.unwrap_or_else(|| "none".into())));
            }
        }
    }
    // Documented in mappings/ncic.md.
    assert_eq!(
        changed.join(" "),
        "PC->PI RD->none SC->none SD->none BC->BA BD->BA MC->MA MD->MA CC->none CD->none QA->ZA QB->ZB QC->none QD->none QE->ZE QI->ZI QL->ZL QO->ZO QP->ZP QR->ZR QS->ZS ZC->none ZD->none"
    );
    for code in STABLE_TYP.iter().filter(|c| c.len() == 2) {
        assert!(!changed.iter().any(|c| c.starts_with(code)), "{code}");
    }
}

#[test]
fn ncic_golden_files_and_exact_rewrite() {
    let input = std::fs::read(data("tests/data/ncic/gun-file.txt")).unwrap_or_default();
    let (json, errors) = convert("ncic", "iarms-json", &input);
    check_golden("tests/data/ncic/expected/gun-file.json", &json);
    assert_eq!(errors, "");
    let (xml, errors) = convert("ncic", "niem-xml", &input);
    check_golden("tests/data/niem/expected/gun-file.niem.xml", &xml);
    // The QG query is a search, which the NIEM exchange does not carry.
    check_golden("tests/data/niem/expected/gun-file.niem.errors.txt", &errors);
    assert_valid_niem("gun-file.niem.xml", xml.as_bytes());
    // Well-formed messages are written back exactly.
    let (again, errors) = convert("ncic", "ncic", &input);
    assert_eq!(errors, "");
    assert_eq!(again, String::from_utf8_lossy(&input));

    let input = std::fs::read(data("tests/data/ncic/gun-file-with-errors.txt")).unwrap_or_default();
    let (json, errors) = convert("ncic", "iarms-json", &input);
    check_golden("tests/data/ncic/expected/gun-file-with-errors.json", &json);
    check_golden(
        "tests/data/ncic/expected/gun-file-with-errors.errors.txt",
        &errors,
    );
    assert!(
        errors.contains("structure: record 4 (line 4) field SER: required for an EG entry\n"),
        "{errors}"
    );
}

fn ncic_date() -> impl Strategy<Value = String> {
    (1990u32..2026, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}{m:02}{d:02}"))
}

/// Official CAL codes (families, read as ambiguous).
const CALS: [&str; 24] = [
    "9", "22", "25", "32", "38", "44", "45", "357", "380", "10", "12", "16", "20", "410", "762",
    "765", "8", "556", "223", "308", "30", "303", "243", "3006",
];

fn ncic_make() -> impl Strategy<Value = (String, Option<String>)> {
    let table: Vec<String> = iarms_adapters::codes::makes::all()
        .iter()
        .flat_map(|make| make.ncic.first().cloned())
        .collect();
    prop_oneof![
        proptest::sample::select(table).prop_map(|code| (code, None)),
        proptest::sample::select(vec!["KEL", "HIP", "SPR", "A1"])
            .prop_map(|code| (code.to_string(), None)),
        "[A-Z][A-Z -]{0,12}[A-Z]"
            .prop_filter("not a table make", |name| {
                let firearm = Firearm {
                    make: Some(name.clone()),
                    ..Firearm::default()
                };
                ncic::make_code(&firearm).is_none()
                    && !matches!(
                        iarms_adapters::codes::makes::lookup(name),
                        iarms_adapters::codes::makes::MakeMatch::Known(_)
                    )
            })
            .prop_map(|name| ("ZZZ".to_string(), Some(name))),
    ]
}

fn remarks_text() -> impl Strategy<Value = String> {
    (
        "[A-Z][A-Z0-9 ,/-]{0,20}[A-Z0-9]",
        proptest::option::of("[A-Z0-9][A-Z0-9 ]{0,10}[A-Z0-9]"),
    )
        .prop_map(|(first, second)| match second {
            Some(second) => format!("{first}; {second}"),
            None => first,
        })
}

prop_compose! {
    fn ncic_message()(
        key in 0usize..4,
        ori in "[A-Z]{2}[0-9]{7}",
        ser in "[A-Z0-9][A-Z0-9 -]{0,10}[A-Z0-9]",
        make in proptest::option::of(ncic_make()),
        cal in proptest::option::of(proptest::sample::select(CALS.to_vec())),
        model in proptest::option::of("[A-Z0-9][A-Z0-9 /-]{0,8}[A-Z0-9]"),
        typ in proptest::option::of(proptest::sample::select(STABLE_TYP.to_vec())),
        dot in proptest::option::of(ncic_date()),
        oca in "[A-Z0-9][A-Z0-9/-]{0,14}",
        lost in any::<bool>(),
        remarks in proptest::option::of(remarks_text()),
    ) -> String {
        let key = ["EG", "MG", "XG", "QG"][key];
        let entry = key == "EG";
        let query = key == "QG";
        // An entry carries every required field.
        let make = if entry { make.or(Some(("GLK".to_string(), None))) } else { make };
        let cal = if entry { cal.or(Some("9MM")) } else { cal };
        let typ = if entry { typ.or(Some("PI")) } else { typ };
        let dot = if entry { dot.or(Some("20240307".to_string())) } else if query { None } else { dot };
        let mut line = format!("{key}.ORI/{ori}.SER/{ser}");
        let mut make_part = None;
        if let Some((code, name)) = &make {
            line.push_str(&format!(".MAK/{code}"));
            make_part = name.clone();
        }
        if let Some(cal) = cal {
            line.push_str(&format!(".CAL/{cal}"));
        }
        if let Some(model) = model {
            line.push_str(&format!(".MOD/{model}"));
        }
        if let Some(typ) = typ {
            line.push_str(&format!(".TYP/{typ}"));
        }
        if let Some(dot) = dot {
            line.push_str(&format!(".DOT/{dot}"));
        }
        line.push_str(&format!(".OCA/{oca}"));
        let mut parts: Vec<String> = Vec::new();
        let text = if query { None } else { remarks };
        if lost && !query {
            parts.push("LOST".to_string());
        } else if let Some(text) = &text {
            let first = text.split("; ").next().unwrap_or_default();
            if make_part.is_none() && (first == "LOST" || first == "STOLEN") {
                parts.push("STOLEN".to_string());
            }
        }
        if let Some(name) = make_part {
            parts.push(format!("MAK {name}"));
        }
        if let Some(text) = text {
            parts.push(text);
        }
        if !parts.is_empty() {
            line.push_str(&format!(".MIS/{}", parts.join("; ")));
        }
        line
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn well_formed_ncic_messages_survive_canonical_unchanged(line in ncic_message()) {
        let messages = read_all("ncic", line.as_bytes());
        prop_assert_eq!(messages.len(), 1);
        let (bytes, refused) = encode("ncic", &messages);
        prop_assert!(refused.is_empty(), "{:?}", refused);
        let written = String::from_utf8_lossy(&bytes).into_owned();
        prop_assert_eq!(written.trim_end(), line.as_str());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Garbage in never panics: every line or document gives messages or errors.
    #[test]
    fn decoders_never_panic(text in "[A-Z0-9./; \n\u{e9}<>=\":-]{0,200}", mutate in 0usize..400) {
        let _ = decode("ncic", text.as_bytes());
        let mut doc = read(&data("tests/data/niem/records.xml"));
        let at = (mutate * doc.len() / 400).min(doc.len());
        let at = (0..=at).rev().find(|i| doc.is_char_boundary(*i)).unwrap_or(0);
        doc.insert_str(at, &text);
        let _ = decode("niem-xml", doc.as_bytes());
    }
}

#[test]
fn ncic_calibre_notations_in_the_proptest_are_read() {
    for cal in CALS {
        assert!(iarms_adapters::codes::ncic::cal(cal).is_some(), "{cal}");
    }
}

/// Issue 15: NIEM's serial identification repeats, so every serial of
/// `serials` travels with its part and state; the primary stays first.
#[test]
fn niem_carries_several_serials_with_their_parts() {
    let value = serde_json::json!({
        "kind": "record",
        "header": {
            "message_id": "a2b5054e-078a-5bd7-a4df-0fe99fecbae2",
            "correlation_id": "a2b5054e-078a-5bd7-a4df-0fe99fecbae2"
        },
        "record_id": "RS-1", "owner_country": "RS", "owner_agency": "RS-MUP",
        "action": "create", "version": 1,
        "firearm": {"serial_number": "40217 (slide); 930112 (frame)", "make": "Zastava"},
        "event": {"status": "stolen", "date": "2024-03-07"}
    });
    let mut message: Message = serde_json::from_value(value).unwrap();
    assert!(iarms_adapters::normalise::normalise(&mut message).is_empty());
    let Message::Record(original) = &message else {
        panic!("a record")
    };
    assert_eq!(original.firearm.serials.len(), 2);
    let (bytes, refused) = encode("niem-xml", std::slice::from_ref(&message));
    assert!(refused.is_empty(), "{refused:?}");
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(
        text.matches("<nc:ItemSerialIdentification>").count(),
        3,
        "{text}"
    );
    let back = decode("niem-xml", &bytes).remove(0).unwrap();
    let Ok(Message::Record(back)) = prepare(back) else {
        panic!("read back")
    };
    assert_eq!(back.firearm.serial_number, original.firearm.serial_number);
    assert_eq!(back.firearm.serial_key.as_deref(), Some("930112"));
    assert_eq!(back.firearm.serials, original.firearm.serials);
}
