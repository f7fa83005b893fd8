//! Paths, parsed once when a mapping is loaded.
//!
//! - [`CanonPath`]: a canonical field, `firearm.serial_number`, with at most
//!   one list, `firearm.markings[].text`.
//! - [`SourcePath`]: where a value sits in one native record:
//!   - CSV: a column name (`Serijski broj`);
//!   - JSON: a dotted or slash path relative to the record
//!     (`ocorrencia.data`, `ocorrencia/data`), `name[]` for every item of an
//!     array, a number for one item; a leading `/` makes it absolute in the
//!     document (`/orgao`, read from the part of the document before the
//!     record array);
//!   - XML: child elements by prefixed name relative to the record element
//!     (`rf:Identification/rf:Serial`), `@name` for an attribute,
//!     `name[]` for every repeated element, `name[2]` for the second; a
//!     leading `/` addresses the root element's attributes (`/@reportingState`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// One step of a canonical path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CanonSeg {
    /// An object member.
    Key(String),
    /// A member holding a list; the following segments are inside each item.
    List(String),
}

/// A compiled canonical field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonPath {
    /// As written, lists as `[]`: `firearm.markings[].text`.
    pub display: String,
    pub segments: Vec<CanonSeg>,
}

impl CanonPath {
    /// Parses the syntax only (the checker compares it with the schema).
    pub fn parse(text: &str) -> Result<CanonPath, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty canonical field".to_string());
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (name, list) = match part.strip_suffix("[]") {
                Some(name) => (name, true),
                None => (part, false),
            };
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(format!(
                    "\"{text}\" is not a canonical field path (lowercase names separated by dots, lists as name[])"
                ));
            }
            segments.push(if list {
                CanonSeg::List(name.to_string())
            } else {
                CanonSeg::Key(name.to_string())
            });
        }
        let lists = segments
            .iter()
            .filter(|s| matches!(s, CanonSeg::List(_)))
            .count();
        if lists > 1 {
            return Err(format!(
                "\"{text}\" goes through {lists} lists; a rule may go through one"
            ));
        }
        Ok(CanonPath {
            display: text.to_string(),
            segments,
        })
    }

    pub fn is_list(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, CanonSeg::List(_)))
    }

    /// The path of the list itself (`firearm.markings`), for list rules.
    pub fn list_prefix(&self) -> Option<String> {
        let mut parts = Vec::new();
        for segment in &self.segments {
            match segment {
                CanonSeg::Key(k) => parts.push(k.as_str()),
                CanonSeg::List(k) => {
                    parts.push(k.as_str());
                    return Some(parts.join("."));
                }
            }
        }
        None
    }

    /// The value at this path in a message's JSON form (`item` picks the list item).
    pub fn get<'v>(&self, root: &'v Value, item: Option<usize>) -> Option<&'v Value> {
        let mut value = root;
        for segment in &self.segments {
            match segment {
                CanonSeg::Key(k) => value = value.get(k)?,
                CanonSeg::List(k) => value = value.get(k)?.get(item?)?,
            }
        }
        (!value.is_null()).then_some(value)
    }

    /// Whether a message being built has a value at this single-valued path.
    pub fn is_set_in(&self, root: &Map<String, Value>) -> bool {
        let mut segments = self.segments.iter();
        let Some(CanonSeg::Key(first)) = segments.next() else {
            return false;
        };
        let mut value = root.get(first);
        for segment in segments {
            value = match segment {
                CanonSeg::Key(k) => value.and_then(|v| v.get(k)),
                CanonSeg::List(_) => None,
            };
        }
        value.is_some_and(|v| !v.is_null())
    }

    /// Number of items of the list this path goes through (0 when absent).
    pub fn list_len(&self, root: &Value) -> usize {
        let mut value = root;
        for segment in &self.segments {
            match segment {
                CanonSeg::Key(k) => match value.get(k) {
                    Some(v) => value = v,
                    None => return 0,
                },
                CanonSeg::List(k) => {
                    return value.get(k).and_then(Value::as_array).map_or(0, Vec::len)
                }
            }
        }
        0
    }

    /// Sets the value in a message being built, creating objects and list items on the way.
    pub fn insert(&self, root: &mut Map<String, Value>, item: Option<usize>, value: Value) {
        let _ = insert_at(root, &self.segments, item, value);
    }
}

