//! Text encodings of CSV sources: reading any encoding_rs encoding as UTF-8
//! (streaming, through `encoding_rs_io`), and writing UTF-8 text back in the
//! declared encoding.
//!
//! UTF-8 input passes through untouched (a byte order mark is skipped); a
//! UTF-16 byte order mark is honoured whatever the declared encoding, since it
//! cannot be mistaken for text.

use std::io::{BufRead, Read, Write};

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// A reader of UTF-8 text decoded from `encoding`.
pub fn decoding_reader<'a>(
    mut input: Box<dyn BufRead + 'a>,
    encoding: &'static Encoding,
) -> std::io::Result<Box<dyn Read + 'a>> {
    let head = loop {
        match input.fill_buf() {
            Ok(buf) => {
                break buf
                    .get(..3.min(buf.len()))
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default()
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    let utf16_bom = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if encoding == UTF_8 && !utf16_bom {
        if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            input.consume(3);
        }
        return Ok(Box::new(input));
    }
    let reader = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .strip_bom(true)
        .build(input);
    Ok(Box::new(reader))
}

/// True when every character of `text` can be written in `encoding`.
pub fn can_encode(encoding: &'static Encoding, text: &str) -> bool {
    if text.is_ascii() || encoding == UTF_8 || encoding == UTF_16LE || encoding == UTF_16BE {
        return true;
    }
    let (_, _, had_errors) = encoding.encode(text);
    !had_errors
}

/// The byte order mark of an encoding, for writing.
pub fn bom(encoding: &'static Encoding) -> &'static [u8] {
    if encoding == UTF_8 {
        &[0xEF, 0xBB, 0xBF]
    } else if encoding == UTF_16LE {
        &[0xFF, 0xFE]
    } else if encoding == UTF_16BE {
        &[0xFE, 0xFF]
    } else {
        &[]
    }
}

/// Takes UTF-8 bytes and writes them in `encoding` (a character split across
/// two writes is held back until it is complete).
pub struct EncodingWriter<W: Write> {
    inner: W,
    encoding: &'static Encoding,
    encoder: encoding_rs::Encoder,
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl<W: Write> EncodingWriter<W> {
    pub fn new(inner: W, encoding: &'static Encoding) -> EncodingWriter<W> {
        EncodingWriter {
            inner,
            encoding,
            encoder: encoding.new_encoder(),
            pending: Vec::new(),
            out: Vec::new(),
        }
    }

    fn encode(&mut self, text: &str, last: bool) -> std::io::Result<()> {
        self.out.clear();
        if self.encoding == UTF_16LE || self.encoding == UTF_16BE {
            for unit in text.encode_utf16() {
                let bytes = if self.encoding == UTF_16LE {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                };
                self.out.extend_from_slice(&bytes);
            }
        } else {
            let mut rest = text;
            loop {
                let needed = self
                    .encoder
                    .max_buffer_length_from_utf8_without_replacement(rest.len())
                    .unwrap_or(rest.len() * 4 + 16);
                self.out.reserve(needed);
                let (result, read) = self.encoder.encode_from_utf8_to_vec_without_replacement(
                    rest,
                    &mut self.out,
                    last,
                );
                rest = rest.get(read..).unwrap_or_default();
                match result {
                    encoding_rs::EncoderResult::InputEmpty => break,
                    encoding_rs::EncoderResult::OutputFull => continue,
                    encoding_rs::EncoderResult::Unmappable(c) => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!(
                                "character {c:?} cannot be written in {}",
                                self.encoding.name()
                            ),
                        ))
                    }
                }
            }
        }
        self.inner.write_all(&self.out)
    }

    /// Writes what a stateful encoding needs at the end, and flushes.
    pub fn finish(&mut self) -> std::io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let text = String::from_utf8_lossy(&pending).into_owned();
        self.encode(&text, true)?;
        self.inner.flush()
    }
}

impl<W: Write> Write for EncodingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("invalid UTF-8 in output: {e}"),
                ))
            }
        };
        let rest = self.pending.split_off(valid);
        let complete = std::mem::replace(&mut self.pending, rest);
        let text = String::from_utf8(complete)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
        self.encode(&text, false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], encoding: &'static Encoding) -> String {
        let mut out = String::new();
        decoding_reader(Box::new(bytes), encoding)
            .and_then(|mut r| r.read_to_string(&mut out))
            .unwrap_or_else(|e| panic!("{e}"));
        out
    }

    #[test]
    fn reads_utf8_with_and_without_bom_utf16_and_legacy_encodings() {
        assert_eq!(read_all("\u{feff}a;b".as_bytes(), UTF_8), "a;b");
        assert_eq!(read_all(b"a;b", UTF_8), "a;b");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Niš".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(read_all(&utf16, UTF_8), "Niš");
        assert_eq!(read_all(b"Ni\x9a", encoding_rs::WINDOWS_1250), "Niš");
        assert_eq!(read_all(b"S\xe3o", encoding_rs::WINDOWS_1252), "São");
    }

    #[test]
    fn writes_in_the_declared_encoding_across_split_characters() {
        let mut out = Vec::new();
        {
            let mut writer = EncodingWriter::new(&mut out, encoding_rs::WINDOWS_1250);
            let bytes = "Niš".as_bytes();
            writer
                .write_all(&bytes[..3])
                .unwrap_or_else(|e| panic!("{e}"));
            writer
                .write_all(&bytes[3..])
                .unwrap_or_else(|e| panic!("{e}"));
            writer.finish().unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(out, b"Ni\x9a");
        assert!(can_encode(encoding_rs::WINDOWS_1250, "Čačak"));
        assert!(!can_encode(encoding_rs::WINDOWS_1252, "Čačak"));
        let mut out = Vec::new();
        {
            let mut writer = EncodingWriter::new(&mut out, UTF_16LE);
            writer.write_all(b"ab").unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(out, [b'a', 0, b'b', 0]);
    }
}
