//! The suite as data: `suite.toml`, `requirements.csv`, `cases/*.toml` and the
//! input files they name. Loading checks everything (unknown keys, unknown
//! requirements, duplicate ids, missing inputs) and reports every problem with its
//! file, line, column, case id and key; a malformed case is never skipped silently.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One file of the suite: its path relative to the suite root and its bytes.
#[derive(Debug, Clone)]
pub struct SuiteFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A located problem of the suite data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadError {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for LoadError {
    /// `cases/records.toml:12:1: case REC-001-P1: key requirements: unknown requirement "REC-999"`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ":")?;
        if let Some(case) = &self.case {
            write!(f, " case {case}:")?;
        }
        if let Some(key) = &self.key {
            write!(f, " key {key}:")?;
        }
        write!(f, " {}", self.message)
    }
}

/// Every problem found while loading the suite.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the conformance suite has {} error(s):\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
pub struct LoadErrors(pub Vec<LoadError>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Core,
    Traces,
    Search,
    Security,
    Formats,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::Core,
        Class::Traces,
        Class::Search,
        Class::Security,
        Class::Formats,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::Core => "core",
            Class::Traces => "traces",
            Class::Search => "search",
            Class::Security => "security",
            Class::Formats => "formats",
        }
    }

    pub fn parse(text: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "SHOULD")]
    Should,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub id: String,
    pub class: Class,
    pub level: Level,
    pub text: String,
    pub source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Record,
    Search,
    HitNotification,
    TraceRequest,
    TraceResponse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Format,
    Http,
    Registry,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Format => "format",
            Target::Http => "http",
            Target::Registry => "registry",
        }
    }
}

/// The kind of live endpoint an `http` case is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointKind {
    Gateway,
    Hub,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accepted,
    Rejected,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    #[default]
    Valid,
    None,
    Wrong,
}

/// The input of a `format` case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    pub format: String,
    #[serde(default)]
    pub inline: Option<String>,
    #[serde(default)]
    pub file: Option<String>,
}

/// One error a rejected input must report; only the given keys are compared.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorExpect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xml_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_column: Option<String>,
}

/// What a `format` case expects.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaseExpect {
    pub outcome: Outcome,
    #[serde(default)]
    pub canonical: Option<String>,
    #[serde(default)]
    pub canonical_file: Option<String>,
    #[serde(default)]
    pub errors: Vec<ErrorExpect>,
    #[serde(default)]
    pub accepted: Option<u64>,
}

/// A check on a JSON reply (or a message the registry sent back).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JsonExpect {
    pub pointer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
}

/// One HTTP exchange of an `http` or `registry` case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub auth: Auth,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_file: Option<String>,
    #[serde(default)]
    pub body_bytes: Option<u64>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub expect_status: Option<u16>,
    #[serde(default)]
    pub expect_status_in: Vec<u16>,
    #[serde(default)]
    pub expect_json: Vec<JsonExpect>,
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    #[serde(default)]
    pub within: Option<String>,
}

/// Something the registry must send to the runner's hub listener.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Await {
    pub path: String,
    #[serde(default)]
    pub method: Option<String>,
    pub within: String,
    #[serde(default)]
    pub expect_json: Vec<JsonExpect>,
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

/// A case as written in its file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    id: String,
    requirements: Vec<String>,
    class: Class,
    title: String,
    kind: Kind,
    target: Target,
    #[serde(default)]
    input: Option<CaseInput>,
    #[serde(default)]
    expect: Option<CaseExpect>,
    #[serde(default)]
    applies_to: Option<Vec<EndpointKind>>,
    #[serde(default)]
    step: Vec<Step>,
    #[serde(default, rename = "await")]
    awaits: Vec<Await>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[serde(default)]
    case: Vec<toml::Spanned<toml::Value>>,
}

/// A loaded, checked case.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: String,
    pub requirements: Vec<String>,
    pub class: Class,
    pub title: String,
    pub kind: Kind,
    pub target: Target,
    /// The case file, relative to its suite root (`cases/records.toml`), and line.
    pub file: String,
    pub line: usize,
    pub input: Option<CaseInput>,
    pub expect: Option<CaseExpect>,
    pub applies_to: Vec<EndpointKind>,
    pub steps: Vec<Step>,
    pub awaits: Vec<Await>,
    /// The strongest level of its requirements: a MUST case fails the run.
    pub level: Level,
}