fn object_member<'m>(
    map: &'m mut Map<String, Value>,
    key: &str,
) -> Option<&'m mut Map<String, Value>> {
    if !matches!(map.get(key), Some(Value::Object(_))) {
        map.insert(key.to_string(), Value::Object(Map::new()));
    }
    map.get_mut(key)?.as_object_mut()
}

fn array_member<'m>(map: &'m mut Map<String, Value>, key: &str) -> Option<&'m mut Vec<Value>> {
    if !matches!(map.get(key), Some(Value::Array(_))) {
        map.insert(key.to_string(), Value::Array(Vec::new()));
    }
    map.get_mut(key)?.as_array_mut()
}

fn insert_at(
    map: &mut Map<String, Value>,
    segments: &[CanonSeg],
    item: Option<usize>,
    value: Value,
) -> Option<()> {
    let (first, rest) = segments.split_first()?;
    match first {
        CanonSeg::Key(k) if rest.is_empty() => {
            map.insert(k.clone(), value);
        }
        CanonSeg::Key(k) => insert_at(object_member(map, k)?, rest, item, value)?,
        CanonSeg::List(k) => {
            let index = item.unwrap_or(0);
            let list = array_member(map, k)?;
            let filler = if rest.is_empty() {
                Value::Null
            } else {
                Value::Object(Map::new())
            };
            while list.len() <= index {
                list.push(filler.clone());
            }
            let slot = list.get_mut(index)?;
            if rest.is_empty() {
                *slot = value;
            } else {
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                insert_at(slot.as_object_mut()?, rest, item, value)?;
            }
        }
    }
    Some(())
}

/// Where a value sits in a native record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourcePath {
    Column(ColumnRef),
    Json(JsonPath),
    Xml(XmlPath),
}

impl SourcePath {
    /// True when the path yields every item of a repeated value (`name[]`).
    pub fn is_each(&self) -> bool {
        match self {
            SourcePath::Column(_) => false,
            SourcePath::Json(p) => p.segments.iter().any(|s| matches!(s, JsonSeg::Each(_))),
            SourcePath::Xml(p) => p.steps.iter().any(|s| s.select == Select::Each),
        }
    }

    pub fn is_absolute(&self) -> bool {
        match self {
            SourcePath::Column(_) => false,
            SourcePath::Json(p) => p.absolute,
            SourcePath::Xml(p) => p.absolute,
        }
    }

    /// The native name used in error locations: a column name, a JSON pointer
    /// relative to the record (or absolute, starting with `/`), an XML path
    /// relative to the record element (or absolute).
    pub fn native_name(&self, item: Option<usize>) -> String {
        match self {
            SourcePath::Column(c) => c.name.clone(),
            SourcePath::Json(p) => p.native_name(item),
            SourcePath::Xml(p) => p.native_name(item),
        }
    }

    /// How `explain` shows it.
    pub fn describe(&self) -> String {
        match self {
            SourcePath::Column(c) => format!("column \"{}\"", c.name),
            SourcePath::Json(p) => format!(
                "{} {}",
                if p.absolute { "document" } else { "member" },
                p.text
            ),
            SourcePath::Xml(p) => {
                if p.absolute {
                    format!("root {}", p.text)
                } else if p.attribute.is_some() {
                    format!("attribute {}", p.text)
                } else {
                    format!("element {}", p.text)
                }
            }
        }
    }
}

