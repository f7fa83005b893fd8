//! The hostile-input catalogue (`tests/hostile/cases.toml`), run black-box:
//! `iarms-gateway serve` gets every case on its partner's native route or a
//! canonical route, and `iarms-gateway convert` gets it as a file. After every
//! case the server must still answer `/healthz`, and its resident memory
//! (VmRSS, and the peak VmHWM, read from /proc/<pid>/status) must stay under
//! [`MEMORY_BOUND_MIB`] through the whole catalogue, the 2 GiB bodies included.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;
use support::service::{cheap_hash, spawn_ready};
use support::{bin, data, path_str, stderr, stdout};

/// The server's resident memory must stay under this through the catalogue.
/// The body limit is 10 MiB, so a request may cost a few times that while it
/// is decoded; anything near this bound means a body is being held or
/// expanded without limit.
const MEMORY_BOUND_MIB: u64 = 256;

/// Partners of the test gateway, one per format the catalogue sends: (id, format).
const PARTNERS: &[(&str, &str)] = &[
    ("rs", "registry-rs"),
    ("br", "registry-br"),
    ("regional", "regional-xml"),
    ("xml", "iarms-xml"),
    ("csv", "iarms-csv"),
    ("ndjson", "iarms-ndjson"),
    ("niem", "niem-xml"),
    ("ncic", "ncic"),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    case: Vec<Case>,
}

