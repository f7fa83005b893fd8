//! Which descriptive code-list fields reject an unrecognised value.
//!
//! The rule (docs/model.md): an unrecognised value in a descriptive field
//! (calibre, firearm type, action, country of manufacture, place country) is
//! kept as recorded and flagged, and the message is accepted; a mapping field
//! (`strict = true`) or a partner (`strict = true` in gateway.toml) may opt into
//! rejecting it instead.

/// The descriptive fields, as the last segments of their dotted paths: the
/// same field of a record, a search or a trace request (`firearm.calibre`,
/// `event.place.country`, `seizure.place.country`).
pub const DESCRIPTIVE_FIELDS: &[&str] = &[
    "firearm.calibre",
    "firearm.make",
    "firearm.firearm_type",
    "firearm.action",
    "firearm.country_of_manufacture",
    "place.country",
];

/// Whether a dotted canonical path names a descriptive code-list field.
pub fn is_descriptive(field: &str) -> bool {
    DESCRIPTIVE_FIELDS
        .iter()
        .any(|d| field == *d || field.strip_suffix(d).is_some_and(|p| p.ends_with('.')))
}

/// Lenient by default; strict for every descriptive field, or for named ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strictness {
    all: bool,
    /// Dotted canonical paths (`firearm.calibre`), as mapping rules name them.
    fields: Vec<String>,
}

impl Strictness {
    /// Keep and flag every unrecognised descriptive value (the default).
    pub fn lenient() -> Strictness {
        Strictness::default()
    }

    /// Reject every unrecognised descriptive value.
    pub fn all() -> Strictness {
        Strictness {
            all: true,
            fields: Vec::new(),
        }
    }

    /// Reject unrecognised values of these fields only.
    pub fn fields<I, S>(fields: I) -> Strictness
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Strictness {
            all: false,
            fields: fields.into_iter().map(Into::into).collect(),
        }
    }

    /// Strict where either is.
    pub fn union(&self, other: &Strictness) -> Strictness {
        let mut fields = self.fields.clone();
        for f in &other.fields {
            if !fields.contains(f) {
                fields.push(f.clone());
            }
        }
        Strictness {
            all: self.all || other.all,
            fields,
        }
    }

    /// Whether an unrecognised value of `field` rejects the message.
    pub fn rejects(&self, field: &str) -> bool {
        self.all || self.fields.iter().any(|f| f == field)
    }

    pub fn is_lenient(&self) -> bool {
        !self.all && self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptive_fields_are_recognised_under_any_prefix() {
        for f in [
            "firearm.calibre",
            "firearm.firearm_type",
            "firearm.action",
            "firearm.country_of_manufacture",
            "event.place.country",
            "seizure.place.country",
        ] {
            assert!(is_descriptive(f), "{f}");
        }
        for f in [
            "owner_country",
            "firearm.serial_number",
            "event.date",
            "requested_country",
            "firearm.import_marking.country",
            "xfirearm.calibre",
        ] {
            assert!(!is_descriptive(f), "{f}");
        }
    }

    #[test]
    fn strictness_is_lenient_by_default_and_composes() {
        let lenient = Strictness::lenient();
        assert!(lenient.is_lenient() && !lenient.rejects("firearm.calibre"));
        assert!(Strictness::all().rejects("event.place.country"));
        let one = Strictness::fields(["firearm.calibre"]);
        assert!(one.rejects("firearm.calibre") && !one.rejects("firearm.action"));
        let both = one.union(&Strictness::fields(["firearm.action"]));
        assert!(both.rejects("firearm.calibre") && both.rejects("firearm.action"));
        assert!(one
            .union(&Strictness::all())
            .rejects("firearm.firearm_type"));
    }
}
