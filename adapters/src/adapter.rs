//! The `Adapter` seam: every format, built-in codec or mapping-defined national
//! format, decodes a byte stream into canonical messages and encodes canonical
//! messages back. The [`Registry`] maps format names to adapters; every command
//! that takes a format name goes through it.

use std::io::{BufRead, Write};
use std::sync::Arc;

use crate::error::{EncodeError, FieldIssue, Location, RecordError};
use crate::limits::Limits;
use crate::model::{Message, MessageKind};

/// A decoded message and where it came from, so that later stages (normalise,
/// validate) can point at the faulty field in the input's own terms.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub message: Message,
    pub site: RecordSite,
}

/// Where a record sits in its input, and how to name a field inside it.
#[derive(Debug, Clone, Default)]
pub struct RecordSite {
    /// Record number, line (and column) of the record's start.
    pub location: Location,
    pub anchor: FieldAnchor,
}

/// How a canonical field path (`firearm.calibre`) is named in the input.
#[derive(Debug, Clone, Default)]
pub enum FieldAnchor {
    /// JSON: a pointer prefix (`/messages/3`) to which the field's pointer is appended.
    JsonPointer(String),
    /// XML: the record element's path (`/messages/record[4]`).
    XmlPath(String),
    /// CSV: the layout whose column holds the field.
    CsvColumns(&'static crate::format::csv::CsvLayout),
    /// A native format: the adapter translates canonical fields to its own names.
    Native(NativeNamer),
    #[default]
    None,
}

/// A function from a canonical field path to the native field that fed it.
pub type FieldNamer = dyn Fn(&str) -> Option<String> + Send + Sync;

/// Translates a canonical field path into the native field (column, path) that fed it.
#[derive(Clone)]
pub struct NativeNamer(pub Arc<FieldNamer>);

impl std::fmt::Debug for NativeNamer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NativeNamer")
    }
}

impl RecordSite {
    /// Places a content problem in the input.
    pub fn locate(&self, issue: &FieldIssue) -> RecordError {
        let mut location = self.location.clone();
        let field = issue.field.as_str();
        match &self.anchor {
            FieldAnchor::JsonPointer(prefix) => {
                let suffix: String = field
                    .split('.')
                    .filter(|p| !p.is_empty())
                    .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
                    .collect();
                location.pointer = Some(format!("{prefix}{suffix}"));
            }
            FieldAnchor::XmlPath(prefix) => {
                let suffix: String = field
                    .split('.')
                    .filter(|p| !p.is_empty())
                    .map(|p| match p.parse::<usize>() {
                        Ok(i) => format!("/*[{}]", i + 1),
                        Err(_) => format!("/{p}"),
                    })
                    .collect();
                location.xml_path = Some(format!("{prefix}{suffix}"));
            }
            FieldAnchor::CsvColumns(layout) => {
                location.csv_column = layout
                    .columns
                    .iter()
                    .find(|c| {
                        let path = c.path.join(".");
                        field == path || field.starts_with(&format!("{path}."))
                    })
                    .map(|c| c.name.clone());
            }
            FieldAnchor::Native(namer) => {
                // The namer names the field relative to the record (`ocorrencia/data`,
                // `rf:Incident/@date`, a CSV column) or absolutely (`/orgao`): a JSON or
                // XML record extends (or replaces) its own pointer or path, anything
                // else takes it as the column name.
                if let Some(native) = (namer.0)(field) {
                    let absolute = native.starts_with('/');
                    if let Some(pointer) = location.pointer.as_mut() {
                        *pointer = if absolute {
                            native
                        } else {
                            format!("{pointer}/{native}")
                        };
                    } else if let Some(path) = location.xml_path.as_mut() {
                        *path = if absolute {
                            native
                        } else {
                            format!("{path}/{native}")
                        };
                    } else {
                        location.csv_column = Some(native);
                    }
                }
            }
            FieldAnchor::None => {}
        }
        let mut error = RecordError::new(issue.code, issue.reason.clone()).at(location);
        if !field.is_empty() {
            error.field = Some(field.to_string());
        }
        error
    }
}

