//! Normalisation: turns what registries send into canonical codes, in place.
//!
//! Runs after decoding and before validation. It maps code-list synonyms
//! (countries, calibres, firearm types and actions), checks and canonicalises
//! dates, and derives `serial_key`. It never guesses: an ambiguous calibre is kept
//! as recorded and flagged, a historic country is kept and flagged. An
//! unrecognised value in a descriptive field (calibre, firearm type, action,
//! country of manufacture, place country) is kept as recorded and flagged
//! `unknown_*` unless the [`Strictness`] asks for rejection; anything else
//! unknown (an owner country, an impossible date) is reported as a
//! [`FieldIssue`]. It is idempotent: normalising a normalised message changes
//! nothing.

pub mod date;
mod identity;
pub mod make;
pub mod serial;
pub mod strictness;

pub use strictness::Strictness;

use crate::codes::{calibres, countries, country_words, firearm_types};
use crate::error::{ErrorCode, FieldIssue};
use crate::model::{
    Firearm, FirearmRecord, Header, Message, Place, QualityFlag, Serial, SerialState,
};

/// Flag codes raised by normalisation.
pub mod flags {
    pub const HISTORIC_COUNTRY: &str = "historic_country";
    pub const AMBIGUOUS_CALIBRE: &str = "ambiguous_calibre";
    pub const RELATED_CALIBRE: &str = "related_calibre";
    pub const AMBIGUOUS_MAKE: &str = "ambiguous_make";
    /// A make the make reference does not know: kept as recorded.
    pub const UNKNOWN_MAKE: &str = "unknown_make";
    pub const UNKNOWN_CALIBRE: &str = "unknown_calibre";
    /// A calibre a spreadsheet had damaged (a gauge made a date), read back.
    pub const REPAIRED_CALIBRE: &str = "repaired_calibre";
    pub const UNKNOWN_FIREARM_TYPE: &str = "unknown_firearm_type";
    pub const UNKNOWN_ACTION: &str = "unknown_action";
    pub const UNKNOWN_COUNTRY: &str = "unknown_country";
    /// "unknown", "others", "não informado": the country is absent.
    pub const PLACEHOLDER_COUNTRY: &str = "placeholder_country";
    /// England, Wales, Scotland, Northern Ireland: read as GB.
    pub const CONSTITUENT_COUNTRY: &str = "constituent_country";
    /// "removido", "S/N", "---": the serial field says there is no readable
    /// number; the state is set from it and no key is made.
    pub const PLACEHOLDER_SERIAL: &str = "placeholder_serial";
    /// A serial the rules are unsure of (words only, a state word beside
    /// digits, only zeros): kept as recorded, no key, for a human to look at.
    pub const SERIAL_REVIEW: &str = "serial_review";
}

/// Normalises a message in place, keeping and flagging unrecognised descriptive
/// values, and returns every problem found (empty when clean).
pub fn normalise(message: &mut Message) -> Vec<FieldIssue> {
    normalise_with(message, &Strictness::lenient())
}

