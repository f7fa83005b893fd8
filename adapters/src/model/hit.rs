use serde::{Deserialize, Serialize};

use super::Header;

/// A search matched a record; sent to the searcher and to the record's owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HitNotification {
    pub header: Header,
    pub search_id: String,
    pub searching_country: String,
    pub matched_record: RecordRef,
    #[serde(rename = "match")]
    pub match_summary: MatchSummary,
    /// RFC 3339 timestamp.
    pub notified_at: String,
}

/// Names a record by its owner and the owner's identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordRef {
    pub owner_country: String,
    pub owner_agency: String,
    pub record_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSummary {
    pub kind: MatchKind,
    /// Canonical field names that agreed, e.g. `serial_key`, `make`, `calibre`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// The partial serial that matched (the search's or the record's); a
    /// match on a pattern is never exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_pattern: Option<String>,
}

/// `exact` when serial_key, make and calibre agree; `partial` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Exact,
    Partial,
}
