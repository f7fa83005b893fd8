//! Adapters built into the crate: the four canonical encodings.

mod canonical;

pub use canonical::{
    canonical_adapters, CanonicalCsv, CanonicalJson, CanonicalNdjson, CanonicalXml,
};
