use serde::{Deserialize, Serialize};

use super::{Firearm, Header};

/// A firearm recorded as lost, stolen, trafficked, smuggled, seized or found
/// (created), later changed (updated) or withdrawn (cancelled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirearmRecord {
    pub header: Header,
    /// The owner's identifier, unique within owner_country + owner_agency.
    pub record_id: String,
    pub owner_country: String,
    pub owner_agency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_reference: Option<String>,
    pub action: RecordAction,
    /// Increases with every update; a resend of the same version is a duplicate.
    #[serde(default = "first_version")]
    pub version: u32,
    pub firearm: Firearm,
    pub event: Event,
}

fn first_version() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordAction {
    Create,
    Update,
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Lost,
    Stolen,
    Trafficked,
    Smuggled,
    Seized,
    Found,
    Surrendered,
    Other,
}

/// What happened to the firearm, when and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub status: RecordStatus,
    /// ISO 8601 date, full (`2024-03-07`) or partial (`2024-03`, `2024`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// ISO 3166-1 alpha-2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
}
