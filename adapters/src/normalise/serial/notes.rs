//! Several numbers and notes in one serial field: "40217; 930112" is two
//! serials (frame and slide), "58213 (na armação)" and "58213 - frame" are one
//! serial with a note saying where it was read. The note is kept and never goes
//! into the key; a note naming a part ("armação", "slide", "Lauf") sets the part.

use super::placeholder::{fold, words};
use crate::model::SerialPart;

/// One piece of a serial field: the number as recorded and what was said beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub number: String,
    pub note: Option<String>,
}

/// The separators between several serials in one field. A comma or a slash
/// is not one: both occur inside serials ("12/345") and placeholders ("S/N").
const SEPARATORS: &[char] = &[';', '|', '\n', '\r'];

/// Splits a field into pieces (one per serial), each with its note.
/// `extra` are a mapping's own separators.
pub fn split(raw: &str, extra: &[String]) -> Vec<Piece> {
    let mut parts: Vec<String> = raw.split(SEPARATORS).map(str::to_string).collect();
    for sep in extra.iter().filter(|s| !s.is_empty()) {
        parts = parts
            .iter()
            .flat_map(|p| {
                p.split(sep.as_str())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(note_of)
        .collect()
}

/// Takes a bracketed note ("(na armação)", "[slide]") or a note after a
/// spaced dash ("- frame") off a piece. A note needs a word of two letters or
/// more and the number before it a digit: "A - 1234" keeps its dash.
pub fn note_of(piece: &str) -> Piece {
    let whole = || Piece {
        number: piece.to_string(),
        note: None,
    };
    let has_digit = |s: &str| s.chars().any(|c| c.is_numeric());
    let is_note = |s: &str| {
        let folded = fold(s);
        words(&folded)
            .iter()
            .any(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic()))
    };
    for (open, close) in [('(', ')'), ('[', ']'), ('{', '}')] {
        if let (Some(start), Some(end)) = (piece.find(open), piece.rfind(close)) {
            if start < end {
                let inner = piece.get(start + 1..end).unwrap_or("").trim();
                let before = piece.get(..start).unwrap_or("");
                let after = piece.get(end + 1..).unwrap_or("");
                let number = format!("{}{}", before.trim_end(), after).trim().to_string();
                if has_digit(&number) && is_note(inner) {
                    return Piece {
                        number,
                        note: Some(inner.to_string()),
                    };
                }
            }
        }
    }
    for dash in [" - ", " – ", " — ", " : "] {
        if let Some((number, note)) = piece.split_once(dash) {
            let (number, note) = (number.trim(), note.trim());
            if has_digit(number) && !has_digit(note) && is_note(note) {
                return Piece {
                    number: number.to_string(),
                    note: Some(note.to_string()),
                };
            }
        }
    }
    whole()
}

/// Words (folded stems) naming the part a serial is on, in the listed languages.
const PARTS: &[(SerialPart, &[&str])] = &[
    (
        SerialPart::Frame,
        &[
            "frame",
            "armacao",
            "armaca",
            "marco",
            "armazon",
            "carcasse",
            "rahmen",
            "griffstuck",
            "okvir",
            "ram",
            "telaio",
            "fusto",
            "carcassa",
        ],
    ),
    (
        SerialPart::Receiver,
        &[
            "receiver",
            "caixa",
            "culatra",
            "cajon",
            "bascula",
            "boitier",
            "systemkasten",
            "gehause",
            "verschlussgehause",
            "sanduk",
            "kutija",
            "castello",
            "carcasa",
        ],
    ),
    (
        SerialPart::Slide,
        &[
            "slide",
            "ferrolho",
            "corredera",
            "culasse",
            "glissiere",
            "schlitten",
            "verschluss",
            "navlaka",
            "zatvarac",
            "carrello",
            "otturatore",
        ],
    ),
    (
        SerialPart::Barrel,
        &[
            "barrel", "cano", "canon", "lauf", "cijev", "cev", "canna", "tube",
        ],
    ),
    (
        SerialPart::Cylinder,
        &[
            "cylinder", "tambor", "barillet", "trommel", "bubanj", "tamburo", "cilindro",
        ],
    ),
];

/// The part a note names, if any ("na armação" -> frame). A word matches a
/// part word it starts with and exceeds by at most two letters ("canos", "Laufes").
pub fn part_of(note: &str) -> Option<SerialPart> {
    let folded = fold(note);
    for word in words(&folded) {
        for (part, names) in PARTS {
            if names
                .iter()
                .any(|n| word.strip_prefix(n).is_some_and(|rest| rest.len() <= 2))
            {
                return Some(*part);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_numbers_are_several_pieces() {
        let pieces = split("40217; 930112", &[]);
        assert_eq!(
            pieces.iter().map(|p| p.number.as_str()).collect::<Vec<_>>(),
            ["40217", "930112"]
        );
        assert_eq!(split("12/345", &[]).len(), 1);
        assert_eq!(split("A1 | B2 |", &[]).len(), 2);
        assert_eq!(split("A1 e B2", &[" e ".to_string()]).len(), 2);
    }

    #[test]
    fn notes_come_off_the_number() {
        let p = note_of("58213 (na armação)");
        assert_eq!(p.number, "58213");
        assert_eq!(p.note.as_deref(), Some("na armação"));
        let p = note_of("58213 - frame");
        assert_eq!(p.number, "58213");
        assert_eq!(p.note.as_deref(), Some("frame"));
        // Not notes: a dash inside a serial, a bracketed digit.
        assert_eq!(note_of("A - 1234").note, None);
        assert_eq!(note_of("C-123456").note, None);
        assert_eq!(note_of("123 (4)").note, None);
    }

    #[test]
    fn parts_from_notes() {
        assert_eq!(part_of("na armação"), Some(SerialPart::Frame));
        assert_eq!(part_of("slide"), Some(SerialPart::Slide));
        assert_eq!(part_of("am Lauf"), Some(SerialPart::Barrel));
        assert_eq!(part_of("na caixa da culatra"), Some(SerialPart::Receiver));
        assert_eq!(part_of("tambor"), Some(SerialPart::Cylinder));
        assert_eq!(part_of("lido com lupa"), None);
    }
}
