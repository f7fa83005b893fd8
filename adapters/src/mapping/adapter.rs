//! A compiled mapping as an [`Adapter`]: listed by `iarms-gateway formats`
//! and usable by every command that takes a format name.

use std::io::{BufRead, Write};
use std::sync::Arc;

use super::check::{Mapping, SourceSpec};
use super::{csv_io, json_io, xml_io};
use crate::adapter::{Adapter, Capabilities, EncodeOptions, Media, MessageEncoder, MessageStream};
use crate::error::{EncodeError, RecordError};
use crate::format::csv::FormulaPolicy;
use crate::limits::Limits;
use crate::model::Message;

pub struct MappingAdapter {
    mapping: Arc<Mapping>,
    description: String,
}

impl MappingAdapter {
    pub fn new(mapping: Mapping) -> MappingAdapter {
        let description = if mapping.description.is_empty() {
            format!(
                "mapping {} ({} source)",
                mapping.file,
                mapping.source.format_name()
            )
        } else {
            mapping.description.clone()
        };
        MappingAdapter {
            mapping: Arc::new(mapping),
            description,
        }
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }
}

/// A mapping writes one message kind.
pub(crate) fn check_kind(mapping: &Mapping, message: &Message) -> Result<(), EncodeError> {
    if message.kind() == mapping.kind {
        Ok(())
    } else {
        Err(EncodeError::Unsupported {
            kind: message.kind().to_string(),
            format: mapping.name.clone(),
            reason: format!(
                "mapping {} describes {} messages",
                mapping.name, mapping.kind
            ),
        })
    }
}

impl Adapter for MappingAdapter {
    fn name(&self) -> &str {
        &self.mapping.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn media(&self) -> Media {
        match &self.mapping.source {
            SourceSpec::Csv(_) => Media::CSV,
            SourceSpec::Json(_) => Media::JSON,
            SourceSpec::Ndjson => Media::NDJSON,
            SourceSpec::Xml(_) => Media::XML,
        }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            read: true,
            write: self.mapping.writable(),
            kinds: vec![self.mapping.kind],
        }
    }

    fn decode<'a>(
        &self,
        input: Box<dyn BufRead + 'a>,
        limits: Limits,
    ) -> Result<MessageStream<'a>, RecordError> {
        let mapping = Arc::clone(&self.mapping);
        Ok(match &self.mapping.source {
            SourceSpec::Csv(spec) => Box::new(csv_io::decoder(mapping, spec, input, limits)?),
            SourceSpec::Json(spec) => Box::new(json_io::decoder(mapping, spec, input, limits)),
            SourceSpec::Ndjson => Box::new(json_io::ndjson_decoder(mapping, input, limits)),
            SourceSpec::Xml(spec) => Box::new(xml_io::decoder(mapping, spec, input, limits)),
        })
    }

    fn encoder<'a>(
        &self,
        output: Box<dyn Write + 'a>,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError> {
        self.encoder_with(output, EncodeOptions::default())
    }

    fn encoder_with<'a>(
        &self,
        output: Box<dyn Write + 'a>,
        options: EncodeOptions,
    ) -> Result<Box<dyn MessageEncoder + 'a>, EncodeError> {
        if !self.mapping.writable() {
            return Err(EncodeError::Unsupported {
                kind: self.mapping.kind.to_string(),
                format: self.mapping.name.clone(),
                reason: "no rule of this mapping writes a native field".to_string(),
            });
        }
        let mapping = Arc::clone(&self.mapping);
        Ok(match &self.mapping.source {
            SourceSpec::Csv(spec) => {
                let mut spec = spec.clone();
                if let Some(policy) = options.csv_formulas {
                    spec.formula_escape = policy == FormulaPolicy::Escape;
                }
                Box::new(csv_io::encoder(mapping, &spec, output)?)
            }
            SourceSpec::Json(spec) => Box::new(json_io::encoder(
                mapping,
                Some(spec.records.clone()),
                output,
            )),
            SourceSpec::Ndjson => Box::new(json_io::encoder(mapping, None, output)),
            SourceSpec::Xml(spec) => Box::new(xml_io::encoder(mapping, spec, output)),
        })
    }

    /// The fields whose rules say `strict = true`: an unrecognised value is
    /// rejected there by the normaliser too, not only by the code table.
    fn strictness(&self) -> crate::normalise::Strictness {
        crate::normalise::Strictness::fields(
            self.mapping
                .rules
                .iter()
                .filter(|r| r.strict)
                .map(|r| r.target().to_string()),
        )
    }
}
