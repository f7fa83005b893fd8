//! The generator of one message: its RNG, the primitives every value is drawn
//! with, and which values of a message are messy.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use crate::dates::Date;
use crate::tables::{Owner, OWNERS};

/// Which values of one message are written the messy way.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Mess {
    pub(crate) calibre: bool,
    pub(crate) country: bool,
    pub(crate) firearm_type: bool,
    pub(crate) serial: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessKind {
    Calibre,
    Country,
    FirearmType,
    Serial,
}

pub(crate) const FIREARM_MESS: &[MessKind] = &[
    MessKind::Calibre,
    MessKind::Country,
    MessKind::FirearmType,
    MessKind::Serial,
];

/// How much of a firearm a message describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    Record,
    Search,
    Trace,
}

pub(crate) struct Gen<'a> {
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) messy_rate: f64,
    /// 1-based position of the message in the stream (unique ids).
    pub(crate) seq: u64,
}

impl Gen<'_> {
    // -------------------------------------------------------------- primitives

    /// Uniform in `0..n` (`n > 0`), sampled as `u32` for portability.
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        self.rng.random_range(0..n.max(1))
    }

    /// Uniform in `lo..=hi` (returns `lo` when `hi < lo`).
    pub(crate) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = u32::try_from(hi - lo).unwrap_or(u32::MAX - 1);
        lo + i64::from(self.rng.random_range(0..=span))
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    pub(crate) fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        let len = u32::try_from(items.len()).unwrap_or(u32::MAX);
        &items[self.below(len) as usize]
    }

    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| *w).sum();
        let mut roll = self.below(total);
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[items.len() - 1].0
    }

    pub(crate) fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid()
    }

    pub(crate) fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    pub(crate) fn day_between(&mut self, from: Date, to: Date) -> Date {
        let n = self.between(from.day_number(), to.day_number());
        Date::from_day_number(n)
    }

    /// A date string: full mostly, sometimes year-month or year only.
    pub(crate) fn date_string(&mut self, day: Date, partial: f64) -> String {
        if self.chance(partial) {
            if self.chance(0.7) {
                day.year_month()
            } else {
                day.year().to_string()
            }
        } else {
            day.iso()
        }
    }

    /// RFC 3339 timestamp on `day`, office hours, `Z` or the country's offset.
    pub(crate) fn timestamp(&mut self, day: Date, offset: &str) -> String {
        let hour = 7 + self.below(12);
        let minute = self.below(60);
        let second = self.below(60);
        let zone = if offset.is_empty() || self.chance(0.6) {
            "Z"
        } else {
            offset
        };
        format!("{}T{hour:02}:{minute:02}:{second:02}{zone}", day.iso())
    }

    pub(crate) fn mess(&mut self, available: &[MessKind]) -> Mess {
        let mut mess = Mess::default();
        if available.is_empty() || !self.chance(self.messy_rate) {
            return mess;
        }
        let how_many = if available.len() > 1 && self.chance(0.3) {
            2
        } else {
            1
        };
        let first = *self.pick(available);
        let mut chosen = [Some(first), None];
        if how_many == 2 {
            let second = *self.pick(available);
            if second != first {
                chosen[1] = Some(second);
            }
        }
        for kind in chosen.into_iter().flatten() {
            match kind {
                MessKind::Calibre => mess.calibre = true,
                MessKind::Country => mess.country = true,
                MessKind::FirearmType => mess.firearm_type = true,
                MessKind::Serial => mess.serial = true,
            }
        }
        mess
    }

    pub(crate) fn owner(&mut self) -> &'static Owner {
        self.pick(OWNERS)
    }

    pub(crate) fn other_owner(&mut self, not: &str) -> &'static Owner {
        let owner = self.pick(OWNERS);
        if owner.code != not {
            return owner;
        }
        let i = OWNERS
            .iter()
            .position(|o| o.code == owner.code)
            .unwrap_or(0);
        &OWNERS[(i + 1 + self.below(OWNERS.len() as u32 - 1) as usize) % OWNERS.len()]
    }
}
