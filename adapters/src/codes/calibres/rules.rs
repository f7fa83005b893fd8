//! The rules that read a calibre the table does not list as written: words
//! shortened in the trade (`Win`, `Rem`, `Mag`, `Wby`, `Spl`), a dual
//! designation `X (Y)`, shotgun gauges in local notations (`12GA`, `12/70`,
//! `12 Gauge 3"`), bare numbers that lost their decimal point (`556`, `762`),
//! values a spreadsheet turned into a date (`12/70` -> `01/12/1970`) or a
//! number (`556` -> `5.56E+2`), and trailing noise (`Caliber`, `Ammo`,
//! `Russian`). Each rule reduces the input to spellings the table holds; none
//! guesses: what stays ambiguous comes back with its candidates.
//!
//! Hand-written: the notations are few and fixed, a grammar crate would not
//! make them shorter or clearer.

/// Trade abbreviations, whole words, and what they stand for. Both the table
/// and the input go through them, so `.300 Win Mag` and `.300 Winchester
/// Magnum` meet on one key.
pub(super) const ABBREVIATIONS: &[(&str, &str)] = &[
    ("win", "winchester"),
    ("rem", "remington"),
    ("mag", "magnum"),
    ("wby", "weatherby"),
    ("spl", "special"),
    ("spc", "special"),
    ("spec", "special"),
    ("gov", "government"),
    ("govt", "government"),
    ("fed", "federal"),
    ("blk", "blackout"),
    ("acp", "auto"),
    ("automatic", "auto"),
    ("lc", "long colt"),
    ("ne", "nitro express"),
    ("cm", "creedmoor"),
    ("sav", "savage"),
];

/// Words that add nothing to a calibre when they follow it.
const NOISE_WORDS: &[&str] = &[
    "ammo",
    "ammunition",
    "cartridge",
    "cartridges",
    "round",
    "rounds",
    "fmj",
    "jhp",
    "russian",
    "swedish",
    "argentine",
    "rimfire",
    "centerfire",
    "munição",
    "municao",
    "munition",
];

/// Shotgun gauges the table holds, as numbers.
pub(super) const GAUGES: &[u32] = &[4, 8, 10, 12, 14, 16, 20, 24, 28, 32];

/// Chamber lengths written after a gauge (`12/70`, `12/76`), in millimetres.
const CHAMBERS_MM: &[u32] = &[63, 65, 67, 70, 76, 89];

/// Bare numbers of three digits that lost the decimal point of a metric
/// calibre, and the calibre they are (`556` -> `5.56`).
const DECIMAL_FAMILIES: &[(&str, &str)] = &[
    ("556", "5.56"),
    ("545", "5.45"),
    ("762", "7.62"),
    ("765", "7.65"),
    ("763", "7.63"),
    ("635", "6.35"),
    ("792", "7.92"),
];

/// Replaces trade abbreviations, word by word, and collapses a word repeated
/// right after itself (`.380 ACP Auto` -> `.380 auto`).
pub(super) fn expand_words(folded: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for word in folded.split(' ') {
        let bare = word.trim_end_matches('.');
        let word = ABBREVIATIONS
            .iter()
            .find(|(short, _)| *short == bare)
            .map_or(word, |(_, long)| long);
        for part in word.split(' ') {
            if out.last() != Some(&part) {
                out.push(part);
            }
        }
    }
    out.join(" ")
}

/// The text without its trailing noise words, if it had any.
pub(super) fn without_noise(folded: &str) -> Option<String> {
    let words: Vec<&str> = folded.split(' ').collect();
    let keep = words
        .iter()
        .rposition(|w| !NOISE_WORDS.contains(&w.trim_end_matches('.')))?;
    (keep + 1 < words.len()).then(|| words[..=keep].join(" "))
}

/// `X (Y)`: the text outside the brackets and the text inside.
pub(super) fn dual(input: &str) -> Option<(String, String)> {
    let open = input.find('(')?;
    let close = open + input[open..].find(')')?;
    let outer = format!("{} {}", &input[..open], &input[close + 1..]);
    let inner = input[open + 1..close].to_string();
    (!outer.trim().is_empty() && !inner.trim().is_empty()).then_some((outer, inner))
}

/// A gauge in one of its notations: `12GA`, `12 ga.`, `12 Gauge 3"`,
/// `12Ga 2.75`, `12/70`, `12-76`, `12 bore`. Returns the gauge number.
pub(super) fn gauge(folded: &str) -> Option<u32> {
    gauge_notation(folded).filter(|n| GAUGES.contains(n))
}

/// The number of any value written in a gauge notation (see [`gauge`]),
/// whether or not the number is a gauge the table knows: a regional
/// convention (`conventions.rs`) may give it a meaning of its own.
pub(super) fn gauge_notation(folded: &str) -> Option<u32> {
    let s = folded.trim();
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    let number: u32 = digits.parse().ok()?;
    let rest = s[digits.len()..].trim_start();
    let (word, after) = ["gauge", "gage", "ga.", "ga", "bore", "g"]
        .iter()
        .find_map(|w| rest.strip_prefix(w).map(|r| (true, r)))
        .unwrap_or((false, rest));
    let after = after.trim_start_matches(['-', '/', ' ', 'x']).trim();
    if after.is_empty() {
        return word.then_some(number);
    }
    is_chamber(after).then_some(number)
}

/// A shell length: `70`, `76mm`, `2.75`, `2 3/4`, `3`, `3.5`, `3"`, `3''`.
fn is_chamber(s: &str) -> bool {
    let s = s
        .trim_end_matches(['"', '\'', ' '])
        .trim_end_matches("mm")
        .trim_end_matches("in")
        .trim();
    if let Ok(mm) = s.parse::<u32>() {
        return CHAMBERS_MM.contains(&mm) || (2..=4).contains(&mm);
    }
    matches!(
        s,
        "2.5" | "2.75" | "2 3/4" | "2-3/4" | "3.5" | "3 1/2" | "3-1/2" | "2 1/2"
    )
}

