//! `iarms-gateway mappings explain NAME`: which canonical field comes from
//! which native field, constant or rule, and which canonical fields stay empty.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::check::{CountryForm, EncodeMode, Input, Mapping, Rule, SourceSpec};
use super::schema_info;
use crate::format::value::scalar_text;

fn source_line(mapping: &Mapping) -> String {
    match &mapping.source {
        SourceSpec::Csv(spec) => {
            let mut parts = vec![format!("CSV, delimiter {:?}", char::from(spec.delimiter))];
            parts.push(match spec.quote {
                Some(q) => format!("quote {:?}", char::from(q)),
                None => "no quoting".to_string(),
            });
            parts.push(if spec.header {
                "header row".to_string()
            } else {
                format!("no header row, columns {}", mapping.columns.join(", "))
            });
            parts.push(format!(
                "encoding {}{}",
                spec.encoding.name(),
                if spec.bom {
                    " (byte order mark written)"
                } else {
                    ""
                }
            ));
            parts.push(format!(
                "{} line ends written",
                if spec.crlf { "CRLF" } else { "LF" }
            ));
            parts.join(", ")
        }
        SourceSpec::Json(spec) => {
            if spec.records.is_empty() {
                "JSON, the document is the array of records".to_string()
            } else {
                format!("JSON, records in the array at /{}", spec.records.join("/"))
            }
        }
        SourceSpec::Ndjson => "NDJSON, one record per line".to_string(),
        SourceSpec::Xml(spec) => {
            let names: Vec<&str> = spec.records.iter().map(|r| r.prefixed.as_str()).collect();
            let namespaces: Vec<String> = spec
                .namespaces
                .iter()
                .map(|(p, u)| format!("{}={u}", if p.is_empty() { "(default)" } else { p }))
                .collect();
            format!(
                "XML, records at {}{}",
                names.join("/"),
                if namespaces.is_empty() {
                    String::new()
                } else {
                    format!(", namespaces {}", namespaces.join(" "))
                }
            )
        }
    }
}

fn input_text(rule: &Rule) -> String {
    match &rule.input {
        Input::From(path) => path.describe(),
        Input::Concat(parts, separator) => parts
            .iter()
            .map(|p| p.describe())
            .collect::<Vec<_>>()
            .join(&format!(" + {separator:?} + ")),
        Input::Const(value) => format!("constant {}", value),
    }
}

fn rules_text(mapping: &Mapping, rule: &Rule) -> String {
    let mut parts = Vec::new();
    if let Some(split) = &rule.split {
        match split.part {
            Some(p) => parts.push(format!("piece {} of split {:?}", p + 1, split.separator)),
            None => parts.push(format!("one item per piece of split {:?}", split.separator)),
        }
    }
    if let Some(table) = rule.codes.and_then(|i| mapping.tables.get(i)) {
        let mut options = Vec::new();
        if table.fold {
            options.push("ignoring case, spaces and accents");
        }
        if table.keep_unknown {
            options.push("unknown values kept");
        }
        if table.skip_unknown {
            options.push("unknown values skipped");
        }
        parts.push(format!(
            "codes {} ({} values{}{})",
            table.name,
            table.entries.len(),
            if options.is_empty() { "" } else { ", " },
            options.join(", ")
        ));
    }
    if !rule.dates.is_empty() {
        parts.push(format!("date {}", rule.dates.join(" | ")));
    }
    if rule.decimal_comma {
        parts.push("decimal comma".to_string());
    }
    if let Some(decimals) = rule.decimals {
        parts.push(format!(
            "written with {decimals} decimal{}",
            if decimals == 1 { "" } else { "s" }
        ));
    }
    if let Some(unit) = rule.unit {
        match &rule.unit_from {
            Some(path) => parts.push(format!(
                "unit from {} (default {}), to mm",
                path.describe(),
                unit.symbol()
            )),
            None => parts.push(format!("{} to mm", unit.symbol())),
        }
    }
    if let Some(form) = rule.country {
        parts.push(format!(
            "country as {}",
            match form {
                CountryForm::Alpha2 => "alpha-2",
                CountryForm::Alpha3 => "alpha-3",
                CountryForm::Numeric => "numeric",
                CountryForm::Name => "English name",
            }
        ));
    }
    if let Some(default) = &rule.default {
        parts.push(format!(
            "default {}",
            scalar_text(default).unwrap_or_default()
        ));
    }
    if rule.required {
        parts.push("required".to_string());
    }
    match &rule.encode {
        EncodeMode::Off if !matches!(rule.input, Input::Const(_)) => {
            parts.push("not written back".to_string())
        }
        EncodeMode::Const(text) => parts.push(format!("writes {text:?} back")),
        EncodeMode::From(paths) => parts.push(format!(
            "writes back from {}",
            paths
                .iter()
                .map(|p| p.display.as_str())
                .collect::<Vec<_>>()
                .join(", or ")
        )),
        _ => {}
    }
    parts.join("; ")
}

