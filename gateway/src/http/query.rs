//! Query strings read into typed parameters, refused with the one JSON error
//! shape (`bad_query`, naming the parameter where serde names it) instead of
//! axum's text/plain rejection. Put after the caller's extractor in a handler,
//! so that a stranger is refused for who it is before its query is looked at.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The query string of a request, as `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(QueryParams(value)),
            Err(rejection) => Err(bad_query(rejection.body_text())),
        }
    }
}

/// 400 `bad_query`.
pub fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_query", message)
}
