//! Matching a search (or a trace request's firearm) against the register, and the
//! hit notifications a match produces (domain.md §3 and §5).
//!
//! Candidates (issue 15: any serial of a search against any serial of a
//! record): active records with a serial whose key equals one of the search's
//! ([`serial_key`](iarms_adapters::normalise::serial::serial_key)), whose
//! NCIC-tolerant key equals one of the search's (letters between digits
//! ignored, `O` read as zero), whose key fills a searched pattern ("31?407"),
//! or whose pattern a searched key fills. Nothing else selects a candidate: a
//! make or a calibre alone is far too broad, and a search without a usable
//! serial (absent, empty, a placeholder, a pattern with fewer than four known
//! characters, or a state of illegible, obliterated or absent) matches nothing
//! and says so. An illegible, obliterated or absent serial never hits on serial.
//!
//! Classification of each candidate ([`classify`]), the best serial pair first:
//! - `serial_key`: two serial keys are equal;
//! - `tolerant_serial_key`: only the tolerant keys are equal;
//! - `serial_pattern`: a key fills a pattern (either side's); the summary
//!   carries the pattern and the match is never exact;
//! - `make`: the canonical makes (`make_canonical`, from the make reference)
//!   when both sides have one, else the makes as recorded after [`fold_key`];
//! - `model`, `firearm_type`: present on both sides and equal after
//!   [`fold_key`] (case, spacing and accents ignored);
//! - `calibre`: the canonical calibre present on both sides and equal after
//!   [`fold_key`]; an ambiguous calibre (no canonical name) never agrees.
//!
//! `exact` when `serial_key`, `make` and `calibre` all agree; `partial` otherwise,
//! with the agreed fields in that order: serial_key, tolerant_serial_key,
//! serial_pattern, make, calibre, model, firearm_type.

use iarms_adapters::codes::fold_key;
use iarms_adapters::model::{
    Firearm, Header, HitNotification, MatchKind, MatchSummary, RecordRef, Search,
};
use iarms_adapters::normalise::serial::pattern;
use serde::Serialize;
use uuid::Uuid;

use super::register::{FirearmKeys, Register, RegisteredRecord};
use crate::store::StoreError;

pub const FIELD_SERIAL_KEY: &str = "serial_key";
pub const FIELD_TOLERANT_SERIAL_KEY: &str = "tolerant_serial_key";
pub const FIELD_SERIAL_PATTERN: &str = "serial_pattern";
pub const FIELD_MAKE: &str = "make";
pub const FIELD_CALIBRE: &str = "calibre";
pub const FIELD_MODEL: &str = "model";
pub const FIELD_FIREARM_TYPE: &str = "firearm_type";

/// The namespace of the hub's deterministic hit notification ids (UUID v5).
pub const HIT_NAMESPACE: Uuid = Uuid::from_u128(0x5d0c_4a4e_8f1b_4b8e_9a3e_1f2d_7c6b_a9e1);

/// One matched record and how it matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub record: RegisteredRecord,
    pub summary: MatchSummary,
}

impl Hit {
    pub fn record_ref(&self) -> RecordRef {
        let r = &self.record.record;
        RecordRef {
            owner_country: r.owner_country.clone(),
            owner_agency: r.owner_agency.clone(),
            record_id: r.record_id.clone(),
        }
    }
}

/// Why a search matched nothing without looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoMatchReason {
    /// No usable serial number: absent, empty once reduced to its key, a
    /// placeholder, a pattern with fewer than four known characters, or marked
    /// illegible, obliterated or absent. Make, model and calibre alone never
    /// select a record.
    NoSerial,
}

/// The result of matching one firearm description.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchReport {
    /// Exact hits first, then partial ones; each group by owner and record id.
    pub hits: Vec<Hit>,
    /// Set when the search could not be matched at all.
    pub no_match: Option<NoMatchReason>,
}

/// How the best pair of serials agreed.
enum SerialAgreement {
    Key,
    Tolerant,
    Pattern(String),
}

/// The best agreement between any serial of one side and any of the other.
fn serial_agreement(s: &FirearmKeys, r: &FirearmKeys) -> Option<SerialAgreement> {
    let pairs = || {
        s.serials
            .iter()
            .flat_map(|a| r.serials.iter().map(move |b| (a, b)))
    };
    if pairs().any(|(a, b)| a.key.is_some() && a.key == b.key) {
        return Some(SerialAgreement::Key);
    }
    if pairs().any(|(a, b)| a.tolerant.is_some() && a.tolerant == b.tolerant) {
        return Some(SerialAgreement::Tolerant);
    }
    let fills = |p: &Option<String>, k: &Option<String>| match (p, k) {
        (Some(p), Some(k)) => pattern::known(p) >= pattern::MIN_KNOWN && pattern::matches(p, k),
        _ => false,
    };
    pairs().find_map(|(a, b)| {
        if fills(&a.pattern, &b.key) {
            a.pattern.clone().map(SerialAgreement::Pattern)
        } else if fills(&b.pattern, &a.key) {
            b.pattern.clone().map(SerialAgreement::Pattern)
        } else {
            None
        }
    })
}

