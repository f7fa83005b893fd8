//! CSV sources: reading rows (any encoding, any delimiter, header row or
//! column positions) and writing them back.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{BufRead, Read, Write};
use std::rc::Rc;
use std::sync::Arc;

use super::check::{CsvSpec, Input, Mapping};
use super::engine::{self, NativeBuilder, NativeKind, NativeRecord};
use super::paths::SourcePath;
use super::text_encoding::{bom, can_encode, decoding_reader, EncodingWriter};
use crate::adapter::{Decoded, FieldAnchor, RecordSite};
use crate::codes::fold_key;
use crate::error::{EncodeError, ErrorCode, Location, RecordError};
use crate::format::csv::{guard_formula, unguard_formula, FormulaPolicy};
use crate::framing::csv_lines::{LineBreaks, TrackLines};
use crate::limits::Limits;
use crate::model::Message;

/// One row as the engine sees it.
struct Row<'r> {
    record: &'r csv::ByteRecord,
    positions: &'r [Option<usize>],
    /// Strip the `'` a formula-escaping writer put before a formula.
    formula_escape: bool,
}

impl NativeRecord for Row<'_> {
    fn text(
        &self,
        path: &SourcePath,
        _item: Option<usize>,
    ) -> Result<Option<Cow<'_, str>>, String> {
        let SourcePath::Column(column) = path else {
            return Ok(None);
        };
        let Some(position) = self.positions.get(column.id).copied().flatten() else {
            return Ok(None);
        };
        match self.record.get(position) {
            Some(raw) => std::str::from_utf8(raw)
                .map(|s| {
                    Some(Cow::Borrowed(if self.formula_escape {
                        unguard_formula(s)
                    } else {
                        s
                    }))
                })
                .map_err(|_| {
                    "invalid UTF-8; declare the file's encoding in [source] encoding".to_string()
                }),
            None => Ok(None),
        }
    }

    fn count(&self, _path: &SourcePath) -> Result<usize, String> {
        Ok(0)
    }
}

pub struct CsvDecoder<'a> {
    mapping: Arc<Mapping>,
    reader: csv::Reader<TrackLines<Box<dyn Read + 'a>>>,
    breaks: Rc<RefCell<LineBreaks>>,
    /// The current row's first line.
    line: u64,
    record: csv::ByteRecord,
    header: bool,
    /// Column id -> position in the row.
    positions: Vec<Option<usize>>,
    /// Names of the row's columns by position.
    names: Vec<String>,
    /// Column ids that decoding rules read.
    used: Vec<bool>,
    limits: Limits,
    formula_escape: bool,
    index: u64,
    started: bool,
    done: bool,
}

pub fn decoder<'a>(
    mapping: Arc<Mapping>,
    spec: &CsvSpec,
    input: Box<dyn BufRead + 'a>,
    limits: Limits,
) -> Result<CsvDecoder<'a>, RecordError> {
    let text = decoding_reader(input, spec.encoding).map_err(|e| RecordError::io(&e))?;
    let mut builder = csv::ReaderBuilder::new();
    builder
        .delimiter(spec.delimiter)
        .has_headers(false)
        .flexible(true)
        .comment(spec.comment);
    match spec.quote {
        Some(q) => builder.quote(q),
        None => builder.quoting(false),
    };
    let mut used = vec![false; mapping.columns.len()];
    for rule in mapping.rules.iter().filter(|r| r.decode) {
        let paths: Vec<&SourcePath> = match &rule.input {
            Input::From(p) => vec![p],
            Input::Concat(parts, _) => parts.iter().collect(),
            Input::Const(_) => vec![],
        };
        for path in paths.into_iter().chain(rule.unit_from.iter()) {
            if let SourcePath::Column(c) = path {
                if let Some(u) = used.get_mut(c.id) {
                    *u = true;
                }
            }
        }
    }
    let (positions, names) = if spec.header {
        (Vec::new(), Vec::new())
    } else {
        (
            (0..mapping.columns.len()).map(Some).collect(),
            mapping.columns.clone(),
        )
    };
    let breaks = Rc::new(RefCell::new(LineBreaks::default()));
    let tracked = TrackLines::new(text, Rc::clone(&breaks));
    Ok(CsvDecoder {
        reader: builder.from_reader(tracked),
        breaks,
        line: 0,
        mapping,
        record: csv::ByteRecord::new(),
        header: spec.header,
        positions,
        names,
        used,
        limits,
        formula_escape: spec.formula_escape,
        index: 0,
        started: !spec.header,
        done: false,
    })
}

