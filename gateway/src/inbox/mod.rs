//! The directory inbox: for each partner with `inbound.directory`, every poll
//! interval pick up each visible file atomically (rename into `processing/`),
//! decode it with the partner's adapter and accept its good records, then move it
//! to `archive/`, or to `failed/` with `<name>.errors.txt` beside it when any record
//! was rejected (the good records of that file are accepted all the same).
//! Files left in `processing/` by a crash are processed again at start; records
//! already accepted are recognised as duplicates.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Inbound;
use crate::ingest::{ingest_as, IngestError, IngestReport, Route, Submission};
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
    for file in picked {
        process(shared, w, &file).await?;
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

async fn process(shared: &Shared, w: &Watch, file: &Path) -> std::io::Result<()> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    // A file name is the sender's text: logged with `?` (escaped, quoted), so a
    // name with a newline cannot forge a log line.
    let bytes = tokio::fs::read(file).await?;
    let actor = format!("inbox:{}", w.partner);
    let how = Submission {
        actor: &actor,
        partner: &w.partner,
        format: &w.format,
        kinds: None,
        route: Route::Hub,
        max_records: None,
    };
    let report = match ingest_as(shared, how, bytes, name.clone()).await {
        Ok(report) => report,
        // Not the store's fault: sending the file again would conflict again.
        Err(e @ IngestError::MessageIdConflict { .. }) => {
            tracing::warn!(partner = %w.partner, file = ?name, error = %e, "message id conflict; the file goes to failed/");
            tokio::fs::write(
                w.failed.join(format!("{name}.errors.txt")),
                format!("{name}: {e}\n"),
            )
            .await?;
            tokio::fs::rename(file, w.failed.join(&name)).await?;
            return Ok(());
        }
        Err(e) => {
            // The store is down: put the file back for the next poll.
            tracing::warn!(partner = %w.partner, file = ?name, error = %e, "cannot ingest; the file goes back to the inbox");
            tokio::fs::rename(file, w.directory.join(&name)).await?;
            return Err(std::io::Error::other(e.to_string()));
        }
    };
    tracing::info!(partner = %w.partner, file = ?name, accepted = report.accepted, duplicates = report.duplicates, rejected = report.rejected, "inbox file processed");
    if report.rejected == 0 {
        tokio::fs::rename(file, w.archive.join(&name)).await?;
    } else {
        let errors = error_report(&name, &report);
        tokio::fs::write(w.failed.join(format!("{name}.errors.txt")), errors).await?;
        tokio::fs::rename(file, w.failed.join(&name)).await?;
    }
    Ok(())
}

fn error_report(name: &str, report: &IngestReport) -> String {
    let mut out = format!(
        "{name}: {} accepted, {} duplicate, {} rejected (the accepted records were stored)\n",
        report.accepted, report.duplicates, report.rejected
    );
    for result in report.results.iter().filter(|r| r.outcome == "rejected") {
        for e in &result.errors {
            out.push_str(&format!("{}: {e}", e.code.as_str()));
            out.push('\n');
        }
    }
    out
}
