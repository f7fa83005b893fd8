//! The ceiling of `benches/gateway.sh`: an axum server that answers every POST
//! with 200 and does nothing else (it reads the body, as the gateway must). The
//! load tool runs against it in the same run as against the gateway, so the
//! gateway's figures can be read as a fraction of what HTTP on this machine allows.
//! Also stands in for the hub the benchmark's gateway forwards to.
//!
//! `cargo run --release -p iarms-gateway --example bare_axum -- 127.0.0.1:8099`

// An example, not an input path of the library (clippy cannot tell it from library code).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8099".to_string());
    let app = Router::new().fallback(post(|_body: Bytes| async { (StatusCode::OK, "{}") }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare_axum listening on http://{addr}");
    axum::serve(listener, app).await
}
