//! `iarms-gateway audit verify|export|list`: checks, exports and shows the
//! tamper-evident audit trail (gateway/src/audit) of a gateway's or hub's store.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use iarms_gateway::audit::{self, AuditEntry, Bundle};
use iarms_gateway::hub::config::HubConfig;
use iarms_gateway::store::{self, Clock, Store};

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "Verify, export and list the tamper-evident audit trail (works on the store directly)",
    after_help = "Exit status: 0 the chain verifies, 1 it is broken (the first broken entry is named), \
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

/// Which store: the one a gateway or hub config names, or a URL.
#[derive(Debug, Args)]
pub struct StoreSource {
    /// The gateway configuration whose store holds the log.
    #[arg(long, short, default_value = "gateway.toml", global = true)]
    pub config: PathBuf,
    /// The hub configuration whose store holds the log (instead of --config).
    #[arg(long, global = true, conflicts_with = "store")]
    pub hub_config: Option<PathBuf>,
    /// A store URL (`sqlite:PATH`, a file path or `postgres://…`), instead of --config.
    #[arg(long, global = true)]
    pub store: Option<String>,
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
    if let Action::Verify {
        bundle: Some(path),
        json,
    } = &args.action
    {
        return verify_bundle(path, *json);
    }
    // Exit status 1 means a broken chain here: a config with errors is a usage error.
    let Some(url) = store_url(&args.source) else {
        return Ok(Status::Usage);
    };
    require_existing(&url)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let store = store::open(&url)
            .await
            .with_context(|| format!("cannot open the store {}", redacted(&url)))?;
        let status = act(store.as_ref(), args.action).await;
        store.close().await;
        status
    })
}

/// The store URL the options name; `None` after printing a config's errors.
fn store_url(source: &StoreSource) -> Option<String> {
    if let Some(url) = &source.store {
        return Some(url.clone());
    }
    if let Some(path) = &source.hub_config {
        return match HubConfig::load(path) {
            Ok(config) => Some(config.store_url),
            Err(errors) => {
                for e in &errors.0 {
                    eprintln!("error: {e}");
                }
                None
            }
        };
    }
    super::serve::load(&source.config).map(|(config, _)| config.store_url)
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

async fn act(store: &dyn Store, action: Action) -> anyhow::Result<Status> {
    match action {
        Action::Verify { json, .. } => match audit::verify_store(store).await? {
            Ok(verified) => {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "ok": true,
                            "checked": verified.checked,
                            "head_hash": verified.head_hash,
                        })
                    );
                } else {
                    println!(
                        "audit trail intact: {} entries checked, head {}",
                        verified.checked, verified.head_hash
                    );
                }
                Ok(Status::Ok)
            }
            Err(broken) => {
                report_broken(&broken.to_string(), broken.seq, json);
                Ok(Status::Rejected)
            }
        },
        Action::Export { from, to, out } => {
            let from = from.as_deref().map(parse_time).transpose()?;
            let to = to.as_deref().map(parse_time).transpose()?;
            let bundle = audit::export(store, from, to, store::SystemClock.now()).await?;
            // A slice that does not verify is not worth handing to anybody.
            if let Err(broken) = bundle.verify() {
                eprintln!("error: the exported entries do not verify: {broken}; nothing written");
                return Ok(Status::Rejected);
            }
            write_bundle(&out, &bundle)?;
            eprintln!(
                "{}: {}, head {}",
                out.display(),
                span(bundle.prev_seq, bundle.entries.len() as u64),
                bundle.head_hash
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

fn verify_bundle(path: &Path, json: bool) -> anyhow::Result<Status> {
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
    match bundle.verify() {
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
