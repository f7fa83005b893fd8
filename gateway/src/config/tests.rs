//! gateway.toml: defaults, bounds and located faults.

use std::path::Path;
use std::time::Duration;

use iarms_adapters::MessageKind;

use super::*;

#[test]
fn durations() {
    assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert!(parse_duration("5 parsecs").is_err());
    assert!(parse_duration("").is_err());
    assert!(parse_duration("s").is_err());
    assert_eq!(parse_duration("3650d"), Ok(check::MAX_DURATION));
}

#[test]
fn durations_that_overflow_are_refused_not_wrapped() {
    // n * 86_400_000 overflows u64 here; before the checks it panicked in a
    // debug build and wrapped to a short duration in a release one.
    for v in [
        "213503982334601d",
        "18446744073709551615s",
        "99999999999999999999ms",
        "3651d",
    ] {
        let e = parse_duration(v).expect_err(v);
        assert!(e.contains("longer than the most allowed"), "{v}: {e}");
    }
}

#[test]
fn lease_must_be_longer_than_timeout() {
    let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n[hub]\nurl = \"http://127.0.0.1:9\"\n\n[forward]\n";
    let refused = |body: &str| {
        let Err(errors) = Config::parse(&format!("{head}{body}"), Path::new("g.toml")) else {
            panic!("{body}: expected errors")
        };
        errors.0
    };
    let e = refused("lease = \"10s\"\ntimeout = \"10s\"\n");
    assert_eq!(
        (e[0].line, e[0].key.as_deref()),
        (Some(10), Some("forward.lease")),
        "{e:?}"
    );
    assert!(
        e[0].message
            .contains("lease (10s) must be longer than timeout (10s)"),
        "{e:?}"
    );
    // Only the timeout given, at least the default lease (60s): located at the timeout.
    let e = refused("timeout = \"2m\"\n");
    assert_eq!(
        (e[0].line, e[0].key.as_deref()),
        (Some(10), Some("forward.timeout")),
        "{e:?}"
    );
    // A short lease alone: the timeout defaults to three quarters of it.
    let (config, _) = Config::parse(&format!("{head}lease = \"2s\"\n"), Path::new("g.toml"))
        .expect("short lease");
    assert_eq!(config.forward.timeout, Duration::from_millis(1500));
    let (config, _) = Config::parse(
        &format!("{head}lease = \"31s\"\ntimeout = \"30s\"\n"),
        Path::new("g.toml"),
    )
    .expect("longer lease");
    assert_eq!(
        (config.forward.lease, config.forward.timeout),
        (Duration::from_secs(31), Duration::from_secs(30))
    );
    let e = refused("lease = \"0s\"\n");
    assert!(
        e.iter()
            .any(|e| e.message.contains("must be longer than 0")),
        "{e:?}"
    );
}

#[test]
fn idempotency_retention_defaults_to_a_week() {
    let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n[hub]\nurl = \"http://127.0.0.1:9\"\n";
    let (config, _) = Config::parse(head, Path::new("g.toml")).expect("minimal");
    assert_eq!(
        config.idempotency_retention,
        Duration::from_secs(7 * 86_400)
    );
    let (config, _) = Config::parse(
        &format!("{head}[store]\nidempotency_retention = \"2d\"\n"),
        Path::new("g.toml"),
    )
    .expect("2d");
    assert_eq!(
        config.idempotency_retention,
        Duration::from_secs(2 * 86_400)
    );
    let Err(e) = Config::parse(
        &format!("{head}[store]\nidempotency_retention = \"10ms\"\n"),
        Path::new("g.toml"),
    ) else {
        panic!("10ms accepted")
    };
    assert_eq!(e.0[0].key.as_deref(), Some("store.idempotency_retention"));
    assert_eq!(e.0[0].line, Some(9));
}

#[test]
fn a_file_tells_whether_it_configures_a_gateway_or_the_hub() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let text = |name: &str| std::fs::read_to_string(examples.join(name)).expect("example");
    assert_eq!(kind_of(&text("gateway.toml")), FileKind::Gateway);
    assert_eq!(kind_of(&text("hub.toml")), FileKind::Hub);
    assert_eq!(kind_of("[hub]\nlisten = \"127.0.0.1:0\"\n"), FileKind::Hub);
    assert_eq!(kind_of("[[gateway]]\ncountry = \"RS\"\n"), FileKind::Hub);
    assert_eq!(kind_of("[hub]\nurl = \"http://h\"\n"), FileKind::Gateway);
    assert_eq!(kind_of("not = [toml"), FileKind::Gateway);
}

