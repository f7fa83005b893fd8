//! XML framing: streams a document and hands out one record element at a time
//! as a small owned tree, so memory holds one record whatever the file size.
//!
//! Hostile input is refused here, before any format sees it: a DOCTYPE (the door
//! to entity expansion and external entities) stops the stream; references other
//! than the five predefined entities and character references are rejected;
//! nesting depth, text length, record size, attributes per element and
//! namespace declarations in scope are bounded. Attributes are read without
//! quick-xml's duplicate check, which compares each attribute with every one
//! before it (quadratic: 100,000 attributes took 11 s); a hash set does it in
//! linear time.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::error::{ErrorCode, Location, RecordError};
use crate::limits::Limits;

/// How far past `max_depth` a record may nest before the document is abandoned.
const HARD_DEPTH_FACTOR: usize = 4;

/// An element with its resolved namespace, attributes and content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XmlElement {
    pub namespace: Option<String>,
    pub name: String,
    pub attributes: Vec<XmlAttribute>,
    pub children: Vec<XmlNode>,
    /// Line of the element's start tag.
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlAttribute {
    pub namespace: Option<String>,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlNode {
    Element(XmlElement),
    Text(String),
}

impl XmlElement {
    /// The element's own text (child elements' text excluded), trimmed.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for node in &self.children {
            if let XmlNode::Text(t) = node {
                text.push_str(t);
            }
        }
        text.trim().to_string()
    }

    pub fn elements(&self) -> impl Iterator<Item = &XmlElement> {
        self.children.iter().filter_map(|n| match n {
            XmlNode::Element(e) => Some(e),
            XmlNode::Text(_) => None,
        })
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
}

/// One record element and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlFrame {
    pub element: XmlElement,
    /// 0-based index among the records of the stream.
    pub index: u64,
    /// XPath-like path of the record element, e.g. `/messages/record[3]`.
    pub path: String,
}

/// Counts lines in the bytes quick-xml consumes, so elements get a line number.
struct LineCounter<R> {
    inner: R,
    /// Newlines consumed so far.
    newlines: u64,
}

impl<R: BufRead> std::io::Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = buf.get(..n).unwrap_or_default();
        self.newlines += read.iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let amount = amount.min(buf.len());
            let consumed = buf.get(..amount).unwrap_or(buf);
            self.newlines += consumed.iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.inner.consume(amount);
    }
}

/// Splits a document into the elements at `record_depth` (1 = children of the root).
pub struct XmlElementFramer<R> {
    reader: NsReader<LineCounter<R>>,
    buf: Vec<u8>,
    limits: Limits,
    record_depth: usize,
    /// Open elements from the root down (names only above the record; the record tree below).
    open_names: Vec<String>,
    /// Namespace declarations of each open element, and their sum (those in scope).
    declared: Vec<usize>,
    in_scope: usize,
    stack: Vec<XmlElement>,
    root: Option<XmlElement>,
    record_start_offset: u64,
    record_error: Option<RecordError>,
    index: u64,
    sibling_counts: HashMap<String, u64>,
    current_path: String,
    done: bool,
}

const MAX_DISTINCT_RECORD_NAMES: usize = 64;

impl<R: BufRead> XmlElementFramer<R> {
    pub fn new(reader: R, record_depth: usize, limits: Limits) -> XmlElementFramer<R> {
        let mut reader = NsReader::from_reader(LineCounter {
            inner: reader,
            newlines: 0,
        });
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        XmlElementFramer {
            reader,
            buf: Vec::with_capacity(1024),
            limits,
            record_depth: record_depth.max(1),
            open_names: Vec::new(),
            declared: Vec::new(),
            in_scope: 0,
            stack: Vec::new(),
            root: None,
            record_start_offset: 0,
            record_error: None,
            index: 0,
            sibling_counts: HashMap::new(),
            current_path: String::new(),
            done: false,
        }
    }

