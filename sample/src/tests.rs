use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::dates::Date;
use crate::tables::{CALIBRE_SPELLINGS, GUNS, MAKERS, MAKER_COUNTRIES, OWNERS, TYPE_SPELLINGS};

use iarms_adapters::model::{
    CustodyEventKind, Firearm, MatchKind, Message, MessageKind, RecordAction, TraceOutcome,
};

fn options(kind: MessageKind, count: u64, seed: u64) -> SampleOptions {
    SampleOptions::new(kind, count, seed)
}

fn json_lines(options: &SampleOptions) -> Vec<String> {
    generate(options)
        .map(|m| serde_json::to_string(&m).unwrap())
        .collect()
}

fn firearm_of(message: &Message) -> Option<&Firearm> {
    match message {
        Message::Record(m) => Some(&m.firearm),
        Message::Search(m) => Some(&m.firearm),
        Message::TraceRequest(m) => Some(&m.firearm),
        Message::HitNotification(_) | Message::TraceResponse(_) => None,
    }
}

// ---------------------------------------------------------------- code lists

/// Calibre key: folded like the calibre lookup does (case, accents,
/// spaces, hyphens, quotes, `×`, decimal comma).
fn calibre_key(s: &str) -> String {
    let lower = deunicode::deunicode(s).to_lowercase().replace('×', "x");
    let chars: Vec<char> = lower.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && i + 1 < chars.len()
            && chars[i - 1].is_ascii_digit()
            && chars[i + 1].is_ascii_digit();
        match c {
            ',' if between_digits => out.push('.'),
            c if c.is_whitespace() || "-'\"()".contains(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Firearm-type key: folded like `firearm_types.toml` says (case,
/// accents, punctuation as space).
fn type_key(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_lowercase();
    let spaced: String = ascii
        .chars()
        .map(|c| if "-_/,.'():;".contains(c) { ' ' } else { c })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Calibres {
    names: BTreeSet<String>,
    /// key -> canonical name (names and synonyms).
    keys: BTreeMap<String, String>,
    ambiguous: BTreeSet<String>,
}

fn calibres() -> Calibres {
    let table: toml::Table =
        toml::from_str(include_str!("../../adapters/codes/calibres.toml")).unwrap();
    let mut names = BTreeSet::new();
    let mut keys = BTreeMap::new();
    for entry in table["calibre"].as_array().unwrap() {
        let name = entry["name"].as_str().unwrap().to_string();
        keys.insert(calibre_key(&name), name.clone());
        for synonym in entry
            .get("synonyms")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
        {
            keys.insert(calibre_key(synonym.as_str().unwrap()), name.clone());
        }
        names.insert(name);
    }
    let ambiguous = table["ambiguous"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| calibre_key(a["input"].as_str().unwrap()))
        .collect();
    Calibres {
        names,
        keys,
        ambiguous,
    }
}

struct Types {
    types: BTreeSet<String>,
    actions: BTreeSet<String>,
    /// key -> canonical type, for `[[firearm_type]]` synonyms only.
    keys: BTreeMap<String, String>,
}

fn types() -> Types {
    let table: toml::Table =
        toml::from_str(include_str!("../../adapters/codes/firearm_types.toml")).unwrap();
    let mut types = BTreeSet::new();
    let mut keys = BTreeMap::new();
    for entry in table["firearm_type"].as_array().unwrap() {
        let code = entry["code"].as_str().unwrap().to_string();
        keys.insert(type_key(&code), code.clone());
        for synonym in entry["synonyms"].as_array().unwrap() {
            keys.insert(type_key(synonym.as_str().unwrap()), code.clone());
        }
        types.insert(code);
    }
    let actions = table["action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap().to_string())
        .collect();
    Types {
        types,
        actions,
        keys,
    }
}

/// alpha-2 -> every accepted spelling (alpha-3, name, aliases).
fn countries() -> BTreeMap<String, BTreeSet<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(include_str!("../../adapters/codes/countries.csv").as_bytes());
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        let spellings = out.entry(row[0].to_string()).or_default();
        spellings.insert(row[1].to_string());
        spellings.insert(row[3].to_string());
        for alias in row[5].split('|') {
            spellings.insert(alias.to_string());
        }
    }
    out
}

// ---------------------------------------------------------------- tests

#[test]
fn same_seed_gives_identical_output() {
    for kind in MessageKind::ALL {
        let a = json_lines(&options(kind, 50, 42));
        let b = json_lines(&options(kind, 50, 42));
        assert_eq!(a.len(), 50);
        assert_eq!(a, b, "{kind}");
        // A longer stream starts with the same messages.
        let longer = json_lines(&options(kind, 80, 42));
        assert_eq!(a[..], longer[..50], "{kind}");
    }
}

#[test]
fn different_seed_gives_different_output() {
    for kind in MessageKind::ALL {
        let a = json_lines(&options(kind, 50, 1));
        let b = json_lines(&options(kind, 50, 2));
        assert_ne!(a, b, "{kind}");
        let distinct: BTreeSet<&String> = a.iter().collect();
        assert_eq!(distinct.len(), 50, "{kind}: duplicate messages");
    }
}

#[test]
fn kinds_with_the_same_seed_share_no_message_ids() {
    let mut ids = BTreeSet::new();
    for kind in MessageKind::ALL {
        for message in generate(&options(kind, 200, 42)) {
            let header = message.header();
            assert!(ids.insert(header.message_id), "{kind}: reused id");
        }
    }
}

#[test]
fn count_is_respected() {
    for count in [0, 1, 7, 123] {
        let stream = generate(&options(MessageKind::TraceResponse, count, 9));
        assert_eq!(stream.size_hint(), (count as usize, Some(count as usize)));
        assert_eq!(stream.count(), count as usize);
    }
    let mut stream = generate(&options(MessageKind::Record, 2, 9));
    assert!(stream.next().is_some());
    assert_eq!(stream.remaining(), 1);
    assert!(stream.next().is_some());
    assert!(stream.next().is_none());
    assert!(stream.next().is_none());
}

#[test]
fn every_message_round_trips_through_json() {
    for kind in MessageKind::ALL {
        let mut o = options(kind, 300, 7);
        o.messy_rate = 0.5;
        for message in generate(&o) {
            assert_eq!(message.kind(), kind);
            let json = serde_json::to_string(&message).unwrap();
            let back: Message = serde_json::from_str(&json).unwrap();
            assert_eq!(back, message, "{json}");
        }
    }
}

#[test]
fn clean_messages_are_schema_valid() {
    for kind in MessageKind::ALL {
        let mut o = options(kind, 300, 11);
        o.messy_rate = 0.0;
        for message in generate(&o) {
            let issues = iarms_adapters::schema::validate(&message);
            assert!(
                issues.is_empty(),
                "{issues:?}\n{}",
                serde_json::to_string(&message).unwrap()
            );
        }
    }
}

#[test]
fn calibres_and_types_are_in_the_code_lists() {
    let calibres = calibres();
    let types = types();
    for gun in GUNS {
        assert!(calibres.names.contains(gun.calibre), "{}", gun.calibre);
        assert!(
            types.types.contains(gun.firearm_type),
            "{}",
            gun.firearm_type
        );
        assert!(types.actions.contains(gun.action), "{}", gun.action);
        assert!(
            CALIBRE_SPELLINGS.iter().any(|(c, _)| *c == gun.calibre),
            "no messy spelling of {}",
            gun.calibre
        );
        assert!(
            MAKERS.iter().any(|(make, _, _)| *make == gun.make),
            "no maker for {}",
            gun.make
        );
        assert!(gun.years.0 <= gun.years.1 && !gun.serials.is_empty());
    }
    for (canonical, spellings) in CALIBRE_SPELLINGS {
        for spelling in *spellings {
            let key = calibre_key(spelling);
            assert!(
                !calibres.ambiguous.contains(&key),
                "{spelling} is ambiguous"
            );
            assert_eq!(
                calibres.keys.get(&key).map(String::as_str),
                Some(*canonical),
                "{spelling} does not resolve to {canonical}"
            );
        }
    }
    for (canonical, spellings) in TYPE_SPELLINGS {
        for spelling in spellings {
            assert_eq!(
                types.keys.get(&type_key(spelling)).map(String::as_str),
                Some(*canonical),
                "{spelling} is not a synonym of {canonical}"
            );
        }
    }
    // And every generated value, clean or messy.
    for kind in [
        MessageKind::Record,
        MessageKind::Search,
        MessageKind::TraceRequest,
    ] {
        let mut o = options(kind, 2000, 3);
        o.messy_rate = 0.6;
        let (mut messy_calibres, mut messy_types) = (0, 0);
        for message in generate(&o) {
            let firearm = firearm_of(&message).unwrap();
            if let Some(calibre) = &firearm.calibre {
                let key = calibre_key(calibre);
                assert!(!calibres.ambiguous.contains(&key), "{calibre}");
                assert!(calibres.keys.contains_key(&key), "{calibre}");
                messy_calibres += usize::from(!calibres.names.contains(calibre));
            }
            if let Some(t) = &firearm.firearm_type {
                assert!(types.keys.contains_key(&type_key(t)), "{t}");
                messy_types += usize::from(!types.types.contains(t));
            }
            if let Some(action) = &firearm.action {
                assert!(types.actions.contains(action), "{action}");
            }
            assert!(firearm.serial_key.is_none());
            assert!(firearm.calibre_as_recorded.is_none());
        }
        assert!(messy_calibres > 50, "{kind}: {messy_calibres}");
        assert!(messy_types > 50, "{kind}: {messy_types}");
    }
}

#[test]
fn countries_are_codes_or_listed_spellings() {
    let countries = countries();
    for owner in OWNERS {
        let spellings = &countries[owner.code];
        assert!(spellings.contains(owner.alpha3) && spellings.contains(owner.name));
    }
    for (code, alpha3, name, _, _) in MAKER_COUNTRIES {
        let spellings = &countries[*code];
        assert!(
            spellings.contains(*alpha3) && spellings.contains(*name),
            "{code}"
        );
    }
    let known = |value: &str| {
        countries.contains_key(value) || countries.values().any(|s| s.contains(value))
    };
    for kind in MessageKind::ALL {
        let mut o = options(kind, 1000, 5);
        o.messy_rate = 0.8;
        let mut messy = 0;
        for message in generate(&o) {
            let value = serde_json::to_value(&message).unwrap();
            let mut found = Vec::new();
            collect_countries(&value, "", &mut found);
            for (path, country) in found {
                assert!(known(&country), "{path}: {country}");
                messy += usize::from(!countries.contains_key(&country));
            }
        }
        assert!(messy > 50, "{kind}: only {messy} messy countries");
    }
}

fn collect_countries(value: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{path}.{k}");
                if k.ends_with("country") || k == "country_of_manufacture" {
                    if let Some(s) = v.as_str() {
                        out.push((p.clone(), s.to_string()));
                    }
                }
                collect_countries(v, &p, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_countries(v, &format!("{path}.{i}"), out);
            }
        }
        _ => {}
    }
}

/// Checks an ISO date (full or partial) names a real day.
fn assert_valid_date(date: &str) {
    let parts: Vec<&str> = date.split('-').collect();
    assert!(!parts.is_empty() && parts.len() <= 3, "{date}");
    let y: i32 = parts[0].parse().unwrap();
    assert!(parts[0].len() == 4 && (1900..=2030).contains(&y), "{date}");
    if let Some(m) = parts.get(1) {
        let m: u32 = m.parse().unwrap();
        assert!((1..=12).contains(&m), "{date}");
        if let Some(d) = parts.get(2) {
            let d: u32 = d.parse().unwrap();
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let days = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            assert!((1..=days).contains(&d), "{date}");
        }
    }
}

fn walk_strings(value: &serde_json::Value, path: &str, f: &mut dyn FnMut(&str, &str)) {
    match value {
        serde_json::Value::String(s) => f(path, s),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                walk_strings(v, &format!("{path}.{k}"), f);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk_strings(v, &format!("{path}.{i}"), f);
            }
        }
        _ => {}
    }
}

