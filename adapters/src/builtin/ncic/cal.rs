//! The `CAL` field: NCIC calibre notation, read and written.

use super::encode::{identifier, invalid};
use super::line::shown;
use super::makes::is_code;
use crate::codes::calibres;
use crate::error::EncodeError;
use crate::model::Firearm;

/// NCIC calibre notations (decimal point stripped) that the calibre code list
/// does not read as written, with the spelling it does read. Other `CAL` values
/// (`9MM`, `22`, `38`, `357`, `380`, `12`, `410`, ...) are read as written.
pub const CAL_SPELLINGS: &[(&str, &str)] = &[
    ("556", "5.56"),
    ("635", "6.35"),
    ("762", "7.62"),
    ("763", "7.63"),
    ("765", "7.65"),
    ("792", "7.92"),
];

/// The calibre text handed to the normaliser for a `CAL` value.
pub fn calibre_for(cal: &str) -> &str {
    CAL_SPELLINGS
        .iter()
        .find(|(code, _)| *code == cal)
        .map_or(cal, |(_, spelling)| *spelling)
}

/// Leading number of a calibre name: `.45`, `9`, `7.62`, `12`.
fn leading_number(name: &str) -> Option<(&str, &str)> {
    let bytes = name.as_bytes();
    let mut end = 0;
    if bytes.first() == Some(&b'.') {
        end = 1;
    }
    let digits_start = end;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    if end == digits_start {
        return None;
    }
    if end + 1 < bytes.len() && bytes[end] == b'.' && bytes[end + 1].is_ascii_digit() {
        end += 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
    }
    Some((&name[..end], &name[end..]))
}

/// The NCIC notation of a calibre name: decimal points and designations dropped
/// (`.45 ACP` -> `45`, `7.62x39mm` -> `762`, `12 gauge` -> `12`, `.410 bore` ->
/// `410`), whole millimetre calibres with `MM` (`9x19mm` -> `9MM`, `10mm Auto` ->
/// `10MM`).
pub fn cal_notation(name: &str) -> Option<String> {
    let name = name.trim();
    let (number, rest) = leading_number(name)?;
    let metric_whole = !number.contains('.')
        && (rest.starts_with('x')
            || rest.starts_with('X')
            || rest.to_ascii_lowercase().starts_with("mm"));
    let gauge = rest.ends_with(" gauge") || rest.ends_with(" bore");
    if metric_whole && !gauge {
        Some(format!("{number}MM"))
    } else {
        Some(number.replace('.', ""))
    }
}

/// What reading a `CAL` value gives.
pub(super) fn cal_reading(cal: &str) -> calibres::CalibreMatch {
    calibres::lookup(calibre_for(cal))
}

/// Whether reading `cal` back agrees with the canonical calibre: the same known
/// calibre, or an ambiguity (with the calibre among the candidates).
fn cal_agrees(cal: &str, calibre: Option<&str>) -> bool {
    match (cal_reading(cal), calibre) {
        (calibres::CalibreMatch::Known(known), Some(c)) => known.name == c,
        (calibres::CalibreMatch::Known(_), None) => false,
        (calibres::CalibreMatch::Ambiguous(candidates), Some(c)) => candidates.contains(&c),
        (calibres::CalibreMatch::Ambiguous(_), None) => true,
        (calibres::CalibreMatch::Unknown, _) => false,
    }
}

/// `CAL` for a firearm: the value as recorded when it is NCIC notation that
/// reads back as this calibre; else the NCIC notation of the canonical calibre,
/// unless that would read back as a different calibre (then the canonical name
/// without its leading dot, when it holds no other period).
pub fn encode_calibre(firearm: &Firearm) -> Result<Option<String>, EncodeError> {
    let calibre = firearm.calibre.as_deref();
    if let Some(recorded) = firearm.calibre_as_recorded.as_deref() {
        let code = if is_code(recorded) {
            Some(recorded)
        } else {
            CAL_SPELLINGS
                .iter()
                .find(|(_, spelling)| *spelling == recorded)
                .map(|(code, _)| *code)
        };
        if let Some(code) = code.filter(|code| cal_agrees(code, calibre)) {
            return Ok(Some(code.to_string()));
        }
    }
    let Some(source) = calibre.or(firearm.calibre_as_recorded.as_deref()) else {
        return Ok(None);
    };
    if let Some(code) = cal_notation(source) {
        let contradicts = match (cal_reading(&code), calibre) {
            (calibres::CalibreMatch::Known(known), Some(c)) => known.name != c,
            _ => false,
        };
        if !contradicts {
            return Ok(Some(code));
        }
    }
    let name = source.strip_prefix('.').unwrap_or(source);
    if name.contains('.') || name.is_empty() {
        return Err(invalid(
            "CAL",
            format!(
                "calibre {} has no NCIC notation the gateway knows and cannot be written without periods",
                shown(source)
            ),
        ));
    }
    identifier("CAL", name).map(Some)
}
