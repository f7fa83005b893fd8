//! Regional calibre conventions: numbers that mean something else in one
//! country than the calibre table says everywhere. A mapping names the
//! convention its registry follows (`convention = "36-is-410"` on its calibre
//! rule, mappings/README.md); without it the gateway never applies one, since
//! reading a local convention into every registry's data would be a guess.

use super::{by_name, fold_key, rules, strip_marker_words, Calibre};

/// One named convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// Italy, France and Spain name the .410 bore "36" ("calibro 36", "cal. 36",
    /// "36/65", "36 GA"), although a true 36 gauge would be a far larger bore.
    ThirtySixIsFourTen,
}

/// Every convention, under the name a mapping uses for it.
pub const CONVENTIONS: &[(&str, Convention)] = &[("36-is-410", Convention::ThirtySixIsFourTen)];

impl Convention {
    pub fn parse(name: &str) -> Option<Convention> {
        CONVENTIONS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
    }

    pub fn name(self) -> &'static str {
        CONVENTIONS
            .iter()
            .find(|(_, c)| *c == self)
            .map(|(n, _)| *n)
            .unwrap_or_default()
    }

    /// The calibre this convention reads `input` as, when it speaks of it.
    pub fn apply(self, input: &str) -> Option<&'static Calibre> {
        let folded = fold_key(input);
        let number = strip_marker_words(&folded);
        match self {
            Convention::ThirtySixIsFourTen => {
                let n = number
                    .parse::<u32>()
                    .ok()
                    .or_else(|| rules::gauge_notation(number))?;
                (n == 36).then(|| by_name(".410 bore")).flatten()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_six_in_every_notation_is_the_410_bore_under_its_convention() {
        let c = Convention::parse("36-is-410").unwrap_or(Convention::ThirtySixIsFourTen);
        for input in [
            "36",
            "cal. 36",
            "Calibro 36",
            "36 GA",
            "36/65",
            "36-76",
            "36 bore",
        ] {
            assert_eq!(
                c.apply(input).map(|c| c.name.as_str()),
                Some(".410 bore"),
                "{input}"
            );
        }
        for input in ["12", "cal. 12", "360", "9x19", ".36", "36 Special", ""] {
            assert_eq!(c.apply(input), None, "{input}");
        }
        assert_eq!(c.name(), "36-is-410");
        assert_eq!(Convention::parse("36-is-.410"), None);
    }

    #[test]
    fn without_the_convention_36_is_not_read_as_the_410_bore() {
        let context = super::super::CalibreContext { shotgun: true };
        for input in ["36", "cal. 36", "36 GA", "36/65", "36 gauge"] {
            let found = super::super::lookup_in(input, &context).matched;
            assert!(
                !matches!(found, super::super::CalibreMatch::Known(c) if c.name == ".410 bore"),
                "{input}: {found:?}"
            );
        }
    }
}