/// One hostile input and how it must be refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    id: String,
    /// What the case tries (shown when it fails).
    what: String,
    /// A file under tests/hostile/files/ ...
    file: Option<String>,
    /// ... or a generator for inputs too large to commit (see [`generate`]).
    generate: Option<String>,
    http: Option<HttpExpect>,
    cli: Option<CliExpect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpExpect {
    /// `partner:<id>` (its native route) or `records` (canonical `POST /v1/records`).
    send: String,
    /// Stream the body (for the huge generated ones): `length` sends a
    /// Content-Length header, `chunked` does not.
    stream: Option<String>,
    status: u16,
    /// The error code: `error.code` of an error reply, or the code of an error
    /// of a rejected record in a batch reply. Absent: only the status is checked.
    code: Option<String>,
    /// A substring of the error's message or reason.
    message: Option<String>,
    /// A key the error's location must have (`line`, `xml_path`, `csv_column`…).
    location: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CliExpect {
    from: String,
    /// Default `iarms-json`.
    to: Option<String>,
    /// Extra arguments to `convert`.
    #[serde(default)]
    args: Vec<String>,
    exit: i32,
    stderr: Option<String>,
    stdout: Option<String>,
    /// A substring that must NOT be in the output.
    not_stdout: Option<String>,
}

fn catalogue() -> Catalogue {
    let path = data("tests/hostile/cases.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A generated input: `kind:size`.
enum Generated {
    Bytes(Vec<u8>),
    /// `size` bytes of a valid-looking CSV row repeated, produced on the fly.
    Stream(u64),
}

fn generate(spec: &str) -> Generated {
    let (kind, size) = spec
        .split_once(':')
        .unwrap_or_else(|| panic!("generator {spec:?} is not kind:size"));
    let n: u64 = size
        .parse()
        .unwrap_or_else(|e| panic!("generator {spec:?}: {e}"));
    let count = usize::try_from(n).unwrap_or(usize::MAX);
    let text = match kind {
        "stream" => return Generated::Stream(n),
        // Canonical JSON: arrays nested `n` deep inside the messages array.
        "json-nesting" => format!(
            "{{\"messages\": [{}{}]}}",
            "[".repeat(count),
            "]".repeat(count)
        ),
        // registry-br JSON: objects nested `n` deep inside one record.
        "json-nesting-in-record" => format!(
            "{{\"armas\": [{{\"id\": \"SIN-1\", \"x\": {}1{}}}]}}",
            "{\"a\": ".repeat(count),
            "}".repeat(count)
        ),
        // Canonical XML: elements nested `n` deep inside one record.
        "xml-nesting" => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<messages xmlns=\"urn:iarms-gateway:canonical:1\" version=\"1.0\"><record>{}{}</record></messages>\n",
            "<a>".repeat(count),
            "</a>".repeat(count)
        ),
        // Regional XML: elements nested `n` deep above the record level.
        "xml-nesting-above-records" => format!(
            "<?xml version=\"1.0\"?>\n<rf:FirearmReport xmlns:rf=\"urn:example:regional-firearms:v2\">{}{}</rf:FirearmReport>\n",
            "<rf:Weapon>".repeat(count),
            "</rf:Weapon>".repeat(count)
        ),
        // registry-rs CSV: the real header, then a row of `n` columns.
        "csv-row-columns" => format!(
            "Proizvođač;Model;Serijski broj;Kalibar;Vrsta oružja;Zemlja proizvodnje;Status;Datum događaja;Broj predmeta;Mesto\r\n{}\r\n",
            vec!["x"; count].join(";")
        ),
        // Canonical CSV: a header of `n` columns (the known ones, then unknown).
        "csv-header-columns" => {
            let mut header: Vec<String> = vec!["kind".into(), "message_id".into()];
            header.extend((header.len()..count).map(|i| format!("c{i}")));
            format!("{}\nrecord\n", header.join(","))
        }
        // NDJSON: one line of `n` bytes (over the record size limit).
        "ndjson-line" => format!(
            "{{\"kind\": \"record\", \"header\": {{\"message_id\": \"{}\"}}}}\n",
            "x".repeat(count)
        ),
        // registry-br JSON: `n` empty records.
        "json-empty-records" => format!(
            "{{\"armas\": [{}]}}",
            vec!["{}"; count.max(1)].join(",")
        ),
        other => panic!("unknown generator {other}"),
    };
    Generated::Bytes(text.into_bytes())
}

/// The gateway process; killed when dropped.
struct Gateway {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Gateway {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// (VmRSS, VmHWM) in KiB.
    fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_else(|e| panic!("cannot read the server's /proc status: {e}"));
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("no {name} in /proc status"))
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

fn key_of(partner: &str) -> String {
    format!("hostile-{partner}-key")
}

async fn start_gateway() -> Gateway {
    let dir = support::tempdir();
    // The hub is a closed port (discard, 9): deliveries fail and wait, which
    // does not matter here.
    let mut config = String::from(
        "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n\
         [store]\nurl = \"gateway.db\"\n\n\
         [hub]\nurl = \"http://127.0.0.1:9\"\napi_key_env = \"IARMS_TEST_HUB_KEY\"\n\
         retry = { max_attempts = 3, initial_backoff = \"10s\", max_backoff = \"10s\" }\n",
    );
    for (id, format) in PARTNERS {
        config.push_str(&format!(
            "\n[[partner]]\nid = \"{id}\"\nformat = \"{format}\"\napi_key_hashes = [\"{}\"]\n",
            cheap_hash(&key_of(id))
        ));
    }
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, config).unwrap();
    let mut command = bin();
    command
        .args(["serve", "--config", path_str(&path)])
        .env("IARMS_TEST_HUB_KEY", "hub-key")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (child, addr, _) = spawn_ready(command, &dir.path().join("ready.json"), None).await;
    Gateway {
        child,
        port: addr.port(),
        _dir: dir,
    }
}

async fn healthy(gateway: &Gateway) -> bool {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    matches!(client.get(gateway.url("/healthz")).send().await, Ok(r) if r.status() == 200)
}

/// (route path, key) of a case's `send`.
fn route(send: &str) -> (String, String) {
    match send.split_once(':') {
        Some(("partner", id)) => {
            assert!(
                PARTNERS.iter().any(|(p, _)| *p == id),
                "no test partner {id}"
            );
            (format!("/v1/partners/{id}/messages"), key_of(id))
        }
        None if send == "records" => ("/v1/records".to_string(), key_of("br")),
        _ => panic!("unknown send {send:?}: partner:<id> or records"),
    }
}

/// Posts a body held in memory; returns (status, body as JSON or text).
async fn post(gateway: &Gateway, send: &str, body: Vec<u8>) -> (u16, Value) {
    let (path, key) = route(send);
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
        .post(gateway.url(&path))
        .bearer_auth(key)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Streams `size` bytes to the route over a raw connection, with a
/// Content-Length header or chunked, and stops as soon as the reply comes.
/// Returns (status, reply body, bytes of body sent). A raw socket rather than a
/// reqwest stream: it needs no extra crate features, and it shows exactly how
/// much the server read before answering.
fn stream_post(port: u16, send: &str, size: u64, chunked: bool) -> (u16, String, u64) {
    let (path, key) = route(send);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {size}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n{framing}\r\nContent-Type: text/csv\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let replied = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let writer = {
        let mut stream = stream.try_clone().unwrap();
        let replied = Arc::clone(&replied);
        let sent = Arc::clone(&sent);
        std::thread::spawn(move || {
            // A plausible CSV row, repeated: the server cannot tell it from a real export.
            let row = "Zastava;M70AB2;C-123456;7,62x39;automatska puška;YU;ukradeno;07.03.2024;KU-2024-00117;Kragujevac\r\n";
            let chunk: Vec<u8> = row.repeat(64 * 1024 / row.len()).into_bytes();
            let mut left = size;
            while left > 0 && !replied.load(Ordering::SeqCst) {
                let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
                let ok = if chunked {
                    stream
                        .write_all(format!("{n:x}\r\n").as_bytes())
                        .and_then(|_| stream.write_all(&chunk[..n]))
                        .and_then(|_| stream.write_all(b"\r\n"))
                } else {
                    stream.write_all(&chunk[..n])
                };
                if ok.is_err() {
                    break; // the server closed the connection after refusing
                }
                left -= n as u64;
                sent.fetch_add(n as u64, Ordering::SeqCst);
            }
            if chunked && left == 0 {
                let _ = stream.write_all(b"0\r\n\r\n");
            }
        })
    };
    // Read until the reply's headers and its body (by Content-Length) are in.
    let mut reply = Vec::new();
    let mut buf = [0u8; 8192];
    let (status, body) = loop {
        let n = stream
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("no reply while streaming: {e}"));
        assert!(
            n > 0 || !reply.is_empty(),
            "connection closed without a reply"
        );
        reply.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&reply).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let status: u16 = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("not an HTTP reply: {head}"));
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())
                        .flatten()
                })
                .unwrap_or(0);
            if body.len() >= length || n == 0 {
                break (status, body.to_string());
            }
        }
        if n == 0 {
            panic!("connection closed inside the reply: {text}");
        }
    };
    replied.store(true, Ordering::SeqCst);
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let _ = writer.join();
    (status, body, sent.load(Ordering::SeqCst))
}

