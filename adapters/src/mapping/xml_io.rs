//! XML sources: record elements at a path from the root, read one at a time
//! by [`XmlElementFramer`]; namespaces are matched by URI through the
//! mapping's own prefixes, not the document's. Writing produces the same shape:
//! root element with namespace declarations and root attributes, one record
//! element per message.

use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::sync::Arc;

use super::check::{Mapping, XmlSpec};
use super::engine::{self, NativeBuilder, NativeKind, NativeRecord};
use super::paths::{Select, SourcePath, XmlName, XmlPath};
use crate::adapter::{Decoded, FieldAnchor, RecordSite};
use crate::error::{EncodeError, ErrorCode, Location, RecordError};
use crate::framing::xml_elements::XmlAttribute;
use crate::framing::{XmlElement, XmlElementFramer};
use crate::limits::Limits;
use crate::model::Message;

struct XmlRecord<'r> {
    element: &'r XmlElement,
    root_attributes: &'r [XmlAttribute],
}

/// The `n`-th (0-based) child element with this name.
fn nth_child<'e>(element: &'e XmlElement, name: &XmlName, n: usize) -> Option<&'e XmlElement> {
    element
        .elements()
        .filter(|e| name.matches(e.namespace.as_deref(), &e.name))
        .nth(n)
}

fn count_children(element: &XmlElement, name: &XmlName) -> usize {
    element
        .elements()
        .filter(|e| name.matches(e.namespace.as_deref(), &e.name))
        .count()
}

/// The element a path's steps lead to.
fn find<'e>(
    element: &'e XmlElement,
    path: &XmlPath,
    item: Option<usize>,
) -> Option<&'e XmlElement> {
    let mut current = element;
    for step in &path.steps {
        current = match step.select {
            Select::First => nth_child(current, &step.name, 0)?,
            Select::Each => nth_child(current, &step.name, item?)?,
            Select::Nth(n) => nth_child(current, &step.name, n.checked_sub(1)?)?,
        };
    }
    Some(current)
}

fn attribute<'e>(attributes: &'e [XmlAttribute], name: &XmlName) -> Option<&'e str> {
    attributes
        .iter()
        .find(|a| name.matches(a.namespace.as_deref(), &a.name))
        .map(|a| a.value.as_str())
}

impl NativeRecord for XmlRecord<'_> {
    fn text(&self, path: &SourcePath, item: Option<usize>) -> Result<Option<Cow<'_, str>>, String> {
        let SourcePath::Xml(path) = path else {
            return Ok(None);
        };
        if path.absolute {
            return Ok(path
                .attribute
                .as_ref()
                .and_then(|a| attribute(self.root_attributes, a))
                .map(Cow::Borrowed));
        }
        let Some(element) = find(self.element, path, item) else {
            return Ok(None);
        };
        match &path.attribute {
            Some(name) => Ok(attribute(&element.attributes, name).map(Cow::Borrowed)),
            None => {
                let text = element.text();
                if text.is_empty() && element.elements().next().is_some() {
                    return Err("expected text, found child elements".to_string());
                }
                Ok(Some(Cow::Owned(text)))
            }
        }
    }

    fn count(&self, path: &SourcePath) -> Result<usize, String> {
        let SourcePath::Xml(path) = path else {
            return Ok(0);
        };
        let mut current = self.element;
        for step in &path.steps {
            match step.select {
                Select::Each => return Ok(count_children(current, &step.name)),
                Select::First => match nth_child(current, &step.name, 0) {
                    Some(e) => current = e,
                    None => return Ok(0),
                },
                Select::Nth(n) => match nth_child(current, &step.name, n.saturating_sub(1)) {
                    Some(e) => current = e,
                    None => return Ok(0),
                },
            }
        }
        Ok(0)
    }

    fn line(&self, path: &SourcePath, item: Option<usize>) -> Option<u64> {
        let SourcePath::Xml(path) = path else {
            return None;
        };
        if path.absolute {
            return None;
        }
        find(self.element, path, item).map(|e| e.line)
    }
}

