//! Issue 15: a placeholder in the serial field never yields a key. The
//! placeholders are GENERATED here from stems, inflections, phrases, case and
//! accent variants and abbreviations in pt, es, fr, de, en, it and sr/hr, so
//! the rules are tested on forms they were not written from; then real serials
//! with noise around them keep the serial and key only the serial.

use iarms_adapters::model::{FirearmRecord, Message, SerialState};
use iarms_adapters::normalise::{flags, normalise};

/// Stems with their inflections, and whole phrases, per language.
struct Language {
    name: &'static str,
    stems: &'static [&'static str],
    endings: &'static [&'static str],
    prefixes: &'static [&'static str],
    phrases: &'static [&'static str],
}

const LANGUAGES: &[Language] = &[
    Language {
        name: "pt",
        stems: &[
            "removid",
            "raspad",
            "limad",
            "suprimid",
            "eliminad",
            "apagad",
            "adulterad",
        ],
        endings: &["o", "a", "os", "as"],
        prefixes: &["", "número ", "numeração ", "nº de série "],
        phrases: &[
            "sem número",
            "sem numeração",
            "não consta",
            "não informado",
            "não encontrado",
            "desconhecido",
            "ilegível",
            "não legível",
            "nenhum",
            "inexistente",
        ],
    },
    Language {
        name: "es",
        stems: &[
            "borrad",
            "limad",
            "raspad",
            "eliminad",
            "suprimid",
            "esmerilad",
        ],
        endings: &["o", "a", "os", "as"],
        prefixes: &["", "número ", "numeración "],
        phrases: &[
            "sin número",
            "sin numero",
            "no consta",
            "ilegible",
            "desconocido",
            "ninguno",
            "no visible",
        ],
    },
    Language {
        name: "fr",
        stems: &["effacé", "limé", "gratté", "supprimé", "enlevé", "meulé"],
        endings: &["", "e", "s", "es"],
        prefixes: &["", "numéro ", "n° de série "],
        phrases: &[
            "sans numéro",
            "illisible",
            "inconnu",
            "aucun",
            "non indiqué",
            "non renseigné",
        ],
    },
    Language {
        name: "de",
        stems: &[
            "entfernt",
            "ausgefeilt",
            "abgefeilt",
            "weggefeilt",
            "abgeschliffen",
        ],
        endings: &[""],
        prefixes: &["", "Nummer ", "Seriennummer "],
        phrases: &[
            "ohne Nummer",
            "unleserlich",
            "unbekannt",
            "keine",
            "nicht angegeben",
            "nicht vorhanden",
            "Nummer unkenntlich gemacht",
            "nicht lesbar",
        ],
    },
    Language {
        name: "en",
        stems: &["remov", "fil", "scrap", "obliterat", "eras", "defac"],
        endings: &["ed"],
        prefixes: &["", "serial ", "number ", "serial number "],
        phrases: &[
            "none",
            "unknown",
            "not stated",
            "not found",
            "no number",
            "without number",
            "illegible",
            "unreadable",
            "filed off",
            "ground off",
            "not legible",
            "no serial",
        ],
    },
    Language {
        name: "it",
        stems: &[
            "rimoss",
            "limat",
            "raschiat",
            "abras",
            "cancellat",
            "eliminat",
            "soppress",
        ],
        endings: &["o", "a", "i", "e"],
        prefixes: &["", "matricola ", "numero "],
        phrases: &[
            "senza matricola",
            "senza numero",
            "illeggibile",
            "sconosciuto",
            "nessuno",
            "non indicato",
        ],
    },
    Language {
        name: "sr/hr",
        stems: &[
            "uklonjen",
            "izbrisan",
            "sastrugan",
            "izbrušen",
            "turpijan",
            "uništen",
        ],
        endings: &["", "a", "o", "i"],
        prefixes: &["", "broj ", "serijski broj "],
        phrases: &[
            "bez broja",
            "nečitljiv",
            "nečitljivo",
            "nepoznat",
            "nema",
            "nije naveden",
            "nije pronađen",
        ],
    },
];

const ABBREVIATIONS: &[&str] = &[
    "S/N", "s/n", "N/C", "n/c", "N/A", "n/a", "NC", "SN", "S/Nº", "s.n.", "n.c.", "N/D", "S/N°",
];

const PUNCTUATION: &[&str] = &[
    "-", "--", "---", "*", "/", ".", "?", "???", "****", "_ _ _", "- / -",
];

/// Case and accent variants of one placeholder.
fn variants(text: &str) -> Vec<String> {
    let title: String = text
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = vec![
        text.to_string(),
        text.to_uppercase(),
        title,
        deunicode::deunicode(text),
        format!("  {}  ", deunicode::deunicode(text).to_uppercase()),
    ];
    out.sort();
    out.dedup();
    out
}

/// Every generated placeholder, with its language.
fn generated() -> Vec<(&'static str, String)> {
    let mut all = Vec::new();
    for lang in LANGUAGES {
        for stem in lang.stems {
            for ending in lang.endings {
                for prefix in lang.prefixes {
                    for v in variants(&format!("{prefix}{stem}{ending}")) {
                        all.push((lang.name, v));
                    }
                }
            }
        }
        for phrase in lang.phrases {
            for v in variants(phrase) {
                all.push((lang.name, v));
            }
        }
    }
    for text in ABBREVIATIONS.iter().chain(PUNCTUATION) {
        all.push(("abbreviation", (*text).to_string()));
    }
    all
}

