//! TLS and mutual TLS of `iarms-gateway serve` and `iarms-gateway hub`: the
//! tests make their own CAs and certificates (rcgen), start the binary on TLS
//! with client certificates required for identity, and check that a valid
//! certificate is accepted, an unknown CA and an expired certificate fail the
//! handshake, a known CA with an unknown subject is refused (403), API keys
//! still work over TLS, and a gateway delivers to the hub over mutual TLS.

// A test's unwrap, expect or index is its assertion (clippy cannot tell this file is a test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::{json, Value};
use support::service::{cheap_hash, spawn_ready};
use support::wait::wait_until;
use support::{bin, path_str};

const KEY_OPS: &str = "operator-key";
const KEY_RS: &str = "rs-partner-key";

/// A test certificate authority.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf certificate and its key (PEM): `cn`/`o` subject, `sans`, server
    /// or client use, expired or not.
    fn issue(&self, cn: &str, o: &str, sans: &[&str], server: bool, expired: bool) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.distinguished_name.push(DnType::OrganizationName, o);
        params.extended_key_usages = vec![if server {
            ExtendedKeyUsagePurpose::ServerAuth
        } else {
            ExtendedKeyUsagePurpose::ClientAuth
        }];
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

struct Leaf {
    cert: String,
    key: String,
}

impl Leaf {
    /// Writes `name.pem` and `name.key` into `dir`.
    fn write(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&cert, &self.cert).unwrap();
        std::fs::write(&key, &self.key).unwrap();
        (cert, key)
    }

    fn identity(&self) -> reqwest::Identity {
        reqwest::Identity::from_pem(format!("{}\n{}", self.cert, self.key).as_bytes()).unwrap()
    }
}

/// A running process; killed when dropped.
struct Process {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client that trusts `ca` only and presents `identity`, if any.
fn client(ca: &Ca, identity: Option<&Leaf>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap()])
        .timeout(Duration::from_secs(10));
    if let Some(leaf) = identity {
        builder = builder.identity(leaf.identity());
    }
    builder.build().unwrap()
}

/// Starts `iarms-gateway <command> --config config.toml` in `dir` (listening
/// on port 0) and waits until it reports where it serves https.
async fn start(command: &str, dir: tempfile::TempDir) -> Process {
    let config = dir.path().join("config.toml");
    let mut spawn = bin();
    spawn
        .args([command, "--config", path_str(&config)])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (child, _, url) = spawn_ready(spawn, &dir.path().join("ready.json"), None).await;
    assert!(url.starts_with("https://"), "{command} serves {url}");
    Process {
        child,
        url,
        _dir: dir,
    }
}

/// The PKI of one test: the CA the servers trust for clients, another CA, and
/// the server certificate (for 127.0.0.1).
struct Pki {
    ca: Ca,
    other_ca: Ca,
    server: Leaf,
}

impl Pki {
    fn new() -> Pki {
        let ca = Ca::new("iARMS Test CA");
        let server = ca.issue("gateway", "Test", &["127.0.0.1", "localhost"], true, false);
        Pki {
            other_ca: Ca::new("Someone Else's CA"),
            ca,
            server,
        }
    }

    /// Writes `ca.pem`, `server.pem` and `server.key` into `dir`.
    fn write(&self, dir: &Path) {
        std::fs::write(dir.join("ca.pem"), &self.ca.pem).unwrap();
        self.server.write(dir, "server");
    }
}

const TLS: &str = r#"
[tls]
cert_file = "server.pem"
key_file = "server.key"
client_ca_files = ["ca.pem"]
"#;

async fn start_gateway(pki: &Pki, hub: &str, hub_tls: &str) -> Process {
    let dir = tempfile::tempdir().unwrap();
    pki.write(dir.path());
    let text = format!(
        r#"[gateway]
country = "RS"
agency = "MUP"
listen = "127.0.0.1:0"
operator_key_hashes = ["{ops}"]

[store]
url = "gateway.db"

[hub]
url = "{hub}"
{hub_tls}
retry = {{ max_attempts = 50, initial_backoff = "100ms", max_backoff = "300ms" }}

[forward]
poll_interval = "50ms"

[[partner]]
id = "rs"
format = "registry-rs"
api_key_hashes = ["{rs}"]
owner_agencies = ["RS-MUP"]
client_certs = [{{ ca = "ca.pem", subject = "CN=rs-registry,O=MUP", san = "rs-registry.mup.rs" }}]
{TLS}"#,
        ops = cheap_hash(KEY_OPS),
        rs = cheap_hash(KEY_RS),
    );
    std::fs::write(dir.path().join("config.toml"), text).unwrap();
    start("serve", dir).await
}

