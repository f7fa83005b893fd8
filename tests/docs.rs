//! Runs the command examples of the documentation so they never rot: every line
//! `$ iarms-gateway …` inside a ```sh block of README.md, docs/**/*.md and
//! mappings/*.md is executed in a scratch copy of the bundled data, and must exit
//! 0 (or the status written after it as `# exit N`).

mod support;

use std::path::{Path, PathBuf};

use support::*;

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![data("README.md")];
    for dir in ["docs", "docs/formats", "mappings", "conformance"] {
        if let Ok(entries) = std::fs::read_dir(data(dir)) {
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .collect();
            found.sort();
            files.extend(found);
        }
    }
    files
}

/// (file, line number, command, expected exit status)
fn examples(file: &Path) -> Vec<(usize, String, i32)> {
    let text = read(file);
    let mut in_sh = false;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_sh = !in_sh && (trimmed == "```sh" || trimmed == "```console");
            continue;
        }
        let Some(command) = trimmed.strip_prefix("$ ") else {
            continue;
        };
        if !in_sh || !command.starts_with("iarms-gateway ") {
            continue;
        }
        let (command, status) = match command.rsplit_once("# exit ") {
            Some((c, s)) => (c.trim().to_string(), s.trim().parse().unwrap_or(0)),
            None => (command.to_string(), 0),
        };
        out.push((n + 1, command, status));
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    std::fs::create_dir_all(to).unwrap_or_default();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap_or_default();
        }
    }
}

#[test]
fn documented_commands_work() {
    let scratch = tempdir();
    for dir in ["samples", "tests/data", "mappings"] {
        copy_dir(&data(dir), &scratch.path().join(dir));
    }
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_iarms-gateway"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for file in markdown_files() {
        for (line, command, expected) in examples(&file) {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(&command)
                .current_dir(scratch.path())
                .env("PATH", &path)
                .output()
                .unwrap_or_else(|e| panic!("cannot run sh: {e}"));
            assert_eq!(
                out.status.code(),
                Some(expected),
                "{}:{line}: `{command}` exited {:?}\nstdout:\n{}\nstderr:\n{}",
                file.display(),
                out.status.code(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert!(
        ran >= 10,
        "expected the documentation to hold examples, found {ran}"
    );
}
