//! The canonical make: derived from `make` through the make reference
//! ([`crate::codes::makes`]); `make` itself stays as recorded.

use crate::codes::makes::{self, MakeMatch};
use crate::model::Firearm;

/// Sets `make_canonical` from `make`. A given `make_canonical` without a
/// `make` is kept when it is a canonical name. Returns the candidates when the
/// make names several makers (the canonical make is then absent).
pub fn derive(firearm: &mut Firearm) -> Option<String> {
    match firearm.make.as_deref() {
        Some(recorded) => match makes::lookup(recorded) {
            MakeMatch::Known(make) => {
                firearm.make_canonical = Some(make.name.clone());
                None
            }
            MakeMatch::Ambiguous(candidates) => {
                firearm.make_canonical = None;
                Some(format!(
                    "make \"{recorded}\" names several makers: {}",
                    candidates.join(", ")
                ))
            }
            MakeMatch::Unknown => {
                firearm.make_canonical = None;
                None
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
    use super::derive;
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
        let detail = derive(&mut f).unwrap();
        assert!(detail.contains("J. P. Sauer & Sohn, SIG Sauer"), "{detail}");
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