#[test]
fn located_errors() {
    let text = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n[hub]\nurl = \"ftp://x\"\n\n[[partner]]\nid = \"a\"\nformat = \"nope\"\n\n[[partner]]\nid = \"a\"\nformat = \"registry-rs\"\nretry = { initial_backoff = \"soon\" }\n";
    let Err(errors) = Config::parse(text, Path::new("g.toml")) else {
        panic!("expected errors")
    };
    let errors = errors.0;
    let lines: Vec<_> = errors.iter().map(|e| (e.line, e.key.clone())).collect();
    assert!(
        lines.contains(&(Some(7), Some("hub.url".into()))),
        "{lines:?}"
    );
    assert!(
        lines.contains(&(Some(11), Some("partner[1].format".into()))),
        "{lines:?}"
    );
    assert!(
        lines.contains(&(Some(14), Some("partner[2].id".into()))),
        "{lines:?}"
    );
    assert!(
        lines.contains(&(Some(16), Some("partner[2].retry.initial_backoff".into()))),
        "{lines:?}"
    );
    let Err(unknown) = Config::parse(
        "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\ncolour = 1\n",
        Path::new("g.toml"),
    ) else {
        panic!("expected errors")
    };
    let unknown = unknown.0;
    assert_eq!(unknown[0].line, Some(5));
    assert!(
        unknown[0].message.contains("colour"),
        "{}",
        unknown[0].message
    );
}

#[test]
fn forward_defaults_and_bounds() {
    let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n[hub]\nurl = \"http://127.0.0.1:9\"\n";
    let (config, _) = Config::parse(head, Path::new("g.toml")).expect("minimal config");
    assert_eq!((config.forward.batch, config.forward.concurrency), (50, 16));
    let tuned = format!("{head}\n[forward]\nbatch = 200\nconcurrency = 0\nlease = \"2m\"\n");
    let (config, _) = Config::parse(&tuned, Path::new("g.toml")).expect("tuned config");
    assert_eq!(config.forward.batch, 200);
    assert_eq!(
        config.forward.concurrency, 1,
        "at least one delivery at a time"
    );
    assert_eq!(config.forward.lease, Duration::from_secs(120));
}

#[test]
fn per_kind_formats_and_received_kinds() {
    let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n[hub]\nurl = \"http://127.0.0.1:9\"\n\n";
    let good = format!(
        "{head}[[partner]]\nid = \"rs\"\nformat = \"registry-rs\"\noutbound = {{ directory = \"out\" }}\n\
         formats = {{ trace-request = \"registry-rs-trace-request\" }}\nreceives = [\"trace_request\", \"hit-notification\"]\n"
    );
    let (config, _) = Config::parse(&good, Path::new("g.toml")).unwrap_or_else(|e| panic!("{e:?}"));
    let rs = &config.partners[0];
    assert_eq!(
        rs.format_for(MessageKind::TraceRequest),
        "registry-rs-trace-request"
    );
    assert_eq!(rs.format_for(MessageKind::Record), "registry-rs");
    assert!(rs.receives(MessageKind::TraceRequest));
    assert!(rs.receives(MessageKind::HitNotification));
    assert!(!rs.receives(MessageKind::TraceResponse));

    let bad = format!(
        "{head}[[partner]]\nid = \"rs\"\nformat = \"registry-rs\"\n\
         formats = {{ trace_request = \"registry-rs\", parcel = \"iarms-json\" }}\nreceives = [\"gossip\"]\n"
    );
    let Err(errors) = Config::parse(&bad, Path::new("g.toml")) else {
        panic!("expected errors")
    };
    let found: Vec<(Option<usize>, String, String)> = errors
        .0
        .iter()
        .map(|e| (e.line, e.key.clone().unwrap_or_default(), e.message.clone()))
        .collect();
    let has = |line: usize, key: &str, text: &str| {
        found
            .iter()
            .any(|(l, k, m)| *l == Some(line) && k == key && m.contains(text))
    };
    assert!(
        has(12, "partner[1].formats.parcel", "not a message kind"),
        "{found:?}"
    );
    assert!(
        has(
            12,
            "partner[1].formats.trace_request",
            "cannot carry trace_request"
        ),
        "{found:?}"
    );
    assert!(
        has(13, "partner[1].receives", "`gossip` is not a message kind"),
        "{found:?}"
    );
}

