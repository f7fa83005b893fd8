//! Black-box tests of declarative mappings through the binary: converting the
//! native samples (golden files, byte for byte), the bad-row report, `mappings
//! check` and `explain` on good and broken files, and a new format connected
//! with `--mappings DIR` without touching Rust.
//!
//! Regenerate the golden files after a deliberate change with
//! `UPDATE_GOLDEN=1 cargo test --test mappings_cli` and review the diff.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::path::Path;

use support::*;

const SAMPLES: [(&str, &str, &str); 3] = [
    (
        "registry-rs",
        "tests/data/native/registry-rs-export.csv",
        "registry-rs-export",
    ),
    (
        "registry-br",
        "tests/data/native/registry-br-api.json",
        "registry-br-api",
    ),
    (
        "regional-xml",
        "tests/data/native/regional-system.xml",
        "regional-system",
    ),
];

fn golden(name: &str, actual: &str) {
    let path = data(&format!("tests/golden/mappings/{name}"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    assert_eq!(
        actual,
        read(&path),
        "{name} differs from {}",
        path.display()
    );
}

#[test]
fn native_samples_convert_to_golden_canonical_json() {
    for (format, input, stem) in SAMPLES {
        let out = run(&[
            "convert",
            "--from",
            format,
            "--to",
            "iarms-json",
            path_str(&data(input)),
        ]);
        assert_exit(&out, 0);
        assert!(stderr(&out).contains("0 rejected"), "{}", stderr(&out));
        golden(&format!("{stem}.iarms.json"), &stdout(&out));
    }
}

#[test]
fn canonical_json_has_normalised_values_and_historic_flags() {
    let out = run(&[
        "convert",
        "--from",
        "registry-rs",
        "--to",
        "iarms-json",
        path_str(&data("tests/data/native/registry-rs-export.csv")),
    ]);
    assert_exit(&out, 0);
    let document: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    let first = &document["messages"][0];
    assert_eq!(first["firearm"]["calibre"], "7.62x39mm");
    assert_eq!(first["firearm"]["calibre_as_recorded"], "7,62x39");
    assert_eq!(first["firearm"]["firearm_type"], "assault_rifle");
    assert_eq!(first["firearm"]["serial_key"], "C123456");
    assert_eq!(first["firearm"]["country_of_manufacture"], "YU");
    assert_eq!(first["header"]["flags"][0]["code"], "historic_country");
    assert_eq!(first["event"]["date"], "2024-03-07");
    assert_eq!(document["messages"].as_array().map(Vec::len), Some(10));
}

#[test]
fn bad_rows_are_reported_in_native_terms_and_good_rows_go_through() {
    let dir = tempdir();
    let output = dir.path().join("good.ndjson");
    let errors = dir.path().join("errors.txt");
    let input = data("tests/data/native/registry-rs-export-with-errors.csv");
    let out = run(&[
        "convert",
        "--from",
        "registry-rs",
        "--to",
        "iarms-ndjson",
        path_str(&input),
        "-o",
        path_str(&output),
        "--errors",
        path_str(&errors),
    ]);
    assert_exit(&out, 1);
    // Rows 2 and 3 are rejected; row 4's unknown type is kept and flagged.
    assert!(
        stderr(&out).contains("converted 2 of 4 records"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("firearm.firearm_type: 1 resolved, 1 kept with a flag"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(&output).lines().count(), 2);
    let report = read(&errors).replace(path_str(&input), "registry-rs-export-with-errors.csv");
    golden("registry-rs-export-with-errors.errors.txt", &report);
    assert_eq!(report.lines().count(), 2);

    let out = run(&["validate", "--format", "registry-rs", path_str(&input)]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("4 records, 2 valid, 2 invalid"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn native_to_canonical_to_native_is_lossless_through_the_cli() {
    let dir = tempdir();
    for (format, input, stem) in SAMPLES {
        let canonical = dir.path().join(format!("{stem}.ndjson"));
        assert_exit(
            &run(&[
                "convert",
                "--from",
                format,
                "--to",
                "iarms-ndjson",
                path_str(&data(input)),
                "-o",
                path_str(&canonical),
            ]),
            0,
        );
        let native = dir.path().join(format!("{stem}.native"));
        assert_exit(
            &run(&[
                "convert",
                "--from",
                "iarms-ndjson",
                "--to",
                format,
                path_str(&canonical),
                "-o",
                path_str(&native),
            ]),
            0,
        );
        let extension = Path::new(input)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        assert_eq!(
            read(&native),
            read(&data(&format!(
                "tests/golden/mappings/{stem}.native.{extension}"
            ))),
            "{format}"
        );
        let again = dir.path().join(format!("{stem}.again.ndjson"));
        assert_exit(
            &run(&[
                "convert",
                "--from",
                format,
                "--to",
                "iarms-ndjson",
                path_str(&native),
                "-o",
                path_str(&again),
            ]),
            0,
        );
        assert_eq!(
            read(&again),
            read(&canonical),
            "{format}: a second pass changed the canonical records"
        );
    }
}

#[test]
fn generated_records_can_be_written_in_the_registry_format() {
    let dir = tempdir();
    let canonical = dir.path().join("records.ndjson");
    assert_exit(
        &run(&[
            "sample",
            "--count",
            "300",
            "--seed",
            "5",
            "-o",
            path_str(&canonical),
        ]),
        0,
    );
    let normalised = dir.path().join("normalised.ndjson");
    assert_exit(
        &run(&[
            "convert",
            "--from",
            "iarms-ndjson",
            "--to",
            "iarms-ndjson",
            path_str(&canonical),
            "-o",
            path_str(&normalised),
        ]),
        0,
    );
    let native = dir.path().join("records.csv");
    let out = run(&[
        "convert",
        "--from",
        "iarms-ndjson",
        "--to",
        "registry-rs",
        path_str(&normalised),
        "-o",
        path_str(&native),
    ]);
    assert_exit(&out, 0);
    let text = read(&native);
    assert!(
        text.starts_with("\u{feff}Proizvođač;Model;Serijski broj;"),
        "{text}"
    );
    assert!(text.contains("\r\n"));
    assert_eq!(text.lines().count(), 301);
}

#[test]
fn formats_lists_the_mapping_formats() {
    let out = run(&["formats", "--json"]);
    assert_exit(&out, 0);
    let list: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    for name in ["registry-rs", "registry-br", "regional-xml"] {
        let entry = list.iter().find(|f| f["name"] == name);
        assert!(
            entry.is_some_and(|e| e["read"] == true
                && e["write"] == true
                && e["kinds"][0] == "record"),
            "{name}: {list:?}"
        );
    }
}

#[test]
fn check_passes_on_the_builtin_mappings() {
    let out = run(&["mappings", "check"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("checked 5 mapping files: 0 errors"),
        "{}",
        stdout(&out)
    );
    let out = run(&["mappings", "check", path_str(&data("mappings"))]);
    assert_exit(&out, 0);
}

const BROKEN: &str = r#"[mapping]
name = "broken-csv"

[source]
format = "csv"
delimiter = ";"
columns = ["ID", "Kalibar", "Datum", "Vrsta"]

[[field]]
to = "record_id"
from = "ID"

[[field]]
to = "firearm.calibr"
from = "Kalibar"

[[field]]
to = "event.date"
from = "Datum"
date = "DD.MM.YY"

[[field]]
to = "firearm.firearm_type"
frm = "Vrsta"

[[field]]
to = "event.status"
from = "Status"
codes = "status"

[[field]]
to = "owner_country"
value = "Narnia"

[[field]]
to = "firearm.make"
from = "Vrsta"
codes = "statsu"

[codes.status]
ukradeno = "stolne"
"#;

#[test]
fn check_reports_every_error_with_file_line_and_key() {
    let dir = tempdir();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, BROKEN).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&["mappings", "check", path_str(&file)]);
    assert_exit(&out, 1);
    let text = stdout(&out).replace(path_str(&file), "broken.toml");
    let expected = [
        "broken.toml:1: field: required canonical field owner_agency is not mapped: add a [[field]] with to = \"owner_agency\" and from = \"...\" or value = \"...\"",
        "broken.toml:1: field: required canonical field action is not mapped: add a [[field]] with to = \"action\" and from = \"...\" with codes, or value = \"create\"",
        "broken.toml:14: field[2].to: unknown canonical field \"firearm.calibr\" for record messages (did you mean firearm.calibre?)",
        "broken.toml:20: field[3].date: unknown date format \"DD.MM.YY\": ",
        "broken.toml:24: field[4].frm: unknown key \"frm\" (did you mean from?)",
        "broken.toml:28: field[5].from: unknown column \"Status\": it is not in [source] columns",
        "broken.toml:33: field[6].value: \"Narnia\" is not a known country code or name",
        "broken.toml:38: field[7].codes: no code table [codes.statsu] in this file (did you mean status?)",
        "broken.toml:41: codes.status.\"ukradeno\": \"stolne\" is not a canonical event.status (one of: lost, stolen, trafficked, smuggled, seized, found, surrendered, other) (did you mean stolen?)",
        "checked 1 mapping file: 9 errors",
    ];
    for line in expected {
        assert!(
            text.lines().any(|l| l.starts_with(line)),
            "missing {line:?} in:\n{text}"
        );
    }
    // Syntax errors are located too.
    std::fs::write(
        &file,
        "[mapping]\nname = \"x\"\n[source\nformat = \"csv\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = run(&["mappings", "check", path_str(&file)]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("broken.toml:3: TOML syntax:"),
        "{}",
        stdout(&out)
    );
    // A broken mapping in --mappings stops commands that load mappings, with the reasons.
    std::fs::write(&file, BROKEN).unwrap_or_else(|e| panic!("{e}"));
    let out = run(&["--mappings", path_str(dir.path()), "formats"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("field[2].to: unknown canonical field"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn explain_shows_sources_rules_and_unmapped_fields() {
    let out = run(&["mappings", "explain", "registry-br"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    for expected in [
        "registry-br: national registry REST API",
        "source:   JSON, records in the array at /armas",
        "owner_agency                   <- document /orgao",
        "firearm.firearm_type           <- member especie   [codes especie (13 values, ignoring case, spaces and accents)]",
        "firearm.markings[].text        <- member marcacoes[].texto",
        "event.place.locality           <- member ocorrencia.municipio + \"/\" + member ocorrencia.uf",
        "firearm.country_of_manufacture <- member paisFabricacao   [country as alpha-3]",
        "header.message_id              <- derived: UUID v5",
        "unmapped canonical fields",
        "firearm.barrel_length_mm",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let out = run(&["mappings", "explain", "no-such-format"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains(
            "no mapping named \"no-such-format\"; mappings: registry-rs, registry-br, regional-xml"
        ),
        "{}",
        stderr(&out)
    );
}

/// A mapping written from mappings/README.md alone for a format that is not
/// built in: Latin-1, comma separated, dd/mm/yyyy dates, decimal commas.
const NEW_MAPPING: &str = r#"
[mapping]
name = "registro-ar"
description = "made-up national export: Latin-1 CSV with commas and dd/mm/yyyy dates"
message = "record"

[source]
format = "csv"
delimiter = ","
encoding = "iso-8859-1"

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

[[field]]
to = "event.place.locality"
from = "Lugar"

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
fn a_new_format_works_through_mappings_dir_without_rust() {
    let dir = tempdir();
    let mappings = dir.path().join("my-mappings");
    std::fs::create_dir_all(&mappings).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(mappings.join("registro-ar.toml"), NEW_MAPPING)
        .unwrap_or_else(|e| panic!("{e}"));
    let input = dir.path().join("export.csv");
    let (latin1, _, _) = encoding_rs_latin1(
        "Legajo,Número de serie,Marca,Calibre,Tipo,Cañón (cm),Situación,Fecha,Lugar\n\
         L-1,A 123,Bersa,.380 ACP,Pistola,\"8,9\",Robada,07/03/2024,Córdoba\n\
         L-2,B-77,Taurus,.38 Spl,REVÓLVER,10,extraviada,31/12/2023,Rosario\n\
         L-3,C-9,Mossberg,12 GA,fusil,\"45,7\",secuestrada,30/02/2024,Salta\n",
    );
    std::fs::write(&input, latin1).unwrap_or_else(|e| panic!("{e}"));
    let mdir = path_str(&mappings);

    let out = run(&["--mappings", mdir, "mappings", "check"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("checked 6 mapping files: 0 errors"),
        "{}",
        stdout(&out)
    );

    let out = run(&["--mappings", mdir, "formats"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("registro-ar"), "{}", stdout(&out));

    let out = run(&["--mappings", mdir, "mappings", "explain", "registro-ar"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains(" <- column \"Cañón (cm)\"   [decimal comma; cm to mm]"),
        "{}",
        stdout(&out)
    );

    let output = dir.path().join("out.json");
    let out = run(&[
        "convert",
        "--mappings",
        mdir,
        "--from",
        "registro-ar",
        "--to",
        "iarms-json",
        path_str(&input),
        "-o",
        path_str(&output),
    ]);
    assert_exit(&out, 1);
    let errors = stderr(&out);
    // The impossible date rejects the row; its type "fusil", which the table
    // does not list, alone would not (kept and flagged: the rule is not strict).
    assert!(errors.contains("record 3 (line 4) column \"Fecha\" field event.date: impossible date \"30/02/2024\": February 2024 has 29 days"), "{errors}");
    assert!(!errors.contains("fusil"), "{errors}");
    assert!(errors.contains("converted 2 of 3 records"), "{errors}");
    let document: serde_json::Value = serde_json::from_str(&read(&output)).unwrap_or_default();
    let first = &document["messages"][0];
    assert_eq!(first["firearm"]["barrel_length_mm"], 89.0);
    assert_eq!(first["firearm"]["calibre"], ".380 ACP");
    assert_eq!(first["event"]["date"], "2024-03-07");
    assert_eq!(first["event"]["place"]["locality"], "Córdoba");
    assert_eq!(
        document["messages"][1]["firearm"]["firearm_type"],
        "revolver"
    );

    let out = run(&[
        "--mappings",
        mdir,
        "validate",
        "--format",
        "registro-ar",
        path_str(&input),
    ]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("3 records, 2 valid, 1 invalid"),
        "{}",
        stdout(&out)
    );
}

/// ISO-8859-1 bytes of a Latin-1 text (every character here is in Latin-1).
fn encoding_rs_latin1(text: &str) -> (Vec<u8>, (), ()) {
    (
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect(),
        (),
        (),
    )
}

#[test]
fn mappings_help_has_examples() {
    for args in [
        ["mappings", "--help"].as_slice(),
        &["mappings", "check", "--help"],
        &["mappings", "explain", "--help"],
    ] {
        let out = run(args);
        assert_exit(&out, 0);
        assert!(stdout(&out).contains("Examples:"), "{args:?}");
    }
    let out = run(&["--help"]);
    assert!(
        stdout(&out).contains("--mappings <DIR>"),
        "{}",
        stdout(&out)
    );
}
