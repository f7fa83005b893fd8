//! The directory inbox: for each partner with `inbound.directory`, every poll
//! interval pick up each visible file atomically (rename into `processing/`),
//! decode it with the partner's adapter and accept its good records, then move it
//! to `archive/`, or to `failed/` with `<name>.errors.txt` beside it when any record
//! was rejected (the good records of that file are accepted all the same).
//!
//! A file is streamed, never read whole: its records are decoded as they are
//! taken and accepted [`CHUNK_RECORDS`] at a time, one store transaction each.
//! After each commit the file's progress (records done, the counts, the length
//! of its error report so far) is noted beside it in `processing/`
//! (`.<name>.progress`, written atomically). A file left in `processing/` by a
//! crash, or put back in the inbox because the store was down, resumes after
//! the last chunk noted: only the one chunk whose commit beat its note is
//! offered again, and the store recognises those records as duplicates.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Inbound;
use crate::ingest::{accept_prepared, decode_stream, IngestError, IngestReport, Route, Submission};
use crate::shared::Shared;

/// One watched folder.
#[derive(Debug, Clone)]
pub struct Watch {
    pub partner: String,
    pub format: String,
    pub directory: PathBuf,
    pub archive: PathBuf,
    pub failed: PathBuf,
    pub poll_interval: Duration,
}

/// The folders of the config.
pub fn watches(shared: &Shared) -> Vec<Watch> {
    shared
        .config
        .partners
        .iter()
        .filter_map(|p| match &p.inbound {
            Inbound::Directory {
                directory,
                archive,
                failed,
                poll_interval,
            } => Some(Watch {
                partner: p.id.clone(),
                format: p.format.clone(),
                directory: directory.clone(),
                archive: archive.clone(),
                failed: failed.clone(),
                poll_interval: *poll_interval,
            }),
            Inbound::Http => None,
        })
        .collect()
}

pub fn spawn(
    shared: Arc<Shared>,
    watches: Vec<Watch>,
    stop: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    watches
        .into_iter()
        .map(|w| {
            let shared = Arc::clone(&shared);
            let mut stop = stop.clone();
            tokio::spawn(async move {
                tracing::info!(partner = %w.partner, directory = %w.directory.display(), "watching inbox");
                let mut first = true;
                while !*stop.borrow() {
                    if let Err(e) = poll(&shared, &w, first).await {
                        tracing::warn!(partner = %w.partner, error = %e, "inbox poll failed");
                    }
                    first = false;
                    tokio::select! {
                        _ = tokio::time::sleep(w.poll_interval) => {}
                        _ = stop.changed() => {}
                    }
                }
            })
        })
        .collect()
}

/// One pass over the folder; `recover` also takes the files left in `processing/`.
pub async fn poll(shared: &Shared, w: &Watch, recover: bool) -> std::io::Result<()> {
    let processing = w.directory.join("processing");
    for dir in [&w.directory, &processing, &w.archive, &w.failed] {
        tokio::fs::create_dir_all(dir).await?;
    }
    let mut picked = Vec::new();
    if recover {
        picked.extend(visible_files(&processing)?);
    }
    for file in visible_files(&w.directory)? {
        let Some(name) = file.file_name() else {
            continue;
        };
        let target = processing.join(name);
        // The rename is the atomic pick-up: a file still being written under a
        // temporary (dot) name is not visible; another gateway losing the race gets NotFound.
        match tokio::fs::rename(&file, &target).await {
            Ok(()) => picked.push(target),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let mut picked = picked.into_iter();
    while let Some(file) = picked.next() {
        if let Err(e) = process(shared, w, &file).await {
            // The files picked after it go back too, or they would wait in
            // `processing/` for the next start.
            for rest in picked {
                if let Some(name) = rest.file_name() {
                    tokio::fs::rename(&rest, w.directory.join(name)).await?;
                }
            }
            return Err(e);
        }
    }
    Ok(())
}

fn visible_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    files.sort();
    Ok(files)
}

/// Records accepted per store transaction: a commit shared by many records,
/// short enough to hold the writer briefly and bound what a crash repeats.
pub const CHUNK_RECORDS: usize = 500;

/// How far a file has come, noted after each chunk's commit.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Progress {
    /// The file's length: a different file under the same name starts afresh.
    file_len: u64,
    /// Records done (accepted, duplicate or rejected), from the file's start.
    records: u64,
    accepted: u64,
    duplicates: u64,
    rejected: u64,
    /// Bytes of the error report written so far.
    errors_len: u64,
}

