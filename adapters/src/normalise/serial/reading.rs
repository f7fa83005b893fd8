//! The reading of a serial field: placeholders, patterns, notes and several
//! numbers joined into what the field says. The rule throughout: a false key is
//! worse than none. A placeholder, an unreadable state or a value the rules are
//! unsure of never yields a key.

use super::keys::serial_key;
use super::notes::{self, part_of};
use super::pattern;
use super::placeholder::{self, fold, words};
use crate::model::{SerialPart, SerialState};

/// A source's own words for "no serial", from a mapping field's `absent = [...]`
/// and `illegible = [...]` (compared case- and accent-folded), and its own
/// separators between several serials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sentinels {
    absent: Vec<String>,
    illegible: Vec<String>,
    separators: Vec<String>,
}

impl Sentinels {
    pub fn new<A, I>(absent: A, illegible: I) -> Sentinels
    where
        A: IntoIterator,
        A::Item: AsRef<str>,
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Sentinels {
            absent: absent.into_iter().map(|s| folded(s.as_ref())).collect(),
            illegible: illegible.into_iter().map(|s| folded(s.as_ref())).collect(),
            separators: Vec::new(),
        }
    }

    /// Also split the field at these separators.
    pub fn with_separators(mut self, separators: Vec<String>) -> Sentinels {
        self.separators = separators;
        self
    }

    /// The state a value names under these sentinels, if any.
    pub fn state_of(&self, text: &str) -> Option<SerialState> {
        let text = folded(text);
        if self.absent.contains(&text) {
            Some(SerialState::Absent)
        } else if self.illegible.contains(&text) {
            Some(SerialState::Illegible)
        } else {
            None
        }
    }
}

/// Folded words joined by one space: "  Não  CONSTA " -> "nao consta".
fn folded(text: &str) -> String {
    words(&fold(text)).join(" ")
}

/// What one serial in a field says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialReading {
    /// The number as recorded, without its note.
    pub number: String,
    /// `None` when the reading is unsure (`review`).
    pub state: Option<SerialState>,
    pub key: Option<String>,
    pub pattern: Option<String>,
    pub note: Option<String>,
    pub part: Option<SerialPart>,
    /// Kept as recorded, without a key, for a human to look at.
    pub review: bool,
    /// The value is a placeholder word or abbreviation (a state, no number).
    pub placeholder: bool,
}

impl SerialReading {
    fn stated(number: &str, state: SerialState, placeholder: bool) -> SerialReading {
        SerialReading {
            number: number.to_string(),
            state: Some(state),
            key: None,
            pattern: None,
            note: None,
            part: None,
            review: false,
            placeholder,
        }
    }

    fn unsure(number: &str) -> SerialReading {
        SerialReading {
            state: None,
            review: true,
            ..SerialReading::stated(number, SerialState::Legible, false)
        }
    }
}

/// Reads a serial field: one reading per serial it holds, the frame or
/// receiver serial first (the primary). Never empty: an empty field reads as
/// one empty, unsure-free reading with no state and no key.
pub fn read(raw: &str, sentinels: &Sentinels) -> Vec<SerialReading> {
    if raw.trim().is_empty() {
        return vec![SerialReading {
            state: None,
            ..SerialReading::stated("", SerialState::Absent, false)
        }];
    }
    // The whole field first: "S/N; N/C" or a mapping's sentinel is one placeholder.
    if let Some(reading) = read_placeholder(raw.trim(), sentinels) {
        return vec![reading];
    }
    let mut readings: Vec<SerialReading> = notes::split(raw, &sentinels.separators)
        .into_iter()
        .map(|piece| read_piece(piece, sentinels))
        .collect();
    if readings.is_empty() {
        readings.push(SerialReading::stated(raw, SerialState::Absent, true));
    }
    // NCIC asks for the frame or receiver serial first; the rest keep their order.
    readings.sort_by_key(|r| !matches!(r.part, Some(SerialPart::Frame | SerialPart::Receiver)));
    readings
}

/// Reads one serial on its own (a `serials[]` item's number).
pub fn read_one(text: &str, sentinels: &Sentinels) -> SerialReading {
    match read_placeholder(text.trim(), sentinels) {
        Some(reading) => reading,
        None => read_piece(notes::note_of(text.trim()), sentinels),
    }
}

fn read_placeholder(text: &str, sentinels: &Sentinels) -> Option<SerialReading> {
    if let Some(state) = sentinels.state_of(text) {
        return Some(SerialReading::stated(text, state, true));
    }
    // "???", "****": every position unknown.
    if text
        .chars()
        .any(|c| matches!(c, '?' | '*' | '_' | '#' | '…'))
        && !text.chars().any(char::is_alphanumeric)
    {
        return Some(SerialReading::stated(text, SerialState::Illegible, true));
    }
    placeholder::placeholder_state(text).map(|state| SerialReading::stated(text, state, true))
}

