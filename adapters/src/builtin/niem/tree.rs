//! Walking a parsed record element: qualified names, paths and children.

use std::collections::HashMap;

use crate::framing::xml_elements::XmlElement;

use super::{NS_CLI, NS_EXCHANGE, NS_ISO_3166, NS_J, NS_NC};

/// The conventional prefix of a namespace, for paths and messages.
pub(super) fn prefix(namespace: Option<&str>) -> Option<&'static str> {
    match namespace? {
        NS_EXCHANGE => Some("ix"),
        NS_NC => Some("nc"),
        NS_J => Some("j"),
        NS_ISO_3166 => Some("iso_3166"),
        NS_CLI => Some("cli"),
        _ => None,
    }
}

/// `nc:ItemMakeName`, or `{namespace}Name` for a foreign namespace.
pub(super) fn qualified(element: &XmlElement) -> String {
    match (prefix(element.namespace.as_deref()), &element.namespace) {
        (Some(p), _) => format!("{p}:{}", element.name),
        (None, Some(ns)) => format!("{{{ns}}}{}", element.name),
        (None, None) => element.name.clone(),
    }
}

pub(super) fn is(element: &XmlElement, namespace: &str, name: &str) -> bool {
    element.name == name && element.namespace.as_deref() == Some(namespace)
}

/// An element with the path it was found at.
pub(super) struct Node<'e> {
    pub(super) element: &'e XmlElement,
    pub(super) path: String,
}

impl Node<'_> {
    pub(super) fn line(&self) -> u64 {
        self.element.line
    }
}

/// The child elements of `element`, each with its path; repeated names are indexed.
pub(super) fn children<'e>(element: &'e XmlElement, path: &str) -> Vec<Node<'e>> {
    let elements: Vec<&XmlElement> = element.elements().collect();
    let key = |e: &XmlElement| (e.namespace.clone(), e.name.clone());
    let mut totals: HashMap<(Option<String>, String), usize> = HashMap::new();
    for child in &elements {
        *totals.entry(key(child)).or_insert(0) += 1;
    }
    let mut seen: HashMap<(Option<String>, String), usize> = HashMap::new();
    let mut nodes = Vec::with_capacity(elements.len());
    for child in elements {
        let k = key(child);
        let total = totals.get(&k).copied().unwrap_or(1);
        let position = seen.entry(k).or_insert(0);
        *position += 1;
        let name = qualified(child);
        let path = if total > 1 {
            format!("{path}/{name}[{position}]")
        } else {
            format!("{path}/{name}")
        };
        nodes.push(Node {
            element: child,
            path,
        });
    }
    nodes
}
