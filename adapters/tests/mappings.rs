//! Declarative mappings end to end, through the library: the three built-in
//! mappings on their sample files (normalised values, located errors, stable
//! ids), native -> canonical -> native round trips (golden and property-based),
//! and a mapping written from `mappings/README.md` alone.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::BufReader;
use std::path::PathBuf;

use iarms_adapters::model::{Message, RecordAction};
use iarms_adapters::pipeline::prepare;
use iarms_adapters::{Limits, RecordError, Registry};
use proptest::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn registry() -> Registry {
    Registry::with_mappings(&[]).unwrap_or_else(|e| panic!("{e}"))
}

/// Decodes and prepares every record: Ok(message) or the record's errors.
fn decode(
    registry: &Registry,
    format: &str,
    bytes: &[u8],
) -> Vec<Result<Message, Vec<RecordError>>> {
    let adapter = registry
        .get(format)
        .unwrap_or_else(|| panic!("no format {format}"));
    let stream = adapter
        .decode(Box::new(BufReader::new(bytes)), Limits::default())
        .unwrap_or_else(|e| panic!("{e}"));
    stream
        .map(|item| item.map_err(|e| vec![e]).and_then(prepare))
        .collect()
}

fn good(results: Vec<Result<Message, Vec<RecordError>>>) -> Vec<Message> {
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|e| {
                panic!(
                    "rejected: {}",
                    e.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })
        })
        .collect()
}

fn encode(registry: &Registry, format: &str, messages: &[Message]) -> Vec<u8> {
    let adapter = registry
        .get(format)
        .unwrap_or_else(|| panic!("no format {format}"));
    let mut out = Vec::new();
    {
        let mut encoder = adapter
            .encoder(Box::new(&mut out))
            .unwrap_or_else(|e| panic!("{e}"));
        for message in messages {
            encoder.write(message).unwrap_or_else(|e| panic!("{e}"));
        }
        encoder.finish().unwrap_or_else(|e| panic!("{e}"));
    }
    out
}

fn record(message: &Message) -> &iarms_adapters::model::FirearmRecord {
    match message {
        Message::Record(r) => r,
        other => panic!("not a record: {other:?}"),
    }
}

fn flags(message: &Message) -> Vec<(String, String)> {
    message
        .header()
        .flags
        .iter()
        .map(|f| (f.field.clone(), f.code.clone()))
        .collect()
}

#[test]
fn registry_rs_sample_is_normalised() {
    let registry = registry();
    let messages = good(decode(
        &registry,
        "registry-rs",
        &read("tests/data/native/registry-rs-export.csv"),
    ));
    assert_eq!(messages.len(), 10);
    let first = record(&messages[0]);
    assert_eq!(first.record_id, "KU-2024-00117#C-123456");
    assert_eq!(
        (first.owner_country.as_str(), first.owner_agency.as_str()),
        ("RS", "RS-MUP")
    );
    assert_eq!(first.case_reference.as_deref(), Some("KU-2024-00117"));
    assert_eq!(first.action, RecordAction::Create);
    let f = &first.firearm;
    assert_eq!(f.calibre.as_deref(), Some("7.62x39mm"));
    assert_eq!(f.calibre_as_recorded.as_deref(), Some("7,62x39"));
    assert_eq!(f.firearm_type.as_deref(), Some("assault_rifle"));
    assert_eq!(f.serial_key.as_deref(), Some("C123456"));
    assert_eq!(f.country_of_manufacture.as_deref(), Some("YU"));
    assert!(flags(&messages[0]).contains(&(
        "firearm.country_of_manufacture".into(),
        "historic_country".into()
    )));
    assert_eq!(first.event.date.as_deref(), Some("2024-03-07"));
    assert_eq!(format!("{:?}", first.event.status), "Stolen");
    assert_eq!(
        first
            .event
            .place
            .as_ref()
            .and_then(|p| p.locality.as_deref()),
        Some("Kragujevac")
    );
    let baikal = record(&messages[8]);
    assert_eq!(baikal.firearm.calibre.as_deref(), Some("12 gauge"));
    assert_eq!(baikal.firearm.firearm_type.as_deref(), Some("shotgun"));
    assert_eq!(baikal.firearm.serial_key.as_deref(), Some("0412345"));
    let sniper = record(&messages[9]);
    assert_eq!(sniper.firearm.firearm_type.as_deref(), Some("rifle"));
    assert_eq!(format!("{:?}", sniper.event.status), "Lost");
    let smuggled = record(&messages[6]);
    assert_eq!(format!("{:?}", smuggled.event.status), "Smuggled");
    assert_eq!(
        smuggled.firearm.country_of_manufacture.as_deref(),
        Some("RS")
    );
}

