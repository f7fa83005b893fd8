//! Safety limits applied while reading untrusted input.

/// Bounds on what one record may be. A record over a limit is rejected with a
/// located `limit` error naming the limit; the stream goes on where it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes in one record's frame (a JSON item, an NDJSON line, an XML record element, a CSV row).
    pub max_record_bytes: usize,
    /// Nesting depth of objects, arrays or elements inside one record.
    pub max_depth: usize,
    /// Characters in one field value.
    pub max_field_chars: usize,
    /// Columns in one CSV row.
    pub max_columns: usize,
    /// Attributes on one XML element (namespace declarations not counted).
    pub max_attributes: usize,
    /// XML namespace declarations in scope at once (on an element and its
    /// ancestors): every prefixed name is resolved against them, so their
    /// number multiplies the cost of every element and attribute.
    pub max_namespace_declarations: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_record_bytes: 1024 * 1024,
            max_depth: 32,
            max_field_chars: 4096,
            max_columns: 512,
            max_attributes: 256,
            max_namespace_declarations: 64,
        }
    }
}
