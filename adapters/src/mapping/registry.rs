//! Where mappings come from: the built-in mapping files embedded in the
//! library, and every `*.toml` file of the directories given with
//! `--mappings DIR`. A later mapping with the same format name replaces the
//! earlier one (so a registry can override a built-in mapping).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::adapter::MappingAdapter;
use super::check::{compile, Mapping};
use super::{MappingError, MappingIssue};
use crate::adapter::Registry;

/// A mapping file's text and the name used for it in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingSource {
    /// `mappings/registry-rs.toml` for built-ins, the path as given otherwise.
    pub file: String,
    pub text: String,
    pub builtin: bool,
}

/// The mapping files shipped with the library.
const BUILTIN: &[(&str, &str)] = &[
    (
        "mappings/registry-rs.toml",
        include_str!("../../../mappings/registry-rs.toml"),
    ),
    (
        "mappings/registry-br.toml",
        include_str!("../../../mappings/registry-br.toml"),
    ),
    (
        "mappings/regional-xml.toml",
        include_str!("../../../mappings/regional-xml.toml"),
    ),
    (
        "mappings/registry-rs-trace-request.toml",
        include_str!("../../../mappings/registry-rs-trace-request.toml"),
    ),
    (
        "mappings/registry-rs-trace-response.toml",
        include_str!("../../../mappings/registry-rs-trace-response.toml"),
    ),
];

pub fn builtin_mapping_files() -> Vec<MappingSource> {
    BUILTIN
        .iter()
        .map(|(file, text)| MappingSource {
            file: (*file).to_string(),
            text: (*text).to_string(),
            builtin: true,
        })
        .collect()
}

fn read(path: &Path) -> Result<MappingSource, MappingError> {
    let bytes = std::fs::read(path).map_err(|source| MappingError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        MappingError::Invalid(vec![MappingIssue {
            severity: super::Severity::Error,
            file: path.display().to_string(),
            line: None,
            key: String::new(),
            message: format!("a mapping file must be UTF-8: {e}"),
        }])
    })?;
    Ok(MappingSource {
        file: path.display().to_string(),
        text,
        builtin: false,
    })
}

/// Reads mapping files: a directory gives its `*.toml` files (sorted by
/// name, not recursing), a file is read as it is.
pub fn load_mapping_sources(paths: &[PathBuf]) -> Result<Vec<MappingSource>, MappingError> {
    let mut sources = Vec::new();
    for path in paths {
        let io = |source| MappingError::Io {
            path: path.display().to_string(),
            source,
        };
        if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
                .collect();
            files.sort();
            for file in files {
                sources.push(read(&file)?);
            }
        } else {
            sources.push(read(path)?);
        }
    }
    Ok(sources)
}

/// Compiles every source; all errors of all files are reported together.
pub fn compile_sources(sources: &[MappingSource]) -> Result<Vec<Mapping>, MappingError> {
    let mut mappings = Vec::new();
    let mut issues = Vec::new();
    for source in sources {
        match compile(&source.file, &source.text) {
            Ok(mapping) => mappings.push(mapping),
            Err(mut found) => issues.append(&mut found),
        }
    }
    if issues.iter().any(MappingIssue::is_error) {
        return Err(MappingError::Invalid(issues));
    }
    Ok(mappings)
}

/// The built-in mappings followed by those found in `dirs`, compiled.
pub fn load_all(dirs: &[PathBuf]) -> Result<Vec<Mapping>, MappingError> {
    let mut sources = builtin_mapping_files();
    sources.extend(load_mapping_sources(dirs)?);
    compile_sources(&sources)
}

impl Registry {
    /// The built-in adapters, the built-in mappings, then every `*.toml`
    /// mapping in `dirs` (or the files themselves); a later format with the
    /// same name replaces the earlier.
    pub fn with_mappings(dirs: &[PathBuf]) -> Result<Registry, MappingError> {
        let mut registry = Registry::builtin();
        for mapping in load_all(dirs)? {
            registry.register(Arc::new(MappingAdapter::new(mapping)));
        }
        Ok(registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_mappings_compile_without_errors() {
        let mappings = load_all(&[]).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = mappings.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "registry-rs",
                "registry-br",
                "regional-xml",
                "registry-rs-trace-request",
                "registry-rs-trace-response"
            ]
        );
    }

    #[test]
    fn registry_lists_builtins_and_mappings() {
        let registry = Registry::with_mappings(&[]).unwrap_or_else(|e| panic!("{e}"));
        let names = registry.names();
        assert!(names.iter().any(|n| n == "iarms-json"));
        assert!(names.iter().any(|n| n == "registry-rs"));
    }

    #[test]
    fn missing_directory_is_an_io_error() {
        let result = Registry::with_mappings(&[PathBuf::from("/nonexistent/mappings-dir")]);
        assert!(matches!(result, Err(MappingError::Io { .. })));
    }
}
