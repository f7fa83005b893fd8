//! The canonical encodings as adapters: framing + format, wired together.

use std::cell::RefCell;
use std::io::{BufRead, Write};
use std::rc::Rc;
use std::sync::Arc;

use crate::adapter::{
    Adapter, Capabilities, Decoded, EncodeOptions, FieldAnchor, Media, MessageEncoder,
    MessageStream, RecordSite,
};
use crate::error::{EncodeError, ErrorCode, Location, RecordError};
use crate::format::csv::{self as csv_format, CsvLayout, FormulaPolicy, KIND_COLUMN};
use crate::format::json::{self as json_format, JsonDocumentWriter, NdjsonWriter};
use crate::format::xml::{self as xml_format, XmlWriter};
use crate::framing::csv_lines::{LineBreaks, TrackLines};
use crate::framing::{JsonRecordFramer, LineFramer, XmlElementFramer};
use crate::limits::Limits;
use crate::model::{Message, MessageKind};

pub fn canonical_adapters() -> Vec<Arc<dyn Adapter>> {
    vec![
        Arc::new(CanonicalJson),
        Arc::new(CanonicalNdjson),
        Arc::new(CanonicalXml),
        Arc::new(CanonicalCsv),
    ]
}

fn all_kinds() -> Capabilities {
    Capabilities {
        read: true,
        write: true,
        kinds: MessageKind::ALL.to_vec(),
    }
}

fn site(index: u64, line: u64, column: Option<u64>, anchor: FieldAnchor) -> RecordSite {
    RecordSite {
        location: Location {
            record: Some(index + 1),
            line: Some(line),
            column,
            ..Location::default()
        },
        anchor,
    }
}

/// `iarms-json`: a document `{"schema_version": "1.0", "messages": [...]}`.
pub struct CanonicalJson;

impl Adapter for CanonicalJson {
    fn name(&self) -> &str {
        "iarms-json"
    }
    fn description(&self) -> &str {
        "canonical JSON document: {\"schema_version\": \"1.0\", \"messages\": [...]}"
    }
    fn media(&self) -> Media {
        Media::JSON
    }

    fn capabilities(&self) -> Capabilities {
        all_kinds()
    }
    fn decode<'a>(
        &self,
        input: Box<dyn BufRead + 'a>,
        limits: Limits,
    ) -> Result<MessageStream<'a>, RecordError> {
        let framer =
            JsonRecordFramer::new(input, "/messages", Vec::new(), limits).or_top_level_array();
        let stream = framer.map(|frame| {
            let frame = frame?;
            let prefix = format!("/messages/{}", frame.index);
            let message = json_format::decode_frame(&frame, &prefix)?;
            Ok(Decoded {
                message,
                site: site(
                    frame.index,
                    frame.start.line,
                    Some(frame.start.column),
                    FieldAnchor::JsonPointer(prefix),
                ),
            })
        });
        Ok(Box::new(stream))
    }
    fn encoder<'a>(
        &self,
        output: Box<dyn Write + 'a>,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError> {
        Ok(Box::new(JsonDocumentWriter::new(output)))
    }
}

impl<W: Write> MessageEncoder for JsonDocumentWriter<W> {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        JsonDocumentWriter::write(self, message)
    }
    fn finish(&mut self) -> Result<(), EncodeError> {
        JsonDocumentWriter::finish(self)
    }
}

/// `iarms-ndjson`: one canonical JSON message per line.
pub struct CanonicalNdjson;

impl Adapter for CanonicalNdjson {
    fn name(&self) -> &str {
        "iarms-ndjson"
    }
    fn description(&self) -> &str {
        "canonical newline-delimited JSON: one message per line"
    }
    fn media(&self) -> Media {
        Media::NDJSON
    }

    fn capabilities(&self) -> Capabilities {
        all_kinds()
    }
    fn decode<'a>(
        &self,
        input: Box<dyn BufRead + 'a>,
        limits: Limits,
    ) -> Result<MessageStream<'a>, RecordError> {
        let stream = LineFramer::new(input, limits).map(|frame| {
            let frame = frame?;
            let message = json_format::decode_frame(&frame, "")?;
            Ok(Decoded {
                message,
                site: site(
                    frame.index,
                    frame.start.line,
                    None,
                    FieldAnchor::JsonPointer(String::new()),
                ),
            })
        });
        Ok(Box::new(stream))
    }
    fn encoder<'a>(
        &self,
        output: Box<dyn Write + 'a>,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError> {
        Ok(Box::new(NdjsonWriter::new(output)))
    }
}

