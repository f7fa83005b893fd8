//! A partner's outbox folder: each message a file in the partner's format,
//! named `<delivery>-<kind>-<message id>.<extension of the format>`. Written to
//! a temporary file in the folder (`tempfile`), synced, renamed into place and
//! the folder synced, so a reader never sees half a file and a crash after the
//! rename cannot lose it.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use futures_util::future::join_all;

use super::formats::{encode_claimed, PartnerFormats};
use super::sink::{Attempt, Sink};
use crate::store::{ClaimedDelivery, Receipt};

pub struct Directory {
    pub dir: PathBuf,
    pub formats: PartnerFormats,
}

#[async_trait]
impl Sink for Directory {
    fn batched(&self) -> bool {
        false
    }

    async fn send(&self, _client: &reqwest::Client, round: &[ClaimedDelivery]) -> Vec<Attempt> {
        join_all(round.iter().map(|claimed| self.one(claimed))).await
    }
}

impl Directory {
    async fn one(&self, claimed: &ClaimedDelivery) -> Attempt {
        let encoded = match encode_claimed(&self.formats, claimed) {
            Ok(encoded) => encoded,
            Err(attempt) => return attempt,
        };
        let name = format!(
            "{:012}-{}-{}.{}",
            claimed.delivery.id,
            claimed.kind.tag(),
            claimed.delivery.message_id,
            encoded.media.extension
        );
        let dir = self.dir.clone();
        let path = dir.join(name);
        let target = path.clone();
        match tokio::task::spawn_blocking(move || write(&dir, &target, &encoded.bytes)).await {
            Ok(Ok(())) => Attempt::Delivered(Receipt {
                remote_id: None,
                status: None,
                detail: Some(path.display().to_string()),
            }),
            Ok(Err(e)) => Attempt::Retry(format!("cannot write the outbox file: {e}").into()),
            Err(e) => Attempt::Retry(e.to_string().into()),
        }
    }
}

fn write(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // The folder is made on first use, as the partner's config names it.
    std::fs::create_dir_all(dir)?;
    // The temporary file starts with a dot so folder watchers skip it.
    let mut file = tempfile::Builder::new()
        .prefix(".")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// The rename is durable only once the folder itself is synced.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_lands_whole_and_no_temporary_file_stays() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("outbox");
        let path = dir.join("000000000001-record-x.csv");
        write(&dir, &path, b"a;b\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a;b\n");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
