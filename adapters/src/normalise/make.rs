//! The canonical make: derived from `make` through the make reference
//! ([`crate::codes::makes`]); `make` itself stays as recorded.

use crate::codes::makes::{self, MakeMatch};
use crate::model::Firearm;

/// What [`derive`] found that the record should be flagged for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MakeNote {
    /// The make names several makers: the detail lists them.
    Ambiguous(String),
    /// The make reference does not know the make: the detail says so.
    Unknown(String),
}

/// Sets `make_canonical` from `make`. A given `make_canonical` without a
/// `make` is kept when it is a canonical name. Says when the make names
/// several makers or none the reference knows (the canonical make is then
/// absent and `make` stays as recorded).
pub fn derive(firearm: &mut Firearm) -> Option<MakeNote> {
    match firearm.make.as_deref() {
        Some(recorded) => match makes::lookup(recorded) {
            MakeMatch::Known(make) => {
                firearm.make_canonical = Some(make.name.clone());
                None
            }
            MakeMatch::Ambiguous(candidates) => {
                firearm.make_canonical = None;
                Some(MakeNote::Ambiguous(format!(
                    "make \"{recorded}\" names several makers: {}",
                    candidates.join(", ")
                )))
            }
            MakeMatch::Unknown => {
                firearm.make_canonical = None;
                (!recorded.trim().is_empty()).then(|| {
                    MakeNote::Unknown(format!(
                        "\"{recorded}\" is not in the make reference; kept as recorded"
                    ))
                })
            }
        },
        None => {
            if firearm
                .make_canonical
                .as_deref()
                .is_some_and(|name| makes::by_name(name).is_none())
            {
                firearm.make_canonical = None;
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{derive, MakeNote};
    use crate::model::Firearm;

    fn firearm(make: Option<&str>, canonical: Option<&str>) -> Firearm {
        Firearm {
            make: make.map(str::to_string),
            make_canonical: canonical.map(str::to_string),
            ..Firearm::default()
        }
    }

    #[test]
    fn known_make_gets_its_canonical_name_and_stays_as_recorded() {
        let mut f = firearm(Some("S&W"), None);
        assert_eq!(derive(&mut f), None);
        assert_eq!(f.make.as_deref(), Some("S&W"));
        assert_eq!(f.make_canonical.as_deref(), Some("Smith & Wesson"));
    }

    #[test]
    fn the_recorded_make_wins_over_a_given_canonical_make() {
        let mut f = firearm(Some("Glock"), Some("Beretta"));
        derive(&mut f);
        assert_eq!(f.make_canonical.as_deref(), Some("Glock"));
        let mut f = firearm(Some("Acme Blasters"), Some("Beretta"));
        derive(&mut f);
        assert_eq!(f.make_canonical, None);
    }

    #[test]
    fn ambiguous_make_reports_candidates() {
        let mut f = firearm(Some("Sauer"), None);
        let Some(MakeNote::Ambiguous(detail)) = derive(&mut f) else {
            panic!("not ambiguous")
        };
        assert!(detail.contains("J. P. Sauer & Sohn, SIG Sauer"), "{detail}");
        assert_eq!(f.make_canonical, None);
    }

    #[test]
    fn unknown_make_is_kept_and_said_so() {
        let mut f = firearm(Some("Acme Blasters"), None);
        assert_eq!(
            derive(&mut f),
            Some(MakeNote::Unknown(
                "\"Acme Blasters\" is not in the make reference; kept as recorded".to_string()
            ))
        );
        assert_eq!(f.make.as_deref(), Some("Acme Blasters"));
        assert_eq!(f.make_canonical, None);
    }

    #[test]
    fn canonical_make_alone_is_kept_only_when_canonical() {
        let mut f = firearm(None, Some("Glock"));
        derive(&mut f);
        assert_eq!(f.make_canonical.as_deref(), Some("Glock"));
        let mut f = firearm(None, Some("glock"));
        derive(&mut f);
        assert_eq!(f.make_canonical, None);
    }
}
