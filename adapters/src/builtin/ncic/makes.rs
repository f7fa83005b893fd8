//! The `MAK` field: NCIC gun make codes, from the official MAK table
//! (`codes::ncic`) and the make reference (`codes::makes`).

use crate::codes::makes::{self, MakeMatch};
use crate::codes::ncic;
use crate::model::Firearm;

/// The `MAK` code for a firearm's make: the make reference's code for its
/// canonical make (Glock `GLC`, Ruger `SR`, Taurus `TAS`, Colt `CLT`), else the
/// code whose official definition is the make as written. `None` when the table
/// has no code for the make (it is then written `MAK/ZZZ` with its name in MIS).
pub fn make_code(firearm: &Firearm) -> Option<&'static str> {
    let canonical = firearm.make_canonical.as_deref().or_else(|| {
        match makes::lookup(firearm.make.as_deref()?) {
            MakeMatch::Known(make) => Some(make.name.as_str()),
            _ => None,
        }
    });
    ncic::mak_for(canonical, firearm.make.as_deref())
}

/// A value shaped like a make code: one to four uppercase letters or digits.
pub(super) fn is_code(value: &str) -> bool {
    (1..=4).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}