#[test]
fn registry_rs_with_errors_yields_exactly_its_two_documented_errors_and_keeps_the_unknown_type() {
    let registry = registry();
    let results = decode(
        &registry,
        "registry-rs",
        &read("tests/data/native/registry-rs-export-with-errors.csv"),
    );
    assert_eq!(results.len(), 4);
    assert!(results[0].is_ok(), "{:?}", results[0]);
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .flatten()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors,
        [
            "record 2 (line 3) column \"Serijski broj\" field firearm.serial_number: serial number is empty; a record needs the serial number as marked, or serial_state \"obliterated\", \"illegible\" or \"absent\"",
            "record 3 (line 4) column \"Datum događaja\" field event.date: impossible date \"31.02.2025\": February 2025 has 28 days",
        ]
    );
    // "bacač" is not in the mapping's type table, and the rule is not strict:
    // the record stands, the value kept as recorded and flagged.
    let kept = results[3].as_ref().unwrap_or_else(|e| panic!("{e:?}"));
    let Message::Record(record) = kept else {
        panic!("not a record: {kept:?}")
    };
    // A closed list cannot hold it, so the flag keeps the recorded value.
    assert_eq!(record.firearm.firearm_type, None);
    let flag = record
        .header
        .flags
        .iter()
        .find(|f| f.field == "firearm.firearm_type")
        .unwrap_or_else(|| panic!("no flag: {:?}", record.header.flags));
    assert_eq!(flag.code, "unknown_firearm_type");
    assert!(
        flag.detail
            .as_deref()
            .is_some_and(|d| d.starts_with("\"bacač\"")),
        "{flag:?}"
    );
}

#[test]
fn registry_br_sample_reads_document_members_alpha3_partial_dates_and_markings() {
    let registry = registry();
    let messages = good(decode(
        &registry,
        "registry-br",
        &read("tests/data/native/registry-br-api.json"),
    ));
    assert_eq!(messages.len(), 4);
    let first = record(&messages[0]);
    assert_eq!(first.owner_agency, "PF-SINARM");
    assert_eq!(first.owner_country, "BR");
    assert_eq!(first.firearm.calibre.as_deref(), Some("9x19mm"));
    assert_eq!(
        first.firearm.calibre_as_recorded.as_deref(),
        Some("9mm Luger")
    );
    assert_eq!(first.firearm.country_of_manufacture.as_deref(), Some("BR"));
    assert_eq!(first.firearm.markings.len(), 1);
    assert_eq!(first.firearm.markings[0].text, "IMBEL");
    assert_eq!(
        first.firearm.markings[0].location.as_deref(),
        Some("ferrolho")
    );
    let place = first.event.place.as_ref();
    assert_eq!(
        place.and_then(|p| p.locality.as_deref()),
        Some("Campinas/SP")
    );
    assert_eq!(place.and_then(|p| p.country.as_deref()), Some("BR"));
    let second = record(&messages[1]);
    assert!(second.firearm.markings.is_empty());
    assert_eq!(second.firearm.calibre.as_deref(), Some("12 gauge"));
    assert_eq!(second.firearm.firearm_type.as_deref(), Some("shotgun"));
    let third = record(&messages[2]);
    assert_eq!(third.event.date.as_deref(), Some("2023-10"));
    assert_eq!(third.firearm.serial_key.as_deref(), Some("K445112"));
    let fourth = record(&messages[3]);
    assert_eq!(fourth.firearm.country_of_manufacture.as_deref(), Some("AT"));
    assert_eq!(format!("{:?}", fourth.event.status), "Trafficked");
}

#[test]
fn regional_xml_sample_converts_inches_cancels_and_root_owner() {
    let registry = registry();
    let messages = good(decode(
        &registry,
        "regional-xml",
        &read("tests/data/native/regional-system.xml"),
    ));
    assert_eq!(messages.len(), 3);
    let first = record(&messages[0]);
    assert_eq!(first.owner_country, "ZA");
    assert_eq!(first.record_id, "ZA-SAPS-2025-0001");
    assert_eq!(first.firearm.barrel_length_mm, Some(127.0));
    assert_eq!(first.firearm.firearm_type.as_deref(), Some("pistol"));
    assert_eq!(first.firearm.calibre.as_deref(), Some("9x19mm"));
    assert_eq!(first.firearm.country_of_manufacture.as_deref(), Some("ZA"));
    assert_eq!(
        first
            .event
            .place
            .as_ref()
            .and_then(|p| p.locality.as_deref()),
        Some("Durban")
    );
    let second = record(&messages[1]);
    assert_eq!(second.firearm.firearm_type.as_deref(), Some("rifle"));
    assert_eq!(
        second
            .event
            .place
            .as_ref()
            .and_then(|p| p.country.as_deref()),
        Some("MZ")
    );
    assert_eq!(format!("{:?}", second.event.status), "Seized");
    let third = record(&messages[2]);
    assert_eq!(third.action, RecordAction::Cancel);
    assert_eq!(format!("{:?}", third.event.status), "Lost");
}