/// Every error a reply carries: the error of an error reply, or the errors of
/// every rejected record of a batch reply.
fn errors_of(reply: &Value) -> Vec<Value> {
    if let Some(error) = reply.get("error") {
        return vec![error.clone()];
    }
    reply["results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["errors"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn check_http(case: &Case, expect: &HttpExpect, status: u16, reply: &Value) -> Result<(), String> {
    if status != expect.status {
        return Err(format!("status {status}, expected {}", expect.status));
    }
    if reply.get("results").is_some() && reply["accepted"].as_u64().unwrap_or(0) > 0 {
        return Err("a hostile record was accepted".to_string());
    }
    let Some(code) = &expect.code else {
        return Ok(());
    };
    let errors = errors_of(reply);
    let matching = errors.iter().find(|e| {
        let text = e["message"].as_str().or(e["reason"].as_str()).unwrap_or("");
        e["code"] == code.as_str()
            && expect.message.as_ref().is_none_or(|m| text.contains(m))
            && expect
                .location
                .as_ref()
                .is_none_or(|key| e["location"].get(key).is_some())
    });
    match matching {
        Some(_) => Ok(()),
        None => Err(format!(
            "no error with code {code:?}{}{} ({})",
            expect
                .message
                .as_ref()
                .map(|m| format!(", message containing {m:?}"))
                .unwrap_or_default(),
            expect
                .location
                .as_ref()
                .map(|k| format!(", location with {k:?}"))
                .unwrap_or_default(),
            case.what
        )),
    }
}

fn check_cli(expect: &CliExpect, input: &Path) -> Result<(), String> {
    let to = expect.to.as_deref().unwrap_or("iarms-json");
    let output = bin()
        .args(["convert", "--from", &expect.from, "--to", to])
        .args(&expect.args)
        .arg(input)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run convert: {e}"))?;
    let (out, err) = (stdout(&output), stderr(&output));
    let short = |s: &str| s.chars().take(600).collect::<String>();
    if output.status.code() != Some(expect.exit) {
        return Err(format!(
            "convert exit {:?}, expected {}; stderr: {}",
            output.status.code(),
            expect.exit,
            short(&err)
        ));
    }
    if let Some(s) = &expect.stderr {
        if !err.contains(s.as_str()) {
            return Err(format!("stderr lacks {s:?}: {}", short(&err)));
        }
    }
    if let Some(s) = &expect.stdout {
        if !out.contains(s.as_str()) {
            return Err(format!("stdout lacks {s:?}: {}", short(&out)));
        }
    }
    if let Some(s) = &expect.not_stdout {
        if out.contains(s.as_str()) {
            return Err(format!("stdout has {s:?}: {}", short(&out)));
        }
    }
    Ok(())
}

#[test]
fn the_catalogue_lists_at_least_thirty_cases_each_with_an_input_and_an_expectation() {
    let catalogue = catalogue();
    assert!(catalogue.case.len() >= 30, "{} cases", catalogue.case.len());
    let mut ids = std::collections::HashSet::new();
    for case in &catalogue.case {
        assert!(ids.insert(case.id.as_str()), "duplicate id {}", case.id);
        assert!(
            case.file.is_some() != case.generate.is_some(),
            "{}: exactly one of file and generate",
            case.id
        );
        if let Some(file) = &case.file {
            let path = data(&format!("tests/hostile/files/{file}"));
            assert!(path.is_file(), "{}: no {}", case.id, path.display());
        }
        assert!(
            case.http.is_some() || case.cli.is_some(),
            "{}: no expectation",
            case.id
        );
    }
    // The README lists every case.
    let readme = std::fs::read_to_string(data("tests/hostile/README.md")).unwrap_or_default();
    for case in &catalogue.case {
        assert!(
            readme.contains(&format!("`{}`", case.id)),
            "tests/hostile/README.md does not list {}",
            case.id
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_input_is_refused_and_the_server_stays_up_with_bounded_memory() {
    let catalogue = catalogue();
    let gateway = start_gateway().await;
    let work = support::tempdir();
    let mut failures = Vec::new();
    let mut peak_hwm = 0;
    let (start_rss, _) = gateway.memory_kib();
    for case in &catalogue.case {
        let started = Instant::now();
        let input: Option<PathBuf> = match (&case.file, &case.generate) {
            (Some(file), _) => Some(data(&format!("tests/hostile/files/{file}"))),
            (None, Some(spec)) => match generate(spec) {
                Generated::Bytes(bytes) => {
                    let path = work.path().join(&case.id);
                    std::fs::write(&path, bytes).unwrap();
                    Some(path)
                }
                Generated::Stream(_) => None,
            },
            (None, None) => None,
        };
        if let Some(expect) = &case.http {
            let result = match (&expect.stream, &case.generate) {
                (Some(mode), Some(spec)) => {
                    let Generated::Stream(size) = generate(spec) else {
                        panic!("{}: stream needs generate = \"stream:N\"", case.id)
                    };
                    let port = gateway.port;
                    let send = expect.send.clone();
                    let chunked = mode == "chunked";
                    let (status, body, sent) = tokio::task::spawn_blocking(move || {
                        stream_post(port, &send, size, chunked)
                    })
                    .await
                    .unwrap();
                    let reply = serde_json::from_str(&body).unwrap_or(Value::String(body));
                    // Refused early: the server read at most a few times its 10 MiB limit.
                    if sent > 64 * 1024 * 1024 {
                        Err(format!("{sent} bytes were read before the refusal"))
                    } else {
                        eprintln!("{}: refused after {sent} bytes sent", case.id);
                        check_http(case, expect, status, &reply)
                    }
                }
                _ => {
                    let body = std::fs::read(input.as_ref().unwrap()).unwrap();
                    let (status, reply) = post(&gateway, &expect.send, body).await;
                    check_http(case, expect, status, &reply).map_err(|e| {
                        let text = reply.to_string();
                        format!("{e}; reply: {}", text.chars().take(600).collect::<String>())
                    })
                }
            };
            if let Err(e) = result {
                failures.push(format!("{} (http): {e}", case.id));
            }
            if !healthy(&gateway).await {
                failures.push(format!("{}: /healthz did not answer afterwards", case.id));
            }
            let (rss, hwm) = gateway.memory_kib();
            peak_hwm = peak_hwm.max(hwm);
            eprintln!(
                "{}: VmRSS {} MiB, VmHWM {} MiB, {:.1} s",
                case.id,
                rss / 1024,
                hwm / 1024,
                started.elapsed().as_secs_f64()
            );
            if hwm > MEMORY_BOUND_MIB * 1024 {
                failures.push(format!(
                    "{}: server peak memory {} MiB is over the {MEMORY_BOUND_MIB} MiB bound",
                    case.id,
                    hwm / 1024
                ));
            }
        }
        if let (Some(expect), Some(input)) = (&case.cli, &input) {
            if let Err(e) = check_cli(expect, input) {
                failures.push(format!("{} (cli): {e}", case.id));
            }
        }
    }
    eprintln!(
        "server memory: {} MiB at start, peak (VmHWM) {} MiB over {} cases; bound {MEMORY_BOUND_MIB} MiB",
        start_rss / 1024,
        peak_hwm / 1024,
        catalogue.case.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        catalogue.case.len(),
        failures.join("\n")
    );
}
