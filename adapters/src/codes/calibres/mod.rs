//! Calibres (cartridges and shotgun gauges): one canonical name per
//! cartridge, its synonyms, similar-but-different ("related") cartridges, and
//! inputs that are ambiguous and must never be guessed ("9mm", ".38", "7.62").
//!
//! Data: `adapters/codes/calibres.toml`.
//!
//! # How input is matched
//! Input and table entries are reduced to the same key:
//! 1. [`fold_key`] (case, accents, `×` -> `x`, whitespace);
//! 2. a leading "cal"/"cal."/"kal."/"Kaliber"/"Kalibar"/"caliber"/"calibre"/"calibro"
//!    word and a trailing "cal"/"caliber"/"calibre" word are dropped;
//! 3. a decimal comma between digits becomes a dot ("7,62" -> "7.62"); a dot is
//!    kept only before a digit (".22", "7.62"; "l.r." -> "lr"); spaces, hyphens,
//!    quotes, parentheses and other punctuation are dropped ("9 x 19" ->
//!    "9x19", ".30-06" -> ".3006", "S & W" -> "s&w");
//! 4. a trailing "+P"/"+P+" (a pressure rating, same cartridge) is dropped;
//! 5. "mm" right after a digit is dropped ("9x19mm" -> "9x19",
//!    "7.62x54mmR" -> "7.62x54r", "9mm Luger" -> "9luger"), except when the
//!    whole key is a number followed by "mm" ("9mm", "18.5mm"), which keeps it.
//!
//! The key is then looked up as is; a bare number is also tried with "mm"
//! ("9" -> "9mm") and as an inch calibre with a leading dot ("38" -> ".38",
//! "38 Special" -> ".38 Special"); a key with a leading dot is also tried without
//! it; a "number + mm" key is also tried without "mm" unless that is a shotgun
//! gauge ("7.62mm" -> "7.62", but "12mm" is not 12 gauge).
//!
//! Names such as "Para", "Luger" or "Parabellum" are recognised only through the
//! synonyms listed in the data: there is no partial or fuzzy matching.

// TODO(lints): index and expect hits left for the helper editing this file; fix with .get() or typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::fold_key;

mod conventions;
mod rules;

pub use conventions::{Convention, CONVENTIONS};

const DATA: &str = include_str!("../../../codes/calibres.toml");

/// One cartridge or shotgun gauge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calibre {
    /// Canonical name ("9x19mm", ".45 ACP", "12 gauge").
    pub name: String,
    /// Other spellings accepted on input, as listed in the data.
    pub synonyms: Vec<String>,
    /// Canonical names of similar but different cartridges (symmetric: if A
    /// lists B, B lists A). Never merged with this one.
    pub related: Vec<String>,
    /// A shotgun gauge (or bore) rather than a calibre.
    pub is_gauge: bool,
}

