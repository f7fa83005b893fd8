//! The shared road every decoded message walks before it is trusted:
//! normalise, then validate against the schema. `convert`, `validate` and (later)
//! the gateway's inbound paths all call [`prepare`], so a message means the same
//! thing whichever way it came in.

use crate::adapter::Decoded;
use crate::error::RecordError;
use crate::model::Message;
use crate::normalise::{normalise_with, Strictness};
use crate::schema;

/// Normalises and validates one decoded message. Every problem is returned,
/// located in the input's own terms; the message is returned only when clean.
/// Unrecognised descriptive values are kept and flagged.
pub fn prepare(decoded: Decoded) -> Result<Message, Vec<RecordError>> {
    prepare_with(decoded, &Strictness::lenient())
}

/// [`prepare`], rejecting the unrecognised descriptive values `strict` names
/// (a partner's `strict = true`, a mapping field's `strict = true`).
pub fn prepare_with(decoded: Decoded, strict: &Strictness) -> Result<Message, Vec<RecordError>> {
    let Decoded { mut message, site } = decoded;
    let issues = normalise_with(&mut message, strict);
    if !issues.is_empty() {
        return Err(issues.iter().map(|issue| site.locate(issue)).collect());
    }
    let issues = schema::validate(&message);
    if !issues.is_empty() {
        return Err(issues.iter().map(|issue| site.locate(issue)).collect());
    }
    Ok(message)
}

/// A clean message with its canonical JSON text, serialised once, after
/// validation ([`prepare_canonical`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Canonical {
    pub message: Message,
    pub text: String,
}

/// [`prepare`], and the message's canonical JSON text from the same
/// serialisation validation reads: what a gateway stores and sends.
pub fn prepare_canonical(decoded: Decoded) -> Result<Canonical, Vec<RecordError>> {
    prepare_canonical_with(decoded, &Strictness::lenient())
}

/// [`prepare_canonical`], rejecting the unrecognised descriptive values `strict` names.
pub fn prepare_canonical_with(
    decoded: Decoded,
    strict: &Strictness,
) -> Result<Canonical, Vec<RecordError>> {
    let Decoded { mut message, site } = decoded;
    let issues = normalise_with(&mut message, strict);
    if !issues.is_empty() {
        return Err(issues.iter().map(|issue| site.locate(issue)).collect());
    }
    match schema::validated_text(&message) {
        Ok(text) => Ok(Canonical { message, text }),
        Err(issues) => Err(issues.iter().map(|issue| site.locate(issue)).collect()),
    }
}
