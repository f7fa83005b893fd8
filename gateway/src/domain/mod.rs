//! The gateway's own vocabulary, below every other layer: who calls
//! ([`principal`]) and where messages go ([`routing`]). Plain types and rules,
//! no I/O.

pub mod principal;
pub mod routing;
