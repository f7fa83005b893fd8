//! Placeholder words: what registries write in the serial field when there is no
//! readable number ("removido", "unleserlich", "S/N", "sin número", "---").
//!
//! Recognised by rules, not by a list of whole values: the text is folded
//! (accents and case, via deunicode), cut into words, and each word is matched
//! against word STEMS that take inflections ("limad" reads "limado", "limada",
//! "limados"; "uklonjen" reads "uklonjena", "uklonjeno"). A value is a
//! placeholder when every word is either a state word, a negation, a word for
//! "number"/"serial", or a filler ("de", "the", "on"), and together they say
//! something: a state word, or a negation before a number word or a
//! "stated/found/known" word ("sem número", "ohne Nummer", "not stated"). Such a
//! value has no digit by construction, so a real serial is never read as one.
//! Languages: pt, es, fr, de, en, it, sr/hr (Latin script).

use crate::model::SerialState;

/// Stems of "removed, filed off, scraped, erased, altered": the number was
/// there and was destroyed.
const OBLITERATED: &[&str] = &[
    // en
    "remov",
    "eliminat",
    "suppress",
    "filed",
    "file",
    "scrap",
    "scratch",
    "obliter",
    "eras",
    "ground",
    "grind",
    "defac",
    "alter",
    "destroy",
    "effac",
    "polish",
    "drill",
    // pt
    "removid",
    "eliminad",
    "suprimid",
    "limad",
    "raspad",
    "apagad",
    "adulterad",
    "obliterad",
    "esmerilhad",
    "destruid",
    "danificad",
    "alterad",
    "lixad",
    "desgastad",
    // es
    "borrad",
    "esmerilad",
    "destruid",
    "limad",
    "raspad",
    "eliminad",
    "suprimid",
    "removid",
    "alterad",
    "obliterad",
    "lijad",
    // fr
    "enlev",
    "supprim",
    "lim",
    "gratt",
    "efface",
    "oblitere",
    "meul",
    "detruit",
    "alter",
    "abras",
    "elimin",
    "rap",
    // de
    "entfernt",
    "gefeilt",
    "ausgefeilt",
    "abgefeilt",
    "weggefeilt",
    "geschliffen",
    "abgeschliffen",
    "herausgeschliffen",
    "beseitigt",
    "getilgt",
    "zerstort",
    "verandert",
    "unkenntlich",
    "ausgeschliffen",
    "weggeschliffen",
    "gekratzt",
    "abgekratzt",
    // it
    "rimoss",
    "eliminat",
    "soppress",
    "limat",
    "raschiat",
    "abras",
    "cancellat",
    "obliterat",
    "alterat",
    "abrasa",
    "distrutt",
    "manomess",
    "punzonat",
    // sr/hr (folded: č -> c, š -> s, ž -> z, đ -> d, dj)
    "uklonjen",
    "izbrisan",
    "obrisan",
    "sastrugan",
    "ostrugan",
    "istrugan",
    "izbrusen",
    "brusen",
    "zabrusen",
    "turpijan",
    "unisten",
    "odstranjen",
    "skinut",
    "izgreben",
    "ostecen",
    "izmijenjen",
    "izmenjen",
    "prebrusen",
];

/// Stems of "illegible, unreadable".
const ILLEGIBLE: &[&str] = &[
    "illegib",
    "unread",
    "indecipher", // en
    "ilegiv",
    "ilegib",
    "ininteligiv",
    "indecifrav", // pt, es
    "illisib",
    "indechiffr", // fr
    "unleserlich",
    "unlesbar",
    "nichtlesbar", // de
    "illeggib",
    "indecifrabil", // it
    "necitljiv",
    "necitak",
    "necitk",
    "necitk", // sr/hr
];

