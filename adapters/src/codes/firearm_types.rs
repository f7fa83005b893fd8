//! Firearm types and actions: canonical codes, their synonyms in English,
//! French, Spanish, Portuguese, German and Serbian/Croatian (Latin and Cyrillic),
//! and the NCIC TYP two-character codes (domain.md sections 4 and 5).
//!
//! Data: `adapters/codes/firearm_types.toml`.
//!
//! Inputs are matched on a folded key: [`fold_key`], then the punctuation
//! `- _ / , . ' " ( ) : ;` counts as a space, so "Pump-Gun" = "pump gun" and
//! "semi-automatic" = "semi automatic".

// TODO(lints): index and expect hits left for the helper editing this file; fix with .get() or typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::fold_key;

const DATA: &str = include_str!("../../codes/firearm_types.toml");

/// Canonical firearm types.
pub const FIREARM_TYPES: &[&str] = &[
    "pistol",
    "revolver",
    "derringer",
    "rifle",
    "carbine",
    "assault_rifle",
    "shotgun",
    "combination_gun",
    "submachine_gun",
    "machine_gun",
    "grenade_launcher",
    "other",
];

/// Canonical actions.
pub const ACTIONS: &[&str] = &[
    "semi_automatic",
    "automatic",
    "bolt",
    "lever",
    "pump",
    "single_shot",
    "double_barrel",
    "over_under",
    "revolver",
];

