//! `iarms-gateway audit verify|export|list`: checks, exports and shows the
//! tamper-evident audit trail (gateway/src/audit) of a gateway's or hub's store.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use iarms_gateway::audit::{self, AuditEntry, Bundle, PublicKey, Report, SigningKey, Trust};
use iarms_gateway::config::Audit;
use iarms_gateway::hub::config::HubConfig;
use iarms_gateway::store::{self, millis, Clock, Store, StoreOptions};

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "Verify, export and list the tamper-evident audit trail (works on the store directly)",
    after_help = "verify checks the hash chain, the signed checkpoints of its head (with the \
configured key's public key and every --public-key), rows with seq <= 0, entries missing after \
the last checkpoint, and re-hashes every stored message body and delivery state against the \
digests the entries carry; it names every problem found.\n\n\
Exit status: 0 the trail verifies, 1 it does not (every problem is named), \
2 the store or file could not be read.\n\n\
Examples:\n  iarms-gateway audit verify --config gateway.toml\n  \
iarms-gateway audit verify --store postgres://gateway@db/iarms\n  \
iarms-gateway audit export --config gateway.toml --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z --out bundle.json\n  \
iarms-gateway audit verify --bundle bundle.json\n  \
iarms-gateway audit list --config gateway.toml --limit 20"
)]
pub struct AuditArgs {
    #[command(flatten)]
    pub source: StoreSource,
    #[command(subcommand)]
    pub action: Action,
}

/// Which store: the one a gateway or hub config names, or a URL; and the keys.
#[derive(Debug, Args)]
pub struct StoreSource {
    /// The gateway configuration whose store holds the log (opened as `serve`
    /// opens it, `[store] schema` included; its `[audit]` key signs and verifies).
    #[arg(long, short, default_value = "gateway.toml", global = true)]
    pub config: PathBuf,
    /// The hub configuration whose store holds the log (instead of --config).
    #[arg(long, global = true, conflicts_with = "store")]
    pub hub_config: Option<PathBuf>,
    /// A store URL (`sqlite:PATH`, a file path or `postgres://…`), instead of --config.
    #[arg(long, global = true)]
    pub store: Option<String>,
    /// With --store on PostgreSQL: the schema that holds the tables.
    #[arg(long, global = true, requires = "store")]
    pub schema: Option<String>,
    /// A public key (base64, as `keygen` prints it) whose checkpoints are
    /// trusted; repeatable. The configured signing key's own is always trusted.
    #[arg(long = "public-key", value_name = "KEY", global = true)]
    pub public_keys: Vec<String>,
    /// With --store: the key file that signs the checkpoint of an export.
    #[arg(long, value_name = "FILE", global = true)]
    pub signing_key: Option<PathBuf>,
}

/// A store to open, as the service opens it, and what signs and verifies.
struct Source {
    url: String,
    options: StoreOptions,
    audit: Audit,
}

impl Source {
    /// The keys whose checkpoints count.
    fn trusted(&self, extra: &[PublicKey]) -> Vec<PublicKey> {
        let mut keys = self.audit.trusted();
        keys.extend(extra.iter().copied());
        keys
    }
}

#[derive(Debug, Subcommand)]
pub enum Action {
    /// Check the whole chain (or a bundle with --bundle): prints the entries
    /// checked and the head hash, or names the first broken entry and exits 1.
    Verify {
        /// Verify an exported bundle offline instead of the store.
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        /// One JSON document instead of a line.
        #[arg(long)]
        json: bool,
    },
    /// Write the entries stamped in [--from, --to) as a bundle that verifies on
    /// its own (it carries the hash of the entry before the first).
    Export {
        /// Start (inclusive): 2026-11-01T00:00:00Z or 2026-11-01. Default: the first entry.
        #[arg(long)]
        from: Option<String>,
        /// End (exclusive). Default: the last entry.
        #[arg(long)]
        to: Option<String>,
        /// The bundle file.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// The most recent entries, oldest first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Only entries about this message id.
        #[arg(long)]
        subject: Option<String>,
        /// One JSON document instead of lines.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: AuditArgs) -> anyhow::Result<Status> {
    let extra = public_keys(&args.source.public_keys)?;
    if let Action::Verify {
        bundle: Some(path),
        json,
    } = &args.action
    {
        // A bundle is checked offline: a config (or --signing-key) only
        // lends its keys; without one, --public-key alone.
        let lends = args.source.store.is_some()
            || args.source.hub_config.is_some()
            || args.source.config.exists();
        let trusted = match lends.then(|| source(&args.source)).transpose()?.flatten() {
            Some(source) => source.trusted(&extra),
            None => extra,
        };
        return verify_bundle(path, &trusted, *json);
    }
    // Exit status 1 means a broken chain here: a config with errors is a usage error.
    let Some(source) = source(&args.source)? else {
        return Ok(Status::Usage);
    };
    require_existing(&source.url)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let store = store::open_with(&source.url, source.options.clone())
            .await
            .with_context(|| format!("cannot open the store {}", redacted(&source.url)))?;
        let status = act(store.as_ref(), &source, &extra, args.action).await;
        store.close().await;
        status
    })
}

