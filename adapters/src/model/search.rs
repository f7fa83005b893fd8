use serde::{Deserialize, Serialize};

use super::{Firearm, Header};

/// "Is this firearm recorded anywhere?": a check of a seized or found firearm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Search {
    pub header: Header,
    pub search_id: String,
    pub searching_country: String,
    pub searching_agency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_reference: Option<String>,
    pub firearm: Firearm,
    /// RFC 3339 timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<String>,
}
