use super::compile;
use super::namer::list_key;

const MINIMAL: &str = r#"
[mapping]
name = "test-csv"

[source]
format = "csv"
delimiter = ";"

[[field]]
to = "record_id"
from = "ID"

[[field]]
to = "owner_country"
value = "RS"

[[field]]
to = "owner_agency"
value = "RS-MUP"

[[field]]
to = "action"
value = "create"

[[field]]
to = "event.status"
from = "Status"
codes = "status"

[codes.status]
ukradeno = "stolen"
"#;

fn errors(text: &str) -> Vec<String> {
    match compile("x.toml", text) {
        Ok(m) => m
            .warnings
            .iter()
            .filter(|i| i.is_error())
            .map(ToString::to_string)
            .collect(),
        Err(issues) => issues
            .iter()
            .filter(|i| i.is_error())
            .map(ToString::to_string)
            .collect(),
    }
}

#[test]
fn a_minimal_mapping_compiles_with_gap_warnings() {
    let mapping = compile("x.toml", MINIMAL).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(mapping.name, "test-csv");
    assert_eq!(mapping.columns, ["ID", "Status"]);
    assert_eq!(mapping.rules.len(), 5);
    assert!(mapping.rules[0].required);
    assert!(mapping
        .warnings
        .iter()
        .any(|w| w.message.contains("no local value for event.status")));
}

#[test]
fn unknown_canonical_field_is_located_with_a_hint() {
    let text = MINIMAL.replace("to = \"record_id\"", "to = \"firearm.calibr\"");
    let errors = errors(&text);
    assert!(
        errors.iter().any(|e| e == "x.toml:10: field[1].to: unknown canonical field \"firearm.calibr\" for record messages (did you mean firearm.calibre?)"),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("required canonical field record_id is not mapped"))
            || errors.len() == 1,
        "{errors:?}"
    );
}

#[test]
fn every_problem_is_reported() {
    let text = format!(
        "{MINIMAL}\n[[field]]\nto = \"event.date\"\nfrom = \"Datum\"\ndate = \"DD.MM.YY\"\n\n[[field]]\nto = \"firearm.make\"\nfrom = \"Marka\"\ncodes = \"makes\"\n\n[[field]]\nto = \"firearm.barrel_length_mm\"\nfrom = \"Cev\"\nunit = \"furlong\"\n\n[codes.bad]\nx = \"exploded\"\n"
    );
    let errors = errors(&text);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].contains("field[6].date"), "{errors:?}");
    assert!(
        errors[1].contains("field[7].codes: no code table [codes.makes]"),
        "{errors:?}"
    );
    assert!(
        errors[2].contains("field[8].unit: unknown unit \"furlong\""),
        "{errors:?}"
    );
}

#[test]
fn code_values_must_be_canonical_for_the_field() {
    let text = MINIMAL.replace("ukradeno = \"stolen\"", "ukradeno = \"stolne\"");
    let errors = errors(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("codes.status.\"ukradeno\": \"stolne\" is not a canonical event.status"),
        "{errors:?}"
    );
    assert!(errors[0].contains("did you mean stolen?"), "{errors:?}");
}

#[test]
fn missing_required_fields_and_bad_constants() {
    let text = MINIMAL
        .replace("value = \"RS\"", "value = \"Narnia\"")
        .replace(
            "to = \"action\"\nvalue = \"create\"",
            "to = \"firearm.make\"\nvalue = \"x\"",
        );
    let errors = errors(&text);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("field[2].value: \"Narnia\" is not a known country")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("required canonical field action is not mapped")),
        "{errors:?}"
    );
}

#[test]
fn source_keys_are_checked_per_format() {
    let text = MINIMAL.replace(
        "delimiter = \";\"",
        "delimiter = \";;\"\nnamespaces = { a = \"urn:a\" }\nencoding = \"klingon\"",
    );
    let errors = errors(&text);
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[test]
fn list_keys_name_items() {
    assert_eq!(
        list_key("firearm.markings.1.text"),
        ("firearm.markings[].text".to_string(), Some(1))
    );
    assert_eq!(
        list_key("firearm.markings[0].text"),
        ("firearm.markings[].text".to_string(), Some(0))
    );
    assert_eq!(list_key("event.date"), ("event.date".to_string(), None));
}

#[test]
fn strict_is_refused_on_a_field_that_cannot_be_kept_and_flagged() {
    let text = MINIMAL.replace("codes = \"status\"", "codes = \"status\"\nstrict = true");
    let errors = errors(&text);
    assert!(
        errors.iter().any(|e| e.starts_with(
            "x.toml:29: field[5].strict: strict applies to descriptive code-list fields"
        ) && e.ends_with("event.status is rejected when invalid anyway")),
        "{errors:?}"
    );
}

#[test]
fn strict_on_a_descriptive_field_compiles_and_names_the_field() {
    let rule = "[[field]]\nto = \"firearm.firearm_type\"\nfrom = \"Vrsta\"\ncodes = \"vrsta\"\nstrict = true\n\n";
    let text = MINIMAL
        .replace("[codes.status]", &format!("{rule}[codes.status]"))
        .replace(
            "ukradeno = \"stolen\"",
            "ukradeno = \"stolen\"\n\n[codes.vrsta]\n\"pištolj\" = \"pistol\"",
        );
    let mapping = compile("x.toml", &text).unwrap_or_else(|e| panic!("{e:?}"));
    let strict: Vec<&str> = mapping
        .rules
        .iter()
        .filter(|r| r.strict)
        .map(|r| r.target())
        .collect();
    assert_eq!(strict, ["firearm.firearm_type"]);
}

#[test]
fn a_calibre_convention_is_named_and_only_on_a_calibre_rule() {
    let rule = |to: &str, name: &str| {
        format!(
            "[[field]]\nto = \"{to}\"\nfrom = \"Kal\"\nconvention = \"{name}\"\n\n[codes.status]"
        )
    };
    let text = MINIMAL.replace("[codes.status]", &rule("firearm.calibre", "36-is-410"));
    let mapping = compile("x.toml", &text).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(mapping
        .rules
        .iter()
        .any(|r| r.convention.is_some() && r.recorded.is_some()));

    let text = MINIMAL.replace("[codes.status]", &rule("firearm.calibre", "36=410"));
    let found = errors(&text);
    assert!(
        found.iter().any(|e| e.contains(
            "field[6].convention: \"36=410\" is not a calibre convention (known: 36-is-410)"
        )),
        "{found:?}"
    );
    let text = MINIMAL.replace("[codes.status]", &rule("firearm.model", "36-is-410"));
    let found = errors(&text);
    assert!(
        found
            .iter()
            .any(|e| e
                .contains("a calibre convention applies to a calibre field, not firearm.model")),
        "{found:?}"
    );
}

#[test]
fn a_serial_field_without_placeholder_words_is_warned_about() {
    let with_serial =
        format!("{MINIMAL}\n[[field]]\nto = \"firearm.serial_number\"\nfrom = \"Serie\"\n");
    let warned = |text: &str| {
        compile("x.toml", text)
            .unwrap_or_else(|e| panic!("{e:?}"))
            .warnings
            .iter()
            .any(|w| !w.is_error() && w.to_string().contains("without absent"))
    };
    assert!(warned(&with_serial));
    assert!(!warned(&format!("{with_serial}absent = [\"sin dato\"]\n")));
    assert!(!warned(MINIMAL));
}
