//! Idempotency keys: a request answered once is answered the same again.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotency {
    /// No request with this key (lookup), or the response is now stored (remember).
    New,
    /// The same request was answered before: send this response again.
    Replay(String),
    /// The key was used for a different request.
    Conflict,
}

pub(crate) fn idempotency_of(stored: Option<(String, String)>, request_hash: &str) -> Idempotency {
    match stored {
        None => Idempotency::New,
        Some((hash, response)) if hash == request_hash => Idempotency::Replay(response),
        Some(_) => Idempotency::Conflict,
    }
}
