//! The task that signs the audit chain's head while a service runs (see
//! [`crate::audit::run_checkpoints`]), for the gateway and the hub alike.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Audit;
use crate::store::{Store, SystemClock};

/// The checkpoint task, when `[audit] signing_key` is set.
pub fn spawn(
    store: Arc<dyn Store>,
    audit: &Audit,
    stop: watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    let key = audit.signing_key.clone()?;
    let every = audit.checkpoint_interval;
    tracing::info!(public_key = %key.public(), "audit checkpoints signed every {every:?}");
    Some(tokio::spawn(async move {
        crate::audit::run_checkpoints(store.as_ref(), &key, &SystemClock, every, stop).await;
    }))
}
