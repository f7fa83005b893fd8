//! Words around country names, by language (`adapters/codes/country_words.toml`):
//! placeholders that mean the country is not known, the constituent countries
//! of the United Kingdom, and abbreviations of the words of formal names.
//! Everything is compared through [`fold_key`], so case, accents and script
//! (Cyrillic, Arabic) do not matter.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde::Deserialize;

use super::fold_key;

const DATA: &str = include_str!("../../codes/country_words.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    placeholders: BTreeMap<String, Vec<String>>,
    constituent: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    abbreviations: BTreeMap<String, Vec<String>>,
}

struct Tables {
    placeholders: HashMap<String, ()>,
    /// Folded constituent name -> alpha-2 of its state.
    constituent: HashMap<String, String>,
    /// Folded abbreviation -> its full forms.
    abbreviations: HashMap<String, Vec<String>>,
}

// Embedded data, checked by `table_loads`: a parse failure is a programming error.
#[allow(clippy::expect_used)] // embedded data, proven by this module's load test
static TABLES: LazyLock<Tables> =
    LazyLock::new(|| load(DATA).expect("embedded codes/country_words.toml is invalid"));

fn load(text: &str) -> Result<Tables, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut placeholders = HashMap::new();
    for words in raw.placeholders.values() {
        for w in words {
            placeholders.insert(placeholder_key(w), ());
        }
    }
    let mut constituent = HashMap::new();
    for (state, languages) in &raw.constituent {
        for names in languages.values() {
            for n in names {
                constituent.insert(fold_key(n), state.clone());
            }
        }
    }
    let abbreviations = raw
        .abbreviations
        .iter()
        .map(|(short, long)| (fold_key(short), long.iter().map(|l| fold_key(l)).collect()))
        .collect();
    Ok(Tables {
        placeholders,
        constituent,
        abbreviations,
    })
}

/// A value that says the country is not known ("unknown", "outros", "непознато").
pub fn is_placeholder(input: &str) -> bool {
    let key = placeholder_key(input);
    !key.is_empty() && TABLES.placeholders.contains_key(&key)
}

/// Folded, without punctuation around it ("(unknown)" = "unknown").
fn placeholder_key(s: &str) -> String {
    fold_key(s)
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_string()
}

/// The state a constituent country belongs to ("Scotland" -> "GB").
pub fn constituent_of(input: &str) -> Option<&'static str> {
    TABLES.constituent.get(&fold_key(input)).map(String::as_str)
}

/// The input with its abbreviated words written out, one spelling per full
/// form ("Rep. Tcheca" -> "republic tcheca", "republica tcheca", ...);
/// empty when it has no abbreviation.
pub fn expansions(input: &str) -> Vec<String> {
    let folded = fold_key(input);
    let words: Vec<&str> = folded.split(' ').collect();
    let mut out = vec![String::new()];
    let mut any = false;
    for word in &words {
        let bare = word.trim_end_matches('.');
        let forms: Vec<String> = match TABLES.abbreviations.get(bare) {
            Some(long) => {
                any = true;
                long.clone()
            }
            None => vec![(*word).to_string()],
        };
        let mut next = Vec::new();
        for prefix in &out {
            for form in &forms {
                let joined = if prefix.is_empty() {
                    form.clone()
                } else {
                    format!("{prefix} {form}")
                };
                next.push(joined);
            }
        }
        // Bounded: a name has a few abbreviations at most.
        next.truncate(64);
        out = next;
    }
    if any {
        out
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads() {
        let tables = load(DATA).unwrap_or_else(|e| panic!("country_words.toml: {e}"));
        assert!(tables.placeholders.len() > 60);
        assert!(DATA.starts_with("# Words around country names"));
    }

    #[test]
    fn placeholders_in_every_language() {
        for s in [
            "Unknown",
            "OTHERS",
            "not stated",
            "n/a",
            "Inconnu",
            "Autres",
            "Desconocido",
            "Otros",
            "Desconhecido",
            "Outros",
            "Não informado",
            "nao informado",
            "Unbekannt",
            "Sonstige",
            "Sconosciuto",
            "Altri",
            "Nepoznato",
            "Ostalo",
            "Непознато",
            "Остало",
            "Неизвестно",
            "Прочие",
            "غير معروف",
            "أخرى",
            "  (unknown) ",
        ] {
            assert!(is_placeholder(s), "{s:?}");
        }
        for s in ["Brazil", "NA", "Oman", "", "Otranto"] {
            assert!(!is_placeholder(s), "{s:?}");
        }
    }

    #[test]
    fn constituent_countries_are_gb() {
        for s in [
            "England",
            "WALES",
            "Escócia",
            "Irlanda del Norte",
            "Nordirland",
            "Шотландия",
            "Škotska",
            "Шкотска",
        ] {
            assert_eq!(constituent_of(s), Some("GB"), "{s:?}");
        }
        assert_eq!(constituent_of("Ireland"), None);
    }

    #[test]
    fn abbreviations_expand_to_their_full_forms() {
        let e = expansions("Rep. Tcheca");
        assert!(e.contains(&"republica tcheca".to_string()), "{e:?}");
        assert!(expansions("Brazil").is_empty());
    }
}