impl Progress {
    /// The noted progress of a file of `file_len` bytes; none when there is no
    /// note, it cannot be read, or it is of another file.
    async fn read(path: &Path, file_len: u64) -> Progress {
        let fresh = Progress {
            file_len,
            ..Progress::default()
        };
        match tokio::fs::read(path).await {
            Ok(bytes) => match serde_json::from_slice::<Progress>(&bytes) {
                Ok(p) if p.file_len == file_len => p,
                _ => fresh,
            },
            Err(_) => fresh,
        }
    }

    async fn write(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || crate::atomic_file::write(&path, &bytes))
            .await
            .map_err(std::io::Error::other)?
            .map_err(std::io::Error::other)
    }
}

async fn process(shared: &Shared, w: &Watch, file: &Path) -> std::io::Result<()> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    // A file name is the sender's text: logged with `?` (escaped, quoted), so a
    // name with a newline cannot forge a log line.
    let processing = w.directory.join("processing");
    let progress_path = processing.join(format!(".{name}.progress"));
    let errors_path = processing.join(format!(".{name}.errors"));
    let input = std::fs::File::open(file)?;
    let file_len = input.metadata()?.len();
    let mut progress = Progress::read(&progress_path, file_len).await;
    // The error report holds what the noted chunks found, no more.
    let mut errors = tokio::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&errors_path)
        .await?;
    errors.set_len(progress.errors_len).await?;
    errors.seek(std::io::SeekFrom::End(0)).await?;
    if progress.records > 0 {
        tracing::info!(partner = %w.partner, file = ?name, done = progress.records, "resuming an inbox file");
    }

    let actor = format!("inbox:{}", w.partner);
    let how = Submission {
        actor: &actor,
        partner: &w.partner,
        format: &w.format,
        kinds: None,
        route: Route::Hub,
        max_records: None,
        signature: None,
    };
    let input = Box::new(std::io::BufReader::new(input));
    let mut stream = decode_stream(shared, how, input, name.clone())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut chunk = Vec::with_capacity(CHUNK_RECORDS);
    loop {
        let item = stream.recv().await;
        let end = item.is_none();
        match item {
            Some(Ok(prepared)) if prepared.0 <= progress.records => continue,
            Some(Ok(prepared)) => {
                chunk.push(prepared);
                if chunk.len() < CHUNK_RECORDS {
                    continue;
                }
            }
            Some(Err(e)) => return Err(std::io::Error::other(e.to_string())),
            None => {}
        }
        if let Some(last) = chunk.last().map(|p| p.0) {
            let batch = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_RECORDS));
            let report = match accept_prepared(shared, how, batch, &name).await {
                Ok(report) => report,
                // Not the store's fault: sending the file again would conflict
                // again. The chunks before it stand (they were committed).
                Err(e @ IngestError::MessageIdConflict { .. }) => {
                    tracing::warn!(partner = %w.partner, file = ?name, error = %e, "message id conflict; the file goes to failed/");
                    drop(stream);
                    drop(errors);
                    let report =
                        hidden_report(&w.failed, &name, &format!("{name}: {e}\n"), None).await?;
                    tokio::fs::rename(file, w.failed.join(&name)).await?;
                    forget_progress(&[&progress_path, &errors_path]).await?;
                    tokio::fs::rename(report, w.failed.join(format!("{name}.errors.txt"))).await?;
                    return Ok(());
                }
                Err(e) => {
                    // The store is down: the file goes back for the next poll,
                    // which resumes after the last chunk noted.
                    tracing::warn!(partner = %w.partner, file = ?name, error = %e, "cannot ingest; the file goes back to the inbox");
                    drop(stream);
                    tokio::fs::rename(file, w.directory.join(&name)).await?;
                    return Err(std::io::Error::other(e.to_string()));
                }
            };
            let found = error_lines(&report);
            errors.write_all(found.as_bytes()).await?;
            errors.flush().await?;
            progress.records = last;
            progress.accepted += report.accepted;
            progress.duplicates += report.duplicates;
            progress.rejected += report.rejected;
            progress.errors_len += found.len() as u64;
            progress.write(&progress_path).await?;
        }
        if end {
            break;
        }
    }
    drop(errors);

    let Progress {
        accepted,
        duplicates,
        rejected,
        ..
    } = progress;
    tracing::info!(partner = %w.partner, file = ?name, accepted, duplicates, rejected, "inbox file processed");
    if rejected == 0 {
        tokio::fs::rename(file, w.archive.join(&name)).await?;
    } else {
        let head = format!(
            "{name}: {accepted} accepted, {duplicates} duplicate, {rejected} rejected (the accepted records were stored)\n"
        );
        let report = hidden_report(&w.failed, &name, &head, Some(&errors_path)).await?;
        tokio::fs::rename(file, w.failed.join(&name)).await?;
        forget_progress(&[&progress_path, &errors_path]).await?;
        // Last: the report's appearance says the file is done.
        tokio::fs::rename(report, w.failed.join(format!("{name}.errors.txt"))).await?;
        return Ok(());
    }
    forget_progress(&[&progress_path, &errors_path]).await?;
    Ok(())
}