pub type DecodeResult = Result<Decoded, RecordError>;

/// A stream of decoded messages; errors marked `fatal` end it.
pub type MessageStream<'a> = Box<dyn Iterator<Item = DecodeResult> + 'a>;

/// Writes messages in one format; `finish` closes the document.
pub trait MessageEncoder {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError>;
    fn finish(&mut self) -> Result<(), EncodeError>;
}

/// What an adapter can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    pub read: bool,
    pub write: bool,
    /// Message kinds the format carries.
    pub kinds: Vec<MessageKind>,
}

/// What an encoder's output is, for whoever carries it: the `Content-Type` of an
/// HTTP post and the extension of a file. Declared by each format, so that no
/// caller has to sniff it from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Media {
    pub content_type: &'static str,
    /// Without the dot: `json`, `xml`, `csv`.
    pub extension: &'static str,
}

impl Media {
    pub const JSON: Media = Media {
        content_type: "application/json",
        extension: "json",
    };
    pub const NDJSON: Media = Media {
        content_type: "application/x-ndjson",
        extension: "ndjson",
    };
    pub const XML: Media = Media {
        content_type: "application/xml",
        extension: "xml",
    };
    pub const CSV: Media = Media {
        content_type: "text/csv; charset=utf-8",
        extension: "csv",
    };
    pub const TEXT: Media = Media {
        content_type: "text/plain; charset=utf-8",
        extension: "txt",
    };
}

pub trait Adapter: Send + Sync {
    /// The format name used on the command line and in config files (`iarms-json`).
    fn name(&self) -> &str;
    /// One line for `iarms-gateway formats`.
    fn description(&self) -> &str;
    fn capabilities(&self) -> Capabilities;
    /// What the encoder writes (content type and file extension).
    fn media(&self) -> Media;
    /// Starts decoding a stream. Errors that prevent reading at all come back here.
    fn decode<'a>(
        &self,
        input: Box<dyn BufRead + 'a>,
        limits: Limits,
    ) -> Result<MessageStream<'a>, RecordError>;
    /// Starts an encoder writing to `output`.
    fn encoder<'a>(
        &self,
        output: Box<dyn Write + 'a>,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError>;
    /// Starts an encoder with options; formats ignore the options they have no use for.
    fn encoder_with<'a>(
        &self,
        output: Box<dyn Write + 'a>,
        options: EncodeOptions,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError> {
        let _ = options;
        self.encoder(output)
    }
    /// The descriptive fields whose unrecognised values this format rejects
    /// (a mapping's `strict = true` fields); lenient unless it says otherwise.
    fn strictness(&self) -> crate::normalise::Strictness {
        crate::normalise::Strictness::lenient()
    }
}

/// Choices a caller can make about an encoder's output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Spreadsheet formulas in CSV output; `None`: the format's own default
    /// (`iarms-csv` escapes them, a mapping follows its `formula_escape` key).
    pub csv_formulas: Option<crate::format::csv::FormulaPolicy>,
}

/// Format name -> adapter.
#[derive(Clone, Default)]
pub struct Registry {
    adapters: Vec<Arc<dyn Adapter>>,
}

impl Registry {
    /// The formats built into the crate (canonical encodings, `niem-xml`, `ncic`).
    pub fn builtin() -> Registry {
        let mut registry = Registry::default();
        for adapter in crate::builtin::builtin_adapters() {
            registry.register(adapter);
        }
        registry
    }

    /// Adds an adapter; a later one with the same name replaces the earlier.
    pub fn register(&mut self, adapter: Arc<dyn Adapter>) {
        self.adapters.retain(|a| a.name() != adapter.name());
        self.adapters.push(adapter);
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn Adapter>> {
        self.adapters.iter().find(|a| a.name() == name).cloned()
    }

    pub fn names(&self) -> Vec<String> {
        self.adapters.iter().map(|a| a.name().to_string()).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Adapter>> {
        self.adapters.iter()
    }
}