/// [`normalise`], rejecting the unrecognised descriptive values `strict` names.
pub fn normalise_with(message: &mut Message, strict: &Strictness) -> Vec<FieldIssue> {
    let mut n = Normaliser {
        strict,
        issues: Vec::new(),
        flags: Vec::new(),
        // Calibres an adapter already read as ambiguous (an NCIC CAL family):
        // kept as recorded, not read again under the calibre table's rules.
        read_ambiguous: message
            .header()
            .flags
            .iter()
            .filter(|f| f.code == flags::AMBIGUOUS_CALIBRE)
            .map(|f| f.field.clone())
            .collect(),
    };
    match message {
        Message::Record(record) => n.record(record),
        Message::Search(search) => {
            n.country(&mut search.searching_country, "searching_country");
            n.agency(&mut search.searching_agency, "searching_agency");
            n.identifier(&mut search.search_id, "search_id");
            n.firearm(&mut search.firearm, "firearm");
        }
        Message::HitNotification(hit) => {
            n.country(&mut hit.searching_country, "searching_country");
            n.identifier(&mut hit.search_id, "search_id");
            n.country(
                &mut hit.matched_record.owner_country,
                "matched_record.owner_country",
            );
            n.agency(
                &mut hit.matched_record.owner_agency,
                "matched_record.owner_agency",
            );
            n.identifier(
                &mut hit.matched_record.record_id,
                "matched_record.record_id",
            );
        }
        Message::TraceRequest(trace) => {
            n.country(&mut trace.requesting_country, "requesting_country");
            n.agency(&mut trace.requesting_agency, "requesting_agency");
            n.identifier(&mut trace.trace_id, "trace_id");
            n.country(&mut trace.requested_country, "requested_country");
            n.firearm(&mut trace.firearm, "firearm");
            n.optional_date(&mut trace.seizure.date, "seizure.date");
            n.place(&mut trace.seizure.place, "seizure.place");
            if let Some(linked) = trace.linked_record.as_mut() {
                n.country(&mut linked.owner_country, "linked_record.owner_country");
                n.agency(&mut linked.owner_agency, "linked_record.owner_agency");
                n.identifier(&mut linked.record_id, "linked_record.record_id");
            }
            n.optional_date(&mut trace.due_date, "due_date");
        }
        Message::TraceResponse(response) => {
            n.country(&mut response.responding_country, "responding_country");
            n.agency(&mut response.responding_agency, "responding_agency");
            n.identifier(&mut response.trace_id, "trace_id");
            for (i, event) in response.custody_chain.iter_mut().enumerate() {
                n.optional_date(&mut event.date, &format!("custody_chain.{i}.date"));
                n.optional_country(&mut event.country, &format!("custody_chain.{i}.country"));
            }
            if let Some(point) = response.diversion_point.as_mut() {
                n.optional_date(&mut point.date, "diversion_point.date");
            }
        }
    }
    let header = message.header_mut();
    for flag in n.flags {
        add_flag(header, flag);
    }
    n.issues
}

/// Fills a serial item from its reading, keeping what the source stated.
fn apply_reading(item: &mut Serial, reading: serial::SerialReading) {
    if item.state.is_none() && reading.state != Some(SerialState::Legible) {
        item.state = reading.state;
    }
    let readable = item.state.is_none_or(SerialState::readable);
    item.key = reading.key.filter(|_| readable);
    item.pattern = reading.pattern.filter(|_| readable);
    if item.part.is_none() {
        item.part = reading.part;
    }
    if item.note.is_none() {
        item.note = reading.note;
    }
}

/// Adds a flag unless the same one (field and code) is already there.
fn add_flag(header: &mut Header, flag: QualityFlag) {
    if !header
        .flags
        .iter()
        .any(|f| f.field == flag.field && f.code == flag.code)
    {
        header.flags.push(flag);
    }
}

/// The code we emit for a country: alpha-2, except for a former code that ISO
/// later gave to another country (CS was Czechoslovakia, then Serbia and
/// Montenegro), which is written as its unambiguous ISO 3166-3 code (CSHH).
fn canonical_code(country: &'static countries::Country) -> &'static str {
    let alpha2_means_this =
        countries::lookup(&country.alpha2).is_some_and(|c| std::ptr::eq(c, country));
    match (&country.iso3166_3, alpha2_means_this) {
        (Some(former), false) => former,
        _ => &country.alpha2,
    }
}

struct Normaliser<'a> {
    strict: &'a Strictness,
    issues: Vec<FieldIssue>,
    flags: Vec<QualityFlag>,
    read_ambiguous: Vec<String>,
}