/// Writes an error report under a hidden name in `failed/`, to be renamed into
/// place by the caller. The name must not exist (`create_new`), so a link
/// someone placed there is never followed; a leftover of a crash is removed
/// first (removing a link removes the link, never its target).
async fn hidden_report(
    failed: &Path,
    name: &str,
    head: &str,
    errors: Option<&Path>,
) -> std::io::Result<PathBuf> {
    let path = failed.join(format!(".{name}.errors.txt.partial"));
    match tokio::fs::remove_file(&path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut report = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .await?;
    report.write_all(head.as_bytes()).await?;
    if let Some(errors) = errors {
        let mut found = tokio::fs::File::open(errors).await?;
        tokio::io::copy(&mut found, &mut report).await?;
    }
    report.sync_all().await?;
    Ok(path)
}

/// Removes a file's progress notes once it is archived or failed.
async fn forget_progress(notes: &[&Path]) -> std::io::Result<()> {
    for done in notes {
        match tokio::fs::remove_file(done).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// The error lines of a chunk's rejected records.
fn error_lines(report: &IngestReport) -> String {
    let mut out = String::new();
    for result in report.results.iter().filter(|r| r.outcome == "rejected") {
        for e in &result.errors {
            out.push_str(&format!("{}: {e}", e.code.as_str()));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn progress_is_kept_for_its_file_only() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join(".f.csv.progress");
        assert_eq!(Progress::read(&path, 10).await.records, 0, "no note yet");
        let noted = Progress {
            file_len: 10,
            records: 1000,
            accepted: 998,
            duplicates: 1,
            rejected: 1,
            errors_len: 42,
        };
        noted.write(&path).await.expect("note");
        assert_eq!(Progress::read(&path, 10).await, noted);
        // Another file under the same name starts afresh.
        let other = Progress::read(&path, 11).await;
        assert_eq!((other.records, other.file_len), (0, 11));
        std::fs::write(&path, b"{ torn").expect("torn note");
        assert_eq!(
            Progress::read(&path, 10).await.records,
            0,
            "an unreadable note"
        );
    }
}