impl CsvDecoder<'_> {
    fn csv_error(&self, e: &csv::Error) -> RecordError {
        let mut location = Location::default();
        if let Some(position) = e.position() {
            location.line = Some(position.line());
            location.byte_offset = Some(position.byte());
        }
        match e.kind() {
            csv::ErrorKind::Io(io) => RecordError::io(io).at(location),
            _ => RecordError::new(ErrorCode::Syntax, e.to_string()).at(location),
        }
    }

    fn line(&self) -> u64 {
        self.line
    }

    /// Finds the true first line of the row just read.
    fn locate_row(&mut self) {
        self.line = match self.record.position() {
            Some(p) => self.breaks.borrow_mut().line_at(p.byte()),
            None => 0,
        };
    }

    /// Reads the header row and finds every column the rules read.
    fn read_header(&mut self) -> Result<bool, RecordError> {
        loop {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| self.csv_error(&e).fatal())?;
            if !more {
                return Ok(false);
            }
            if !self.record.iter().all(<[u8]>::is_empty) {
                break;
            }
        }
        self.locate_row();
        let line = self.line();
        let fatal = |code, reason: String| {
            RecordError::new(code, reason)
                .at(Location {
                    line: Some(line),
                    ..Location::default()
                })
                .fatal()
        };
        if self.record.len() > self.limits.max_columns {
            return Err(fatal(
                ErrorCode::Limit,
                format!(
                    "header has {} columns; the limit is {}",
                    self.record.len(),
                    self.limits.max_columns
                ),
            ));
        }
        let mut names = Vec::with_capacity(self.record.len());
        for (i, raw) in self.record.iter().enumerate() {
            let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
            let name = std::str::from_utf8(raw).map_err(|_| {
                fatal(
                    ErrorCode::Encoding,
                    format!("header column {} is not valid UTF-8; declare the file's encoding in the mapping's [source] encoding", i + 1),
                )
            })?;
            names.push(name.trim().to_string());
        }
        let folded: Vec<String> = names.iter().map(|n| fold_key(n)).collect();
        let mut positions = Vec::with_capacity(self.mapping.columns.len());
        let mut missing = Vec::new();
        for (id, column) in self.mapping.columns.iter().enumerate() {
            let position = names.iter().position(|n| n == column).or_else(|| {
                let key = fold_key(column);
                folded.iter().position(|n| *n == key)
            });
            if position.is_none() && self.used.get(id).copied().unwrap_or(false) {
                missing.push(format!("\"{column}\""));
            }
            positions.push(position);
        }
        if !missing.is_empty() {
            return Err(fatal(
                ErrorCode::Structure,
                format!(
                    "the header has no column {} that mapping {} reads (the header has: {})",
                    missing.join(", "),
                    self.mapping.name,
                    names.join(", ")
                ),
            ));
        }
        self.positions = positions;
        self.names = names;
        Ok(true)
    }

    fn decode_row(&self) -> Result<Decoded, RecordError> {
        let index = self.index;
        let line = self.line();
        let location = |column: Option<String>| Location {
            record: Some(index + 1),
            line: Some(line),
            csv_column: column,
            ..Location::default()
        };
        let width = self.names.len();
        if self.record.len() != width {
            return Err(RecordError::new(
                ErrorCode::Syntax,
                format!(
                    "row has {} fields but the {} has {width}",
                    self.record.len(),
                    if self.header {
                        "header"
                    } else {
                        "mapping's columns list"
                    }
                ),
            )
            .at(location(None)));
        }
        if self.record.as_slice().len() > self.limits.max_record_bytes {
            return Err(RecordError::new(
                ErrorCode::Limit,
                format!(
                    "row of {} bytes exceeds the limit of {} bytes",
                    self.record.as_slice().len(),
                    self.limits.max_record_bytes
                ),
            )
            .at(location(None)));
        }
        if std::str::from_utf8(self.record.as_slice()).is_err()
            || !self.record.as_slice().is_ascii()
        {
            for (i, raw) in self.record.iter().enumerate() {
                let column = || self.names.get(i).cloned();
                match std::str::from_utf8(raw) {
                    Err(e) => {
                        return Err(RecordError::new(
                            ErrorCode::Encoding,
                            format!(
                                "invalid UTF-8 at byte {} of the value; declare the file's encoding in the mapping's [source] encoding",
                                e.valid_up_to() + 1
                            ),
                        )
                        .at(location(column())))
                    }
                    Ok(s) if s.len() > self.limits.max_field_chars && s.chars().count() > self.limits.max_field_chars => {
                        return Err(RecordError::new(
                            ErrorCode::Limit,
                            format!("value longer than the field limit of {} characters", self.limits.max_field_chars),
                        )
                        .at(location(column())))
                    }
                    Ok(_) => {}
                }
            }
        } else if let Some(i) = self
            .record
            .iter()
            .position(|f| f.len() > self.limits.max_field_chars)
        {
            return Err(RecordError::new(
                ErrorCode::Limit,
                format!(
                    "value longer than the field limit of {} characters",
                    self.limits.max_field_chars
                ),
            )
            .at(location(self.names.get(i).cloned())));
        }
        let row = Row {
            record: &self.record,
            positions: &self.positions,
            formula_escape: self.formula_escape,
        };
        let value = engine::decode(&self.mapping, &row).map_err(|e| {
            RecordError::new(e.code, e.reason)
                .with_field(e.field)
                .at(location(e.native))
        })?;
        let site = RecordSite {
            location: location(None),
            anchor: FieldAnchor::Native(self.mapping.namer.clone()),
        };
        let message =
            crate::format::message_from_value(value).map_err(|issue| site.locate(&issue))?;
        Ok(Decoded { message, site })
    }
}