impl Normaliser<'_> {
    fn issue(&mut self, field: &str, reason: String) {
        self.issues
            .push(FieldIssue::new(ErrorCode::InvalidValue, field, reason));
    }

    fn flag(&mut self, field: &str, code: &str, detail: String) {
        self.flags.push(QualityFlag {
            field: field.to_string(),
            code: code.to_string(),
            detail: Some(detail),
        });
    }

    /// An agency code in its canonical form ([`identity::agency`]); one with an
    /// invisible or bidirectional control character is refused.
    fn agency(&mut self, value: &mut String, field: &str) {
        match identity::invisible(value) {
            Some(why) => self.issue(field, why),
            None => *value = identity::agency(value),
        }
    }

    /// An identifier in its canonical form ([`identity::identifier`]).
    fn identifier(&mut self, value: &mut String, field: &str) {
        match identity::invisible(value) {
            Some(why) => self.issue(field, why),
            None => *value = identity::identifier(value),
        }
    }

    fn record(&mut self, record: &mut FirearmRecord) {
        self.country(&mut record.owner_country, "owner_country");
        self.agency(&mut record.owner_agency, "owner_agency");
        self.identifier(&mut record.record_id, "record_id");
        self.firearm(&mut record.firearm, "firearm");
        // A record needs its serial as marked, or a state saying why there is
        // none (a placeholder sets one); an unsure value is kept and flagged.
        let f = &record.firearm;
        let recorded = f
            .serial_number
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
            || !f.serials.is_empty();
        let stated = f.serial_state.is_some_and(|s| !s.readable());
        if !recorded && !stated {
            self.issue(
                "firearm.serial_number",
                "serial number is empty; a record needs the serial number as marked, or serial_state \"obliterated\", \"illegible\" or \"absent\"".to_string(),
            );
        }
        self.optional_date(&mut record.event.date, "event.date");
        self.place(&mut record.event.place, "event.place");
    }

    fn firearm(&mut self, firearm: &mut Firearm, prefix: &str) {
        self.serial(firearm, prefix);
        let field = format!("{prefix}.make");
        match make::derive(firearm) {
            Some(make::MakeNote::Ambiguous(detail)) => {
                self.flag(&field, flags::AMBIGUOUS_MAKE, detail);
            }
            Some(make::MakeNote::Unknown(detail)) if self.strict.rejects(&field) => {
                self.issue(&field, detail.replace("; kept as recorded", ""));
            }
            Some(make::MakeNote::Unknown(detail)) => {
                self.flag(&field, flags::UNKNOWN_MAKE, detail);
            }
            None => {}
        }
        self.calibre(firearm, prefix);
        self.firearm_type(firearm, prefix);
        self.descriptive_country(
            &mut firearm.country_of_manufacture,
            &format!("{prefix}.country_of_manufacture"),
        );
        if let Some(import) = firearm.import_marking.as_mut() {
            let field = format!("{prefix}.import_marking.country");
            let mut country = import.country.clone();
            self.country(&mut country, &field);
            import.country = country;
        }
    }

    /// Reads the serial field (placeholders, patterns, notes, several
    /// serials) and derives the keys; a stated unreadable state never keys.
    fn serial(&mut self, firearm: &mut Firearm, prefix: &str) {
        let sentinels = serial::Sentinels::default();
        // Items given by the source: each read on its own.
        for (i, item) in firearm.serials.iter_mut().enumerate() {
            let reading = serial::read_one(&item.number, &sentinels);
            let field = format!("{prefix}.serials.{i}.number");
            self.serial_flags(&reading, &field);
            apply_reading(item, reading);
        }
        if firearm.serial_number.is_none() {
            if let Some(first) = firearm.serials.first() {
                firearm.serial_number = Some(first.number.clone());
            }
        }
        let Some(raw) = firearm.serial_number.clone() else {
            firearm.serial_key = None;
            firearm.serial_pattern = None;
            return;
        };
        let field = format!("{prefix}.serial_number");
        let readings = serial::read(&raw, &sentinels);
        for reading in &readings {
            self.serial_flags(reading, &field);
        }
        let several = readings.len() > 1 || readings.iter().any(|r| r.part.is_some());
        let Some(primary) = readings.first().cloned() else {
            return;
        };
        if several {
            firearm.serials = readings
                .into_iter()
                .map(|r| {
                    let mut item = Serial {
                        number: r.number.clone(),
                        key: None,
                        pattern: None,
                        state: None,
                        part: None,
                        note: None,
                    };
                    apply_reading(&mut item, r);
                    item
                })
                .collect();
        }
        // Legible is what a serial without a state means: only the other
        // states are written, so records of model 1.0 read as they did.
        if firearm.serial_state.is_none() && primary.state != Some(SerialState::Legible) {
            firearm.serial_state = primary.state;
        }
        let readable = firearm.serial_state.is_none_or(SerialState::readable);
        firearm.serial_key = primary.key.filter(|_| readable);
        firearm.serial_pattern = primary.pattern.filter(|_| readable);
        if primary.note.is_some() {
            firearm.serial_note = primary.note;
        }
    }

    fn serial_flags(&mut self, reading: &serial::SerialReading, field: &str) {
        let number = &reading.number;
        if reading.review {
            self.flag(
                field,
                flags::SERIAL_REVIEW,
                format!("\"{number}\" is not clearly a serial number; kept as recorded, no key"),
            );
        } else if reading.placeholder {
            let state = match reading.state {
                Some(SerialState::Obliterated) => "obliterated",
                Some(SerialState::Illegible) => "illegible",
                _ => "absent",
            };
            self.flag(
                field,
                flags::PLACEHOLDER_SERIAL,
                format!("\"{number}\" reads as {state}; no key"),
            );
        }
    }

    fn calibre(&mut self, firearm: &mut Firearm, prefix: &str) {
        let field = format!("{prefix}.calibre");
        // A canonical calibre passes as it is; otherwise the given text is what was recorded.
        let recorded = match firearm.calibre.as_deref() {
            Some(name) if calibres::by_name(name).is_some() => {
                if let Some(known) = calibres::by_name(name) {
                    self.related(known, &field);
                }
                return;
            }
            Some(text) => text.to_string(),
            None if self.read_ambiguous.contains(&field) => return,
            None => match firearm.calibre_as_recorded.as_deref() {
                Some(text) => text.to_string(),
                None => return,
            },
        };
        // The firearm type is context: a bare number on a shotgun is a gauge.
        let shotgun = firearm.firearm_type.as_deref().is_some_and(|t| {
            t == "shotgun"
                || firearm_types::lookup_type(t).is_some_and(|c| c.firearm_type == "shotgun")
        });
        let found = calibres::lookup_in(&recorded, &calibres::CalibreContext { shotgun });
        if let Some(repair) = found.repaired {
            self.flag(
                &field,
                flags::REPAIRED_CALIBRE,
                format!("{repair}; read back"),
            );
        }
        match found.matched {
            calibres::CalibreMatch::Known(known) => {
                firearm.calibre = Some(known.name.clone());
                if firearm.calibre_as_recorded.is_none() {
                    firearm.calibre_as_recorded = Some(recorded);
                }
                self.related(known, &field);
            }
            calibres::CalibreMatch::Ambiguous(candidates) => {
                firearm.calibre = None;
                firearm.calibre_as_recorded = Some(recorded.clone());
                self.flag(
                    &field,
                    flags::AMBIGUOUS_CALIBRE,
                    format!(
                        "\"{recorded}\" could be {}; kept as recorded",
                        candidates.join(", ")
                    ),
                );
            }
            calibres::CalibreMatch::Unknown => {
                // An empty text records nothing: there is no value to keep.
                if self.strict.rejects(&field) || recorded.trim().is_empty() {
                    self.issue(&field, format!("unknown calibre \"{recorded}\""));
                } else {
                    firearm.calibre = None;
                    firearm.calibre_as_recorded = Some(recorded.clone());
                    self.flag(
                        &field,
                        flags::UNKNOWN_CALIBRE,
                        format!("\"{recorded}\" is not in the calibre list; kept as recorded"),
                    );
                }
            }
        }
    }

    fn related(&mut self, calibre: &calibres::Calibre, field: &str) {
        if !calibre.related.is_empty() {
            self.flag(
                field,
                flags::RELATED_CALIBRE,
                format!(
                    "{} is similar to, not the same as, {}",
                    calibre.name,
                    calibre.related.join(", ")
                ),
            );
        }
    }

    fn firearm_type(&mut self, firearm: &mut Firearm, prefix: &str) {
        if let Some(text) = firearm.firearm_type.clone() {
            if !firearm_types::FIREARM_TYPES.contains(&text.as_str()) {
                match firearm_types::lookup_type(&text) {
                    Some(code) => {
                        firearm.firearm_type = Some(code.firearm_type.to_string());
                        if firearm.action.is_none() {
                            firearm.action = code.action.map(str::to_string);
                        }
                    }
                    None => {
                        let field = format!("{prefix}.firearm_type");
                        if self.strict.rejects(&field) {
                            self.issue(
                                &field,
                                format!(
                                    "unknown firearm type \"{text}\" (canonical types: {})",
                                    firearm_types::FIREARM_TYPES.join(", ")
                                ),
                            );
                        } else {
                            firearm.firearm_type = None;
                            self.flag(
                                &field,
                                flags::UNKNOWN_FIREARM_TYPE,
                                format!("\"{text}\" is not a known firearm type; kept as recorded in this flag"),
                            );
                        }
                    }
                }
            }
        }
        if let Some(text) = firearm.action.clone() {
            if !firearm_types::ACTIONS.contains(&text.as_str()) {
                match firearm_types::lookup_action(&text) {
                    Some(action) => firearm.action = Some(action.to_string()),
                    None => {
                        let field = format!("{prefix}.action");
                        if self.strict.rejects(&field) {
                            self.issue(
                                &field,
                                format!(
                                    "unknown action \"{text}\" (canonical actions: {})",
                                    firearm_types::ACTIONS.join(", ")
                                ),
                            );
                        } else {
                            firearm.action = None;
                            self.flag(
                                &field,
                                flags::UNKNOWN_ACTION,
                                format!("\"{text}\" is not a known action; kept as recorded in this flag"),
                            );
                        }
                    }
                }
            }
        }
    }

    fn country(&mut self, code: &mut String, field: &str) {
        if countries::lookup(code).is_none() {
            if let Some(state) = country_words::constituent_of(code) {
                self.flag(
                    field,
                    flags::CONSTITUENT_COUNTRY,
                    format!("\"{code}\" is part of {state}; read as {state}"),
                );
                *code = state.to_string();
            }
        }
        match countries::lookup(code) {
            Some(country) => {
                if country.historic {
                    self.flag(
                        field,
                        flags::HISTORIC_COUNTRY,
                        format!(
                            "{} ({}) no longer exists; kept as recorded",
                            country.alpha2, country.name
                        ),
                    );
                }
                let canonical = canonical_code(country);
                if code != canonical {
                    *code = canonical.to_string();
                }
            }
            None => self.issue(
                field,
                format!("unknown country \"{code}\" (expected an ISO 3166-1 code or name)"),
            ),
        }
    }

    fn optional_country(&mut self, code: &mut Option<String>, field: &str) {
        if let Some(code) = code.as_mut() {
            self.country(code, field);
        }
    }

    /// A country that describes rather than identifies (where a firearm was
    /// made, where an event happened): kept and flagged when unrecognised.
    fn descriptive_country(&mut self, code: &mut Option<String>, field: &str) {
        let Some(text) = code.as_mut() else { return };
        if countries::lookup(text).is_none() && country_words::is_placeholder(text) {
            self.flag(
                field,
                flags::PLACEHOLDER_COUNTRY,
                format!("\"{text}\" says the country is not known; left out"),
            );
            *code = None;
            return;
        }
        let known =
            countries::lookup(text).is_some() || country_words::constituent_of(text).is_some();
        if known || self.strict.rejects(field) {
            self.country(text, field);
            return;
        }
        self.flag(
            field,
            flags::UNKNOWN_COUNTRY,
            format!("\"{text}\" is not a known country; kept as recorded in this flag"),
        );
        *code = None;
    }

    fn place(&mut self, place: &mut Option<Place>, prefix: &str) {
        if let Some(place) = place.as_mut() {
            self.descriptive_country(&mut place.country, &format!("{prefix}.country"));
        }
    }

    fn optional_date(&mut self, value: &mut Option<String>, field: &str) {
        if let Some(text) = value.as_mut() {
            match date::parse_iso(text) {
                Ok(parsed) => {
                    let iso = parsed.to_iso();
                    if *text != iso {
                        *text = iso;
                    }
                }
                Err(e) => self.issue(field, e.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(firearm: serde_json::Value, place_country: &str) -> Message {
        let value = serde_json::json!({
            "kind": "record",
            "header": {
                "message_id": "a2b5054e-078a-5bd7-a4df-0fe99fecbae2",
                "correlation_id": "a2b5054e-078a-5bd7-a4df-0fe99fecbae2"
            },
            "record_id": "R-1", "owner_country": "RS", "owner_agency": "RS-MUP",
            "action": "create", "version": 1,
            "firearm": firearm,
            "event": {"status": "stolen", "place": {"country": place_country}}
        });
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn codes(message: &Message) -> Vec<(String, String)> {
        message
            .header()
            .flags
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect()
    }

    #[test]
    fn owner_agencies_and_record_ids_have_one_form() {
        for spelling in ["RS-MUP", "rs-mup", "RS-MUP ", " Rs-Mup"] {
            let mut m = record(serde_json::json!({"serial_number": "C-1"}), "RS");
            if let Message::Record(r) = &mut m {
                r.owner_agency = spelling.to_string();
                r.record_id = " R-1\u{3000}".to_string();
            }
            assert!(normalise(&mut m).is_empty(), "{spelling:?}");
            let Message::Record(r) = m else {
                panic!("a record")
            };
            assert_eq!(
                (r.owner_agency.as_str(), r.record_id.as_str()),
                ("RS-MUP", "R-1")
            );
        }
        let mut m = record(serde_json::json!({"serial_number": "C-1"}), "RS");
        if let Message::Record(r) = &mut m {
            r.owner_agency = "RS-\u{200D}MUP".to_string();
        }
        let issues = normalise(&mut m);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].field, "owner_agency");
        assert!(issues[0].reason.contains("U+200D"), "{issues:?}");
    }

    fn messy() -> Message {
        record(
            serde_json::json!({
                "serial_number": "C-1", "calibre": "7,9 mn", "firearm_type": "Flinte-xyz",
                "action": "wobble", "country_of_manufacture": "Atlantis"
            }),
            "Narnia",
        )
    }

    #[test]
    fn unknown_descriptive_values_are_kept_and_flagged() {
        let mut message = messy();
        let issues = normalise(&mut message);
        assert!(issues.is_empty(), "{issues:?}");
        let Message::Record(r) = &message else {
            panic!("a record")
        };
        assert_eq!(r.firearm.calibre, None);
        assert_eq!(r.firearm.calibre_as_recorded.as_deref(), Some("7,9 mn"));
        assert_eq!(r.firearm.firearm_type, None);
        assert_eq!(r.firearm.action, None);
        assert_eq!(r.firearm.country_of_manufacture, None);
        assert_eq!(r.event.place.as_ref().and_then(|p| p.country.clone()), None);
        let flags = codes(&message);
        for (field, code) in [
            ("firearm.calibre", flags::UNKNOWN_CALIBRE),
            ("firearm.firearm_type", flags::UNKNOWN_FIREARM_TYPE),
            ("firearm.action", flags::UNKNOWN_ACTION),
            ("firearm.country_of_manufacture", flags::UNKNOWN_COUNTRY),
            ("event.place.country", flags::UNKNOWN_COUNTRY),
        ] {
            assert!(
                flags.contains(&(field.to_string(), code.to_string())),
                "{field} {code}: {flags:?}"
            );
        }
        let detail = message
            .header()
            .flags
            .iter()
            .find(|f| f.field == "firearm.firearm_type");
        assert!(detail
            .and_then(|f| f.detail.as_deref())
            .is_some_and(|d| d.starts_with("\"Flinte-xyz\"")));
        // Normalising again changes nothing.
        let before = message.clone();
        assert!(normalise(&mut message).is_empty());
        assert_eq!(message, before);
        assert!(crate::schema::validate(&message).is_empty());
    }

    #[test]
    fn strict_fields_reject_and_others_stay_lenient() {
        let mut message = messy();
        let issues = normalise_with(&mut message, &Strictness::fields(["firearm.calibre"]));
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, vec!["firearm.calibre"]);
        let mut message = messy();
        let issues = normalise_with(&mut message, &Strictness::all());
        let mut fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        fields.sort();
        assert_eq!(
            fields,
            vec![
                "event.place.country",
                "firearm.action",
                "firearm.calibre",
                "firearm.country_of_manufacture",
                "firearm.firearm_type"
            ]
        );
    }

    #[test]
    fn calibre_rules_use_the_firearm_as_context() {
        let mut message = record(
            serde_json::json!({"serial_number": "C-1", "calibre": "32", "firearm_type": "espingarda"}),
            "BR",
        );
        assert!(normalise(&mut message).is_empty());
        let Message::Record(r) = &message else {
            panic!("a record")
        };
        assert_eq!(r.firearm.calibre.as_deref(), Some("32 gauge"));
        let mut message = record(
            serde_json::json!({"serial_number": "C-1", "calibre": "01/12/1970", "firearm_type": "shotgun"}),
            "BR",
        );
        assert!(normalise(&mut message).is_empty());
        let Message::Record(r) = &message else {
            panic!("a record")
        };
        assert_eq!(r.firearm.calibre.as_deref(), Some("12 gauge"));
        assert_eq!(r.firearm.calibre_as_recorded.as_deref(), Some("01/12/1970"));
        assert!(codes(&message).contains(&(
            "firearm.calibre".to_string(),
            flags::REPAIRED_CALIBRE.to_string()
        )));
    }

    #[test]
    fn placeholders_constituents_and_abbreviations() {
        let mut message = record(
            serde_json::json!({"serial_number": "C-1", "country_of_manufacture": "Escócia"}),
            "não informado",
        );
        assert!(normalise(&mut message).is_empty());
        let Message::Record(r) = &message else {
            panic!("a record")
        };
        assert_eq!(r.firearm.country_of_manufacture.as_deref(), Some("GB"));
        assert_eq!(r.event.place.as_ref().and_then(|p| p.country.clone()), None);
        let flags = codes(&message);
        assert!(flags.contains(&(
            "firearm.country_of_manufacture".to_string(),
            flags::CONSTITUENT_COUNTRY.to_string()
        )));
        assert!(flags.contains(&(
            "event.place.country".to_string(),
            flags::PLACEHOLDER_COUNTRY.to_string()
        )));
        // A placeholder owner is a missing owner: rejected.
        let mut message = record(serde_json::json!({"serial_number": "C-1"}), "BR");
        if let Message::Record(r) = &mut message {
            r.owner_country = "desconhecido".to_string();
        }
        assert_eq!(normalise(&mut message).len(), 1);
    }

    #[test]
    fn identity_countries_still_reject() {
        let mut message = record(serde_json::json!({"serial_number": "C-1"}), "RS");
        if let Message::Record(r) = &mut message {
            r.owner_country = "Atlantis".to_string();
        }
        let issues = normalise(&mut message);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].field, "owner_country");
    }
}