/// A CSV column: its name and its position in the mapping's column list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRef {
    pub id: usize,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonSeg {
    Key(String),
    Index(usize),
    /// A member holding an array: every item in turn.
    Each(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    pub absolute: bool,
    pub segments: Vec<JsonSeg>,
    /// As written.
    pub text: String,
}

fn pointer_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let trimmed = text.trim();
        let absolute = trimmed.starts_with('/');
        let body = trimmed.strip_prefix('/').unwrap_or(trimmed);
        if body.is_empty() {
            return Err("empty JSON path".to_string());
        }
        let slash = absolute || body.contains('/');
        let raw: Vec<String> = if slash {
            body.split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect()
        } else {
            body.split('.').map(str::to_string).collect()
        };
        let mut segments = Vec::new();
        for part in raw {
            if part.is_empty() {
                return Err(format!("\"{text}\" has an empty step"));
            }
            if let Some(name) = part.strip_suffix("[]") {
                if name.is_empty() {
                    return Err(format!(
                        "\"{text}\": `[]` must follow a member name (marcacoes[])"
                    ));
                }
                segments.push(JsonSeg::Each(name.to_string()));
            } else if part.bytes().all(|b| b.is_ascii_digit()) {
                let index = part
                    .parse::<usize>()
                    .map_err(|_| format!("\"{text}\": index {part} is too large"))?;
                segments.push(JsonSeg::Index(index));
            } else {
                segments.push(JsonSeg::Key(part));
            }
        }
        let each = segments
            .iter()
            .filter(|s| matches!(s, JsonSeg::Each(_)))
            .count();
        if each > 1 {
            return Err(format!(
                "\"{text}\" iterates over {each} arrays; a rule may iterate over one"
            ));
        }
        if absolute && each > 0 {
            return Err(format!(
                "\"{text}\": a document path cannot iterate over an array"
            ));
        }
        Ok(JsonPath {
            absolute,
            segments,
            text: trimmed.to_string(),
        })
    }

    /// `ocorrencia/data`, `marcacoes/1/texto` (relative), `/orgao` (absolute).
    pub fn native_name(&self, item: Option<usize>) -> String {
        let parts: Vec<String> = self
            .segments
            .iter()
            .map(|s| match s {
                JsonSeg::Key(k) => pointer_escape(k),
                JsonSeg::Index(i) => i.to_string(),
                JsonSeg::Each(k) => format!("{}/{}", pointer_escape(k), item.unwrap_or(0)),
            })
            .collect();
        let joined = parts.join("/");
        if self.absolute {
            format!("/{joined}")
        } else {
            joined
        }
    }

    /// The first member name (for document paths: the member of the document to keep).
    pub fn first_key(&self) -> Option<&str> {
        match self.segments.first() {
            Some(JsonSeg::Key(k)) | Some(JsonSeg::Each(k)) => Some(k),
            _ => None,
        }
    }
}

/// An element or attribute name, resolved through the mapping's namespaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlName {
    pub namespace: Option<String>,
    pub local: String,
    /// As written, with the mapping's prefix (`rf:Serial`).
    pub prefixed: String,
    pub prefix: Option<String>,
}

