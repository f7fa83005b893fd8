//! Inputs, outputs and the record loop shared by `convert`, `validate` and `demo`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use iarms_adapters::adapter::MessageStream;
use iarms_adapters::error::EncodeError;
use iarms_adapters::pipeline::prepare;
use iarms_adapters::{Message, RecordError};

/// An opened input and the name errors use for it.
pub struct Input {
    pub reader: Box<dyn BufRead>,
    pub name: String,
}

/// Opens a file, or standard input for `-` or no path. Shows a progress bar on a
/// terminal when the size is known.
pub fn open_input(path: Option<&Path>) -> anyhow::Result<Input> {
    match path {
        None => Ok(stdin_input()),
        Some(p) if p == Path::new("-") => Ok(stdin_input()),
        Some(p) => {
            let file = File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
            let len = file.metadata().map(|m| m.len()).ok();
            let reader: Box<dyn Read> = match len {
                Some(len) if std::io::stderr().is_terminal() && len > 1024 * 1024 => {
                    let bar = indicatif::ProgressBar::new(len).with_style(
                        indicatif::ProgressStyle::with_template(
                            "{spinner} {bytes}/{total_bytes} {wide_bar} {eta}",
                        )
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                    );
                    Box::new(bar.wrap_read(file))
                }
                _ => Box::new(file),
            };
            Ok(Input {
                reader: Box::new(BufReader::with_capacity(256 * 1024, reader)),
                name: p.display().to_string(),
            })
        }
    }
}

fn stdin_input() -> Input {
    Input {
        reader: Box::new(BufReader::with_capacity(256 * 1024, std::io::stdin())),
        name: "-".to_string(),
    }
}

/// A file written under a temporary name and renamed into place only when the
/// whole conversion succeeded, so a reader never sees half a file; or stdout.
pub enum Output {
    Stdout(BufWriter<std::io::Stdout>),
    File {
        temp: BufWriter<tempfile::NamedTempFile>,
        target: PathBuf,
    },
}

impl Output {
    pub fn create(path: Option<&Path>) -> anyhow::Result<Output> {
        match path {
            None => Ok(Output::Stdout(BufWriter::new(std::io::stdout()))),
            Some(p) if p == Path::new("-") => Ok(Output::Stdout(BufWriter::new(std::io::stdout()))),
            Some(p) => {
                let dir = match p.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                let temp = tempfile::Builder::new()
                    .prefix(".iarms-")
                    .tempfile_in(dir)
                    .with_context(|| format!("cannot create a file in {}", dir.display()))?;
                Ok(Output::File {
                    temp: BufWriter::with_capacity(256 * 1024, temp),
                    target: p.to_path_buf(),
                })
            }
        }
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(w) => w,
            Output::File { temp, .. } => temp,
        }
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> anyhow::Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush().context("cannot write to standard output"),
            Output::File { temp, target } => {
                let temp = temp
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .context("cannot write the output file")?;
                temp.as_file()
                    .sync_all()
                    .context("cannot sync the output file")?;
                temp.persist(&target)
                    .with_context(|| format!("cannot write {}", target.display()))?;
                Ok(())
            }
        }
    }
}

/// Counts of one pass over a stream.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub records: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// The stream stopped early on broken framing.
    pub stopped: bool,
}

/// Runs every decoded record through normalisation and validation, hands good
/// messages to `accept` and every problem to `reject`. A record with several
/// problems counts once. `accept` may itself refuse a message (the target format
/// cannot hold it); that counts as a rejection too.
pub fn run_records(
    stream: MessageStream<'_>,
    source: &str,
    mut accept: impl FnMut(&Message) -> Result<(), EncodeError>,
    mut reject: impl FnMut(&RecordError) -> anyhow::Result<()>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    for item in stream {
        let (errors, record) = match item {
            Err(mut error) => {
                if error.code == iarms_adapters::ErrorCode::Io {
                    anyhow::bail!("reading {source}: {}", error.reason);
                }
                error.location.source = Some(source.to_string());
                tally.stopped |= error.fatal;
                let record = error.location.record;
                (vec![error], record)
            }
            Ok(decoded) => {
                let site = decoded.site.clone();
                match prepare(decoded) {
                    Ok(message) => match accept(&message) {
                        Ok(()) => {
                            tracing::debug!(message_id = %message.header().message_id, correlation_id = %message.header().correlation_id, kind = %message.kind(), "accepted");
                            tally.records += 1;
                            tally.accepted += 1;
                            continue;
                        }
                        Err(EncodeError::Io(io)) => {
                            return Err(anyhow::Error::new(io).context("cannot write the output"));
                        }
                        Err(reason) => {
                            let reason = reason.to_string();
                            let mut error =
                                RecordError::new(iarms_adapters::ErrorCode::Unsupported, reason)
                                    .at(site.location.clone());
                            error.location.source = Some(source.to_string());
                            (vec![error], site.location.record)
                        }
                    },
                    Err(mut errors) => {
                        for e in &mut errors {
                            e.location.source = Some(source.to_string());
                        }
                        (errors, site.location.record)
                    }
                }
            }
        };
        // A fatal error without a record number is about the stream, not a record.
        if record.is_some() || !errors.iter().all(|e| e.fatal) {
            tally.records += 1;
            tally.rejected += 1;
        }
        for error in &errors {
            reject(error)?;
        }
    }
    Ok(tally)
}
