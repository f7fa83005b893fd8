//! Calendar dates of the generated events, on `jiff::civil::Date`.

use jiff::civil;
use jiff::SignedDuration;

/// A calendar date. The generator draws days as numbers (days since
/// 1970-01-01) so that sampling a day is sampling an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Date(civil::Date);

const EPOCH: civil::Date = civil::Date::constant(1970, 1, 1);
const SECONDS_PER_DAY: i64 = 86_400;

impl Date {
    /// A fixed date of the tables; `const`, so an impossible one does not compile.
    pub(crate) const fn new(y: i16, m: i8, d: i8) -> Date {
        Date(civil::Date::constant(y, m, d))
    }

    /// 1 January of `year`, clamped to the years jiff represents.
    pub(crate) fn first_of_year(year: i32) -> Date {
        let date = i16::try_from(year)
            .ok()
            .and_then(|y| civil::Date::new(y, 1, 1).ok());
        Date(date.unwrap_or(if year < 0 {
            civil::Date::MIN
        } else {
            civil::Date::MAX
        }))
    }

    pub(crate) fn year(self) -> i32 {
        i32::from(self.0.year())
    }

    pub(crate) fn month(self) -> u32 {
        u32::try_from(self.0.month()).unwrap_or(1)
    }

    pub(crate) fn day(self) -> u32 {
        u32::try_from(self.0.day()).unwrap_or(1)
    }

    /// Days since 1970-01-01.
    pub(crate) fn day_number(self) -> i64 {
        self.0.duration_since(EPOCH).as_secs() / SECONDS_PER_DAY
    }

    /// Inverse of [`Date::day_number`] (clamped to the dates jiff represents).
    pub(crate) fn from_day_number(days: i64) -> Date {
        Date(EPOCH.saturating_add(SignedDuration::from_secs(
            days.saturating_mul(SECONDS_PER_DAY),
        )))
    }

    pub(crate) fn add_days(self, days: i64) -> Date {
        Date::from_day_number(self.day_number().saturating_add(days))
    }

    pub(crate) fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year(), self.month(), self.day())
    }

    pub(crate) fn year_month(self) -> String {
        format!("{:04}-{:02}", self.year(), self.month())
    }
}

/// Events, seizures and searches happen in this window.
pub(crate) const FIRST_DAY: Date = Date::new(2015, 1, 1);
pub(crate) const LAST_DAY: Date = Date::new(2025, 6, 30);
