//! Nothing for strangers (issue 16, finding 3), black-box over HTTP: a caller
//! without a valid key is refused from its headers at once, whatever body it
//! announces, and a flood of them costs the gateway neither memory nor time;
//! keys carry a public id (`hash-key`) and old keys without one still work.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::service::spawn_ready;
use support::{bin, path_str, run, run_with_stdin};

struct Gateway {
    child: Child,
    addr: SocketAddr,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gateway {
    /// The peak resident memory of the process so far (VmHWM), in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

/// A new key and its gateway.toml line, from `hash-key` (real argon2 cost).
fn new_key() -> (String, String) {
    let out = run(&["hash-key"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let key = lines.next().unwrap().to_string();
    let line = lines.next().unwrap().to_string();
    (key, line)
}

async fn start(partner_hashes: &[String], operator_hash: &str) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let hashes = partner_hashes
        .iter()
        .map(|h| format!("\"{h}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        r#"[gateway]
country = "RS"
agency = "MUP"
listen = "127.0.0.1:0"
operator_key_hashes = ["{operator_hash}"]

[store]
url = "gateway.db"

[hub]
url = "http://127.0.0.1:9"
api_key_env = "IARMS_STRANGERS_HUB_KEY"

[[partner]]
id = "rs"
format = "registry-rs"
api_key_hashes = [{hashes}]
owner_agencies = ["RS-MUP"]
"#
    );
    let config = dir.path().join("gateway.toml");
    std::fs::write(&config, text).unwrap();
    let log = dir.path().join("stderr.log");
    let mut command = bin();
    command
        .args(["serve", "--config", path_str(&config)])
        .env("IARMS_STRANGERS_HUB_KEY", "x")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()));
    let (child, addr, url) = spawn_ready(command, &dir.path().join("ready.json"), Some(&log)).await;
    Gateway {
        child,
        addr,
        url,
        _dir: dir,
    }
}

async fn status_with(url: &str, key: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{url}/v1/records"))
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_key_makes_keys_with_an_id_and_old_keys_still_work() {
    let (key, line) = new_key();
    let id = key
        .strip_prefix("iag_")
        .and_then(|r| r.split_once('_'))
        .map(|(id, _)| id.to_string())
        .unwrap();
    assert!(line.starts_with(&format!("{id}:$argon2id$")), "{line}");
    // An old key, hashed as before ids: a bare PHC string.
    let old = "an-old-key-made-before-ids";
    let out = run_with_stdin(&["hash-key", "--stdin"], format!("{old}\n").as_bytes());
    assert!(out.status.success(), "{out:?}");
    let old_line = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(old_line.starts_with("$argon2id$"), "{old_line}");
    let (_, operator) = new_key();
    let gateway = start(&[line, old_line], &operator).await;
    assert_eq!(status_with(&gateway.url, &key).await, 200);
    assert_eq!(status_with(&gateway.url, old).await, 200);
    let wrong_secret = format!("iag_{id}_{}", "0".repeat(64));
    assert_eq!(status_with(&gateway.url, &wrong_secret).await, 401);
    assert_eq!(
        status_with(&gateway.url, "iag_nobody0000_secret").await,
        401
    );
}

/// One stranger's connection: headers announcing a 10 MiB upload, then what
/// the server answers first (status line), and how long it took.
fn stranger(addr: SocketAddr, i: usize, id: &str) -> (String, Duration) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let credential = match i % 4 {
        0 => String::new(),
        // A key without an id: tried against the hashes without one.
        1 => format!("Authorization: Bearer stranger-{i}-{}\r\n", "k".repeat(30)),
        // An id nobody holds.
        2 => format!("X-Api-Key: iag_{i:012}_{}\r\n", "s".repeat(64)),
        // A real partner's key id with a wrong secret: one argon2 each.
        _ => format!("Authorization: Bearer iag_{id}_{i:064}\r\n"),
    };
    let expect = if i.is_multiple_of(2) {
        "Expect: 100-continue\r\n"
    } else {
        ""
    };
    let started = Instant::now();
    let head = format!(
        "POST /v1/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: 10485760\r\n{credential}{expect}\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    if expect.is_empty() {
        // The upload has begun; the server may close before taking it all.
        let _ = stream.write_all(&vec![b' '; 64 * 1024]);
    }
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    (
        text.lines().next().unwrap_or("").to_string(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_strangers_uploading_10_mib_are_refused_at_once_in_little_memory() {
    let (key, line) = new_key();
    let id = key[4..].split_once('_').unwrap().0.to_string();
    // Keys without an id as well, so that id-less strangers cost argon2 runs.
    let out = run_with_stdin(&["hash-key", "--stdin"], b"legacy-partner-key\n");
    let legacy = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let (_, operator) = new_key();
    let gateway = start(&[line, legacy], &operator).await;
    // The partner's key is verified once, then answered from the cache.
    assert_eq!(status_with(&gateway.url, &key).await, 200);
    let addr = gateway.addr;
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let id = id.clone();
            std::thread::spawn(move || {
                let (status, took) = stranger(addr, i, &id);
                (i, status, took)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in threads {
        answers.push(t.join().unwrap());
    }
    let mut slowest = Duration::ZERO;
    for (i, status, took) in &answers {
        slowest = slowest.max(*took);
        assert!(
            ["HTTP/1.1 401", "HTTP/1.1 429", "HTTP/1.1 503"]
                .iter()
                .any(|s| status.starts_with(s)),
            "stranger {i} got {status:?} after {took:?}"
        );
        assert!(
            *took < Duration::from_secs(1),
            "stranger {i} answered after {took:?}"
        );
    }
    assert!(
        answers
            .iter()
            .any(|(_, s, _)| s.starts_with("HTTP/1.1 429")),
        "no address quota: {answers:?}"
    );
    let peak = gateway.peak_rss_kib();
    assert!(peak < 256 * 1024, "peak RSS {peak} KiB");
    eprintln!(
        "200 strangers: slowest answer {slowest:?}, peak RSS {} MiB",
        peak / 1024
    );
    // The partner is served all the same, from the same address.
    assert_eq!(status_with(&gateway.url, &key).await, 200);
}
