//! Runs the command examples of the documentation so they never rot: every line
//! `$ iarms-gateway …` inside a ```sh block of README.md, docs/**/*.md and
//! mappings/*.md is executed, in page order, in a scratch copy of the bundled
//! data, and must exit 0 (or the status written after it as `# exit N`). Pages
//! that build files step by step (mappings/TUTORIAL.md) mark a block with
//! `<!-- file: PATH -->` to have it written, and an edit the reader makes with
//! `<!-- replace in PATH: OLD … with: NEW -->`.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

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

/// One step of a page, in page order.
enum Step {
    /// `$ iarms-gateway …` in a ```sh block: (line, command, expected exit status).
    Run(usize, String, i32),
    /// `<!-- file: PATH -->` before a fenced block: the block is written to PATH.
    Write(String, String),
    /// `<!-- replace in PATH: OLD` … `with: NEW -->`: an edit the reader makes.
    Replace(String, String, String),
}

fn command_of(line: &str) -> Option<(String, i32)> {
    let command = line.trim().strip_prefix("$ ")?;
    if !command.starts_with("iarms-gateway ") {
        return None;
    }
    Some(match command.rsplit_once("# exit ") {
        Some((c, s)) => (c.trim().to_string(), s.trim().parse().unwrap_or(0)),
        None => (command.to_string(), 0),
    })
}

fn steps(file: &Path) -> Vec<Step> {
    let text = read(file);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut pending_file: Option<String> = None;
    let mut n = 0;
    while n < lines.len() {
        let trimmed = lines[n].trim();
        if let Some(path) = trimmed
            .strip_prefix("<!-- file: ")
            .and_then(|r| r.strip_suffix(" -->"))
        {
            pending_file = Some(path.to_string());
        } else if let Some(rest) = trimmed.strip_prefix("<!-- replace in ") {
            let mut comment = rest.to_string();
            while !comment.trim_end().ends_with("-->") && n + 1 < lines.len() {
                n += 1;
                comment.push('\n');
                comment.push_str(lines[n]);
            }
            let comment = comment.trim_end().trim_end_matches("-->").trim_end();
            let where_ = format!("{}:{}", file.display(), n + 1);
            let (path, edit) = comment
                .split_once(": ")
                .unwrap_or_else(|| panic!("{where_}: a replace needs `PATH: OLD`"));
            let (old, new) = edit
                .split_once("\nwith: ")
                .unwrap_or_else(|| panic!("{where_}: a replace needs `with: NEW`"));
            out.push(Step::Replace(
                path.to_string(),
                old.to_string(),
                new.to_string(),
            ));
        } else if trimmed.starts_with("```") {
            let sh = trimmed == "```sh" || trimmed == "```console";
            let mut body = Vec::new();
            n += 1;
            while n < lines.len() && !lines[n].trim().starts_with("```") {
                if let Some((command, status)) = command_of(lines[n]).filter(|_| sh) {
                    out.push(Step::Run(n + 1, command, status));
                }
                body.push(lines[n]);
                n += 1;
            }
            if let Some(path) = pending_file.take() {
                out.push(Step::Write(path, body.join("\n") + "\n"));
            }
        }
        n += 1;
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
        for step in steps(&file) {
            let (line, command, expected) = match step {
                Step::Write(target, body) => {
                    let target = scratch.path().join(target);
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent).unwrap_or_default();
                    }
                    std::fs::write(&target, body)
                        .unwrap_or_else(|e| panic!("{}: {e}", target.display()));
                    continue;
                }
                Step::Replace(target, old, new) => {
                    let target = scratch.path().join(target);
                    let text = read(&target);
                    assert!(
                        text.contains(&old),
                        "{}: the edit's text is not in {}:\n{old}",
                        file.display(),
                        target.display()
                    );
                    std::fs::write(&target, text.replacen(&old, &new, 1)).unwrap_or_default();
                    continue;
                }
                Step::Run(line, command, expected) => (line, command, expected),
            };
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
