//! The gateway's domain states, below every layer that stores or moves them.

pub mod delivery;
pub mod principal;
pub mod routing;
pub mod state;
pub mod trace;
