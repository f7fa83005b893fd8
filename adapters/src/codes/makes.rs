//! Firearm makes: canonical manufacturer names, the other names and short
//! forms they are recorded under, their country and their NCIC MAK codes.
//!
//! Data: `adapters/codes/makes.toml` (sources in its header).
//!
//! Inputs are matched on a folded key ([`make_key`]); a trailing noise word
//! ("Arms", "Firearms", ...) is dropped only when the input is not otherwise
//! listed and not declared `distinct`. Nothing is guessed: an input that names
//! several makers is [`MakeMatch::Ambiguous`], anything else unlisted is
//! [`MakeMatch::Unknown`].

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::fold_key;

const DATA: &str = include_str!("../../codes/makes.toml");

/// A manufacturer of the make table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Make {
    /// The canonical name the gateway emits.
    pub name: String,
    /// ISO 3166-1 alpha-2 of the company's seat; absent for a brand made in
    /// several countries under one name.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// NCIC MAK codes; the first is the one written.
    #[serde(default)]
    pub ncic: Vec<String>,
    /// Evidence for the entry where it matters.
    #[serde(default)]
    pub source: Option<String>,
}

/// The answer of [`lookup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MakeMatch {
    Known(&'static Make),
    /// The input names several makers: their canonical names.
    Ambiguous(&'static [String]),
    Unknown,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    distinct: Vec<String>,
    #[serde(default)]
    ambiguous: Vec<RawAmbiguous>,
    make: Vec<Make>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAmbiguous {
    name: String,
    candidates: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Make(usize),
    Ambiguous(usize),
}

struct Tables {
    makes: Vec<Make>,
    ambiguous: Vec<Vec<String>>,
    keys: HashMap<String, Entry>,
    distinct: Vec<String>,
    by_name: HashMap<String, usize>,
    by_ncic: HashMap<String, usize>,
}

// The data is embedded, so a failure to load it is a programming error caught
// by the `table_loads` test; `expect` is acceptable here.
#[allow(clippy::expect_used)] // embedded data, proven by the table_loads test
static TABLES: LazyLock<Tables> =
    LazyLock::new(|| load(DATA).expect("embedded codes/makes.toml is invalid"));

/// Corporate suffixes dropped from the end of a key, as folded token runs
/// (`S.p.A.` folds to `spa`, `& Co.` to `and co`).
const SUFFIXES: &[&[&str]] = &[
    // Longer runs first: `& Co.` goes as a whole, not as `co` leaving `and`.
    &["and", "co"],
    &["and", "cie"],
    &["and", "cia"],
    &["and", "c"],
    &["y", "cia"],
    &["inc"],
    &["incorporated"],
    &["corp"],
    &["corporation"],
    &["co"],
    &["company"],
    &["cia"],
    &["ltd"],
    &["limited"],
    &["llc"],
    &["lp"],
    &["plc"],
    &["pty"],
    &["gmbh"],
    &["gesmbh"],
    &["ag"],
    &["kg"],
    &["ohg"],
    &["sa"],
    &["spa"],
    &["srl"],
    &["snc"],
    &["sas"],
    &["sarl"],
    &["sro"],
    &["as"],
    &["ab"],
    &["oy"],
    &["bv"],
    &["nv"],
    &["ltda"],
];

/// Words that often trail a maker's name without changing whom it names.
const NOISE: &[&str] = &[
    "arms",
    "firearms",
    "armory",
    "armoury",
    "manufacturing",
    "mfg",
];

/// The folded key of a make name: [`fold_key`], `&` and `+` read as "and",
/// apostrophes dropped, other punctuation read as a space, runs of single
/// letters joined (`S. & W.` and `S&W` both give `s and w`, `B.S.A.` and `BSA`
/// both `bsa`), and corporate suffixes dropped from the end.
pub fn make_key(name: &str) -> String {
    let folded = fold_key(name);
    let mut spaced = String::with_capacity(folded.len() + 8);
    for c in folded.chars() {
        match c {
            '&' | '+' => spaced.push_str(" and "),
            '\'' | '`' => {}
            c if c.is_ascii_alphanumeric() => spaced.push(c),
            _ => spaced.push(' '),
        }
    }
    // (token, made of single letters joined together)
    let mut tokens: Vec<(String, bool)> = Vec::new();
    for word in spaced.split_whitespace() {
        let letter = word.len() == 1 && word.chars().all(|c| c.is_ascii_alphabetic());
        match tokens.last_mut() {
            Some((last, true)) if letter => last.push_str(word),
            _ => tokens.push((word.to_string(), letter)),
        }
    }
    let mut words: Vec<String> = tokens.into_iter().map(|(word, _)| word).collect();
    while let Some(suffix) = SUFFIXES.iter().find(|suffix| {
        words.len() > suffix.len()
            && words
                .get(words.len() - suffix.len()..)
                .unwrap_or_default()
                .iter()
                .zip(suffix.iter())
                .all(|(a, b)| a == b)
    }) {
        words.truncate(words.len() - suffix.len());
    }
    words.join(" ")
}

/// Looks a recorded make up. Never panics.
pub fn lookup(recorded: &str) -> MakeMatch {
    let tables = &*TABLES;
    let key = make_key(recorded);
    if key.is_empty() {
        return MakeMatch::Unknown;
    }
    if let Some(entry) = tables.keys.get(&key) {
        return tables.answer(*entry);
    }
    if tables.distinct.contains(&key) {
        return MakeMatch::Unknown;
    }
    let mut stripped = key.as_str();
    while let Some((rest, last)) = stripped.rsplit_once(' ') {
        if !NOISE.contains(&last) {
            break;
        }
        stripped = rest;
        if let Some(entry) = tables.keys.get(stripped) {
            return tables.answer(*entry);
        }
    }
    MakeMatch::Unknown
}

/// The make whose canonical name is exactly `name`.
#[allow(clippy::indexing_slicing)] // the index maps hold positions in the vectors load() built beside them
pub fn by_name(name: &str) -> Option<&'static Make> {
    let tables = &*TABLES;
    tables.by_name.get(name).map(|&i| &tables.makes[i])
}

/// The make an NCIC MAK code names, when the table gives it one.
#[allow(clippy::indexing_slicing)] // the index maps hold positions in the vectors load() built beside them
pub fn by_ncic(code: &str) -> Option<&'static Make> {
    let tables = &*TABLES;
    tables.by_ncic.get(code).map(|&i| &tables.makes[i])
}

