//! The gateway's vocabulary, below every other layer: who calls the gateway or
//! the hub, and the rate a caller is held to. The HTTP front door
//! ([`crate::http`]) finds the principal of a request; the configuration names
//! the holders.

use std::num::NonZeroU32;

/// Who a key or client certificate belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Principal {
    Partner(String),
    /// The hub calling `/v1/inbound`.
    Hub,
    /// An operator: replay, retry-dead, every message.
    Operator,
    /// A country gateway calling the reference hub (its country code).
    Gateway(String),
}

/// A partner's sustained rate and burst, in requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}