/// Result of [`lookup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalibreMatch {
    /// One cartridge.
    Known(&'static Calibre),
    /// The input names several different cartridges: keep it as recorded and
    /// flag it. Holds the candidates' canonical names.
    Ambiguous(Vec<&'static str>),
    /// Not in the table.
    Unknown,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    calibre: Vec<RawCalibre>,
    #[serde(default)]
    ambiguous: Vec<RawAmbiguous>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalibre {
    name: String,
    #[serde(default)]
    synonyms: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAmbiguous {
    input: String,
    candidates: Vec<String>,
    /// Matches only the bare number as written, not its "mm" form (NCIC's
    /// CAL/40 is a bore in inches; "40mm" is a grenade, not a .40 S&W).
    #[serde(default)]
    bare: bool,
}

struct Tables {
    calibres: Vec<Calibre>,
    by_name: HashMap<String, usize>,
    /// Key of every canonical name and synonym.
    known: HashMap<String, usize>,
    /// Key of every ambiguous input -> candidate indices.
    /// Ambiguous input key -> (candidate indexes, matches the bare number only).
    ambiguous: HashMap<String, (Vec<usize>, bool)>,
}

// The embedded TOML ships with the binary: failing to parse it is a programming
// error, caught by the `table_loads` test, so `expect` is acceptable here.
static TABLES: LazyLock<Tables> =
    LazyLock::new(|| load(DATA).expect("embedded codes/calibres.toml is invalid"));

/// Tolerant of case, spacing ("9 x 19 mm"), decimal comma ("7,62x39"), "×" vs
/// "x", trailing "mm", "cal."/"kal."/"Kaliber" prefixes, "Para"/"Parabellum"
/// etc. only via synonyms. Ambiguous inputs ("9mm", ".38", "9 mm") return
/// Ambiguous, never a guess. See the module documentation for the exact rules.
pub fn lookup(input: &str) -> CalibreMatch {
    let key = calibre_key(input);
    if key.is_empty() {
        return CalibreMatch::Unknown;
    }
    let tables = &*TABLES;
    for (candidate, gauge_allowed) in candidate_keys(&key) {
        if let Some(&i) = tables.known.get(&candidate) {
            let calibre = &tables.calibres[i];
            if gauge_allowed || !calibre.is_gauge {
                return CalibreMatch::Known(calibre);
            }
            continue;
        }
        if let Some((list, bare)) = tables.ambiguous.get(&candidate) {
            if *bare && candidate != key {
                continue;
            }
            return CalibreMatch::Ambiguous(
                list.iter()
                    .map(|&i| tables.calibres[i].name.as_str())
                    .collect(),
            );
        }
    }
    CalibreMatch::Unknown
}

/// What a calibre is recorded next to: a bare number on a shotgun is a gauge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CalibreContext {
    pub shotgun: bool,
}

/// Result of [`lookup_in`]: the match and, when the value had been damaged by
/// a spreadsheet (a gauge turned into a date, a number into scientific
/// notation), what was read back, for a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalibreLookup {
    pub matched: CalibreMatch,
    pub repaired: Option<String>,
}

/// [`lookup`], then the rules of [`rules`] for what the table does not hold as
/// written: gauge notations, spreadsheet damage, dual designations `X (Y)`,
/// trailing noise; with the firearm as context.
pub fn lookup_in(input: &str, context: &CalibreContext) -> CalibreLookup {
    let plain = |matched| CalibreLookup {
        matched,
        repaired: None,
    };
    let folded = fold_key(input);
    if context.shotgun {
        if let Some(gauge) = folded.parse::<u32>().ok().and_then(gauge_named) {
            return plain(CalibreMatch::Known(gauge));
        }
    }
    let first = lookup(input);
    if matches!(first, CalibreMatch::Known(_)) {
        return plain(first);
    }
    if let Some(with_point) = rules::decimal_family(&calibre_key(input)) {
        let matched = lookup(&with_point);
        if matched != CalibreMatch::Unknown {
            return plain(matched);
        }
    }
    if let Some(gauge) = rules::gauge(&folded).and_then(gauge_named) {
        return plain(CalibreMatch::Known(gauge));
    }
    if let Some(gauges) = rules::date_damage(&folded) {
        let list: Vec<&'static Calibre> = gauges.into_iter().filter_map(gauge_named).collect();
        let matched = match list.as_slice() {
            [one] => CalibreMatch::Known(one),
            [] => CalibreMatch::Unknown,
            many => CalibreMatch::Ambiguous(many.iter().map(|c| c.name.as_str()).collect()),
        };
        if matched != CalibreMatch::Unknown {
            return CalibreLookup {
                matched,
                repaired: Some(format!(
                    "\"{input}\" reads as a date a spreadsheet made of a gauge and chamber (such as 12/70)"
                )),
            };
        }
    }
    if let Some(number) = rules::scientific(&folded) {
        let inner = lookup_in(&number, context);
        if inner.matched != CalibreMatch::Unknown {
            return CalibreLookup {
                matched: inner.matched,
                repaired: Some(format!(
                    "\"{input}\" reads as {number} written in scientific notation by a spreadsheet"
                )),
            };
        }
    }
    if let Some((outer, inner)) = rules::dual(input) {
        let a = lookup_in(&outer, context).matched;
        let b = lookup_in(&inner, context).matched;
        let matched = combine(a, b);
        if matched != CalibreMatch::Unknown {
            return plain(matched);
        }
    }
    if let Some(shorter) = rules::without_noise(&folded) {
        let inner = lookup_in(&shorter, context);
        if inner.matched != CalibreMatch::Unknown {
            return inner;
        }
    }
    plain(first)
}

fn gauge_named(number: u32) -> Option<&'static Calibre> {
    by_name(&format!("{number} gauge")).filter(|c| c.is_gauge)
}

