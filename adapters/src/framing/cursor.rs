//! A byte cursor with position tracking, shared by the hand-written framers.

use std::io::Read;

use super::TextPosition;

const CHUNK: usize = 64 * 1024;

/// Reads a stream byte by byte from a fixed-size buffer, so memory stays constant
/// whatever the input size, and tracks line, column and offset as it goes.
pub struct ByteCursor<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    pub position: TextPosition,
}

impl<R: Read> ByteCursor<R> {
    pub fn new(inner: R) -> ByteCursor<R> {
        ByteCursor {
            inner,
            buf: vec![0; CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            position: TextPosition::default(),
        }
    }

    fn fill(&mut self) -> std::io::Result<bool> {
        if self.start < self.end {
            return Ok(true);
        }
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    #[inline]
    pub fn peek(&mut self) -> std::io::Result<Option<u8>> {
        if self.start < self.end || self.fill()? {
            Ok(self.buf.get(self.start).copied())
        } else {
            Ok(None)
        }
    }

    #[inline]
    pub fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
        let byte = self.peek()?;
        if let Some(b) = byte {
            self.start += 1;
            self.position.advance(b);
        }
        Ok(byte)
    }

    /// The bytes read but not yet consumed, reading more if there are none;
    /// empty only at the end of the input. Scanners that look at many bytes
    /// go through this rather than [`next_byte`](Self::next_byte), one call
    /// per byte being the cost that dominates framing.
    pub fn buffered(&mut self) -> std::io::Result<&[u8]> {
        self.fill()?;
        Ok(self.buf.get(self.start..self.end).unwrap_or_default())
    }

    /// Consumes the first `n` bytes of [`buffered`](Self::buffered).
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.position
            .advance_over(self.buf.get(self.start..self.start + n).unwrap_or_default());
        self.start += n;
    }

    /// Skips JSON whitespace (and a leading UTF-8 byte order mark at offset 0).
    pub fn skip_whitespace(&mut self) -> std::io::Result<Option<u8>> {
        if self.position.byte_offset == 0 {
            self.skip_bom()?;
        }
        while let Some(b) = self.peek()? {
            if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
                self.next_byte()?;
            } else {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    fn skip_bom(&mut self) -> std::io::Result<()> {
        if !self.fill()? {
            return Ok(());
        }
        // A BOM split across reads is so unlikely that the short-read case is ignored.
        let unread = self.buf.get(self.start..self.end).unwrap_or_default();
        if unread.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.start += 3;
            self.position.byte_offset += 3;
        }
        Ok(())
    }
}
