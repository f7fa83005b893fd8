//! Values of a message: serials, calibres, types, countries, case references,
//! contacts, markings and firearms, clean or messy.

use iarms_adapters::model::{Contact, Firearm, ImportMarking, Marking, SerialState};

use crate::dates::{Date, LAST_DAY};
use crate::generator::{Detail, Gen, Mess};
use crate::lookups::{
    country_names, current_code, email_part, finishes, ifrt_reference, marking_locations,
};
use crate::tables::{
    CaseStyle, Gun, Lang, Owner, CALIBRE_SPELLINGS, CYRILLIC_CAPITALS, MAKERS, TYPE_SPELLINGS,
};

impl Gen<'_> {
    pub(crate) fn serial(&mut self, gun: &Gun) -> String {
        let pattern = *self.pick(gun.serials);
        let mut out = String::with_capacity(pattern.len() + 4);
        for c in pattern.chars() {
            match c {
                '#' => out.push(char::from(b'0' + self.below(10) as u8)),
                '@' => out.push(*self.pick(b"ABCDEFGHJKLMNPRSTUVWXYZ") as char),
                '%' => out.push(*self.pick(b"BCDFGHJKLMNPRSTVWXZ") as char),
                '~' => out.push(*self.pick(b"abcdefghjkmnprstuvwxyz") as char),
                '&' => out.push(*self.pick(CYRILLIC_CAPITALS)),
                other => out.push(other),
            }
        }
        out
    }

    /// The same letters and digits with a separator changed or added.
    pub(crate) fn messy_serial(&mut self, serial: &str) -> String {
        const SEPARATORS: &[&str] = &["  ", " - ", "-", " ", "/", "."];
        let chars: Vec<char> = serial.chars().collect();
        if let Some(pos) = chars.iter().position(|c| !c.is_alphanumeric()) {
            let current: String = chars[pos..]
                .iter()
                .take_while(|c| !c.is_alphanumeric())
                .collect();
            let mut sep = *self.pick(SEPARATORS);
            if sep == current {
                sep = " - ";
                if sep == current {
                    sep = "  ";
                }
            }
            let before: String = chars[..pos].iter().collect();
            let after: String = chars[pos + current.chars().count()..].iter().collect();
            return format!("{before}{sep}{after}");
        }
        if chars.len() < 2 {
            return serial.to_string();
        }
        // Split at the first letter/digit boundary, or in the middle.
        let split = chars
            .windows(2)
            .position(|w| w[0].is_alphabetic() != w[1].is_alphabetic())
            .map(|p| p + 1)
            .unwrap_or(chars.len() / 2);
        let sep = *self.pick(&SEPARATORS[..4]);
        let before: String = chars[..split].iter().collect();
        let after: String = chars[split..].iter().collect();
        format!("{before}{sep}{after}")
    }

    /// A serial with one or two characters unreadable (`*`), as written by
    /// examiners when the number was partly ground off.
    pub(crate) fn partly_legible(&mut self, serial: &str) -> String {
        let mut chars: Vec<char> = serial.chars().collect();
        let digits: Vec<usize> = (0..chars.len())
            .filter(|&i| chars[i].is_ascii_digit())
            .collect();
        if digits.len() < 3 {
            return serial.to_string();
        }
        for _ in 0..1 + self.below(2) {
            let i = *self.pick(&digits);
            chars[i] = '*';
        }
        chars.into_iter().collect()
    }

    pub(crate) fn messy_calibre(&mut self, calibre: &str) -> Option<String> {
        let (_, spellings) = CALIBRE_SPELLINGS.iter().find(|(c, _)| *c == calibre)?;
        Some((*self.pick(spellings)).to_string())
    }

    pub(crate) fn messy_type(&mut self, firearm_type: &str, lang: Lang) -> Option<String> {
        let (_, spellings) = TYPE_SPELLINGS.iter().find(|(t, _)| *t == firearm_type)?;
        let index = match lang {
            Lang::Sh => 0,
            Lang::Pt => 1,
            Lang::Es => 2,
            Lang::Fr => 3,
            Lang::De => 4,
            Lang::En => self.below(5) as usize,
        };
        Some(spellings[index].to_string())
    }

    /// The country as alpha-3 or English short name (current codes only).
    pub(crate) fn messy_country(&mut self, code: &str) -> Option<String> {
        let (alpha3, name) = country_names(code)?;
        Some(if self.chance(0.5) { alpha3 } else { name }.to_string())
    }

    pub(crate) fn year_of_manufacture(&mut self, gun: &Gun, latest: i32) -> i32 {
        let hi = gun.years.1.min(latest).max(gun.years.0);
        self.between(i64::from(gun.years.0), i64::from(hi)) as i32
    }

    /// First day an event involving `gun` may happen on.
    pub(crate) fn first_event_day(gun: &Gun, from: Date) -> Date {
        from.max(Date::first_of_year(gun.years.0 + 1)).min(LAST_DAY)
    }

    pub(crate) fn case_reference(&mut self, owner: &Owner, day: Date) -> String {
        let y = day.year();
        let yy = y % 100;
        let n = 1 + self.below(9999);
        match owner.case_style {
            CaseStyle::Ku => format!("KU-{n}/{y}"),
            CaseStyle::Ipl => format!("IPL {:04}/{y}-SR/PF", n),
            CaseStyle::Cas => format!("CAS {}/{:02}/{y}", 1 + n % 999, day.month()),
            CaseStyle::Kt => format!("KT-{n}/{yy:02}"),
            CaseStyle::Kr => {
                let city = *self.pick(&["ZG", "ST", "RI", "OS"]);
                format!("{city}-KR-{n}/{yy:02}")
            }
            CaseStyle::Ko => format!("KO.br.{n}/{y}"),
            CaseStyle::Nr => format!("Nr. {n}/{y}"),
            CaseStyle::Nunc => format!("NUNC-{y}-{:05}", n),
            CaseStyle::Fed => format!("FED/{:07}/{y}", n * 97 % 10_000_000),
            CaseStyle::Cr => format!("CR/{n}/{y}"),
            CaseStyle::Ob => format!("OB {}/{:02}/{:02}/{y}", 1 + n % 99, day.day(), day.month()),
            CaseStyle::Pv => format!("PV {:05}/{y}", n),
            CaseStyle::St => {
                let tail = self.digits(3);
                format!("ST/{:04}{tail}/{y}", n)
            }
        }
    }

    pub(crate) fn contact(&mut self, owner: &Owner) -> Contact {
        let first = *self.pick(owner.first_names);
        let last = *self.pick(owner.last_names);
        let email = if self.chance(0.8) {
            Some(format!(
                "{}.{}@{}.example.org",
                email_part(first),
                email_part(last),
                owner.agency.to_ascii_lowercase()
            ))
        } else {
            None
        };
        let phone = if self.chance(0.5) {
            let area = 1 + self.below(9);
            let line = self.digits(4);
            Some(format!("{} {area} 555 {line}", owner.calling))
        } else {
            None
        };
        Contact {
            name: format!("{first} {last}"),
            email,
            phone,
        }
    }

    pub(crate) fn markings(
        &mut self,
        gun: &Gun,
        serial: Option<&str>,
        import: Option<&ImportMarking>,
    ) -> Vec<Marking> {
        let location = *self.pick(marking_locations(gun.firearm_type));
        let mut markings = Vec::with_capacity(3);
        if let Some((_, _, text)) = MAKERS.iter().find(|(make, _, _)| *make == gun.make) {
            markings.push(Marking {
                text: (*text).to_string(),
                location: Some(location.to_string()),
            });
        }
        if let Some(serial) = serial {
            if self.chance(0.3) {
                markings.push(Marking {
                    text: format!("{} {serial}", gun.model.to_uppercase()),
                    location: Some(location.to_string()),
                });
            }
        }
        if let Some(import) = import {
            if self.chance(0.6) {
                let text = match import.year {
                    Some(year) => format!("IMP {} {year}", import.country),
                    None => format!("IMP {}", import.country),
                };
                let location = if gun.firearm_type == "pistol" || gun.firearm_type == "revolver" {
                    "frame"
                } else {
                    "receiver, right side"
                };
                markings.push(Marking {
                    text,
                    location: Some(location.to_string()),
                });
            }
        }
        if markings.is_empty() {
            markings.push(Marking {
                text: gun.make.to_uppercase(),
                location: None,
            });
        }
        markings
    }

    /// A firearm description made in `year`; `importer` is the country that
    /// would have marked an import.
    pub(crate) fn firearm(
        &mut self,
        gun: &Gun,
        year: i32,
        importer: &str,
        detail: Detail,
    ) -> Firearm {
        let origin = gun.origin.code(year);
        let (p_model, p_type, p_action, p_origin, p_year) = match detail {
            Detail::Record => (0.97, 0.97, 0.85, 0.8, 0.5),
            Detail::Search => (0.6, 0.4, 0.5, 0.3, 0.1),
            Detail::Trace => (1.0, 1.0, 0.9, 0.95, 0.6),
        };
        let (p_barrel, p_finish, p_markings, p_import, p_ifrt) = match detail {
            Detail::Record => (0.3, 0.25, 0.3, 0.2, 0.1),
            Detail::Search => (0.05, 0.05, 0.15, 0.05, 0.02),
            Detail::Trace => (0.4, 0.3, 0.5, 0.3, 0.15),
        };
        let mut serial = Some(self.serial(gun));
        let legibility = if detail == Detail::Search {
            self.weighted(&[(0u8, 95), (1, 5), (2, 0)])
        } else {
            self.weighted(&[(0u8, 94), (1, 4), (2, 2)])
        };
        let serial_state = match legibility {
            1 => {
                serial = serial.map(|s| self.partly_legible(&s));
                Some(SerialState::PartiallyLegible)
            }
            2 => {
                serial = None;
                Some(SerialState::Obliterated)
            }
            _ => {
                if self.chance(0.4) {
                    Some(SerialState::Legible)
                } else {
                    None
                }
            }
        };
        let model = self.chance(p_model).then(|| gun.model.to_string());
        let with_type = self.chance(p_type);
        let firearm_type = with_type.then(|| gun.firearm_type.to_string());
        let action = (with_type && self.chance(p_action)).then(|| gun.action.to_string());
        let country_of_manufacture = self.chance(p_origin).then(|| origin.to_string());
        let year_of_manufacture = self.chance(p_year).then_some(year);
        let (barrel_length_mm, number_of_barrels) = if self.chance(p_barrel) {
            let barrel = if self.chance(0.2) {
                gun.barrel_mm + 0.5
            } else {
                gun.barrel_mm
            };
            let barrels = (gun.barrels > 1 || self.chance(0.3)).then_some(gun.barrels);
            (Some(barrel), barrels)
        } else {
            (None, None)
        };
        let finish = self
            .chance(p_finish)
            .then(|| (*self.pick(finishes(gun.firearm_type))).to_string());
        let import_marking = if importer != current_code(origin) && self.chance(p_import) {
            let year = self.chance(0.85).then(|| {
                let latest = LAST_DAY.year().min(year + 6);
                self.between(i64::from(year), i64::from(latest)) as i32
            });
            Some(ImportMarking {
                country: importer.to_string(),
                year,
            })
        } else {
            None
        };
        let markings = if self.chance(p_markings) {
            self.markings(gun, serial.as_deref(), import_marking.as_ref())
        } else {
            Vec::new()
        };
        let ifrt_reference = self.chance(p_ifrt).then(|| ifrt_reference(gun));
        Firearm {
            make: Some(gun.make.to_string()),
            make_canonical: None,
            model,
            serial_number: serial,
            serial_key: None,
            serial_pattern: None,
            serial_note: None,
            serial_state,
            serials: Vec::new(),
            calibre: Some(gun.calibre.to_string()),
            calibre_as_recorded: None,
            firearm_type,
            action,
            country_of_manufacture,
            year_of_manufacture,
            barrel_length_mm,
            number_of_barrels,
            finish,
            markings,
            import_marking,
            ifrt_reference,
        }
    }

    /// Applies calibre, firearm-type and serial messiness to a firearm.
    pub(crate) fn mess_firearm(&mut self, firearm: &mut Firearm, mess: Mess, lang: Lang) {
        if mess.calibre {
            if let Some(calibre) = firearm
                .calibre
                .as_deref()
                .and_then(|c| self.messy_calibre(c))
            {
                firearm.calibre = Some(calibre);
            }
        }
        if mess.firearm_type {
            if let Some(t) = firearm
                .firearm_type
                .as_deref()
                .and_then(|t| self.messy_type(t, lang))
            {
                firearm.firearm_type = Some(t);
            }
        }
        if mess.serial {
            if let Some(serial) = firearm
                .serial_number
                .as_deref()
                .map(|s| self.messy_serial(s))
            {
                firearm.serial_number = Some(serial);
            }
        }
    }

    /// Replaces the country in `slot` by a messy spelling, if it has one.
    pub(crate) fn mess_country(&mut self, slot: &mut String) {
        if let Some(messy) = self.messy_country(slot) {
            *slot = messy;
        }
    }
}
