pub mod principal;
pub mod routing;