    /// The root element (name, namespace and attributes; no children), once read.
    pub fn root(&self) -> Option<&XmlElement> {
        self.root.as_ref()
    }

    fn line(&self) -> u64 {
        self.reader.get_ref().newlines + 1
    }

    fn location(&self) -> Location {
        Location {
            line: Some(self.line()),
            byte_offset: Some(self.reader.buffer_position()),
            xml_path: (!self.current_path.is_empty()).then(|| self.current_path.clone()),
            ..Location::default()
        }
    }

    fn fatal(&self, code: ErrorCode, reason: impl Into<String>) -> RecordError {
        RecordError::new(code, reason).at(self.location()).fatal()
    }

    /// Records a problem inside the current record; the record is rejected when it closes.
    fn record_problem(&mut self, code: ErrorCode, reason: String) {
        if self.record_error.is_none() {
            let mut location = self.location();
            location.record = Some(self.index + 1);
            let path = self.open_names.join("/");
            location.xml_path = Some(format!("/{path}"));
            self.record_error = Some(RecordError::new(code, reason).at(location));
        }
    }

    fn in_record(&self) -> bool {
        self.open_names.len() > self.record_depth
    }

    fn push_text(&mut self, text: &str) {
        if let Some(top) = self.stack.last_mut() {
            let current: usize = top
                .children
                .iter()
                .map(|n| match n {
                    XmlNode::Text(t) => t.len(),
                    XmlNode::Element(_) => 0,
                })
                .sum();
            if current + text.len() > self.limits.max_field_chars * 4 {
                let limit = self.limits.max_field_chars;
                self.record_problem(
                    ErrorCode::Limit,
                    format!("text longer than the field limit of {limit} characters"),
                );
                return;
            }
            match top.children.last_mut() {
                Some(XmlNode::Text(t)) => t.push_str(text),
                _ => top.children.push(XmlNode::Text(text.to_string())),
            }
        }
    }

