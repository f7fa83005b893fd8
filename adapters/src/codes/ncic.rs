//! The official FBI NCIC gun-file code tables (as published in NIEM 5.0.1) and
//! how each code reads in the canonical model: CAL calibre families, TYP
//! combination codes, MAK make codes (some of them place codes "if make cannot
//! be determined") and NCIC country codes, which are not ISO 3166.
//!
//! Data: `adapters/codes/ncic/` (official CSVs, unchanged, with their
//! provenance in its README; `readings.toml` and `country-iso.csv` written for
//! this project).

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::firearm_types::{self, TypeCode};
use super::makes::{self, Make};
use super::{calibres, countries};

const CAL_CSV: &str = include_str!("../../codes/ncic/ncic-CAL-gun-caliber.csv");
const TYP_CSV: &str = include_str!("../../codes/ncic/ncic-GTYP3-gun-type-combination.csv");
const MAK_CSV: &str = include_str!("../../codes/ncic/ncic-MAK-gun-make.csv");
const COUNTRY_CSV: &str = include_str!("../../codes/ncic/ncic-5.0.1-country-codes.csv");
const COUNTRY_ISO_CSV: &str = include_str!("../../codes/ncic/country-iso.csv");
const READINGS: &str = include_str!("../../codes/ncic/readings.toml");

/// The bogus row of the published TYP combination table.
pub const BOGUS_TYP: &str = "--";

/// One CAL code: a family of cartridges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalFamily {
    pub code: String,
    /// The official definition.
    pub definition: String,
    /// Canonical calibres of the family the calibre table knows.
    pub candidates: Vec<String>,
}