/// A number a spreadsheet wrote in scientific notation (`5.56E+2` -> `556`).
pub(super) fn scientific(s: &str) -> Option<String> {
    let (mantissa, exponent) = s.trim().split_once(['e', 'E'])?;
    let exponent: i32 = exponent.trim_start_matches('+').parse().ok()?;
    let mantissa = mantissa.replace(',', ".");
    let value: f64 = mantissa.parse().ok()?;
    if !(0..=4).contains(&exponent) {
        return None;
    }
    let n = value * 10f64.powi(exponent);
    (n.fract() == 0.0 && n > 0.0 && n < 100_000.0).then(|| format!("{}", n as u64))
}

/// A gauge and chamber (`12/70`) a spreadsheet turned into a date: the year
/// carries the chamber (1970), the day or month the gauge. Returns the gauges
/// it may have been (two when both the day and the month are gauges).
pub(super) fn date_damage(s: &str) -> Option<Vec<u32>> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    if parts.len() != 3 || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (year, a, b) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 {
        (parts[2], parts[0], parts[1])
    } else {
        return None;
    };
    let year: u32 = year.parse().ok()?;
    if !(1900..2100).contains(&year) || !CHAMBERS_MM.contains(&(year % 100)) {
        return None;
    }
    let mut gauges = Vec::new();
    for part in [a, b] {
        if let Ok(n) = part.parse::<u32>() {
            if GAUGES.contains(&n) && !gauges.contains(&n) {
                gauges.push(n);
            }
        }
    }
    (!gauges.is_empty()).then_some(gauges)
}

/// A bare metric calibre without its decimal point (`556`, `762nato`):
/// the key with the point put back, if the digits are one of the families.
pub(super) fn decimal_family(key: &str) -> Option<String> {
    let digits: String = key.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() != 3 {
        return None;
    }
    let (_, with_point) = DECIMAL_FAMILIES.iter().find(|(d, _)| *d == digits)?;
    Some(format!("{with_point}{}", &key[3..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_expand_whole_words_only() {
        assert_eq!(expand_words(".300 win mag"), ".300 winchester magnum");
        assert_eq!(expand_words("7mm rem. mag"), "7mm remington magnum");
        assert_eq!(expand_words(".380 acp auto"), ".380 auto");
        assert_eq!(expand_words(".45 lc"), ".45 long colt");
        assert_eq!(expand_words("winchester"), "winchester");
        assert_eq!(expand_words("magnum"), "magnum");
    }

    #[test]
    fn noise_is_trailing_words_only() {
        assert_eq!(without_noise("7.62x39 russian").as_deref(), Some("7.62x39"));
        assert_eq!(without_noise("9mm ammo rounds").as_deref(), Some("9mm"));
        assert_eq!(without_noise("7.62x39"), None);
        assert_eq!(without_noise("ammo"), None);
    }

    #[test]
    fn dual_designations_split_at_the_brackets() {
        assert_eq!(
            dual(".45 ACP (11,43 X 23)"),
            Some((".45 ACP  ".to_string(), "11,43 X 23".to_string()))
        );
        assert_eq!(dual("9x19"), None);
        assert_eq!(dual("(9x19)"), None);
        assert_eq!(dual("9x19 ("), None);
    }

    #[test]
    fn gauges_in_their_notations() {
        for (s, n) in [
            ("12ga", 12),
            ("12 ga.", 12),
            ("12 gauge 3", 12),
            ("12ga 3.5", 12),
            ("12ga-3''", 12),
            ("12ga 2.75", 12),
            ("12/70", 12),
            ("16/70", 16),
            ("20/76", 20),
            ("12-76", 12),
            ("12 bore", 12),
            ("20ga 3", 20),
            ("28 ga", 28),
        ] {
            assert_eq!(gauge(s), Some(n), "{s}");
        }
        for s in [
            "12",
            "9mm",
            "13 ga",
            "12/99",
            "12x45",
            "12 gauge banana",
            "",
            "ga",
        ] {
            assert_eq!(gauge(s), None, "{s}");
        }
    }

    #[test]
    fn spreadsheet_damage() {
        assert_eq!(scientific("5.56E+2").as_deref(), Some("556"));
        assert_eq!(scientific("7,62E+02").as_deref(), Some("762"));
        assert_eq!(scientific("1E+9"), None);
        assert_eq!(scientific("9x19"), None);
        assert_eq!(date_damage("01/12/1970"), Some(vec![12]));
        assert_eq!(date_damage("12/01/1970"), Some(vec![12]));
        assert_eq!(date_damage("1970-12-01"), Some(vec![12]));
        assert_eq!(date_damage("01.16.1970"), Some(vec![16]));
        assert_eq!(date_damage("12/10/1976"), Some(vec![12, 10]));
        assert_eq!(date_damage("12/07/1970"), Some(vec![12]));
        assert_eq!(date_damage("1970-07-12"), Some(vec![12]));
        assert_eq!(date_damage("2024-03-07"), None);
        assert_eq!(date_damage("03/07/1970"), None);
        assert_eq!(date_damage("01/12/1971"), None);
    }

    #[test]
    fn decimal_points_come_back_in_known_families_only() {
        assert_eq!(decimal_family("556").as_deref(), Some("5.56"));
        assert_eq!(decimal_family("762nato").as_deref(), Some("7.62nato"));
        assert_eq!(decimal_family("357"), None);
        assert_eq!(decimal_family("5560"), None);
    }
}
