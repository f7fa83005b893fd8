//! Compiled `[codes.NAME]` tables: local value -> canonical code, built once
//! into hash maps. An exact match costs one hash lookup without allocating; the
//! folded (case-, space- and accent-insensitive) key is computed only when the
//! exact lookup misses and the table asks for folding.

use std::collections::HashMap;

use crate::codes::fold_key;

use super::model::CodeTableSource;

#[derive(Debug, Clone)]
pub struct CodeTable {
    pub name: String,
    pub fold: bool,
    pub keep_unknown: bool,
    pub skip_unknown: bool,
    /// (local, canonical) in file order, for `explain`.
    pub entries: Vec<(String, String)>,
    exact: HashMap<String, usize>,
    folded: HashMap<String, usize>,
    /// Distinct canonical codes.
    pub canonical: Vec<String>,
    /// Canonical code -> local value written on encode.
    reverse: HashMap<String, String>,
    reverse_folded: HashMap<String, String>,
    /// `a, b, c`: the local values, sorted, for error messages.
    known: String,
}

/// What a table says about a local value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'a> {
    Code(&'a str),
    /// Not in the table and the table keeps unknown values as they are.
    Keep,
    /// Not in the table and the table drops unknown values.
    Skip,
    Unknown,
}

/// A conflict found while building a table (reported by the checker).
pub struct Conflict {
    pub line: usize,
    pub message: String,
}

const MAX_KNOWN_LISTED: usize = 40;

impl CodeTable {
    pub fn build(source: &CodeTableSource) -> (CodeTable, Vec<Conflict>) {
        let mut conflicts = Vec::new();
        let mut canonical: Vec<String> = Vec::new();
        let mut exact = HashMap::new();
        let mut folded: HashMap<String, usize> = HashMap::new();
        let mut folded_from: HashMap<String, String> = HashMap::new();
        let mut reverse: HashMap<String, String> = HashMap::new();
        for (local, code, line) in &source.entries {
            let index = match canonical.iter().position(|c| c == code) {
                Some(i) => i,
                None => {
                    canonical.push(code.clone());
                    canonical.len() - 1
                }
            };
            exact.insert(local.trim().to_string(), index);
            let key = fold_key(local);
            if let Some(&other) = folded.get(&key) {
                if other != index && source.fold {
                    conflicts.push(Conflict {
                        line: *line,
                        message: format!(
                            "\"{local}\" and \"{}\" are the same value when case, spaces and accents are ignored (fold = true) but map to different codes",
                            folded_from.get(&key).map(String::as_str).unwrap_or_default()
                        ),
                    });
                }
            } else {
                folded.insert(key.clone(), index);
                folded_from.insert(key, local.clone());
            }
            // The first local value of a code is the one written back.
            reverse.entry(code.clone()).or_insert_with(|| local.clone());
        }
        for (code, local, _) in &source.encode {
            reverse.insert(code.clone(), local.clone());
        }
        let reverse_folded = reverse
            .iter()
            .map(|(code, local)| (fold_key(code), local.clone()))
            .collect();
        let mut locals: Vec<&str> = source.entries.iter().map(|e| e.0.as_str()).collect();
        locals.sort_by_key(|l| fold_key(l));
        locals.dedup();
        let mut known = locals
            .iter()
            .take(MAX_KNOWN_LISTED)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if locals.len() > MAX_KNOWN_LISTED {
            known.push_str(&format!(" and {} more", locals.len() - MAX_KNOWN_LISTED));
        }
        let table = CodeTable {
            name: source.name.clone(),
            fold: source.fold,
            keep_unknown: source.keep_unknown,
            skip_unknown: source.skip_unknown,
            entries: source
                .entries
                .iter()
                .map(|(l, c, _)| (l.clone(), c.clone()))
                .collect(),
            exact,
            folded: if source.fold { folded } else { HashMap::new() },
            canonical,
            reverse,
            reverse_folded,
            known,
        };
        (table, conflicts)
    }

    /// The canonical code of a (trimmed) local value.
    pub fn decode(&self, local: &str) -> Decoded<'_> {
        let found = self.exact.get(local).copied().or_else(|| {
            if self.fold {
                self.folded.get(&fold_key(local)).copied()
            } else {
                None
            }
        });
        match found.and_then(|i| self.canonical.get(i)) {
            Some(code) => Decoded::Code(code),
            None if self.keep_unknown => Decoded::Keep,
            None if self.skip_unknown => Decoded::Skip,
            None => Decoded::Unknown,
        }
    }

    /// The local value written for a canonical code.
    pub fn encode(&self, canonical: &str) -> Option<&str> {
        self.reverse
            .get(canonical)
            .or_else(|| self.reverse_folded.get(&fold_key(canonical)))
            .map(String::as_str)
    }

    pub fn has_reverse(&self, canonical: &str) -> bool {
        self.encode(canonical).is_some()
    }

    /// `unknown value "bacač" (known: automatska puška, pištolj, ...)`.
    pub fn unknown_message(&self, value: &str) -> String {
        format!("unknown value \"{value}\" (known: {})", self.known)
    }

    /// `no local value for "found" in code table status (known codes: ...)`.
    pub fn unencodable_message(&self, canonical: &str) -> String {
        let mut codes: Vec<&str> = self.reverse.keys().map(String::as_str).collect();
        codes.sort_unstable();
        format!(
            "no local value for \"{canonical}\" in code table {} (it can write: {})",
            self.name,
            codes.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(fold: bool) -> CodeTableSource {
        CodeTableSource {
            name: "vrsta".into(),
            line: 1,
            entries: vec![
                ("pištolj".into(), "pistol".into(), 2),
                ("puška".into(), "rifle".into(), 3),
                ("snajperska puška".into(), "rifle".into(), 4),
            ],
            fold,
            ..CodeTableSource::default()
        }
    }

    #[test]
    fn exact_and_folded_lookups() {
        let (table, conflicts) = CodeTable::build(&source(true));
        assert!(conflicts.is_empty());
        assert_eq!(table.decode("pištolj"), Decoded::Code("pistol"));
        assert_eq!(table.decode("PISTOLJ"), Decoded::Code("pistol"));
        assert_eq!(table.decode("Snajperska  Puška"), Decoded::Code("rifle"));
        assert_eq!(table.decode("bacač"), Decoded::Unknown);
        let (strict, _) = CodeTable::build(&source(false));
        assert_eq!(strict.decode("PISTOLJ"), Decoded::Unknown);
    }

    #[test]
    fn reverse_uses_the_first_local_value_or_the_encode_table() {
        let (table, _) = CodeTable::build(&source(true));
        assert_eq!(table.encode("rifle"), Some("puška"));
        assert_eq!(table.encode("shotgun"), None);
        let mut with_encode = source(true);
        with_encode
            .encode
            .push(("rifle".into(), "snajperska puška".into(), 9));
        let (table, _) = CodeTable::build(&with_encode);
        assert_eq!(table.encode("rifle"), Some("snajperska puška"));
    }

    #[test]
    fn unknown_message_lists_known_values_sorted() {
        let (table, _) = CodeTable::build(&source(true));
        assert_eq!(
            table.unknown_message("bacač"),
            "unknown value \"bacač\" (known: pištolj, puška, snajperska puška)"
        );
    }

    #[test]
    fn folded_conflicts_are_reported() {
        let mut s = source(true);
        s.entries.push(("PIŠTOLJ".into(), "revolver".into(), 5));
        let (_, conflicts) = CodeTable::build(&s);
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].line, 5);
    }
}