impl<W: Write> MessageEncoder for NdjsonWriter<W> {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        NdjsonWriter::write(self, message)
    }
    fn finish(&mut self) -> Result<(), EncodeError> {
        NdjsonWriter::finish(self)
    }
}

/// `iarms-xml`: `<messages xmlns="urn:iarms-gateway:canonical:1" version="1.0">`.
pub struct CanonicalXml;

impl Adapter for CanonicalXml {
    fn name(&self) -> &str {
        "iarms-xml"
    }
    fn description(&self) -> &str {
        "canonical XML in namespace urn:iarms-gateway:canonical:1 (XSD: adapters/schemas/iarms.xsd)"
    }
    fn media(&self) -> Media {
        Media::XML
    }

    fn capabilities(&self) -> Capabilities {
        all_kinds()
    }
    fn decode<'a>(
        &self,
        input: Box<dyn BufRead + 'a>,
        limits: Limits,
    ) -> Result<MessageStream<'a>, RecordError> {
        let mut framer = XmlElementFramer::new(input, 1, limits);
        let mut root_checked = false;
        let mut stopped = false;
        let stream = std::iter::from_fn(move || {
            if stopped {
                return None;
            }
            let next = framer.next();
            // The root is known once the first record (or the end) is reached;
            // nothing in a foreign document is ours to read.
            if !root_checked {
                if let Some(root) = framer.root() {
                    root_checked = true;
                    if let Err(e) = xml_format::check_root(root) {
                        stopped = true;
                        return Some(Err(e));
                    }
                }
            }
            Some(next?.and_then(|frame| {
                let message = xml_format::decode_frame(&frame)?;
                Ok(Decoded {
                    message,
                    site: site(
                        frame.index,
                        frame.element.line,
                        None,
                        FieldAnchor::XmlPath(frame.path.clone()),
                    ),
                })
            }))
        });
        Ok(Box::new(stream))
    }
    fn encoder<'a>(
        &self,
        output: Box<dyn Write + 'a>,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError> {
        Ok(Box::new(XmlWriter::new(output)))
    }
}

impl<W: Write> MessageEncoder for XmlWriter<W> {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        XmlWriter::write(self, message)
    }
    fn finish(&mut self) -> Result<(), EncodeError> {
        XmlWriter::finish(self)
    }
}

/// `iarms-csv`: flat columns derived from the schema (see `format::csv`).
pub struct CanonicalCsv;

impl Adapter for CanonicalCsv {
    fn name(&self) -> &str {
        "iarms-csv"
    }
    fn description(&self) -> &str {
        "canonical CSV: one message per row, dotted column names, lists as key=value;…|… cells"
    }
    fn media(&self) -> Media {
        Media::CSV
    }

    fn capabilities(&self) -> Capabilities {
        all_kinds()
    }
    fn decode<'a>(
        &self,
        input: Box<dyn BufRead + 'a>,
        limits: Limits,
    ) -> Result<MessageStream<'a>, RecordError> {
        Ok(Box::new(CsvDecoder::new(input, limits)))
    }
    fn encoder<'a>(
        &self,
        output: Box<dyn Write + 'a>,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError> {
        self.encoder_with(output, EncodeOptions::default())
    }
    fn encoder_with<'a>(
        &self,
        output: Box<dyn Write + 'a>,
        options: EncodeOptions,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError> {
        Ok(Box::new(CsvEncoder {
            writer: csv::Writer::from_writer(output),
            layout: None,
            formulas: options.csv_formulas.unwrap_or_default(),
        }))
    }
}

/// Reads canonical CSV rows. The csv crate does the framing (quoting, CRLF);
/// this turns each row into a message using the row kind's layout.
struct CsvDecoder<R: std::io::Read> {
    reader: csv::Reader<TrackLines<R>>,
    /// The csv crate's own line numbers run early with CRLF; these are exact.
    breaks: Rc<RefCell<LineBreaks>>,
    limits: Limits,
    header: Option<Vec<String>>,
    /// Per kind: for each header position, the layout column it fills.
    columns_by_kind: Vec<Option<Vec<Option<&'static csv_format::Column>>>>,
    kind_position: usize,
    record: csv::ByteRecord,
    index: u64,
    done: bool,
}