/// Stems that name the state "not present, not known": "none", "unknown".
const ABSENT: &[&str] = &[
    "none",
    "unknown",
    "nil",
    "missing",
    "unmarked",
    "blank",
    "empty", // en
    "nenhum",
    "desconhecid",
    "inexistent",
    "ausent",
    "vazi",
    "ignorad", // pt
    "ningun",
    "desconocid",
    "inexistent",
    "ausent",
    "vaci", // es
    "aucun",
    "inconnu",
    "inexistant",
    "absent",
    "neant", // fr
    "keine",
    "kein",
    "unbekannt",
    "fehlt",
    "fehlend",
    "ohne", // de
    "nessun",
    "sconosciut",
    "ignot",
    "assent",
    "mancant", // it
    "nema",
    "nepoznat",
    "nepoznt",
    "nepostoj", // sr/hr
];

/// Words that negate: "sem número", "not stated", "nicht angegeben".
const NEGATIONS: &[&str] = &[
    "no", "not", "non", "without", "w", "n", // en (w/o, n/a)
    "sem", "nao", "nada", // pt
    "sin", "sn", // es
    "sans", "pas", "ne", // fr
    "nicht", "ohne", "kein", "keine", "keiner", // de
    "senza",  // it
    "bez", "nije", "ni", "nisu", // sr/hr
];

/// Words for "number", "serial", "marking": what the negation is about.
const NUMBER_WORDS: &[&str] = &[
    "number",
    "numbers",
    "serial",
    "serials",
    "num",
    "nr",
    "nro",
    "numero",
    "numeros",
    "no",
    "nummer",
    "seriennummer",
    "serien",
    "numer",
    "broj",
    "broja",
    "brojem",
    "serijski",
    "serijskog",
    "matricola",
    "matricole",
    "serie",
    "series",
    "numeracao",
    "numeracion",
    "numerotation",
    "marking",
    "markings",
    "marcacao",
    "marcas",
    "marca",
    "identificacao",
    "kennzeichnung",
    "markierung",
    "oznaka",
    "oznake",
    // "n°" transliterated to ASCII before it reached us
    "ndeg",
    "deg",
    "n",
    "sn",
    "s",
    "o",
];

/// Participles "stated, found, known, marked, given, informed, visible,
/// present, available": only a placeholder after a negation.
const STATED: &[&str] = &[
    "stat",
    "found",
    "known",
    "mark",
    "given",
    "record",
    "avail",
    "visib",
    "present",
    "appl",
    "inform",
    "encontrad",
    "conhecid",
    "marcad",
    "consta",
    "indicad",
    "declarad",
    "registad",
    "legivel",
    "visivel",
    "aplica",
    "disponiv",
    "existe", // pt
    "conocid",
    "legibl",
    "visibl",
    "aplic",
    "disponib", // es
    "indique",
    "connu",
    "trouve",
    "renseign",
    "marque",
    "lisibl",
    "applicab",
    "disponib",
    "angegeben",
    "bekannt",
    "gefunden",
    "vorhanden",
    "lesbar",
    "markiert",
    "erkennbar",
    "sichtbar",
    "zutreffend",
    "verfugbar", // de
    "indicat",
    "trovat",
    "conosciut",
    "present",
    "leggibil",
    "visibil",
    "applicabil",
    "disponibil",
    "rilevat", // it
    "naveden",
    "pronaden",
    "pronadjen",
    "poznat",
    "citljiv",
    "vidljiv",
    "oznacen",
    "primjenjiv",
    "dostupan",
    "postoji",
    "upisan", // sr/hr
];

/// Stems of STATED that, negated, mean illegible rather than absent ("não legível").
const STATED_LEGIBLE: &[&str] = &[
    "legivel",
    "legibl",
    "lisibl",
    "lesbar",
    "leggibil",
    "citljiv",
    "visib",
    "visivel",
    "visibl",
    "sichtbar",
    "visibil",
    "vidljiv",
    "erkennbar",
];

