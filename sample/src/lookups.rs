//! Lookups in the tables by country and firearm type.

use crate::tables::{Gun, MAKER_COUNTRIES, OWNERS};

/// The successor code of a historic country of manufacture.
pub(crate) fn current_code(code: &'static str) -> &'static str {
    match code {
        "YU" => "RS",
        "SU" => "RU",
        other => other,
    }
}

/// (alpha-3, English short name) of a current country in the tables.
pub(crate) fn country_names(code: &str) -> Option<(&'static str, &'static str)> {
    if let Some(o) = OWNERS.iter().find(|o| o.code == code) {
        return Some((o.alpha3, o.name));
    }
    MAKER_COUNTRIES
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(_, alpha3, name, _, _)| (*alpha3, *name))
}

pub(crate) fn country_label(code: &str) -> &'static str {
    country_names(code)
        .map(|(_, name)| name)
        .unwrap_or("the country")
}

pub(crate) fn towns_of(code: &str) -> &'static [&'static str] {
    if let Some(o) = OWNERS.iter().find(|o| o.code == code) {
        return o.towns;
    }
    MAKER_COUNTRIES
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(.., towns)| *towns)
        .unwrap_or(&[])
}

/// The agency answering for a country; its INTERPOL National Central Bureau
/// when the tables name none.
pub(crate) fn agency_of(code: &str) -> String {
    if let Some(o) = OWNERS.iter().find(|o| o.code == code) {
        return o.agency.to_string();
    }
    MAKER_COUNTRIES
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(_, _, _, agency, _)| (*agency).to_string())
        .unwrap_or_else(|| format!("{code}-NCB"))
}

pub(crate) fn marking_locations(firearm_type: &str) -> &'static [&'static str] {
    match firearm_type {
        "pistol" => &["slide, left side", "frame, right side", "frame"],
        "revolver" => &["frame, left side", "barrel, left side"],
        "shotgun" => &["receiver, left side", "barrel"],
        "submachine_gun" => &["receiver, left side", "magazine well"],
        _ => &["receiver, left side", "receiver cover", "barrel"],
    }
}

pub(crate) fn finishes(firearm_type: &str) -> &'static [&'static str] {
    match firearm_type {
        "pistol" => &["black", "stainless", "nickel", "blued", "two-tone"],
        "revolver" => &["blued", "stainless", "nickel"],
        "shotgun" => &["blued", "matte black", "camouflage"],
        _ => &["parkerized", "blued", "black"],
    }
}

/// An IFRT-style reference derived from make and model (`IFRT-ZAS-M70AB2`).
pub(crate) fn ifrt_reference(gun: &Gun) -> String {
    let make: String = gun
        .make
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(3)
        .collect::<String>()
        .to_ascii_uppercase();
    let model: String = gun
        .model
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    format!("IFRT-{make}-{model}")
}

/// A name as the local part of an e-mail address: ASCII letters only.
pub(crate) fn email_part(name: &str) -> String {
    deunicode::deunicode(name)
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase()
}
