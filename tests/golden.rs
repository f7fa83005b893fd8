//! Golden files: fixed inputs with messy, real-looking values are converted into
//! every canonical format and compared byte for byte with reviewed outputs in
//! `tests/golden/expected/`. A change in normalisation or encoding shows up here
//! as a diff to review. Regenerate after a deliberate change with
//! `UPDATE_GOLDEN=1 cargo test --test golden` and review the diff.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use support::*;

const OUTPUTS: [(&str, &str); 4] = [
    ("iarms-json", "json"),
    ("iarms-ndjson", "ndjson"),
    ("iarms-xml", "xml"),
    ("iarms-csv", "csv"),
];

#[test]
fn golden_outputs_match() {
    let inputs = std::fs::read_dir(data("tests/golden/input"))
        .unwrap_or_else(|e| panic!("tests/golden/input: {e}"));
    let mut checked = 0;
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut names: Vec<_> = inputs.filter_map(Result::ok).map(|e| e.path()).collect();
    names.sort();
    for input in names {
        let Some(stem) = input
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        let from = match input.extension().and_then(|e| e.to_str()) {
            Some("ndjson") => "iarms-ndjson",
            Some("json") => "iarms-json",
            Some("xml") => "iarms-xml",
            Some("csv") => "iarms-csv",
            _ => continue,
        };
        for (format, extension) in OUTPUTS {
            let out = run(&["convert", "--from", from, "--to", format, path_str(&input)]);
            let expected_path = data(&format!("tests/golden/expected/{stem}.{extension}"));
            let expected_errors = data(&format!("tests/golden/expected/{stem}.errors.txt"));
            if update {
                std::fs::write(&expected_path, &out.stdout).unwrap_or_default();
                std::fs::write(&expected_errors, error_lines(&stderr(&out))).unwrap_or_default();
            }
            assert_eq!(
                stdout(&out),
                read(&expected_path),
                "{stem} -> {format} differs from {}",
                expected_path.display()
            );
            assert_eq!(
                error_lines(&stderr(&out)),
                read(&expected_errors),
                "{stem}: error report changed"
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "expected golden inputs in tests/golden/input");
}

/// The located error lines of a run, without the timing summary, with the
/// machine-specific path of the input cut to its file name.
fn error_lines(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.starts_with("converted "))
        .map(|l| match l.split_once("tests/golden/input/") {
            Some((code, rest)) => format!("{} {rest}", code.split(' ').next().unwrap_or("")),
            None => l.to_string(),
        })
        .map(|l| l + "\n")
        .collect()
}
