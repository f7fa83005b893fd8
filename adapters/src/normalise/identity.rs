//! Identity fields in one canonical form, so that one owner, search or trace is
//! one key however a sender spells it: agency codes (`owner_agency`,
//! `searching_agency`, …) and identifiers (`record_id`, `search_id`,
//! `trace_id`) are read as Unicode NFKC (full-width `ＲＳ` is `RS`) with the
//! surrounding white space taken off; agency codes are also uppercased
//! (`rs-mup`, ` Rs-Mup ` and `RS-MUP` are one agency). Identifiers keep their
//! case: a registry's record ids may tell `a1` from `A1`.
//!
//! Characters that show nothing (zero-width spaces and joiners, the byte-order
//! mark, the soft hyphen) or reorder what is shown (bidirectional controls)
//! are refused, never silently dropped: two ids that look the same must be
//! the same id, and a refusal tells the sender where its data is wrong.

use unicode_normalization::UnicodeNormalization;

/// Why an identity field was refused: the character and its position (in
/// characters, from 1).
pub(crate) fn invisible(text: &str) -> Option<String> {
    text.chars()
        .enumerate()
        .find(|(_, c)| is_invisible(*c))
        .map(|(i, c)| {
            format!(
                "character {} is U+{:04X} ({}), which shows nothing or reorders the text; \
                 identity fields may not hold it",
                i + 1,
                u32::from(c),
                name(c)
            )
        })
}

/// The code points refused: Unicode's bidirectional formatting characters
/// (UAX #9) and the default-ignorable ones a key could hide in. Hand-written
/// because no well-kept crate exposes these properties on their own; the list
/// is short and fixed by the standard.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                    // soft hyphen
        | '\u{034F}'                  // combining grapheme joiner
        | '\u{061C}'                  // Arabic letter mark
        | '\u{115F}' | '\u{1160}'     // Hangul fillers
        | '\u{17B4}' | '\u{17B5}'     // Khmer inherent vowels
        | '\u{180B}'..='\u{180F}'     // Mongolian variation selectors, vowel separator
        | '\u{200B}'..='\u{200F}'     // zero-width space, (non-)joiner, LRM, RLM
        | '\u{202A}'..='\u{202E}'     // bidirectional embeddings and overrides
        | '\u{2060}'..='\u{206F}'     // word joiner, invisible operators, bidi isolates
        | '\u{3164}'                  // Hangul filler
        | '\u{FE00}'..='\u{FE0F}'     // variation selectors
        | '\u{FEFF}'                  // byte-order mark, zero-width no-break space
        | '\u{FFA0}'                  // half-width Hangul filler
        | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1D173}'..='\u{1D17A}'   // musical formatting
        | '\u{E0000}'..='\u{E0FFF}'   // tags, variation selectors supplement
    )
}

fn name(c: char) -> &'static str {
    match c {
        '\u{200B}' => "zero width space",
        '\u{200C}' => "zero width non-joiner",
        '\u{200D}' => "zero width joiner",
        '\u{200E}' | '\u{200F}' | '\u{061C}' => "a directional mark",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "a bidirectional control",
        '\u{2060}' => "word joiner",
        '\u{FEFF}' => "zero width no-break space",
        '\u{00AD}' => "soft hyphen",
        _ => "an invisible formatting character",
    }
}

/// An identifier's canonical form: NFKC, surrounding white space removed.
pub(crate) fn identifier(text: &str) -> String {
    let normal: String = text.nfkc().collect();
    normal.trim().to_string()
}

/// An agency code's canonical form: [`identifier`], uppercased.
pub(crate) fn agency(text: &str) -> String {
    identifier(text).to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_agency_are_one_code() {
        for spelling in [
            "RS-MUP",
            "rs-mup",
            "RS-MUP ",
            " Rs-Mup",
            "\tRS-MUP\u{3000}",
            "ＲＳ－ＭＵＰ",
        ] {
            assert_eq!(agency(spelling), "RS-MUP", "{spelling:?}");
            assert_eq!(invisible(spelling), None, "{spelling:?}");
        }
    }

    #[test]
    fn identifiers_keep_their_case() {
        assert_eq!(identifier(" R-a1 "), "R-a1");
        assert_eq!(identifier("Ｒ－１"), "R-1");
    }

    #[test]
    fn invisible_and_bidirectional_characters_are_named_where_they_are() {
        let why = invisible("RS\u{200B}-MUP").expect("refused");
        assert!(
            why.starts_with("character 3 is U+200B (zero width space)"),
            "{why}"
        );
        assert!(invisible("RS-MUP\u{202E}")
            .expect("refused")
            .contains("U+202E"));
        assert!(invisible("\u{2067}RS")
            .expect("refused")
            .contains("character 1"));
        assert!(invisible("\u{FEFF}RS").is_some());
        assert_eq!(invisible("Srbija-MUP-Beograd"), None);
    }
}
