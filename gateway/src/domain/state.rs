//! What the lifecycles share.

/// A state name that is not one of a lifecycle's states.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`")]
pub struct UnknownState {
    /// Which lifecycle: `delivery state`, `trace state`.
    pub what: &'static str,
    pub name: String,
}

impl UnknownState {
    pub(crate) fn new(what: &'static str, name: &str) -> UnknownState {
        UnknownState {
            what,
            name: name.to_string(),
        }
    }
}
