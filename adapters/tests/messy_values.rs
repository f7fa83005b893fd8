//! Messy values in every listed language (`tests/data/messy-values/values.csv`,
//! one row per value with its expected canonical code and flag): each is put
//! in a record, normalised, and checked. The file is the generator's output
//! and the expected results at once; add a row to cover a new spelling.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use iarms_adapters::model::Message;
use iarms_adapters::normalise::normalise;

fn record(field: &str, value: &str) -> Message {
    let mut firearm = serde_json::json!({"serial_number": "C-1"});
    let leaf = field.trim_start_matches("firearm.");
    firearm[leaf] = serde_json::Value::from(value);
    serde_json::from_value(serde_json::json!({
        "kind": "record",
        "header": {
            "message_id": "a2b5054e-078a-5bd7-a4df-0fe99fecbae2",
            "correlation_id": "a2b5054e-078a-5bd7-a4df-0fe99fecbae2"
        },
        "record_id": "R-1", "owner_country": "BR", "owner_agency": "BR-PF",
        "action": "create", "version": 1, "firearm": firearm,
        "event": {"status": "seized"}
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn messy_values_in_every_language() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/messy-values/values.csv"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut languages = std::collections::BTreeSet::new();
    let mut rows = 0;
    for row in reader.records() {
        let row = row.unwrap_or_else(|e| panic!("{e}"));
        let (field, language, value, canonical, flag) =
            (&row[0], &row[1], &row[2], &row[3], &row[4]);
        languages.insert(language.to_string());
        rows += 1;
        let mut message = record(field, value);
        let issues = normalise(&mut message);
        assert!(issues.is_empty(), "{value:?}: {issues:?}");
        let Message::Record(r) = &message else {
            panic!("a record")
        };
        let got = match field {
            "firearm.calibre" => r.firearm.calibre.clone(),
            "firearm.country_of_manufacture" => r.firearm.country_of_manufacture.clone(),
            "firearm.firearm_type" => r.firearm.firearm_type.clone(),
            other => panic!("no such field in the test: {other}"),
        };
        assert_eq!(got.unwrap_or_default(), canonical, "{language} {value:?}");
        let flags: Vec<&str> = r
            .header
            .flags
            .iter()
            .filter(|f| f.field == field)
            .map(|f| f.code.as_str())
            .collect();
        if flag.is_empty() {
            assert!(
                flags.iter().all(|f| *f == "related_calibre"),
                "{language} {value:?}: {flags:?}"
            );
        } else {
            assert!(flags.contains(&flag), "{language} {value:?}: {flags:?}");
        }
    }
    for l in ["en", "fr", "es", "pt", "de", "it", "sh", "ru", "ar"] {
        assert!(languages.contains(l), "no value in {l}");
    }
    assert!(rows >= 50, "{rows}");
}
