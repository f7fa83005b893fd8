use crate::error::Location;

/// A point in a text input, tracked byte by byte by the framers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPosition {
    /// 1-based line.
    pub line: u64,
    /// 1-based column in characters.
    pub column: u64,
    /// 0-based byte offset.
    pub byte_offset: u64,
}

impl Default for TextPosition {
    fn default() -> TextPosition {
        TextPosition {
            line: 1,
            column: 1,
            byte_offset: 0,
        }
    }
}

impl TextPosition {
    /// Advances over one byte. Columns count characters, so UTF-8 continuation bytes do not move them.
    #[inline]
    pub fn advance(&mut self, byte: u8) {
        self.byte_offset += 1;
        if byte == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if byte & 0xC0 != 0x80 {
            self.column += 1;
        }
    }

    pub fn location(&self) -> Location {
        Location {
            line: Some(self.line),
            column: Some(self.column),
            byte_offset: Some(self.byte_offset),
            ..Location::default()
        }
    }

    /// Position of a (line, column) reported relative to a frame starting here
    /// (serde_json reports positions inside the frame it parsed).
    pub fn offset_by(&self, line: u64, column: u64) -> TextPosition {
        if line <= 1 {
            TextPosition {
                line: self.line,
                column: self.column + column.saturating_sub(1),
                byte_offset: self.byte_offset,
            }
        } else {
            TextPosition {
                line: self.line + line - 1,
                column,
                byte_offset: self.byte_offset,
            }
        }
    }
}