/// What a MAK code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MakCode {
    /// A maker of the make reference.
    Make(&'static Make),
    /// A maker the make reference does not hold: the official definition.
    Listed(&'static str),
    /// A country code used "if make cannot be determined": the ISO 3166
    /// country when the NCIC country table gives one.
    Country {
        iso: Option<&'static str>,
        definition: &'static str,
    },
    /// Another place code used the same way (a US state, a tribe, a province).
    Place(&'static str),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReadings {
    cal: Vec<RawCal>,
    typ: Vec<RawTyp>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCal {
    code: String,
    #[serde(default)]
    candidates: Vec<String>,
    #[serde(default)]
    writes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTyp {
    code: String,
    firearm_type: String,
    #[serde(default)]
    action: Option<String>,
    #[serde(default = "yes")]
    write: bool,
}

fn yes() -> bool {
    true
}

struct Tables {
    cal: Vec<CalFamily>,
    cal_by_code: HashMap<String, usize>,
    cal_by_calibre: HashMap<String, String>,
    /// (code, reading, written)
    typ: Vec<(String, TypeCode, bool)>,
    mak: HashMap<String, String>,
    /// Upper-cased definition -> code, of the codes that name a maker outside
    /// the make reference (first row wins).
    mak_by_definition: HashMap<String, String>,
    countries: HashMap<String, String>,
    iso_by_ncic: HashMap<String, String>,
    ncic_by_iso: HashMap<String, String>,
}

// The data is embedded, so a failure to load it is a programming error caught
// by the `tables_load` test; `expect` is acceptable here.
#[allow(clippy::expect_used)] // embedded data, proven by the tables_load test
static TABLES: LazyLock<Tables> =
    LazyLock::new(|| load().expect("embedded codes/ncic tables are invalid"));

/// `(code, definition)` rows of an official table.
fn official(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| e.to_string())?;
        let code = row.get(0).unwrap_or_default().trim().to_string();
        let definition = row.get(1).unwrap_or_default().trim().to_string();
        rows.push((code, definition));
    }
    Ok(rows)
}

fn load() -> Result<Tables, String> {
    let readings: RawReadings = toml::from_str(READINGS).map_err(|e| e.to_string())?;
    // CAL
    let definitions: HashMap<String, String> = official(CAL_CSV)?.into_iter().collect();
    let mut cal = Vec::new();
    let mut cal_by_code = HashMap::new();
    let mut cal_by_calibre = HashMap::new();
    for raw in readings.cal {
        let definition = definitions
            .get(&raw.code)
            .ok_or(format!("CAL {} is not an official code", raw.code))?;
        for name in raw.candidates.iter().chain(&raw.writes) {
            if calibres::by_name(name).is_none() {
                return Err(format!(
                    "CAL {}: {name:?} is not a canonical calibre",
                    raw.code
                ));
            }
        }
        for name in &raw.writes {
            if !raw.candidates.contains(name) {
                return Err(format!("CAL {} writes {name:?}, not a candidate", raw.code));
            }
            if let Some(other) = cal_by_calibre.insert(name.clone(), raw.code.clone()) {
                return Err(format!(
                    "{name:?} is written as CAL {other} and {}",
                    raw.code
                ));
            }
        }
        if cal_by_code.insert(raw.code.clone(), cal.len()).is_some() {
            return Err(format!("CAL {} is read twice", raw.code));
        }
        cal.push(CalFamily {
            code: raw.code,
            definition: definition.clone(),
            candidates: raw.candidates,
        });
    }
    if let Some(code) = definitions.keys().find(|c| !cal_by_code.contains_key(*c)) {
        return Err(format!("official CAL {code} has no reading"));
    }
    // TYP
    let official_typ: Vec<String> = official(TYP_CSV)?.into_iter().map(|(c, _)| c).collect();
    let mut typ = Vec::new();
    for raw in readings.typ {
        if !official_typ.contains(&raw.code) || raw.code == BOGUS_TYP {
            return Err(format!("TYP {} is not an official code", raw.code));
        }
        let firearm_type = firearm_types::FIREARM_TYPES
            .iter()
            .find(|t| **t == raw.firearm_type)
            .ok_or(format!(
                "TYP {}: unknown type {}",
                raw.code, raw.firearm_type
            ))?;
        let action = match raw.action.as_deref() {
            Some(a) => Some(
                *firearm_types::ACTIONS
                    .iter()
                    .find(|x| **x == a)
                    .ok_or(format!("TYP {}: unknown action {a}", raw.code))?,
            ),
            None => None,
        };
        if typ.iter().any(|(c, _, _)| *c == raw.code) {
            return Err(format!("TYP {} is read twice", raw.code));
        }
        typ.push((
            raw.code,
            TypeCode {
                firearm_type,
                action,
            },
            raw.write,
        ));
    }
    if let Some(code) = official_typ
        .iter()
        .find(|c| *c != BOGUS_TYP && !typ.iter().any(|(t, _, _)| t == *c))
    {
        return Err(format!("official TYP {code} has no reading"));
    }
    // MAK, countries
    let mak_rows = official(MAK_CSV)?;
    let mut mak_by_definition = HashMap::new();
    for (code, definition) in &mak_rows {
        if !is_place_code(definition) && makes::by_ncic(code).is_none() {
            mak_by_definition
                .entry(definition.to_ascii_uppercase())
                .or_insert_with(|| code.clone());
        }
    }
    let mak: HashMap<String, String> = mak_rows.into_iter().collect();
    for make in makes::all() {
        for code in &make.ncic {
            if !mak.contains_key(code) {
                return Err(format!("{}: {code} is not an official MAK code", make.name));
            }
        }
    }
    let countries: HashMap<String, String> = official(COUNTRY_CSV)?.into_iter().collect();
    let mut iso_by_ncic = HashMap::new();
    let mut ncic_by_iso = HashMap::new();
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(COUNTRY_ISO_CSV.as_bytes());
    for row in reader.records() {
        let row = row.map_err(|e| e.to_string())?;
        let (ncic, iso, write) = (
            row.get(0).unwrap_or_default(),
            row.get(1).unwrap_or_default(),
            row.get(2).unwrap_or_default() == "true",
        );
        if !countries.contains_key(ncic) {
            return Err(format!("{ncic} is not an official NCIC country code"));
        }
        if iso.is_empty() {
            continue;
        }
        if countries::by_alpha2(iso).is_none() {
            return Err(format!("NCIC {ncic}: {iso} is not ISO 3166"));
        }
        iso_by_ncic.insert(ncic.to_string(), iso.to_string());
        if write
            && ncic_by_iso
                .insert(iso.to_string(), ncic.to_string())
                .is_some()
        {
            return Err(format!("two NCIC codes are written for {iso}"));
        }
    }
    if let Some(code) = countries
        .keys()
        .find(|c| !iso_by_ncic.contains_key(*c) && !COUNTRY_ISO_CSV.contains(&format!("\n{c},,")))
    {
        return Err(format!("NCIC country {code} is not in country-iso.csv"));
    }
    Ok(Tables {
        cal,
        cal_by_code,
        cal_by_calibre,
        typ,
        mak,
        mak_by_definition,
        countries,
        iso_by_ncic,
        ncic_by_iso,
    })
}

/// The CAL family of a code (exact, as NCIC writes it: digits only).
#[allow(clippy::indexing_slicing)] // the index maps hold positions in the vectors load() built beside them
pub fn cal(code: &str) -> Option<&'static CalFamily> {
    let tables = &*TABLES;
    tables.cal_by_code.get(code).map(|&i| &tables.cal[i])
}

/// Every CAL family, in table order.
pub fn cal_families() -> &'static [CalFamily] {
    &TABLES.cal
}

