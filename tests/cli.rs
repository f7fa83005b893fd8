//! Black-box tests of the `iarms-gateway` command line: convert, validate,
//! sample, formats, schema and demo, on real files.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use support::*;

const FORMATS: [&str; 4] = ["iarms-json", "iarms-ndjson", "iarms-xml", "iarms-csv"];

fn sample(
    dir: &std::path::Path,
    kind: &str,
    count: &str,
    format: &str,
    name: &str,
) -> std::path::PathBuf {
    let path = dir.join(name);
    let out = run(&[
        "sample",
        "--message",
        kind,
        "--count",
        count,
        "--format",
        format,
        "--seed",
        "11",
        "-o",
        path_str(&path),
    ]);
    assert_exit(&out, 0);
    path
}

#[test]
fn converting_through_every_format_and_back_changes_nothing() {
    let dir = tempdir();
    for kind in [
        "record",
        "search",
        "hit-notification",
        "trace-request",
        "trace-response",
    ] {
        let input = sample(dir.path(), kind, "40", "iarms-csv", &format!("{kind}.csv"));
        // The first conversion normalises; everything after it must be lossless.
        let baseline = dir.path().join(format!("{kind}.baseline.ndjson"));
        assert_exit(
            &run(&[
                "convert",
                "--from",
                "iarms-csv",
                "--to",
                "iarms-ndjson",
                path_str(&input),
                "-o",
                path_str(&baseline),
            ]),
            0,
        );
        let mut current = (baseline.clone(), "iarms-ndjson");
        for format in FORMATS.iter().chain(FORMATS.iter().rev()) {
            let next = dir.path().join(format!("{kind}.{format}"));
            let out = run(&[
                "convert",
                "--from",
                current.1,
                "--to",
                format,
                path_str(&current.0),
                "-o",
                path_str(&next),
            ]);
            assert_exit(&out, 0);
            assert!(
                stderr(&out).contains("converted 40 of 40 records"),
                "{}",
                stderr(&out)
            );
            current = (next, format);
        }
        let back = dir.path().join(format!("{kind}.back.ndjson"));
        assert_exit(
            &run(&[
                "convert",
                "--from",
                current.1,
                "--to",
                "iarms-ndjson",
                path_str(&current.0),
                "-o",
                path_str(&back),
            ]),
            0,
        );
        assert_eq!(
            read(&back),
            read(&baseline),
            "{kind} changed on the way through the formats"
        );
    }
}

