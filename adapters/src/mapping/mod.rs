//! Declarative mappings: a national registry connects its own export or API
//! format by writing one TOML file (`mappings/README.md` is the reference of
//! the language), without Rust and without recompiling.
//!
//! The road of a mapping file:
//!
//! 1. [`load`] parses the TOML keeping every key's line, and reads each section
//!    and each `[[field]]` rule on its own, so one broken rule does not hide the
//!    others;
//! 2. [`check`] compiles the file into a [`Mapping`]: canonical fields are
//!    checked against the schema shape, source paths are parsed, code tables,
//!    date formats, units and encodings are resolved once, so converting a
//!    record touches no string parsing of the mapping any more. Every problem
//!    is a [`MappingIssue`] with file, line and key;
//! 3. [`adapter::MappingAdapter`] plugs the compiled mapping into the
//!    [`crate::Registry`] as an [`crate::Adapter`]: the source framing (CSV,
//!    JSON, XML, NDJSON) hands one native record at a time to the [`engine`],
//!    which builds the canonical message (decode) or the native record
//!    (encode). Errors are always named in native terms (CSV row and column,
//!    JSON pointer, XML path).

pub mod adapter;
pub mod check;
mod codes;
mod csv_io;
pub mod engine;
pub mod explain;
mod json_io;
pub mod load;
pub mod model;
pub mod paths;
pub mod registry;
mod schema_info;
mod text_encoding;
mod xml_io;

use std::fmt;

pub use adapter::MappingAdapter;
pub use check::{compile, Mapping};
pub use registry::{builtin_mapping_files, load_mapping_sources, MappingSource};

/// How bad a problem in a mapping file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The mapping works, but something deserves a look (a code table that
    /// cannot write some canonical codes back).
    Warning,
    /// The mapping cannot be used.
    Error,
}

/// One problem in a mapping file: where (file, line, key) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingIssue {
    pub severity: Severity,
    /// The file as the user named it (or `mappings/x.toml` for built-ins).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key the problem is about, e.g. `field[3].to`, `source.delimiter`.
    pub key: String,
    pub message: String,
}

impl MappingIssue {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for MappingIssue {
    /// `mappings/x.toml:14: field[3].to: unknown canonical field "firearm.calibr" (did you mean firearm.calibre?)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// Why mapping files could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// One or more mapping files have errors; every one is listed.
    #[error("{}", render_issues(.0))]
    Invalid(Vec<MappingIssue>),
}

fn render_issues(issues: &[MappingIssue]) -> String {
    let errors: Vec<String> = issues
        .iter()
        .filter(|i| i.is_error())
        .map(ToString::to_string)
        .collect();
    let files: std::collections::BTreeSet<&str> = issues
        .iter()
        .filter(|i| i.is_error())
        .map(|i| i.file.as_str())
        .collect();
    format!(
        "{} error{} in mapping file{} {}:\n  {}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        if files.len() == 1 { "" } else { "s" },
        files.into_iter().collect::<Vec<_>>().join(", "),
        errors.join("\n  ")
    )
}

/// Levenshtein distance, for "did you mean" hints.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

/// The closest candidate to `wanted`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted_folded = crate::codes::fold_key(wanted);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&wanted_folded, &crate::codes::fold_key(candidate));
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let (distance, candidate) = best?;
    let allowed = (wanted.chars().count() / 3).clamp(1, 4);
    (distance <= allowed).then_some(candidate)
}

/// ` (did you mean X?)` or nothing.
pub(crate) fn hint<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match did_you_mean(wanted, candidates) {
        Some(candidate) => format!(" (did you mean {candidate}?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("calibre", "calibr"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn did_you_mean_finds_close_names_only() {
        let names = ["firearm.calibre", "firearm.make", "event.date"];
        assert_eq!(
            did_you_mean("firearm.calibr", names),
            Some("firearm.calibre")
        );
        assert_eq!(did_you_mean("owner", names), None);
    }

    #[test]
    fn issue_display_names_file_line_and_key() {
        let issue = MappingIssue {
            severity: Severity::Error,
            file: "mappings/x.toml".into(),
            line: Some(14),
            key: "field[3].to".into(),
            message: "unknown canonical field \"firearm.calibr\"".into(),
        };
        assert_eq!(
            issue.to_string(),
            "mappings/x.toml:14: field[3].to: unknown canonical field \"firearm.calibr\""
        );
    }
}