#[test]
fn strings_are_printable_and_dates_valid() {
    for kind in MessageKind::ALL {
        for message in generate(&options(kind, 1000, 21)) {
            let value = serde_json::to_value(&message).unwrap();
            walk_strings(&value, "", &mut |path, s| {
                assert!(!s.is_empty(), "{path} empty");
                assert!(!s.chars().any(char::is_control), "{path}: {s:?}");
                assert_eq!(s.trim(), s, "{path}: {s:?}");
                if path.ends_with(".date") || path.ends_with("due_date") {
                    assert_valid_date(s);
                    assert!(s[..4] <= *"2025", "{path}: {s}");
                }
                if path.ends_with("_at") {
                    assert_valid_date(&s[..10]);
                    assert!(s[..4] <= *"2025", "{path}: {s}");
                }
            });
        }
    }
    // Calendar arithmetic round-trips over the whole range used.
    let mut day = Date::new(1920, 1, 1);
    while day < Date::new(2030, 1, 1) {
        assert_valid_date(&day.iso());
        let next = day.add_days(1);
        assert_eq!(next.day_number(), day.day_number() + 1);
        assert!(next > day);
        day = next;
    }
    assert_eq!(Date::new(1970, 1, 1).day_number(), 0);
    assert_eq!(Date::new(2024, 2, 28).add_days(1), Date::new(2024, 2, 29));
    assert_eq!(Date::new(2023, 2, 28).add_days(1), Date::new(2023, 3, 1));
}

