//! `iarms-gateway messages list|show|replay|retry-dead`: the operator's view,
//! working directly on the store named in the config.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use iarms_adapters::MessageKind;
use iarms_gateway::audit;
use iarms_gateway::store::{self, DeliveryState, MessageFilter, Store};
use uuid::Uuid;

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "List, show, replay stored messages and retry dead deliveries (works on the store directly)",
    after_help = "Examples:\n  iarms-gateway messages list --config gateway.toml --state dead\n  \
iarms-gateway messages show --config gateway.toml 0192f3c4-...\n  \
iarms-gateway messages replay --config gateway.toml 0192f3c4-...\n  \
iarms-gateway messages retry-dead --config gateway.toml --destination hub"
)]
pub struct MessagesArgs {
    #[arg(long, short, default_value = "gateway.toml", global = true)]
    pub config: PathBuf,
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Subcommand)]
pub enum Action {
    /// Messages, newest first, one line each (or JSON with --json).
    List {
        /// Only messages with a delivery in this state (queued, delivering, retry_wait, delivered, dead, blocked).
        #[arg(long)]
        state: Option<String>,
        /// Only this kind (record, search, trace_request, ...).
        #[arg(long)]
        kind: Option<String>,
        /// Only from this partner.
        #[arg(long)]
        partner: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Where the previous page stopped (the `next` it printed).
        #[arg(long)]
        cursor: Option<String>,
        /// One JSON document instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// A message with its deliveries, as JSON.
    Show { id: Uuid },
    /// Queue every delivery of a message again.
    Replay { id: Uuid },
    /// Queue the dead deliveries again.
    RetryDead {
        #[arg(long)]
        destination: Option<String>,
    },
}

pub fn run(args: MessagesArgs) -> anyhow::Result<Status> {
    let Some((config, _)) = super::serve::load(&args.config) else {
        return Ok(Status::Rejected);
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let store = store::open_with(&config.store_url, config.store_options())
            .await
            .with_context(|| format!("cannot open the store {}", config.store_url))?;
        let status = act(store.as_ref(), args.action).await;
        store.close().await;
        status
    })
}

async fn act(store: &dyn Store, action: Action) -> anyhow::Result<Status> {
    match action {
        Action::List {
            state,
            kind,
            partner,
            limit,
            cursor,
            json,
        } => {
            let cursor = cursor
                .map(|c| c.parse::<store::Cursor>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("--cursor: {e}"))?;
            let state = state
                .map(|s| s.parse::<DeliveryState>())
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let kind = match kind {
                Some(k) => Some(
                    MessageKind::from_tag(&k)
                        .ok_or_else(|| anyhow::anyhow!("unknown kind `{k}`"))?,
                ),
                None => None,
            };
            let filter = MessageFilter {
                state,
                kind,
                partner,
            };
            let page = store.list_messages(&filter, limit, cursor).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&page)?);
            } else {
                for view in &page.items {
                    let m = &view.message;
                    let deliveries: Vec<String> = view
                        .deliveries
                        .iter()
                        .map(|d| format!("{}:{}({})", d.destination, d.state, d.attempts))
                        .collect();
                    println!(
                        "{}  {:<15} {:<12} {}",
                        m.message_id,
                        m.kind.tag(),
                        m.source_partner,
                        deliveries.join(" ")
                    );
                    // Why a delivery waits: blocked behind a dead one, or its last failure.
                    for d in &view.deliveries {
                        if let (DeliveryState::Blocked | DeliveryState::Dead, Some(error)) =
                            (d.state, &d.last_error)
                        {
                            println!("    {}: {error}", d.destination);
                        }
                    }
                }
                // A listing that stops at its limit says so (on stderr, so
                // the lines stay a clean list) and how to get the rest.
                if let Some(next) = page.next {
                    eprintln!(
                        "(truncated at {} messages; the next page: --cursor {next})",
                        page.items.len()
                    );
                }
            }
            Ok(Status::Ok)
        }
        Action::Show { id } => match store.get_message(id).await? {
            Some(view) => {
                println!("{}", serde_json::to_string_pretty(&view)?);
                Ok(Status::Ok)
            }
            None => anyhow::bail!("no message {id}"),
        },
        Action::Replay { id } => {
            let n = store.replay(id, audit::OPERATOR).await?;
            eprintln!("{id}: {n} delivery(ies) queued again");
            Ok(Status::Ok)
        }
        Action::RetryDead { destination } => {
            let n = store
                .retry_dead(destination.as_deref(), audit::OPERATOR)
                .await?;
            eprintln!("{n} dead delivery(ies) queued again");
            Ok(Status::Ok)
        }
    }
}