/// The CAL code a canonical calibre is written as.
pub fn cal_for_calibre(name: &str) -> Option<&'static str> {
    TABLES.cal_by_calibre.get(name).map(String::as_str)
}

/// The reading of an official TYP combination code; `None` for anything else,
/// the bogus `--` row included.
pub fn typ(code: &str) -> Option<TypeCode> {
    TABLES
        .typ
        .iter()
        .find(|(c, _, _)| c == code)
        .map(|(_, reading, _)| *reading)
}

/// Every official TYP code with its reading.
pub fn typ_codes() -> impl Iterator<Item = (&'static str, TypeCode)> {
    TABLES.typ.iter().map(|(c, r, _)| (c.as_str(), *r))
}

/// The official TYP code for a canonical type and action, among the codes that
/// are written: the code that reads exactly as them, else the only code of the type when the type has one code
/// for every action (B, C, GN), else the code the TYP composition rules give
/// when it is official. `None` when no official code says it.
pub fn typ_for(firearm_type: &str, action: Option<&str>) -> Option<&'static str> {
    let tables = &*TABLES;
    let written = || tables.typ.iter().filter(|(_, _, write)| *write);
    if let Some((code, _, _)) =
        written().find(|(_, r, _)| r.firearm_type == firearm_type && r.action == action)
    {
        return Some(code);
    }
    let mut of_type = written().filter(|(_, r, _)| r.firearm_type == firearm_type);
    if let (Some((code, r, _)), None) = (of_type.next(), of_type.next()) {
        if r.action.is_none() {
            return Some(code);
        }
    }
    let composed = firearm_types::ncic_typ(firearm_type, action)?;
    written()
        .find(|(c, _, _)| *c == composed)
        .map(|(c, _, _)| c.as_str())
}

/// Whether a MAK definition marks a place code "used if make cannot be determined".
fn is_place_code(definition: &str) -> bool {
    let d = definition.to_ascii_uppercase();
    d.contains("COUNTRY")
        && (d.contains("IF MAKE") || d.contains("IF MMAKE") || d.contains("ID MAKE"))
}

/// What an official MAK code names; `None` when the code is not in the table.
pub fn mak(code: &str) -> Option<MakCode> {
    let tables = &*TABLES;
    let definition = tables.mak.get(code)?;
    if let Some(make) = makes::by_ncic(code) {
        return Some(MakCode::Make(make));
    }
    if is_place_code(definition) {
        return Some(match tables.countries.get(code) {
            Some(_) => MakCode::Country {
                iso: tables.iso_by_ncic.get(code).map(String::as_str),
                definition,
            },
            None => MakCode::Place(definition),
        });
    }
    Some(MakCode::Listed(definition))
}

/// Every official MAK code.
pub fn mak_codes() -> impl Iterator<Item = &'static str> {
    TABLES.mak.keys().map(String::as_str)
}

/// The MAK code written for a make: the make reference's code for its
/// canonical make, else the code whose official definition is the make's text.
pub fn mak_for(make_canonical: Option<&str>, make: Option<&str>) -> Option<&'static str> {
    let tables = &*TABLES;
    if let Some(code) = make_canonical
        .and_then(makes::by_name)
        .and_then(|m| m.ncic.first())
    {
        return Some(code);
    }
    let make = make?.trim();
    tables
        .mak_by_definition
        .get(&make.to_ascii_uppercase())
        .map(String::as_str)
}

/// The ISO 3166 alpha-2 country of an NCIC country code (never the code itself
/// taken as ISO: `AU` is Austria, `AT`).
pub fn iso_for_ncic(code: &str) -> Option<&'static str> {
    TABLES.iso_by_ncic.get(code).map(String::as_str)
}

/// The NCIC country code written for an ISO 3166 alpha-2 country.
pub fn ncic_for_iso(iso: &str) -> Option<&'static str> {
    TABLES.ncic_by_iso.get(iso).map(String::as_str)
}