#[test]
fn message_ids_are_derived_from_the_record_identity() {
    let registry = registry();
    let bytes = read("tests/data/native/registry-br-api.json");
    let once = good(decode(&registry, "registry-br", &bytes));
    let again = good(decode(&registry, "registry-br", &bytes));
    let ids: Vec<_> = once.iter().map(|m| m.header().message_id).collect();
    assert_eq!(
        ids,
        again
            .iter()
            .map(|m| m.header().message_id)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        ids.iter().collect::<std::collections::BTreeSet<_>>().len(),
        4
    );
    for message in &once {
        assert_eq!(message.header().message_id.get_version_num(), 5);
        assert_eq!(message.header().correlation_id, message.header().message_id);
        assert_eq!(message.header().schema_version, "1.0");
    }
    // A new version of the same record is a new message.
    let bumped = String::from_utf8_lossy(&bytes)
        .replace("\"id\": \"SIN-0000187\",", "\"id\": \"SIN-0000187-X\",");
    let changed = good(decode(&registry, "registry-br", bumped.as_bytes()));
    assert_ne!(changed[0].header().message_id, ids[0]);
    assert_eq!(changed[1].header().message_id, ids[1]);
}

#[test]
fn json_and_xml_errors_are_named_in_native_terms() {
    let registry = registry();
    let json = String::from_utf8_lossy(&read("tests/data/native/registry-br-api.json"))
        .replace("\"data\": \"2025-01-20\"", "\"data\": \"2025-02-30\"")
        .replace("\"especie\": \"REVOLVER\"", "\"especie\": \"BAZUCA\"");
    let results = decode(&registry, "registry-br", json.as_bytes());
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .flatten()
        .map(ToString::to_string)
        .collect();
    // "BAZUCA" is kept as recorded and flagged (the type rule is not strict).
    assert_eq!(
        errors,
        [
            "record 2 (line 17, column 5) at /armas/1/ocorrencia/data field event.date: impossible date \"2025-02-30\": February 2025 has 28 days",
        ]
    );

    let xml = String::from_utf8_lossy(&read("tests/data/native/regional-system.xml"))
        .replace("date=\"2023-09-30\"", "date=\"2023-09-31\"")
        .replace(
            "<rf:BarrelLength unit=\"in\">5.0</rf:BarrelLength>",
            "<rf:BarrelLength unit=\"furlong\">5.0</rf:BarrelLength>",
        )
        .replace("<rf:Category code=\"RF\">", "<rf:Category code=\"SMG\">");
    let results = decode(&registry, "regional-xml", xml.as_bytes());
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .flatten()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errors,
        [
            "record 1 (line 11) at /rf:FirearmReport/rf:Weapon[1]/rf:Identification/rf:BarrelLength/@unit field firearm.barrel_length_mm: unknown unit \"furlong\" (mm, cm, m or in)",
            "record 2 (line 24) at /rf:FirearmReport/rf:Weapon[2]/rf:Identification/rf:Category/@code field firearm.firearm_type: unknown value \"SMG\" (known: HG, RF)",
            "record 3 (line 41) at /rf:FirearmReport/rf:Weapon[3]/rf:Incident/@date field event.date: impossible date \"2023-09-31\": September 2023 has 30 days",
        ]
    );
}

#[test]
fn samples_round_trip_to_their_golden_native_form() {
    let registry = registry();
    for (format, input, expected) in [
        (
            "registry-rs",
            "tests/data/native/registry-rs-export.csv",
            "tests/golden/mappings/registry-rs-export.native.csv",
        ),
        (
            "registry-br",
            "tests/data/native/registry-br-api.json",
            "tests/golden/mappings/registry-br-api.native.json",
        ),
        (
            "regional-xml",
            "tests/data/native/regional-system.xml",
            "tests/golden/mappings/regional-system.native.xml",
        ),
    ] {
        let messages = good(decode(&registry, format, &read(input)));
        let native = encode(&registry, format, &messages);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(root().join(expected), &native).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(
            String::from_utf8_lossy(&native),
            String::from_utf8_lossy(&read(expected)),
            "{format}"
        );
        // And the native form reads back to the same canonical messages.
        let back = good(decode(&registry, format, &native));
        assert_eq!(back, messages, "{format}");
    }
}

// ------------------------------------------------------------------ property tests

fn word() -> impl Strategy<Value = String> {
    "[A-Z][A-Za-z0-9ćčšžđ]{0,8}( [A-Za-z0-9]{1,6})?"
}

fn serial() -> impl Strategy<Value = String> {
    "[A-Z0-9]{1,4}([- ]?[A-Z0-9]{1,6})?"
}

