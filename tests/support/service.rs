//! `iarms-gateway serve` and `hub` processes on ephemeral ports: start one on a
//! config file that listens on port 0, wait until it writes the address it bound
//! (`--ready-file`), kill it with SIGKILL (on purpose, or when the test is done). Each process's stderr goes to a log file beside its
//! config, shown when it fails to start.

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::wait::wait_until;
use super::{bin, path_str};

/// A cheap argon2 hash (tests only: low memory and time cost keep them fast).
pub fn cheap_hash(key: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(256, 1, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"iarms-test-salt!").unwrap();
    argon
        .hash_password(key.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// A running `iarms-gateway` process; killed with SIGKILL when dropped.
pub struct Running {
    child: Child,
    /// Where it listens, as it reported (`--ready-file`).
    pub addr: SocketAddr,
    pub url: String,
    log: PathBuf,
}

impl Running {
    /// Starts `iarms-gateway ARGS --config CONFIG --ready-file CONFIG.ready.json`
    /// and waits until the service writes the address it bound (its config
    /// listens on port 0). Stderr is appended to `log`.
    pub async fn start(args: &[&str], config: &Path, log: &Path) -> Running {
        let ready = config.with_extension("ready.json");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--config", path_str(config)]);
        let stderr = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", log.display()));
        let mut command = bin();
        command
            .args(&all)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        let (child, addr, url) = spawn_ready(command, &ready, Some(log)).await;
        Running {
            child,
            addr,
            url,
            log: log.to_path_buf(),
        }
    }

    /// `kill -9`: no shutdown, no lease given back, nothing flushed.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What the process wrote to stderr so far.
    pub fn log(&self) -> String {
        read_log(&self.log)
    }
}

/// Spawns `command` (a `serve` or `hub` whose config listens on port 0) with
/// `--ready-file READY` and waits until the service writes it: its child, the
/// address it bound and its URL. Panics, with the text of `log`, when the
/// process exits first or is not ready within a minute.
pub async fn spawn_ready(
    mut command: Command,
    ready: &Path,
    log: Option<&Path>,
) -> (Child, SocketAddr, String) {
    // A file left by an earlier run (killed, so it could not remove it) would
    // name a closed port.
    let _ = std::fs::remove_file(ready);
    command.args(["--ready-file", path_str(ready)]);
    let what = format!("{command:?}");
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let logged = || log.map(read_log).unwrap_or_default();
    let mut found = None;
    wait_until(
        Duration::from_secs(60),
        format!("{what} to write {}", ready.display()),
        || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "{what} exited ({status}) before it was ready:\n{}",
                    logged()
                );
            }
            found = read_ready(ready);
            let done = found.is_some();
            async move { done }
        },
    )
    .await;
    match found {
        Some((addr, url)) => (child, addr, url),
        None => unreachable!("wait_until returns only once the file is read"),
    }
}

fn read_log(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

/// The address and URL in a service's ready file, once it is there.
pub fn read_ready(path: &Path) -> Option<(SocketAddr, String)> {
    let text = std::fs::read(path).ok()?;
    let ready: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let addr = ready["address"].as_str()?.parse().ok()?;
    Some((addr, ready["url"].as_str()?.to_string()))
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running process with its own temporary directory (config, store, outboxes).
pub struct Process {
    // Declared first so it is dropped (killed) before its directory is removed.
    running: Running,
    pub url: String,
    pub dir: tempfile::TempDir,
}

/// Starts `iarms-gateway ARGS --config DIR/config.toml` (listening on port 0).
pub async fn start(args: &[&str], dir: tempfile::TempDir) -> Process {
    let config = dir.path().join("config.toml");
    let log = dir.path().join("stderr.log");
    let running = Running::start(args, &config, &log).await;
    Process {
        url: running.url.clone(),
        running,
        dir,
    }
}

impl Process {
    pub fn log(&self) -> String {
        self.running.log()
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }
}

/// A gateway whose one partner `rs` (key `partner_key`) sends records to
/// `POST /v1/records` and whose hub is `hub_url`; `store` is its `[store]` table.
/// `lease` and `claim` set `[forward] lease` and `batch`: short leases let a dead
/// gateway's claims be taken over quickly.
pub fn forwarding_gateway_config(
    store: &str,
    hub_url: &str,
    (partner_key, operator_key): (&str, &str),
    (lease, claim): (&str, u32),
) -> String {
    format!(
        r#"[gateway]
country = "RS"
agency = "RS-MUP"
listen = "127.0.0.1:0"
operator_key_hashes = ["{operator}"]

{store}
[hub]
url = "{hub_url}"
retry = {{ max_attempts = 50, initial_backoff = "100ms", max_backoff = "300ms" }}

[forward]
poll_interval = "20ms"
lease = "{lease}"
batch = {claim}

[[partner]]
id = "rs"
format = "registry-rs"
api_key_hashes = ["{partner}"]
owner_agencies = ["RS-MUP"]
"#,
        operator = cheap_hash(operator_key),
        partner = cheap_hash(partner_key),
    )
}