#[test]
fn convert_reports_every_bad_record_and_keeps_the_good_ones() {
    let dir = tempdir();
    let out_file = dir.path().join("good.json");
    let errors = dir.path().join("errors.ndjson");
    let input = data("samples/records-with-errors.ndjson");
    let out = run(&[
        "convert",
        "--from",
        "iarms-ndjson",
        "--to",
        "iarms-json",
        path_str(&input),
        "-o",
        path_str(&out_file),
        "--errors",
        path_str(&errors),
    ]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("converted 3 of 6 records"),
        "{}",
        stderr(&out)
    );
    // The per-field counts follow the summary; record 2's unknown calibre is kept and flagged.
    assert!(
        stderr(&out)
            .contains("firearm.calibre: 2 resolved, 1 kept with a flag, 0 ambiguous, 0 rejected"),
        "{}",
        stderr(&out)
    );
    let document: serde_json::Value = serde_json::from_str(&read(&out_file)).unwrap_or_default();
    assert_eq!(document["messages"].as_array().map(Vec::len), Some(3));
    let kept = &document["messages"][1];
    assert_eq!(kept["firearm"]["calibre_as_recorded"], "7,9 mn");
    assert!(kept["firearm"].get("calibre").is_none());
    assert_eq!(kept["header"]["flags"][0]["code"], "unknown_calibre");
    assert_eq!(kept["header"]["flags"][0]["field"], "firearm.calibre");
    let reported: Vec<serde_json::Value> = read(&errors)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_default())
        .collect();
    let summary: Vec<(u64, u64, &str, &str)> = reported
        .iter()
        .map(|e| {
            (
                e["location"]["record"].as_u64().unwrap_or(0),
                e["location"]["line"].as_u64().unwrap_or(0),
                e["field"].as_str().unwrap_or(""),
                e["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (3, 3, "event.date", "invalid_value"),
            (5, 5, "owner_country", "invalid_value"),
            (6, 6, "firearm.calibr", "structure"),
        ]
    );
    assert_eq!(reported[0]["location"]["pointer"], "/event/date");
    assert_eq!(
        reported[0]["reason"],
        "impossible date \"2025-02-31\": February 2025 has 28 days"
    );
}

/// Writes a canonical CSV with an impossible date in record 3 and an unknown
/// calibre in record 4, and checks the exact report line: the date rejects its
/// record, the calibre is kept and flagged.
#[test]
fn validate_names_record_line_column_field_and_reason() {
    let dir = tempdir();
    let input = sample(dir.path(), "record", "5", "iarms-csv", "records.csv");
    let text = read(&input);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap_or(0);
    let (date, calibre) = (column("event.date"), column("firearm.calibre"));
    for (line, index, value) in [(3, date, "2025-02-31"), (4, calibre, "7,9 mn")] {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(lines[line].as_bytes());
        let mut row: Vec<String> = reader
            .records()
            .next()
            .and_then(Result::ok)
            .map(|r| r.iter().map(str::to_string).collect())
            .unwrap_or_default();
        row[index] = value.to_string();
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&row).unwrap_or_default();
        lines[line] = String::from_utf8(writer.into_inner().unwrap_or_default())
            .unwrap_or_default()
            .trim_end()
            .to_string();
    }
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap_or_default();

    let out = run(&["validate", "--format", "iarms-csv", path_str(&bad)]);
    assert_exit(&out, 1);
    let expected = format!(
        "invalid_value: {}: record 3 (line 4) column \"event.date\" field event.date: impossible date \"2025-02-31\": February 2025 has 28 days",
        path_str(&bad)
    );
    assert!(
        stdout(&out).lines().any(|l| l == expected),
        "expected line:\n{expected}\ngot:\n{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("5 records, 4 valid, 1 invalid"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("firearm.calibre: ") && stdout(&out).contains(" 1 kept with a flag"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn validate_json_report_lists_errors_and_counts() {
    let input = data("samples/records-with-errors.ndjson");
    let out = run(&[
        "validate",
        "--format",
        "iarms-ndjson",
        path_str(&input),
        "--report",
        "json",
    ]);
    assert_exit(&out, 1);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("report is not JSON: {e}\n{}", stdout(&out)));
    assert_eq!(report["summary"]["records"], 6);
    assert_eq!(report["summary"]["valid"], 3);
    assert_eq!(report["summary"]["invalid"], 3);
    assert_eq!(report["errors"].as_array().map(Vec::len), Some(3));
    assert_eq!(report["errors"][0]["location"]["pointer"], "/event/date");
    assert_eq!(report["summary"]["fields"]["firearm.calibre"]["flagged"], 1);
}

#[test]
fn valid_files_exit_zero() {
    for (name, format) in [
        ("samples/records.csv", "iarms-csv"),
        ("samples/searches.json", "iarms-json"),
        ("samples/trace-requests.xml", "iarms-xml"),
        ("samples/trace-responses.ndjson", "iarms-ndjson"),
    ] {
        let out = run(&["validate", "--format", format, path_str(&data(name))]);
        assert_exit(&out, 0);
    }
}