#[test]
fn records_are_realistic() {
    let mut statuses = BTreeMap::new();
    let (mut partial_dates, mut markings, mut imports, mut years, mut barrels) = (0, 0, 0, 0, 0);
    let (mut updates, mut cancels, mut ifrt) = (0, 0, 0);
    let mut ids = BTreeSet::new();
    let n = 2000;
    let mut o = options(MessageKind::Record, n, 13);
    o.messy_rate = 0.0;
    for message in generate(&o) {
        let Message::Record(r) = message else {
            panic!("not a record")
        };
        assert_eq!(r.header.correlation_id, r.header.message_id);
        assert!(r.record_id.starts_with(&format!("{}-", r.owner_agency)));
        assert!(r.owner_agency.starts_with(&r.owner_country));
        assert!(ids.insert(r.record_id.clone()), "duplicate {}", r.record_id);
        match r.action {
            RecordAction::Create => assert_eq!(r.version, 1),
            RecordAction::Update => {
                updates += 1;
                assert!((2..=4).contains(&r.version));
            }
            RecordAction::Cancel => {
                cancels += 1;
                assert!((2..=4).contains(&r.version));
            }
        }
        *statuses.entry(format!("{:?}", r.event.status)).or_insert(0) += 1;
        let date = r.event.date.as_deref().unwrap();
        partial_dates += usize::from(date.len() < 10);
        let event_year: i32 = date[..4].parse().unwrap();
        assert!((2015..=2025).contains(&event_year));
        if let Some(year) = r.firearm.year_of_manufacture {
            years += 1;
            assert!(year <= event_year);
        }
        markings += usize::from(!r.firearm.markings.is_empty());
        imports += usize::from(r.firearm.import_marking.is_some());
        barrels += usize::from(r.firearm.barrel_length_mm.is_some());
        ifrt += usize::from(r.firearm.ifrt_reference.is_some());
        assert!(r.firearm.make.is_some());
    }
    let n = n as usize;
    let share = |x: usize| x as f64 / n as f64;
    assert!(
        (0.05..0.15).contains(&share(partial_dates)),
        "{partial_dates}"
    );
    assert!((0.2..0.4).contains(&share(markings)), "{markings}");
    assert!((0.1..0.3).contains(&share(imports)), "{imports}");
    assert!((0.4..0.6).contains(&share(years)), "{years}");
    assert!((0.2..0.4).contains(&share(barrels)), "{barrels}");
    assert!(ifrt > 0 && updates > 0 && cancels > 0);
    for status in [
        "Stolen",
        "Lost",
        "Seized",
        "Found",
        "Trafficked",
        "Smuggled",
        "Surrendered",
    ] {
        assert!(
            statuses.get(status).copied().unwrap_or(0) > 20,
            "{status}: {statuses:?}"
        );
    }
    assert!(GUNS.len() >= 40);
    assert!(OWNERS.len() >= 15);
}