/// Fillers: articles and prepositions that carry no meaning here.
const FILLERS: &[&str] = &[
    "de",
    "da",
    "do",
    "das",
    "dos",
    "del",
    "la",
    "el",
    "le",
    "les",
    "du",
    "des",
    "the",
    "of",
    "on",
    "a",
    "an",
    "is",
    "e",
    "y",
    "et",
    "und",
    "and",
    "ed",
    "i",
    "il",
    "di",
    "der",
    "die",
    "ist",
    "est",
    "es",
    "esta",
    "e",
    "je",
    "su",
    "sul",
    "na",
    "no",
    "em",
    "en",
    "auf",
    "am",
    "number",
    "serie",
    "it",
    "was",
    "wurde",
    "foi",
    "fue",
    "ete",
    "stato",
    "stata",
    "bio",
    "bila",
    "bilo",
    "ha",
    "sido",
    "been",
    "par",
    "por",
    "by",
    "od",
    "sa",
    "fabrica",
    "factory",
    "original",
    "originale",
    "originalni",
    "totally",
    "completely",
    "partly",
    "totalmente",
    "completamente",
    "parcialmente",
    "vollstandig",
    "teilweise",
    "total",
    "totale",
    "parzialmente",
    "potpuno",
    "djelomicno",
    "delimicno",
    "off",
    "out",
    "away",
    "ab",
    "weg",
    "gemacht",
    "made",
    "ganz",
];

/// The most inflection a stem takes ("limad" + "os", "uklonjen" + "og").
const MAX_ENDING: usize = 4;

/// Inflection endings a stem may take; anything else is a different word
/// ("file" takes "d"/"s", not "name": "filename" is not a state).
const ENDINGS: &[&str] = &[
    "", "o", "a", "os", "as", "e", "es", "ed", "d", "s", "en", "er", "ern", "em", "et", "t", "te",
    "ten", "i", "ni", "na", "no", "ne", "nog", "og", "om", "ih", "im", "u", "y", "ee", "ees",
    "ata", "ato", "ati", "ate", "ido", "ida", "ado", "ada", "ure", "ation", "ated", "ing", "ible",
    "able", "el", "al", "is", "ly", "ement", "ment", "ic", "ich", "ik", "ka", "ki", "ko", "ke",
    "ken", "iert", "ieren", "io", "ia", "ie", "le", "ile", "ee",
];

fn stem_matches(word: &str, stems: &[&str]) -> bool {
    stems.iter().any(|stem| {
        word.strip_prefix(stem)
            .is_some_and(|rest| rest.len() <= MAX_ENDING && ENDINGS.contains(&rest))
    })
}

fn is_word(word: &str, words: &[&str]) -> bool {
    words.contains(&word)
}

/// Folds a text for word comparison: transliterated to ASCII (accents gone,
/// "ß" -> "ss", "đ" -> "d"), lowercased, "nº"/"n°" kept as the word "no".
pub fn fold(text: &str) -> String {
    let replaced = text.replace(['º', '°'], "o ");
    deunicode::deunicode(&replaced).to_lowercase()
}