impl Iterator for CsvDecoder<'_> {
    type Item = Result<Decoded, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if !self.started {
            self.started = true;
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
                    if self.record.iter().all(<[u8]>::is_empty) {
                        continue;
                    }
                    self.locate_row();
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

/// Where encoded bytes go: straight out (UTF-8) or through a transcoder.
enum Sink<'a> {
    Plain(Box<dyn Write + 'a>),
    Encoded(EncodingWriter<Box<dyn Write + 'a>>),
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Encoded(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Encoded(w) => w.flush(),
        }
    }
}

struct Cells {
    values: Vec<String>,
    set: Vec<bool>,
}

impl NativeBuilder for Cells {
    fn set(&mut self, path: &SourcePath, _item: Option<usize>, text: String, _kind: NativeKind) {
        if let SourcePath::Column(c) = path {
            if let (Some(value), Some(set)) = (self.values.get_mut(c.id), self.set.get_mut(c.id)) {
                *value = text;
                *set = true;
            }
        }
    }

    fn has(&self, path: &SourcePath, _item: Option<usize>) -> bool {
        match path {
            SourcePath::Column(c) => self.set.get(c.id).copied().unwrap_or(false),
            _ => false,
        }
    }
}

pub struct CsvEncoder<'a> {
    mapping: Arc<Mapping>,
    spec: CsvSpec,
    /// Taken by `finish` to close the transcoder.
    writer: Option<csv::Writer<Sink<'a>>>,
    cells: Cells,
    started: bool,
}