pub fn decoder<'a>(
    mapping: Arc<Mapping>,
    spec: &XmlSpec,
    input: Box<dyn BufRead + 'a>,
    limits: Limits,
) -> impl Iterator<Item = Result<Decoded, RecordError>> + 'a {
    let steps = spec.records.clone();
    let depth = steps.len().saturating_sub(1);
    let mut framer = XmlElementFramer::new(input, depth, limits);
    let record_base = format!(
        "/{}",
        steps
            .iter()
            .map(|s| s.prefixed.as_str())
            .collect::<Vec<_>>()
            .join("/")
    );
    let mut root_attributes: Option<Vec<XmlAttribute>> = None;
    let mut stopped = false;
    let mut count = 0u64;
    std::iter::from_fn(move || loop {
        if stopped {
            return None;
        }
        let next = framer.next();
        if root_attributes.is_none() {
            if let Some(root) = framer.root() {
                let expected = steps.first();
                if !expected.is_some_and(|e| e.matches(root.namespace.as_deref(), &root.name)) {
                    stopped = true;
                    let expected = expected
                        .map(|e| {
                            format!(
                                "<{}> in namespace {}",
                                e.prefixed,
                                e.namespace.as_deref().unwrap_or("(none)")
                            )
                        })
                        .unwrap_or_default();
                    return Some(Err(RecordError::new(
                        ErrorCode::Structure,
                        format!(
                            "the root element is <{}> in namespace {}; mapping {} expects {expected}",
                            root.name,
                            root.namespace.as_deref().unwrap_or("(none)"),
                            mapping.name
                        ),
                    )
                    .at(Location {
                        line: Some(root.line),
                        ..Location::default()
                    })
                    .fatal()));
                }
                root_attributes = Some(root.attributes.clone());
            }
        }
        let frame = match next? {
            Ok(frame) => frame,
            Err(e) => {
                if e.fatal {
                    stopped = true;
                }
                return Some(Err(e));
            }
        };
        let record_step = steps.last()?;
        if !record_step.matches(frame.element.namespace.as_deref(), &frame.element.name) {
            continue;
        }
        if steps.len() > 2 {
            // Intermediate elements between the root and the records: compare local names.
            let ancestors: Vec<&str> = frame
                .path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(|s| s.split('[').next().unwrap_or(s))
                .collect();
            let expected: Vec<&str> = steps.iter().map(|s| s.local.as_str()).collect();
            if ancestors != expected {
                continue;
            }
        }
        count += 1;
        let path = format!("{record_base}[{count}]");
        let location = Location {
            record: Some(count),
            line: Some(frame.element.line),
            xml_path: Some(path.clone()),
            ..Location::default()
        };
        let attributes = root_attributes.as_deref().unwrap_or_default();
        let native = XmlRecord {
            element: &frame.element,
            root_attributes: attributes,
        };
        let result = engine::decode(&mapping, &native)
            .map_err(|e| {
                let mut location = location.clone();
                location.xml_path = Some(match e.native {
                    Some(n) if n.starts_with('/') => n,
                    Some(n) if n == "." => path.clone(),
                    Some(n) => format!("{path}/{n}"),
                    None => path.clone(),
                });
                if let Some(line) = e.line {
                    location.line = Some(line);
                }
                RecordError::new(e.code, e.reason)
                    .with_field(e.field)
                    .at(location)
            })
            .and_then(|value| {
                let site = RecordSite {
                    location: location.clone(),
                    anchor: FieldAnchor::Native(mapping.namer.clone()),
                };
                let message = crate::format::message_from_value(value)
                    .map_err(|issue| site.locate(&issue))?;
                Ok(Decoded { message, site })
            });
        return Some(result);
    })
}

/// An element being written.
#[derive(Debug, Default)]
struct OutElement {
    name: String,
    attributes: Vec<(String, String)>,
    text: Option<String>,
    children: Vec<OutElement>,
}

impl OutElement {
    fn named(name: &str) -> OutElement {
        OutElement {
            name: name.to_string(),
            ..OutElement::default()
        }
    }

