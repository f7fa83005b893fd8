//! The custody chain of a traced firearm.

use iarms_adapters::model::{CustodyEvent, CustodyEventKind, DiversionPoint, TraceOutcome};

use crate::dates::Date;
use crate::generator::Gen;
use crate::lookups::{country_label, current_code, towns_of};
use crate::tables::{Gun, Link, MAKERS, OWNER_PARTIES};

impl Gen<'_> {
    /// 2-5 custody events in chronological order, between the year of
    /// manufacture and the day of the answer.
    pub(crate) fn custody_chain(
        &mut self,
        gun: &Gun,
        year: i32,
        responder: &'static str,
        requester: &'static str,
        answered: Date,
        outcome: TraceOutcome,
    ) -> (Vec<CustodyEvent>, Option<DiversionPoint>) {
        let maker = MAKERS
            .iter()
            .find(|(make, _, _)| *make == gun.make)
            .map(|(_, legal, _)| *legal)
            .unwrap_or(gun.make);
        let origin = gun.origin.code(year);
        let maker_current = current_code(origin);
        // The country where the firearm ended up in legal hands: the answering
        // country of last legal import, else mostly the requester's (export),
        // sometimes the country of manufacture itself (domestic sales).
        let destination = if responder != maker_current {
            responder
        } else {
            match self.weighted(&[(0u8, 60), (1, 25), (2, 15)]) {
                0 => requester,
                1 => maker_current,
                _ => self.other_owner(maker_current).code,
            }
        };
        let town = |g: &mut Self, code: &str| -> String {
            let towns = towns_of(code);
            if towns.is_empty() {
                String::new()
            } else {
                format!(", {}", g.pick(towns))
            }
        };
        let owner_party = (*self.pick(OWNER_PARTIES)).to_string();
        let lost = self.chance(0.3);
        let last_kind = if lost {
            CustodyEventKind::ReportedLost
        } else {
            CustodyEventKind::ReportedStolen
        };
        let template: [Link; 5] = if destination != maker_current {
            let importer = format!("licensed importer{}", town(self, destination));
            [
                (
                    CustodyEventKind::Manufactured,
                    Some(maker.to_string()),
                    None,
                    origin,
                    "",
                ),
                (
                    CustodyEventKind::Exported,
                    Some(maker.to_string()),
                    Some(importer.clone()),
                    maker_current,
                    "EXP",
                ),
                (
                    CustodyEventKind::Imported,
                    Some(maker.to_string()),
                    Some(importer.clone()),
                    destination,
                    "CUS",
                ),
                (
                    CustodyEventKind::Sold,
                    Some(importer),
                    Some(owner_party.clone()),
                    destination,
                    "INV",
                ),
                (last_kind, Some(owner_party), None, destination, "CASE"),
            ]
        } else {
            let dealer = format!("licensed dealer{}", town(self, destination));
            [
                (
                    CustodyEventKind::Manufactured,
                    Some(maker.to_string()),
                    None,
                    origin,
                    "",
                ),
                (
                    CustodyEventKind::Sold,
                    Some(maker.to_string()),
                    Some(dealer.clone()),
                    destination,
                    "INV",
                ),
                (
                    CustodyEventKind::Sold,
                    Some(dealer),
                    Some(owner_party.clone()),
                    destination,
                    "INV",
                ),
                (
                    CustodyEventKind::Registered,
                    None,
                    Some(owner_party.clone()),
                    destination,
                    "LIC",
                ),
                (last_kind, Some(owner_party), None, destination, "CASE"),
            ]
        };
        // Traced: the manufacture and the end of the chain; partially traced:
        // the beginning only.
        let (n, keep): (usize, [bool; 5]) = if outcome == TraceOutcome::Traced {
            let n = 3 + self.below(3) as usize;
            let mut keep = [false; 5];
            keep[0] = true;
            for k in keep.iter_mut().skip(5 - (n - 1)) {
                *k = true;
            }
            (n, keep)
        } else {
            let n = 2 + self.below(3) as usize;
            let mut keep = [false; 5];
            for k in keep.iter_mut().take(n) {
                *k = true;
            }
            (n, keep)
        };
        // Days of the events after manufacture, sorted.
        let made = Date::first_of_year(year).add_days(i64::from(self.below(365)));
        let made = made.min(answered.add_days(-60));
        let lo = made.day_number() + 30;
        let hi = (answered.day_number() - 7).max(lo);
        let mut days = [0i64; 4];
        for d in days.iter_mut().take(n - 1) {
            *d = self.between(lo, hi);
        }
        days[..n - 1].sort_unstable();
        let mut chain = Vec::with_capacity(n);
        let mut next_day = 0;
        for (i, (kind, from, to, country, doc)) in template.into_iter().enumerate() {
            if !keep[i] {
                continue;
            }
            let date = if i == 0 {
                if self.chance(0.6) {
                    made.year().to_string()
                } else {
                    made.iso()
                }
            } else {
                let day = Date::from_day_number(days[next_day]);
                next_day += 1;
                day.iso()
            };
            let document = if doc.is_empty() || self.chance(0.2) {
                None
            } else {
                let year = &date[..4];
                let number = self.digits(5);
                Some(format!("{doc}-{country}-{year}-{number}"))
            };
            chain.push(CustodyEvent {
                date: Some(date),
                event: kind,
                from,
                to,
                country: Some(country.to_string()),
                document,
            });
        }
        let diversion = match outcome {
            TraceOutcome::Traced if self.chance(0.6) => {
                let (what, when) = match chain.last() {
                    Some(last)
                        if matches!(
                            last.event,
                            CustodyEventKind::ReportedStolen | CustodyEventKind::ReportedLost
                        ) =>
                    {
                        (
                            if lost {
                                "Reported lost by the"
                            } else {
                                "Reported stolen by the"
                            },
                            last.date.clone(),
                        )
                    }
                    _ => ("Left the possession of the", None),
                };
                let place = town(self, destination);
                let date = when.map(|d| {
                    if self.chance(0.4) && d.len() >= 7 {
                        d[..7].to_string()
                    } else {
                        d
                    }
                });
                Some(DiversionPoint {
                    description: format!(
                        "{what} {} in {}{place}; not recovered until the seizure.",
                        chain
                            .last()
                            .and_then(|e| e.from.clone().or_else(|| e.to.clone()))
                            .unwrap_or_else(|| "last legal owner".to_string()),
                        country_label(destination),
                    ),
                    date,
                })
            }
            TraceOutcome::PartiallyTraced if self.chance(0.3) => Some(DiversionPoint {
                description: "Last recorded in legal hands at the last event of the chain; later transfers are not recorded.".to_string(),
                date: None,
            }),
            _ => None,
        };
        (chain, diversion)
    }
}