/// The explanation of a mapping as text.
pub fn explain(mapping: &Mapping) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", mapping.name, mapping.description);
    let _ = writeln!(out, "  file:     {}", mapping.file);
    if let Some(revision) = &mapping.revision {
        let _ = writeln!(out, "  revision: {revision}");
    }
    let _ = writeln!(out, "  message:  {}", mapping.kind);
    let _ = writeln!(out, "  source:   {}", source_line(mapping));
    let _ = writeln!(
        out,
        "  writes:   {}",
        if mapping.writable() {
            "yes (canonical -> native)"
        } else {
            "no (read only)"
        }
    );
    let _ = writeln!(out);
    let decoding: Vec<&Rule> = mapping.rules.iter().filter(|r| r.decode).collect();
    let width = decoding
        .iter()
        .map(|r| r.target().len())
        .chain(["firearm.calibre_as_recorded".len()])
        .max()
        .unwrap_or(20);
    let _ = writeln!(out, "canonical field <- source   [rules]");
    for rule in &decoding {
        let rules = rules_text(mapping, rule);
        let _ = writeln!(
            out,
            "  {:<width$} <- {}{}",
            rule.target(),
            input_text(rule),
            if rules.is_empty() {
                String::new()
            } else {
                format!("   [{rules}]")
            }
        );
    }
    let mapped: BTreeSet<&str> = decoding.iter().map(|r| r.target()).collect();
    if !mapped.contains("header.message_id") {
        let _ = writeln!(
            out,
            "  {:<width$} <- derived: UUID v5 of mapping name and {} (a resent record gets the same id)",
            "header.message_id",
            super::engine::identity_description(mapping.kind)
        );
    }
    if !mapped.contains("header.correlation_id") {
        let _ = writeln!(
            out,
            "  {:<width$} <- derived: the message id",
            "header.correlation_id"
        );
    }
    let derived = [
        ("firearm.serial_key", "firearm.serial_number"),
        ("firearm.calibre_as_recorded", "firearm.calibre"),
    ];
    let mut derived_fields = BTreeSet::new();
    for (field, from) in derived {
        if mapped.contains(from)
            && !mapped.contains(field)
            && schema_info::field(mapping.kind, field).is_some()
        {
            derived_fields.insert(field);
            let _ = writeln!(
                out,
                "  {field:<width$} <- derived by the normaliser from {from}"
            );
        }
    }
    let encode_only: Vec<&Rule> = mapping.rules.iter().filter(|r| !r.decode).collect();
    if !encode_only.is_empty() {
        let _ = writeln!(out, "\nwritten on encode only (canonical -> native):");
        for rule in encode_only {
            let target = match (&rule.encode, rule.to.as_ref()) {
                (EncodeMode::Const(text), _) => format!("constant {text:?}"),
                (_, Some(to)) => to.display.clone(),
                _ => String::new(),
            };
            let mut rules = rules_text(mapping, rule);
            if let EncodeMode::Const(_) = rule.encode {
                rules.clear();
            }
            let _ = writeln!(
                out,
                "  {} <- {target}{}",
                input_text(rule),
                if rules.is_empty() {
                    String::new()
                } else {
                    format!("   [{rules}]")
                }
            );
        }
    }
    let unmapped: Vec<&str> = schema_info::fields(mapping.kind)
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| !mapped.contains(p) && !derived_fields.contains(p) && !p.starts_with("header."))
        .collect();
    let _ = writeln!(
        out,
        "\nunmapped canonical fields ({}; always absent in messages read with this mapping):",
        unmapped.len()
    );
    for chunk in unmapped.chunks(4) {
        let _ = writeln!(out, "  {}", chunk.join(", "));
    }
    if unmapped.contains(&"version") {
        let _ = writeln!(out, "  (an absent version is version 1)");
    }
    if !mapping.tables.is_empty() {
        let _ = writeln!(out, "\ncode tables:");
        for table in &mapping.tables {
            let entries: Vec<String> = table
                .entries
                .iter()
                .map(|(local, code)| format!("{local} = {code}"))
                .collect();
            let _ = writeln!(out, "  {}: {}", table.name, entries.join(", "));
        }
    }
    out
}
