use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The canonical model version this build reads and writes.
pub const SCHEMA_VERSION: &str = "1.0";

/// Identity carried by every message: its own id, the id of the conversation it
/// belongs to (a response names the request it answers through it), the model
/// version, and data-quality flags raised while normalising.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub message_id: Uuid,
    pub correlation_id: Uuid,
    #[serde(default = "default_schema_version")]
    pub schema_version: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<QualityFlag>,
}

fn default_schema_version() -> String {
    SCHEMA_VERSION.to_string()
}

impl Header {
    /// A fresh header whose correlation id is its own message id (the start of a conversation).
    pub fn new(message_id: Uuid) -> Header {
        Header {
            message_id,
            correlation_id: message_id,
            schema_version: SCHEMA_VERSION.to_string(),
            flags: Vec::new(),
        }
    }
}

/// A value kept as recorded but worth a human look: a historic country code, an
/// ambiguous calibre. Flags never reject a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityFlag {
    /// Dotted path of the flagged field, e.g. `firearm.calibre`.
    pub field: String,
    /// Stable code: `historic_country`, `ambiguous_calibre`, `related_calibre`.
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
