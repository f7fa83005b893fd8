//! `iarms-gateway demo` end to end: the reference hub and two country gateways
//! (RS with a `registry-rs` partner, BR with a `registry-br` partner) in this
//! one process on localhost, with embedded SQLite stores in a temporary
//! directory. The "simulated national registries" post to their gateways and
//! read what their gateway delivers to them from its outbox directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use iarms_gateway::config::Config;
use iarms_gateway::hub::config::HubConfig;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::Status;

/// The Serbian registry's export and the Brazilian registry's API answer, in
/// their own formats (the same files the conversion tests use).
const RS_EXPORT: &str = include_str!("../../../tests/data/native/registry-rs-export.csv");
const BR_EXPORT: &str = include_str!("../../../tests/data/native/registry-br-api.json");

/// How long the demo waits for each arrival before giving up.
const WAIT: Duration = Duration::from_secs(20);

const SEARCH_ID: &str = "BR-PF-S-2026-000001";
const TRACE_ID: &str = "BR-PF-T-2026-000001";
const SERIAL: &str = "C-123456";

/// The keys of one demo run, generated at start.
struct DemoKeys {
    rs_partner: String,
    br_partner: String,
    rs_to_hub: String,
    br_to_hub: String,
    hub_to_rs: String,
    hub_to_br: String,
}

impl DemoKeys {
    fn generate() -> DemoKeys {
        let key = || format!("demo-{}", uuid::Uuid::new_v4().simple());
        DemoKeys {
            rs_partner: key(),
            br_partner: key(),
            rs_to_hub: key(),
            br_to_hub: key(),
            hub_to_rs: key(),
            hub_to_br: key(),
        }
    }
}

/// Prints timeline lines with the time elapsed since the start.
struct Timeline(Instant);

impl Timeline {
    fn say(&self, line: impl std::fmt::Display) {
        println!("[{:.2}s] {line}", self.0.elapsed().as_secs_f64());
    }
}

/// The hub and the gateways running in this process.
struct Running {
    hub_url: String,
    rs_url: String,
    br_url: String,
    rs_outbox: PathBuf,
    br_outbox: PathBuf,
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<anyhow::Result<()>>)>,
}

impl Running {
    /// Stops the hub and the gateways gracefully and waits for them.
    async fn shut_down(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let mut failure = None;
        for (name, task) in self.tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failure = Some(anyhow!("{name}: {e:#}")),
                Err(e) => failure = Some(anyhow!("{name}: {e}")),
            }
        }
        failure.map_or(Ok(()), Err)
    }
}

pub fn run(keep_running: bool) -> anyhow::Result<Status> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
        let timeline = Timeline(Instant::now());
        println!(
            "iarms-gateway demo: the reference hub and two country gateways (RS, BR) on localhost, \
in this process\n"
        );
        let running = match start(dir.path(), &timeline).await {
            Ok(running) => running,
            Err(e) => {
                println!("demo FAILED: {e:#}");
                return Ok(Status::Rejected);
            }
        };
        let keys = running.1;
        let running = running.0;
        let story = story(&running, &keys, &timeline).await;
        if let Err(e) = &story {
            println!("demo FAILED: {e:#}");
        } else if keep_running {
            print_how_to_use(&running, &keys);
            iarms_gateway::app::runtime::shutdown_signal().await;
        }
        timeline.say("stopping the hub and both gateways");
        let stopped = running.shut_down().await;
        match (story, stopped) {
            (Ok(()), Ok(())) => {
                timeline.say("demo complete: everything stopped cleanly");
                Ok(Status::Ok)
            }
            (Ok(()), Err(e)) => {
                println!("demo FAILED while stopping: {e:#}");
                Ok(Status::Rejected)
            }
            (Err(_), _) => Ok(Status::Rejected),
        }
    })
}

