//! Writing `ix:FirearmRecordExchange`: the document writer, the indented
//! fragment under construction and the text escaper.

use std::io::Write;

use crate::adapter::MessageEncoder;
use crate::error::EncodeError;
use crate::model::{Message, SCHEMA_VERSION};

use super::write_record::write_record;
use super::{FORMAT, NS_CLI, NS_EXCHANGE, NS_ISO_3166, NS_J, NS_NC, ROOT};

/// Writes `ix:FirearmRecordExchange`, one record at a time.
pub struct NiemWriter<W: Write> {
    pub(super) out: W,
    pub(super) started: bool,
}

impl<W: Write> NiemWriter<W> {
    pub fn new(out: W) -> NiemWriter<W> {
        NiemWriter {
            out,
            started: false,
        }
    }

    pub(super) fn start(&mut self) -> Result<(), EncodeError> {
        if !self.started {
            write!(
                self.out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ix:{ROOT} xmlns:ix=\"{NS_EXCHANGE}\" xmlns:nc=\"{NS_NC}\" xmlns:j=\"{NS_J}\" xmlns:iso_3166=\"{NS_ISO_3166}\" xmlns:cli=\"{NS_CLI}\" version=\"{SCHEMA_VERSION}\">\n"
            )?;
            self.started = true;
        }
        Ok(())
    }
}

impl<W: Write> MessageEncoder for NiemWriter<W> {
    fn write(&mut self, message: &Message) -> Result<(), EncodeError> {
        let Message::Record(record) = message else {
            return Err(EncodeError::Unsupported {
                kind: message.kind().to_string(),
                format: FORMAT.to_string(),
                reason: "the NIEM exchange carries firearm records only".to_string(),
            });
        };
        // Render first, so a record that cannot be written leaves no partial element.
        let mut out = Out::new(1);
        write_record(&mut out, record)?;
        self.start()?;
        self.out.write_all(out.text.as_bytes())?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), EncodeError> {
        self.start()?;
        writeln!(self.out, "</ix:{ROOT}>")?;
        self.out.flush()?;
        Ok(())
    }
}

/// An indented XML fragment under construction.
pub(super) struct Out {
    pub(super) text: String,
    pub(super) depth: usize,
}

impl Out {
    pub(super) fn new(depth: usize) -> Out {
        Out {
            text: String::with_capacity(4096),
            depth,
        }
    }

    pub(super) fn indent(&mut self) {
        for _ in 0..self.depth {
            self.text.push_str("  ");
        }
    }

    pub(super) fn open(&mut self, name: &str) {
        self.indent();
        self.text.push('<');
        self.text.push_str(name);
        self.text.push_str(">\n");
        self.depth += 1;
    }

    pub(super) fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.text.push_str("</");
        self.text.push_str(name);
        self.text.push_str(">\n");
    }

    pub(super) fn leaf(&mut self, name: &str, value: &str, field: &str) -> Result<(), EncodeError> {
        self.leaf_with(name, "", value, field)
    }

    /// A value element; `attributes` is written verbatim after the name.
    pub(super) fn leaf_with(
        &mut self,
        name: &str,
        attributes: &str,
        value: &str,
        field: &str,
    ) -> Result<(), EncodeError> {
        self.indent();
        self.text.push('<');
        self.text.push_str(name);
        self.text.push_str(attributes);
        self.text.push('>');
        escape_text(value, &mut self.text)
            .map_err(|reason| EncodeError::Invalid(format!("{field}: {reason}")))?;
        self.text.push_str("</");
        self.text.push_str(name);
        self.text.push_str(">\n");
        Ok(())
    }
}

/// Escapes element text. Carriage returns become `&#13;` so XML's line-end
/// normalisation keeps them; other C0 controls cannot be written in XML 1.0.
pub(super) fn escape_text(text: &str, out: &mut String) -> Result<(), String> {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                return Err(format!(
                    "control character U+{:04X} cannot be written in XML",
                    c as u32
                ))
            }
            c => out.push(c),
        }
    }
    Ok(())
}
