//! Time, at the bottom of the gateway's layers: every timestamp is an integer
//! count of milliseconds since the Unix epoch ([`Millis`], UTC), so both
//! databases compare and index them the same way; a [`Clock`] says what time it
//! is ([`SystemClock`], or a [`ManualClock`] that tests move by hand); calendar
//! dates and RFC 3339 texts are converted with `jiff`.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use jiff::civil::Date;
use jiff::Timestamp;

/// Milliseconds since the Unix epoch (UTC).
pub type Millis = i64;

/// One day in milliseconds: UTC days have no leap seconds.
const DAY: Millis = 86_400_000;

/// Where the store, the hub and the workers read the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Millis;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        now_millis()
    }
}

/// A clock that moves only when told to: for tests of leases, retries and expiry.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Millis) -> ManualClock {
        ManualClock(AtomicI64::new(start))
    }

    pub fn set(&self, now: Millis) {
        self.0.store(now, Ordering::SeqCst);
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(millis(by), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

/// The system's time now (0 if the system clock is set before 1970).
pub fn now_millis() -> Millis {
    Timestamp::now().as_millisecond().max(0)
}

/// A duration in whole milliseconds, saturating.
pub fn millis(duration: Duration) -> Millis {
    Millis::try_from(duration.as_millis()).unwrap_or(Millis::MAX)
}

/// `2026-11-01T00:00:00.000Z` for epoch milliseconds (UTC); a time beyond what
/// a calendar can show (the years -9999 to 9999) is clamped to its bound.
pub fn rfc3339(at: Millis) -> String {
    let at = Timestamp::from_millisecond(at).unwrap_or(if at < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    });
    format!("{at:.3}")
}

/// Epoch milliseconds of an RFC 3339 time (`2026-11-01T00:00:00Z`, or with an
/// offset such as `+02:00`) or of the start (UTC) of a day (`2026-11-01`).
pub fn parse_time(text: &str) -> Result<Millis, String> {
    let at = match text.parse::<Timestamp>() {
        Ok(at) => at.as_millisecond(),
        Err(e) => match text.parse::<Date>() {
            Ok(day) if text.len() == 10 => start_of_day(day),
            _ => {
                return Err(format!(
                    "`{text}` is not a UTC time like 2026-11-01T00:00:00Z or a date like \
                     2026-11-01: {e}"
                ))
            }
        },
    };
    if at < 0 {
        return Err(format!("`{text}` is before 1970"));
    }
    Ok(at)
}

/// The end (exclusive, UTC) of an ISO 8601 calendar date: `2024-03-07` ends at
/// 2024-03-08T00:00Z; a month (`2024-02`) or a year (`2024`) ends with its last
/// day; a date-time (`2024-03-07T15:00:00Z`) ends with its date. `None` when the
/// text is not such a date (the digits of each part are checked exactly:
/// `2024-1-01` is not a date).
pub fn end_of_date(text: &str) -> Option<Millis> {
    let date = text.split_once('T').map_or(text, |(day, _)| day);
    let parts: Vec<&str> = date.split('-').collect();
    let year = digits(parts.first()?, 4)?;
    let month = |m: &str| digits(m, 2).and_then(|m| i8::try_from(m).ok());
    let last_day = match parts.as_slice() {
        [_] => Date::new(year, 12, 31).ok()?,
        [_, m] => Date::new(year, month(m)?, 1).ok()?.last_of_month(),
        [_, m, d] => Date::new(
            year,
            month(m)?,
            digits(d, 2).and_then(|d| i8::try_from(d).ok())?,
        )
        .ok()?,
        _ => return None,
    };
    Some(start_of_day(last_day) + DAY)
}

/// Exactly `len` ASCII digits as a number.
fn digits(text: &str, len: usize) -> Option<i16> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Midnight UTC at the start of `day`, in epoch milliseconds: whole days since
/// 1970-01-01 (a civil day is 24 hours), so every date jiff represents has one,
/// 9999-12-31 included.
fn start_of_day(day: Date) -> Millis {
    let since = day.duration_since(Date::constant(1970, 1, 1)).as_millis();
    Millis::try_from(since).unwrap_or(Millis::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_print() {
        assert_eq!(
            parse_time("2024-03-01T00:00:00Z").expect("time"),
            1_709_251_200_000
        );
        assert_eq!(
            parse_time("2024-03-01T02:00:00+02:00").expect("offset"),
            1_709_251_200_000
        );
        assert_eq!(parse_time("2024-03-01").expect("date"), 1_709_251_200_000);
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("1969-12-31").is_err());
        assert!(parse_time("2024-02-30").is_err());
        assert_eq!(rfc3339(1_709_251_200_000), "2024-03-01T00:00:00.000Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_709_164_799_999), "2024-02-28T23:59:59.999Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
        assert!(
            rfc3339(Millis::MAX).starts_with("9999-12-"),
            "{}",
            rfc3339(Millis::MAX)
        );
    }

    #[test]
    fn dates_end_with_their_day_month_or_year() {
        assert_eq!(end_of_date("2024-03-07"), Some(1_709_769_600_000 + DAY));
        assert_eq!(end_of_date("2024-02"), end_of_date("2024-02-29"));
        assert_eq!(end_of_date("2023-02"), end_of_date("2023-02-28"));
        assert_eq!(end_of_date("1900-02"), end_of_date("1900-02-28"));
        assert_eq!(end_of_date("2000-02"), end_of_date("2000-02-29"));
        assert_eq!(end_of_date("9999"), Some(253_402_300_800_000));
        assert_eq!(end_of_date("0000-01-01"), Some(-62_167_219_200_000 + DAY));
        for bad in [
            "2023-02-29",
            "2024-04-31",
            "2024-1",
            "+2024",
            "2024-03-07-01",
        ] {
            assert_eq!(end_of_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_manual_clock_moves_when_told() {
        let clock = ManualClock::new(5);
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now(), 1005);
        clock.set(7);
        assert_eq!(clock.now(), 7);
        assert_eq!(millis(Duration::MAX), Millis::MAX);
        assert!(SystemClock.now() > 1_700_000_000_000);
    }
}
