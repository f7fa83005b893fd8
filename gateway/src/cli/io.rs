//! Inputs, outputs and the record loop shared by `convert`, `validate` and `demo`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::Path;

use anyhow::Context;
use std::collections::VecDeque;

use iarms_adapters::adapter::{DecodeResult, MessageStream};
use iarms_adapters::error::EncodeError;
use iarms_adapters::normalise::Strictness;
use iarms_adapters::pipeline::prepare_with;
use iarms_adapters::quality::QualityCounts;
use iarms_adapters::{ErrorCode, Location, Message, RecordError};
use iarms_gateway::atomic_file::{AtomicFile, Step};

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
/// whole conversion succeeded, so a reader never sees half a file; or stdout;
/// or a device or pipe (`-o /dev/null`, a FIFO), written in place: renaming over
/// it would replace the device node with a plain file.
pub enum Output {
    Stdout(BufWriter<std::io::Stdout>),
    Special(BufWriter<std::fs::File>),
    File(AtomicFile),
}

impl Output {
    pub fn create(path: Option<&Path>) -> anyhow::Result<Output> {
        match path {
            None => Ok(Output::Stdout(BufWriter::new(std::io::stdout()))),
            Some(p) if p == Path::new("-") => Ok(Output::Stdout(BufWriter::new(std::io::stdout()))),
            Some(p) if is_special(p) => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(p)
                    .with_context(|| format!("cannot open {}", p.display()))?;
                Ok(Output::Special(BufWriter::new(file)))
            }
            Some(p) => {
                let file = AtomicFile::create(p).with_context(|| {
                    let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
                    format!(
                        "cannot create a file in {}",
                        dir.unwrap_or(Path::new(".")).display()
                    )
                })?;
                Ok(Output::File(file))
            }
        }
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(w) => w,
            Output::Special(w) => w,
            Output::File(file) => file,
        }
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> anyhow::Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush().context("cannot write to standard output"),
            Output::Special(mut w) => w.flush().context("cannot write the output"),
            Output::File(file) => file.commit().map_err(|e| {
                let context = match e.step {
                    Step::Write => "cannot write the output file".to_string(),
                    Step::Sync => "cannot sync the output file".to_string(),
                    Step::Rename => format!("cannot write {}", e.target.display()),
                };
                anyhow::Error::new(e.source).context(context)
            }),
        }
    }
}

/// An existing path that is neither a regular file nor a directory.
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Counts of one pass over a stream.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub records: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// The stream stopped early on broken framing.
    pub stopped: bool,
    /// Per descriptive field: resolved, kept with a flag, ambiguous, rejected.
    pub quality: QualityCounts,
}

/// What a worker hands back for one stream item, in input order.
enum Prepared {
    Good(Box<Message>, Location),
    Bad(Vec<RecordError>, Option<u64>),
}

/// Records per unit of work sent to a worker: large enough to amortise the
/// channel hand-off, small enough to keep memory flat.
const BATCH: usize = 64;

/// Runs every decoded record through normalisation and validation, hands good
/// messages to `accept` and every problem to `reject`, in input order. A record
/// with several problems counts once. `accept` may itself refuse a message (the
/// target format cannot hold it); that counts as a rejection too.
///
/// Decoding and writing stay on this thread; normalisation and validation, the
/// costliest steps, run on a pool of workers over bounded channels, so memory
/// holds a fixed number of batches whatever the input size.
pub fn run_records(
    mut stream: MessageStream<'_>,
    strict: &Strictness,
    source: &str,
    mut accept: impl FnMut(&Message) -> Result<(), EncodeError>,
    mut reject: impl FnMut(&RecordError) -> anyhow::Result<()>,
) -> anyhow::Result<Tally> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max_in_flight = workers * 4;
    let mut tally = Tally::default();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let (jobs, job_queue) = crossbeam_channel::bounded::<(
            Vec<DecodeResult>,
            crossbeam_channel::Sender<Vec<Prepared>>,
        )>(max_in_flight);
        for _ in 0..workers {
            let job_queue = job_queue.clone();
            scope.spawn(move || {
                for (batch, reply) in job_queue {
                    let prepared = batch
                        .into_iter()
                        .map(|item| prepare_one(item, strict))
                        .collect();
                    // The receiver is gone only when the main thread bailed out.
                    let _ = reply.send(prepared);
                }
            });
        }
        drop(job_queue);
        let mut pending: VecDeque<crossbeam_channel::Receiver<Vec<Prepared>>> = VecDeque::new();
        let mut exhausted = false;
        loop {
            while !exhausted && pending.len() < max_in_flight {
                let batch: Vec<DecodeResult> = stream.by_ref().take(BATCH).collect();
                exhausted = batch.len() < BATCH;
                if batch.is_empty() {
                    break;
                }
                let (reply, result) = crossbeam_channel::bounded(1);
                jobs.send((batch, reply))
                    .map_err(|_| anyhow::anyhow!("worker pool stopped"))?;
                pending.push_back(result);
            }
            let Some(next) = pending.pop_front() else {
                break;
            };
            let prepared = next
                .recv()
                .map_err(|_| anyhow::anyhow!("a worker stopped unexpectedly"))?;
            for item in prepared {
                tally_one(item, source, &mut tally, &mut accept, &mut reject)?;
            }
        }
        drop(jobs);
        Ok(())
    })?;
    Ok(tally)
}

fn prepare_one(item: DecodeResult, strict: &Strictness) -> Prepared {
    match item {
        Err(error) => {
            let record = error.location.record;
            Prepared::Bad(vec![error], record)
        }
        Ok(decoded) => {
            let location = decoded.site.location.clone();
            match prepare_with(decoded, strict) {
                Ok(message) => Prepared::Good(Box::new(message), location),
                Err(errors) => Prepared::Bad(errors, location.record),
            }
        }
    }
}

fn tally_one(
    item: Prepared,
    source: &str,
    tally: &mut Tally,
    accept: &mut impl FnMut(&Message) -> Result<(), EncodeError>,
    reject: &mut impl FnMut(&RecordError) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (mut errors, record) = match item {
        Prepared::Good(message, location) => match accept(&message) {
            Ok(()) => {
                tracing::debug!(
                    message_id = %message.header().message_id,
                    correlation_id = %message.header().correlation_id,
                    kind = %message.kind(),
                    "accepted"
                );
                tally.records += 1;
                tally.accepted += 1;
                tally.quality.count_message(&message);
                return Ok(());
            }
            Err(EncodeError::Io(io)) => {
                return Err(anyhow::Error::new(io).context("cannot write the output"));
            }
            Err(reason) => {
                let record = location.record;
                let error =
                    RecordError::new(ErrorCode::Unsupported, reason.to_string()).at(location);
                (vec![error], record)
            }
        },
        Prepared::Bad(errors, record) => (errors, record),
    };
    for error in &mut errors {
        if error.code == ErrorCode::Io {
            anyhow::bail!("reading {source}: {}", error.reason);
        }
        error.location.source = Some(source.to_string());
        tally.stopped |= error.fatal;
    }
    // A fatal error without a record number is about the stream, not a record.
    if record.is_some() || !errors.iter().all(|e| e.fatal) {
        tally.records += 1;
        tally.rejected += 1;
        tally.quality.count_errors(&errors);
    }
    for error in &errors {
        reject(error)?;
    }
    Ok(())
}
