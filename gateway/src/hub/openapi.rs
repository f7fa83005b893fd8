//! The OpenAPI 3.1 document of the reference hub's HTTP API, served at the hub's
//! `GET /openapi.json`: its title and the schemas and security it shares with
//! the gateway ([`crate::http::openapi`]). The paths are added by the router
//! ([`super::routes`]) from the handlers' `#[utoipa::path]`.

use utoipa::OpenApi;

use crate::http::openapi::{CanonicalMessages, ErrorBody, ErrorDetail, Security};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "iarms-gateway reference hub",
        description = "A stand-in for the iARMS central service for tests, demos and integrators; not INTERPOL's system (see docs/gateway.md)."
    ),
    components(schemas(ErrorBody, ErrorDetail, CanonicalMessages)),
    modifiers(&Security),
    security(("bearer" = []), ("api_key" = []))
)]
pub struct HubApiDoc;
