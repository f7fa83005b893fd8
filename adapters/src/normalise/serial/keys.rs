//! Serial-number matching keys. The serial number itself is never altered:
//! these keys are derived for matching only (domain.md sections 3 and 5).

/// Uppercase letters and digits only ("BER 77 1234 Z" -> "BER771234Z",
/// "c-123456" -> "C123456"). Unicode letters are uppercased; punctuation, spaces
/// and symbols dropped. Never panics.
///
/// Precisely: every alphabetic character is kept and uppercased (Unicode
/// rules, so "ß" becomes "SS"; letters are not transliterated, a Cyrillic
/// "В" stays "В"); ASCII digits are kept; any other Unicode digit that
/// transliterates to a single ASCII digit is written as that digit (Arabic-Indic
/// "٣" and fullwidth "３" -> "3"); everything else (spaces, punctuation,
/// symbols, combining marks, fractions such as "½") is dropped.
pub fn serial_key(serial: &str) -> String {
    let mut key = String::with_capacity(serial.len());
    for c in serial.chars() {
        if c.is_ascii_digit() {
            key.push(c);
        } else if c.is_alphabetic() {
            key.extend(c.to_uppercase());
        } else if c.is_numeric() {
            if let Some(d) = deunicode::deunicode_char(c) {
                let mut bytes = d.bytes();
                if let (Some(b), None) = (bytes.next(), bytes.next()) {
                    if b.is_ascii_digit() {
                        key.push(char::from(b));
                    }
                }
            }
        }
    }
    key
}

/// NCIC-tolerant key for partial matching (domain.md section 5: NCIC serial
/// matching ignores letters embedded between digits and reads the letter O as
/// zero). Two serials whose tolerant keys are equal are a "partial" match
/// candidate; equal [`serial_key`]s are needed for an "exact" one.
///
/// Computed in three steps, in this order:
/// 1. `serial_key(serial)`;
/// 2. every letter `O` (Latin capital O, including one from a lowercase `o`)
///    becomes the digit `0`;
/// 3. every maximal run of letters that has a digit immediately before it and a
///    digit immediately after it (in the key of step 2) is removed.
///
/// Letters at the start or end, or next to only one digit, are kept. Because
/// step 2 comes first, an `O` between digits counts as the digit zero, not as a
/// letter to remove: "1O2" -> "102". Examples: "12A34" -> "1234",
/// "12AB34" -> "1234", "A12B" -> "A12B", "BER 77 1234 Z" -> "BER771234Z",
/// "O123" -> "0123", "12-A-34" -> "1234". Never panics.
#[allow(clippy::indexing_slicing)] // indexes checked against chars.len() in each loop condition
pub fn tolerant_serial_key(serial: &str) -> String {
    let chars: Vec<char> = serial_key(serial)
        .chars()
        .map(|c| if c == 'O' { '0' } else { c })
        .collect();
    let mut key = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            key.push(chars[i]);
            i += 1;
            continue;
        }
        // A run of letters from i to end (exclusive).
        let mut end = i;
        while end < chars.len() && !chars[end].is_ascii_digit() {
            end += 1;
        }
        let digit_before = i > 0 && chars[i - 1].is_ascii_digit();
        let digit_after = end < chars.len();
        if !(digit_before && digit_after) {
            key.extend(&chars[i..end]);
        }
        i = end;
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_key_keeps_uppercase_letters_and_digits() {
        assert_eq!(serial_key("BER 77 1234 Z"), "BER771234Z");
        assert_eq!(serial_key("c-123456"), "C123456");
        assert_eq!(serial_key("C-123456"), "C123456");
        assert_eq!(serial_key("A 004512"), "A004512");
        assert_eq!(serial_key("D 12 345"), "D12345");
        assert_eq!(serial_key("Z92-00981"), "Z9200981");
        assert_eq!(serial_key("76-01234"), "7601234");
        assert_eq!(serial_key("GLK-AB123"), "GLKAB123");
        assert_eq!(serial_key("K 445 112"), "K445112");
        assert_eq!(serial_key("56-0098123"), "560098123");
        assert_eq!(serial_key("  tau/12.345#  "), "TAU12345");
    }

    #[test]
    fn serial_key_unicode() {
        assert_eq!(serial_key("šđč 1"), "ŠĐČ1");
        assert_eq!(serial_key("straße"), "STRASSE");
        assert_eq!(serial_key("вк 1234"), "ВК1234");
        assert_eq!(serial_key("١٢٣"), "123");
        assert_eq!(serial_key("１２Ａ"), "12Ａ");
        assert_eq!(serial_key("½ 1"), "1");
        assert_eq!(serial_key("A\u{301}1"), "A1");
        assert_eq!(serial_key("€$%&*()[]{}"), "");
    }

    #[test]
    fn serial_key_empty_and_odd_input() {
        assert_eq!(serial_key(""), "");
        assert_eq!(serial_key("   "), "");
        assert_eq!(serial_key("\u{0}\u{FFFF}🙂"), "");
        let long = "A-1 ".repeat(10_000);
        assert_eq!(serial_key(&long).len(), 20_000);
    }

    #[test]
    fn tolerant_key_ignores_letters_between_digits() {
        assert_eq!(tolerant_serial_key("12A34"), "1234");
        assert_eq!(tolerant_serial_key("12AB34"), "1234");
        assert_eq!(tolerant_serial_key("12-A-34"), "1234");
        assert_eq!(tolerant_serial_key("A12B"), "A12B");
        assert_eq!(tolerant_serial_key("AB12"), "AB12");
        assert_eq!(tolerant_serial_key("12AB"), "12AB");
        assert_eq!(tolerant_serial_key("BER 77 1234 Z"), "BER771234Z");
        assert_eq!(tolerant_serial_key("1A2B3C"), "123C");
        assert_eq!(tolerant_serial_key("ABC"), "ABC");
    }

    #[test]
    fn tolerant_key_reads_o_as_zero_first() {
        assert_eq!(tolerant_serial_key("O123"), "0123");
        assert_eq!(tolerant_serial_key("o123"), "0123");
        assert_eq!(tolerant_serial_key("1O2"), "102");
        assert_eq!(tolerant_serial_key("12OA34"), "120A34".replace('A', ""));
        assert_eq!(tolerant_serial_key("BOX"), "B0X");
        assert_eq!(
            tolerant_serial_key("A0412345"),
            tolerant_serial_key("AO412345")
        );
    }

    #[test]
    fn tolerant_key_matches_what_ncic_would() {
        assert_eq!(
            tolerant_serial_key("123X456"),
            tolerant_serial_key("123456")
        );
        assert_eq!(tolerant_serial_key("1O0"), tolerant_serial_key("100"));
        assert_ne!(tolerant_serial_key("X123"), tolerant_serial_key("123"));
    }

    #[test]
    fn tolerant_key_empty_and_odd_input() {
        assert_eq!(tolerant_serial_key(""), "");
        assert_eq!(tolerant_serial_key("---"), "");
        assert_eq!(tolerant_serial_key("1Ž2"), "12");
        assert_eq!(tolerant_serial_key("1Ö2"), "12");
        let _ = tolerant_serial_key("\u{0}🙂O");
    }
}