fn rs_date() -> impl Strategy<Value = String> {
    (1950u32..2030, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{d:02}.{m:02}.{y}"))
}

fn rs_row() -> impl Strategy<Value = String> {
    let calibres = prop::sample::select(vec![
        "7,62x39",
        "9x19 mm",
        "7,65 Browning",
        "12",
        "7,62x25 Tokarev",
        "38 Special",
        "9x19mm",
        ".22 LR",
    ]);
    let types = prop::sample::select(vec![
        "pištolj",
        "revolver",
        "puška",
        "automatska puška",
        "sačmarica",
        "karabin",
        "automat",
        "mitraljez",
        "ostalo",
    ]);
    let countries = prop::sample::select(vec!["YU", "RS", "AT", "IT", "US", "RU", "CZ", "DE"]);
    let statuses = prop::sample::select(vec![
        "ukradeno",
        "izgubljeno",
        "zaplenjeno",
        "trgovina",
        "krijumčareno",
        "pronađeno",
        "predato",
        "ostalo",
    ]);
    (word(), word(), serial(), calibres, types, countries, statuses, rs_date(), "KU-[0-9]{4}-[0-9]{5}", word()).prop_map(
        |(make, model, serial, calibre, kind, country, status, date, case, place)| {
            format!("{make};{model};{serial};{calibre};{kind};{country};{status};{date};{case};{place}\r\n")
        },
    )
}

const RS_HEADER: &str = "\u{feff}Proizvođač;Model;Serijski broj;Kalibar;Vrsta oružja;Zemlja proizvodnje;Status;Datum događaja;Broj predmeta;Mesto\r\n";

fn br_item() -> impl Strategy<Value = serde_json::Value> {
    let calibres = prop::sample::select(vec![
        "9mm Luger",
        "12 GA",
        ".357 Magnum",
        "9x19mm",
        ".38 Special",
        ".40 S&W",
    ]);
    let types = prop::sample::select(vec![
        "PISTOLA",
        "REVOLVER",
        "FUZIL",
        "ESPINGARDA",
        "CARABINA",
        "SUBMETRALHADORA",
    ]);
    let countries = prop::sample::select(vec!["BRA", "AUT", "USA", "ITA", "DEU"]);
    let statuses = prop::sample::select(vec![
        "FURTADA",
        "EXTRAVIADA",
        "APREENDIDA",
        "TRAFICADA",
        "CONTRABANDEADA",
        "ENCONTRADA",
        "ENTREGUE",
    ]);
    let date = prop_oneof![
        (1990u32..2030, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        (1990u32..2030, 1u32..13).prop_map(|(y, m)| format!("{y}-{m:02}")),
    ];
    let marking = (word(), word())
        .prop_map(|(texto, local)| serde_json::json!({"texto": texto, "local": local}));
    (
        (
            "SIN-[0-9]{7}",
            serial(),
            word(),
            word(),
            calibres,
            types,
            countries,
            statuses,
        ),
        (
            date,
            word(),
            "[A-Z]{2}",
            "BO-[0-9]{4}-[0-9]{6}",
            prop::collection::vec(marking, 0..3),
        ),
    )
        .prop_map(
            |(
                (id, serial, make, model, calibre, kind, country, status),
                (date, town, uf, bo, markings),
            )| {
                serde_json::json!({
                    "id": id, "boletim_ignored": null,
                    "numeroSerie": serial, "marca": make, "modelo": model, "calibre": calibre,
                    "especie": kind, "paisFabricacao": country, "situacao": status,
                    "ocorrencia": {"data": date, "municipio": town, "uf": uf, "boletim": bo},
                    "marcacoes": markings,
                })
            },
        )
}

/// The JSON the registry-br encoder writes for these items: members in rule order.
fn br_document(orgao: &str, items: &[serde_json::Value]) -> String {
    let mut out = format!("{{\"orgao\":{},\"armas\":[", serde_json::Value::from(orgao));
    for (i, item) in items.iter().enumerate() {
        let ordered = serde_json::json!({
            "id": item["id"], "numeroSerie": item["numeroSerie"], "marca": item["marca"], "modelo": item["modelo"],
            "calibre": item["calibre"], "especie": item["especie"], "paisFabricacao": item["paisFabricacao"], "situacao": item["situacao"],
            "ocorrencia": {"data": item["ocorrencia"]["data"], "municipio": item["ocorrencia"]["municipio"], "uf": item["ocorrencia"]["uf"], "boletim": item["ocorrencia"]["boletim"]},
            "marcacoes": item["marcacoes"],
        });
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&ordered.to_string());
    }
    out.push_str(if items.is_empty() { "]}\n" } else { "\n]}\n" });
    out
}

fn xml_weapon() -> impl Strategy<Value = String> {
    let calibres = prop::sample::select(vec!["9x19", "7.62x39", ".45 ACP", "5.56x45mm"]);
    let categories = prop::sample::select(vec![("HG", "Handgun - pistol"), ("RF", "Rifle")]);
    let countries = prop::sample::select(vec!["ZAF", "CHN", "BRA", "RUS", "BEL"]);
    let incidents = prop::sample::select(vec!["THEFT", "SEIZURE", "LOSS"]);
    let actions = prop::sample::select(vec!["new", "update", "cancel"]);
    let barrel =
        prop::option::of((2u32..300).prop_map(|tenths| format!("{}.{}", tenths / 10, tenths % 10)));
    (
        ("ZA-SAPS-[0-9]{4}-[0-9]{4}", actions, word(), word(), serial(), calibres, categories, countries),
        (barrel, incidents, (2000u32..2030, 1u32..13, 1u32..29), prop::sample::select(vec!["ZA", "MZ", "BW"]), word(), "CAS [0-9]{1,3}/[0-9]{2}/[0-9]{4}"),
    )
        .prop_map(|((reference, action, make, model, serial, calibre, (code, text), country), (barrel, incident, (y, m, d), place, town, case))| {
            let barrel = barrel
                .map(|b| format!("      <rf:BarrelLength unit=\"in\">{b}</rf:BarrelLength>\n"))
                .unwrap_or_default();
            format!(
                "  <rf:Weapon ref=\"{reference}\" action=\"{action}\">\n    <rf:Identification>\n      <rf:Manufacturer>{make}</rf:Manufacturer>\n      <rf:ModelName>{model}</rf:ModelName>\n      <rf:Serial>{serial}</rf:Serial>\n      <rf:Calibre unit=\"mm\">{calibre}</rf:Calibre>\n      <rf:Category code=\"{code}\">{text}</rf:Category>\n      <rf:MadeIn>{country}</rf:MadeIn>\n{barrel}    </rf:Identification>\n    <rf:Incident type=\"{incident}\" date=\"{y}-{m:02}-{d:02}\">\n      <loc:Place country=\"{place}\" town=\"{town}\"/>\n      <rf:CaseNo>{case}</rf:CaseNo>\n    </rf:Incident>\n  </rf:Weapon>\n"
            )
        })
}

const XML_START: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rf:FirearmReport xmlns:rf=\"urn:example:regional-firearms:v2\" xmlns:loc=\"urn:example:regional-locations:v1\" reportingState=\"ZA\">\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn registry_rs_rows_round_trip_byte_for_byte(rows in prop::collection::vec(rs_row(), 1..6)) {
        let registry = registry();
        let native = format!("{RS_HEADER}{}", rows.concat());
        let messages = good(decode(&registry, "registry-rs", native.as_bytes()));
        prop_assert_eq!(messages.len(), rows.len());
        let back = encode(&registry, "registry-rs", &messages);
        prop_assert_eq!(String::from_utf8_lossy(&back), native);
    }

    #[test]
    fn registry_br_documents_round_trip(items in prop::collection::vec(br_item(), 1..5)) {
        let registry = registry();
        let native = br_document("PF-SINARM", &items);
        let messages = good(decode(&registry, "registry-br", native.as_bytes()));
        prop_assert_eq!(messages.len(), items.len());
        let back = encode(&registry, "registry-br", &messages);
        prop_assert_eq!(String::from_utf8_lossy(&back), native);
    }

    #[test]
    fn regional_xml_documents_round_trip(weapons in prop::collection::vec(xml_weapon(), 1..5)) {
        let registry = registry();
        let native = format!("{XML_START}{}</rf:FirearmReport>\n", weapons.concat());
        let messages = good(decode(&registry, "regional-xml", native.as_bytes()));
        prop_assert_eq!(messages.len(), weapons.len());
        let back = encode(&registry, "regional-xml", &messages);
        prop_assert_eq!(String::from_utf8_lossy(&back), native);
    }
}

