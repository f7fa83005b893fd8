//! Dates: ISO 8601 calendar dates, full or partial (year, year-month), and
//! declared native formats such as "DD.MM.YYYY" (domain.md section 4: a mapping
//! must state its date format; ambiguous input is an error, never a guess).
//!
//! Dates use the proleptic Gregorian calendar; years are 1000..=9999.

use std::fmt;
use std::str::FromStr;

/// A calendar date that may lack its day, or its month and day.
///
/// Ordered by year, then month, then day, a missing part before any present
/// one ("2024" < "2024-01" < "2024-01-01").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartialDate {
    pub year: i32,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

/// Why a date or a date format was rejected. Messages quote the offending
/// input (cut to 64 characters) and say what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The input is empty or blank.
    #[error("empty date")]
    Empty,
    /// `parse_iso` got something that is not one of its four shapes.
    #[error("{input:?} is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD); declare a date format for this field")]
    NotIso { input: String },
    /// The input does not have the shape of the declared format.
    #[error("{input:?} does not match the declared date format {format:?}: {reason}")]
    Mismatch {
        input: String,
        format: String,
        reason: String,
    },
    /// The input has the right shape but names no real day ("31.02.2025").
    #[error("impossible date {input:?}: {reason}")]
    Impossible { input: String, reason: String },
    /// The format string itself is not a valid date format.
    #[error("unknown date format {format:?}: {reason}")]
    UnknownFormat { format: String, reason: String },
    /// `format_with` was asked to write a part the date does not have.
    #[error("cannot write {date} in the date format {format:?}: the date has no {missing}")]
    MissingPart {
        date: String,
        format: String,
        missing: &'static str,
    },
}

impl PartialDate {
    /// A validated date: year 1000..=9999, month 1..=12, day valid for the
    /// month (leap years included), no day without a month.
    pub fn new(year: i32, month: Option<u8>, day: Option<u8>) -> Result<Self, DateError> {
        let date = PartialDate { year, month, day };
        date.validate().map_err(|reason| DateError::Impossible {
            input: date.to_iso(),
            reason,
        })?;
        Ok(date)
    }

    /// "2024", "2024-03" or "2024-03-07" (a day without a month is not
    /// written).
    pub fn to_iso(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{:04}-{m:02}-{d:02}", self.year),
            (Some(m), None) => format!("{:04}-{m:02}", self.year),
            (None, _) => format!("{:04}", self.year),
        }
    }

    /// Checks the parts; the error is the reason.
    #[allow(clippy::indexing_slicing)] // m is 1..=12 here: days_in_month returned Some
    fn validate(&self) -> Result<(), String> {
        if !(1000..=9999).contains(&self.year) {
            return Err(format!("year {} is outside 1000..9999", self.year));
        }
        match (self.month, self.day) {
            (None, None) => Ok(()),
            (None, Some(_)) => Err("a day without a month".to_owned()),
            (Some(m), day) => {
                let Some(days) = days_in_month(self.year, m) else {
                    return Err(format!("there is no month {m}"));
                };
                match day {
                    Some(0) => Err("there is no day 0".to_owned()),
                    Some(d) if d > days => Err(format!(
                        "{} {} has {days} days",
                        MONTH_NAMES[usize::from(m) - 1],
                        self.year
                    )),
                    _ => Ok(()),
                }
            }
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

impl FromStr for PartialDate {
    type Err = DateError;

    /// Same as [`parse_iso`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_iso(s)
    }
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Number of days in a month of the proleptic Gregorian calendar; `None` for a
/// month outside 1..=12.
pub fn days_in_month(year: i32, month: u8) -> Option<u8> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
        4 | 6 | 9 | 11 => Some(30),
        2 if leap => Some(29),
        2 => Some(28),
        _ => None,
    }
}