/// Every make of the table, in table order.
pub fn all() -> &'static [Make] {
    &TABLES.makes
}

impl Tables {
    #[allow(clippy::indexing_slicing)] // the index maps hold positions in the vectors load() built beside them
    fn answer(&'static self, entry: Entry) -> MakeMatch {
        match entry {
            Entry::Make(i) => MakeMatch::Known(&self.makes[i]),
            Entry::Ambiguous(i) => MakeMatch::Ambiguous(&self.ambiguous[i]),
        }
    }
}

#[allow(clippy::indexing_slicing)] // the index maps hold positions in the vectors load() built beside them
fn load(text: &str) -> Result<Tables, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut keys: HashMap<String, Entry> = HashMap::new();
    let mut by_name = HashMap::new();
    let mut by_ncic = HashMap::new();
    for (i, make) in raw.make.iter().enumerate() {
        if by_name.insert(make.name.clone(), i).is_some() {
            return Err(format!("make {:?} is listed twice", make.name));
        }
        if let Some(country) = &make.country {
            if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(format!(
                    "make {:?}: country {country:?} is not alpha-2",
                    make.name
                ));
            }
        }
        for code in &make.ncic {
            if let Some(other) = by_ncic.insert(code.clone(), i) {
                return Err(format!(
                    "NCIC code {code} is given to {:?} and {:?}",
                    raw.make[other].name, make.name
                ));
            }
        }
        for spelling in std::iter::once(&make.name).chain(&make.synonyms) {
            let key = make_key(spelling);
            if key.is_empty() {
                return Err(format!(
                    "make {:?}: {spelling:?} folds to nothing",
                    make.name
                ));
            }
            match keys.insert(key.clone(), Entry::Make(i)) {
                Some(Entry::Make(j)) if j != i => {
                    return Err(format!(
                        "{spelling:?} (key {key:?}) names both {:?} and {:?}",
                        raw.make[j].name, make.name
                    ))
                }
                _ => {}
            }
        }
    }
    let mut ambiguous = Vec::new();
    for (i, entry) in raw.ambiguous.iter().enumerate() {
        for candidate in &entry.candidates {
            if !by_name.contains_key(candidate) {
                return Err(format!(
                    "ambiguous {:?}: candidate {candidate:?} is not a make",
                    entry.name
                ));
            }
        }
        if entry.candidates.len() < 2 {
            return Err(format!("ambiguous {:?} needs two candidates", entry.name));
        }
        let key = make_key(&entry.name);
        if let Some(Entry::Make(j)) = keys.insert(key.clone(), Entry::Ambiguous(i)) {
            return Err(format!(
                "ambiguous {:?} (key {key:?}) is also a name of {:?}",
                entry.name, raw.make[j].name
            ));
        }
        ambiguous.push(entry.candidates.clone());
    }
    let distinct = raw.distinct.iter().map(|name| make_key(name)).collect();
    Ok(Tables {
        makes: raw.make,
        ambiguous,
        keys,
        distinct,
        by_name,
        by_ncic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(input: &str) -> Option<&'static str> {
        match lookup(input) {
            MakeMatch::Known(make) => Some(make.name.as_str()),
            _ => None,
        }
    }

    #[test]
    fn table_loads_and_is_consistent() {
        let tables = load(DATA).unwrap();
        assert!(tables.makes.len() >= 200, "{} makes", tables.makes.len());
        // Every distinct name would otherwise reach a listed key by noise stripping.
        for name in &tables.distinct {
            let (rest, last) = name.rsplit_once(' ').unwrap();
            assert!(NOISE.contains(&last), "{name}");
            assert!(tables.keys.contains_key(rest), "{name} is not needed");
        }
    }

    #[test]
    fn key_folds_case_accents_punctuation_and_suffixes() {
        assert_eq!(make_key("Smith & Wesson"), "smith and wesson");
        assert_eq!(make_key("SMITH AND WESSON, INC."), "smith and wesson");
        assert_eq!(make_key("S. & W."), "s and w");
        assert_eq!(make_key("S&W"), "s and w");
        assert_eq!(make_key("B.S.A."), "bsa");
        assert_eq!(make_key("Česká zbrojovka a.s."), "ceska zbrojovka");
        assert_eq!(
            make_key("Fabbrica d'Armi Pietro Beretta S.p.A."),
            "fabbrica darmi pietro beretta"
        );
        assert_eq!(make_key("Umarex GmbH & Co. KG"), "umarex");
        assert_eq!(make_key("Colt's Mfg. Co., LLC"), "colts mfg");
        assert_eq!(make_key("Inc."), "inc");
        assert_eq!(make_key(""), "");
    }

    #[test]
    fn synonyms_and_short_forms_resolve() {
        let cases = [
            ("S&W", "Smith & Wesson"),
            ("smith and wesson", "Smith & Wesson"),
            ("SMITH & WESSON INC", "Smith & Wesson"),
            ("Sturm, Ruger & Co., Inc.", "Ruger"),
            ("STURM RUGER", "Ruger"),
            ("CZ", "Česká zbrojovka"),
            ("Ceska Zbrojovka", "Česká zbrojovka"),
            ("ČESKÁ ZBROJOVKA UHERSKÝ BROD", "Česká zbrojovka"),
            ("Glock Ges.m.b.H.", "Glock"),
            ("GLOCK GMBH", "Glock"),
            ("H&K", "Heckler & Koch"),
            ("Heckler und Koch GmbH", "Heckler & Koch"),
            ("Crvena Zastava", "Zastava Arms"),
            ("ЗАСТАВА", "Zastava Arms"),
            ("Fabbrica d'Armi Pietro Beretta S.p.A.", "Beretta"),
            ("Forjas Taurus S.A.", "Taurus"),
            ("Colt's Manufacturing Company LLC", "Colt"),
            ("Norinco", "Norinco"),
            ("China North Industries Corp.", "Norinco"),
            ("Baikal", "Izhevsk Mechanical Plant"),
            ("Kel-Tec CNC Industries Inc", "Kel-Tec"),
            ("F.N.", "FN Herstal"),
        ];
        for (input, expected) in cases {
            assert_eq!(canonical(input), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn noise_words_are_dropped_only_where_safe() {
        assert_eq!(canonical("Colt Firearms"), Some("Colt"));
        assert_eq!(canonical("Mossberg Arms"), Some("Mossberg"));
        assert_eq!(canonical("Glock Manufacturing"), Some("Glock"));
        // A listed name that ends in a noise word is its own maker.
        assert_eq!(canonical("Springfield Arms"), Some("Springfield Arms"));
        assert_eq!(canonical("Savage Arms"), Some("Savage Arms"));
        // Declared distinct: another maker, not "Davis" plus noise.
        assert_eq!(lookup("Davis Arms"), MakeMatch::Unknown);
        // Only trailing noise, and never the whole name.
        assert_eq!(lookup("Arms"), MakeMatch::Unknown);
        assert_eq!(lookup("Firearms Glock"), MakeMatch::Unknown);
    }

    #[test]
    fn ambiguous_names_are_never_guessed() {
        match lookup("Sauer") {
            MakeMatch::Ambiguous(candidates) => {
                assert_eq!(candidates, ["J. P. Sauer & Sohn", "SIG Sauer"])
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(lookup("Springfield"), MakeMatch::Ambiguous(_)));
        assert!(matches!(lookup("Izhevsk"), MakeMatch::Ambiguous(_)));
        assert!(matches!(lookup("Springfield Armory"), MakeMatch::Known(_)));
    }

    #[test]
    fn unknown_stays_unknown() {
        for input in [
            "",
            "   ",
            "Acme Blasters",
            "Kalashnikov",
            "Smith",
            "Unknown",
            "Glock 17",
            "🙂",
        ] {
            assert_eq!(lookup(input), MakeMatch::Unknown, "{input:?}");
        }
    }

    #[test]
    fn ncic_codes_and_names_are_indexed() {
        assert_eq!(by_ncic("GLC").map(|m| m.name.as_str()), Some("Glock"));
        assert_eq!(by_ncic("GLD").map(|m| m.name.as_str()), Some("Glock"));
        assert_eq!(by_ncic("SR").map(|m| m.name.as_str()), Some("Ruger"));
        assert_eq!(
            by_ncic("RUG").map(|m| m.name.as_str()),
            Some("Rogue Defense")
        );
        assert!(by_ncic("GLK").is_none());
        assert_eq!(
            by_name("Glock").and_then(|m| m.country.as_deref()),
            Some("AT")
        );
        assert!(by_name("glock").is_none());
        assert!(all().iter().any(|m| m.name == "Taurus"));
    }
}