/// The two sides of a dual designation `X (Y)`: the same cartridge, or one
/// side naming a cartridge the other allows, or a related pair (the outer
/// designation stands, the normaliser flags the relation), is one calibre;
/// two different cartridges are ambiguous; an unknown side is noise.
fn combine(a: CalibreMatch, b: CalibreMatch) -> CalibreMatch {
    use CalibreMatch::{Ambiguous, Known, Unknown};
    match (a, b) {
        (Known(x), Known(y)) if x == y || x.related.contains(&y.name) => Known(x),
        (Known(x), Known(y)) => Ambiguous(vec![x.name.as_str(), y.name.as_str()]),
        (Known(x), Ambiguous(list)) | (Ambiguous(list), Known(x)) => {
            if list.contains(&x.name.as_str()) {
                Known(x)
            } else {
                let mut all = vec![x.name.as_str()];
                all.extend(list);
                Ambiguous(all)
            }
        }
        (Known(x), Unknown) | (Unknown, Known(x)) => Known(x),
        (Ambiguous(p), Ambiguous(q)) => {
            let both: Vec<&'static str> = p.iter().copied().filter(|c| q.contains(c)).collect();
            match both.as_slice() {
                [one] => by_name(one).map_or(Unknown, Known),
                [] => {
                    let mut all = p;
                    all.extend(
                        q.into_iter()
                            .filter(|c| !all.contains(c))
                            .collect::<Vec<_>>(),
                    );
                    Ambiguous(all)
                }
                _ => Ambiguous(both),
            }
        }
        (Ambiguous(p), Unknown) | (Unknown, Ambiguous(p)) => Ambiguous(p),
        (Unknown, Unknown) => Unknown,
    }
}

/// Exact canonical name (case-sensitive, as in the data).
pub fn by_name(name: &str) -> Option<&'static Calibre> {
    let tables = &*TABLES;
    tables.by_name.get(name).map(|&i| &tables.calibres[i])
}

/// Every calibre, in data order.
pub fn all() -> &'static [Calibre] {
    &TABLES.calibres
}

/// Words that introduce or follow a calibre and carry no information.
const MARKER_WORDS: [&str; 7] = [
    "kaliber", "kalibar", "caliber", "calibre", "calibro", "cal", "kal",
];

/// The lookup key of a calibre spelling (see the module documentation).
fn calibre_key(input: &str) -> String {
    let folded = rules::expand_words(&fold_key(input));
    let s = strip_marker_words(&folded);

    let chars: Vec<char> = s.chars().collect();
    let mut compact = String::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev_digit = i > 0 && chars[i - 1].is_ascii_digit();
        let next_digit = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        match c {
            '.' if next_digit => compact.push('.'),
            ',' if prev_digit && next_digit => compact.push('.'),
            'a'..='z' | '0'..='9' | '/' | '&' | '+' => compact.push(c),
            _ => {}
        }
    }
    for rating in ["+p+", "+p"] {
        if let Some(rest) = compact.strip_suffix(rating) {
            compact = rest.to_owned();
            break;
        }
    }
    if compact
        .strip_suffix("mm")
        .is_some_and(|n| is_number(n.strip_prefix('.').unwrap_or(n)))
    {
        return compact;
    }
    // Drop "mm" right after a digit.
    let mut key = String::with_capacity(compact.len());
    let mut rest = compact.as_str();
    while let Some(c) = rest.chars().next() {
        if c == 'm' && rest.starts_with("mm") && key.ends_with(|p: char| p.is_ascii_digit()) {
            rest = &rest[2..];
            continue;
        }
        key.push(c);
        rest = &rest[c.len_utf8()..];
    }
    key
}

/// Removes a leading and a trailing marker word ("cal.", "Kaliber", ...).
fn strip_marker_words(s: &str) -> &str {
    let mut s = s.trim();
    for word in MARKER_WORDS {
        let Some(rest) = s.strip_prefix(word) else {
            continue;
        };
        if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let rest = rest.trim_start_matches([' ', ':']);
        // "cal. 12", "cal.: 12": an abbreviation dot, not a decimal point.
        s = match rest.strip_prefix('.') {
            Some(r) if !r.starts_with(|c: char| c.is_ascii_digit()) => {
                r.trim_start_matches([' ', ':'])
            }
            _ => rest,
        };
        break;
    }
    let trimmed = s.trim_end_matches(['.', ' ']);
    for word in MARKER_WORDS {
        if let Some(rest) = trimmed.strip_suffix(word) {
            if rest.ends_with(' ') && !rest.trim().is_empty() {
                return rest.trim_end();
            }
        }
    }
    s
}