/// Generates the keys, writes the configurations and starts the hub and both
/// gateways on ephemeral ports; returns when all three answer `/readyz`.
async fn start(dir: &Path, timeline: &Timeline) -> anyhow::Result<(Running, DemoKeys)> {
    let keys = DemoKeys::generate();
    let hash = |key: &str| {
        iarms_gateway::http::keys::hash_key(key).map_err(|e| anyhow!("cannot hash a key: {e}"))
    };
    let hub_listener = bind().await?;
    let rs_listener = bind().await?;
    let br_listener = bind().await?;
    let hub_url = format!("http://{}", hub_listener.local_addr()?);
    let rs_url = format!("http://{}", rs_listener.local_addr()?);
    let br_url = format!("http://{}", br_listener.local_addr()?);

    let hub_dir = dir.join("hub");
    let rs_dir = dir.join("rs");
    let br_dir = dir.join("br");
    for d in [&hub_dir, &rs_dir, &br_dir] {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    std::fs::write(hub_dir.join("rs.key"), &keys.hub_to_rs)?;
    std::fs::write(hub_dir.join("br.key"), &keys.hub_to_br)?;
    std::fs::write(rs_dir.join("hub.key"), &keys.rs_to_hub)?;
    std::fs::write(br_dir.join("hub.key"), &keys.br_to_hub)?;

    let retry =
        r#"retry = { max_attempts = 50, initial_backoff = "100ms", max_backoff = "500ms" }"#;
    let hub_text = format!(
        r#"[hub]
listen = "127.0.0.1:0"

[store]
url = "hub.db"

[forward]
poll_interval = "50ms"

[[gateway]]
country = "RS"
url = "{rs_url}"
key_hashes = ["{rs}"]
key_file = "rs.key"
{retry}

[[gateway]]
country = "BR"
url = "{br_url}"
key_hashes = ["{br}"]
key_file = "br.key"
{retry}
"#,
        rs = hash(&keys.rs_to_hub)?,
        br = hash(&keys.br_to_hub)?,
    );
    let hub_config = HubConfig::parse(&hub_text, &hub_dir.join("hub.toml"))
        .map_err(|e| anyhow!("the demo hub configuration is invalid: {e:?}"))?;
    // `extra` adds lines to the partner's table; `owner` is the agency whose
    // records the partner may submit.
    let gateway_text = |country: &str,
                        (partner, format, owner, extra): (&str, &str, &str, &str),
                        partner_key: &str,
                        from_hub| {
        anyhow::Ok(format!(
            r#"[gateway]
country = "{country}"
agency = "{country}-DEMO"
listen = "127.0.0.1:0"

[store]
url = "gateway.db"

[hub]
url = "{hub_url}"
api_key_file = "hub.key"
inbound_key_hashes = ["{from_hub}"]
{retry}

[forward]
poll_interval = "50ms"

[[partner]]
id = "{partner}"
format = "{format}"
api_key_hashes = ["{partner_hash}"]
owner_agencies = ["{owner}"]
outbound = {{ directory = "outbox" }}
{extra}
{retry}
"#,
            from_hub = hash(from_hub)?,
            partner_hash = hash(partner_key)?,
        ))
    };
    // The RS registry's tracing desk has its own CSV layouts for trace messages.
    let rs_formats = r#"formats = { trace_request = "registry-rs-trace-request", trace_response = "registry-rs-trace-response" }"#;
    let rs_text = gateway_text(
        "RS",
        ("rs", "registry-rs", "RS-MUP", rs_formats),
        &keys.rs_partner,
        &keys.hub_to_rs,
    )?;
    // The Brazilian registry's API names its agency so (`orgao`).
    let br_text = gateway_text(
        "BR",
        ("br", "registry-br", "PF-SINARM", ""),
        &keys.br_partner,
        &keys.hub_to_br,
    )?;
    let (rs_config, rs_registry) = Config::parse(&rs_text, &rs_dir.join("gateway.toml"))
        .map_err(|e| anyhow!("the demo RS gateway configuration is invalid: {e:?}"))?;
    let (br_config, br_registry) = Config::parse(&br_text, &br_dir.join("gateway.toml"))
        .map_err(|e| anyhow!("the demo BR gateway configuration is invalid: {e:?}"))?;

    let (stop, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let tasks = vec![
        (
            "hub",
            tokio::spawn(iarms_gateway::app::hub::run_on(
                hub_listener,
                hub_config,
                None,
                stopped(stop_rx.clone()),
            )),
        ),
        (
            "RS gateway",
            tokio::spawn(iarms_gateway::app::gateway::run_on(
                rs_listener,
                rs_config,
                rs_registry,
                None,
                stopped(stop_rx.clone()),
            )),
        ),
        (
            "BR gateway",
            tokio::spawn(iarms_gateway::app::gateway::run_on(
                br_listener,
                br_config,
                br_registry,
                None,
                stopped(stop_rx),
            )),
        ),
    ];
    let running = Running {
        hub_url,
        rs_url,
        br_url,
        rs_outbox: rs_dir.join("outbox"),
        br_outbox: br_dir.join("outbox"),
        stop,
        tasks,
    };
    let client = reqwest::Client::new();
    let services = [
        ("hub", running.hub_url.clone()),
        ("RS gateway", running.rs_url.clone()),
        ("BR gateway", running.br_url.clone()),
    ];
    for (name, url) in services {
        let ready = format!("{url}/readyz");
        let up = wait_until(&format!("the {name} to start"), || async {
            let reply = client.get(&ready).send().await.ok()?;
            (reply.status() == 200).then_some(())
        })
        .await;
        if let Err(e) = up {
            let _ = running.shut_down().await;
            return Err(e);
        }
    }
    timeline.say(format!(
        "started the hub ({}), the RS gateway ({}, partner `rs` in registry-rs) and the BR gateway \
({}, partner `br` in registry-br); SQLite stores in {}",
        running.hub_url,
        running.rs_url,
        running.br_url,
        dir.display()
    ));
    Ok((running, keys))
}

async fn bind() -> anyhow::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen on 127.0.0.1")
}

/// Polls `check` until it gives a value, for at most [`WAIT`].
async fn wait_until<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = check().await {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            bail!("timed out after {} s waiting for {what}", WAIT.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The registries' side of the story: records, a search, the hits, a trace.
async fn story(run: &Running, keys: &DemoKeys, timeline: &Timeline) -> anyhow::Result<()> {
    let client = reqwest::Client::new();

    // Both registries hand their records to their gateway, in their own format.
    for (country, partner, format, shape, url, key, body) in [
        (
            "RS",
            "rs",
            "registry-rs",
            "CSV",
            &run.rs_url,
            &keys.rs_partner,
            RS_EXPORT,
        ),
        (
            "BR",
            "br",
            "registry-br",
            "JSON",
            &run.br_url,
            &keys.br_partner,
            BR_EXPORT,
        ),
    ] {
        let reply = post(
            &client,
            &format!("{url}/v1/partners/{partner}/messages"),
            key,
            body.to_string(),
        )
        .await
        .with_context(|| format!("the {country} registry's records"))?;
        let accepted = reply["accepted"].as_u64().unwrap_or(0);
        let rejected = reply["rejected"].as_u64().unwrap_or(0);
        timeline.say(format!(
            "{country} registry -> {country} gateway: {} records in {format} ({shape}) translated \
to canonical, validated, stored ({accepted} accepted, {rejected} rejected)",
            accepted + rejected
        ));
        if accepted == 0 {
            bail!("the {country} gateway accepted none of its registry's records: {reply}");
        }
        let list = format!("{url}/v1/messages?partner={partner}&state=delivered");
        wait_until(
            &format!("the {country} records to reach the hub"),
            || async {
                let page = get(&client, &list, key).await.ok()?;
                let delivered = page["items"].as_array().map_or(0, Vec::len) as u64;
                (delivered >= accepted).then_some(())
            },
        )
        .await?;
        timeline.say(format!(
            "{country} gateway -> hub: {accepted} records forwarded and acknowledged"
        ));
    }

    // A Brazilian search for the Zastava of the Serbian export.
    let search = json!({
        "kind": "search",
        "header": header(None),
        "search_id": SEARCH_ID,
        "searching_country": "BR",
        "searching_agency": "BR-PF",
        "case_reference": "IPL 0001/2026-SR/PF",
        "firearm": {
            "make": "Zastava",
            "serial_number": SERIAL,
            "serial_state": "legible",
            "calibre": "7.62x39mm"
        },
        "requested_at": "2026-01-10T10:00:00Z"
    });
    post(
        &client,
        &format!("{}/v1/searches", run.br_url),
        &keys.br_partner,
        search.to_string(),
    )
    .await
    .context("the BR search")?;
    timeline.say(format!(
        "BR registry: search {SEARCH_ID} for serial {SERIAL} (Zastava, 7.62x39mm) -> BR gateway \
(validated, stored) -> hub"
    ));

    // The hub matches it against the RS records and notifies both countries.
    let br_hit =
        wait_for_message(&run.br_outbox, "hit_notification", "BR hit notification").await?;
    let record = &br_hit["matched_record"];
    let record_id = format!(
        "{}/{}",
        record["owner_agency"].as_str().unwrap_or("?"),
        record["record_id"].as_str().unwrap_or("?")
    );
    let match_kind = br_hit["match"]["kind"].as_str().unwrap_or("?").to_string();
    timeline.say(format!(
        "hub: {match_kind} match {record_id}; hit notifications queued for BR and RS"
    ));
    timeline.say(format!(
        "BR registry received hit notification for search {} ({match_kind} match, record \
{record_id} owned by {}) in its outbox",
        br_hit["search_id"].as_str().unwrap_or("?"),
        record["owner_country"].as_str().unwrap_or("?")
    ));
    let rs_hit =
        wait_for_message(&run.rs_outbox, "hit_notification", "RS hit notification").await?;
    timeline.say(format!(
        "RS registry received hit notification: its record {} was matched by {}'s search {}",
        rs_hit["matched_record"]["record_id"]
            .as_str()
            .unwrap_or("?"),
        rs_hit["searching_country"].as_str().unwrap_or("?"),
        rs_hit["search_id"].as_str().unwrap_or("?")
    ));

    // BR asks RS to trace the firearm.
    let request = json!({
        "kind": "trace_request",
        "header": header(None),
        "trace_id": TRACE_ID,
        "requesting_country": "BR",
        "requesting_agency": "BR-PF",
        "requested_country": "RS",
        "priority": "urgent",
        "firearm": {
            "make": "Zastava",
            "model": "M70AB2",
            "serial_number": SERIAL,
            "calibre": "7.62x39mm",
            "firearm_type": "assault_rifle",
            "country_of_manufacture": "RS"
        },
        "seizure": {
            "date": "2026-01-09",
            "place": {"country": "BR", "locality": "Foz do Iguaçu"},
            "circumstances": "Seized at a border crossing; the search hit an RS stolen record."
        },
        "questions": ["export", "last_legal_owner"],
        "intended_use": "Establishing the chain of custody for the criminal investigation.",
        "due_date": "2099-12-31"
    });
    post(
        &client,
        &format!("{}/v1/traces", run.br_url),
        &keys.br_partner,
        request.to_string(),
    )
    .await
    .context("the BR trace request")?;
    let received = wait_for_text(&run.rs_outbox, "trace_request", "the RS trace request").await?;
    timeline.say(format!(
        "BR -> RS trace request {TRACE_ID}: BR registry -> BR gateway (validated, stored) -> hub \
(routed to RS) -> RS gateway -> RS registry outbox, translated to registry-rs-trace-request:\n    {}",
        received.lines().nth(1).unwrap_or("?")
    ));

    // The RS registry reads it from its outbox folder, so it acknowledges by the API.
    post(
        &client,
        &format!("{}/v1/traces/{TRACE_ID}/acknowledge", run.rs_url),
        &keys.rs_partner,
        String::new(),
    )
    .await
    .context("the RS acknowledgement")?;
    let url = format!("{}/v1/traces/{TRACE_ID}", run.hub_url);
    wait_until("the hub to show the trace acknowledged", || async {
        let trace = get(&client, &url, &keys.br_to_hub).await.ok()?;
        (trace["state"] == "acknowledged").then_some(())
    })
    .await?;
    timeline.say(format!(
        "RS registry acknowledges trace {TRACE_ID}: RS gateway -> hub (state acknowledged)"
    ));

    // It answers in its own trace-response layout.
    let answer = format!(
        "\u{feff}Broj zahteva;Ishod;Događaji;Datumi događaja;Zemlje događaja;Tačka preusmeravanja;\
Napomena;Vreme odgovora\r\n{TRACE_ID};praćeno;proizvedeno|prodato|prijavljeno ukradeno;\
1990|14.05.2019|07.03.2024;RS|RS|RS;prijavljeno ukradeno u Kragujevcu;\
Predmet KU-2024-00117.;2026-01-12T09:00:00Z\r\n"
    );
    post(
        &client,
        &format!("{}/v1/partners/rs/messages?kind=trace_response", run.rs_url),
        &keys.rs_partner,
        answer,
    )
    .await
    .context("the RS trace response")?;
    timeline.say(format!(
        "RS registry answers trace {TRACE_ID} in registry-rs-trace-response (outcome praćeno = \
traced) -> RS gateway (translated, validated, stored) -> hub"
    ));

    let answer =
        wait_for_message(&run.br_outbox, "trace_response", "the BR trace response").await?;
    timeline.say(format!(
        "BR registry received the trace response: {}",
        answer["outcome"].as_str().unwrap_or("?")
    ));
    let trace = wait_until("the hub to show the trace answered", || async {
        let trace = get(&client, &url, &keys.br_to_hub).await.ok()?;
        (trace["state"] == "answered").then_some(trace)
    })
    .await?;
    timeline.say(format!(
        "hub: trace {TRACE_ID} ({} -> {}) answered",
        trace["requesting_country"].as_str().unwrap_or("?"),
        trace["requested_country"].as_str().unwrap_or("?")
    ));
    Ok(())
}

/// A fresh canonical header; a reply carries its request's correlation id.
fn header(correlation: Option<&str>) -> Value {
    let id = uuid::Uuid::new_v4().to_string();
    json!({
        "message_id": id,
        "correlation_id": correlation.unwrap_or(&id),
        "schema_version": "1.0"
    })
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    body: String,
) -> anyhow::Result<Value> {
    let reply = client
        .post(url)
        .bearer_auth(key)
        .body(body)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = reply.status();
    let text = reply.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("POST {url} answered {status}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn get(client: &reqwest::Client, url: &str, key: &str) -> anyhow::Result<Value> {
    let reply = client.get(url).bearer_auth(key).send().await?;
    let status = reply.status();
    let text = reply.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("GET {url} answered {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

/// Waits until `outbox` holds a file of `kind` (the outbox names files by kind)
/// and returns its text.
async fn wait_for_text(outbox: &Path, kind: &str, what: &str) -> anyhow::Result<String> {
    wait_until(what, || async {
        let file = files_of(outbox, kind).into_iter().next()?;
        std::fs::read_to_string(file).ok()
    })
    .await
}

/// [`wait_for_text`], for a file holding canonical JSON: its single message.
async fn wait_for_message(outbox: &Path, kind: &str, what: &str) -> anyhow::Result<Value> {
    let text = wait_for_text(outbox, kind, what).await?;
    first_message(&text).ok_or_else(|| anyhow!("{what}: cannot read the delivered file: {text}"))
}

fn files_of(dir: &Path, kind: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|f| {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        name.contains(kind) && !name.starts_with('.')
    });
    files.sort();
    files
}

/// The first canonical message of a delivered file (`{"messages": [..]}`, one
/// message, or NDJSON).
fn first_message(text: &str) -> Option<Value> {
    let value: Value = serde_json::from_str(text)
        .or_else(|_| serde_json::from_str(text.lines().next().unwrap_or("")))
        .ok()?;
    match value.get("messages").and_then(Value::as_array) {
        Some(messages) => messages.first().cloned(),
        None => Some(value),
    }
}

fn print_how_to_use(run: &Running, keys: &DemoKeys) {
    println!(
        "\nStill running (--keep-running); Ctrl-C stops everything.\n\
\n  hub         {hub}\n  RS gateway  {rs}   partner `rs` (registry-rs) key {rs_key}\n  \
BR gateway  {br}   partner `br` (registry-br) key {br_key}\n  \
RS gateway -> hub key {rs_hub}\n  BR gateway -> hub key {br_hub}\n  \
outboxes    {rs_out}\n              {br_out}\n\
\nTry:\n  curl -H 'Authorization: Bearer {rs_key}' '{rs}/v1/messages?partner=rs'\n  \
curl -H 'Authorization: Bearer {br_key}' '{br}/v1/messages?partner=br'\n  \
curl -H 'Authorization: Bearer {br_hub}' '{hub}/v1/traces/{TRACE_ID}'\n  \
curl -X POST -H 'Authorization: Bearer {rs_key}' --data-binary @tests/data/native/registry-rs-export.csv \
'{rs}/v1/partners/rs/messages'\n",
        hub = run.hub_url,
        rs = run.rs_url,
        br = run.br_url,
        rs_key = keys.rs_partner,
        br_key = keys.br_partner,
        rs_hub = keys.rs_to_hub,
        br_hub = keys.br_to_hub,
        rs_out = run.rs_outbox.display(),
        br_out = run.br_outbox.display(),
    );
}