/// TLS files are loaded by check-config: a missing or unparsable file and a
/// client certificate rule whose CA is not a client CA are located errors.
#[test]
fn tls_files_and_certificate_rules_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.path().join("server.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("server.key"), key.serialize_pem()).unwrap();
    std::fs::write(dir.path().join("ca.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("other.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("broken.pem"), "not a certificate").unwrap();
    let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n\
                [hub]\nurl = \"https://127.0.0.1:9\"\n\n";
    let good = format!(
        "{head}[[partner]]\nid = \"rs\"\nformat = \"registry-rs\"\n\
         client_certs = [{{ ca = \"ca.pem\", subject = \"O=MUP, CN=rs\" }}]\n\n\
         [tls]\ncert_file = \"server.pem\"\nkey_file = \"server.key\"\nclient_ca_files = [\"ca.pem\"]\n"
    );
    let path = dir.path().join("gateway.toml");
    let (config, _) = Config::parse(&good, &path).unwrap();
    let rule = &config.partners[0].client_certs[0];
    assert_eq!(
        rule.subject.as_deref(),
        Some(
            &[
                ("CN".to_string(), "rs".to_string()),
                ("O".to_string(), "MUP".to_string())
            ][..]
        )
    );
    assert!(config.tls.is_some());

    let bad = format!(
        "{head}[[partner]]\nid = \"rs\"\nformat = \"registry-rs\"\n\
         client_certs = [{{ ca = \"other.pem\", san = \"rs\" }}, {{ ca = \"ca.pem\" }}]\n\n\
         [tls]\ncert_file = \"missing.pem\"\nkey_file = \"server.key\"\nclient_ca_files = [\"ca.pem\", \"broken.pem\"]\n"
    );
    let errors = Config::parse(&bad, &path).err().unwrap().0;
    let found: Vec<_> = errors.iter().map(|e| (e.line, e.key.clone())).collect();
    for expected in [
        (Some(12), "partner[1].client_certs[1].ca"),
        (Some(12), "partner[1].client_certs[2]"),
        (Some(15), "tls.cert_file"),
    ] {
        assert!(
            found.contains(&(expected.0, Some(expected.1.to_string()))),
            "{expected:?} not in {errors:?}"
        );
    }
    // With the cert file present, the broken CA file is named.
    let bad = bad.replace("missing.pem", "server.pem");
    let errors = Config::parse(&bad, &path).err().unwrap().0;
    assert!(
        errors
            .iter()
            .any(|e| e.key.as_deref() == Some("tls") && e.message.contains("broken.pem")),
        "{errors:?}"
    );
}

#[test]
fn store_schema() {
    let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n[hub]\nurl = \"http://hub.test\"\n";
    let pg = format!("{head}[store]\nurl = \"postgres://db/iarms\"\nschema = \"gw_rs\"\n");
    let (config, _) = Config::parse(&pg, Path::new("g.toml"))
        .unwrap_or_else(|e| panic!("a valid schema was refused: {e}"));
    assert_eq!(config.store_options().schema.as_deref(), Some("gw_rs"));
    for (text, why) in [
        (
            format!("{head}[store]\nurl = \"postgres://db/iarms\"\nschema = \"Gw-RS\"\n"),
            "lower-case",
        ),
        (
            format!("{head}[store]\nurl = \"gateway.db\"\nschema = \"gw_rs\"\n"),
            "PostgreSQL",
        ),
    ] {
        let Err(errors) = Config::parse(&text, Path::new("g.toml")) else {
            panic!("expected an error for {text}")
        };
        let e = &errors.0[0];
        assert_eq!((e.line, e.key.as_deref()), (Some(9), Some("store.schema")));
        assert!(e.message.contains(why), "{}", e.message);
    }
}

#[test]
fn partners_are_lenient_unless_strict() {
    let head = "[gateway]\ncountry = \"RS\"\nagency = \"MUP\"\nlisten = \"127.0.0.1:0\"\n\n[hub]\nurl = \"http://127.0.0.1:9\"\n\n";
    let text = format!(
        "{head}[[partner]]\nid = \"rs\"\nformat = \"registry-rs\"\n\n[[partner]]\nid = \"br\"\nformat = \"registry-br\"\nstrict = true\n"
    );
    let (config, _) = Config::parse(&text, Path::new("g.toml")).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!config.partners[0].strict);
    assert!(config.partners[1].strict);
    let bad =
        format!("{head}[[partner]]\nid = \"rs\"\nformat = \"registry-rs\"\nstrict = \"yes\"\n");
    assert!(Config::parse(&bad, Path::new("g.toml")).is_err());
}
