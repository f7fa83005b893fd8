//! True line numbers for CSV rows, shared by the canonical and mapping CSV readers.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::rc::Rc;

/// Line breaks seen by the CSV reader, to give every row its true first line.
///
/// The csv crate reports a row's start as the byte after the previous row's
/// terminator began, so with CRLF line ends (and blank lines between rows)
/// its line numbers run one or more lines early. The reader below records
/// where every CR and LF is (only for the bytes read ahead, so memory stays
/// small); a row's line is then 1 + the LFs before its first byte.
#[derive(Debug, Default)]
pub struct LineBreaks {
    /// LFs before the oldest kept mark.
    lines: u64,
    /// (offset, is LF) of the CR and LF bytes read ahead.
    marks: VecDeque<(u64, bool)>,
    read: u64,
}

impl LineBreaks {
    /// The 1-based line of the first byte that is not a line break at or after `offset`.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        while let Some(&(at, lf)) = self.marks.front() {
            if at >= offset {
                break;
            }
            self.lines += u64::from(lf);
            self.marks.pop_front();
        }
        let mut lines = self.lines;
        for (start, &(at, lf)) in (offset..).zip(self.marks.iter()) {
            if at != start {
                break;
            }
            lines += u64::from(lf);
        }
        lines + 1
    }
}

/// A reader that records line breaks as the CSV reader reads ahead.
pub struct TrackLines<R> {
    inner: R,
    breaks: Rc<RefCell<LineBreaks>>,
}

impl<R> TrackLines<R> {
    pub fn new(inner: R, breaks: Rc<RefCell<LineBreaks>>) -> TrackLines<R> {
        TrackLines { inner, breaks }
    }
}

impl<R: Read> Read for TrackLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut breaks = self.breaks.borrow_mut();
        let base = breaks.read;
        for (i, b) in buf.iter().take(n).enumerate() {
            if *b == b'\n' || *b == b'\r' {
                breaks.marks.push_back((base + i as u64, *b == b'\n'));
            }
        }
        breaks.read += n as u64;
        Ok(n)
    }
}