/// Every official NCIC country code.
pub fn country_codes() -> impl Iterator<Item = &'static str> {
    TABLES.countries.keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load() {
        let tables = load().unwrap();
        assert_eq!(tables.cal.len(), 74);
        assert_eq!(tables.typ.len(), 31);
        assert_eq!(tables.mak.len(), 3970);
        assert_eq!(tables.countries.len(), 267);
    }

    #[test]
    fn every_cal_code_reads_as_its_family_and_every_written_calibre_reads_back() {
        let mut read = 0;
        for (code, definition) in official(CAL_CSV).unwrap() {
            let family = cal(&code).unwrap_or_else(|| panic!("CAL {code} not read"));
            assert_eq!(family.definition, definition);
            assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
            read += 1;
        }
        assert_eq!(read, 74);
        let mut written = 0;
        for calibre in calibres::all() {
            if let Some(code) = cal_for_calibre(&calibre.name) {
                assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
                let family = cal(code).unwrap();
                assert!(family.candidates.contains(&calibre.name), "{code}");
                written += 1;
            }
        }
        assert!(written >= 70, "{written} calibres have a CAL code");
        assert_eq!(cal_for_calibre("9x19mm"), Some("9"));
        assert_eq!(cal_for_calibre(".40 S&W"), Some("40"));
        assert_eq!(cal_for_calibre("7.62x39mm"), Some("762"));
        assert_eq!(cal_for_calibre(".30-06 Springfield"), Some("3006"));
        assert_eq!(cal_for_calibre("12 gauge"), Some("12"));
        assert_eq!(cal_for_calibre(".410 bore"), Some("410"));
        assert!(cal("9MM").is_none());
        assert!(
            cal("36").unwrap().candidates.is_empty(),
            "36 is black powder, not .410"
        );
    }

    #[test]
    fn every_typ_code_reads_the_bogus_row_does_not() {
        let mut read = 0;
        for (code, _) in official(TYP_CSV).unwrap() {
            if code == BOGUS_TYP {
                assert!(typ(&code).is_none());
                continue;
            }
            let reading = typ(&code).unwrap_or_else(|| panic!("TYP {code} not read"));
            // Where the composition rules read the code, the official reading agrees.
            if let Some(composed) = firearm_types::from_ncic_typ(&code) {
                assert_eq!(composed, reading, "{code}");
            }
            read += 1;
        }
        assert_eq!(read, 31);
    }

    #[test]
    fn typ_written_reads_back_as_what_was_written() {
        for (code, reading) in typ_codes() {
            if let Some(written) = typ_for(reading.firearm_type, reading.action) {
                assert!(typ(written).is_some());
                let back = typ(written).unwrap();
                assert_eq!(
                    back.firearm_type, reading.firearm_type,
                    "{code} -> {written}"
                );
            }
        }
        let cases = [
            (("pistol", None), Some("PI")),
            (("pistol", Some("semi_automatic")), Some("PI")),
            (("revolver", None), Some("PR")),
            (("submachine_gun", Some("automatic")), Some("B")),
            (("combination_gun", Some("over_under")), Some("C")),
            (("grenade_launcher", None), Some("GN")),
            (("shotgun", Some("pump")), Some("SP")),
            (("rifle", None), None),
            (("other", None), None),
        ];
        for ((t, a), expected) in cases {
            assert_eq!(typ_for(t, a), expected, "{t} {a:?}");
        }
    }

    #[test]
    fn every_mak_code_reads_and_place_codes_are_not_makes() {
        let mut makes_read = 0;
        let mut places = 0;
        for code in mak_codes() {
            match mak(code).unwrap() {
                MakCode::Make(_) | MakCode::Listed(_) => makes_read += 1,
                MakCode::Country { .. } | MakCode::Place(_) => places += 1,
            }
        }
        assert_eq!(makes_read + places, 3970);
        assert!(places > 400, "{places}");
        assert!(matches!(
            mak("AU"),
            Some(MakCode::Country {
                iso: Some("AT"),
                ..
            })
        ));
        assert!(matches!(
            mak("BR"),
            Some(MakCode::Country {
                iso: Some("MM"),
                ..
            })
        ));
        assert!(matches!(
            mak("UK"),
            Some(MakCode::Country {
                iso: Some("UA"),
                ..
            })
        ));
        assert!(matches!(mak("OH"), Some(MakCode::Place(_))));
        assert!(matches!(mak("COL"), Some(MakCode::Listed("COLLATH"))));
        assert!(matches!(mak("SW"), Some(MakCode::Make(m)) if m.name == "Smith & Wesson"));
        assert!(mak("GLK").is_none());
        assert!(mak("TAU").is_none());
        // A listed maker's definition is written back as its code.
        assert_eq!(mak_for(None, Some("Collath")), Some("COL"));
        assert_eq!(mak_for(None, Some("Austria")), None);
    }

    /// The 50 makes most common in US trace and manufacturing data (ATF firearms
    /// trace data and the Annual Firearms Manufacturing and Export Report) and
    /// in the seizure literature; codes from the official MAK table.
    const TOP_50: [(&str, &str); 50] = [
        ("Smith & Wesson", "SW"),
        ("Ruger", "SR"),
        ("Glock", "GLC"),
        ("Taurus", "TAS"),
        ("Hi-Point", "HIH"),
        ("SIG Sauer", "SIG"),
        ("Mossberg", "MOS"),
        ("Remington", "REM"),
        ("Colt", "CLT"),
        ("Springfield Armory", "SGD"),
        ("Kel-Tec", "KTC"),
        ("Savage Arms", "SAV"),
        ("Marlin", "MAR"),
        ("Winchester", "WIN"),
        ("Beretta", "BER"),
        ("Kimber", "KIE"),
        ("Heckler & Koch", "HEC"),
        ("Walther", "WAL"),
        ("SCCY", "SKY"),
        ("Jennings Firearms", "JEI"),
        ("Bryco Arms", "BRY"),
        ("Lorcin Engineering", "LCN"),
        ("Raven Arms", "RAV"),
        ("Davis Industries", "DAB"),
        ("Phoenix Arms", "PHE"),
        ("Jimenez Arms", "JMZ"),
        ("Charter Arms", "CAC"),
        ("Harrington & Richardson", "HR"),
        ("Iver Johnson", "IJ"),
        ("Rossi", "AMR"),
        ("Heritage Manufacturing", "HRT"),
        ("North American Arms", "NAA"),
        ("Bersa", "ZZZ"),
        ("Browning", "BRO"),
        ("FN Herstal", "FNB"),
        ("Norinco", "NON"),
        ("Zastava Arms", "ZAS"),
        ("Česká zbrojovka", "ZZZ"),
        ("Century Arms", "CAI"),
        ("Bushmaster", "BHT"),
        ("DPMS", "DPM"),
        ("Diamondback Firearms", "DBK"),
        ("Kahr Arms", "KHR"),
        ("High Standard", "HS"),
        ("Intratec", "INC"),
        ("Polymer80", "POR"),
        ("Ithaca Gun Company", "ITH"),
        ("Stoeger", "STZ"),
        ("Canik", "CNK"),
        ("IWI", "IMI"),
    ];

    #[test]
    fn the_50_most_common_makes_are_right_both_ways() {
        for (name, code) in TOP_50 {
            assert!(makes::by_name(name).is_some(), "{name}");
            if code == "ZZZ" {
                // No code of the table names this maker: written MAK/ZZZ.
                assert_eq!(mak_for(Some(name), Some(name)), None, "{name}");
                continue;
            }
            assert_eq!(mak_for(Some(name), None), Some(code), "{name}");
            assert!(
                matches!(mak(code), Some(MakCode::Make(m)) if m.name == name),
                "{code} -> {:?}",
                mak(code)
            );
        }
        // The traps: none of these is the maker's code.
        for (wrong, not) in [
            ("GLK", "Glock"),
            ("RUG", "Ruger"),
            ("TAU", "Taurus"),
            ("COL", "Colt"),
        ] {
            assert!(
                !matches!(mak(wrong), Some(MakCode::Make(m)) if m.name == not),
                "{wrong}"
            );
        }
    }

    #[test]
    fn every_ncic_country_code_translates_through_the_table_never_as_iso() {
        for code in country_codes() {
            if let Some(iso) = iso_for_ncic(code) {
                assert!(countries::by_alpha2(iso).is_some(), "{code} -> {iso}");
                let written = ncic_for_iso(iso);
                if let Some(written) = written {
                    assert_eq!(iso_for_ncic(written), Some(iso), "{iso} -> {written}");
                }
            }
        }
        let cases = [
            ("AU", "AT"),
            ("AS", "AU"),
            ("BR", "MM"),
            ("BZ", "BR"),
            ("BU", "BG"),
            ("GB", "GA"),
            ("UK", "UA"),
            ("UN", "GB"),
            ("EN", "GB"),
            ("GE", "DE"),
            ("XA", "RS"),
            ("YG", "YU"),
        ];
        for (ncic, iso) in cases {
            assert_eq!(iso_for_ncic(ncic), Some(iso), "{ncic}");
        }
        assert_eq!(ncic_for_iso("GB"), Some("UN"));
        assert_eq!(ncic_for_iso("AT"), Some("AU"));
        assert_eq!(ncic_for_iso("US"), Some("US"));
        assert_eq!(ncic_for_iso("RU"), Some("RF"));
        assert_eq!(iso_for_ncic("XX"), None);
    }
}