pub fn encoder<'a>(
    mapping: Arc<Mapping>,
    spec: &CsvSpec,
    mut output: Box<dyn Write + 'a>,
) -> Result<CsvEncoder<'a>, EncodeError> {
    if spec.bom {
        output.write_all(bom(spec.encoding))?;
    }
    let sink = if spec.encoding == encoding_rs::UTF_8 {
        Sink::Plain(output)
    } else {
        Sink::Encoded(EncodingWriter::new(output, spec.encoding))
    };
    let mut builder = csv::WriterBuilder::new();
    builder.delimiter(spec.delimiter).terminator(if spec.crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    });
    match spec.quote {
        Some(q) => builder.quote(q),
        None => builder.quote_style(csv::QuoteStyle::Never),
    };
    let width = mapping.columns.len();
    Ok(CsvEncoder {
        writer: Some(builder.from_writer(sink)),
        mapping,
        spec: spec.clone(),
        cells: Cells {
            values: vec![String::new(); width],
            set: vec![false; width],
        },
        started: false,
    })
}

fn csv_to_encode(e: csv::Error) -> EncodeError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => EncodeError::Io(io),
        other => EncodeError::Invalid(format!("{other:?}")),
    }
}

fn finished() -> EncodeError {
    EncodeError::Invalid("the CSV output is already finished".to_string())
}

impl CsvEncoder<'_> {
    fn start(&mut self) -> Result<(), EncodeError> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        if self.spec.header {
            self.writer
                .as_mut()
                .ok_or_else(finished)?
                .write_record(self.mapping.columns.iter())
                .map_err(csv_to_encode)?;
        }
        Ok(())
    }
}