/// Compares a searched firearm with a recorded one. `None` when no pair of
/// serials agrees (not a candidate, whatever else agrees).
pub fn classify(searched: &Firearm, recorded: &Firearm) -> Option<MatchSummary> {
    let s = FirearmKeys::of(searched);
    let r = FirearmKeys::of(recorded);
    let agreement = serial_agreement(&s, &r)?;
    let serial = matches!(agreement, SerialAgreement::Key);
    let tolerant = matches!(agreement, SerialAgreement::Tolerant);
    let serial_pattern = match agreement {
        SerialAgreement::Pattern(p) => Some(p),
        _ => None,
    };
    // Canonical makes when both sides have one ("S&W" = "Smith & Wesson"),
    // else the recorded makes after folding.
    let make = match (&searched.make_canonical, &recorded.make_canonical) {
        (Some(a), Some(b)) => a == b,
        _ => s.make.is_some() && s.make == r.make,
    };
    let calibre = folded_agree(&searched.calibre, &recorded.calibre);
    let model = folded_agree(&searched.model, &recorded.model);
    let firearm_type = folded_agree(&searched.firearm_type, &recorded.firearm_type);
    let fields: Vec<String> = [
        (serial, FIELD_SERIAL_KEY),
        (tolerant, FIELD_TOLERANT_SERIAL_KEY),
        (serial_pattern.is_some(), FIELD_SERIAL_PATTERN),
        (make, FIELD_MAKE),
        (calibre, FIELD_CALIBRE),
        (model, FIELD_MODEL),
        (firearm_type, FIELD_FIREARM_TYPE),
    ]
    .into_iter()
    .filter(|(agreed, _)| *agreed)
    .map(|(_, name)| name.to_string())
    .collect();
    let kind = if serial && make && calibre {
        MatchKind::Exact
    } else {
        MatchKind::Partial
    };
    Some(MatchSummary {
        kind,
        fields,
        serial_pattern,
    })
}

fn folded_agree(a: &Option<String>, b: &Option<String>) -> bool {
    match (a.as_deref().map(fold_key), b.as_deref().map(fold_key)) {
        (Some(a), Some(b)) => !a.is_empty() && a == b,
        _ => false,
    }
}

/// Finds and classifies the records a firearm description matches.
pub async fn find_matches(
    register: &Register,
    firearm: &Firearm,
) -> Result<MatchReport, StoreError> {
    let keys = FirearmKeys::of(firearm);
    if !keys.searchable() {
        return Ok(MatchReport {
            hits: Vec::new(),
            no_match: Some(NoMatchReason::NoSerial),
        });
    }
    let mut hits: Vec<Hit> = register
        .candidates(&keys)
        .await?
        .into_iter()
        .filter_map(|record| {
            classify(firearm, &record.record.firearm).map(|summary| Hit { record, summary })
        })
        .collect();
    // Candidates come ordered by owner and record id; a stable sort keeps that
    // order within each kind.
    hits.sort_by_key(|hit| hit.summary.kind != MatchKind::Exact);
    Ok(MatchReport {
        hits,
        no_match: None,
    })
}

/// The deterministic id of the hit notification about `record` for `search_id`
/// (scoped by the searching country) sent to `recipient_country`: a re-run of the
/// same search produces the same ids, which the store recognises as duplicates.
pub fn hit_message_id(
    searching_country: &str,
    search_id: &str,
    record: &RecordRef,
    recipient_country: &str,
) -> Uuid {
    let name = serde_json::json!([
        "hit",
        searching_country,
        search_id,
        record.owner_country,
        record.owner_agency,
        record.record_id,
        recipient_country,
    ])
    .to_string();
    Uuid::new_v5(&HIT_NAMESPACE, name.as_bytes())
}

/// A hit notification with the country it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressedHit {
    pub recipient_country: String,
    pub notification: HitNotification,
}

/// The notifications for one hit: one to the searching country and one to the
/// record's owner country (a single one when they are the same country). Their
/// correlation id is the search's message id; `notified_at` is RFC 3339.
pub fn hit_notifications(search: &Search, hit: &Hit, notified_at: &str) -> Vec<AddressedHit> {
    let record = hit.record_ref();
    let mut recipients = vec![search.searching_country.clone()];
    if !record
        .owner_country
        .eq_ignore_ascii_case(&search.searching_country)
    {
        recipients.push(record.owner_country.clone());
    }
    recipients
        .into_iter()
        .map(|recipient_country| {
            let message_id = hit_message_id(
                &search.searching_country,
                &search.search_id,
                &record,
                &recipient_country,
            );
            let mut header = Header::new(message_id);
            header.correlation_id = search.header.message_id;
            AddressedHit {
                notification: HitNotification {
                    header,
                    search_id: search.search_id.clone(),
                    searching_country: search.searching_country.clone(),
                    matched_record: record.clone(),
                    match_summary: hit.summary.clone(),
                    notified_at: notified_at.to_string(),
                },
                recipient_country,
            }
        })
        .collect()
}