/// ISO 8601 calendar date, full or partial: YYYY, YYYY-MM, YYYY-MM-DD (also
/// basic YYYYMMDD). Years 1000..=9999. Leap years correct. Anything else is an
/// error (no guessing).
///
/// Surrounding whitespace is ignored. Month and day must have two digits
/// ("2024-3" is an error), and the basic format has no year-month form (ISO
/// 8601 forbids YYYYMM). Times and time zones are not accepted.
#[allow(clippy::indexing_slicing)] // ASCII scanning, each index checked against the length just before; fuzzed and property-tested (long_and_odd_input_never_panics)
pub fn parse_iso(input: &str) -> Result<PartialDate, DateError> {
    let t = input.trim();
    if t.is_empty() {
        return Err(DateError::Empty);
    }
    let b = t.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    let (year, month, day) = match b.len() {
        4 if digits(0..4) => (&t[0..4], None, None),
        7 if digits(0..4) && b[4] == b'-' && digits(5..7) => (&t[0..4], Some(&t[5..7]), None),
        10 if digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10) => {
            (&t[0..4], Some(&t[5..7]), Some(&t[8..10]))
        }
        8 if digits(0..8) => (&t[0..4], Some(&t[4..6]), Some(&t[6..8])),
        _ => return Err(DateError::NotIso { input: shown(t) }),
    };
    build(t, year, month, day)
}

/// A declared format made of tokens DD, D, MM, M, YYYY and literal
/// separators, e.g. "DD.MM.YYYY", "MM/DD/YYYY", "YYYYMMDD", "DD/MM/YYYY",
/// "YYYY-MM", "MM.YYYY". Also the special format "iso" = [`parse_iso`].
/// Validates the day exists.
///
/// Tokens are case-insensitive ("dd.mm.yyyy" works). DD and MM take exactly
/// two digits, D and M one or two, YYYY exactly four. Two-digit years (YY) are
/// ambiguous and rejected, as are month names (MMM). Every other character of
/// the format must appear as is in the input. Surrounding whitespace of the
/// input is ignored.
#[allow(clippy::indexing_slicing)] // ASCII scanning, each index checked against the length just before; fuzzed and property-tested (long_and_odd_input_never_panics)
pub fn parse_with_format(input: &str, format: &str) -> Result<PartialDate, DateError> {
    let tokens = match parse_format(format)? {
        Format::Iso => return parse_iso(input),
        Format::Tokens(tokens) => tokens,
    };
    let t = input.trim();
    if t.is_empty() {
        return Err(DateError::Empty);
    }
    let mismatch = |reason: String| DateError::Mismatch {
        input: shown(t),
        format: shown(format),
        reason,
    };
    let chars: Vec<char> = t.chars().collect();
    let mut pos = 0;
    let (mut year, mut month, mut day) = (None, None, None);
    for token in &tokens {
        match token {
            Token::Literal(c) => match chars.get(pos) {
                Some(got) if got == c => pos += 1,
                Some(got) => {
                    return Err(mismatch(format!(
                        "expected {c:?} at position {}, found {got:?}",
                        pos + 1
                    )))
                }
                None => {
                    return Err(mismatch(format!(
                        "expected {c:?} after the end of the input"
                    )))
                }
            },
            Token::Number { part, min, max } => {
                let start = pos;
                while pos < chars.len() && pos - start < *max && chars[pos].is_ascii_digit() {
                    pos += 1;
                }
                if pos - start < *min {
                    let wanted = if min == max {
                        format!("{min} digits")
                    } else {
                        format!("{min} or {max} digits")
                    };
                    return Err(mismatch(format!(
                        "expected {wanted} for {} at position {}",
                        part.token_name(*min, *max),
                        start + 1
                    )));
                }
                let text: String = chars[start..pos].iter().collect();
                match part {
                    Part::Year => year = Some(text),
                    Part::Month => month = Some(text),
                    Part::Day => day = Some(text),
                }
            }
        }
    }
    if pos < chars.len() {
        let rest: String = chars[pos..].iter().collect();
        return Err(mismatch(format!(
            "unexpected {:?} after the date",
            shown(&rest)
        )));
    }
    let Some(year) = year else {
        // parse_format guarantees a year token.
        return Err(mismatch("the format has no year".to_owned()));
    };
    build(t, &year, month.as_deref(), day.as_deref())
}

/// Checks that a format string is valid (used by the mapping checker).
pub fn check_format(format: &str) -> Result<(), DateError> {
    parse_format(format).map(|_| ())
}

