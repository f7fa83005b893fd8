//! The OpenAPI 3.1 document of the reference hub's HTTP API, served at the hub's
//! `GET /openapi.json`. Routes are described by `#[utoipa::path]` on the handlers
//! in `hub/http.rs`; bodies share the gateway's schemas (`api/openapi.rs`).

use utoipa::OpenApi;

use crate::api::openapi::{CanonicalMessages, ErrorBody, ErrorDetail, Security};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "iarms-gateway reference hub",
        description = "A stand-in for the iARMS central service for tests, demos and integrators; not INTERPOL's system (see docs/gateway.md)."
    ),
    paths(
        super::http::healthz,
        super::http::readyz,
        super::http::metrics,
        super::http::openapi_json,
        super::http::records,
        super::http::searches,
        super::http::traces,
        super::http::hits,
        super::http::show_trace,
        super::http::trace_responses,
        super::http::acknowledge,
        super::http::cancel,
    ),
    components(schemas(ErrorBody, ErrorDetail, CanonicalMessages)),
    modifiers(&Security),
    security(("bearer" = []), ("api_key" = []))
)]
pub struct HubApiDoc;

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    use super::HubApiDoc;
    use crate::api::openapi::documented_routes;

    #[test]
    fn every_hub_route_is_documented_and_nothing_else() {
        let routed = super::super::http::ROUTES
            .iter()
            .map(|(method, path)| (method.to_string(), path.to_string()))
            .collect();
        assert_eq!(documented_routes(&HubApiDoc::openapi()), routed);
    }
}
