//! The HTTP front door shared by the gateway ([`crate::api`]) and the reference
//! hub ([`crate::hub`]): one error shape ([`error`]), request limits as layers
//! ([`limits`]), authentication as extractors ([`auth`], over the credentials of
//! [`keys`]), `Idempotency-Key` as a layer ([`idempotency`]), canonical JSON
//! bodies ([`canonical`]), routes and OpenAPI document from one source
//! ([`door`], [`openapi`]) and the accept loop with TLS ([`serve`]).
//!
//! It knows the store (idempotency keys, readiness) and the principals, never
//! a service's configuration or routes.

pub mod auth;
pub mod canonical;
pub mod door;
pub mod error;
pub mod idempotency;
pub mod keys;
pub mod limits;
pub mod openapi;
pub mod query;
pub mod serve;
pub mod signed;