/// A canonical firearm type with an optional action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypeCode {
    /// One of [`FIREARM_TYPES`].
    pub firearm_type: &'static str,
    /// One of [`ACTIONS`], when the input says it.
    pub action: Option<&'static str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    firearm_type: Vec<RawType>,
    #[serde(default)]
    implied: Vec<RawImplied>,
    action: Vec<RawAction>,
    ncic_class: Vec<RawNcicClass>,
    ncic_characteristic: Vec<RawNcicCharacteristic>,
    ncic_encode: Vec<RawNcicEncode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawType {
    code: String,
    synonyms: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImplied {
    firearm_type: String,
    action: String,
    synonyms: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    code: String,
    synonyms: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNcicClass {
    char: String,
    #[allow(dead_code)] // documentation in the data
    meaning: String,
    firearm_type: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNcicCharacteristic {
    char: String,
    #[allow(dead_code)] // documentation in the data
    meaning: String,
    action: Option<String>,
    #[serde(default)]
    type_for_class: HashMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNcicEncode {
    firearm_type: String,
    class: String,
    fixed: Option<String>,
    default: Option<String>,
}

struct Characteristic {
    action: Option<&'static str>,
    type_for_class: HashMap<char, &'static str>,
}

struct Encoding {
    class: char,
    fixed: Option<char>,
    default: Option<char>,
}

struct Tables {
    /// Type synonyms (and canonical codes) -> type, with the action the
    /// synonym implies.
    types: HashMap<String, TypeCode>,
    /// Action synonyms (and canonical codes) -> action.
    actions: HashMap<String, &'static str>,
    ncic_classes: HashMap<char, &'static str>,
    ncic_characteristics: HashMap<char, Characteristic>,
    encodings: HashMap<&'static str, Encoding>,
    action_chars: HashMap<&'static str, char>,
}

// The embedded TOML ships with the binary: failing to parse it is a programming
// error, caught by the `table_loads` test, so `expect` is acceptable here.
static TABLES: LazyLock<Tables> =
    LazyLock::new(|| load(DATA).expect("embedded codes/firearm_types.toml is invalid"));

/// Canonical code, any synonym in the six languages, or an NCIC TYP code
/// (exactly 2 chars, case-insensitive, e.g. "PI" -> pistol + semi_automatic,
/// "PR" -> revolver + revolver action, "RB" -> rifle + bolt, "SP" -> shotgun +
/// pump, "C?" -> combination_gun). Case/accent/space-insensitive via fold_key.
///
/// Order: a listed synonym first (some imply an action: "Pump-Gun" -> shotgun +
/// pump), then an NCIC TYP code, then a type synonym followed or preceded by an
/// action synonym, optionally joined by "with"/"mit"/"avec"/"à"/"con"/"com"/"sa"
/// ("pistola semiautomática", "Rifle - self-loading", "rifle with bolt action").
/// A type synonym that implies a different action than the one given does not
/// combine. Anything else is `None`.
pub fn lookup_type(input: &str) -> Option<TypeCode> {
    let tables = &*TABLES;
    let key = type_key(input);
    if key.is_empty() {
        return None;
    }
    if let Some(code) = tables.types.get(&key) {
        return Some(*code);
    }
    if let Some(code) = decode_ncic(tables, input.trim()) {
        return Some(code);
    }
    compose(tables, &key)
}

/// Canonical action or synonym (e.g. "semi-auto", "halbautomatisch",
/// "semiautomática", "poluautomatski", "bolt action", "Repetierer",
/// "pump-action", "à pompe").
pub fn lookup_action(input: &str) -> Option<&'static str> {
    TABLES.actions.get(&type_key(input)).copied()
}

/// Decodes an NCIC TYP code only (exactly two characters, case-insensitive),
/// without trying synonyms. `lookup_type` also accepts these codes, but tries
/// synonyms first.
pub fn from_ncic_typ(code: &str) -> Option<TypeCode> {
    decode_ncic(&TABLES, code.trim())
}

/// Best NCIC TYP for a canonical type + action.
///
/// The class character comes from the type (pistol, revolver, derringer -> P;
/// rifle, carbine, assault_rifle -> R; shotgun -> S; combination_gun -> C;
/// submachine_gun -> B; machine_gun -> M; grenade_launcher, other -> Z). The
/// second character:
/// - is fixed where the type is itself the NCIC characteristic: revolver ->
///   "PR", derringer -> "PD", carbine -> "RC", whatever the action;
/// - otherwise is the action's character (A automatic, B bolt, E double barrel,
///   I semi-automatic, L lever, O over-and-under, P pump, R revolver, S single
///   shot): rifle + bolt -> "RB", shotgun + pump -> "SP", pistol + single_shot ->
///   "PS", assault_rifle + semi_automatic -> "RI";
/// - without an action, is a default only where the type implies one: pistol ->
///   "PI" (the canonical list keeps revolvers and derringers apart, so a pistol
///   is in practice self-loading), assault_rifle -> "RA", submachine_gun ->
///   "BA", machine_gun -> "MA".
///
/// `None` when the type is not a canonical code, the action is given but not a
/// canonical action, or no action is given for a type with no default (rifle,
/// shotgun, combination_gun, grenade_launcher, other): choosing one would be a
/// guess, so the encoder should report the missing action.
///
/// The choices live in `codes/firearm_types.toml` (`ncic_encode`). Decoding the
/// result is not always the identity: "RA" reads back as rifle + automatic.
pub fn ncic_typ(firearm_type: &str, action: Option<&str>) -> Option<String> {
    let tables = &*TABLES;
    let encoding = tables.encodings.get(firearm_type)?;
    let action_char = match action {
        Some(a) => Some(*tables.action_chars.get(a)?),
        None => None,
    };
    let second = encoding.fixed.or(action_char).or(encoding.default)?;
    Some(format!("{}{}", encoding.class, second))
}

/// The folded key of a type or action spelling.
fn type_key(s: &str) -> String {
    let folded = fold_key(s);
    let spaced: String = folded
        .chars()
        .map(|c| match c {
            '-' | '_' | '/' | ',' | '.' | '\'' | '"' | '(' | ')' | ':' | ';' => ' ',
            other => other,
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode_ncic(tables: &Tables, code: &str) -> Option<TypeCode> {
    let mut chars = code.chars();
    let (Some(class), Some(second), None) = (chars.next(), chars.next(), chars.next()) else {
        return None;
    };
    let class = class.to_ascii_uppercase();
    let second = second.to_ascii_uppercase();
    let class_type = *tables.ncic_classes.get(&class)?;
    let characteristic = tables.ncic_characteristics.get(&second)?;
    Some(TypeCode {
        firearm_type: characteristic
            .type_for_class
            .get(&class)
            .copied()
            .unwrap_or(class_type),
        action: characteristic.action,
    })
}

/// Words that may join a type and its action ("rifle with bolt action").
const CONNECTORS: [&str; 7] = ["with", "mit", "avec", "a", "con", "com", "sa"];

fn compose(tables: &Tables, key: &str) -> Option<TypeCode> {
    let words: Vec<&str> = key.split(' ').collect();
    for split in 1..words.len() {
        let left = words[..split].join(" ");
        let right = words[split..].join(" ");
        for (type_part, action_part) in [(&left, &right), (&right, &left)] {
            let Some(code) = tables.types.get(type_part.as_str()) else {
                continue;
            };
            let action = tables.actions.get(action_part.as_str()).or_else(|| {
                let (first, rest) = action_part.split_once(' ')?;
                if CONNECTORS.contains(&first) {
                    tables.actions.get(rest)
                } else {
                    None
                }
            });
            let Some(&action) = action else {
                continue;
            };
            match code.action {
                None => {
                    return Some(TypeCode {
                        firearm_type: code.firearm_type,
                        action: Some(action),
                    })
                }
                Some(implied) if implied == action => return Some(*code),
                Some(_) => {}
            }
        }
    }
    None
}

fn canonical(list: &'static [&'static str], code: &str) -> Option<&'static str> {
    list.iter().find(|c| **c == code).copied()
}

fn single_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_uppercase() => Some(c),
        _ => None,
    }
}

fn load(text: &str) -> Result<Tables, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut errors = Vec::new();
    let mut types: HashMap<String, TypeCode> = HashMap::new();
    let mut actions: HashMap<String, &'static str> = HashMap::new();

    let mut add_type = |errors: &mut Vec<String>, spelling: &str, code: TypeCode| {
        let key = type_key(spelling);
        if key.is_empty() {
            errors.push(format!("type synonym {spelling:?} has an empty key"));
            return;
        }
        match types.get(&key) {
            Some(existing) if *existing != code => errors.push(format!(
                "type synonym {spelling:?} means both {existing:?} and {code:?}"
            )),
            _ => {
                types.insert(key, code);
            }
        }
    };

    let mut seen_types = Vec::new();
    for t in &raw.firearm_type {
        let Some(firearm_type) = canonical(FIREARM_TYPES, &t.code) else {
            errors.push(format!("unknown firearm type {:?}", t.code));
            continue;
        };
        if seen_types.contains(&firearm_type) {
            errors.push(format!("firearm type {firearm_type:?} listed twice"));
        }
        seen_types.push(firearm_type);
        let code = TypeCode {
            firearm_type,
            action: None,
        };
        for spelling in std::iter::once(&t.code).chain(&t.synonyms) {
            add_type(&mut errors, spelling, code);
        }
    }
    for t in FIREARM_TYPES {
        if !seen_types.contains(t) {
            errors.push(format!("firearm type {t:?} has no entry"));
        }
    }
    for i in &raw.implied {
        match (
            canonical(FIREARM_TYPES, &i.firearm_type),
            canonical(ACTIONS, &i.action),
        ) {
            (Some(firearm_type), Some(action)) => {
                let code = TypeCode {
                    firearm_type,
                    action: Some(action),
                };
                for spelling in &i.synonyms {
                    add_type(&mut errors, spelling, code);
                }
            }
            _ => errors.push(format!(
                "implied: unknown type or action {:?} / {:?}",
                i.firearm_type, i.action
            )),
        }
    }

    let mut seen_actions = Vec::new();
    for a in &raw.action {
        let Some(action) = canonical(ACTIONS, &a.code) else {
            errors.push(format!("unknown action {:?}", a.code));
            continue;
        };
        if seen_actions.contains(&action) {
            errors.push(format!("action {action:?} listed twice"));
        }
        seen_actions.push(action);
        for spelling in std::iter::once(&a.code).chain(&a.synonyms) {
            let key = type_key(spelling);
            match actions.get(&key) {
                _ if key.is_empty() => {
                    errors.push(format!("action synonym {spelling:?} has an empty key"))
                }
                Some(existing) if *existing != action => errors.push(format!(
                    "action synonym {spelling:?} means both {existing:?} and {action:?}"
                )),
                _ => {
                    actions.insert(key, action);
                }
            }
        }
    }
    for a in ACTIONS {
        if !seen_actions.contains(a) {
            errors.push(format!("action {a:?} has no entry"));
        }
    }

    let mut ncic_classes = HashMap::new();
    for c in &raw.ncic_class {
        match (
            single_char(&c.char),
            canonical(FIREARM_TYPES, &c.firearm_type),
        ) {
            (Some(ch), Some(t)) => {
                if ncic_classes.insert(ch, t).is_some() {
                    errors.push(format!("NCIC class {ch:?} listed twice"));
                }
            }
            _ => errors.push(format!(
                "NCIC class {:?}: bad character or type {:?}",
                c.char, c.firearm_type
            )),
        }
    }

    let mut ncic_characteristics = HashMap::new();
    let mut action_chars = HashMap::new();
    for c in &raw.ncic_characteristic {
        let Some(ch) = single_char(&c.char) else {
            errors.push(format!("NCIC characteristic {:?}: bad character", c.char));
            continue;
        };
        let action = match c.action.as_deref() {
            None => None,
            Some(a) => match canonical(ACTIONS, a) {
                Some(a) => {
                    if action_chars.insert(a, ch).is_some() {
                        errors.push(format!("action {a:?} has two NCIC characters"));
                    }
                    Some(a)
                }
                None => {
                    errors.push(format!("NCIC characteristic {ch:?}: unknown action {a:?}"));
                    None
                }
            },
        };
        let mut type_for_class = HashMap::new();
        for (class, t) in &c.type_for_class {
            match (single_char(class), canonical(FIREARM_TYPES, t)) {
                (Some(k), Some(t)) if ncic_classes.contains_key(&k) => {
                    type_for_class.insert(k, t);
                }
                _ => errors.push(format!(
                    "NCIC characteristic {ch:?}: bad type_for_class {class:?} = {t:?}"
                )),
            }
        }
        let entry = Characteristic {
            action,
            type_for_class,
        };
        if ncic_characteristics.insert(ch, entry).is_some() {
            errors.push(format!("NCIC characteristic {ch:?} listed twice"));
        }
    }
    for a in ACTIONS {
        if !action_chars.contains_key(a) {
            errors.push(format!("action {a:?} has no NCIC character"));
        }
    }

    let mut encodings = HashMap::new();
    for e in &raw.ncic_encode {
        let Some(t) = canonical(FIREARM_TYPES, &e.firearm_type) else {
            errors.push(format!("ncic_encode: unknown type {:?}", e.firearm_type));
            continue;
        };
        let class = single_char(&e.class).filter(|c| ncic_classes.contains_key(c));
        let char_of = |s: &Option<String>| -> Result<Option<char>, ()> {
            match s {
                None => Ok(None),
                Some(s) => single_char(s)
                    .filter(|c| ncic_characteristics.contains_key(c))
                    .map(Some)
                    .ok_or(()),
            }
        };
        match (class, char_of(&e.fixed), char_of(&e.default)) {
            (Some(class), Ok(fixed), Ok(default)) => {
                if encodings
                    .insert(
                        t,
                        Encoding {
                            class,
                            fixed,
                            default,
                        },
                    )
                    .is_some()
                {
                    errors.push(format!("ncic_encode: {t:?} listed twice"));
                }
            }
            _ => errors.push(format!("ncic_encode {t:?}: bad class, fixed or default")),
        }
    }
    for t in FIREARM_TYPES {
        if !encodings.contains_key(t) {
            errors.push(format!("ncic_encode: no entry for {t:?}"));
        }
    }

    if errors.is_empty() {
        Ok(Tables {
            types,
            actions,
            ncic_classes,
            ncic_characteristics,
            encodings,
            action_chars,
        })
    } else {
        Err(errors.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc(firearm_type: &'static str, action: Option<&'static str>) -> Option<TypeCode> {
        Some(TypeCode {
            firearm_type,
            action,
        })
    }

    #[test]
    fn table_loads() {
        let tables = load(DATA).unwrap_or_else(|e| panic!("firearm_types.toml: {e}"));
        assert!(tables.types.len() > 150, "{}", tables.types.len());
        assert!(tables.actions.len() > 100, "{}", tables.actions.len());
        assert!(DATA.starts_with("# Sources:"));
    }

    #[test]
    fn canonical_codes_find_themselves() {
        for t in FIREARM_TYPES {
            assert_eq!(lookup_type(t), tc(t, None), "{t}");
            assert_eq!(lookup_type(&t.to_uppercase()), tc(t, None), "{t}");
        }
        for a in ACTIONS {
            assert_eq!(lookup_action(a), Some(*a));
        }
    }

    #[test]
    fn sample_values() {
        assert_eq!(lookup_type("pištolj"), tc("pistol", None));
        assert_eq!(lookup_type("PIŠTOLJ"), tc("pistol", None));
        assert_eq!(lookup_type("pistolj"), tc("pistol", None));
        assert_eq!(lookup_type("пиштољ"), tc("pistol", None));
        assert_eq!(lookup_type("automatska puška"), tc("assault_rifle", None));
        assert_eq!(lookup_type("аутоматска пушка"), tc("assault_rifle", None));
        assert_eq!(lookup_type("puška"), tc("rifle", None));
        assert_eq!(lookup_type("snajperska puška"), tc("rifle", None));
        assert_eq!(lookup_type("sačmarica"), tc("shotgun", None));
        assert_eq!(lookup_type("сачмарица"), tc("shotgun", None));
        assert_eq!(lookup_type("revolver"), tc("revolver", None));
        assert_eq!(lookup_type("PISTOLA"), tc("pistol", None));
        assert_eq!(lookup_type("ESPINGARDA"), tc("shotgun", None));
        assert_eq!(lookup_type("REVOLVER"), tc("revolver", None));
        assert_eq!(lookup_type("Handgun - pistol"), tc("pistol", None));
        assert_eq!(
            lookup_type("Rifle - self-loading"),
            tc("rifle", Some("semi_automatic"))
        );
        // Not synonyms: an unknown launcher and a regional format's own codes.
        assert_eq!(lookup_type("bacač"), None);
        assert_eq!(lookup_type("HG"), None);
        assert_eq!(lookup_type("RF"), None);
    }

    #[test]
    fn synonyms_in_six_languages() {
        let cases = [
            ("Pistole", "pistol"),
            ("pistolet", "pistol"),
            ("pistola", "pistol"),
            ("Gewehr", "rifle"),
            ("Büchse", "rifle"),
            ("fusil", "rifle"),
            ("fuzil", "rifle"),
            ("rifle", "rifle"),
            ("carabina", "carbine"),
            ("Karabiner", "carbine"),
            ("karabin", "carbine"),
            ("Flinte", "shotgun"),
            ("escopeta", "shotgun"),
            ("espingarda", "shotgun"),
            ("fusil de chasse", "shotgun"),
            ("Sturmgewehr", "assault_rifle"),
            ("fusil d'assaut", "assault_rifle"),
            ("fusil d’assaut", "assault_rifle"),
            ("fuzil de assalto", "assault_rifle"),
            ("fusil de asalto", "assault_rifle"),
            ("jurišna puška", "assault_rifle"),
            ("AK-47", "assault_rifle"),
            ("Maschinenpistole", "submachine_gun"),
            ("submetralhadora", "submachine_gun"),
            ("pistolet-mitrailleur", "submachine_gun"),
            ("Maschinengewehr", "machine_gun"),
            ("mitraljez", "machine_gun"),
            ("митраљез", "machine_gun"),
            ("metralhadora", "machine_gun"),
            ("bacač granata", "grenade_launcher"),
            ("lance-grenades", "grenade_launcher"),
            ("Drilling", "combination_gun"),
            ("kombinovana puška", "combination_gun"),
            ("derringer", "derringer"),
            ("revólver", "revolver"),
            ("ostalo", "other"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                lookup_type(input).map(|c| c.firearm_type),
                Some(expected),
                "{input:?}"
            );
        }
    }

    #[test]
    fn synonyms_implying_an_action() {
        assert_eq!(lookup_type("Pump-Gun"), tc("shotgun", Some("pump")));
        assert_eq!(lookup_type("pumpgun"), tc("shotgun", Some("pump")));
        assert_eq!(lookup_type("fusil à pompe"), tc("shotgun", Some("pump")));
        assert_eq!(lookup_type("Repetierbüchse"), tc("rifle", Some("bolt")));
        assert_eq!(
            lookup_type("self-loading rifle"),
            tc("rifle", Some("semi_automatic"))
        );
        assert_eq!(
            lookup_type("semi-automatic pistol"),
            tc("pistol", Some("semi_automatic"))
        );
        assert_eq!(lookup_type("Bockflinte"), tc("shotgun", Some("over_under")));
        assert_eq!(
            lookup_type("Doppelflinte"),
            tc("shotgun", Some("double_barrel"))
        );
        assert_eq!(
            lookup_type("dvocevka"),
            tc("shotgun", Some("double_barrel"))
        );
        assert_eq!(
            lookup_type("Büchsflinte"),
            tc("combination_gun", Some("double_barrel"))
        );
        // "automatic pistol" usually means self-loading: left open.
        assert_eq!(lookup_type("automatic pistol"), tc("pistol", None));
        assert_eq!(lookup_type("pistola automática"), tc("pistol", None));
    }

    #[test]
    fn type_and_action_compose() {
        assert_eq!(
            lookup_type("pistola semiautomática"),
            tc("pistol", Some("semi_automatic"))
        );
        assert_eq!(
            lookup_type("Pistole halbautomatisch"),
            tc("pistol", Some("semi_automatic"))
        );
        assert_eq!(
            lookup_type("poluautomatski pištolj"),
            tc("pistol", Some("semi_automatic"))
        );
        assert_eq!(
            lookup_type("escopeta de corredera"),
            tc("shotgun", Some("pump"))
        );
        assert_eq!(lookup_type("espingarda pump"), tc("shotgun", Some("pump")));
        assert_eq!(
            lookup_type("rifle with bolt action"),
            tc("rifle", Some("bolt"))
        );
        assert_eq!(lookup_type("bolt-action rifle"), tc("rifle", Some("bolt")));
        assert_eq!(lookup_type("fusil à verrou"), tc("rifle", Some("bolt")));
        assert_eq!(
            lookup_type("shotgun, over/under"),
            tc("shotgun", Some("over_under"))
        );
        assert_eq!(
            lookup_type("shotgun single shot"),
            tc("shotgun", Some("single_shot"))
        );
        // A synonym's implied action must agree with the one given.
        assert_eq!(
            lookup_type("Pump-Gun pump action"),
            tc("shotgun", Some("pump"))
        );
        assert_eq!(lookup_type("Pump-Gun semi-automatic"), None);
        assert_eq!(lookup_type("pistol banana"), None);
    }

    #[test]
    fn actions() {
        let cases = [
            ("semi-auto", "semi_automatic"),
            ("semi automatic", "semi_automatic"),
            ("halbautomatisch", "semi_automatic"),
            ("semiautomática", "semi_automatic"),
            ("semi-automatique", "semi_automatic"),
            ("poluautomatski", "semi_automatic"),
            ("полуаутоматски", "semi_automatic"),
            ("self-loading", "semi_automatic"),
            ("full auto", "automatic"),
            ("vollautomatisch", "automatic"),
            ("automatski", "automatic"),
            ("bolt action", "bolt"),
            ("Repetierer", "bolt"),
            ("de cerrojo", "bolt"),
            ("ferrolho", "bolt"),
            ("lever-action", "lever"),
            ("Unterhebel", "lever"),
            ("pump-action", "pump"),
            ("à pompe", "pump"),
            ("a pompe", "pump"),
            ("single shot", "single_shot"),
            ("Einzellader", "single_shot"),
            ("jednometna", "single_shot"),
            ("side-by-side", "double_barrel"),
            ("juxtaposé", "double_barrel"),
            ("over/under", "over_under"),
            ("superposé", "over_under"),
            ("revolving", "revolver"),
        ];
        for (input, expected) in cases {
            assert_eq!(lookup_action(input), Some(expected), "{input:?}");
        }
        assert_eq!(lookup_action("pistol"), None);
        assert_eq!(lookup_action(""), None);
    }

    #[test]
    fn ncic_decoding() {
        assert_eq!(lookup_type("PI"), tc("pistol", Some("semi_automatic")));
        assert_eq!(lookup_type("pi"), tc("pistol", Some("semi_automatic")));
        assert_eq!(lookup_type(" PI "), tc("pistol", Some("semi_automatic")));
        assert_eq!(lookup_type("PR"), tc("revolver", Some("revolver")));
        assert_eq!(lookup_type("PD"), tc("derringer", None));
        assert_eq!(lookup_type("PA"), tc("pistol", Some("automatic")));
        assert_eq!(lookup_type("PS"), tc("pistol", Some("single_shot")));
        assert_eq!(lookup_type("RB"), tc("rifle", Some("bolt")));
        assert_eq!(lookup_type("RI"), tc("rifle", Some("semi_automatic")));
        assert_eq!(lookup_type("RA"), tc("rifle", Some("automatic")));
        assert_eq!(lookup_type("RL"), tc("rifle", Some("lever")));
        assert_eq!(lookup_type("RC"), tc("carbine", None));
        assert_eq!(lookup_type("SP"), tc("shotgun", Some("pump")));
        assert_eq!(lookup_type("SE"), tc("shotgun", Some("double_barrel")));
        assert_eq!(lookup_type("SO"), tc("shotgun", Some("over_under")));
        assert_eq!(lookup_type("SS"), tc("shotgun", Some("single_shot")));
        assert_eq!(lookup_type("BA"), tc("submachine_gun", Some("automatic")));
        assert_eq!(lookup_type("MA"), tc("machine_gun", Some("automatic")));
        assert_eq!(lookup_type("QS"), tc("other", Some("single_shot")));
        assert_eq!(lookup_type("ZS"), tc("other", Some("single_shot")));
        for second in ["A", "B", "C", "D", "E", "I", "L", "O", "P", "R", "S"] {
            assert_eq!(
                lookup_type(&format!("C{second}")).map(|c| c.firearm_type),
                Some("combination_gun"),
                "C{second}"
            );
        }
        assert_eq!(lookup_type("CO"), tc("combination_gun", Some("over_under")));
        // Not NCIC: no such class or characteristic.
        for code in ["RV", "SG", "XX", "PX", "HG", "RF", "P", "PII", "P I", "ÜI"] {
            assert_eq!(from_ncic_typ(code), None, "{code}");
        }
        assert_eq!(lookup_type("RV"), None);
        assert_eq!(lookup_type("SG"), None);
        // "MP" is a listed synonym (Maschinenpistole) and wins over NCIC.
        assert_eq!(lookup_type("MP"), tc("submachine_gun", None));
        assert_eq!(from_ncic_typ("MP"), tc("machine_gun", Some("pump")));
        assert_eq!(from_ncic_typ("pr"), tc("revolver", Some("revolver")));
    }

    #[test]
    fn ncic_encoding() {
        let cases = [
            ("pistol", Some("semi_automatic"), Some("PI")),
            ("pistol", None, Some("PI")),
            ("pistol", Some("automatic"), Some("PA")),
            ("pistol", Some("single_shot"), Some("PS")),
            ("revolver", None, Some("PR")),
            ("revolver", Some("revolver"), Some("PR")),
            ("revolver", Some("single_shot"), Some("PR")),
            ("derringer", None, Some("PD")),
            ("derringer", Some("over_under"), Some("PD")),
            ("rifle", Some("bolt"), Some("RB")),
            ("rifle", Some("semi_automatic"), Some("RI")),
            ("rifle", Some("lever"), Some("RL")),
            ("rifle", None, None),
            ("carbine", None, Some("RC")),
            ("carbine", Some("semi_automatic"), Some("RC")),
            ("assault_rifle", None, Some("RA")),
            ("assault_rifle", Some("semi_automatic"), Some("RI")),
            ("shotgun", Some("pump"), Some("SP")),
            ("shotgun", Some("double_barrel"), Some("SE")),
            ("shotgun", Some("over_under"), Some("SO")),
            ("shotgun", None, None),
            ("combination_gun", Some("over_under"), Some("CO")),
            ("combination_gun", None, None),
            ("submachine_gun", None, Some("BA")),
            ("submachine_gun", Some("semi_automatic"), Some("BI")),
            ("machine_gun", None, Some("MA")),
            ("grenade_launcher", Some("single_shot"), Some("ZS")),
            ("grenade_launcher", None, None),
            ("other", Some("bolt"), Some("ZB")),
            ("other", None, None),
            ("Pistole", None, None),
            ("pistol", Some("banana"), None),
            ("", None, None),
        ];
        for (t, a, expected) in cases {
            assert_eq!(ncic_typ(t, a).as_deref(), expected, "{t} {a:?}");
        }
    }

    #[test]
    fn ncic_round_trip_keeps_the_action() {
        for t in FIREARM_TYPES {
            for a in ACTIONS {
                let Some(code) = ncic_typ(t, Some(a)) else {
                    panic!("{t} + {a} has no NCIC code");
                };
                let decoded =
                    from_ncic_typ(&code).unwrap_or_else(|| panic!("{code} does not decode"));
                match *t {
                    // The type is the characteristic: the action is not encoded.
                    "revolver" | "derringer" | "carbine" => {
                        assert_eq!(decoded.firearm_type, *t, "{code}")
                    }
                    _ => assert_eq!(decoded.action, Some(*a), "{t} + {a} -> {code}"),
                }
            }
        }
    }

    #[test]
    fn odd_input_never_panics() {
        for input in [
            "",
            " ",
            "\u{0}",
            "🙂🙂",
            "ü",
            "--",
            "a b c d e f g h",
            "P\u{301}I",
        ] {
            let _ = lookup_type(input);
            let _ = lookup_action(input);
            let _ = from_ncic_typ(input);
            let _ = ncic_typ(input, Some(input));
        }
        assert_eq!(lookup_type(""), None);
        assert_eq!(lookup_type("--"), None);
    }

    #[test]
    fn loader_rejects_inconsistent_data() {
        let good = DATA;
        let bad = [
            good.replacen("code = \"pistol\"", "code = \"pistole\"", 1),
            good.replacen("\"Flinte\",", "\"Flinte\", \"Pistole\",", 1),
            good.replacen("char = \"I\"", "char = \"A\"", 1),
            good.replacen("class = \"P\"\ndefault = \"I\"", "class = \"X\"", 1),
            good.replacen("code = \"pump\"", "code = \"pumpe\"", 1),
        ];
        for text in bad {
            assert_ne!(text, good);
            assert!(load(&text).is_err());
        }
    }
}