impl<R: std::io::Read> CsvDecoder<R> {
    fn new(input: R, limits: Limits) -> CsvDecoder<R> {
        let breaks = Rc::new(RefCell::new(LineBreaks::default()));
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(TrackLines::new(input, Rc::clone(&breaks)));
        CsvDecoder {
            reader,
            breaks,
            limits,
            header: None,
            columns_by_kind: vec![None; MessageKind::ALL.len()],
            kind_position: 0,
            record: csv::ByteRecord::new(),
            index: 0,
            done: false,
        }
    }

    fn csv_error(&self, e: &csv::Error) -> RecordError {
        let mut location = Location::default();
        if let Some(position) = e.position() {
            location.line = Some(position.line());
            location.byte_offset = Some(position.byte());
        }
        let (code, fatal) = match e.kind() {
            csv::ErrorKind::Io(_) => (ErrorCode::Io, true),
            csv::ErrorKind::Utf8 { .. } => (ErrorCode::Encoding, false),
            _ => (ErrorCode::Syntax, false),
        };
        let error = RecordError::new(code, e.to_string()).at(location);
        if fatal {
            error.fatal()
        } else {
            error
        }
    }

    fn read_header(&mut self) -> Result<bool, RecordError> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| self.csv_error(&e).fatal())?;
        if !more {
            return Ok(false);
        }
        let line = self.row_line();
        let fatal = |reason: String| {
            RecordError::new(ErrorCode::Structure, reason)
                .at(Location {
                    line: Some(line),
                    ..Location::default()
                })
                .fatal()
        };
        if self.record.len() > self.limits.max_columns {
            return Err(RecordError::new(
                ErrorCode::Limit,
                format!(
                    "header has {} columns; the limit is {}",
                    self.record.len(),
                    self.limits.max_columns
                ),
            )
            .at(Location {
                line: Some(line),
                ..Location::default()
            })
            .fatal());
        }
        let mut names = Vec::with_capacity(self.record.len());
        for (i, raw) in self.record.iter().enumerate() {
            let raw = if i == 0 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            let name = std::str::from_utf8(raw)
                .map_err(|_| fatal(format!("header column {} is not valid UTF-8", i + 1)))?
                .trim()
                .to_string();
            if !csv_format::is_known_column(&name) {
                return Err(fatal(format!(
                    "unknown column \"{name}\" (column {}); see `iarms-gateway schema record` for the fields",
                    i + 1
                )));
            }
            if names.contains(&name) {
                return Err(fatal(format!(
                    "column \"{name}\" appears twice in the header"
                )));
            }
            names.push(name);
        }
        self.kind_position = names
            .iter()
            .position(|n| n == KIND_COLUMN)
            .ok_or_else(|| fatal(format!("the header has no `{KIND_COLUMN}` column")))?;
        self.header = Some(names);
        Ok(true)
    }

    /// The true first line of the row just read.
    fn row_line(&self) -> u64 {
        match self.record.position() {
            Some(p) => self.breaks.borrow_mut().line_at(p.byte()),
            None => 0,
        }
    }

    /// Maps header positions to the columns of `kind`'s layout, once per kind.
    fn ensure_columns(&mut self, kind: MessageKind) {
        let layout: &'static CsvLayout = csv_format::layout(kind);
        let header = self.header.as_deref().unwrap_or_default();
        if let Some(slot @ None) = self.columns_by_kind.get_mut(kind as usize) {
            *slot = Some(header.iter().map(|name| layout.column(name)).collect());
        }
    }

    fn decode_row(&mut self) -> Result<Decoded, RecordError> {
        let index = self.index;
        let line = self.row_line();
        let byte = self.record.position().map(|p| p.byte()).unwrap_or(0);
        let header_len = self.header.as_ref().map(Vec::len).unwrap_or(0);
        let located = |code, reason: String, column: Option<String>| {
            RecordError::new(code, reason).at(Location {
                record: Some(index + 1),
                line: Some(line),
                csv_column: column,
                ..Location::default()
            })
        };
        if self.record.len() != header_len {
            return Err(located(
                ErrorCode::Syntax,
                format!(
                    "row has {} fields but the header has {header_len}",
                    self.record.len()
                ),
                None,
            ));
        }
        let kind_cell = self
            .record
            .get(self.kind_position)
            .and_then(|raw| std::str::from_utf8(raw).ok())
            .unwrap_or_default();
        let kind = MessageKind::from_tag(kind_cell).ok_or_else(|| {
            let known: Vec<&str> = MessageKind::ALL.iter().map(|k| k.tag()).collect();
            located(
                ErrorCode::Structure,
                format!(
                    "unknown kind \"{kind_cell}\" (expected one of: {})",
                    known.join(", ")
                ),
                Some(KIND_COLUMN.to_string()),
            )
        })?;
        self.ensure_columns(kind);
        let header = self.header.as_deref().unwrap_or_default();
        let columns = self
            .columns_by_kind
            .get(kind as usize)
            .and_then(Option::as_deref)
            .unwrap_or_default();
        let mut pairs = Vec::with_capacity(self.record.len());
        for (i, raw) in self.record.iter().enumerate() {
            if i == self.kind_position {
                continue;
            }
            let column_name = || header.get(i).cloned();
            let cell = std::str::from_utf8(raw).map_err(|e| {
                // The record keeps fields without their delimiters: add one per earlier
                // field. Exact for unquoted fields, a few bytes early after quoted ones.
                let offset = byte
                    + self.record.range(i).map(|r| r.start).unwrap_or(0) as u64
                    + i as u64
                    + e.valid_up_to() as u64;
                let mut error = located(
                    ErrorCode::Encoding,
                    format!("invalid UTF-8 near byte offset {offset}"),
                    column_name(),
                );
                error.location.byte_offset = Some(offset);
                error
            })?;
            if cell.len() > self.limits.max_field_chars
                && cell.chars().count() > self.limits.max_field_chars
            {
                return Err(located(
                    ErrorCode::Limit,
                    format!(
                        "value longer than the field limit of {} characters",
                        self.limits.max_field_chars
                    ),
                    column_name(),
                ));
            }
            match columns.get(i).copied().flatten() {
                Some(column) => pairs.push((column, cell)),
                None if cell.is_empty() => {}
                None => {
                    return Err(located(
                        ErrorCode::Structure,
                        format!(
                            "column \"{}\" does not apply to {kind} messages",
                            column_name().unwrap_or_default()
                        ),
                        column_name(),
                    ))
                }
            }
        }
        let layout = csv_format::layout(kind);
        let value = layout
            .decode_row(pairs.into_iter())
            .map_err(|(column, reason)| located(ErrorCode::Structure, reason, Some(column)))?;
        let site = site(index, line, None, FieldAnchor::CsvColumns(layout));
        let message =
            crate::format::message_from_value(value).map_err(|issue| site.locate(&issue))?;
        Ok(Decoded { message, site })
    }
}