/// Digits with an optional decimal part ("9", "7.62", "18.5").
fn is_number(s: &str) -> bool {
    let mut parts = s.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Keys to try, in order, with whether a shotgun gauge may match.
fn candidate_keys(key: &str) -> Vec<(String, bool)> {
    let mut keys = vec![(key.to_owned(), true)];
    let number_mm = key.strip_suffix("mm").filter(|n| is_number(n));
    if let Some(number) = number_mm {
        keys.push((number.to_owned(), false));
        return keys;
    }
    if is_number(key) {
        keys.push((format!("{key}mm"), true));
    }
    if key.starts_with(|c: char| c.is_ascii_digit()) {
        keys.push((format!(".{key}"), true));
    }
    if let Some(rest) = key.strip_prefix('.') {
        keys.push((rest.to_owned(), true));
    }
    keys
}

fn load(text: &str) -> Result<Tables, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut errors = Vec::new();
    let mut calibres = Vec::with_capacity(raw.calibre.len());
    let mut by_name = HashMap::new();
    let mut known: HashMap<String, usize> = HashMap::new();

    for (i, c) in raw.calibre.iter().enumerate() {
        if c.name.trim().is_empty() || c.name.trim() != c.name {
            errors.push(format!(
                "calibre #{i}: empty or untrimmed name {:?}",
                c.name
            ));
        }
        if by_name.insert(c.name.clone(), i).is_some() {
            errors.push(format!("{:?} is defined twice", c.name));
        }
        let is_gauge = match c.kind.as_deref() {
            None => false,
            Some("gauge") => true,
            Some(other) => {
                errors.push(format!("{:?}: unknown kind {other:?}", c.name));
                false
            }
        };
        for spelling in std::iter::once(&c.name).chain(&c.synonyms) {
            let key = calibre_key(spelling);
            if key.is_empty() {
                errors.push(format!(
                    "{:?}: synonym {spelling:?} has an empty key",
                    c.name
                ));
                continue;
            }
            match known.get(&key) {
                Some(&j) if j != i => errors.push(format!(
                    "{spelling:?} (key {key:?}) is a synonym of both {:?} and {:?}",
                    raw.calibre[j].name, c.name
                )),
                _ => {
                    known.insert(key, i);
                }
            }
        }
        calibres.push(Calibre {
            name: c.name.clone(),
            synonyms: c.synonyms.clone(),
            related: Vec::new(),
            is_gauge,
        });
    }

    // Related cartridges, made symmetric.
    for (i, c) in raw.calibre.iter().enumerate() {
        for r in &c.related {
            match by_name.get(r) {
                Some(&j) if j != i => {
                    for (a, b) in [(i, j), (j, i)] {
                        let name = calibres[b].name.clone();
                        if !calibres[a].related.contains(&name) {
                            calibres[a].related.push(name);
                        }
                    }
                }
                _ => errors.push(format!(
                    "{:?}: related {r:?} is not another calibre",
                    c.name
                )),
            }
        }
    }

    let mut ambiguous = HashMap::new();
    for a in &raw.ambiguous {
        let key = calibre_key(&a.input);
        if key.is_empty() {
            errors.push(format!("ambiguous input {:?} has an empty key", a.input));
            continue;
        }
        if let Some(&j) = known.get(&key) {
            errors.push(format!(
                "ambiguous input {:?} is also a synonym of {:?}",
                a.input, calibres[j].name
            ));
        }
        let mut list = Vec::new();
        for name in &a.candidates {
            match by_name.get(name) {
                Some(&j) if !list.contains(&j) => list.push(j),
                Some(_) => errors.push(format!("ambiguous {:?}: {name:?} listed twice", a.input)),
                None => errors.push(format!("ambiguous {:?}: unknown calibre {name:?}", a.input)),
            }
        }
        // One candidate is allowed: a bare bore number (NCIC's CAL/338) may mean a
        // cartridge this table does not know, so it is still not guessed.
        if list.is_empty() {
            errors.push(format!(
                "ambiguous {:?} needs at least one candidate",
                a.input
            ));
        }
        if ambiguous.insert(key, (list, a.bare)).is_some() {
            errors.push(format!("ambiguous input {:?} is listed twice", a.input));
        }
    }

    if errors.is_empty() {
        Ok(Tables {
            calibres,
            by_name,
            known,
            ambiguous,
        })
    } else {
        Err(errors.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(input: &str) -> Option<&'static str> {
        match lookup(input) {
            CalibreMatch::Known(c) => Some(c.name.as_str()),
            _ => None,
        }
    }

    fn candidates(input: &str) -> Vec<&'static str> {
        match lookup(input) {
            CalibreMatch::Ambiguous(list) => list,
            other => panic!("{input:?} should be ambiguous, got {other:?}"),
        }
    }

    #[test]
    fn table_loads() {
        let tables = load(DATA).unwrap_or_else(|e| panic!("calibres.toml: {e}"));
        assert!(tables.calibres.len() >= 70, "{}", tables.calibres.len());
        assert_eq!(all().len(), tables.calibres.len());
        assert!(
            DATA.starts_with("# Sources:") && DATA.lines().next().unwrap_or("").contains("C.I.P.")
        );
    }

    #[test]
    fn every_name_and_synonym_finds_its_calibre() {
        for c in all() {
            assert_eq!(
                by_name(&c.name).map(|f| f.name.as_str()),
                Some(c.name.as_str())
            );
            for s in std::iter::once(&c.name).chain(&c.synonyms) {
                assert_eq!(name(s), Some(c.name.as_str()), "{s:?}");
            }
        }
    }

    #[test]
    fn domain_synonyms() {
        let cases = [
            ("9x19mm", "9x19mm"),
            ("9mm Luger", "9x19mm"),
            ("9mm Parabellum", "9x19mm"),
            ("9mm NATO", "9x19mm"),
            ("9 mm Para", "9x19mm"),
            ("9x19 mm", "9x19mm"),
            ("9 x 19 mm", "9x19mm"),
            ("9×19", "9x19mm"),
            ("9X19MM", "9x19mm"),
            (".45 ACP", ".45 ACP"),
            ("11.43x23mm", ".45 ACP"),
            ("11,43x23", ".45 ACP"),
            (".45 Auto", ".45 ACP"),
            ("45 ACP", ".45 ACP"),
            ("7.62x39mm", "7.62x39mm"),
            ("7,62x39", "7.62x39mm"),
            ("7.62 x 39", "7.62x39mm"),
            ("7.62 Soviet", "7.62x39mm"),
            ("M43", "7.62x39mm"),
            ("5.56x45mm", "5.56x45mm"),
            ("5.56 NATO", "5.56x45mm"),
            (".223 Remington", ".223 Remington"),
            (".223 Rem", ".223 Remington"),
            ("7.62x51mm", "7.62x51mm"),
            ("7.62 NATO", "7.62x51mm"),
            (".308 Winchester", ".308 Winchester"),
            (".308 Win", ".308 Winchester"),
            (".22 LR", ".22 LR"),
            (".22 Long Rifle", ".22 LR"),
            ("22 LR", ".22 LR"),
            (".22 l.r.", ".22 LR"),
            ("5.6mm lfB", ".22 LR"),
            ("5,6 mm lfB", ".22 LR"),
            ("12 gauge", "12 gauge"),
            ("12 GA", "12 gauge"),
            ("12ga", "12 gauge"),
            ("cal. 12", "12 gauge"),
            ("Cal.12", "12 gauge"),
            ("Kaliber 12", "12 gauge"),
            ("kal. 12", "12 gauge"),
            ("18.5mm", "12 gauge"),
            ("18,5 mm", "12 gauge"),
            ("12", "12 gauge"),
            ("12/70", "12 gauge"),
            (".38 Special", ".38 Special"),
            (".38 Spl", ".38 Special"),
            ("38 Special", ".38 Special"),
            (".38 Special +P", ".38 Special"),
            (".357 Magnum", ".357 Magnum"),
            ("357 Magnum", ".357 Magnum"),
            ("7.65x17mm", "7.65x17mm"),
            (".32 ACP", "7.65x17mm"),
            ("7.65 Browning", "7.65x17mm"),
            ("7,65 mm Browning", "7.65x17mm"),
            (".380 ACP", ".380 ACP"),
            ("9x17mm", ".380 ACP"),
            ("9mm Short", ".380 ACP"),
            ("9mm Kurz", ".380 ACP"),
            (".25 ACP", ".25 ACP"),
            ("6.35mm Browning", ".25 ACP"),
            ("6,35", ".25 ACP"),
            (".40 S&W", ".40 S&W"),
            (".40 S & W", ".40 S&W"),
            ("10x22mm", ".40 S&W"),
            ("10mm Auto", "10mm Auto"),
            ("10mm", "10mm Auto"),
            ("7.62x54mmR", "7.62x54mmR"),
            ("7.62x54R", "7.62x54mmR"),
            ("7.62 Russian", "7.62x54mmR"),
            ("9x18mm Makarov", "9x18mm Makarov"),
            ("9x18", "9x18mm Makarov"),
            ("9x21mm", "9x21mm"),
            (".38 S&W", ".38 S&W"),
            (".38 Super", ".38 Super"),
            ("7.62x25mm Tokarev", "7.62x25mm Tokarev"),
            ("7,62x25 Tokarev", "7.62x25mm Tokarev"),
            ("7.92x57mm Mauser", "7.92x57mm Mauser"),
            ("8mm Mauser", "7.92x57mm Mauser"),
            ("7,9 mm Mauser", "7.92x57mm Mauser"),
            ("7.9mm Mauser", "7.92x57mm Mauser"),
            ("8x57 IS", "7.92x57mm Mauser"),
            ("7,92x57", "7.92x57mm Mauser"),
            ("5.45x39mm", "5.45x39mm"),
            ("12.7x99mm", "12.7x99mm"),
            (".50 BMG", "12.7x99mm"),
            ("12.7x108mm", "12.7x108mm"),
            (".44 Magnum", ".44 Magnum"),
            (".22 WMR", ".22 WMR"),
            (".30-06", ".30-06 Springfield"),
            ("30-06", ".30-06 Springfield"),
            (".30 06", ".30-06 Springfield"),
            (".300 Win Mag", ".300 Winchester Magnum"),
            (".338 Lapua", ".338 Lapua Magnum"),
            ("6.5 Creedmoor", "6.5mm Creedmoor"),
            (".243 Win", ".243 Winchester"),
            (".270 Win", ".270 Winchester"),
            (".30-30", ".30-30 Winchester"),
            ("20 GA", "20 gauge"),
            ("16", "16 gauge"),
            (".410", ".410 bore"),
            ("410 GA", ".410 bore"),
        ];
        for (input, expected) in cases {
            assert_eq!(name(input), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn sample_file_calibres() {
        assert_eq!(name("7,62x39"), Some("7.62x39mm"));
        assert_eq!(name("7,62x25 Tokarev"), Some("7.62x25mm Tokarev"));
        assert_eq!(name("9x19 mm"), Some("9x19mm"));
        assert_eq!(name("7,9 mm Mauser"), Some("7.92x57mm Mauser"));
        assert_eq!(name("9mm Parabellum"), Some("9x19mm"));
        assert_eq!(name("38 Special"), Some(".38 Special"));
        assert_eq!(name("12"), Some("12 gauge"));
        assert_eq!(name("7,92x57"), Some("7.92x57mm Mauser"));
        assert_eq!(name("9mm Luger"), Some("9x19mm"));
        assert_eq!(name("12 GA"), Some("12 gauge"));
        assert_eq!(name(".357 Magnum"), Some(".357 Magnum"));
        assert_eq!(name("9x19"), Some("9x19mm"));
        assert_eq!(name("7.62x39"), Some("7.62x39mm"));
    }

    #[test]
    fn ambiguous_inputs_are_never_guessed() {
        for input in ["9mm", "9 mm", "9 MM", "9", "cal. 9mm", "9mm +P"] {
            let list = candidates(input);
            for c in ["9x19mm", "9x18mm Makarov", ".380 ACP", "9x21mm"] {
                assert!(list.contains(&c), "{input:?} lacks {c}");
            }
        }
        for input in [".38", "38", ".38 cal", "cal .38", "Kaliber .38"] {
            assert_eq!(
                candidates(input),
                vec![".38 Special", ".38 S&W", ".38 Super"],
                "{input:?}"
            );
        }
        for input in ["7.62", "7,62", "7.62mm", "7,62 mm"] {
            let list = candidates(input);
            assert!(
                list.contains(&"7.62x39mm")
                    && list.contains(&"7.62x51mm")
                    && list.contains(&"7.62x54mmR")
            );
            assert!(
                !list.iter().any(|c| c.starts_with("7.65")),
                "7.62 must not offer 7.65"
            );
        }
        for input in ["7.65", "7,65", "7.65mm", "Kal. 7,65 mm"] {
            let list = candidates(input);
            assert!(list.contains(&"7.65x17mm"));
            assert!(
                !list.iter().any(|c| c.starts_with("7.62")),
                "7.65 must not offer 7.62"
            );
        }
        assert!(candidates(".22").contains(&".22 LR"));
        assert!(candidates("22").contains(&".22 WMR"));
        assert!(candidates(".45").contains(&".45 ACP"));
        assert_eq!(
            candidates("9x23"),
            vec!["9x23mm Largo", "9x23mm Winchester"]
        );
        assert_eq!(candidates("12.7"), vec!["12.7x99mm", "12.7x108mm"]);
        assert_eq!(candidates("8mm")[0], "7.92x57mm Mauser");
    }

    #[test]
    fn close_cartridges_are_not_confused() {
        assert_eq!(name("7.62x25"), Some("7.62x25mm Tokarev"));
        assert_eq!(name("7.63x25"), Some("7.63x25mm Mauser"));
        assert_eq!(name("7.65x17"), Some("7.65x17mm"));
        assert_eq!(name("7.65x21"), Some("7.65x21mm Parabellum"));
        assert_eq!(name("5.56x45"), Some("5.56x45mm"));
        assert_eq!(name(".223"), Some(".223 Remington"));
        assert_eq!(name(".40 S&W"), Some(".40 S&W"));
        assert_eq!(name("10mm Auto"), Some("10mm Auto"));
        assert_eq!(name(".38 Special"), Some(".38 Special"));
        assert_eq!(name(".38 S&W"), Some(".38 S&W"));
        assert_eq!(name("9x18"), Some("9x18mm Makarov"));
        assert_eq!(name("9x17"), Some(".380 ACP"));
    }

    #[test]
    fn related_cartridges_are_kept_distinct_and_symmetric() {
        let pairs = [
            ("5.56x45mm", ".223 Remington"),
            ("7.62x51mm", ".308 Winchester"),
            ("7.62x25mm Tokarev", "7.63x25mm Mauser"),
            (".38 Special", ".357 Magnum"),
            (".40 S&W", "10mm Auto"),
        ];
        for (a, b) in pairs {
            let ca = by_name(a).unwrap();
            let cb = by_name(b).unwrap();
            assert_ne!(ca, cb);
            assert!(ca.related.iter().any(|r| r == b), "{a} -> {b}");
            assert!(cb.related.iter().any(|r| r == a), "{b} -> {a}");
        }
        for c in all() {
            for r in &c.related {
                let other = by_name(r).unwrap();
                assert!(other.related.contains(&c.name), "{} <-> {r}", c.name);
            }
        }
    }

    #[test]
    fn gauges_are_flagged_and_not_matched_as_millimetres() {
        assert!(by_name("12 gauge").unwrap().is_gauge);
        assert!(by_name(".410 bore").unwrap().is_gauge);
        assert!(!by_name("9x19mm").unwrap().is_gauge);
        assert_eq!(lookup("12mm"), CalibreMatch::Unknown);
        assert_eq!(lookup("20mm"), CalibreMatch::Unknown);
        assert_eq!(name("20"), Some("20 gauge"));
    }

    #[test]
    fn ncic_bare_numbers_are_ambiguous_only_as_written() {
        assert_eq!(
            lookup("40"),
            CalibreMatch::Ambiguous(vec![".40 S&W", "10mm Auto"])
        );
        assert_eq!(
            lookup("338"),
            CalibreMatch::Ambiguous(vec![".338 Lapua Magnum"])
        );
        assert_eq!(lookup("40mm"), CalibreMatch::Unknown);
        assert!(matches!(lookup(".40 S&W"), CalibreMatch::Known(c) if c.name == ".40 S&W"));
    }

    #[test]
    fn unknown_and_odd_input() {
        for input in [
            "",
            "   ",
            "cal.",
            "Kaliber",
            "mm",
            "x",
            "banana",
            "9x99",
            "40mm",
            "🙂",
            "\u{0}",
            ".",
            ",",
            "+P",
            "9x19 Makarov",
        ] {
            assert_eq!(lookup(input), CalibreMatch::Unknown, "{input:?}");
        }
        assert_eq!(
            by_name("9mm Luger"),
            None,
            "by_name takes canonical names only"
        );
        assert_eq!(by_name("9X19MM"), None);
    }

    fn ruled(input: &str, shotgun: bool) -> CalibreMatch {
        lookup_in(input, &CalibreContext { shotgun }).matched
    }

    fn ruled_name(input: &str) -> Option<&'static str> {
        match ruled(input, false) {
            CalibreMatch::Known(c) => Some(c.name.as_str()),
            _ => None,
        }
    }

    #[test]
    fn rules_read_what_the_table_does_not_list() {
        for (input, expected) in [
            // dual designations, decimal comma inside
            (".45 ACP (11,43 X 23)", ".45 ACP"),
            ("9mm Luger (9x19)", "9x19mm"),
            ("308 WIN (7.62X51 NATO)", ".308 Winchester"),
            (".38 SPL (9x29R)", ".38 Special"),
            ("7,62x39 (M43)", "7.62x39mm"),
            // trade abbreviations
            (".300 Win Mag", ".300 Winchester Magnum"),
            ("7mm Rem. Mag", "7mm Remington Magnum"),
            (".300 Wby", ".300 Weatherby Magnum"),
            (".44 Rem Mag", ".44 Magnum"),
            (".45 LC", ".45 Colt"),
            // bare numbers that lost the decimal point
            ("556", "5.56x45mm"),
            ("556NATO", "5.56x45mm"),
            ("762NATO", "7.62x51mm"),
            // gauges in local notations
            ("12GA", "12 gauge"),
            ("12 Gauge 3", "12 gauge"),
            ("12GA-3''", "12 gauge"),
            ("16/70", "16 gauge"),
            ("20/76", "20 gauge"),
            ("Cal. 12", "12 gauge"),
            ("12 bore", "12 gauge"),
            // noise
            ("7.62x39mm Russian", "7.62x39mm"),
            ("9x19 ammo", "9x19mm"),
            // the cartridges added
            ("7x65R", "7x65mmR"),
            ("6.5x57R", "6.5x57mmR"),
            ("5.6x50R", "5.6x50mmR Magnum"),
            ("8x57IRS", "8x57mm IRS"),
            ("9.3x74R", "9.3x74mmR"),
            ("7x57R", "7x57mmR"),
            ("8mm Lebel Revolver", "8x27mmR Lebel"),
            ("11mm Gras", "11x59mmR Gras"),
        ] {
            assert_eq!(ruled_name(input), Some(expected), "{input:?}");
        }
    }

    #[test]
    fn rules_keep_ambiguity_and_context() {
        // 765 is the 7.65 family: ambiguous, never a guess.
        assert!(
            matches!(ruled("765", false), CalibreMatch::Ambiguous(l) if l.contains(&"7.65x17mm"))
        );
        // Two different cartridges in a dual designation stay ambiguous.
        assert!(matches!(
            ruled("9x19 (.45 ACP)", false),
            CalibreMatch::Ambiguous(l) if l == vec!["9x19mm", ".45 ACP"]
        ));
        // A bare number on a shotgun is a gauge; elsewhere it is not.
        assert!(matches!(ruled("32", true), CalibreMatch::Known(c) if c.name == "32 gauge"));
        assert!(matches!(ruled("32", false), CalibreMatch::Ambiguous(_)));
        // Spreadsheet damage is read back and said.
        let damaged = lookup_in("12/07/1970", &CalibreContext::default());
        assert!(matches!(damaged.matched, CalibreMatch::Known(c) if c.name == "12 gauge"));
        assert!(damaged.repaired.is_some());
        let number = lookup_in("5.56E+2", &CalibreContext::default());
        assert!(matches!(number.matched, CalibreMatch::Known(c) if c.name == "5.56x45mm"));
        assert!(number.repaired.is_some());
        assert!(matches!(
            ruled("12/10/1970", true),
            CalibreMatch::Ambiguous(l) if l == vec!["12 gauge", "10 gauge"]
        ));
        assert_eq!(ruled("9x19 Makarov", false), CalibreMatch::Unknown);
        assert_eq!(ruled("banana (split)", false), CalibreMatch::Unknown);
    }

    #[test]
    fn keys() {
        assert_eq!(calibre_key("9 x 19 mm"), "9x19");
        assert_eq!(calibre_key("7,62×39"), "7.62x39");
        assert_eq!(calibre_key("7.62x54mmR"), "7.62x54r");
        assert_eq!(calibre_key("9 mm"), "9mm");
        assert_eq!(calibre_key("cal. 12"), "12");
        assert_eq!(calibre_key("cal.22"), ".22");
        assert_eq!(calibre_key(".45 cal."), ".45");
        assert_eq!(calibre_key(".22 l.r."), ".22lr");
        assert_eq!(calibre_key(".30-06"), ".3006");
        assert_eq!(calibre_key("calibre"), "");
        assert!(
            is_number("7.62")
                && is_number("9")
                && !is_number("7.")
                && !is_number(".5")
                && !is_number("")
        );
    }

    #[test]
    fn loader_rejects_inconsistent_data() {
        let bad = [
            "[[calibre]]\nname = \"a\"\nsynonyms = [\"x1\"]\n[[calibre]]\nname = \"b\"\nsynonyms = [\"X 1\"]\n",
            "[[calibre]]\nname = \"a\"\n[[calibre]]\nname = \"a\"\n",
            "[[calibre]]\nname = \"a\"\nrelated = [\"zz\"]\n",
            "[[calibre]]\nname = \"a\"\nkind = \"bore\"\n",
            "[[calibre]]\nname = \"a\"\n[[ambiguous]]\ninput = \"a\"\ncandidates = [\"a\"]\n",
            "[[calibre]]\nname = \"a\"\n[[calibre]]\nname = \"b\"\n[[ambiguous]]\ninput = \"c\"\ncandidates = [\"a\", \"q\"]\n",
            "[[calibre]]\nname = \"a\"\nunexpected = 1\n",
        ];
        for text in bad {
            assert!(load(text).is_err(), "{text}");
        }
    }
}