fn read_piece(piece: notes::Piece, sentinels: &Sentinels) -> SerialReading {
    let part = piece.note.as_deref().and_then(part_of);
    let note = piece.note;
    let with_note = |mut r: SerialReading| {
        r.part = part;
        r.note.clone_from(&note);
        r
    };
    let number = piece.number.as_str();
    if let Some(reading) = read_placeholder(number, sentinels) {
        return with_note(reading);
    }
    let bare = without_label(number);
    if !bare.chars().any(char::is_numeric) {
        // Words only, and not a placeholder the rules know: unsure.
        return with_note(SerialReading::unsure(number));
    }
    // A state word beside digits ("123 raspado", "12345 (limado)"): the digits
    // may not be the whole number.
    let state_word = |text: &str| {
        words(&fold(text))
            .iter()
            .any(|w| placeholder::is_state_word(w))
    };
    if state_word(bare) || note.as_deref().is_some_and(state_word) {
        return with_note(SerialReading::unsure(number));
    }
    if let Some(found) = pattern::parse(bare) {
        if pattern::known(&found) == 0 {
            return with_note(SerialReading::stated(number, SerialState::Illegible, true));
        }
        return with_note(SerialReading {
            pattern: Some(found),
            ..SerialReading::stated(number, SerialState::PartiallyLegible, false)
        });
    }
    let key = serial_key(bare);
    // "0", "000000": a filler, not a serial.
    if key.chars().all(|c| c == '0') {
        return with_note(SerialReading::unsure(number));
    }
    with_note(SerialReading {
        key: Some(key),
        ..SerialReading::stated(number, SerialState::Legible, false)
    })
}

/// "Nº 12345", "No. 12345", "S/N: 12345", "Serial: 12345" -> "12345": a label
/// before the number is not part of it. Only with its mark (º, °, a dot, a
/// colon): "NR 12345" may be a serial with letters.
fn without_label(number: &str) -> &str {
    let t = number.trim();
    if let Some((label, rest)) = t.split_once(':') {
        let label_words = fold(label);
        let ws = words(&label_words);
        let is_label = !ws.is_empty()
            && ws.iter().all(|w| {
                matches!(
                    *w,
                    "s" | "n"
                        | "sn"
                        | "no"
                        | "nr"
                        | "num"
                        | "numero"
                        | "number"
                        | "serial"
                        | "serie"
                        | "nummer"
                        | "seriennummer"
                        | "broj"
                        | "serijski"
                        | "matricola"
                        | "ser"
                        | "serien"
                )
            });
        if is_label && rest.trim_start().starts_with(|c: char| c.is_alphanumeric()) {
            return rest.trim();
        }
    }
    let lower = t.to_lowercase();
    for label in ["nº", "n°", "no.", "nr.", "n.", "num.", "nro.", "#"] {
        if lower.starts_with(label) {
            let rest = t.get(label.len()..).map_or("", str::trim_start);
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                return rest;
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(raw: &str) -> SerialReading {
        let mut r = read(raw, &Sentinels::default());
        assert_eq!(r.len(), 1, "{raw}: {r:?}");
        r.remove(0)
    }

    #[test]
    fn legible_serial_with_noise_keys_only_the_serial() {
        for (raw, key) in [
            ("C-123456", "C123456"),
            ("Nº 12345", "12345"),
            ("n° 12345", "12345"),
            ("S/N: A 004512", "A004512"),
            ("Serial: 76-01234", "7601234"),
            ("#12345", "12345"),
            ("58213 (na armação)", "58213"),
            ("58213 - frame", "58213"),
            ("BER 77 1234 Z", "BER771234Z"),
        ] {
            let r = one(raw);
            assert_eq!(r.key.as_deref(), Some(key), "{raw}");
            assert_eq!(r.state, Some(SerialState::Legible), "{raw}");
            assert!(!r.review);
        }
        let r = one("58213 (na armação)");
        assert_eq!(r.note.as_deref(), Some("na armação"));
        assert_eq!(r.part, Some(SerialPart::Frame));
    }

    #[test]
    fn placeholders_never_key() {
        for (raw, state) in [
            ("removido", SerialState::Obliterated),
            ("ilegível", SerialState::Illegible),
            ("S/N", SerialState::Absent),
            ("---", SerialState::Absent),
            ("???", SerialState::Illegible),
        ] {
            let r = one(raw);
            assert_eq!(r.state, Some(state), "{raw}");
            assert_eq!(r.key, None);
            assert_eq!(r.pattern, None);
            assert!(r.placeholder);
        }
    }

    #[test]
    fn unsure_values_are_kept_for_review() {
        for raw in [
            "ABCDEF",
            "Zastava",
            "123 raspado",
            "12345 (limado)",
            "000000",
        ] {
            let r = one(raw);
            assert!(r.review, "{raw}");
            assert_eq!(r.key, None, "{raw}");
            assert_eq!(r.state, None, "{raw}");
        }
    }

    #[test]
    fn partial_serials_are_patterns() {
        let r = one("31?407");
        assert_eq!(r.pattern.as_deref(), Some("31?407"));
        assert_eq!(r.key, None);
        assert_eq!(r.state, Some(SerialState::PartiallyLegible));
        assert_eq!(one("****7").pattern.as_deref(), Some("????7"));
    }

    #[test]
    fn several_serials_frame_first() {
        let r = read("40217; 930112", &Sentinels::default());
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].key.as_deref(), Some("40217"));
        assert_eq!(r[1].key.as_deref(), Some("930112"));
        let r = read("A1 (slide); B2 (frame)", &Sentinels::default());
        assert_eq!(r[0].key.as_deref(), Some("B2"));
        assert_eq!(r[0].part, Some(SerialPart::Frame));
        assert_eq!(r[1].part, Some(SerialPart::Slide));
    }

    #[test]
    fn sentinels_are_folded() {
        let s = Sentinels::new(["Não Consta"], ["ILLEGIVEL"]);
        assert_eq!(one_with("nao  consta", &s).state, Some(SerialState::Absent));
        assert_eq!(
            one_with("illégivel", &s).state,
            Some(SerialState::Illegible)
        );
        assert_eq!(one_with("nao consta", &s).key, None);
    }

    fn one_with(raw: &str, s: &Sentinels) -> SerialReading {
        let mut r = read(raw, s);
        r.remove(0)
    }
}
