//! The `MAK` field: NCIC gun make codes.

use crate::codes::fold_key;

/// A partial table of NCIC gun make codes (`MAK`): code, the make name the
/// decoder gives, and other spellings the encoder accepts for it. Codes as used
/// in the NCIC Code Manual's gun data codes for these makers; the table holds
/// only common makes and must be checked against the current NCIC Code Manual
/// before production use. A make not in the table is written `MAK/ZZZ` with the
/// name in `MIS`.
pub const MAKES: &[(&str, &str, &[&str])] = &[
    (
        "BER",
        "Beretta",
        &[
            "Pietro Beretta",
            "Fabbrica d'Armi Pietro Beretta",
            "Beretta USA",
        ],
    ),
    (
        "BRO",
        "Browning",
        &["Browning Arms", "Browning Arms Company"],
    ),
    (
        "COL",
        "Colt",
        &[
            "Colt's",
            "Colts",
            "Colt's Manufacturing",
            "Colt's Manufacturing Company",
        ],
    ),
    ("GLK", "Glock", &["Glock GmbH", "Glock Inc"]),
    (
        "MOS",
        "Mossberg",
        &["O.F. Mossberg & Sons", "Mossberg & Sons"],
    ),
    (
        "REM",
        "Remington",
        &["Remington Arms", "Remington Arms Company"],
    ),
    (
        "RUG",
        "Ruger",
        &[
            "Sturm Ruger",
            "Sturm, Ruger & Co.",
            "Sturm Ruger and Company",
        ],
    ),
    (
        "SIG",
        "SIG Sauer",
        &["Sig-Sauer", "SIG Sauer GmbH", "Sig Sauer Inc"],
    ),
    ("SW", "Smith & Wesson", &["Smith and Wesson", "S&W"]),
    ("TAU", "Taurus", &["Forjas Taurus", "Taurus International"]),
    (
        "WIN",
        "Winchester",
        &[
            "Winchester Repeating Arms",
            "Winchester Repeating Arms Company",
        ],
    ),
];

fn make_key(name: &str) -> String {
    fold_key(name)
        .replace('&', " and ")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The make name for a `MAK` code in the table.
pub fn make_name(code: &str) -> Option<&'static str> {
    MAKES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, name, _)| *name)
}

/// The `MAK` code for a make name or one of its listed spellings (case, spacing
/// and punctuation do not matter; `&` = "and").
pub fn make_code(name: &str) -> Option<&'static str> {
    let key = make_key(name);
    if key.is_empty() {
        return None;
    }
    MAKES
        .iter()
        .find(|(code, display, synonyms)| {
            make_key(code) == key
                || make_key(display) == key
                || synonyms.iter().any(|s| make_key(s) == key)
        })
        .map(|(code, _, _)| *code)
}

/// A value shaped like a make code: one to four uppercase letters or digits.
pub(super) fn is_code(value: &str) -> bool {
    (1..=4).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}