impl crate::adapter::MessageEncoder for CsvEncoder<'_> {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        self.start()?;
        super::adapter::check_kind(&self.mapping, message)?;
        let value =
            serde_json::to_value(message).map_err(|e| EncodeError::Invalid(e.to_string()))?;
        for (value, set) in self.cells.values.iter_mut().zip(self.cells.set.iter_mut()) {
            value.clear();
            *set = false;
        }
        engine::encode(&self.mapping, &value, &mut self.cells)?;
        let formulas = if self.spec.formula_escape {
            FormulaPolicy::Escape
        } else {
            FormulaPolicy::Keep
        };
        for cell in &mut self.cells.values {
            *cell = guard_formula(std::mem::take(cell), formulas);
        }
        for (i, cell) in self.cells.values.iter().enumerate() {
            let column = self
                .mapping
                .columns
                .get(i)
                .map(String::as_str)
                .unwrap_or_default();
            if !can_encode(self.spec.encoding, cell) {
                return Err(EncodeError::Invalid(format!(
                    "column \"{column}\": \"{cell}\" cannot be written in {}",
                    self.spec.encoding.name()
                )));
            }
            if self.spec.quote.is_none()
                && (cell.as_bytes().contains(&self.spec.delimiter) || cell.contains('\n'))
            {
                return Err(EncodeError::Invalid(format!(
                    "column \"{column}\": \"{cell}\" contains the delimiter or a line break and the format has no quoting"
                )));
            }
        }
        self.writer
            .as_mut()
            .ok_or_else(finished)?
            .write_record(self.cells.values.iter())
            .map_err(csv_to_encode)
    }

    fn finish(&mut self) -> Result<(), EncodeError> {
        self.start()?;
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        match writer
            .into_inner()
            .map_err(|e| EncodeError::Io(e.into_error()))?
        {
            Sink::Encoded(mut w) => w.finish()?,
            Sink::Plain(mut w) => w.flush()?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &str) -> Vec<u64> {
        let breaks = Rc::new(RefCell::new(LineBreaks::default()));
        let tracked = TrackLines::new(input.as_bytes(), Rc::clone(&breaks));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(tracked);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap_or(false) {
            let offset = record.position().map_or(0, |p| p.byte());
            out.push(breaks.borrow_mut().line_at(offset));
        }
        out
    }

    /// registry-rs with `formula_escape` set as given (None: the file as shipped).
    fn registry_rs(formula_escape: Option<bool>) -> super::super::MappingAdapter {
        let text = include_str!("../../../mappings/registry-rs.toml");
        let text = match formula_escape {
            Some(on) => text.replacen(
                "[source]\n",
                &format!("[source]\nformula_escape = {on}\n"),
                1,
            ),
            None => text.to_string(),
        };
        match super::super::compile("registry-rs.toml", &text) {
            Ok(mapping) => super::super::MappingAdapter::new(mapping),
            Err(issues) => panic!("{issues:?}"),
        }
    }

    fn export(adapter: &dyn crate::Adapter, options: crate::EncodeOptions) -> String {
        let input = include_bytes!("../../../tests/data/native/registry-rs-export.csv");
        let mut messages: Vec<Message> = adapter
            .decode(Box::new(&input[..]), Limits::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|d| d.ok().map(|d| d.message))
            .take(1)
            .collect();
        if let Some(firearm) = messages[0].firearm_mut() {
            firearm.make = Some("=HYPERLINK(\"http://x.invalid\")".to_string());
            firearm.model = Some("-12.5".to_string());
        }
        let mut out = Vec::new();
        {
            let mut encoder = adapter
                .encoder_with(Box::new(&mut out), options)
                .unwrap_or_else(|e| panic!("{e}"));
            for m in &messages {
                encoder.write(m).unwrap_or_else(|e| panic!("{e}"));
            }
            encoder.finish().unwrap_or_else(|e| panic!("{e}"));
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn formulas_are_escaped_by_default_kept_on_request_and_read_back() {
        use crate::format::csv::FormulaPolicy;
        use crate::Adapter;
        let shipped = registry_rs(None);
        let escaped = export(&shipped, crate::EncodeOptions::default());
        assert!(escaped.contains("\"'=HYPERLINK("), "{escaped}");
        assert!(
            escaped.contains(";-12.5;"),
            "a plain number is no formula: {escaped}"
        );
        let back: Vec<Message> = shipped
            .decode(Box::new(escaped.as_bytes()), Limits::default())
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|d| d.ok().map(|d| d.message))
            .collect();
        let make = back
            .first()
            .cloned()
            .and_then(|mut m| m.firearm_mut().and_then(|f| f.make.clone()));
        assert_eq!(make.as_deref(), Some("=HYPERLINK(\"http://x.invalid\")"));

        let off = registry_rs(Some(false));
        let kept = export(&off, crate::EncodeOptions::default());
        assert!(kept.contains("\"=HYPERLINK("), "{kept}");
        let forced = export(
            &off,
            crate::EncodeOptions {
                csv_formulas: Some(FormulaPolicy::Escape),
            },
        );
        assert!(forced.contains("\"'=HYPERLINK("), "{forced}");
        let on_request = export(
            &shipped,
            crate::EncodeOptions {
                csv_formulas: Some(FormulaPolicy::Keep),
            },
        );
        assert!(on_request.contains("\"=HYPERLINK("), "{on_request}");
        assert_eq!(registry_rs(Some(true)).description(), shipped.description());
    }

    #[test]
    fn rows_get_their_true_first_line_with_crlf_blank_lines_and_multiline_values() {
        assert_eq!(lines("h\na\nb\n"), [1, 2, 3]);
        assert_eq!(lines("h\r\na\r\nb\r\n"), [1, 2, 3]);
        assert_eq!(lines("\r\nh\r\n\r\n\r\na,\"1\r\n2\"\r\nb\r\n"), [2, 5, 7]);
    }
}