    /// The child a step selects, created when asked.
    fn child(&mut self, name: &str, position: usize, create: bool) -> Option<&mut OutElement> {
        let mut seen = 0;
        let mut index = None;
        for (i, c) in self.children.iter().enumerate() {
            if c.name == name {
                if seen == position {
                    index = Some(i);
                    break;
                }
                seen += 1;
            }
        }
        if index.is_none() && create {
            for _ in seen..=position {
                self.children.push(OutElement::named(name));
            }
            index = Some(self.children.len() - 1);
        }
        self.children.get_mut(index?)
    }

    fn walk(
        &mut self,
        path: &XmlPath,
        item: Option<usize>,
        create: bool,
    ) -> Option<&mut OutElement> {
        let mut current = self;
        for step in &path.steps {
            let position = match step.select {
                Select::First => 0,
                Select::Each => item.unwrap_or(0),
                Select::Nth(n) => n.saturating_sub(1),
            };
            current = current.child(&step.name.prefixed, position, create)?;
        }
        Some(current)
    }

    fn write(&self, out: &mut String, depth: usize) -> Result<(), EncodeError> {
        for _ in 0..depth {
            out.push_str("  ");
        }
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attributes {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            escape(value, out, true)?;
            out.push('"');
        }
        match (&self.text, self.children.is_empty()) {
            (None, true) => out.push_str("/>\n"),
            (Some(text), true) => {
                out.push('>');
                escape(text, out, false)?;
                out.push_str("</");
                out.push_str(&self.name);
                out.push_str(">\n");
            }
            (text, false) => {
                out.push('>');
                if let Some(text) = text {
                    escape(text, out, false)?;
                }
                out.push('\n');
                for child in &self.children {
                    child.write(out, depth + 1)?;
                }
                for _ in 0..depth {
                    out.push_str("  ");
                }
                out.push_str("</");
                out.push_str(&self.name);
                out.push_str(">\n");
            }
        }
        Ok(())
    }
}

fn escape(text: &str, out: &mut String, attribute: bool) -> Result<(), EncodeError> {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                return Err(EncodeError::Invalid(format!(
                    "control character U+{:04X} cannot be written in XML",
                    c as u32
                )))
            }
            c => out.push(c),
        }
    }
    Ok(())
}

struct XmlOut {
    record: OutElement,
    root_attributes: Vec<(String, String)>,
}

impl NativeBuilder for XmlOut {
    fn set(&mut self, path: &SourcePath, item: Option<usize>, text: String, _kind: NativeKind) {
        let SourcePath::Xml(path) = path else { return };
        if path.absolute {
            if let Some(name) = &path.attribute {
                self.root_attributes.push((name.prefixed.clone(), text));
            }
            return;
        }
        let Some(element) = self.record.walk(path, item, true) else {
            return;
        };
        match &path.attribute {
            Some(name) => match element
                .attributes
                .iter_mut()
                .find(|(n, _)| *n == name.prefixed)
            {
                Some(slot) => slot.1 = text,
                None => element.attributes.push((name.prefixed.clone(), text)),
            },
            None => element.text = Some(text),
        }
    }

    fn has(&self, path: &SourcePath, item: Option<usize>) -> bool {
        let SourcePath::Xml(path) = path else {
            return false;
        };
        if path.absolute {
            return path
                .attribute
                .as_ref()
                .is_some_and(|a| self.root_attributes.iter().any(|(n, _)| *n == a.prefixed));
        }
        // `walk` needs `&mut`; look without creating through a read-only copy of the logic.
        let mut current = &self.record;
        for step in &path.steps {
            let position = match step.select {
                Select::First => 0,
                Select::Each => item.unwrap_or(0),
                Select::Nth(n) => n.saturating_sub(1),
            };
            match current
                .children
                .iter()
                .filter(|c| c.name == step.name.prefixed)
                .nth(position)
            {
                Some(c) => current = c,
                None => return false,
            }
        }
        match &path.attribute {
            Some(name) => current.attributes.iter().any(|(n, _)| *n == name.prefixed),
            None => current.text.is_some(),
        }
    }
}

pub struct XmlEncoder<'a> {
    mapping: Arc<Mapping>,
    spec: XmlSpec,
    out: Box<dyn Write + 'a>,
    root_attributes: Option<Vec<(String, String)>>,
}

