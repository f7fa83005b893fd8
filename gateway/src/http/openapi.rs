//! What the OpenAPI documents of the gateway and the hub share: the error body,
//! canonical message bodies and the two ways of presenting an API key. Each
//! route is described by `#[utoipa::path]` on its handler and enters both the
//! router and the document through [`super::door::FrontDoor`].

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, ToSchema};

/// The body of every error reply.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A stable error code, a human message and, when the fault has a place, where.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// A stable code, e.g. `unauthenticated`, `forbidden`, `not_found`, `syntax`.
    pub code: String,
    pub message: String,
    /// JSON `line`/`column`, a query `parameter` or a JSON `pointer`.
    #[schema(value_type = Option<Object>)]
    pub location: Option<Value>,
}

/// Canonical JSON: one message, `{"messages": [...]}`, or a top-level array of messages.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CanonicalMessages {
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<Value>,
}

/// Adds the two ways of presenting an API key.
pub struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("`Authorization: Bearer <key>`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
    }
}

/// The (method, path) pairs a document describes.
#[cfg(test)]
pub(crate) fn documented_routes(
    doc: &utoipa::openapi::OpenApi,
) -> std::collections::BTreeSet<(String, String)> {
    let document = serde_json::to_value(doc).unwrap_or_default();
    assert!(document["openapi"]
        .as_str()
        .unwrap_or("")
        .starts_with("3.1"));
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    documented
}
