//! Where messages go, as destinations of the store's deliveries: the names both
//! the gateway and the reference hub route by.
//!
//! - At a gateway, [`HUB`] is the destination of everything its partners send;
//!   a partner's id is the destination of what the hub sends to it.
//! - At the hub, a destination is `gateway:XX`, the gateway of country `XX`
//!   (ISO 3166-1 alpha-2, upper case), which the delivery layer maps to that
//!   gateway's URL.

use iarms_adapters::model::TraceRequest;

/// The destination name of the hub in a gateway's outbox (reserved: no partner
/// may take it as its id).
pub const HUB: &str = "hub";

/// The prefix of a country gateway's destination at the hub.
pub const GATEWAY_PREFIX: &str = "gateway:";

/// `gateway:XX` for country `XX` (upper-cased).
pub fn gateway_destination(country: &str) -> String {
    format!("{GATEWAY_PREFIX}{}", country.trim().to_ascii_uppercase())
}

/// The country of a `gateway:XX` destination.
pub fn destination_country(destination: &str) -> Option<&str> {
    destination
        .strip_prefix(GATEWAY_PREFIX)
        .filter(|c| !c.is_empty())
}

/// Whether two country codes name the same country (codes are canonical
/// alpha-2; case is forgiven).
pub fn same_country(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// A trace request goes to the requested country's gateway.
pub fn trace_request_destination(request: &TraceRequest) -> String {
    gateway_destination(&request.requested_country)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(gateway_destination("rs"), "gateway:RS");
        assert_eq!(destination_country("gateway:BR"), Some("BR"));
        assert_eq!(destination_country("gateway:"), None);
        assert_eq!(destination_country("partner:x"), None);
        assert!(same_country("rs", "RS "));
    }
}