#[test]
fn xml_with_a_doctype_is_refused() {
    let doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>\n<messages xmlns=\"urn:iarms-gateway:canonical:1\" version=\"1.0\"><record>&lol2;</record></messages>\n";
    let out = run_with_stdin(&["validate", "--format", "iarms-xml", "-"], doc.as_bytes());
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("forbidden: -: (line 2"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("DOCTYPE declarations are refused"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn external_entity_reference_is_refused() {
    let doc = "<messages xmlns=\"urn:iarms-gateway:canonical:1\" version=\"1.0\">\n<record><record_id>&xxe;</record_id></record>\n</messages>\n";
    let out = run_with_stdin(&["validate", "--format", "iarms-xml", "-"], doc.as_bytes());
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("entity reference &xxe; is refused"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn invalid_utf8_is_reported_with_its_byte_offset() {
    let good = read(&data("samples/trace-responses.ndjson"));
    let first = good.lines().next().unwrap_or_default();
    let mut input = format!("{first}\n").into_bytes();
    let offset = input.len() + 10;
    let mut bad = first.as_bytes().to_vec();
    bad[10] = 0xFF;
    input.extend_from_slice(&bad);
    input.push(b'\n');
    let out = run_with_stdin(&["validate", "--format", "iarms-ndjson", "-"], &input);
    assert_exit(&out, 1);
    let expected = format!("invalid UTF-8 at byte offset {offset}");
    assert!(
        stdout(&out).contains(&expected),
        "expected {expected}: {}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("record 2 (line 2, column 1"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn broken_json_document_keeps_records_before_the_break() {
    let good = read(&data("samples/searches.json"));
    // Cut the document in the middle of its third message.
    let third = good
        .match_indices("{\"kind\"")
        .nth(2)
        .map(|(i, _)| i)
        .unwrap_or(0);
    let truncated = &good[..third + 40];
    let out = run_with_stdin(
        &[
            "convert",
            "--from",
            "iarms-json",
            "--to",
            "iarms-ndjson",
            "-",
        ],
        truncated.as_bytes(),
    );
    assert_exit(&out, 1);
    assert_eq!(
        stdout(&out).lines().count(),
        2,
        "the two complete messages still go through"
    );
    assert!(
        stderr(&out).contains("unexpected end of input"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sample_is_deterministic_and_seeded() {
    let a = run(&[
        "sample",
        "--message",
        "trace-request",
        "--count",
        "25",
        "--format",
        "iarms-xml",
        "--seed",
        "5",
    ]);
    let b = run(&[
        "sample",
        "--message",
        "trace-request",
        "--count",
        "25",
        "--format",
        "iarms-xml",
        "--seed",
        "5",
    ]);
    let c = run(&[
        "sample",
        "--message",
        "trace-request",
        "--count",
        "25",
        "--format",
        "iarms-xml",
        "--seed",
        "6",
    ]);
    assert_exit(&a, 0);
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
    assert_eq!(stdout(&a).matches("<trace_request>").count(), 25);
}

#[test]
fn sample_output_is_valid_after_normalisation() {
    for kind in [
        "record",
        "search",
        "hit-notification",
        "trace-request",
        "trace-response",
    ] {
        let generated = run(&[
            "sample",
            "--message",
            kind,
            "--count",
            "300",
            "--format",
            "iarms-ndjson",
            "--messy-rate",
            "1",
        ]);
        assert_exit(&generated, 0);
        let out = run_with_stdin(
            &["validate", "--format", "iarms-ndjson", "-"],
            &generated.stdout,
        );
        assert_exit(&out, 0);
    }
}

#[test]
fn formats_lists_the_canonical_formats() {
    let out = run(&["formats", "--json"]);
    assert_exit(&out, 0);
    let list: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).unwrap_or_default();
    let names: Vec<&str> = list.iter().filter_map(|f| f["name"].as_str()).collect();
    for format in FORMATS {
        assert!(names.contains(&format), "{format} missing from {names:?}");
    }
    assert!(list.iter().all(|f| f["read"] == true && f["write"] == true));
}

#[test]
fn schema_prints_every_schema() {
    for (name, id) in [
        ("record", "record.schema.json"),
        ("search", "search.schema.json"),
        ("hit-notification", "hit_notification.schema.json"),
        ("trace-request", "trace_request.schema.json"),
        ("trace-response", "trace_response.schema.json"),
        ("common", "common.schema.json"),
    ] {
        let out = run(&["schema", name]);
        assert_exit(&out, 0);
        let schema: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
        assert!(schema["$id"].as_str().unwrap_or("").ends_with(id), "{name}");
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }
    let xsd = run(&["schema", "xsd"]);
    assert!(stdout(&xsd).contains("targetNamespace=\"urn:iarms-gateway:canonical:1\""));
    assert_exit(&run(&["schema", "nonsense"]), 2);
}

#[test]
fn xml_output_validates_against_the_xsd() {
    if std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!(
            "notice: xmllint not installed; skipping XSD validation (CI installs libxml2-utils)"
        );
        return;
    }
    let dir = tempdir();
    for kind in [
        "record",
        "search",
        "hit-notification",
        "trace-request",
        "trace-response",
    ] {
        let raw = sample(
            dir.path(),
            kind,
            "30",
            "iarms-ndjson",
            &format!("{kind}.ndjson"),
        );
        let xml = dir.path().join(format!("{kind}.xml"));
        assert_exit(
            &run(&[
                "convert",
                "--from",
                "iarms-ndjson",
                "--to",
                "iarms-xml",
                path_str(&raw),
                "-o",
                path_str(&xml),
            ]),
            0,
        );
        let out = std::process::Command::new("xmllint")
            .args([
                "--noout",
                "--nonet",
                "--schema",
                path_str(&data("adapters/schemas/iarms.xsd")),
                path_str(&xml),
            ])
            .output()
            .unwrap_or_else(|e| panic!("xmllint: {e}"));
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn usage_and_io_errors_exit_two() {
    let out = run(&["convert", "--from", "nope", "--to", "iarms-json", "x"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("unknown format \"nope\""),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "convert",
        "--from",
        "iarms-csv",
        "--to",
        "iarms-json",
        "/does/not/exist.csv",
    ]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("cannot open /does/not/exist.csv"),
        "{}",
        stderr(&out)
    );
    assert_exit(&run(&["convert"]), 2);
}

#[test]
fn every_command_has_help_with_examples() {
    for command in ["convert", "validate", "sample", "formats", "schema", "demo"] {
        let out = run(&[command, "--help"]);
        assert_exit(&out, 0);
        assert!(
            stdout(&out).contains("Examples:"),
            "{command} --help has no examples"
        );
    }
}

#[test]
fn demo_runs_the_main_job_on_bundled_samples() {
    let out = run(&["demo", "--formats"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("demo: every sample behaved as documented"),
        "{text}"
    );
    assert!(
        text.contains("samples/records-with-errors.ndjson (iarms-ndjson): 3 accepted, 3 rejected"),
        "{text}"
    );
}

#[test]
fn demo_runs_two_countries_end_to_end_through_the_hub() {
    let out = run(&["demo"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    for line in [
        "RS registry -> RS gateway: 10 records in registry-rs (CSV) translated to canonical",
        "RS gateway -> hub: 10 records forwarded and acknowledged",
        "hub: exact match RS-MUP/KU-2024-00117#C-123456; hit notifications queued for BR and RS",
        "BR registry received hit notification",
        "RS registry received hit notification",
        "BR -> RS trace request BR-PF-T-2026-000001",
        "BR registry received the trace response: traced",
        "hub: trace BR-PF-T-2026-000001 (BR -> RS) answered",
        "demo complete: everything stopped cleanly",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
}

/// `-o` naming a device or a pipe writes into it; the atomic temp-and-rename
/// path is for regular files only (renaming over `/dev/null` would replace the
/// device with a plain file). Tested on a FIFO so that a failure cannot harm
/// the machine's /dev/null.
#[cfg(unix)]
#[test]
fn output_to_a_pipe_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempdir();
    let fifo = dir.path().join("out.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = run(&[
        "convert",
        "--from",
        "iarms-csv",
        "--to",
        "iarms-ndjson",
        path_str(&data("samples/records.csv")),
        "-o",
        path_str(&fifo),
    ]);
    assert_exit(&out, 0);
    let text = reader.join().unwrap();
    assert!(text.lines().count() > 1, "{text}");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn profile_counts_fields_lists_unrecognised_values_and_duplicate_serials() {
    let dir = tempdir();
    let input = dir.path().join("profile.ndjson");
    let text = read(&data("samples/records-with-errors.ndjson"));
    // Record 1 again under another id: its serial key repeats.
    let first = text.lines().next().unwrap_or_default().replace(
        "\"record_id\": \"AL-ASP-2018-000001\"",
        "\"record_id\": \"AL-ASP-2018-000099\"",
    );
    std::fs::write(&input, format!("{text}{first}\n")).unwrap_or_default();
    let out = run(&["profile", "--format", "iarms-ndjson", path_str(&input)]);
    assert_exit(&out, 0);
    let report = stdout(&out);
    assert!(
        report.contains("7 records, 4 accepted, 3 rejected"),
        "{report}"
    );
    assert!(
        report.contains("firearm.calibre: 3 resolved, 1 kept with a flag, 0 ambiguous, 0 rejected"),
        "{report}"
    );
    assert!(
        report.contains("[codes.calibre]\n\"7,9 mn\" = \"\"  # seen 1 times"),
        "{report}"
    );
    assert!(report.contains("1 records repeat a serial key"), "{report}");
    // A historic country is recognised: it is not listed as unrecognised.
    assert!(!report.contains("\"Yugoslavia\" = "), "{report}");

    let out = run(&[
        "profile",
        "--format",
        "iarms-ndjson",
        path_str(&input),
        "--report",
        "json",
    ]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("profile JSON: {e}\n{}", stdout(&out)));
    assert_eq!(json["records"], 7);
    assert_eq!(json["fields"]["firearm.calibre"]["flagged"], 1);
    assert_eq!(json["duplicates"]["records"], 1);
    assert_eq!(json["unrecognised"][0][0], "firearm.calibre");
    assert_eq!(json["unrecognised"][0][1][0]["value"], "7,9 mn");
}