// ------------------------------------------------------------------ a new format from the README

/// Written from mappings/README.md only: a Latin-1, comma-separated export
/// with dd/mm/yyyy dates, Spanish headers and a headerless variant.
const NEW_FORMAT: &str = r#"
[mapping]
name = "registro-ar"
description = "made-up Latin-1 CSV export"
message = "record"

[source]
format = "csv"
delimiter = ","
encoding = "iso-8859-1"
line_ending = "lf"

[[field]]
to = "record_id"
from = "Legajo"

[[field]]
to = "owner_country"
value = "AR"

[[field]]
to = "owner_agency"
value = "AR-ANMAC"

[[field]]
to = "action"
value = "create"

[[field]]
to = "firearm.serial_number"
from = "Número de serie"

[[field]]
to = "firearm.make"
from = "Marca"

[[field]]
to = "firearm.calibre"
from = "Calibre"

[[field]]
to = "firearm.firearm_type"
from = "Tipo"
codes = "tipo"

[[field]]
to = "firearm.barrel_length_mm"
from = "Cañón (cm)"
number = "decimal_comma"
unit = "cm"

[[field]]
to = "event.status"
from = "Situación"
codes = "situacion"

[[field]]
to = "event.date"
from = "Fecha"
date = "DD/MM/YYYY"

[codes.tipo]
fold = true
"pistola" = "pistol"
"revólver" = "revolver"
"escopeta" = "shotgun"

[codes.situacion]
fold = true
"robada" = "stolen"
"extraviada" = "lost"
"secuestrada" = "seized"
"#;