    fn step(&mut self) -> Result<Option<XmlFrame>, RecordError> {
        loop {
            self.buf.clear();
            let event = self.reader.read_resolved_event_into(&mut self.buf);
            let (resolved, event) = match event {
                Ok((ns, ev)) => (namespace_of(&ns), ev.into_owned()),
                Err(e) => {
                    return Err(RecordError::new(ErrorCode::Syntax, e.to_string())
                        .at(Location {
                            line: Some(self.line()),
                            byte_offset: Some(self.reader.error_position()),
                            ..Location::default()
                        })
                        .fatal())
                }
            };
            match event {
                Event::DocType(_) => {
                    return Err(self.fatal(
                        ErrorCode::Forbidden,
                        "DOCTYPE declarations are refused: they allow entity expansion and external entities",
                    ))
                }
                Event::Decl(decl) => {
                    if let Some(Ok(encoding)) = decl.encoding() {
                        let encoding = String::from_utf8_lossy(&encoding).to_ascii_uppercase();
                        if encoding != "UTF-8" && encoding != "UTF8" {
                            return Err(self.fatal(
                                ErrorCode::Encoding,
                                format!("declared encoding {encoding} is not supported; send UTF-8"),
                            ));
                        }
                    }
                }
                Event::Start(start) => {
                    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                    let mut element = XmlElement {
                        namespace: resolved,
                        name: name.clone(),
                        attributes: Vec::new(),
                        children: Vec::new(),
                        line: self.line(),
                    };
                    // Reported once the element's record has started.
                    let mut overlong_attribute = None;
                    let mut too_many_attributes = None;
                    let mut declarations = 0usize;
                    let mut seen = HashSet::new();
                    for attribute in start.attributes().with_checks(false) {
                        let attribute = match attribute {
                            Ok(a) => a,
                            Err(e) => return Err(self.fatal(ErrorCode::Syntax, e.to_string())),
                        };
                        let key = attribute.key;
                        if !seen.insert(key.as_ref().to_vec()) {
                            return Err(self.fatal(
                                ErrorCode::Syntax,
                                format!(
                                    "attribute {} is repeated on <{name}>",
                                    String::from_utf8_lossy(key.as_ref())
                                ),
                            ));
                        }
                        if key.as_namespace_binding().is_some() {
                            declarations += 1;
                            // quick-xml's resolver already holds them for this
                            // scope, so the document cannot be read on.
                            let limit = self.limits.max_namespace_declarations;
                            if self.in_scope + declarations > limit {
                                return Err(self.fatal(
                                    ErrorCode::Limit,
                                    format!("more than {limit} namespace declarations in scope at <{name}> (max_namespace_declarations); the rest of the document is not read"),
                                ));
                            }
                            continue;
                        }
                        if element.attributes.len() >= self.limits.max_attributes {
                            let limit = self.limits.max_attributes;
                            too_many_attributes = Some(format!(
                                "<{name}> has more than {limit} attributes (max_attributes)"
                            ));
                            // The declarations among the rest are counted still.
                            continue;
                        }
                        let (ns, local) = self.reader.resolve_attribute(key);
                        let namespace = namespace_of(&ns);
                        let local = String::from_utf8_lossy(local.as_ref()).into_owned();
                        let mut value = match attribute.unescape_value() {
                            Ok(v) => v.into_owned(),
                            Err(e) => {
                                self.record_problem(ErrorCode::Forbidden, e.to_string());
                                String::new()
                            }
                        };
                        // Attribute values obey the same field limit as element text.
                        let limit = self.limits.max_field_chars;
                        if value.len() > limit && value.chars().count() > limit {
                            overlong_attribute = Some(format!(
                                "attribute {local} of <{name}> is longer than the field limit of {limit} characters"
                            ));
                            value.clear();
                        }
                        element.attributes.push(XmlAttribute {
                            namespace,
                            name: local,
                            value,
                        });
                    }
                    self.declared.push(declarations);
                    self.in_scope += declarations;
                    let depth = self.open_names.len();
                    if depth == 0 {
                        self.root = Some(element.clone());
                    }
                    if depth == self.record_depth {
                        self.start_record(&name);
                    }
                    self.open_names.push(name);
                    if let Some(reason) = too_many_attributes {
                        if !self.in_record() {
                            return Err(self.fatal(ErrorCode::Limit, reason));
                        }
                        self.record_problem(ErrorCode::Limit, reason);
                    }
                    if let Some(reason) = overlong_attribute {
                        self.record_problem(ErrorCode::Limit, reason);
                    }
                    if self.in_record() {
                        let record_depth = self.open_names.len() - self.record_depth;
                        let limit = self.limits.max_depth;
                        // A little past the limit the record is rejected and the next
                        // one read; far past it the document is abandoned, so that
                        // neither our element stack nor quick-xml's namespace
                        // resolver (whose level counter overflows at 65,536) grows
                        // with the attacker's nesting.
                        if record_depth > limit.saturating_mul(HARD_DEPTH_FACTOR) {
                            return Err(self.fatal(
                                ErrorCode::Limit,
                                format!("nesting deeper than the limit of {limit} levels; the rest of the document is not read"),
                            ));
                        }
                        if record_depth > limit {
                            self.record_problem(
                                ErrorCode::Limit,
                                format!("nesting deeper than the limit of {limit} levels"),
                            );
                        }
                        self.stack.push(element);
                    } else if depth > self.limits.max_depth {
                        return Err(self.fatal(ErrorCode::Limit, "document nesting too deep"));
                    }
                }
                Event::End(_) => {
                    let was_in_record = self.in_record();
                    self.open_names.pop();
                    self.in_scope = self
                        .in_scope
                        .saturating_sub(self.declared.pop().unwrap_or(0));
                    if was_in_record {
                        if let Some(element) = self.stack.pop() {
                            match self.stack.last_mut() {
                                Some(parent) => {
                                    if self.record_error.is_none() {
                                        parent.children.push(XmlNode::Element(element));
                                    }
                                }
                                None => return self.finish_record(element).map(Some),
                            }
                        }
                    }
                }
                Event::Text(text) => {
                    if self.in_record() {
                        match text.xml_content() {
                            Ok(t) => self.push_text(&t),
                            Err(e) => self.record_problem(ErrorCode::Encoding, e.to_string()),
                        }
                    }
                }
                Event::CData(data) => {
                    if self.in_record() {
                        match std::str::from_utf8(&data) {
                            Ok(t) => {
                                let t = t.to_string();
                                self.push_text(&t)
                            }
                            Err(e) => self.record_problem(
                                ErrorCode::Encoding,
                                format!("invalid UTF-8 in CDATA: {e}"),
                            ),
                        }
                    }
                }
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        Ok(None) => reference.decode().ok().and_then(|name| {
                            quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string)
                        }),
                        Err(_) => None,
                    };
                    match resolved {
                        Some(text) => {
                            if self.in_record() {
                                self.push_text(&text)
                            }
                        }
                        None => {
                            let name = String::from_utf8_lossy(&reference).into_owned();
                            let reason = format!(
                                "entity reference &{name}; is refused: only the predefined XML entities and character references are allowed"
                            );
                            if self.in_record() {
                                self.record_problem(ErrorCode::Forbidden, reason);
                            } else {
                                return Err(self.fatal(ErrorCode::Forbidden, reason));
                            }
                        }
                    }
                }
                Event::Comment(_) | Event::PI(_) => {}
                Event::Empty(_) => {
                    // expand_empty_elements turns these into Start + End.
                }
                Event::Eof => {
                    self.done = true;
                    if let Some(open) = self.open_names.last() {
                        return Err(self.fatal(
                            ErrorCode::Syntax,
                            format!("unexpected end of input inside <{open}>"),
                        ));
                    }
                    if self.root.is_none() {
                        return Err(self.fatal(ErrorCode::Syntax, "the document has no root element"));
                    }
                    return Ok(None);
                }
            }
            if self.in_record()
                && self.reader.buffer_position() - self.record_start_offset
                    > self.limits.max_record_bytes as u64
            {
                let limit = self.limits.max_record_bytes;
                self.record_problem(
                    ErrorCode::Limit,
                    format!("record element exceeds the limit of {limit} bytes"),
                );
            }
        }
    }

    fn start_record(&mut self, name: &str) {
        self.record_start_offset = self.reader.buffer_position();
        self.record_error = None;
        let position = if self.sibling_counts.len() < MAX_DISTINCT_RECORD_NAMES
            || self.sibling_counts.contains_key(name)
        {
            let count = self.sibling_counts.entry(name.to_string()).or_insert(0);
            *count += 1;
            format!("{name}[{count}]")
        } else {
            format!("*[{}]", self.index + 1)
        };
        self.current_path = format!("/{}/{position}", self.open_names.join("/"));
    }

    fn finish_record(&mut self, element: XmlElement) -> Result<XmlFrame, RecordError> {
        let index = self.index;
        self.index += 1;
        if let Some(mut error) = self.record_error.take() {
            error.location.record = Some(index + 1);
            return Err(error);
        }
        Ok(XmlFrame {
            element,
            index,
            path: std::mem::take(&mut self.current_path),
        })
    }
}

