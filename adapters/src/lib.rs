//! iarms-adapters: everything about formats, nothing about networks.
//!
//! Data flows one way: bytes -> [`framing`] -> [`format`] -> canonical
//! [`model::Message`] -> [`normalise`] -> [`schema`] validation, and back out
//! through a format's encoder. The [`adapter::Adapter`] trait is the seam every
//! format, built-in or mapping-defined, plugs into.

pub mod adapter;
pub mod builtin;
pub mod codes;
pub mod error;
pub mod format;
pub mod framing;
pub mod limits;
pub mod mapping;
pub mod model;
pub mod normalise;
pub mod pipeline;
pub mod quality;
pub mod schema;

pub use adapter::{
    Adapter, Decoded, EncodeOptions, Media, MessageEncoder, MessageStream, Registry,
};
pub use error::{ErrorCode, FieldIssue, Location, RecordError};
pub use limits::Limits;
pub use model::{Message, MessageKind};
