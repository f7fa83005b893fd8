//! `iarms-gateway serve` and `hub` processes on ephemeral ports: start one on a
//! config file, wait until `/readyz` answers, kill it with SIGKILL (on purpose, or
//! when the test is done). Each process's stderr goes to a log file beside its
//! config, shown when it fails to start.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

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

/// A port that was free a moment ago (the process under test binds it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `iarms-gateway` process; killed with SIGKILL when dropped.
pub struct Running {
    child: Child,
    pub url: String,
    log: PathBuf,
}

impl Running {
    /// Starts `iarms-gateway ARGS --config CONFIG` (which listens on `port`) and
    /// waits until `/readyz` answers 200. Stderr is appended to `log`.
    pub async fn start(args: &[&str], config: &Path, port: u16, log: &Path) -> Running {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--config", path_str(config)]);
        let stderr = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", log.display()));
        let child = bin()
            .args(&all)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run iarms-gateway: {e}"));
        let mut running = Running {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log: log.to_path_buf(),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", running.url)).send().await {
                if r.status() == 200 {
                    return running;
                }
            }
            if let Ok(Some(status)) = running.child.try_wait() {
                panic!(
                    "{all:?} exited ({status}) before it was ready:\n{}",
                    running.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{all:?} did not start:\n{}",
                running.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`: no shutdown, no lease given back, nothing flushed.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What the process wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
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

/// Starts `iarms-gateway ARGS --config DIR/config.toml` listening on `port`.
pub async fn start(args: &[&str], dir: tempfile::TempDir, port: u16) -> Process {
    let config = dir.path().join("config.toml");
    let log = dir.path().join("stderr.log");
    let running = Running::start(args, &config, port, &log).await;
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
}

/// A gateway whose one partner `rs` (key `partner_key`) sends records to
/// `POST /v1/records` and whose hub is `hub_url`; `store` is its `[store]` table.
/// `lease` and `claim` set `[forward] lease` and `batch`: short leases let a dead
/// gateway's claims be taken over quickly.
pub fn forwarding_gateway_config(
    port: u16,
    store: &str,
    hub_url: &str,
    (partner_key, operator_key): (&str, &str),
    (lease, claim): (&str, u32),
) -> String {
    format!(
        r#"[gateway]
country = "RS"
agency = "RS-MUP"
listen = "127.0.0.1:{port}"
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
