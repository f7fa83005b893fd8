//! Partial serials: a serial read with unknown positions ("31?407", "****7",
//! "A12__5", "12…89") is kept as a pattern, never as a key: dropping the unknown
//! positions would make a wrong key ("31407") that can match the wrong gun.
//!
//! The pattern is written in key form (uppercase letters and digits, as
//! [`serial_key`](super::serial_key)) with
//! - `?` for each unknown position: every `?`, `*`, `_` or `#` in the recorded
//!   text is one position ("****7" -> "????7");
//! - `*` for a run of unknown length: an ellipsis "…" or three or more dots
//!   ("12...89" -> "12*89").
//!
//! One exception: a single `#` before the first known character is the number
//! sign ("#12345" is serial 12345, not an unknown first position).

use super::keys::serial_key;

/// One unknown position in a pattern.
pub const ONE: char = '?';
/// A run of unknown length in a pattern.
pub const RUN: char = '*';

/// The fewest known characters a pattern needs to select anything in the hub:
/// "?1?" would match thousands of guns.
pub const MIN_KNOWN: usize = 4;

/// Whether the text marks unknown positions at all.
pub fn has_unknowns(text: &str) -> bool {
    let trimmed = number_sign_stripped(text);
    trimmed.contains(['?', '*', '_', '#', '…']) || trimmed.contains("...")
}

/// "#12345" -> "12345": a leading number sign is not an unknown position.
fn number_sign_stripped(text: &str) -> &str {
    let trimmed = text.trim_start();
    match trimmed.strip_prefix('#') {
        Some(rest)
            if rest
                .trim_start()
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric) =>
        {
            rest
        }
        _ => trimmed,
    }
}

/// The pattern of a text with unknown positions, `None` when it has none.
pub fn parse(text: &str) -> Option<String> {
    if !has_unknowns(text) {
        return None;
    }
    let text = number_sign_stripped(text).replace('…', "...");
    let mut out = String::with_capacity(text.len());
    let mut dots = 0usize;
    fn push_run(out: &mut String) {
        if !out.ends_with(RUN) {
            out.push(RUN);
        }
    }
    for c in text.chars() {
        if c == '.' {
            dots += 1;
            continue;
        }
        if dots >= 3 {
            push_run(&mut out);
        }
        dots = 0;
        match c {
            '?' | '*' | '_' | '#' => out.push(ONE),
            _ => out.push_str(&serial_key(c.encode_utf8(&mut [0; 4]))),
        }
    }
    if dots >= 3 {
        push_run(&mut out);
    }
    Some(out)
}

/// The known characters of a pattern.
pub fn known(pattern: &str) -> usize {
    pattern.chars().filter(|c| *c != ONE && *c != RUN).count()
}

/// The known characters before the first unknown one.
pub fn prefix(pattern: &str) -> String {
    pattern
        .chars()
        .take_while(|c| *c != ONE && *c != RUN)
        .collect()
}

/// The known characters after the last unknown one.
pub fn suffix(pattern: &str) -> String {
    let mut rev: Vec<char> = pattern
        .chars()
        .rev()
        .take_while(|c| *c != ONE && *c != RUN)
        .collect();
    rev.reverse();
    rev.into_iter().collect()
}

/// The length of every key the pattern matches, `None` when it has a run of
/// unknown length.
pub fn fixed_len(pattern: &str) -> Option<usize> {
    (!pattern.contains(RUN)).then(|| pattern.chars().count())
}

/// The shortest key the pattern can match.
pub fn min_len(pattern: &str) -> usize {
    pattern.chars().filter(|c| *c != RUN).count()
}

/// Whether `key` agrees with `pattern` on every known position (`?` takes one
/// character, `*` any run, possibly empty).
pub fn matches(pattern: &str, key: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let k: Vec<char> = key.chars().collect();
    // Iterative wildcard match with one backtrack point (the last `*`), linear
    // in practice; hand-written as no crate matches on `?`/`*` over chars
    // without compiling a glob or regex per key.
    let (mut pi, mut ki) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ki < k.len() {
        match (p.get(pi), k.get(ki)) {
            (Some(&RUN), _) => {
                star = Some((pi, ki));
                pi += 1;
            }
            (Some(&pc), Some(&kc)) if pc == ONE || pc == kc => {
                pi += 1;
                ki += 1;
            }
            _ => match star {
                Some((sp, sk)) => {
                    pi = sp + 1;
                    ki = sk + 1;
                    star = Some((sp, sk + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == RUN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unknown_positions_become_question_marks() {
        assert_eq!(parse("31?407").as_deref(), Some("31?407"));
        assert_eq!(parse("****7").as_deref(), Some("????7"));
        assert_eq!(parse("a12__5").as_deref(), Some("A12??5"));
        assert_eq!(parse("BER-##-1234").as_deref(), Some("BER??1234"));
        assert_eq!(parse("12…89").as_deref(), Some("12*89"));
        assert_eq!(parse("12.....89").as_deref(), Some("12*89"));
        assert_eq!(parse("C-12345"), None);
        assert_eq!(parse("12.3"), None);
        // A leading number sign is not an unknown position.
        assert_eq!(parse("#12345"), None);
        assert_eq!(parse("##2345").as_deref(), Some("??2345"));
    }

    #[test]
    fn parts_of_a_pattern() {
        assert_eq!(known("????7"), 1);
        assert_eq!(prefix("31?407"), "31");
        assert_eq!(suffix("31?407"), "407");
        assert_eq!(prefix("?1234"), "");
        assert_eq!(fixed_len("31?407"), Some(6));
        assert_eq!(fixed_len("12*89"), None);
        assert_eq!(min_len("12*89"), 4);
    }

    #[test]
    fn matching() {
        assert!(matches("31?407", "315407"));
        assert!(!matches("31?407", "31407"));
        assert!(!matches("31?407", "3154071"));
        assert!(matches("12*89", "1289"));
        assert!(matches("12*89", "12345689"));
        assert!(!matches("12*89", "12345688"));
        assert!(matches("*89", "1289"));
        assert!(matches("1*", "1"));
    }

    proptest! {
        /// A fixed-length pattern matches exactly the keys of its length that
        /// agree on its known positions.
        #[test]
        fn pattern_matches_exactly_the_keys_that_agree(
            key in "[A-C0-3]{1,10}",
            mask in proptest::collection::vec(any::<bool>(), 10),
            other in "[A-C0-3]{1,10}",
        ) {
            let pattern: String = key
                .chars()
                .zip(mask.iter())
                .map(|(c, unknown)| if *unknown { ONE } else { c })
                .collect();
            prop_assert!(matches(&pattern, &key));
            let agrees = other.chars().count() == pattern.chars().count()
                && pattern.chars().zip(other.chars()).all(|(p, o)| p == ONE || p == o);
            prop_assert_eq!(matches(&pattern, &other), agrees);
        }

        /// A run matches whatever stands between its known ends.
        #[test]
        fn run_matches_any_middle(head in "[A-C0-3]{0,4}", middle in "[A-C0-3]{0,6}", tail in "[A-C0-3]{0,4}") {
            let pattern = format!("{head}*{tail}");
            let key = format!("{head}{middle}{tail}");
            prop_assert!(matches(&pattern, &key));
        }
    }
}
