//! Files written under a temporary name and renamed into place only once they
//! are complete and synced, so that a reader never sees half a file: the
//! forwarder's outbox deliveries (a partner polls the folder) and the CLI's
//! output files (`convert -o`).
//!
//! The temporary file is a hidden (dot) file in the target's own folder: the
//! rename stays on one file system, and a reader that skips dot files (the
//! gateway's inboxes do) never picks it up. After the rename the folder is
//! synced as well, so that the new name survives a crash: an outbox delivery
//! is marked delivered only after this returns.

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file being written; [`AtomicFile::commit`] puts it in place.
#[derive(Debug)]
pub struct AtomicFile {
    temp: BufWriter<NamedTempFile>,
    target: PathBuf,
}

/// Which step of [`AtomicFile::commit`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Writing the buffered bytes out.
    Write,
    /// Syncing the file or its folder to disk.
    Sync,
    /// Renaming the file into place.
    Rename,
}

/// Why a file could not be put in place (the target is then untouched).
#[derive(Debug, thiserror::Error)]
pub struct CommitError {
    pub step: Step,
    pub target: PathBuf,
    #[source]
    pub source: io::Error,
}

impl fmt::Display for CommitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.step {
            Step::Write => "cannot write",
            Step::Sync => "cannot sync",
            Step::Rename => "cannot rename into place",
        };
        write!(f, "{what} {}: {}", self.target.display(), self.source)
    }
}

impl AtomicFile {
    /// Starts writing `target` (its folder must exist).
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let temp = tempfile::Builder::new()
            .prefix(".iarms-")
            .tempfile_in(folder_of(target))?;
        Ok(AtomicFile {
            temp: BufWriter::with_capacity(256 * 1024, temp),
            target: target.to_path_buf(),
        })
    }

    /// Flushes and syncs the file, renames it to its target and syncs the folder.
    pub fn commit(self) -> Result<(), CommitError> {
        let target = self.target;
        let failed = |step: Step, target: &Path| {
            let target = target.to_path_buf();
            move |source: io::Error| CommitError {
                step,
                target,
                source,
            }
        };
        let temp = self
            .temp
            .into_inner()
            .map_err(|e| e.into_error())
            .map_err(failed(Step::Write, &target))?;
        temp.as_file()
            .sync_all()
            .map_err(failed(Step::Sync, &target))?;
        temp.persist(&target)
            .map_err(|e| e.error)
            .map_err(failed(Step::Rename, &target))?;
        sync_folder(folder_of(&target)).map_err(failed(Step::Sync, &target))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.temp.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

/// Writes `bytes` to `target` atomically, creating its folder if needed.
pub fn write(target: &Path, bytes: &[u8]) -> Result<(), CommitError> {
    let failed = |step: Step| {
        move |source: io::Error| CommitError {
            step,
            target: target.to_path_buf(),
            source,
        }
    };
    create_private_dir_all(folder_of(target)).map_err(failed(Step::Write))?;
    let mut file = AtomicFile::create(target).map_err(failed(Step::Write))?;
    file.write_all(bytes).map_err(failed(Step::Write))?;
    file.commit()
}

/// Creates `folder` and its missing parents for the gateway's user only (0700
/// on Unix, whatever the umask): an outbox holds police records. The files
/// themselves are created 0600 (`tempfile`'s default) and keep it when renamed.
pub fn create_private_dir_all(folder: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

fn folder_of(target: &Path) -> &Path {
    match target.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    }
}

/// Makes a rename in `folder` durable (a folder is synced through a handle to
/// it on Unix; elsewhere the rename is as durable as the system makes it).
fn sync_folder(folder: &Path) -> io::Result<()> {
    if cfg!(unix) {
        std::fs::File::open(folder)?.sync_all()
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_visible_before_the_commit_and_no_temporary_file_after() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out").join("a.csv");
        write(&target, b"x").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"x");
        let names: Vec<_> = std::fs::read_dir(target.parent().unwrap())
            .unwrap()
            .collect();
        assert_eq!(names.len(), 1);

        let mut file = AtomicFile::create(&target).unwrap();
        file.write_all(b"second").unwrap();
        file.flush().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"x", "replaced too early");
        file.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"second");

        // A file never committed leaves nothing behind.
        drop(AtomicFile::create(&dir.path().join("b.csv")).unwrap());
        assert!(!dir.path().join("b.csv").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_the_owners_only_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("outbox").join("rs").join("a.json");
        write(&target, b"{}").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&target), 0o600);
        assert_eq!(mode(target.parent().unwrap()), 0o700);
        assert_eq!(mode(&dir.path().join("outbox")), 0o700);
    }

    #[test]
    fn a_failed_rename_names_the_target() {
        let dir = tempfile::tempdir().unwrap();
        // A folder cannot be replaced by a file.
        std::fs::create_dir(dir.path().join("taken")).unwrap();
        std::fs::write(dir.path().join("taken").join("x"), b"").unwrap();
        let e = write(&dir.path().join("taken"), b"x").unwrap_err();
        assert_eq!(e.step, Step::Rename);
        assert!(e.to_string().contains("taken"), "{e}");
    }
}