fn record(message_id: &str) -> Value {
    json!({
        "kind": "record",
        "header": {"message_id": message_id, "correlation_id": message_id, "schema_version": "1.0"},
        "record_id": "TLS-1",
        "owner_country": "RS",
        "owner_agency": "RS-MUP",
        "action": "create",
        "firearm": {"make": "Zastava", "model": "M70", "serial_number": "TLS-1",
                    "calibre": "7.62x39mm", "firearm_type": "assault_rifle"},
        "event": {"status": "stolen", "date": "2024-03-07"}
    })
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_valid_unknown_ca_expired_and_unknown_subject() {
    let pki = Pki::new();
    let gw = start_gateway(&pki, "http://127.0.0.1:9", "").await;
    let messages = format!("{}/v1/messages", gw.url);

    // A valid certificate of the configured CA with the partner's subject and SAN.
    let valid = pki
        .ca
        .issue("rs-registry", "MUP", &["rs-registry.mup.rs"], false, false);
    let (status, page) = json_of(
        client(&pki.ca, Some(&valid))
            .get(&messages)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let (status, reply) = json_of(
        client(&pki.ca, Some(&valid))
            .post(format!("{}/v1/records", gw.url))
            .body(record("22222222-2222-4222-8222-000000000001").to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["results"][0]["outcome"], "accepted", "{reply}");

    // A certificate of another CA: the handshake fails, no HTTP answer.
    let stranger = pki
        .other_ca
        .issue("rs-registry", "MUP", &["rs-registry.mup.rs"], false, false);
    let refused = client(&pki.ca, Some(&stranger)).get(&messages).send().await;
    assert!(refused.is_err(), "unknown CA accepted: {refused:?}");

    // An expired certificate of the right CA: the handshake fails too.
    let expired = pki
        .ca
        .issue("rs-registry", "MUP", &["rs-registry.mup.rs"], false, true);
    let refused = client(&pki.ca, Some(&expired)).get(&messages).send().await;
    assert!(
        refused.is_err(),
        "expired certificate accepted: {refused:?}"
    );

    // The right CA, a subject nobody is configured with: 403, even with a valid key.
    let nobody = pki
        .ca
        .issue("intruder", "MUP", &["intruder.mup.rs"], false, false);
    let (status, reply) = json_of(
        client(&pki.ca, Some(&nobody))
            .get(&messages)
            .bearer_auth(KEY_RS)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "{reply}");
    assert_eq!(reply["error"]["code"], "unknown_certificate", "{reply}");

    // The right subject but not the configured SAN: refused as well.
    let wrong_san = pki
        .ca
        .issue("rs-registry", "MUP", &["other.mup.rs"], false, false);
    let (status, _) = json_of(
        client(&pki.ca, Some(&wrong_san))
            .get(&messages)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);

    // No certificate: API keys still work over TLS; nothing at all is 401.
    let plain = client(&pki.ca, None);
    let (status, _) = json_of(
        plain
            .get(&messages)
            .bearer_auth(KEY_RS)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, reply) = json_of(plain.get(&messages).send().await.unwrap()).await;
    assert_eq!(status, 401, "{reply}");

    // A client that does not trust our CA refuses the server.
    let untrusting = client(&pki.other_ca, None).get(&messages).send().await;
    assert!(untrusting.is_err(), "{untrusting:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_delivers_to_the_hub_over_mutual_tls() {
    let pki = Pki::new();
    // The hub: TLS, and the RS gateway known by its client certificate only.
    let hub_dir = tempfile::tempdir().unwrap();
    pki.write(hub_dir.path());
    std::fs::write(hub_dir.path().join("rs.key"), "hub-calls-rs").unwrap();
    let hub_text = format!(
        r#"[hub]
listen = "127.0.0.1:0"

[store]
url = "hub.db"

[forward]
poll_interval = "50ms"

[[gateway]]
country = "RS"
url = "http://127.0.0.1:9"
key_file = "rs.key"
client_certs = [{{ ca = "ca.pem", subject = "CN=gateway-rs,O=MUP" }}]
{TLS}"#
    );
    std::fs::write(hub_dir.path().join("config.toml"), hub_text).unwrap();
    let hub = start("hub", hub_dir).await;

    // The gateway presents its certificate to the hub and trusts the hub's CA.
    let gw_cert = pki
        .ca
        .issue("gateway-rs", "MUP", &["gateway.rs"], false, false);
    let gw_dir = tempfile::tempdir().unwrap();
    let (cert, key) = gw_cert.write(gw_dir.path(), "gateway-client");
    let hub_tls = format!(
        "ca_file = \"{}\"\nclient_cert_file = \"{}\"\nclient_key_file = \"{}\"",
        path_str(&gw_dir.path().join("ca.pem")),
        path_str(&cert),
        path_str(&key),
    );
    std::fs::write(gw_dir.path().join("ca.pem"), &pki.ca.pem).unwrap();
    let gw = start_gateway(&pki, &hub.url, &hub_tls).await;

    let id = "33333333-3333-4333-8333-000000000001";
    let (status, reply) = json_of(
        client(&pki.ca, None)
            .post(format!("{}/v1/records", gw.url))
            .bearer_auth(KEY_RS)
            .body(record(id).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let message_id = reply["results"][0]["message_id"]
        .as_str()
        .unwrap()
        .to_string();
    let ops = client(&pki.ca, None);
    let (ops, view_url) = (&ops, &format!("{}/v1/messages/{message_id}", gw.url));
    wait_until(
        Duration::from_secs(20),
        "the record delivered to the hub over mTLS",
        || async move {
            let (status, view) =
                json_of(ops.get(view_url).bearer_auth(KEY_OPS).send().await.unwrap()).await;
            assert_eq!(status, 200, "{view}");
            view["deliveries"][0]["state"] == "delivered"
        },
    )
    .await;

    // Without the client certificate the hub does not know the caller.
    let (status, reply) = json_of(
        client(&pki.ca, None)
            .post(format!("{}/v1/records", hub.url))
            .body(record(id).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "{reply}");
    // Another gateway's certificate of the right CA: 403.
    let other = pki
        .ca
        .issue("gateway-br", "PF", &["gateway.br"], false, false);
    let (status, reply) = json_of(
        client(&pki.ca, Some(&other))
            .post(format!("{}/v1/records", hub.url))
            .body(record(id).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "{reply}");
}