fn public_keys(texts: &[String]) -> anyhow::Result<Vec<PublicKey>> {
    texts
        .iter()
        .map(|t| t.parse::<PublicKey>().map_err(anyhow::Error::from))
        .collect()
}

/// The store the options name, opened exactly as the service opens it (the
/// gateway with its config's store options, `[store] schema` included; the
/// hub with the defaults it serves with); `None` after printing a config's errors.
fn source(options: &StoreSource) -> anyhow::Result<Option<Source>> {
    if let Some(url) = &options.store {
        let mut audit = Audit::default();
        if let Some(path) = &options.signing_key {
            audit.signing_key = Some(SigningKey::load(path)?);
        }
        return Ok(Some(Source {
            url: url.clone(),
            options: StoreOptions {
                schema: options.schema.clone(),
                ..StoreOptions::default()
            },
            audit,
        }));
    }
    if let Some(path) = &options.hub_config {
        return Ok(match HubConfig::load(path) {
            Ok(config) => Some(Source {
                url: config.store_url,
                options: StoreOptions::default(),
                audit: config.audit,
            }),
            Err(errors) => {
                for e in &errors.0 {
                    eprintln!("error: {e}");
                }
                None
            }
        });
    }
    Ok(
        super::serve::load(&options.config).map(|(config, _)| Source {
            options: config.store_options(),
            url: config.store_url,
            audit: config.audit,
        }),
    )
}