impl Case {
    /// Positive (`-P…`) or negative (`-N…`) by the id convention.
    pub fn polarity(&self) -> Option<char> {
        let tail = self.id.rsplit('-').next()?;
        match tail.chars().next()? {
            c @ ('P' | 'N') if tail[1..].chars().all(|d| d.is_ascii_digit()) => Some(c),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteInfo {
    pub name: String,
    pub version: String,
}

/// The whole suite, checked.
#[derive(Debug, Clone)]
pub struct Suite {
    pub info: SuiteInfo,
    /// Where it came from: `embedded` or a directory.
    pub origin: String,
    pub requirements: Vec<Requirement>,
    pub cases: Vec<Case>,
    /// Input files by path relative to the suite root (and to a `--cases` directory's parent).
    inputs: BTreeMap<String, Vec<u8>>,
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_suite.rs"));
}

/// The suite files built into the binary.
pub fn embedded_files() -> Vec<SuiteFile> {
    embedded::FILES
        .iter()
        .map(|(path, bytes)| SuiteFile {
            path: (*path).to_string(),
            bytes: bytes.to_vec(),
        })
        .collect()
}

/// Reads a suite directory (the same layout as `conformance/`).
pub fn read_dir_files(root: &Path) -> Result<Vec<SuiteFile>, LoadErrors> {
    let mut files = Vec::new();
    let io_error = |path: &Path, e: std::io::Error| {
        LoadErrors(vec![LoadError {
            file: path.display().to_string(),
            line: None,
            column: None,
            case: None,
            key: None,
            message: format!("cannot read: {e}"),
        }])
    };
    if !root.is_dir() {
        return Err(io_error(
            root,
            std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        ));
    }
    for name in ["suite.toml", "requirements.csv"] {
        let path = root.join(name);
        if path.is_file() {
            let bytes = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
            files.push(SuiteFile {
                path: name.to_string(),
                bytes,
            });
        }
    }
    for dir in ["cases", "inputs"] {
        let mut paths = Vec::new();
        walk(&root.join(dir), &mut paths).map_err(|e| io_error(&root.join(dir), e))?;
        for path in paths {
            let bytes = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
            files.push(SuiteFile {
                path: relative(root, &path),
                bytes,
            });
        }
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads an integrator's own case directory: every `*.toml` below it becomes a case
/// file (`extra/<path>`), every other file an input reachable by its path relative to DIR.
pub fn read_extra_cases(dir: &Path) -> Result<Vec<SuiteFile>, LoadErrors> {
    let mut paths = Vec::new();
    walk(dir, &mut paths).map_err(|e| {
        LoadErrors(vec![LoadError {
            file: dir.display().to_string(),
            line: None,
            column: None,
            case: None,
            key: None,
            message: format!("cannot read: {e}"),
        }])
    })?;
    if !dir.is_dir() {
        return Err(LoadErrors(vec![LoadError {
            file: dir.display().to_string(),
            line: None,
            column: None,
            case: None,
            key: None,
            message: "not a directory".to_string(),
        }]));
    }
    let mut files = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|e| {
            LoadErrors(vec![LoadError {
                file: path.display().to_string(),
                line: None,
                column: None,
                case: None,
                key: None,
                message: format!("cannot read: {e}"),
            }])
        })?;
        let rel = relative(dir, &path);
        let is_case = path.extension().is_some_and(|e| e == "toml");
        files.push(SuiteFile {
            path: if is_case {
                format!("cases/{}", rel)
            } else {
                rel
            },
            bytes,
        });
    }
    Ok(files)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Builds the [`Suite`] from its files, checking everything.
pub fn load(origin: &str, files: Vec<SuiteFile>) -> Result<Suite, LoadErrors> {
    let mut errors = Vec::new();
    let at = |file: &str, message: String| LoadError {
        file: file.to_string(),
        line: None,
        column: None,
        case: None,
        key: None,
        message,
    };
    let mut info = None;
    let mut requirements_text = None;
    let mut case_files = Vec::new();
    let mut inputs = BTreeMap::new();
    for file in files {
        match file.path.as_str() {
            "suite.toml" => info = Some(file),
            "requirements.csv" => requirements_text = Some(file),
            p if p.starts_with("cases/") && p.ends_with(".toml") => case_files.push(file),
            _ => {
                inputs.insert(file.path, file.bytes);
            }
        }
    }
    let info = match info {
        None => {
            errors.push(at("suite.toml", "missing".to_string()));
            None
        }
        Some(file) => match std::str::from_utf8(&file.bytes)
            .map_err(|e| e.to_string())
            .and_then(|t| toml::from_str::<SuiteInfo>(t).map_err(|e| e.to_string()))
        {
            Ok(info) => Some(info),
            Err(e) => {
                errors.push(at("suite.toml", e.trim().to_string()));
                None
            }
        },
    };
    let requirements = match requirements_text {
        None => {
            errors.push(at("requirements.csv", "missing".to_string()));
            Vec::new()
        }
        Some(file) => load_requirements(&file.bytes, &mut errors),
    };
    let known: BTreeMap<&str, &Requirement> =
        requirements.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut cases: Vec<Case> = Vec::new();
    let mut seen: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for file in &case_files {
        let text = match std::str::from_utf8(&file.bytes) {
            Ok(t) => t,
            Err(e) => {
                errors.push(at(&file.path, format!("not UTF-8: {e}")));
                continue;
            }
        };
        let parsed: CaseFile = match toml::from_str(text) {
            Ok(p) => p,
            Err(e) => {
                let (line, column) = e.span().map_or((None, None), |s| {
                    let (l, c) = line_col(text, s.start);
                    (Some(l), Some(c))
                });
                errors.push(LoadError {
                    file: file.path.clone(),
                    line,
                    column,
                    case: None,
                    key: None,
                    message: e.message().to_string(),
                });
                continue;
            }
        };
        for spanned in parsed.case {
            let (line, column) = line_col(text, spanned.span().start);
            let value = spanned.into_inner();
            let id_hint = value.get("id").and_then(|v| v.as_str()).map(str::to_string);
            let raw: RawCase = match value.try_into() {
                Ok(raw) => raw,
                Err(e) => {
                    let e: toml::de::Error = e;
                    errors.push(LoadError {
                        file: file.path.clone(),
                        line: Some(line),
                        column: Some(column),
                        case: id_hint,
                        key: None,
                        message: e.message().to_string(),
                    });
                    continue;
                }
            };
            match check_case(raw, &file.path, line, &known, &inputs) {
                Ok(case) => {
                    if let Some((other, other_line)) = seen.get(&case.id) {
                        errors.push(LoadError {
                            file: file.path.clone(),
                            line: Some(line),
                            column: Some(column),
                            case: Some(case.id.clone()),
                            key: Some("id".to_string()),
                            message: format!("duplicate case id (first at {other}:{other_line})"),
                        });
                        continue;
                    }
                    seen.insert(case.id.clone(), (file.path.clone(), line));
                    cases.push(case);
                }
                Err(mut found) => {
                    for e in &mut found {
                        e.line.get_or_insert(line);
                        e.column.get_or_insert(column);
                    }
                    errors.extend(found);
                }
            }
        }
    }
    match (info, errors.is_empty()) {
        (Some(info), true) => Ok(Suite {
            info,
            origin: origin.to_string(),
            requirements,
            cases,
            inputs,
        }),
        _ => Err(LoadErrors(errors)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequirementRow {
    id: String,
    class: String,
    level: String,
    text: String,
    source: String,
}

const REQUIREMENT_PREFIXES: &[&str] = &[
    "REC", "SRC", "TRC", "ENC", "COD", "ERR", "IDM", "SEC", "API",
];

fn load_requirements(bytes: &[u8], errors: &mut Vec<LoadError>) -> Vec<Requirement> {
    let file = "requirements.csv";
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let mut out: Vec<Requirement> = Vec::new();
    let error = |line: Option<u64>, key: Option<&str>, message: String| LoadError {
        file: file.to_string(),
        line: line.map(|l| l as usize),
        column: None,
        case: None,
        key: key.map(str::to_string),
        message,
    };
    match reader.headers() {
        Ok(h) if h.iter().collect::<Vec<_>>() == ["id", "class", "level", "text", "source"] => {}
        Ok(h) => {
            errors.push(error(
                Some(1),
                None,
                format!(
                    "the header must be id,class,level,text,source, found {}",
                    h.iter().collect::<Vec<_>>().join(",")
                ),
            ));
            return out;
        }
        Err(e) => {
            errors.push(error(Some(1), None, e.to_string()));
            return out;
        }
    }
    for row in reader.deserialize::<RequirementRow>() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                errors.push(error(line, None, e.to_string()));
                continue;
            }
        };
        let line = out.len() as u64 + 2;
        let id_ok = row.id.split_once('-').is_some_and(|(prefix, number)| {
            REQUIREMENT_PREFIXES.contains(&prefix)
                && number.len() == 3
                && number.chars().all(|c| c.is_ascii_digit())
        });
        if !id_ok {
            errors.push(error(
                Some(line),
                Some("id"),
                format!(
                    "\"{}\" is not PREFIX-NNN with a prefix among {}",
                    row.id,
                    REQUIREMENT_PREFIXES.join(", ")
                ),
            ));
        }
        if out.iter().any(|r| r.id == row.id) {
            errors.push(error(
                Some(line),
                Some("id"),
                format!("duplicate requirement {}", row.id),
            ));
        }
        let Some(class) = Class::parse(&row.class) else {
            errors.push(error(
                Some(line),
                Some("class"),
                format!(
                    "unknown class \"{}\" (core, traces, search, security, formats)",
                    row.class
                ),
            ));
            continue;
        };
        let level = match row.level.as_str() {
            "MUST" => Level::Must,
            "SHOULD" => Level::Should,
            other => {
                errors.push(error(
                    Some(line),
                    Some("level"),
                    format!("unknown level \"{other}\" (MUST or SHOULD)"),
                ));
                continue;
            }
        };
        if row.text.trim().is_empty() {
            errors.push(error(Some(line), Some("text"), "empty".to_string()));
        }
        out.push(Requirement {
            id: row.id,
            class,
            level,
            text: row.text,
            source: row.source,
        });
    }
    out
}

fn check_case(
    raw: RawCase,
    file: &str,
    line: usize,
    known: &BTreeMap<&str, &Requirement>,
    inputs: &BTreeMap<String, Vec<u8>>,
) -> Result<Case, Vec<LoadError>> {
    let id = raw.id;
    let mut errors = Vec::new();
    let mut fail = |key: &str, message: String| {
        errors.push(LoadError {
            file: file.to_string(),
            line: None,
            column: None,
            case: Some(id.clone()),
            key: Some(key.to_string()),
            message,
        })
    };
    if id.trim().is_empty() || id.chars().any(char::is_whitespace) {
        fail("id", "must be a non-empty word".to_string());
    }
    if raw.requirements.is_empty() {
        fail("requirements", "at least one requirement".to_string());
    }
    let mut level = Level::Should;
    for r in &raw.requirements {
        match known.get(r.as_str()) {
            None => fail(
                "requirements",
                format!("unknown requirement \"{r}\" (not in requirements.csv)"),
            ),
            Some(req) if req.level == Level::Must => level = Level::Must,
            Some(_) => {}
        }
    }
    let has_input = |path: &str| inputs.contains_key(path);
    match raw.target {
        Target::Format => {
            match &raw.input {
                None => fail("input", "a format case needs [case.input]".to_string()),
                Some(input) => match (&input.inline, &input.file) {
                    (Some(_), Some(_)) => fail("input", "give inline or file, not both".into()),
                    (None, None) => fail("input", "give inline or file".into()),
                    (None, Some(f)) if !has_input(f) => {
                        fail("input.file", format!("no input file \"{f}\""))
                    }
                    _ => {}
                },
            }
            match &raw.expect {
                None => fail("expect", "a format case needs [case.expect]".to_string()),
                Some(expect) => {
                    if let Some(f) = &expect.canonical_file {
                        if !has_input(f) {
                            fail("expect.canonical_file", format!("no input file \"{f}\""));
                        }
                    }
                    if expect.canonical.is_some() && expect.canonical_file.is_some() {
                        fail(
                            "expect",
                            "give canonical or canonical_file, not both".into(),
                        );
                    }
                    if let Some(text) = &expect.canonical {
                        match serde_json::from_str::<Value>(text) {
                            Ok(Value::Array(_)) => {}
                            Ok(_) => fail("expect.canonical", "must be a JSON array".into()),
                            Err(e) => fail("expect.canonical", format!("not JSON: {e}")),
                        }
                    }
                    if expect.outcome == Outcome::Rejected && expect.errors.is_empty() {
                        fail(
                            "expect.errors",
                            "a rejected case lists at least one expected error".into(),
                        );
                    }
                }
            }
            if !raw.step.is_empty() || !raw.awaits.is_empty() {
                fail("step", "a format case has no steps or awaits".into());
            }
        }
        Target::Http | Target::Registry => {
            if raw.step.is_empty() {
                fail(
                    "step",
                    "an http or registry case needs at least one [[case.step]]".into(),
                );
            }
            if raw.input.is_some() || raw.expect.is_some() {
                fail("input", "input/expect belong to format cases".into());
            }
            if raw.target == Target::Http && !raw.awaits.is_empty() {
                fail("await", "awaits belong to registry cases".into());
            }
            for (i, step) in raw.step.iter().enumerate() {
                let key = |k: &str| format!("step[{i}].{k}");
                let bodies = [
                    step.body.is_some(),
                    step.body_file.is_some(),
                    step.body_bytes.is_some(),
                ];
                if bodies.iter().filter(|b| **b).count() > 1 {
                    fail(
                        &key("body"),
                        "give one of body, body_file, body_bytes".into(),
                    );
                }
                if let Some(f) = &step.body_file {
                    if !has_input(f) {
                        fail(&key("body_file"), format!("no input file \"{f}\""));
                    }
                }
                if reqwest::Method::from_bytes(step.method.as_bytes()).is_err() {
                    fail(
                        &key("method"),
                        format!("not an HTTP method: {}", step.method),
                    );
                }
                if !step.path.starts_with('/') {
                    fail(&key("path"), "must start with /".into());
                }
                if step.expect_status.is_none() && step.expect_status_in.is_empty() {
                    fail(
                        &key("expect_status"),
                        "give expect_status or expect_status_in".into(),
                    );
                }
                if let Some(w) = &step.within {
                    if let Err(e) = parse_duration(w) {
                        fail(&key("within"), e);
                    }
                }
                for (j, e) in step.expect_json.iter().enumerate() {
                    if let Err(m) = check_json_expect(e) {
                        fail(&format!("step[{i}].expect_json[{j}]"), m);
                    }
                }
                for (name, pointer) in &step.capture {
                    if !pointer.is_empty() && !pointer.starts_with('/') {
                        fail(
                            &format!("step[{i}].capture.{name}"),
                            "a JSON pointer starts with /".into(),
                        );
                    }
                }
            }
            for (i, a) in raw.awaits.iter().enumerate() {
                if let Err(e) = parse_duration(&a.within) {
                    fail(&format!("await[{i}].within"), e);
                }
                for (j, e) in a.expect_json.iter().enumerate() {
                    if let Err(m) = check_json_expect(e) {
                        fail(&format!("await[{i}].expect_json[{j}]"), m);
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Case {
        id,
        requirements: raw.requirements,
        class: raw.class,
        title: raw.title,
        kind: raw.kind,
        target: raw.target,
        file: file.to_string(),
        line,
        input: raw.input,
        expect: raw.expect,
        applies_to: raw
            .applies_to
            .unwrap_or_else(|| vec![EndpointKind::Gateway, EndpointKind::Hub]),
        steps: raw.step,
        awaits: raw.awaits,
        level,
    })
}

fn check_json_expect(e: &JsonExpect) -> Result<(), String> {
    if !e.pointer.is_empty() && !e.pointer.starts_with('/') {
        return Err(format!("pointer \"{}\" must start with /", e.pointer));
    }
    if e.equals.is_none() && e.exists.is_none() {
        return Err("give equals or exists".to_string());
    }
    Ok(())
}

/// `250ms`, `10s`, `2m`: the durations cases use.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a duration like 250ms, 10s or 2m"))?;
    match unit {
        "ms" => Ok(std::time::Duration::from_millis(n)),
        "s" => Ok(std::time::Duration::from_secs(n)),
        "m" => Ok(std::time::Duration::from_secs(n * 60)),
        _ => Err(format!(
            "\"{text}\" is not a duration like 250ms, 10s or 2m"
        )),
    }
}

impl Suite {
    /// The bytes of an input file named by a case.
    pub fn input(&self, path: &str) -> Option<&[u8]> {
        self.inputs.get(path).map(Vec::as_slice)
    }

    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// The suite: the embedded copy or `suite_dir`, plus the cases of `extra` directories.
    pub fn open(suite_dir: Option<&Path>, extra: &[PathBuf]) -> Result<Suite, LoadErrors> {
        let (origin, mut files) = match suite_dir {
            None => ("embedded".to_string(), embedded_files()),
            Some(dir) => (dir.display().to_string(), read_dir_files(dir)?),
        };
        for dir in extra {
            files.extend(read_extra_cases(dir)?);
        }
        load(&origin, files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQS: &str = "id,class,level,text,source\nREC-001,core,MUST,A record is accepted,domain.md §3\nREC-002,core,SHOULD,Nice,domain.md §3\n";

    fn files(cases: &str) -> Vec<SuiteFile> {
        vec![
            SuiteFile {
                path: "suite.toml".into(),
                bytes: b"name = \"t\"\nversion = \"0.1.0\"\n".to_vec(),
            },
            SuiteFile {
                path: "requirements.csv".into(),
                bytes: REQS.as_bytes().to_vec(),
            },
            SuiteFile {
                path: "cases/a.toml".into(),
                bytes: cases.as_bytes().to_vec(),
            },
            SuiteFile {
                path: "inputs/x.csv".into(),
                bytes: b"a;b\n".to_vec(),
            },
        ]
    }

    const GOOD: &str = r#"
[[case]]
id = "REC-001-P1"
requirements = ["REC-001"]
class = "core"
title = "t"
kind = "record"
target = "format"
[case.input]
format = "registry-rs"
file = "inputs/x.csv"
[case.expect]
outcome = "accepted"
"#;

    #[test]
    fn loads_a_good_suite() {
        let suite = load("test", files(GOOD)).unwrap();
        assert_eq!(suite.cases.len(), 1);
        assert_eq!(suite.cases[0].level, Level::Must);
        assert_eq!(suite.cases[0].line, 2);
        assert_eq!(suite.cases[0].polarity(), Some('P'));
    }

    #[test]
    fn unknown_requirement_is_located() {
        let text = GOOD.replace("[\"REC-001\"]", "[\"REC-999\"]");
        let errors = load("test", files(&text)).unwrap_err().0;
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!(e.file, "cases/a.toml");
        assert_eq!(e.line, Some(2));
        assert_eq!(e.case.as_deref(), Some("REC-001-P1"));
        assert_eq!(e.key.as_deref(), Some("requirements"));
        assert!(e.message.contains("REC-999"), "{e}");
    }

    #[test]
    fn duplicate_ids_unknown_keys_and_missing_inputs_are_errors() {
        let text = format!(
            "{GOOD}\n{}",
            GOOD.replace("inputs/x.csv", "inputs/none.csv")
        );
        let errors = load("test", files(&text)).unwrap_err().0;
        assert!(
            errors
                .iter()
                .any(|e| e.key.as_deref() == Some("input.file")),
            "{errors:?}"
        );
        let text = format!("{GOOD}\n{GOOD}");
        let errors = load("test", files(&text)).unwrap_err().0;
        assert!(
            errors[0].message.contains("duplicate case id"),
            "{errors:?}"
        );
        assert_eq!(errors[0].line, Some(16));
        let text = GOOD.replace("title = \"t\"", "title = \"t\"\ncolour = \"red\"");
        let errors = load("test", files(&text)).unwrap_err().0;
        assert!(errors[0].message.contains("colour"), "{errors:?}");
        assert_eq!(errors[0].case.as_deref(), Some("REC-001-P1"));
    }

    #[test]
    fn toml_syntax_errors_carry_line_and_column() {
        let errors = load("test", files("[[case]\nid = 1")).unwrap_err().0;
        assert_eq!(errors[0].line, Some(1), "{errors:?}");
        assert!(errors[0].column.is_some());
    }

    #[test]
    fn requirement_rows_are_checked() {
        let mut f = files(GOOD);
        f[1].bytes = b"id,class,level,text,source\nXYZ-1,core,MAY,t,s\n".to_vec();
        let errors = load("test", f).unwrap_err().0;
        let keys: Vec<_> = errors.iter().filter_map(|e| e.key.clone()).collect();
        assert!(keys.contains(&"id".to_string()), "{errors:?}");
        assert!(keys.contains(&"level".to_string()), "{errors:?}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap().as_millis(), 250);
        assert_eq!(parse_duration("10s").unwrap().as_secs(), 10);
        assert!(parse_duration("ten").is_err());
    }
}
