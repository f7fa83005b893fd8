//! The canonical interchange model, version 1 (see `docs/model.md` and domain.md §3).
//!
//! Code-list fields (countries, calibre, firearm type and action, dates) are plain
//! strings here on purpose: decoders accept what registries actually send
//! ("SRB", "9mm Para", "Pistole", "2024-3") and the normaliser turns it into the
//! canonical code, reporting what it cannot. The JSON Schemas then enforce the
//! canonical form. Closed vocabularies that need no synonyms are Rust enums.

mod firearm;
mod header;
mod hit;
mod record;
mod search;
mod trace;

pub use firearm::{Firearm, ImportMarking, Marking, Serial, SerialPart, SerialState};
pub use header::{Header, QualityFlag, SCHEMA_VERSION};
pub use hit::{HitNotification, MatchKind, MatchSummary, RecordRef};
pub use record::{Event, FirearmRecord, Place, RecordAction, RecordStatus};
pub use search::Search;
pub use trace::{
    Contact, CustodyEvent, CustodyEventKind, DiversionPoint, Seizure, TraceOutcome, TracePriority,
    TraceQuestion, TraceRequest, TraceResponse,
};

use serde::{Deserialize, Serialize};

/// Every canonical message kind. The serde tag `kind` names it in JSON; the XML
/// codec uses it as the element name and the CSV codec as a column.
// The variants are of the same order of size (a trace request is the largest);
// boxing them would add an allocation per message for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    Record(FirearmRecord),
    Search(Search),
    HitNotification(HitNotification),
    TraceRequest(TraceRequest),
    TraceResponse(TraceResponse),
}

/// The message kinds, for schema lookup, CLI arguments and routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageKind {
    Record,
    Search,
    HitNotification,
    TraceRequest,
    TraceResponse,
}

impl MessageKind {
    pub const ALL: [MessageKind; 5] = [
        MessageKind::Record,
        MessageKind::Search,
        MessageKind::HitNotification,
        MessageKind::TraceRequest,
        MessageKind::TraceResponse,
    ];

    /// The tag used in JSON (`kind`), as the XML element name and as the CSV `kind` column.
    pub fn tag(self) -> &'static str {
        match self {
            MessageKind::Record => "record",
            MessageKind::Search => "search",
            MessageKind::HitNotification => "hit_notification",
            MessageKind::TraceRequest => "trace_request",
            MessageKind::TraceResponse => "trace_response",
        }
    }

    /// Accepts the tag or its hyphenated CLI spelling (`trace-request`).
    pub fn from_tag(tag: &str) -> Option<MessageKind> {
        let tag = tag.replace('-', "_");
        MessageKind::ALL.into_iter().find(|k| k.tag() == tag)
    }
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

impl Message {
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Record(_) => MessageKind::Record,
            Message::Search(_) => MessageKind::Search,
            Message::HitNotification(_) => MessageKind::HitNotification,
            Message::TraceRequest(_) => MessageKind::TraceRequest,
            Message::TraceResponse(_) => MessageKind::TraceResponse,
        }
    }

    pub fn header(&self) -> &Header {
        match self {
            Message::Record(m) => &m.header,
            Message::Search(m) => &m.header,
            Message::HitNotification(m) => &m.header,
            Message::TraceRequest(m) => &m.header,
            Message::TraceResponse(m) => &m.header,
        }
    }

    pub fn header_mut(&mut self) -> &mut Header {
        match self {
            Message::Record(m) => &mut m.header,
            Message::Search(m) => &mut m.header,
            Message::HitNotification(m) => &mut m.header,
            Message::TraceRequest(m) => &mut m.header,
            Message::TraceResponse(m) => &mut m.header,
        }
    }

    /// The firearm description carried by records, searches and trace requests.
    pub fn firearm_mut(&mut self) -> Option<&mut Firearm> {
        match self {
            Message::Record(m) => Some(&mut m.firearm),
            Message::Search(m) => Some(&mut m.firearm),
            Message::TraceRequest(m) => Some(&mut m.firearm),
            Message::HitNotification(_) | Message::TraceResponse(_) => None,
        }
    }
}
