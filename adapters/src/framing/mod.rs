//! Framing: how a byte stream splits into records, independent of how one record
//! is read (that is [`crate::format`]). As in Vector's codecs, a framer yields
//! frames with their position; a broken frame is a record error, broken framing
//! (the stream cannot be split any further) is fatal.

pub mod cancel;
pub mod csv_lines;
mod cursor;
pub mod json_records;
pub mod lines;
pub mod position;
pub mod xml_elements;

pub use json_records::JsonRecordFramer;
pub use lines::LineFramer;
pub use position::TextPosition;
pub use xml_elements::{XmlElement, XmlElementFramer, XmlNode};

/// One record's bytes and where they start in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteFrame {
    pub bytes: Vec<u8>,
    /// 0-based index of the frame in the stream.
    pub index: u64,
    pub start: TextPosition,
}

/// Checks a frame is UTF-8 and reports the byte offset of the first bad byte.
pub fn frame_text(frame: &ByteFrame) -> Result<&str, crate::error::RecordError> {
    std::str::from_utf8(&frame.bytes).map_err(|e| {
        let offset = frame.start.byte_offset + e.valid_up_to() as u64;
        crate::error::RecordError::new(
            crate::error::ErrorCode::Encoding,
            format!("invalid UTF-8 at byte offset {offset}"),
        )
        .at(crate::error::Location {
            record: Some(frame.index + 1),
            byte_offset: Some(offset),
            ..frame.start.location()
        })
    })
}
