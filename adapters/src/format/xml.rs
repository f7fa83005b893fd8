//! Canonical XML (`iarms-xml`): `<messages xmlns="urn:iarms-gateway:canonical:1"
//! version="1.0">` holding one element per message, named by its kind. Fields are
//! child elements in schema order; lists are a wrapper element holding one
//! element per item (`<markings><marking>…</marking></markings>`). The XSD is
//! `adapters/schemas/iarms.xsd`.

use std::io::Write;

use serde_json::{Map, Value};

use super::value::{parse_scalar, scalar_text};
use crate::error::{EncodeError, ErrorCode, Location, RecordError};
use crate::framing::xml_elements::{XmlElement, XmlFrame};
use crate::model::{Message, MessageKind, SCHEMA_VERSION};
use crate::schema::{shape, FieldShape, ObjectShape};

pub const NAMESPACE: &str = "urn:iarms-gateway:canonical:1";
pub const ROOT: &str = "messages";

/// Checks the document root: our namespace, our element, a version we read.
pub fn check_root(root: &XmlElement) -> Result<(), RecordError> {
    check_document_root(root, ROOT, NAMESPACE, format!("/{}", root.name))
}

/// Checks that a document element is `<name>` in `namespace` and carries a
/// `version` of this build's major schema version; `xml_path` locates a refusal.
/// The canonical XML and the NIEM exchange share this rule.
pub fn check_document_root(
    root: &XmlElement,
    name: &str,
    namespace: &str,
    xml_path: String,
) -> Result<(), RecordError> {
    let fail = |reason: String| {
        RecordError::new(ErrorCode::Structure, reason)
            .at(Location {
                line: Some(root.line),
                xml_path: Some(xml_path.clone()),
                ..Location::default()
            })
            .fatal()
    };
    if root.name != name || root.namespace.as_deref() != Some(namespace) {
        return Err(fail(format!(
            "root element must be <{name}> in namespace {namespace}, found <{}> in {}",
            root.name,
            root.namespace.as_deref().unwrap_or("no namespace")
        )));
    }
    match root.attribute("version") {
        Some(v) if v.split('.').next() == SCHEMA_VERSION.split('.').next() => Ok(()),
        Some(v) => Err(fail(format!(
            "document version {v} is not supported (this build reads {SCHEMA_VERSION})"
        ))),
        None => Err(fail("root element has no version attribute".to_string())),
    }
}

/// Reads one record element into a message.
pub fn decode_frame(frame: &XmlFrame) -> Result<Message, RecordError> {
    let element = &frame.element;
    let record = frame.index + 1;
    let locate = |line: u64, path: String, field: Option<String>, code, reason: String| {
        let mut error = RecordError::new(code, reason).at(Location {
            record: Some(record),
            line: Some(line),
            xml_path: Some(path),
            ..Location::default()
        });
        error.field = field;
        error
    };
    let kind = MessageKind::from_tag(&element.name).ok_or_else(|| {
        let known: Vec<&str> = MessageKind::ALL.iter().map(|k| k.tag()).collect();
        locate(
            element.line,
            frame.path.clone(),
            None,
            ErrorCode::Structure,
            format!(
                "unknown message element <{}> (expected one of: {})",
                element.name,
                known.join(", ")
            ),
        )
    })?;
    let mut fields = Vec::new();
    let mut object = element_to_object(element, shape::of(kind), &frame.path, &mut fields)
        .map_err(|e| locate(e.line, e.path, Some(e.field), e.code, e.reason))?;
    object.insert("kind".to_string(), Value::from(kind.tag()));
    super::message_from_value(Value::Object(object)).map_err(|issue| {
        locate(
            element.line,
            format!("{}/{}", frame.path, issue.field.replace('.', "/")),
            (!issue.field.is_empty()).then_some(issue.field),
            issue.code,
            issue.reason,
        )
    })
}

struct ElementError {
    line: u64,
    path: String,
    field: String,
    code: ErrorCode,
    reason: String,
}

fn element_to_object(
    element: &XmlElement,
    shape: &ObjectShape,
    path: &str,
    fields: &mut Vec<String>,
) -> Result<Map<String, Value>, ElementError> {
    let mut object = Map::new();
    for child in element.elements() {
        let child_path = format!("{path}/{}", child.name);
        fields.push(child.name.clone());
        let fail = |code, reason: String| ElementError {
            line: child.line,
            path: child_path.clone(),
            field: fields.join("."),
            code,
            reason,
        };
        if child.namespace.as_deref() != Some(NAMESPACE) {
            return Err(fail(
                ErrorCode::Structure,
                format!("element <{}> is not in namespace {NAMESPACE}", child.name),
            ));
        }
        let Some(field_shape) = shape.field(&child.name) else {
            let known: Vec<&str> = shape.fields.iter().map(|(n, _)| n.as_str()).collect();
            return Err(fail(
                ErrorCode::Structure,
                format!(
                    "unknown element <{}> (expected one of: {})",
                    child.name,
                    known.join(", ")
                ),
            ));
        };
        if object.contains_key(&child.name) {
            return Err(fail(
                ErrorCode::Structure,
                format!("element <{}> appears more than once", child.name),
            ));
        }
        let value = element_value(child, field_shape, &child_path, fields)?;
        object.insert(child.name.clone(), value);
        fields.pop();
    }
    Ok(object)
}