impl<R: std::io::Read> Iterator for CsvDecoder<R> {
    type Item = Result<Decoded, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.header.is_none() {
            match self.read_header() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {
                    if self.record.iter().all(|f| f.is_empty()) {
                        continue;
                    }
                    let result = self.decode_row();
                    self.index += 1;
                    return Some(result);
                }
                Err(e) => {
                    let mut error = self.csv_error(&e);
                    error.location.record = Some(self.index + 1);
                    self.index += 1;
                    if error.fatal {
                        self.done = true;
                    }
                    return Some(Err(error));
                }
            }
        }
    }
}

struct CsvEncoder<W: Write> {
    writer: csv::Writer<W>,
    layout: Option<&'static CsvLayout>,
    formulas: FormulaPolicy,
}

impl<W: Write> MessageEncoder for CsvEncoder<W> {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        let kind = message.kind();
        let layout = match self.layout {
            Some(layout) if layout.kind == kind => layout,
            Some(layout) => {
                return Err(EncodeError::Unsupported {
                    kind: kind.to_string(),
                    format: "iarms-csv".to_string(),
                    reason: format!(
                        "a CSV file holds one message kind and this one holds {}",
                        layout.kind
                    ),
                })
            }
            None => {
                let layout = csv_format::layout(kind);
                self.writer
                    .write_record(layout.header())
                    .map_err(csv_to_encode)?;
                self.layout = Some(layout);
                layout
            }
        };
        let value =
            serde_json::to_value(message).map_err(|e| EncodeError::Invalid(e.to_string()))?;
        let cells = layout.encode_row(&value, self.formulas)?;
        self.writer
            .write_record(std::iter::once(kind.tag()).chain(cells.iter().map(String::as_str)))
            .map_err(csv_to_encode)
    }

    fn finish(&mut self) -> Result<(), EncodeError> {
        self.writer.flush()?;
        Ok(())
    }
}

fn csv_to_encode(e: csv::Error) -> EncodeError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => EncodeError::Io(io),
        other => EncodeError::Invalid(format!("{other:?}")),
    }
}
