//! The one place outbound requests are built and sent: every sink posts
//! through [`post`] and reads the answer with [`send`], so headers common to all
//! (authentication, and any signature added later) are set here once.

use super::retry;
use super::sink::Attempt;
use crate::audit::SigningKey;

/// A POST of `body` to `target`, with its content type and, when the
/// destination takes one, its bearer key.
pub fn post(
    client: &reqwest::Client,
    target: &str,
    content_type: &str,
    key: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::RequestBuilder {
    let request = client
        .post(target)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body);
    match key {
        Some(key) => request.bearer_auth(key),
        None => request,
    }
}

/// A POST of canonical JSON to the hub or a gateway, signed (RFC 9421) over
/// its digest and routing headers with `signer`, when the sender has a key.
pub fn signed_post(
    client: &reqwest::Client,
    target: &str,
    key: Option<&str>,
    signer: Option<&SigningKey>,
    body: String,
) -> reqwest::RequestBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        reqwest::header::HeaderValue::from_static("application/json"),
    );
    if let Some(signer) = signer {
        crate::signature::sign_outbound(target, &mut headers, body.as_bytes(), signer);
    }
    let request = client.post(target).headers(headers).body(body);
    match key {
        Some(key) => request.bearer_auth(key),
        None => request,
    }
}

/// What a destination answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub text: String,
}

impl Answer {
    pub fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The start of the text, for a failure's reason (the receiver's text is
    /// not kept whole).
    pub fn short(&self) -> String {
        self.text.chars().take(300).collect()
    }
}

/// Sends `request`; no answer at all is the attempt to retry.
pub async fn send(request: reqwest::RequestBuilder) -> Result<Answer, Attempt> {
    let response = request.send().await.map_err(|e| retry::unanswered(&e))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    Ok(Answer { status, text })
}
