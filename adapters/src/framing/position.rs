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

    /// Advances over a run of bytes, as [`advance`](Self::advance) would one by one.
    pub fn advance_over(&mut self, bytes: &[u8]) {
        self.byte_offset += bytes.len() as u64;
        let characters = |run: &[u8]| run.iter().filter(|b| **b & 0xC0 != 0x80).count() as u64;
        match bytes.iter().rposition(|b| *b == b'\n') {
            Some(last) => {
                self.line += bytes.iter().filter(|b| **b == b'\n').count() as u64;
                self.column = 1 + characters(bytes.get(last + 1..).unwrap_or_default());
            }
            None => self.column += characters(bytes),
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

#[cfg(test)]
mod tests {
    use super::TextPosition;
    use proptest::prelude::*;

    proptest! {
        /// Framers move over runs and single bytes alike; both must land on the same spot.
        #[test]
        fn advancing_over_a_run_equals_advancing_byte_by_byte(
            before in proptest::collection::vec(any::<u8>(), 0..40),
            run in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(0xC3), Just(0xA9), any::<u8>()], 0..80),
        ) {
            let mut start = TextPosition::default();
            before.iter().for_each(|b| start.advance(*b));
            let mut by_byte = start;
            run.iter().for_each(|b| by_byte.advance(*b));
            let mut by_run = start;
            by_run.advance_over(&run);
            prop_assert_eq!(by_run, by_byte);
        }
    }
}
