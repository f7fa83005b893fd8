//! Canonical field -> native name, for errors found after decoding.

use std::collections::HashMap;
use std::sync::Arc;

use super::compiled::{Input, Rule};
use crate::adapter::NativeNamer;
use crate::mapping::paths::SourcePath;

/// Canonical field (lists as `[]`) -> the native field that fed it.
pub(super) fn build_namer(rules: &[Rule]) -> NativeNamer {
    let mut names: HashMap<String, SourcePath> = HashMap::new();
    for rule in rules.iter().filter(|r| r.decode) {
        let Some(to) = &rule.to else { continue };
        let path = match &rule.input {
            Input::From(p) => p,
            Input::Concat(parts, _) => match parts.first() {
                Some(p) => p,
                None => continue,
            },
            Input::Const(_) => continue,
        };
        names
            .entry(to.display.clone())
            .or_insert_with(|| path.clone());
    }
    // Fields the normaliser derives are named after the field they come from.
    for (derived, from) in [
        ("firearm.serial_key", "firearm.serial_number"),
        ("firearm.calibre_as_recorded", "firearm.calibre"),
    ] {
        if let Some(path) = names.get(from).cloned() {
            names.entry(derived.to_string()).or_insert(path);
        }
    }
    let names = Arc::new(names);
    NativeNamer(Arc::new(move |field: &str| {
        let (key, index) = list_key(field);
        let path = names.get(&key).or_else(|| {
            // An object or list item as a whole: name its first known member.
            let prefix = format!("{key}.");
            let mut candidates: Vec<(&String, &SourcePath)> = names
                .iter()
                .filter(|(k, _)| k.starts_with(&prefix))
                .collect();
            candidates.sort_by(|a, b| a.0.cmp(b.0));
            candidates.first().map(|(_, p)| *p)
        })?;
        Some(path.native_name(index))
    }))
}

/// `firearm.markings.1.text` or `firearm.markings[1].text` -> (`firearm.markings[].text`, Some(1)).
pub(crate) fn list_key(field: &str) -> (String, Option<usize>) {
    let normalised = field.replace('[', ".").replace(']', "");
    let mut key = String::with_capacity(field.len());
    let mut index = None;
    for part in normalised.split('.').filter(|p| !p.is_empty()) {
        if let Ok(i) = part.parse::<usize>() {
            key.push_str("[]");
            index = Some(i);
        } else {
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(part);
        }
    }
    (key, index)
}
