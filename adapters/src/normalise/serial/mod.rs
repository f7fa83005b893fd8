//! Serial numbers as registries record them (domain.md sections 3 and 5; issue 15).
//!
//! The serial number itself is never altered; what is derived from it is for
//! matching only. One module per concept:
//! - [`keys`]: the matching keys (exact and NCIC-tolerant);
//! - [`placeholder`]: words and abbreviations that stand for "no number"
//!   ("removido", "unleserlich", "S/N"), by rules over folded word stems;
//! - [`pattern`]: partial serials with unknown positions ("31?407");
//! - [`notes`]: several serials in one field and notes beside a number;
//! - [`reading`]: the reading that joins them ([`read`]).

pub mod keys;
pub mod notes;
pub mod pattern;
pub mod placeholder;
pub mod reading;

pub use keys::{serial_key, tolerant_serial_key};
pub use reading::{read, read_one, Sentinels, SerialReading};
