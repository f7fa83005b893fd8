//! Adapters built into the crate: the four canonical encodings, NIEM 5.2
//! (`niem-xml`) and NCIC-style gun file messages (`ncic`).

mod canonical;
pub mod ncic;
pub mod niem;

use std::sync::Arc;

use crate::adapter::Adapter;

pub use canonical::{CanonicalCsv, CanonicalJson, CanonicalNdjson, CanonicalXml};
pub use ncic::Ncic;
pub use niem::NiemXml;

/// Every adapter built into the crate, in the order `formats` lists them.
pub fn builtin_adapters() -> Vec<Arc<dyn Adapter>> {
    let mut adapters = canonical::canonical_adapters();
    adapters.push(Arc::new(NiemXml));
    adapters.push(Arc::new(Ncic::default()));
    adapters
}
