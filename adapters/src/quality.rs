//! Per-field data-quality counts: for each descriptive code-list field, how
//! many values resolved to a canonical code, were kept with a flag, were
//! ambiguous, or rejected their record. `convert`, `validate` and `profile`
//! print them; the counts are a fixed handful of fields, so memory is constant.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::RecordError;
use crate::model::{Firearm, Message, Place};
use crate::normalise::{flags, strictness};

/// What happened to one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Resolved,
    /// Kept as recorded with a flag (unknown, historic, placeholder...).
    Flagged,
    Ambiguous,
    Rejected,
}

/// Counts of one field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FieldCounts {
    pub resolved: u64,
    pub flagged: u64,
    pub ambiguous: u64,
    pub rejected: u64,
}

impl FieldCounts {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Resolved => self.resolved += 1,
            Outcome::Flagged => self.flagged += 1,
            Outcome::Ambiguous => self.ambiguous += 1,
            Outcome::Rejected => self.rejected += 1,
        }
    }
}

/// Counts per dotted field path (`firearm.calibre`, `event.place.country`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct QualityCounts {
    fields: BTreeMap<String, FieldCounts>,
}

impl QualityCounts {
    /// Counts the descriptive fields of an accepted (normalised) message.
    pub fn count_message(&mut self, message: &Message) {
        for (field, outcome) in outcomes(message) {
            self.add(&field, outcome);
        }
    }

    /// Counts the descriptive fields a rejected record's errors name.
    pub fn count_errors(&mut self, errors: &[RecordError]) {
        let mut seen: Vec<&str> = Vec::new();
        for error in errors {
            if let Some(field) = error.field.as_deref() {
                if strictness::is_descriptive(field) && !seen.contains(&field) {
                    seen.push(field);
                    self.add(field, Outcome::Rejected);
                }
            }
        }
    }

    pub fn add(&mut self, field: &str, outcome: Outcome) {
        match self.fields.get_mut(field) {
            Some(counts) => counts.add(outcome),
            None => {
                let mut counts = FieldCounts::default();
                counts.add(outcome);
                self.fields.insert(field.to_string(), counts);
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldCounts)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// One line per field: `firearm.calibre: 9 resolved, 1 flagged, 0 ambiguous, 0 rejected`.
    pub fn lines(&self) -> Vec<String> {
        self.iter()
            .map(|(field, c)| {
                format!(
                    "{field}: {} resolved, {} kept with a flag, {} ambiguous, {} rejected",
                    c.resolved, c.flagged, c.ambiguous, c.rejected
                )
            })
            .collect()
    }
}

/// The descriptive fields of a message and their values as they stand
/// (before normalisation: as recorded; after: canonical). The calibre's value
/// is its canonical name or, without one, its recorded text.
pub fn descriptive_values(message: &Message) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let (firearm, place) = match message {
        Message::Record(r) => (
            Some(("firearm", &r.firearm)),
            Some(("event.place", &r.event.place)),
        ),
        Message::Search(s) => (Some(("firearm", &s.firearm)), None),
        Message::TraceRequest(t) => (
            Some(("firearm", &t.firearm)),
            Some(("seizure.place", &t.seizure.place)),
        ),
        Message::HitNotification(_) | Message::TraceResponse(_) => (None, None),
    };
    if let Some((prefix, f)) = firearm {
        firearm_values(prefix, f, &mut out);
    }
    if let Some((prefix, place)) = place {
        out.push((
            format!("{prefix}.country"),
            place.as_ref().and_then(|p: &Place| p.country.clone()),
        ));
    }
    out
}

fn firearm_values(prefix: &str, f: &Firearm, out: &mut Vec<(String, Option<String>)>) {
    out.push((format!("{prefix}.make"), f.make.clone()));
    let calibre = f.calibre.clone().or_else(|| f.calibre_as_recorded.clone());
    out.push((format!("{prefix}.calibre"), calibre));
    out.push((format!("{prefix}.firearm_type"), f.firearm_type.clone()));
    out.push((format!("{prefix}.action"), f.action.clone()));
    out.push((
        format!("{prefix}.country_of_manufacture"),
        f.country_of_manufacture.clone(),
    ));
}

/// The outcome of every descriptive field an accepted message carries or flags.
pub fn outcomes(message: &Message) -> Vec<(String, Outcome)> {
    let header = message.header();
    descriptive_values(message)
        .into_iter()
        .filter_map(|(field, value)| {
            let mut outcome = value.as_ref().map(|_| Outcome::Resolved);
            for flag in header.flags.iter().filter(|f| f.field == field) {
                outcome = Some(match flag.code.as_str() {
                    flags::AMBIGUOUS_CALIBRE | flags::AMBIGUOUS_MAKE => Outcome::Ambiguous,
                    // Resolved, with a note that a similar cartridge exists.
                    flags::RELATED_CALIBRE => outcome.unwrap_or(Outcome::Resolved),
                    _ => Outcome::Flagged,
                });
            }
            outcome.map(|o| (field, o))
        })
        .collect()
}