/// The folded words of a text (runs of ASCII letters and digits).
pub fn words(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether a word (folded) names a destroyed or unreadable number: used to
/// spot a placeholder word beside digits ("123 raspado"), which makes the
/// value unsure.
pub fn is_state_word(word: &str) -> bool {
    word.len() >= 3 && (stem_matches(word, OBLITERATED) || stem_matches(word, ILLEGIBLE))
}

/// Abbreviations that stand for the whole value: S/N (sem número, sin número,
/// sans numéro), N/C (não consta), N/A, NC, SN, N/D, N/I, S/Nº, NN, W/O (#).
const ABBREVIATIONS: &[&str] = &[
    "sn", "nc", "na", "nd", "ni", "nn", "sno", "snr", "snum", "wo", "wn", "nk", "ns", "bb", "bbr",
    "sd", "snn", "none", "nil", "nema", "keine", "nessuna", "nessuno", "xx", "xxx", "xxxx", "x",
];

/// The state a placeholder value declares, or `None` when the value is not a
/// placeholder under these rules. Only punctuation (no letter or digit) reads
/// as absent.
pub fn placeholder_state(raw: &str) -> Option<SerialState> {
    if raw.chars().any(|c| c.is_numeric()) {
        return None;
    }
    if !raw.chars().any(char::is_alphanumeric) {
        return Some(SerialState::Absent);
    }
    let folded = fold(raw);
    let words = words(&folded);
    if words.is_empty() {
        return Some(SerialState::Absent);
    }
    // "S/N", "N.C.", "n/a": the letters of a short value, joined.
    let joined: String = words.concat();
    if words.iter().all(|w| w.len() <= 2) && is_word(&joined, ABBREVIATIONS) {
        return Some(SerialState::Absent);
    }
    if words.len() == 1 && is_word(&joined, ABBREVIATIONS) {
        return Some(SerialState::Absent);
    }
    let mut state: Option<SerialState> = None;
    let mut negated = false;
    let mut said = false;
    for word in &words {
        let word = *word;
        if stem_matches(word, ILLEGIBLE) {
            state = Some(stronger(state, SerialState::Illegible));
            said = true;
        } else if word.len() >= 3 && stem_matches(word, OBLITERATED) {
            state = Some(stronger(state, SerialState::Obliterated));
            said = true;
        } else if is_word(word, NEGATIONS) {
            negated = true;
        } else if negated && (is_word(word, NUMBER_WORDS) || stem_matches(word, STATED)) {
            let meant = if stem_matches(word, STATED_LEGIBLE) {
                SerialState::Illegible
            } else {
                SerialState::Absent
            };
            state = Some(stronger(state, meant));
            said = true;
        } else if stem_matches(word, ABSENT) {
            state = Some(stronger(state, SerialState::Absent));
            said = true;
        } else if is_word(word, NUMBER_WORDS) || is_word(word, FILLERS) {
            // carries nothing by itself
        } else {
            return None;
        }
    }
    if said {
        state
    } else {
        None
    }
}

/// Obliterated says the most (a number was there and was destroyed), then
/// illegible, then absent: "sem número, raspado" is obliterated.
fn stronger(current: Option<SerialState>, new: SerialState) -> SerialState {
    fn rank(s: SerialState) -> u8 {
        match s {
            SerialState::Obliterated => 3,
            SerialState::Illegible => 2,
            SerialState::Absent => 1,
            SerialState::PartiallyLegible | SerialState::Legible => 0,
        }
    }
    match current {
        Some(c) if rank(c) >= rank(new) => c,
        _ => new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SerialState::{Absent, Illegible, Obliterated};

    #[test]
    fn state_words_in_every_language() {
        for (text, state) in [
            ("removed", Obliterated),
            ("Filed off", Obliterated),
            ("número removido", Obliterated),
            ("NUMERAÇÃO RASPADA", Obliterated),
            ("limado", Obliterated),
            ("limé", Obliterated),
            ("numéro effacé", Obliterated),
            ("ausgefeilt", Obliterated),
            ("Nummer entfernt", Obliterated),
            ("matricola abrasa", Obliterated),
            ("rimossa", Obliterated),
            ("broj uklonjen", Obliterated),
            ("izbrušen", Obliterated),
            ("illegible", Illegible),
            ("unleserlich", Illegible),
            ("ilegível", Illegible),
            ("ilegible", Illegible),
            ("illisible", Illegible),
            ("illeggibile", Illegible),
            ("nečitljiv", Illegible),
            ("não legível", Illegible),
            ("none", Absent),
            ("not stated", Absent),
            ("sem número", Absent),
            ("sin numero", Absent),
            ("ohne Nummer", Absent),
            ("bez broja", Absent),
            ("senza matricola", Absent),
            ("sans numéro", Absent),
            ("não informado", Absent),
            ("nije naveden", Absent),
            ("unbekannt", Absent),
            ("S/N", Absent),
            ("N/C", Absent),
            ("n/a", Absent),
            ("NC", Absent),
            ("s/nº", Absent),
            ("-", Absent),
            ("--- / ---", Absent),
        ] {
            assert_eq!(placeholder_state(text), Some(state), "{text}");
        }
    }

    #[test]
    fn serials_and_other_words_are_not_placeholders() {
        for text in [
            "A123", "12345", "BER", "Zastava", "nonesuch", "filename", "M70 AB",
        ] {
            assert_eq!(placeholder_state(text), None, "{text}");
        }
    }

    #[test]
    fn state_words_beside_digits() {
        assert!(is_state_word("raspado"));
        assert!(is_state_word("limee"));
        assert!(!is_state_word("frame"));
        assert!(!is_state_word("na"));
    }
}
