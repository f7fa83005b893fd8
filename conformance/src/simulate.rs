//! A simulated national registry, for tests and for running the registry target
//! against a gateway without a real registry behind it. NOT a registry: it stores
//! nothing and answers every trace request it receives with a canonical trace
//! response (`not_found`) sent to the gateway's `POST /v1/traces/{id}/responses`.
//!
//! It listens where the gateway's partner `outbound = { url = ... }` points: the
//! gateway posts messages there in the partner's format (named by the
//! `x-message-format` header), which is decoded with the same adapters as `convert`.
//!
//! Test-only faults make it misbehave on purpose, so that the registry target can
//! be shown to fail: `late-answer` answers after a delay, `drop-field` leaves the
//! request's correlation id out of the answer, `wrong-status` answers the gateway
//! 500 and sends nothing.

use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use iarms_adapters::{pipeline, Limits, Message, Registry};
use serde_json::{json, Value};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryFault {
    LateAnswer,
    DropField,
    WrongStatus,
}

impl RegistryFault {
    pub fn parse(name: &str) -> Option<RegistryFault> {
        match name {
            "late-answer" => Some(RegistryFault::LateAnswer),
            "drop-field" => Some(RegistryFault::DropField),
            "wrong-status" => Some(RegistryFault::WrongStatus),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct SimulatedRegistry {
    /// The gateway the answers go to, e.g. `http://127.0.0.1:8080`.
    pub gateway: String,
    /// The partner key this registry holds at the gateway.
    pub key: String,
    /// The responding agency put in answers.
    pub agency: Option<String>,
    pub fault: Option<RegistryFault>,
    /// The delay of `late-answer`.
    pub delay: Duration,
    pub registry: Registry,
    pub client: reqwest::Client,
}

/// The trace response the simulated registry gives to a trace request.
pub fn answer(
    request: &Value,
    agency: Option<&str>,
    fault: Option<RegistryFault>,
) -> Option<Value> {
    let trace_id = request.get("trace_id")?.as_str()?;
    let country = request
        .get("requested_country")
        .and_then(Value::as_str)
        .unwrap_or("XX");
    let correlation = match fault {
        Some(RegistryFault::DropField) => Value::String(uuid::Uuid::new_v4().to_string()),
        _ => request
            .pointer("/header/correlation_id")
            .cloned()
            .unwrap_or_else(|| Value::String(uuid::Uuid::new_v4().to_string())),
    };
    Some(json!({
        "kind": "trace_response",
        "header": {
            "message_id": uuid::Uuid::new_v4().to_string(),
            "correlation_id": correlation,
            "schema_version": "1.0"
        },
        "trace_id": trace_id,
        "responding_country": country,
        "responding_agency": agency.map(str::to_string).unwrap_or_else(|| format!("{country}-REGISTRY-SIMULATOR")),
        "outcome": "not_found",
        "responded_at": crate::template::now()
    }))
}

impl SimulatedRegistry {
    /// Decodes a delivery in its format and returns the trace requests in it.
    fn trace_requests(&self, headers: &HeaderMap, body: &[u8]) -> Result<Vec<Value>, String> {
        let format = headers
            .get("x-message-format")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("iarms-json");
        let adapter = self
            .registry
            .get(format)
            .ok_or_else(|| format!("unknown format {format}"))?;
        let stream = adapter
            .decode(Box::new(Cursor::new(body.to_vec())), Limits::default())
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for item in stream {
            let decoded = item.map_err(|e| e.to_string())?;
            let message = pipeline::prepare(decoded).map_err(|errors| {
                errors
                    .first()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "invalid".to_string())
            })?;
            if let Message::TraceRequest(_) = &message {
                out.push(serde_json::to_value(&message).map_err(|e| e.to_string())?);
            }
        }
        Ok(out)
    }

    async fn respond(self: Arc<Self>, request: Value) {
        let Some(response) = answer(&request, self.agency.as_deref(), self.fault) else {
            return;
        };
        if self.fault == Some(RegistryFault::LateAnswer) {
            tokio::time::sleep(self.delay).await;
        }
        let trace_id = response
            .get("trace_id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let url = format!(
            "{}/v1/traces/{trace_id}/responses",
            self.gateway.trim_end_matches('/')
        );
        // The gateway may be briefly unavailable: a few tries, then give up (a simulator).
        for attempt in 0..5u32 {
            match self
                .client
                .post(&url)
                .bearer_auth(&self.key)
                .json(&response)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {
                    tracing::info!(%trace_id, "simulated registry answered a trace request");
                    return;
                }
                Ok(r) => {
                    tracing::warn!(%trace_id, status = %r.status(), "the gateway refused the simulated answer");
                    return;
                }
                Err(e) => {
                    tracing::warn!(%trace_id, error = %e, attempt, "cannot reach the gateway");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt + 1))).await;
                }
            }
        }
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(
        self,
        listen: SocketAddr,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        eprintln!("simulated registry (test tool) listening on http://{addr}");
        let this = Arc::new(self);
        let app = Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let this = Arc::clone(&this);
            async move {
                if this.fault == Some(RegistryFault::WrongStatus) {
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        axum::Json(json!({"error": {"code": "simulated", "message": "wrong-status fault"}})),
                    )
                        .into_response();
                }
                let parsed = {
                    let this = Arc::clone(&this);
                    let body = body.to_vec();
                    tokio::task::spawn_blocking(move || this.trace_requests(&headers, &body)).await
                };
                match parsed {
                    Ok(Ok(requests)) => {
                        let n = requests.len();
                        for request in requests {
                            tokio::spawn(Arc::clone(&this).respond(request));
                        }
                        (StatusCode::OK, axum::Json(json!({"received": true, "trace_requests": n})))
                            .into_response()
                    }
                    Ok(Err(e)) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        axum::Json(json!({"error": {"code": "invalid", "message": e}})),
                    )
                        .into_response(),
                    Err(e) => (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        axum::Json(json!({"error": {"code": "internal", "message": e.to_string()}})),
                    )
                        .into_response(),
                }
            }
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_name_the_trace_and_keep_the_correlation() {
        let request = json!({"trace_id": "T-1", "requested_country": "RS",
                             "header": {"correlation_id": "c-1"}});
        let a = answer(&request, None, None).unwrap();
        assert_eq!(a["trace_id"], "T-1");
        assert_eq!(a["header"]["correlation_id"], "c-1");
        assert_eq!(a["responding_country"], "RS");
        let b = answer(&request, Some("RS-MUP"), Some(RegistryFault::DropField)).unwrap();
        assert_ne!(b["header"]["correlation_id"], "c-1");
        assert_eq!(b["responding_agency"], "RS-MUP");
        assert!(answer(&json!({}), None, None).is_none());
    }
}