impl XmlName {
    /// Resolves `prefix:local` (elements without a prefix take the `""`
    /// namespace of the mapping, if declared; attributes without a prefix
    /// have no namespace, as in XML).
    pub fn parse(
        text: &str,
        namespaces: &BTreeMap<String, String>,
        attribute: bool,
    ) -> Result<XmlName, String> {
        let (prefix, local) = match text.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, text),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
                && !s.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
        };
        if !valid(local) || prefix.is_some_and(|p| !valid(p)) {
            return Err(format!("\"{text}\" is not an XML name"));
        }
        let namespace =
            match prefix {
                Some(p) => Some(namespaces.get(p).cloned().ok_or_else(|| {
                    format!("prefix \"{p}\" is not declared in [source] namespaces")
                })?),
                None if attribute => None,
                None => namespaces.get("").cloned(),
            };
        Ok(XmlName {
            namespace,
            local: local.to_string(),
            prefixed: text.to_string(),
            prefix: prefix.map(str::to_string),
        })
    }

    pub fn matches(&self, namespace: Option<&str>, local: &str) -> bool {
        self.local == local && self.namespace.as_deref() == namespace
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    First,
    Each,
    /// 1-based position among same-named siblings.
    Nth(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlStep {
    pub name: XmlName,
    pub select: Select,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlPath {
    /// A root attribute (`/@reportingState`).
    pub absolute: bool,
    pub steps: Vec<XmlStep>,
    pub attribute: Option<XmlName>,
    /// As written.
    pub text: String,
    /// The root element's prefixed name, for absolute native names.
    pub root: String,
}

impl XmlPath {
    /// Parses a path; `root` is the records path's first step (the root element).
    pub fn parse(
        text: &str,
        namespaces: &BTreeMap<String, String>,
        root: Option<&XmlName>,
    ) -> Result<XmlPath, String> {
        let trimmed = text.trim();
        let absolute = trimmed.starts_with('/');
        let body = trimmed.strip_prefix('/').unwrap_or(trimmed);
        let mut parts: Vec<&str> = if body.is_empty() || body == "." {
            Vec::new()
        } else {
            body.split('/').collect()
        };
        let mut attribute = None;
        if let Some(last) = parts.last() {
            if let Some(name) = last.strip_prefix('@') {
                attribute = Some(XmlName::parse(name, namespaces, true)?);
                parts.pop();
            }
        }
        let mut steps = Vec::new();
        for part in parts {
            if part == "." {
                continue;
            }
            if part.starts_with('@') {
                return Err(format!(
                    "\"{text}\": an attribute (@name) must be the last step"
                ));
            }
            let (name, select) = if let Some(name) = part.strip_suffix("[]") {
                (name, Select::Each)
            } else if let Some((name, rest)) = part.split_once('[') {
                let number = rest
                    .strip_suffix(']')
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        format!(
                            "\"{text}\": write name[] for every item or name[N] (N from 1) for one"
                        )
                    })?;
                (name, Select::Nth(number))
            } else {
                (part, Select::First)
            };
            steps.push(XmlStep {
                name: XmlName::parse(name, namespaces, false)?,
                select,
            });
        }
        let each = steps.iter().filter(|s| s.select == Select::Each).count();
        if each > 1 {
            return Err(format!(
                "\"{text}\" iterates over {each} repeated elements; a rule may iterate over one"
            ));
        }
        let root_name = root.map(|r| r.prefixed.clone()).unwrap_or_default();
        if absolute {
            // Only the root element's attributes are kept while streaming.
            if let (Some(first), Some(root)) = (steps.first(), root) {
                if first.name.namespace == root.namespace && first.name.local == root.local {
                    steps.remove(0);
                } else {
                    return Err(format!(
                        "\"{text}\" does not start at the root element {}",
                        root.prefixed
                    ));
                }
            }
            if !steps.is_empty() || attribute.is_none() {
                return Err(format!(
                    "\"{text}\": a path starting with / may only name an attribute of the root element (/@name); elements outside the records are not kept while streaming"
                ));
            }
        }
        if !absolute
            && steps.is_empty()
            && attribute.is_none()
            && !trimmed.is_empty()
            && trimmed != "."
        {
            return Err(format!("\"{text}\" names nothing"));
        }
        Ok(XmlPath {
            absolute,
            steps,
            attribute,
            text: trimmed.to_string(),
            root: root_name,
        })
    }

    /// `rf:Incident/@date`, `rf:Marking[2]/@text` (relative), `/rf:FirearmReport/@reportingState`.
    pub fn native_name(&self, item: Option<usize>) -> String {
        let mut parts: Vec<String> = self
            .steps
            .iter()
            .map(|s| match s.select {
                Select::First => s.name.prefixed.clone(),
                Select::Each => format!("{}[{}]", s.name.prefixed, item.unwrap_or(0) + 1),
                Select::Nth(n) => format!("{}[{n}]", s.name.prefixed),
            })
            .collect();
        if let Some(attribute) = &self.attribute {
            parts.push(format!("@{}", attribute.prefixed));
        }
        if self.absolute {
            format!("/{}/{}", self.root, parts.join("/"))
        } else if parts.is_empty() {
            ".".to_string()
        } else {
            parts.join("/")
        }
    }
}

/// Parses the XML `records` path (`rf:FirearmReport/rf:Weapon`): the root
/// element, then the steps down to the record elements.
pub fn parse_records_xml(
    text: &str,
    namespaces: &BTreeMap<String, String>,
) -> Result<Vec<XmlName>, String> {
    let body = text.trim().trim_start_matches('/');
    let names = body
        .split('/')
        .map(|part| XmlName::parse(part, namespaces, false))
        .collect::<Result<Vec<_>, _>>()?;
    if names.len() < 2 {
        return Err(format!(
            "\"{text}\" must name the root element and the record elements under it (rf:FirearmReport/rf:Weapon)"
        ));
    }
    Ok(names)
}

/// Parses the JSON `records` pointer (`/armas`; empty or `/` for a top-level array).
pub fn parse_records_json(text: &str) -> Result<Vec<String>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed == "/" {
        return Ok(Vec::new());
    }
    let body = trimmed.strip_prefix('/').ok_or_else(|| {
        format!("\"{text}\" is not a JSON pointer: it must start with / (e.g. \"/armas\")")
    })?;
    body.split('/')
        .map(|s| {
            if s.is_empty() {
                Err(format!("\"{text}\" has an empty step"))
            } else {
                Ok(s.replace("~1", "/").replace("~0", "~"))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns() -> BTreeMap<String, String> {
        let mut ns = BTreeMap::new();
        ns.insert("rf".to_string(), "urn:rf".to_string());
        ns
    }

    #[test]
    fn canonical_paths_parse_and_insert_into_lists() {
        let text = CanonPath::parse("firearm.markings[].text").unwrap_or_else(|e| panic!("{e}"));
        assert!(text.is_list());
        assert_eq!(text.list_prefix().as_deref(), Some("firearm.markings"));
        let location =
            CanonPath::parse("firearm.markings[].location").unwrap_or_else(|e| panic!("{e}"));
        let mut root = Map::new();
        text.insert(&mut root, Some(1), Value::from("B"));
        location.insert(&mut root, Some(0), Value::from("frame"));
        let value = Value::Object(root);
        assert_eq!(
            value.to_string(),
            r#"{"firearm":{"markings":[{"location":"frame"},{"text":"B"}]}}"#
        );
        assert_eq!(text.get(&value, Some(1)), Some(&Value::from("B")));
        assert_eq!(text.list_len(&value), 2);
        assert!(CanonPath::parse("Firearm.make").is_err());
        assert!(CanonPath::parse("a[].b[].c").is_err());
    }

    #[test]
    fn json_paths_accept_dots_slashes_items_and_document_members() {
        let p = JsonPath::parse("ocorrencia.data").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.native_name(None), "ocorrencia/data");
        let p = JsonPath::parse("marcacoes[].texto").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.native_name(Some(2)), "marcacoes/2/texto");
        let p = JsonPath::parse("/orgao").unwrap_or_else(|e| panic!("{e}"));
        assert!(p.absolute);
        assert_eq!(p.native_name(None), "/orgao");
        assert!(JsonPath::parse("a..b").is_err());
        assert_eq!(parse_records_json("/armas"), Ok(vec!["armas".to_string()]));
        assert!(parse_records_json("armas").is_err());
    }

    #[test]
    fn xml_paths_resolve_prefixes_and_name_items() {
        let root = XmlName::parse("rf:Report", &ns(), false).unwrap_or_else(|e| panic!("{e}"));
        let p = XmlPath::parse("rf:Incident/@date", &ns(), Some(&root))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.native_name(None), "rf:Incident/@date");
        assert_eq!(p.steps[0].name.namespace.as_deref(), Some("urn:rf"));
        let p = XmlPath::parse("rf:Marks/rf:Mark[]", &ns(), Some(&root))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.native_name(Some(1)), "rf:Marks/rf:Mark[2]");
        let p = XmlPath::parse("/@state", &ns(), Some(&root)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.native_name(None), "/rf:Report/@state");
        assert!(XmlPath::parse("/rf:Other/@x", &ns(), Some(&root)).is_err());
        assert!(XmlPath::parse("x:Serial", &ns(), Some(&root)).is_err());
        assert!(XmlPath::parse("/rf:Report/rf:Child", &ns(), Some(&root)).is_err());
    }
}
