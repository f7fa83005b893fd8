//! What every fuzz target does with its bytes, shared so each target is one line.
//! A panic, an abort, a hang or runaway memory in here is a bug in the adapters
//! (or the config parser); refusing the input with an error is the right answer.

use std::io::BufReader;
use std::sync::{Arc, LazyLock};

use iarms_adapters::mapping::{compile, MappingAdapter};
use iarms_adapters::pipeline::prepare;
use iarms_adapters::{Adapter, Limits, Registry};

/// Separates a mapping file from the native input in `mapping_engine` inputs.
pub const MAPPING_SEPARATOR: u8 = 0;

/// Built-in adapters and shipped mappings, compiled once per fuzzing process.
static REGISTRY: LazyLock<Option<Registry>> = LazyLock::new(|| Registry::with_mappings(&[]).ok());

/// Decodes `data` with the named format (built-in adapter or shipped mapping),
/// normalises and validates every record, then encodes the good ones back into
/// the same format, so the encoders see whatever the decoders let through.
pub fn decode_format(format: &str, data: &[u8]) {
    let Some(registry) = REGISTRY.as_ref() else {
        return;
    };
    if let Some(adapter) = registry.get(format) {
        decode_and_reencode(adapter.as_ref(), data);
    }
}

/// Splits `data` at the first NUL into a mapping file (TOML) and a native
/// input; compiles the mapping and runs it both ways on the input.
pub fn run_mapping(data: &[u8]) {
    let split = data
        .iter()
        .position(|&b| b == MAPPING_SEPARATOR)
        .unwrap_or(data.len());
    let (toml, rest) = data.split_at(split);
    let input = rest.get(1..).unwrap_or_default();
    let Ok(toml) = std::str::from_utf8(toml) else {
        return;
    };
    let Ok(mapping) = compile("fuzz.toml", toml) else {
        return;
    };
    let adapter: Arc<dyn Adapter> = Arc::new(MappingAdapter::new(mapping));
    decode_and_reencode(adapter.as_ref(), input);
}

fn decode_and_reencode(adapter: &dyn Adapter, data: &[u8]) {
    let Ok(stream) = adapter.decode(Box::new(BufReader::new(data)), Limits::default()) else {
        return;
    };
    let mut good = Vec::new();
    for decoded in stream.flatten() {
        if let Ok(message) = prepare(decoded) {
            good.push(message);
        }
        // Bounded like the gateway's record loop: a handful of records is enough
        // to exercise the encoder.
        if good.len() >= 64 {
            break;
        }
    }
    if !adapter.capabilities().write {
        return;
    }
    let mut out = Vec::new();
    let encoder = adapter.encoder(Box::new(&mut out));
    if let Ok(mut encoder) = encoder {
        for message in &good {
            let _ = encoder.write(message);
        }
        let _ = encoder.finish();
    }
}
