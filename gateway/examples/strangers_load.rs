//! The load of benches/strangers.sh (issue 16's targets), bounded in time:
//!
//! - `uploads ADDR N`: N strangers at once, each announcing a 10 MiB upload
//!   (half with `Expect: 100-continue`, half sending its first 64 KiB), with no
//!   key, a wrong key without an id, an id nobody holds, or a real id with a
//!   wrong secret; prints how many were refused and the slowest answer.
//! - `keys ADDR CLIENTS SECONDS KEY ID`: CLIENTS send random keys (without an
//!   id, and with the partner's id and a wrong secret) as fast as they are
//!   answered for SECONDS while the partner holding KEY posts one record every
//!   20 ms from another loopback address (127.0.0.2); prints the partner's
//!   latency p50/p99/max and what the strangers were answered.

// A load tool's unwrap is its failure report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("uploads") => uploads(args[2].parse().unwrap(), args[3].parse().unwrap()),
        Some("keys") => {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(keys(
                args[2].parse().unwrap(),
                args[3].parse().unwrap(),
                args[4].parse().unwrap(),
                args[5].clone(),
                args[6].clone(),
            ));
        }
        _ => {
            eprintln!("usage: strangers_load uploads ADDR N | keys ADDR CLIENTS SECONDS KEY ID");
            std::process::exit(2);
        }
    }
}

fn uploads(addr: SocketAddr, n: usize) {
    let threads: Vec<_> = (0..n)
        .map(|i| {
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut stream = TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(40)))
                    .unwrap();
                let credential = match i % 4 {
                    0 => String::new(),
                    1 => format!("Authorization: Bearer stranger-{i}-{}\r\n", "k".repeat(30)),
                    2 => format!("X-Api-Key: iag_{i:012}_{}\r\n", "s".repeat(64)),
                    _ => format!(
                        "Authorization: Bearer iag_{}_{i:064}\r\n",
                        std::env::var("KEY_ID").unwrap_or_default()
                    ),
                };
                let expect = if i.is_multiple_of(2) {
                    "Expect: 100-continue\r\n"
                } else {
                    ""
                };
                let head = format!(
                    "POST /v1/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                     Content-Length: 10485760\r\n{credential}{expect}\r\n"
                );
                let _ = stream.write_all(head.as_bytes());
                if expect.is_empty() {
                    let _ = stream.write_all(&vec![b' '; 64 * 1024]);
                }
                let mut buf = [0u8; 256];
                let n = stream.read(&mut buf).unwrap_or(0);
                let status = String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .next()
                    .unwrap_or("(closed)")
                    .to_string();
                (status, started.elapsed())
            })
        })
        .collect();
    let mut statuses = BTreeMap::new();
    let mut slowest = Duration::ZERO;
    let mut continues = 0;
    for t in threads {
        let (status, took) = t.join().unwrap();
        slowest = slowest.max(took);
        if status.contains("100 Continue") {
            continues += 1;
        }
        *statuses.entry(status).or_insert(0) += 1;
    }
    println!(
        "uploads: {n} strangers, slowest answer {} ms, 100-continue sent {continues}",
        slowest.as_millis()
    );
    for (status, count) in statuses {
        println!("uploads:   {count:4} x {status}");
    }
}

async fn keys(addr: SocketAddr, clients: usize, seconds: u64, key: String, id: String) {
    let until = Instant::now() + Duration::from_secs(seconds);
    let answers = Arc::new(Mutex::new(BTreeMap::<u16, u64>::new()));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let answers = Arc::clone(&answers);
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = 0u64;
            while Instant::now() < until {
                n += 1;
                let key = if n.is_multiple_of(2) {
                    format!("random-{c}-{n}-{}", uuid::Uuid::new_v4().simple())
                } else {
                    format!("iag_{id}_{}", uuid::Uuid::new_v4().simple())
                };
                let status = match client
                    .post(format!("http://{addr}/v1/records"))
                    .bearer_auth(key)
                    .body("[]")
                    .send()
                    .await
                {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                };
                *answers.lock().unwrap().entry(status).or_insert(0) += 1;
            }
        }));
    }
    // The partner, from another address, at a steady 50 requests per second.
    let partner = reqwest::Client::builder()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let mut latencies = Vec::new();
    let mut failed = 0;
    let mut n = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    while Instant::now() < until {
        tick.tick().await;
        n += 1;
        let id = uuid::Uuid::new_v4();
        let record = serde_json::json!({
            "kind": "record",
            "header": {"message_id": id, "correlation_id": id, "schema_version": "1.0"},
            "record_id": format!("LOAD-{n}-{}", id.simple()),
            "owner_country": "RS",
            "owner_agency": "RS-MUP",
            "action": "create",
            "firearm": {"make": "Zastava", "model": "M70", "serial_number": format!("LOAD{n}"),
                        "calibre": "7.62x39mm", "firearm_type": "assault_rifle"},
            "event": {"status": "stolen", "date": "2024-03-07"}
        });
        let started = Instant::now();
        let ok = partner
            .post(format!("http://{addr}/v1/records"))
            .bearer_auth(&key)
            .json(&record)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        latencies.push(started.elapsed());
        if !ok {
            failed += 1;
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "keys: partner {} requests ({failed} not 2xx): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
    let answers = answers.lock().unwrap();
    let total: u64 = answers.values().sum();
    println!("keys: {clients} strangers sent {total} random keys in {seconds} s: {answers:?}");
}
