use serde::{Deserialize, Serialize};

use super::{Firearm, Header, Place, RecordRef};

/// Country A asks country B for the history of a seized or found firearm (ITI §§14-19).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceRequest {
    pub header: Header,
    pub trace_id: String,
    pub requesting_country: String,
    pub requesting_agency: String,
    pub requested_country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<TracePriority>,
    pub firearm: Firearm,
    pub seizure: Seizure,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_record: Option<RecordRef>,
    pub questions: Vec<TraceQuestion>,
    /// The intended use of the answer, as the ITI asks the requester to state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intended_use: Option<String>,
    /// ISO 8601 date; the ITI sets no deadline, so each request carries its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TracePriority {
    Routine,
    Urgent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seizure {
    /// ISO 8601 date, full or partial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<Place>,
    /// The offence or context of the find.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circumstances: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceQuestion {
    Manufacture,
    Export,
    Import,
    LastLegalOwner,
    Sales,
}

/// The officer to contact about a trace. Personal data: never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// The requested country's answer, naming the request through `trace_id` and the
/// header's correlation id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceResponse {
    pub header: Header,
    pub trace_id: String,
    pub responding_country: String,
    pub responding_agency: String,
    pub outcome: TraceOutcome,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custody_chain: Vec<CustodyEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diversion_point: Option<DiversionPoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// RFC 3339 timestamp.
    pub responded_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceOutcome {
    Traced,
    PartiallyTraced,
    NotFound,
    Declined,
}

/// One link in the chain manufacturer -> exporter -> importer -> seller -> owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustodyEvent {
    /// ISO 8601 date, full or partial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub event: CustodyEventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// ISO 3166-1 alpha-2 where the event took place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Reference of the supporting document (licence, invoice, customs declaration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustodyEventKind {
    Manufactured,
    Exported,
    Imported,
    Sold,
    Transferred,
    Registered,
    ReportedLost,
    ReportedStolen,
}

/// Where and when the firearm left legal possession.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiversionPoint {
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}