#[test]
fn searches_and_hits_are_coherent() {
    for message in generate(&options(MessageKind::Search, 500, 17)) {
        let Message::Search(s) = message else {
            panic!("not a search")
        };
        assert_eq!(s.header.correlation_id, s.header.message_id);
        assert!(s.firearm.serial_number.is_some());
        assert!(s.firearm.make.is_some());
        assert!(s.firearm.calibre.is_some());
        assert!(s.requested_at.is_some());
    }
    for message in generate(&options(MessageKind::HitNotification, 500, 17)) {
        let Message::HitNotification(h) = message else {
            panic!("not a hit")
        };
        assert_ne!(h.header.correlation_id, h.header.message_id);
        assert!(!h.match_summary.fields.is_empty());
        let all = ["serial_key", "make", "calibre"]
            .iter()
            .all(|f| h.match_summary.fields.iter().any(|x| x == f));
        assert_eq!(all, h.match_summary.kind == MatchKind::Exact);
    }
}

#[test]
fn trace_requests_are_coherent() {
    let mut o = options(MessageKind::TraceRequest, 1000, 19);
    o.messy_rate = 0.0;
    for message in generate(&o) {
        let Message::TraceRequest(t) = message else {
            panic!("not a trace request")
        };
        assert_eq!(t.header.correlation_id, t.header.message_id);
        assert_ne!(t.requesting_country, t.requested_country);
        assert!(!t.questions.is_empty());
        let unique: BTreeSet<String> = t.questions.iter().map(|q| format!("{q:?}")).collect();
        assert_eq!(unique.len(), t.questions.len());
        let seized = t.seizure.date.as_deref().unwrap();
        let due = t.due_date.as_deref().unwrap();
        assert!(due > seized, "{due} <= {seized}");
        if let Some(contact) = &t.contact {
            if let Some(email) = &contact.email {
                assert!(
                    email.ends_with(".example.org") && email.is_ascii(),
                    "{email}"
                );
            }
        }
    }
}

