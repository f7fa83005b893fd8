//! The top of the library: the runtime that starts and stops a service
//! ([`runtime`]), and how the gateway ([`gateway`]) and the reference hub
//! ([`hub`]) are put together from the layers below, and the store's periodic
//! upkeep they both run ([`housekeeping`]).

mod checkpoints;
pub mod gateway;
pub mod housekeeping;
pub mod hub;
pub mod runtime;

#[cfg(test)]
mod authz_tests;