fn namespace_of(resolved: &ResolveResult<'_>) -> Option<String> {
    match resolved {
        ResolveResult::Bound(ns) => Some(String::from_utf8_lossy(ns.as_ref()).into_owned()),
        _ => None,
    }
}

impl<R: BufRead> Iterator for XmlElementFramer<R> {
    type Item = Result<XmlFrame, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(frame)) => Some(Ok(frame)),
            Ok(None) => None,
            Err(e) => {
                if e.fatal {
                    self.done = true;
                }
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<Result<XmlFrame, RecordError>> {
        XmlElementFramer::new(input.as_bytes(), 1, Limits::default()).collect()
    }

    #[test]
    fn an_overlong_attribute_rejects_its_record_and_the_next_one_is_read() {
        let doc = format!(
            "<m><r id=\"{}\"><a>1</a></r><r id=\"short\"><a>2</a></r></m>",
            "A".repeat(100_000)
        );
        let out = frames(&doc);
        assert_eq!(out.len(), 2, "{out:?}");
        let error = out[0].clone().err().unwrap_or_else(|| panic!("accepted"));
        assert_eq!(error.code, ErrorCode::Limit);
        assert!(
            error.reason.contains("attribute id of <r>")
                && error.reason.contains("field limit of 4096"),
            "{}",
            error.reason
        );
        assert!(out[1].is_ok(), "{:?}", out[1]);
    }

    fn attributes(n: usize, prefix: &str) -> String {
        (0..n).map(|i| format!(" {prefix}{i}=\"v\"")).collect()
    }

    #[test]
    fn a_hundred_thousand_attributes_are_checked_in_linear_time() {
        // quick-xml's own duplicate check took 11 s (release) for this element.
        let doc = format!("<m><r{}><a>1</a></r></m>", attributes(100_000, "a"));
        let limits = Limits {
            max_attributes: 200_000,
            ..Limits::default()
        };
        let started = std::time::Instant::now();
        let out: Vec<_> = XmlElementFramer::new(doc.as_bytes(), 1, limits).collect();
        let took = started.elapsed();
        assert_eq!(out.len(), 1);
        let frame = out[0]
            .clone()
            .ok()
            .unwrap_or_else(|| panic!("{:?}", out[0]));
        assert_eq!(frame.element.attributes.len(), 100_000);
        assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
        // A repeated one among them is still found.
        let doc = format!("<m><r{} a7=\"w\"/></m>", attributes(100_000, "a"));
        let out: Vec<_> = XmlElementFramer::new(doc.as_bytes(), 1, limits).collect();
        let error = out[0].clone().err().unwrap_or_else(|| panic!("accepted"));
        assert_eq!((error.code, error.fatal), (ErrorCode::Syntax, true));
        assert!(error.reason.contains("a7 is repeated"), "{}", error.reason);
    }

    #[test]
    fn too_many_attributes_reject_the_record_and_the_next_one_is_read() {
        let doc = format!(
            "<m><r{}><a>1</a></r><r n=\"2\"><a>2</a></r></m>",
            attributes(100_000, "a")
        );
        let started = std::time::Instant::now();
        let out = frames(&doc);
        assert!(started.elapsed() < std::time::Duration::from_secs(3));
        assert_eq!(out.len(), 2, "{out:?}");
        let error = out[0].clone().err().unwrap_or_else(|| panic!("accepted"));
        assert_eq!(error.code, ErrorCode::Limit);
        assert!(
            error.reason.contains("more than 256 attributes"),
            "{}",
            error.reason
        );
        assert!(out[1].is_ok(), "{:?}", out[1]);
        // On the root there is no record to reject: the document ends.
        let out = frames(&format!("<m{}><r/></m>", attributes(300, "a")));
        assert_eq!(out.len(), 1);
        assert!(out[0].clone().err().is_some_and(|e| e.fatal));
    }

    #[test]
    fn namespace_declarations_in_scope_are_bounded() {
        let declarations = |n: usize, from: usize| -> String {
            (from..from + n)
                .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
                .collect()
        };
        // 40 on the root and 40 on a record: 80 in scope, over 64.
        let doc = format!(
            "<m{}><r{}><a>1</a></r></m>",
            declarations(40, 0),
            declarations(40, 40)
        );
        let out = frames(&doc);
        assert_eq!(out.len(), 1, "{out:?}");
        let error = out[0].clone().err().unwrap_or_else(|| panic!("accepted"));
        assert_eq!((error.code, error.fatal), (ErrorCode::Limit, true));
        assert!(
            error.reason.contains("more than 64 namespace declarations"),
            "{}",
            error.reason
        );
        // Those of a closed element go out of scope.
        let doc = format!(
            "<m{}><r{}/><r{}/></m>",
            declarations(30, 0),
            declarations(30, 30),
            declarations(30, 60)
        );
        let out = frames(&doc);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out.iter().all(Result::is_ok), "{out:?}");
    }

    #[test]
    fn nesting_far_past_the_limit_ends_the_document_without_a_panic() {
        let doc = format!(
            "<m><r>{}{}</r></m>",
            "<a>".repeat(100_000),
            "</a>".repeat(100_000)
        );
        let out = frames(&doc);
        assert_eq!(out.len(), 1, "{out:?}");
        let error = out[0].clone().err().unwrap_or_else(|| panic!("accepted"));
        assert_eq!(error.code, ErrorCode::Limit);
        assert!(error.fatal);
        assert!(
            error.reason.contains("limit of 32 levels"),
            "{}",
            error.reason
        );
    }

    #[test]
    fn yields_children_of_the_root_with_lines_and_paths() {
        let doc = "<?xml version=\"1.0\"?>\n<m:messages xmlns:m=\"urn:x\" version=\"1.0\">\n  <m:record><m:a>1 &amp; 2</m:a></m:record>\n  <m:record><m:a>&#65;</m:a></m:record>\n</m:messages>\n";
        let out = frames(doc);
        assert_eq!(out.len(), 2);
        let first = out[0]
            .clone()
            .ok()
            .unwrap_or_else(|| panic!("{:?}", out[0]));
        assert_eq!(first.element.name, "record");
        assert_eq!(first.element.namespace.as_deref(), Some("urn:x"));
        assert_eq!(first.element.line, 3);
        assert_eq!(first.path, "/messages/record[1]");
        let a = first.element.elements().next().map(XmlElement::text);
        assert_eq!(a.as_deref(), Some("1 & 2"));
        let second = out[1]
            .clone()
            .ok()
            .unwrap_or_else(|| panic!("{:?}", out[1]));
        assert_eq!(second.path, "/messages/record[2]");
        assert_eq!(
            second
                .element
                .elements()
                .next()
                .map(XmlElement::text)
                .as_deref(),
            Some("A")
        );
    }

    #[test]
    fn doctype_is_refused_before_any_record() {
        let doc = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]><messages><record>&lol;</record></messages>";
        let out = frames(doc);
        assert_eq!(out.len(), 1);
        let err = out[0].clone().err().map(|e| (e.code, e.fatal));
        assert_eq!(err, Some((ErrorCode::Forbidden, true)));
    }

    #[test]
    fn undefined_entity_rejects_only_its_record() {
        let doc = "<messages><record><a>&ext;</a></record><record><a>ok</a></record></messages>";
        let out = frames(doc);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].clone().err().map(|e| e.code),
            Some(ErrorCode::Forbidden)
        );
        assert!(out[1].is_ok());
    }

    #[test]
    fn deep_nesting_is_a_limit_error() {
        let depth = 100;
        let doc = format!(
            "<messages><record>{}{}</record><record/></messages>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        let out = frames(&doc);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].clone().err().map(|e| e.code), Some(ErrorCode::Limit));
        assert!(out[1].is_ok());
    }

    #[test]
    fn truncated_document_is_fatal() {
        let out = frames("<messages><record><a>1</a>");
        let last = out.last().cloned().and_then(Result::err);
        assert_eq!(
            last.map(|e| (e.code, e.fatal)),
            Some((ErrorCode::Syntax, true))
        );
    }
}