#[test]
fn trace_responses_are_coherent() {
    let mut outcomes = BTreeMap::new();
    for message in generate(&options(MessageKind::TraceResponse, 1000, 23)) {
        let Message::TraceResponse(r) = message else {
            panic!("not a trace response")
        };
        assert_ne!(r.header.correlation_id, r.header.message_id);
        *outcomes.entry(format!("{:?}", r.outcome)).or_insert(0) += 1;
        match r.outcome {
            TraceOutcome::Traced | TraceOutcome::PartiallyTraced => {
                assert!((2..=5).contains(&r.custody_chain.len()));
                assert_eq!(r.custody_chain[0].event, CustodyEventKind::Manufactured);
                let dates: Vec<&str> = r
                    .custody_chain
                    .iter()
                    .map(|e| e.date.as_deref().unwrap())
                    .collect();
                assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
                assert!(*dates.last().unwrap() <= &r.responded_at[..10]);
            }
            TraceOutcome::NotFound | TraceOutcome::Declined => {
                assert!(r.custody_chain.is_empty());
                assert!(r.diversion_point.is_none());
            }
        }
    }
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
}

#[test]
fn messy_rate_bounds() {
    let mut o = options(MessageKind::Record, 300, 29);
    o.messy_rate = 0.0;
    let countries = countries();
    for message in generate(&o) {
        let Message::Record(r) = message else {
            panic!("not a record")
        };
        assert!(countries.contains_key(&r.owner_country));
    }
    for rate in [f64::NAN, -1.0, 2.0] {
        o.messy_rate = rate;
        assert_eq!(generate(&o).count(), 300);
    }
}

/// 200 000 records stream through without being collected; the stream's
/// own state is a few hundred bytes whatever the count.
#[test]
fn large_streams_use_constant_memory() {
    assert!(std::mem::size_of::<SampleStream>() < 512);
    let stream = generate(&options(MessageKind::Record, 200_000, 31));
    let mut n = 0u64;
    let mut last = None;
    for message in stream {
        n += 1;
        last = Some(message);
    }
    assert_eq!(n, 200_000);
    let Some(Message::Record(r)) = last else {
        panic!("no last record")
    };
    assert!(r.record_id.ends_with("-200000"), "{}", r.record_id);
}