#[test]
fn a_mapping_written_from_the_readme_reads_a_latin1_comma_csv() {
    let dir = std::env::temp_dir().join(format!("iarms-mapping-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("registro-ar.toml"), NEW_FORMAT).unwrap_or_else(|e| panic!("{e}"));
    let registry =
        Registry::with_mappings(std::slice::from_ref(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let (text, _, _) = encoding_rs::WINDOWS_1252.encode(
        "Legajo,Número de serie,Marca,Calibre,Tipo,Cañón (cm),Situación,Fecha\n\
         L-1,A 123,Bersa,.380 ACP,Pistola,\"8,9\",Robada,07/03/2024\n\
         L-2,B-77,Taurus,.38 Spl,REVÓLVER,10,extraviada,31/12/2023\n",
    );
    let latin1: Vec<u8> = text.into_owned();
    let messages = good(decode(&registry, "registro-ar", &latin1));
    assert_eq!(messages.len(), 2);
    let first = record(&messages[0]);
    assert_eq!(first.firearm.serial_number.as_deref(), Some("A 123"));
    assert_eq!(first.firearm.barrel_length_mm, Some(89.0));
    assert_eq!(first.firearm.calibre.as_deref(), Some(".380 ACP"));
    assert_eq!(first.event.date.as_deref(), Some("2024-03-07"));
    let second = record(&messages[1]);
    assert_eq!(second.firearm.firearm_type.as_deref(), Some("revolver"));
    assert_eq!(second.firearm.calibre.as_deref(), Some(".38 Special"));
    // And back, in Latin-1.
    let native = encode(&registry, "registro-ar", &messages);
    let (decoded, _, had_errors) = encoding_rs::WINDOWS_1252.decode(&native);
    assert!(!had_errors);
    assert!(decoded.starts_with("Legajo,Número de serie,Marca,Calibre,Tipo,Cañón (cm),Situación,Fecha\nL-1,A 123,Bersa,.380 ACP,pistola,\"8,9\",robada,07/03/2024\n"), "{decoded}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------------ less common paths

fn registry_with(name: &str, mapping: &str) -> Registry {
    let dir = std::env::temp_dir().join(format!("iarms-mapping-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join(format!("{name}.toml")), mapping).unwrap_or_else(|e| panic!("{e}"));
    let registry =
        Registry::with_mappings(std::slice::from_ref(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    registry
}

const HEADERLESS: &str = r#"
[mapping]
name = "tabbed"

[source]
format = "csv"
delimiter = "\t"
header = false
columns = ["id", "place", "marks", "kind", "state", "year"]
encoding = "utf-16"
bom = true

[[field]]
to = "record_id"
from = "id"

[[field]]
to = "owner_country"
value = "HR"

[[field]]
to = "owner_agency"
value = "HR-MUP"

[[field]]
to = "action"
value = "create"

[[field]]
to = "firearm.serial_number"
from = "id"

[[field]]
to = "event.place.locality"
from = "place"
split = ","
part = 1

[[field]]
to = "event.place.country"
from = "place"
split = ","
part = 2

[[field]]
to = "firearm.markings[].text"
from = "marks"
split = "|"

[[field]]
to = "firearm.firearm_type"
from = "kind"
codes = "kind"

[[field]]
to = "event.status"
from = "state"
codes = "state"
default = "other"

[[field]]
to = "firearm.year_of_manufacture"
from = "year"

[codes.kind]
keep_unknown = true
"pištolj" = "pistol"

[codes.state]
skip_unknown = true
"ukradeno" = "stolen"
"ostalo" = "other"
"#;

fn utf16le(text: &str) -> Vec<u8> {
    [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect()
}

#[test]
fn headerless_utf16_tab_csv_with_splits_lists_defaults_and_code_options() {
    let registry = registry_with("tabbed", HEADERLESS);
    let input = utf16le("A-1\tSplit, HR\tZASTAVA|IMP HR 2001\tpištolj\tukradeno\t1987\r\nA-2\tZagreb\t\tPistole\tnepoznato\t\r\n");
    let messages = good(decode(&registry, "tabbed", &input));
    assert_eq!(messages.len(), 2);
    let first = record(&messages[0]);
    let place = first.event.place.as_ref();
    assert_eq!(place.and_then(|p| p.locality.as_deref()), Some("Split"));
    assert_eq!(place.and_then(|p| p.country.as_deref()), Some("HR"));
    let marks: Vec<&str> = first
        .firearm
        .markings
        .iter()
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(marks, ["ZASTAVA", "IMP HR 2001"]);
    assert_eq!(first.firearm.year_of_manufacture, Some(1987));
    let second = record(&messages[1]);
    // keep_unknown: the normaliser still knows "Pistole"; skip_unknown + default: "other".
    assert_eq!(second.firearm.firearm_type.as_deref(), Some("pistol"));
    assert_eq!(format!("{:?}", second.event.status), "Other");
    assert!(second.firearm.markings.is_empty());
    // Written back: UTF-16 with BOM, split parts joined, list items joined.
    let native = encode(&registry, "tabbed", &messages);
    assert_eq!(
        native,
        utf16le("A-1\tSplit,HR\tZASTAVA|IMP HR 2001\tpištolj\tukradeno\t1987\nA-2\tZagreb\t\tpištolj\tostalo\t\n")
    );
}

const NDJSON: &str = r#"
[mapping]
name = "lines"

[source]
format = "ndjson"

[[field]]
to = "record_id"
from = "ref"

[[field]]
to = "owner_country"
from = "owner.country"
country = "numeric"

[[field]]
to = "owner_agency"
from = "owner/agency"

[[field]]
to = "action"
value = "update"

[[field]]
to = "version"
from = "rev"

[[field]]
to = "firearm.serial_number"
from = "gun.serial"

[[field]]
to = "firearm.barrel_length_mm"
from = "gun.barrel_cm"
unit = "cm"

[[field]]
to = "firearm.markings[].text"
from = "gun.marks[]"

[[field]]
to = "event.status"
value = "seized"
"#;

#[test]
fn ndjson_records_with_nested_members_numbers_and_scalar_lists() {
    let registry = registry_with("lines", NDJSON);
    let input = "{\"ref\":\"R1\",\"owner\":{\"country\":\"688\",\"agency\":\"RS-MUP\"},\"rev\":2,\"gun\":{\"serial\":\"X1\",\"barrel_cm\":41.5,\"marks\":[\"A\",\"B\"]}}\n\n{\"ref\":\"R2\",\"owner\":{\"country\":\"688\",\"agency\":\"RS-MUP\"},\"gun\":{\"serial\":{\"nested\":1}}}\n";
    let results = decode(&registry, "lines", input.as_bytes());
    assert_eq!(results.len(), 2);
    let first = match &results[0] {
        Ok(m) => record(m).clone(),
        Err(e) => panic!("{e:?}"),
    };
    assert_eq!(first.owner_country, "RS");
    assert_eq!(first.version, 2);
    assert_eq!(first.firearm.barrel_length_mm, Some(415.0));
    assert_eq!(first.firearm.markings.len(), 2);
    let error = results[1].as_ref().err().map(|e| e[0].to_string());
    assert_eq!(
        error.as_deref(),
        Some("record 2 (line 3) at /gun/serial field firearm.serial_number: expected a single value, found an object")
    );
    let native = encode(&registry, "lines", &[Message::Record(first)]);
    assert_eq!(
        String::from_utf8_lossy(&native),
        "{\"ref\":\"R1\",\"owner\":{\"country\":\"688\",\"agency\":\"RS-MUP\"},\"rev\":2,\"gun\":{\"serial\":\"X1\",\"barrel_cm\":41.5,\"marks\":[\"A\",\"B\"]}}\n"
    );
}

const TOP_LEVEL_ARRAY: &str = r#"
[mapping]
name = "plain-json"

[source]
format = "json"

[[field]]
to = "record_id"
from = "id"

[[field]]
to = "owner_country"
value = "KE"

[[field]]
to = "owner_agency"
value = "KE-DCI"

[[field]]
to = "action"
value = "create"

[[field]]
to = "firearm.serial_number"
from = "serial"

[[field]]
to = "event.status"
value = "found"
"#;

#[test]
fn a_top_level_json_array_is_the_record_list() {
    let registry = registry_with("plain-json", TOP_LEVEL_ARRAY);
    let messages = good(decode(
        &registry,
        "plain-json",
        b"[{\"id\":\"1\",\"serial\":\"S1\"}, {\"id\":\"2\",\"serial\":\"S2\"}]",
    ));
    assert_eq!(messages.len(), 2);
    let native = encode(&registry, "plain-json", &messages);
    assert_eq!(
        String::from_utf8_lossy(&native),
        "[\n{\"id\":\"1\",\"serial\":\"S1\"},\n{\"id\":\"2\",\"serial\":\"S2\"}\n]\n"
    );
    let results = decode(&registry, "plain-json", b"{\"not\": \"an array\"}");
    assert!(
        results[0].as_ref().err().is_some_and(|e| e[0].fatal),
        "{results:?}"
    );
}

#[test]
fn xml_namespaces_match_by_uri_not_by_the_documents_prefixes() {
    let registry = registry();
    let text = String::from_utf8_lossy(&read("tests/data/native/regional-system.xml"))
        .replace("rf:", "x:")
        .replace("xmlns:rf=", "xmlns:x=")
        .replace(
            "<loc:Place",
            "<Place xmlns=\"urn:example:regional-locations:v1\"",
        );
    let messages = good(decode(&registry, "regional-xml", text.as_bytes()));
    assert_eq!(messages.len(), 3);
    assert_eq!(
        record(&messages[0])
            .event
            .place
            .as_ref()
            .and_then(|p| p.locality.as_deref()),
        Some("Durban")
    );
    // Another namespace is another document.
    let other = String::from_utf8_lossy(&read("tests/data/native/regional-system.xml"))
        .replace("regional-firearms:v2", "regional-firearms:v3");
    let results = decode(&registry, "regional-xml", other.as_bytes());
    assert_eq!(results.len(), 1);
    let error = results[0]
        .as_ref()
        .err()
        .map(|e| e[0].to_string())
        .unwrap_or_default();
    assert!(error.contains("the root element is <FirearmReport> in namespace urn:example:regional-firearms:v3; mapping regional-xml expects <rf:FirearmReport> in namespace urn:example:regional-firearms:v2"), "{error}");
}

#[test]
fn a_csv_without_a_column_the_mapping_reads_is_refused_at_once() {
    let registry = registry();
    let results = decode(
        &registry,
        "registry-rs",
        "Proizvođač;Model\nZastava;M70\n".as_bytes(),
    );
    assert_eq!(results.len(), 1);
    let error = results[0].as_ref().err().map(|e| e[0].clone());
    assert!(
        error.as_ref().is_some_and(|e| e.fatal
            && e.reason
                .starts_with("the header has no column \"Serijski broj\", \"Kalibar\"")),
        "{error:?}"
    );
}

#[test]
fn a_calibre_convention_is_applied_only_where_a_mapping_names_it() {
    let rows = "Legajo,Número de serie,Marca,Calibre,Tipo,Cañón (cm),Situación,Fecha\n\
                L-7,E 55,Fabarm,cal. 36,Escopeta,71,Robada,07/03/2024\n";
    let with = NEW_FORMAT.replace(
        "[[field]]\nto = \"firearm.calibre\"\nfrom = \"Calibre\"\n",
        "[[field]]\nto = \"firearm.calibre\"\nfrom = \"Calibre\"\nconvention = \"36-is-410\"\nencode = { from = [\"firearm.calibre_as_recorded\", \"firearm.calibre\"] }\n",
    );
    assert_ne!(with, NEW_FORMAT);
    let registry = registry_with("registro-it", &with.replace("registro-ar", "registro-it"));
    let latin1 = encoding_rs::WINDOWS_1252.encode(rows).0.into_owned();
    let messages = good(decode(&registry, "registro-it", &latin1));
    let shotgun = record(&messages[0]);
    assert_eq!(shotgun.firearm.calibre.as_deref(), Some(".410 bore"));
    // The registry's own spelling is kept, and written back.
    assert_eq!(
        shotgun.firearm.calibre_as_recorded.as_deref(),
        Some("cal. 36")
    );
    let native = encoding_rs::WINDOWS_1252
        .decode(&encode(&registry, "registro-it", &messages))
        .0
        .into_owned();
    assert!(native.contains(",cal. 36,"), "{native}");

    // Without the convention, 36 is not guessed to be the .410: kept and flagged.
    let registry = registry_with("registro-ar", NEW_FORMAT);
    let messages = good(decode(&registry, "registro-ar", &latin1));
    let shotgun = record(&messages[0]);
    assert_eq!(shotgun.firearm.calibre, None);
    assert_eq!(
        shotgun.firearm.calibre_as_recorded.as_deref(),
        Some("cal. 36")
    );
    assert!(
        shotgun
            .header
            .flags
            .iter()
            .any(|f| f.field == "firearm.calibre"),
        "{:?}",
        shotgun.header.flags
    );
}

// ------------------------------------------------------------------ serial sentinels

/// A mapping's own words for "no serial" (issue 15): `absent` and `illegible`
/// on the serial rule, folded; the value is kept and never becomes a key.
const SENTINELS: &str = r#"
[mapping]
name = "registro-sentinels"
message = "record"

[source]
format = "csv"
delimiter = ","

[[field]]
to = "record_id"
from = "Id"

[[field]]
to = "owner_country"
value = "AR"

[[field]]
to = "owner_agency"
value = "AR-ANMAC"

[[field]]
to = "action"
value = "create"

[[field]]
to = "firearm.serial_number"
from = "Serie"
absent = ["Sin Dato", "XYZ-NONE"]
illegible = ["borroso total"]

[[field]]
to = "event.status"
value = "stolen"
"#;

#[test]
fn serial_sentinels_set_the_state_and_no_key() {
    use iarms_adapters::model::SerialState;
    let dir = std::env::temp_dir().join(format!("iarms-sentinel-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("registro-sentinels.toml"), SENTINELS)
        .unwrap_or_else(|e| panic!("{e}"));
    let registry =
        Registry::with_mappings(std::slice::from_ref(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let input = "Id,Serie\nL-1,SIN DATO\nL-2,xyz none\nL-3,Borroso  Total\nL-4,A 123\n";
    let messages = good(decode(&registry, "registro-sentinels", input.as_bytes()));
    let states: Vec<(Option<SerialState>, Option<String>)> = messages
        .iter()
        .map(|m| match m {
            Message::Record(r) => (r.firearm.serial_state, r.firearm.serial_key.clone()),
            _ => panic!("a record"),
        })
        .collect();
    assert_eq!(
        states,
        [
            (Some(SerialState::Absent), None),
            (Some(SerialState::Absent), None),
            (Some(SerialState::Illegible), None),
            (None, Some("A123".to_string())),
        ]
    );
    // Sentinels belong on a serial number rule only.
    let wrong = SENTINELS.replace(
        "to = \"event.status\"\nvalue = \"stolen\"",
        "to = \"event.status\"\nvalue = \"stolen\"\nabsent = [\"x\"]",
    );
    let issues = match iarms_adapters::mapping::compile("x.toml", &wrong) {
        Ok(m) => m.warnings,
        Err(issues) => issues,
    };
    assert!(
        issues
            .iter()
            .any(|i| i.is_error() && i.to_string().contains("placeholders of a serial number")),
        "{issues:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