/// Opening a SQLite path creates the file: reading the log of a mistyped path
/// would report an intact, empty log. Refuse instead.
fn require_existing(url: &str) -> anyhow::Result<()> {
    if store::backend_of(url)? != store::Backend::Sqlite || url.contains(":memory:") {
        return Ok(());
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    if Path::new(path).exists() {
        Ok(())
    } else {
        anyhow::bail!("no store at {path}: the SQLite file does not exist")
    }
}

/// A URL without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

async fn act(
    store: &dyn Store,
    source: &Source,
    extra: &[PublicKey],
    action: Action,
) -> anyhow::Result<Status> {
    match action {
        Action::Verify { json, .. } => {
            let now = store::SystemClock.now();
            let trust = Trust {
                keys: source.trusted(extra),
                now,
                // A checkpoint is due every interval; allow one missed round.
                grace: millis(source.audit.checkpoint_interval * 2) + 5_000,
            };
            let report = audit::verify_evidence(store, &trust).await?;
            print_report(&report, json);
            Ok(if report.ok() {
                Status::Ok
            } else {
                Status::Rejected
            })
        }
        Action::Export { from, to, out } => {
            let from = from.as_deref().map(parse_time).transpose()?;
            let to = to.as_deref().map(parse_time).transpose()?;
            let now = store::SystemClock.now();
            let mut bundle = audit::export(store, from, to, now).await?;
            // A slice that does not verify is not worth handing to anybody.
            if let Err(broken) = bundle.verify() {
                eprintln!("error: the exported entries do not verify: {broken}; nothing written");
                return Ok(Status::Rejected);
            }
            if let Some(key) = &source.audit.signing_key {
                // Every export signs the store's head and the bundle's own.
                audit::checkpoint_now(store, key, now, false).await?;
                let head_seq = bundle.entries.last().map_or(bundle.prev_seq, |e| e.seq);
                let checkpoint = audit::Checkpoint::sign(head_seq, &bundle.head_hash, now, key);
                store.add_audit_checkpoint(&checkpoint).await?;
                bundle.checkpoint = Some(checkpoint);
            }
            write_bundle(&out, &bundle)?;
            eprintln!(
                "{}: {}, head {}{}",
                out.display(),
                span(bundle.prev_seq, bundle.entries.len() as u64),
                bundle.head_hash,
                if bundle.checkpoint.is_some() {
                    ", signed"
                } else {
                    ", NOT signed (no [audit] signing_key)"
                }
            );
            Ok(Status::Ok)
        }
        Action::List {
            limit,
            subject,
            json,
        } => {
            let entries: Vec<AuditEntry> = match &subject {
                Some(subject) => store.audit_of_subject(subject, limit).await?,
                None => audit::tail(store, limit).await?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                for e in &entries {
                    println!("{}", line(e));
                }
            }
            Ok(Status::Ok)
        }
    }
}

fn print_report(report: &Report, json: bool) {
    if json {
        let mut value = serde_json::to_value(report).unwrap_or_default();
        if let serde_json::Value::Object(map) = &mut value {
            map.insert("ok".into(), report.ok().into());
        }
        println!("{value}");
        return;
    }
    let signed = if report.signatures_checked {
        format!(
            "{} of {} checkpoints signed by a trusted key, {} entries after the last",
            report.checkpoints_signed, report.checkpoints, report.unsigned_entries
        )
    } else {
        "checkpoint signatures NOT checked (no [audit] signing_key, no --public-key)".to_string()
    };
    let evidence = format!(
        "{} bodies and {} deliveries re-hashed{}",
        report.bodies_checked,
        report.deliveries_checked,
        match report.bodies_without_digest {
            0 => String::new(),
            n => format!(" ({n} bodies accepted before digests were kept)"),
        }
    );
    if report.ok() {
        println!(
            "audit trail intact: {} entries checked, head {}; {signed}; {evidence}",
            report.checked, report.head_hash
        );
    } else {
        println!(
            "audit trail BROKEN: {} problem(s); {} entries checked; {signed}; {evidence}",
            report.findings.len(),
            report.checked
        );
        for finding in &report.findings {
            let kind = serde_json::to_value(finding.kind).unwrap_or_default();
            println!("  {}: {}", kind.as_str().unwrap_or("?"), finding.message);
        }
    }
}

/// `3 entries (seq 5..7)`, or `0 entries`.
fn span(prev_seq: i64, count: u64) -> String {
    match count {
        0 => "0 entries".to_string(),
        n => format!(
            "{n} entries (seq {}..{})",
            prev_seq + 1,
            prev_seq.saturating_add_unsigned(n)
        ),
    }
}

fn parse_time(text: &str) -> anyhow::Result<i64> {
    audit::parse_time(text).map_err(anyhow::Error::msg)
}

/// `seq  time  actor  action  kind  subject  partner  details`.
fn line(e: &AuditEntry) -> String {
    format!(
        "{:>6}  {}  {:<16} {:<11} {:<15} {:<36} {:<14} {}",
        e.seq,
        audit::rfc3339(e.at),
        e.actor,
        e.action,
        e.kind.as_deref().unwrap_or("-"),
        e.subject.as_deref().unwrap_or("-"),
        e.partner.as_deref().unwrap_or("-"),
        e.details
    )
}

/// `what` names the entry and the problem.
fn report_broken(what: &str, seq: i64, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({"ok": false, "first_broken_seq": seq, "problem": what})
        );
    } else {
        println!("audit trail BROKEN: {what}");
    }
}

fn verify_bundle(path: &Path, trusted: &[PublicKey], json: bool) -> anyhow::Result<Status> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let bundle: Bundle = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not an audit bundle: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let verified = if trusted.is_empty() {
        eprintln!("warning: no public key (--public-key or [audit] signing_key): the bundle's checkpoint signature is not checked");
        bundle.verify()
    } else {
        bundle.verify_signed(trusted)
    };
    match verified {
        Ok(checked) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"ok": true, "checked": checked, "head_hash": bundle.head_hash})
                );
            } else {
                println!(
                    "bundle intact: {} checked, head {}",
                    span(bundle.prev_seq, checked),
                    bundle.head_hash
                );
            }
            Ok(Status::Ok)
        }
        Err(audit::BundleError::Broken(broken)) => {
            report_broken(&broken.to_string(), broken.seq, json);
            Ok(Status::Rejected)
        }
        Err(other) => {
            let seq = bundle.entries.last().map_or(bundle.prev_seq, |e| e.seq);
            report_broken(&format!("{}: {other}", path.display()), seq, json);
            Ok(Status::Rejected)
        }
    }
}

/// Written beside the target and renamed, so a reader never sees half a bundle.
fn write_bundle(out: &Path, bundle: &Bundle) -> anyhow::Result<()> {
    let mut output = super::io::Output::create(Some(out))?;
    serde_json::to_writer_pretty(output.writer(), bundle)?;
    output.writer().write_all(b"\n")?;
    output.commit()
}
