//! Code lists: countries (ISO 3166-1/-3), calibres, firearm types and actions
//! (with the NCIC TYP codes), makes (with the NCIC MAK codes).
//!
//! The data lives in `adapters/codes/` and is embedded with `include_str!`. Each
//! table is parsed once, on first use, into hash maps behind a
//! [`std::sync::LazyLock`]. A parse failure of the embedded data is a
//! programming error (the data ships with the binary), so the loaders `expect`
//! success. Every module has a unit test that forces its table to load and
//! checks the data's consistency, so such an error fails the tests, not a
//! running gateway. The lookups themselves never panic.

pub mod calibres;
pub mod countries;
pub mod country_words;
pub mod firearm_types;
pub mod makes;
pub mod ncic;

/// Lookup key: trims, folds case, strips accents/diacritics (deunicode, so đ->d,
/// Cyrillic transliterated), collapses runs of whitespace to one space.
///
/// Characters deunicode cannot transliterate are dropped.
///
/// For example `"  Côte   d'Ivoire "` -> `"cote d'ivoire"`, `"Đakovo"` -> `"dakovo"`,
/// `"Србија"` -> `"srbija"`.
pub fn fold_key(s: &str) -> String {
    let ascii = deunicode::deunicode_with_tofu(s, "");
    let mut out = String::with_capacity(ascii.len());
    for word in ascii.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold_key;

    #[test]
    fn fold_key_trims_folds_case_and_collapses_whitespace() {
        assert_eq!(fold_key("  Hello \t  World\n"), "hello world");
        assert_eq!(fold_key(""), "");
        assert_eq!(fold_key("   "), "");
    }

    #[test]
    fn fold_key_strips_diacritics_and_transliterates() {
        assert_eq!(fold_key("Côte d'Ivoire"), "cote d'ivoire");
        assert_eq!(fold_key("Côte d’Ivoire"), "cote d'ivoire");
        assert_eq!(fold_key("đ Đ š Ž ć Č"), "d d s z c c");
        assert_eq!(fold_key("pištolj"), "pistolj");
        assert_eq!(fold_key("Србија"), "srbija");
        assert_eq!(fold_key("Straße"), "strasse");
        assert_eq!(fold_key("7,62×39"), "7,62x39");
    }

    #[test]
    fn fold_key_never_panics_on_odd_input() {
        for s in ["\u{0}", "\u{FFFF}", "🙂🙂", "\u{200B}", "a\u{0301}", "ﬁ"] {
            let _ = fold_key(s);
        }
    }
}
