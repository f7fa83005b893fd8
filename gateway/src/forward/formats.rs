//! The formats a partner receives messages in, and encoding a message for it.

use std::sync::Arc;

use iarms_adapters::{Adapter, Media, Message, MessageKind};

/// The canonical format used for kinds a partner's own format cannot carry.
pub const FALLBACK: &str = "iarms-json";

/// The adapters a partner receives messages in: per kind where the config says
/// so (`formats`), else its own format, else [`FALLBACK`] for a kind its format
/// cannot carry.
#[derive(Clone)]
pub struct PartnerFormats {
    by_kind: Vec<(MessageKind, Arc<dyn Adapter>)>,
    fallback: Arc<dyn Adapter>,
}

impl PartnerFormats {
    /// The adapters of `partner`; `None` when a format is unknown (check-config
    /// refuses such a config before this is called).
    pub fn of(
        registry: &iarms_adapters::Registry,
        partner: &crate::config::Partner,
    ) -> Option<PartnerFormats> {
        let by_kind = MessageKind::ALL
            .into_iter()
            .map(|kind| Some((kind, registry.get(partner.format_for(kind))?)))
            .collect::<Option<Vec<_>>>()?;
        Some(PartnerFormats {
            by_kind,
            fallback: registry.get(FALLBACK)?,
        })
    }

    /// The adapter for `kind`.
    pub fn pick(&self, kind: MessageKind) -> &dyn Adapter {
        match self.by_kind.iter().find(|(k, _)| *k == kind) {
            Some((_, adapter)) if carries(adapter.as_ref(), kind) => adapter.as_ref(),
            _ => self.fallback.as_ref(),
        }
    }
}

/// A message in a partner's format, with what its encoder says it is.
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub media: Media,
    pub format: String,
}

/// Encodes `message` with `adapter`; the error is the reason the delivery is dead.
pub fn encode(adapter: &dyn Adapter, message: &Message) -> Result<Encoded, String> {
    if !carries(adapter, message.kind()) {
        return Err(format!(
            "format `{}` cannot carry {} messages",
            adapter.name(),
            message.kind().tag()
        ));
    }
    let mut bytes = Vec::new();
    {
        let mut encoder = adapter
            .encoder(Box::new(&mut bytes))
            .map_err(|e| format!("cannot encode for `{}`: {e}", adapter.name()))?;
        encoder
            .write(message)
            .and_then(|()| encoder.finish())
            .map_err(|e| format!("cannot encode for `{}`: {e}", adapter.name()))?;
    }
    Ok(Encoded {
        bytes,
        media: adapter.media(),
        format: adapter.name().to_string(),
    })
}

/// Which message kinds a format can carry (for routing messages from the hub).
pub fn carries(adapter: &dyn Adapter, kind: MessageKind) -> bool {
    adapter.capabilities().kinds.contains(&kind)
}

/// A claimed delivery in the format `formats` picks for its kind; a message
/// that cannot be read back or encoded is dead at once.
pub fn encode_claimed(
    formats: &PartnerFormats,
    claimed: &crate::store::ClaimedDelivery,
) -> Result<Encoded, super::Attempt> {
    let message = claimed
        .message()
        .map_err(|e| super::Attempt::Permanent(format!("stored message unreadable: {e}").into()))?;
    encode(formats.pick(claimed.kind), &message)
        .map_err(|reason| super::Attempt::Permanent(reason.into()))
}