pub fn encoder<'a>(
    mapping: Arc<Mapping>,
    spec: &XmlSpec,
    out: Box<dyn Write + 'a>,
) -> XmlEncoder<'a> {
    XmlEncoder {
        mapping,
        spec: spec.clone(),
        out,
        root_attributes: None,
    }
}

impl XmlEncoder<'_> {
    fn start(&mut self, attributes: &[(String, String)]) -> Result<(), EncodeError> {
        let mut text = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
        let root = self
            .spec
            .records
            .first()
            .map(|r| r.prefixed.clone())
            .unwrap_or_default();
        text.push_str(&root);
        let root_prefix = self
            .spec
            .records
            .first()
            .and_then(|r| r.prefix.clone())
            .unwrap_or_default();
        let mut declarations: Vec<(&String, &String)> = self.spec.namespaces.iter().collect();
        declarations.sort_by_key(|(prefix, _)| (**prefix != root_prefix, (*prefix).clone()));
        for (prefix, uri) in declarations {
            if prefix.is_empty() {
                text.push_str(" xmlns=\"");
            } else {
                text.push_str(" xmlns:");
                text.push_str(prefix);
                text.push_str("=\"");
            }
            escape(uri, &mut text, true)?;
            text.push('"');
        }
        for (name, value) in attributes {
            text.push(' ');
            text.push_str(name);
            text.push_str("=\"");
            escape(value, &mut text, true)?;
            text.push('"');
        }
        text.push_str(">\n");
        let middle = self.spec.records.len().saturating_sub(2);
        for (depth, step) in self.spec.records.iter().skip(1).take(middle).enumerate() {
            text.push_str(&"  ".repeat(depth + 1));
            text.push('<');
            text.push_str(&step.prefixed);
            text.push_str(">\n");
        }
        self.out.write_all(text.as_bytes())?;
        self.root_attributes = Some(attributes.to_vec());
        Ok(())
    }
}

impl crate::adapter::MessageEncoder for XmlEncoder<'_> {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        super::adapter::check_kind(&self.mapping, message)?;
        let value =
            serde_json::to_value(message).map_err(|e| EncodeError::Invalid(e.to_string()))?;
        let record_name = self
            .spec
            .records
            .last()
            .map(|r| r.prefixed.as_str())
            .unwrap_or_default();
        let mut out = XmlOut {
            record: OutElement::named(record_name),
            root_attributes: Vec::new(),
        };
        engine::encode(&self.mapping, &value, &mut out)?;
        match &self.root_attributes {
            None => self.start(&out.root_attributes)?,
            Some(written) => {
                if *written != out.root_attributes {
                    return Err(EncodeError::Invalid(format!(
                        "root attributes of this message ({}) differ from the ones already written for the document ({}); write such messages to separate files",
                        render(&out.root_attributes),
                        render(written)
                    )));
                }
            }
        }
        let mut text = String::with_capacity(1024);
        out.record
            .write(&mut text, self.spec.records.len().saturating_sub(1))?;
        self.out.write_all(text.as_bytes())?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), EncodeError> {
        if self.root_attributes.is_none() {
            self.start(&[])?;
        }
        let mut text = String::new();
        let middle = self.spec.records.len().saturating_sub(2);
        for (depth, step) in self
            .spec
            .records
            .iter()
            .skip(1)
            .take(middle)
            .enumerate()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            text.push_str(&"  ".repeat(depth + 1));
            text.push_str("</");
            text.push_str(&step.prefixed);
            text.push_str(">\n");
        }
        if let Some(root) = self.spec.records.first() {
            text.push_str("</");
            text.push_str(&root.prefixed);
            text.push_str(">\n");
        }
        self.out.write_all(text.as_bytes())?;
        self.out.flush()?;
        Ok(())
    }
}

fn render(attributes: &[(String, String)]) -> String {
    attributes
        .iter()
        .map(|(n, v)| format!("{n}=\"{v}\""))
        .collect::<Vec<_>>()
        .join(" ")
}
