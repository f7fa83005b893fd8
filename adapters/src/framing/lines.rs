//! Newline-delimited framing (NDJSON): one record per line, blank lines skipped,
//! `\r\n` accepted. A line over the record limit is skipped to its end and
//! reported, so one bad line never costs the rest of the stream.

use std::io::BufRead;

use super::{ByteFrame, TextPosition};
use crate::error::{ErrorCode, RecordError};
use crate::limits::Limits;

pub struct LineFramer<R> {
    reader: R,
    line: u64,
    byte_offset: u64,
    index: u64,
    limits: Limits,
    done: bool,
}

impl<R: BufRead> LineFramer<R> {
    pub fn new(reader: R, limits: Limits) -> LineFramer<R> {
        LineFramer {
            reader,
            line: 0,
            byte_offset: 0,
            index: 0,
            limits,
            done: false,
        }
    }

    /// Reads one line into `out`, keeping at most the limit; returns (bytes read, ended).
    fn read_line(&mut self, out: &mut Vec<u8>) -> std::io::Result<(u64, bool)> {
        let mut total = 0u64;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok((total, total > 0));
            }
            let (chunk, found) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (available.get(..=i).unwrap_or(available), true),
                None => (available, false),
            };
            let room = (self.limits.max_record_bytes + 2).saturating_sub(out.len());
            out.extend_from_slice(chunk.get(..room).unwrap_or(chunk));
            let used = chunk.len();
            total += used as u64;
            self.reader.consume(used);
            if found {
                return Ok((total, true));
            }
        }
    }
}

impl<R: BufRead> Iterator for LineFramer<R> {
    type Item = Result<ByteFrame, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let mut bytes = Vec::new();
            let start_offset = self.byte_offset;
            let (read, _) = match self.read_line(&mut bytes) {
                Ok(r) => r,
                Err(e) => {
                    self.done = true;
                    return Some(Err(RecordError::io(&e)));
                }
            };
            if read == 0 {
                self.done = true;
                return None;
            }
            self.line += 1;
            self.byte_offset += read;
            if start_offset == 0 && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bytes.drain(..3);
            }
            while matches!(bytes.last(), Some(b'\n' | b'\r')) {
                bytes.pop();
            }
            let start = TextPosition {
                line: self.line,
                column: 1,
                byte_offset: start_offset,
            };
            if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let index = self.index;
            self.index += 1;
            if bytes.len() > self.limits.max_record_bytes {
                let mut location = start.location();
                location.record = Some(index + 1);
                return Some(Err(RecordError::new(
                    ErrorCode::Limit,
                    format!(
                        "line longer than the record limit of {} bytes",
                        self.limits.max_record_bytes
                    ),
                )
                .at(location)));
            }
            return Some(Ok(ByteFrame {
                bytes,
                index,
                start,
            }));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_skips_blank_and_tracks_positions() {
        let input = b"{\"a\":1}\r\n\n  \n{\"b\":2}";
        let frames: Vec<_> = LineFramer::new(&input[..], Limits::default())
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].bytes, b"{\"a\":1}");
        assert_eq!(frames[1].start.line, 4);
        assert_eq!(frames[1].start.byte_offset, 13);
        assert_eq!(frames[1].index, 1);
    }

    #[test]
    fn overlong_line_is_a_record_error_and_the_stream_goes_on() {
        let limits = Limits {
            max_record_bytes: 8,
            ..Limits::default()
        };
        let input = b"{\"a\":\"0123456789\"}\n{}\n";
        let results: Vec<_> = LineFramer::new(&input[..], limits).collect();
        assert_eq!(results.len(), 2);
        let err = results[0].clone().err().map(|e| e.code);
        assert_eq!(err, Some(ErrorCode::Limit));
        assert!(results[1].is_ok());
    }
}