fn element_value(
    element: &XmlElement,
    shape: &FieldShape,
    path: &str,
    fields: &mut Vec<String>,
) -> Result<Value, ElementError> {
    match shape {
        FieldShape::Scalar(scalar) => {
            if element.elements().next().is_some() {
                return Err(ElementError {
                    line: element.line,
                    path: path.to_string(),
                    field: fields.join("."),
                    code: ErrorCode::Structure,
                    reason: format!("<{}> holds a value, not elements", element.name),
                });
            }
            parse_scalar(&raw_text(element), *scalar).map_err(|reason| ElementError {
                line: element.line,
                path: path.to_string(),
                field: fields.join("."),
                code: ErrorCode::Structure,
                reason,
            })
        }
        FieldShape::Object(inner) => {
            element_to_object(element, inner, path, fields).map(Value::Object)
        }
        FieldShape::List { item, item_name } => {
            let mut items = Vec::new();
            for (i, child) in element.elements().enumerate() {
                let child_path = format!("{path}/{}[{}]", child.name, i + 1);
                fields.push(i.to_string());
                if child.name != *item_name || child.namespace.as_deref() != Some(NAMESPACE) {
                    return Err(ElementError {
                        line: child.line,
                        path: child_path,
                        field: fields.join("."),
                        code: ErrorCode::Structure,
                        reason: format!(
                            "<{}> may only hold <{item_name}> elements, found <{}>",
                            element.name, child.name
                        ),
                    });
                }
                items.push(element_value(child, item, &child_path, fields)?);
                fields.pop();
            }
            Ok(Value::Array(items))
        }
    }
}

/// Text of a value element exactly as written (no trimming: values are kept as sent).
fn raw_text(element: &XmlElement) -> String {
    let mut text = String::new();
    for node in &element.children {
        if let crate::framing::XmlNode::Text(t) = node {
            text.push_str(t);
        }
    }
    text
}

/// Writes the canonical XML document, one message element at a time.
pub struct XmlWriter<W: Write> {
    out: W,
    started: bool,
}

impl<W: Write> XmlWriter<W> {
    pub fn new(out: W) -> XmlWriter<W> {
        XmlWriter {
            out,
            started: false,
        }
    }

    fn start(&mut self) -> Result<(), EncodeError> {
        if !self.started {
            write!(
                self.out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{ROOT} xmlns=\"{NAMESPACE}\" version=\"{SCHEMA_VERSION}\">\n"
            )?;
            self.started = true;
        }
        Ok(())
    }

    pub fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        self.start()?;
        let value =
            serde_json::to_value(message).map_err(|e| EncodeError::Invalid(e.to_string()))?;
        let kind = message.kind();
        let mut text = String::with_capacity(2048);
        write_object(&mut text, kind.tag(), &value, shape::of(kind), 1)?;
        self.out.write_all(text.as_bytes())?;
        Ok(())
    }

    pub fn finish(&mut self) -> Result<(), EncodeError> {
        self.start()?;
        writeln!(self.out, "</{ROOT}>")?;
        self.out.flush()?;
        Ok(())
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_object(
    out: &mut String,
    name: &str,
    value: &Value,
    shape: &ObjectShape,
    depth: usize,
) -> Result<(), EncodeError> {
    indent(out, depth);
    out.push('<');
    out.push_str(name);
    out.push_str(">\n");
    for (field, field_shape) in &shape.fields {
        let Some(v) = value.get(field) else { continue };
        write_field(out, field, v, field_shape, depth + 1)?;
    }
    indent(out, depth);
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
    Ok(())
}

fn write_field(
    out: &mut String,
    name: &str,
    value: &Value,
    shape: &FieldShape,
    depth: usize,
) -> Result<(), EncodeError> {
    match shape {
        FieldShape::Scalar(_) => {
            let text = scalar_text(value).unwrap_or_default();
            indent(out, depth);
            out.push('<');
            out.push_str(name);
            out.push('>');
            escape_text(&text, out)?;
            out.push_str("</");
            out.push_str(name);
            out.push_str(">\n");
        }
        FieldShape::Object(inner) => write_object(out, name, value, inner, depth)?,
        FieldShape::List { item, item_name } => {
            indent(out, depth);
            out.push('<');
            out.push_str(name);
            out.push_str(">\n");
            for v in value.as_array().map(Vec::as_slice).unwrap_or_default() {
                write_field(out, item_name, v, item, depth + 1)?;
            }
            indent(out, depth);
            out.push_str("</");
            out.push_str(name);
            out.push_str(">\n");
        }
    }
    Ok(())
}

/// Escapes element text. Carriage returns become `&#13;` so XML's line-end
/// normalisation does not change the value; other C0 controls cannot be written
/// in XML 1.0 at all.
fn escape_text(text: &str, out: &mut String) -> Result<(), EncodeError> {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
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