#[cfg(test)]
mod unit {
    use super::*;

    fn firearm(serial: &str, make: &str, calibre: &str) -> Firearm {
        Firearm {
            serial_number: Some(serial.to_string()),
            make: Some(make.to_string()),
            calibre: Some(calibre.to_string()),
            ..Firearm::default()
        }
    }

    fn fields(summary: &MatchSummary) -> Vec<&str> {
        summary.fields.iter().map(String::as_str).collect()
    }

    #[test]
    fn exact_needs_serial_make_and_calibre() {
        let recorded = firearm("M70-1234", "Zastava", "7.62x39mm");
        let summary =
            classify(&firearm("m70 1234", " zástava ", "7.62X39MM"), &recorded).expect("candidate");
        assert_eq!(summary.kind, MatchKind::Exact);
        assert_eq!(fields(&summary), ["serial_key", "make", "calibre"]);
    }

    #[test]
    fn partial_lists_what_agreed() {
        let recorded = Firearm {
            model: Some("M70AB2".to_string()),
            firearm_type: Some("assault_rifle".to_string()),
            ..firearm("1234", "Zastava", "7.62x39mm")
        };
        let searched = Firearm {
            model: Some("m70ab2".to_string()),
            firearm_type: Some("rifle".to_string()),
            ..firearm("12A34", "Zastava", "7.62x39mm")
        };
        let summary = classify(&searched, &recorded).expect("candidate");
        assert_eq!(summary.kind, MatchKind::Partial);
        assert_eq!(
            fields(&summary),
            ["tolerant_serial_key", "make", "calibre", "model"]
        );

        let summary = classify(&firearm("1234", "Glock", "9x19mm"), &recorded).expect("candidate");
        assert_eq!(summary.kind, MatchKind::Partial);
        assert_eq!(fields(&summary), ["serial_key"]);
    }

    #[test]
    fn letter_o_reads_as_zero() {
        let summary = classify(
            &firearm("AO412345", "Beretta", "9x19mm"),
            &firearm("A0412345", "Beretta", "9x19mm"),
        )
        .expect("candidate");
        assert_eq!(summary.kind, MatchKind::Partial);
        assert_eq!(fields(&summary), ["tolerant_serial_key", "make", "calibre"]);
    }

    #[test]
    fn no_serial_agreement_is_no_candidate() {
        let recorded = firearm("1234", "Zastava", "7.62x39mm");
        assert_eq!(
            classify(&firearm("9999", "Zastava", "7.62x39mm"), &recorded),
            None
        );
        let no_serial = Firearm {
            serial_number: None,
            ..recorded.clone()
        };
        assert_eq!(classify(&no_serial, &recorded), None);
    }

    #[test]
    fn ambiguous_calibre_never_agrees() {
        let recorded = Firearm {
            calibre: None,
            calibre_as_recorded: Some("9mm".to_string()),
            ..firearm("1234", "CZ", "x")
        };
        let searched = recorded.clone();
        let summary = classify(&searched, &recorded).expect("candidate");
        assert_eq!(summary.kind, MatchKind::Partial);
        assert_eq!(fields(&summary), ["serial_key", "make"]);
    }

    #[test]
    fn hit_ids_are_deterministic_and_distinct() {
        let record = RecordRef {
            owner_country: "RS".to_string(),
            owner_agency: "MUP".to_string(),
            record_id: "R1".to_string(),
        };
        let a = hit_message_id("BR", "S1", &record, "BR");
        assert_eq!(a, hit_message_id("BR", "S1", &record, "BR"));
        assert_ne!(a, hit_message_id("BR", "S1", &record, "RS"));
        assert_ne!(a, hit_message_id("BR", "S2", &record, "BR"));
        assert_eq!(a.get_version_num(), 5);
    }

    #[test]
    fn canonical_makes_agree_when_both_sides_have_one() {
        let mut searched = firearm("A1", "S&W", "9x19mm");
        let mut recorded = firearm("A1", "Smith & Wesson", "9x19mm");
        // Without canonical makes the recorded texts differ: partial.
        let summary = classify(&searched, &recorded).unwrap();
        assert_eq!(summary.kind, MatchKind::Partial);
        searched.make_canonical = Some("Smith & Wesson".to_string());
        recorded.make_canonical = Some("Smith & Wesson".to_string());
        let summary = classify(&searched, &recorded).unwrap();
        assert_eq!(summary.kind, MatchKind::Exact);
        assert_eq!(fields(&summary), ["serial_key", "make", "calibre"]);
        // Different canonical makes disagree even when the texts fold equal.
        let mut a = firearm("A1", "Arms", "9x19mm");
        let mut b = firearm("A1", "Arms", "9x19mm");
        a.make_canonical = Some("Glock".to_string());
        b.make_canonical = Some("Beretta".to_string());
        assert_eq!(classify(&a, &b).unwrap().kind, MatchKind::Partial);
        // One side without a canonical make: the folded texts decide.
        a.make_canonical = None;
        assert_eq!(classify(&a, &b).unwrap().kind, MatchKind::Exact);
    }
}