/// Writes a PartialDate in a declared format (for encoding native formats);
/// error if the format needs a day/month the date lacks.
///
/// An invalid date (month 13, February 30, year outside 1000..=9999, a day
/// without a month) is an [`DateError::Impossible`] error. A format with less
/// precision than the date drops the extra parts ("MM.YYYY" writes 2024-03-07
/// as "03.2024"). DD/MM/YYYY are zero-padded, D/M are not.
pub fn format_with(date: &PartialDate, format: &str) -> Result<String, DateError> {
    let parsed = parse_format(format)?;
    date.validate().map_err(|reason| DateError::Impossible {
        input: date.to_iso(),
        reason,
    })?;
    let tokens = match parsed {
        Format::Iso => return Ok(date.to_iso()),
        Format::Tokens(tokens) => tokens,
    };
    let missing = |missing| DateError::MissingPart {
        date: date.to_iso(),
        format: shown(format),
        missing,
    };
    let mut out = String::new();
    for token in &tokens {
        match token {
            Token::Literal(c) => out.push(*c),
            Token::Number { part, min, .. } => {
                let value = match part {
                    Part::Year => Some(date.year),
                    Part::Month => date.month.map(i32::from),
                    Part::Day => date.day.map(i32::from),
                };
                let Some(value) = value else {
                    return Err(missing(match part {
                        Part::Day => "day",
                        _ => "month",
                    }));
                };
                out.push_str(&format!("{value:0width$}", width = *min));
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Year,
    Month,
    Day,
}

impl Part {
    /// The format token that reads this part with these widths.
    fn token_name(self, min: usize, max: usize) -> &'static str {
        match (self, min == max) {
            (Part::Year, _) => "YYYY",
            (Part::Month, true) => "MM",
            (Part::Month, false) => "M",
            (Part::Day, true) => "DD",
            (Part::Day, false) => "D",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    Number { part: Part, min: usize, max: usize },
}

enum Format {
    Iso,
    Tokens(Vec<Token>),
}

#[allow(clippy::indexing_slicing)] // ASCII scanning, each index checked against the length just before; fuzzed and property-tested (long_and_odd_input_never_panics)
fn parse_format(format: &str) -> Result<Format, DateError> {
    let err = |reason: String| DateError::UnknownFormat {
        format: shown(format),
        reason,
    };
    if format.trim().eq_ignore_ascii_case("iso") {
        return Ok(Format::Iso);
    }
    if format.trim().is_empty() {
        return Err(err("the format is empty".to_owned()));
    }
    let chars: Vec<char> = format.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            return Err(err(format!(
                "unexpected digit {c:?}; a format is made of DD, D, MM, M, YYYY and separators"
            )));
        }
        if !c.is_alphabetic() {
            tokens.push(Token::Literal(c));
            i += 1;
            continue;
        }
        let upper = c.to_ascii_uppercase();
        let mut run = 1;
        while i + run < chars.len() && chars[i + run].to_ascii_uppercase() == upper {
            run += 1;
        }
        let token = match (upper, run) {
            ('Y', 4) => Token::Number {
                part: Part::Year,
                min: 4,
                max: 4,
            },
            ('Y', 2) => {
                return Err(err(
                    "two-digit years (YY) are ambiguous; use YYYY".to_owned()
                ))
            }
            ('Y', n) => return Err(err(format!("{n} Y's: the year is written YYYY"))),
            ('M', 1 | 2) | ('D', 1 | 2) => Token::Number {
                part: if upper == 'M' { Part::Month } else { Part::Day },
                min: run,
                max: 2,
            },
            ('M', _) => {
                return Err(err(
                    "month names (MMM) are not supported; use MM or M".to_owned()
                ))
            }
            ('D', _) => return Err(err("the day is written DD or D".to_owned())),
            _ => {
                return Err(err(format!(
                    "unexpected letter {c:?}; a format is made of DD, D, MM, M, YYYY and separators"
                )))
            }
        };
        tokens.push(token);
        i += run;
    }

    let count = |p: Part| {
        tokens
            .iter()
            .filter(|t| matches!(t, Token::Number { part, .. } if *part == p))
            .count()
    };
    match (count(Part::Year), count(Part::Month), count(Part::Day)) {
        (0, _, _) => return Err(err("the format has no year (YYYY)".to_owned())),
        (y, m, d) if y > 1 || m > 1 || d > 1 => {
            return Err(err("a part appears more than once".to_owned()))
        }
        (_, 0, 1) => return Err(err("a day without a month".to_owned())),
        _ => {}
    }
    for pair in tokens.windows(2) {
        if let [Token::Number { min: 1, part, .. }, Token::Number { .. }] = pair {
            let name = if *part == Part::Day { "D" } else { "M" };
            return Err(err(format!(
                "{name} has one or two digits and is followed by another number without a separator, which is ambiguous"
            )));
        }
    }
    Ok(Format::Tokens(tokens))
}

/// Builds and validates a date from its digit strings; `input` is quoted in
/// errors.
fn build(
    input: &str,
    year: &str,
    month: Option<&str>,
    day: Option<&str>,
) -> Result<PartialDate, DateError> {
    let impossible = |reason: String| DateError::Impossible {
        input: shown(input),
        reason,
    };
    // The callers pass at most four ASCII digits per part.
    let number = |s: &str| {
        s.parse::<u16>()
            .map_err(|_| impossible(format!("{s:?} is not a number")))
    };
    let year = i32::from(number(year)?);
    let small = |s: &str| -> Result<u8, DateError> {
        u8::try_from(number(s)?).map_err(|_| impossible(format!("{s:?} is out of range")))
    };
    let month = month.map(small).transpose()?;
    let day = day.map(small).transpose()?;
    let date = PartialDate { year, month, day };
    date.validate().map_err(impossible)?;
    Ok(date)
}

/// The input as quoted in messages: at most 64 characters.
fn shown(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(year: i32, month: Option<u8>, day: Option<u8>) -> PartialDate {
        PartialDate { year, month, day }
    }

    #[test]
    fn iso_full_and_partial() {
        assert_eq!(parse_iso("2024-03-07"), Ok(d(2024, Some(3), Some(7))));
        assert_eq!(parse_iso("20240307"), Ok(d(2024, Some(3), Some(7))));
        assert_eq!(parse_iso("2023-10"), Ok(d(2023, Some(10), None)));
        assert_eq!(parse_iso("2024"), Ok(d(2024, None, None)));
        assert_eq!(parse_iso(" 2024-03-07 "), Ok(d(2024, Some(3), Some(7))));
        assert_eq!(parse_iso("2024-02-29"), Ok(d(2024, Some(2), Some(29))));
        assert_eq!(parse_iso("2000-02-29"), Ok(d(2000, Some(2), Some(29))));
        assert_eq!(parse_iso("1000-01-01"), Ok(d(1000, Some(1), Some(1))));
        assert_eq!(parse_iso("9999-12-31"), Ok(d(9999, Some(12), Some(31))));
        assert_eq!("2024-03".parse::<PartialDate>(), Ok(d(2024, Some(3), None)));
    }

    #[test]
    fn iso_rejects_impossible_dates() {
        for input in [
            "2024-13",
            "2024-00",
            "2024-13-01",
            "2025-02-29",
            "1900-02-29",
            "2024-04-31",
            "2024-01-00",
            "2024-01-32",
            "0999",
            "0000-01-01",
            "20250229",
        ] {
            assert!(
                matches!(parse_iso(input), Err(DateError::Impossible { .. })),
                "{input}"
            );
        }
        assert_eq!(
            parse_iso("2025-02-29").map_err(|e| e.to_string()),
            Err("impossible date \"2025-02-29\": February 2025 has 28 days".to_owned())
        );
        assert_eq!(
            parse_iso("2024-13").map_err(|e| e.to_string()),
            Err("impossible date \"2024-13\": there is no month 13".to_owned())
        );
    }

    #[test]
    fn iso_rejects_other_shapes() {
        for input in [
            "2024-3",
            "2024-3-7",
            "2024-03-7",
            "07/03/2024",
            "07.03.2024",
            "03/07/2024",
            "202403",
            "24-03-07",
            "2024/03/07",
            "2024-03-07T10:00:00Z",
            "+2024",
            "２０２４",
            "2024-03-07x",
            "abcd",
            "2024-0a",
        ] {
            assert!(
                matches!(parse_iso(input), Err(DateError::NotIso { .. })),
                "{input}"
            );
        }
        assert_eq!(parse_iso("   "), Err(DateError::Empty));
        assert_eq!(
            parse_iso("07/03/2024").map_err(|e| e.to_string()),
            Err("\"07/03/2024\" is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD); declare a date format for this field".to_owned())
        );
    }

    #[test]
    fn declared_formats() {
        assert_eq!(
            parse_with_format("07.03.2024", "DD.MM.YYYY"),
            Ok(d(2024, Some(3), Some(7)))
        );
        assert_eq!(
            parse_with_format("07/03/2024", "DD/MM/YYYY"),
            Ok(d(2024, Some(3), Some(7)))
        );
        assert_eq!(
            parse_with_format("03/07/2024", "MM/DD/YYYY"),
            Ok(d(2024, Some(3), Some(7)))
        );
        assert_eq!(
            parse_with_format("20240307", "YYYYMMDD"),
            Ok(d(2024, Some(3), Some(7)))
        );
        assert_eq!(
            parse_with_format("2024-03", "YYYY-MM"),
            Ok(d(2024, Some(3), None))
        );
        assert_eq!(
            parse_with_format("03.2024", "MM.YYYY"),
            Ok(d(2024, Some(3), None))
        );
        assert_eq!(
            parse_with_format("7.3.2024", "D.M.YYYY"),
            Ok(d(2024, Some(3), Some(7)))
        );
        assert_eq!(
            parse_with_format("07.03.2024", "D.M.YYYY"),
            Ok(d(2024, Some(3), Some(7)))
        );
        assert_eq!(
            parse_with_format("07.03.2024", "dd.mm.yyyy"),
            Ok(d(2024, Some(3), Some(7)))
        );
        assert_eq!(parse_with_format("2024", "YYYY"), Ok(d(2024, None, None)));
        assert_eq!(
            parse_with_format("2024-03-07", "iso"),
            Ok(d(2024, Some(3), Some(7)))
        );
        assert_eq!(
            parse_with_format("2023-10", "ISO"),
            Ok(d(2023, Some(10), None))
        );
        assert_eq!(
            parse_with_format(" 07.03.2024\r", "DD.MM.YYYY"),
            Ok(d(2024, Some(3), Some(7)))
        );
        assert_eq!(
            parse_with_format("07 mars 2024", "DD mars YYYY"),
            Err(DateError::UnknownFormat {
                format: "DD mars YYYY".to_owned(),
                reason:
                    "unexpected letter 'a'; a format is made of DD, D, MM, M, YYYY and separators"
                        .to_owned(),
            })
        );
        assert_eq!(
            parse_with_format("07. 03. 2024.", "DD. MM. YYYY."),
            Ok(d(2024, Some(3), Some(7)))
        );
    }

    #[test]
    fn sample_file_dates() {
        for (input, expected) in [
            ("07.03.2024", d(2024, Some(3), Some(7))),
            ("15.11.2023", d(2023, Some(11), Some(15))),
            ("28.02.2022", d(2022, Some(2), Some(28))),
            ("29.02.2024", d(2024, Some(2), Some(29))),
        ] {
            assert_eq!(
                parse_with_format(input, "DD.MM.YYYY"),
                Ok(expected),
                "{input}"
            );
        }
        let err = parse_with_format("31.02.2025", "DD.MM.YYYY");
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("impossible date \"31.02.2025\": February 2025 has 28 days".to_owned())
        );
        assert!(matches!(
            parse_with_format("29.02.2023", "DD.MM.YYYY"),
            Err(DateError::Impossible { .. })
        ));
        assert!(matches!(
            parse_with_format("2024-13", "iso"),
            Err(DateError::Impossible { .. })
        ));
        assert!(matches!(
            parse_with_format("2024-3", "iso"),
            Err(DateError::NotIso { .. })
        ));
    }

    #[test]
    fn input_not_matching_the_format() {
        let cases = [
            ("2024-03-07", "DD.MM.YYYY"),
            ("7.3.2024", "DD.MM.YYYY"),
            ("07.03.24", "DD.MM.YYYY"),
            ("07.03.2024 10:00", "DD.MM.YYYY"),
            ("07.03", "DD.MM.YYYY"),
            ("07/03/2024", "DD.MM.YYYY"),
            ("123.03.2024", "D.M.YYYY"),
            ("٠٧.٠٣.٢٠٢٤", "DD.MM.YYYY"),
        ];
        for (input, format) in cases {
            assert!(
                matches!(
                    parse_with_format(input, format),
                    Err(DateError::Mismatch { .. })
                ),
                "{input} / {format}"
            );
        }
        assert_eq!(
            parse_with_format("2024-03-07", "DD.MM.YYYY").map_err(|e| e.to_string()),
            Err("\"2024-03-07\" does not match the declared date format \"DD.MM.YYYY\": expected '.' at position 3, found '2'".to_owned())
        );
        assert_eq!(
            parse_with_format("7.3.2024", "DD.MM.YYYY").map_err(|e| e.to_string()),
            Err("\"7.3.2024\" does not match the declared date format \"DD.MM.YYYY\": expected 2 digits for DD at position 1".to_owned())
        );
        assert_eq!(parse_with_format("", "DD.MM.YYYY"), Err(DateError::Empty));
    }

    #[test]
    fn format_checks() {
        for ok in [
            "DD.MM.YYYY",
            "MM/DD/YYYY",
            "YYYYMMDD",
            "DD/MM/YYYY",
            "YYYY-MM",
            "MM.YYYY",
            "YYYY",
            "D.M.YYYY",
            "iso",
            " ISO ",
            "YYYY-MM-DD",
            "DD. MM. YYYY.",
            "YYYYM",
        ] {
            assert_eq!(check_format(ok), Ok(()), "{ok:?}");
        }
        let bad = [
            ("DD.MM.YY", "two-digit years"),
            ("", "empty"),
            ("   ", "empty"),
            ("DD.MM", "no year"),
            ("DD.YYYY", "day without a month"),
            ("MMM YYYY", "month names"),
            ("DDD.MM.YYYY", "DD or D"),
            ("YYYYY", "YYYY"),
            ("YYY", "YYYY"),
            ("YYYY-MM-DDThh", "unexpected letter"),
            ("DD.MM.YYYY.MM", "more than once"),
            ("DMYYYY", "ambiguous"),
            ("YYYYMD", "ambiguous"),
            ("MYYYY", "ambiguous"),
            ("DD.MM.2024", "digit"),
        ];
        for (format, why) in bad {
            match check_format(format) {
                Err(e @ DateError::UnknownFormat { .. }) => {
                    let msg = e.to_string();
                    assert!(msg.starts_with("unknown date format"), "{msg}");
                    assert!(msg.contains(why), "{format:?}: {msg}");
                }
                other => panic!("{format:?} should be rejected, got {other:?}"),
            }
        }
    }

    #[test]
    fn writing_dates() {
        let full = d(2024, Some(3), Some(7));
        assert_eq!(
            format_with(&full, "DD.MM.YYYY").as_deref(),
            Ok("07.03.2024")
        );
        assert_eq!(
            format_with(&full, "MM/DD/YYYY").as_deref(),
            Ok("03/07/2024")
        );
        assert_eq!(format_with(&full, "YYYYMMDD").as_deref(), Ok("20240307"));
        assert_eq!(format_with(&full, "D.M.YYYY").as_deref(), Ok("7.3.2024"));
        assert_eq!(format_with(&full, "iso").as_deref(), Ok("2024-03-07"));
        assert_eq!(format_with(&full, "MM.YYYY").as_deref(), Ok("03.2024"));
        assert_eq!(format_with(&full, "YYYY").as_deref(), Ok("2024"));
        let month = d(2023, Some(10), None);
        assert_eq!(format_with(&month, "YYYY-MM").as_deref(), Ok("2023-10"));
        assert_eq!(format_with(&month, "iso").as_deref(), Ok("2023-10"));
        assert_eq!(
            format_with(&month, "DD.MM.YYYY").map_err(|e| e.to_string()),
            Err(
                "cannot write 2023-10 in the date format \"DD.MM.YYYY\": the date has no day"
                    .to_owned()
            )
        );
        assert!(matches!(
            format_with(&d(2023, None, None), "MM.YYYY"),
            Err(DateError::MissingPart {
                missing: "month",
                ..
            })
        ));
        assert!(matches!(
            format_with(&full, "DD.MM.YY"),
            Err(DateError::UnknownFormat { .. })
        ));
        assert!(matches!(
            format_with(&d(2025, Some(2), Some(29)), "DD.MM.YYYY"),
            Err(DateError::Impossible { .. })
        ));
        assert!(matches!(
            format_with(&d(2025, Some(13), None), "iso"),
            Err(DateError::Impossible { .. })
        ));
        assert!(matches!(
            format_with(&d(2025, None, Some(1)), "YYYY"),
            Err(DateError::Impossible { .. })
        ));
        assert!(matches!(
            format_with(&d(99, None, None), "YYYY"),
            Err(DateError::Impossible { .. })
        ));
    }

    #[test]
    fn round_trip_through_formats() {
        for format in [
            "DD.MM.YYYY",
            "MM/DD/YYYY",
            "YYYYMMDD",
            "D.M.YYYY",
            "iso",
            "YYYY-MM-DD",
        ] {
            for date in [
                d(2024, Some(2), Some(29)),
                d(1999, Some(12), Some(31)),
                d(2001, Some(1), Some(1)),
            ] {
                let text = format_with(&date, format).unwrap_or_default();
                assert_eq!(
                    parse_with_format(&text, format),
                    Ok(date),
                    "{format} {text}"
                );
            }
        }
    }

    #[test]
    fn to_iso_and_display() {
        assert_eq!(d(2024, None, None).to_iso(), "2024");
        assert_eq!(d(2024, Some(3), None).to_iso(), "2024-03");
        assert_eq!(d(2024, Some(3), Some(7)).to_iso(), "2024-03-07");
        assert_eq!(d(2024, Some(3), Some(7)).to_string(), "2024-03-07");
        assert_eq!(format!("{}", d(2023, Some(10), None)), "2023-10");
        assert!(d(2024, None, None) < d(2024, Some(1), None));
        assert!(d(2024, Some(1), None) < d(2024, Some(1), Some(1)));
    }

    #[test]
    fn constructor_and_days_in_month() {
        assert_eq!(
            PartialDate::new(2024, Some(2), Some(29)),
            Ok(d(2024, Some(2), Some(29)))
        );
        assert!(PartialDate::new(2023, Some(2), Some(29)).is_err());
        assert!(PartialDate::new(2023, None, Some(1)).is_err());
        assert!(PartialDate::new(10000, None, None).is_err());
        assert_eq!(days_in_month(2024, 2), Some(29));
        assert_eq!(days_in_month(2100, 2), Some(28));
        assert_eq!(days_in_month(2000, 2), Some(29));
        assert_eq!(days_in_month(2023, 4), Some(30));
        assert_eq!(days_in_month(2023, 0), None);
        assert_eq!(days_in_month(2023, 13), None);
    }

    #[test]
    fn long_and_odd_input_never_panics() {
        let long = "9".repeat(10_000);
        assert!(parse_iso(&long).is_err());
        let msg = parse_with_format(&long, "DD.MM.YYYY")
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default();
        assert!(msg.len() < 300, "{msg}");
        for input in ["\u{0}", "🙂", "é", "2024-é", "2024-03-0🙂", "ⅫⅫ.ⅫⅫ.ⅫⅫⅫⅫ"]
        {
            let _ = parse_iso(input);
            let _ = parse_with_format(input, "DD.MM.YYYY");
            let _ = parse_with_format(input, "D.M.YYYY");
        }
        for format in ["\u{0}", "🙂", "ÿÿÿÿ", "YYYY🙂MM", "Ｙ"] {
            let _ = check_format(format);
        }
        assert_eq!(
            parse_with_format("2024🙂03", "YYYY🙂MM"),
            Ok(d(2024, Some(3), None))
        );
    }
}