fn record(serial: &str) -> Message {
    let value = serde_json::json!({
        "kind": "record",
        "header": {
            "message_id": "a2b5054e-078a-5bd7-a4df-0fe99fecbae2",
            "correlation_id": "a2b5054e-078a-5bd7-a4df-0fe99fecbae2"
        },
        "record_id": "R-1", "owner_country": "RS", "owner_agency": "RS-MUP",
        "action": "create", "version": 1,
        "firearm": {"serial_number": serial, "make": "Zastava"},
        "event": {"status": "stolen"}
    });
    serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
}

fn normalised(serial: &str) -> (FirearmRecord, Message) {
    let mut message = record(serial);
    let issues = normalise(&mut message);
    assert!(issues.is_empty(), "{serial:?}: {issues:?}");
    assert!(
        iarms_adapters::schema::validate(&message).is_empty(),
        "{serial:?}"
    );
    match &message {
        Message::Record(r) => (r.clone(), message.clone()),
        _ => panic!("a record"),
    }
}

#[test]
fn no_generated_placeholder_yields_a_key() {
    let all = generated();
    let mut keys = Vec::new();
    let mut unread = Vec::new();
    let mut per_language = std::collections::BTreeMap::<&str, usize>::new();
    for (lang, text) in &all {
        *per_language.entry(lang).or_default() += 1;
        let (r, message) = normalised(text);
        let f = &r.firearm;
        if f.serial_key.is_some() || f.serial_pattern.is_some() {
            keys.push(format!(
                "{lang} {text:?} -> {:?} {:?}",
                f.serial_key, f.serial_pattern
            ));
        }
        assert_eq!(
            f.serial_number.as_deref(),
            Some(text.as_str()),
            "kept as recorded"
        );
        let state = f.serial_state;
        if !matches!(
            state,
            Some(SerialState::Obliterated | SerialState::Illegible | SerialState::Absent)
        ) || !message
            .header()
            .flags
            .iter()
            .any(|f| f.code == flags::PLACEHOLDER_SERIAL)
        {
            unread.push(format!("{lang} {text:?}: state {state:?}"));
        }
    }
    println!(
        "{} generated placeholders {per_language:?}, {} keys",
        all.len(),
        keys.len()
    );
    assert!(all.len() > 1000, "{}", all.len());
    assert!(keys.is_empty(), "{keys:#?}");
    assert!(unread.is_empty(), "{unread:#?}");
}

#[test]
fn destroyed_numbers_read_as_obliterated() {
    for text in [
        "número removido",
        "LIMÉ",
        "ausgefeilt",
        "matricola abrasa",
        "broj uklonjen",
        "Filed off",
    ] {
        assert_eq!(
            normalised(text).0.firearm.serial_state,
            Some(SerialState::Obliterated),
            "{text}"
        );
    }
    for text in ["ilegível", "unleserlich", "nečitljiv", "not legible"] {
        assert_eq!(
            normalised(text).0.firearm.serial_state,
            Some(SerialState::Illegible),
            "{text}"
        );
    }
}

#[test]
fn real_serials_with_noise_key_only_the_serial() {
    for (raw, key) in [
        ("M70-1234", "M701234"),
        ("Nº 58213", "58213"),
        ("S/N: AB 12345", "AB12345"),
        ("58213 (na armação)", "58213"),
        ("58213 - frame", "58213"),
        ("#40217", "40217"),
        ("  c-123456  ", "C123456"),
        ("Serijski broj: 76-01234", "7601234"),
    ] {
        let (r, _) = normalised(raw);
        assert_eq!(r.firearm.serial_key.as_deref(), Some(key), "{raw}");
        assert_eq!(r.firearm.serial_number.as_deref(), Some(raw), "{raw}");
    }
    let (r, _) = normalised("58213 (na armação)");
    assert_eq!(r.firearm.serial_note.as_deref(), Some("na armação"));
}

#[test]
fn unsure_values_are_kept_flagged_and_keyless() {
    for raw in ["ABCDEF", "Zastava", "123 raspado", "000000"] {
        let (r, message) = normalised(raw);
        assert_eq!(r.firearm.serial_key, None, "{raw}");
        assert!(message
            .header()
            .flags
            .iter()
            .any(|f| f.code == flags::SERIAL_REVIEW && f.field == "firearm.serial_number"));
    }
}

#[test]
fn two_serials_in_one_field_are_two_serials() {
    let (r, _) = normalised("40217; 930112");
    let f = &r.firearm;
    assert_eq!(f.serials.len(), 2);
    assert_eq!(f.serials[0].key.as_deref(), Some("40217"));
    assert_eq!(f.serials[1].key.as_deref(), Some("930112"));
    assert_eq!(f.serial_key.as_deref(), Some("40217"));
    // The frame serial comes first and is the primary one.
    let (r, _) = normalised("40217 (slide); 930112 (frame)");
    assert_eq!(r.firearm.serial_key.as_deref(), Some("930112"));
    // Normalising again changes nothing.
    let mut message = Message::Record(r.clone());
    assert!(normalise(&mut message).is_empty());
    assert_eq!(message, Message::Record(r));
}

#[test]
fn partial_serial_is_a_pattern_not_a_key() {
    let (r, _) = normalised("31?407");
    assert_eq!(r.firearm.serial_key, None);
    assert_eq!(r.firearm.serial_pattern.as_deref(), Some("31?407"));
    assert_eq!(r.firearm.serial_state, Some(SerialState::PartiallyLegible));
    let (r, _) = normalised("****7");
    assert_eq!(r.firearm.serial_pattern.as_deref(), Some("????7"));
}
