//! Probes and metrics: `/health`, `/live`, `/ready`, `/metrics`. No token needed: they
//! reveal nothing about projects or files.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::state::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": mira_core::VERSION }))
}

pub async fn live() -> Json<Value> {
    Json(json!({ "status": "alive" }))
}

/// Ready when the database and the vector store both answer, and not shutting down.
pub async fn ready(State(state): State<AppState>) -> Response {
    let database = match tokio::time::timeout(CHECK_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => Ok("ok".to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 3 s".to_string()),
    };
    let vectors = match tokio::time::timeout(CHECK_TIMEOUT, state.vectors.health()).await {
        Ok(Ok(())) => Ok(format!("ok ({})", state.vectors.backend())),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 3 s".to_string()),
    };
    let shutting_down = state.shutdown.is_cancelled();
    let ok = database.is_ok() && vectors.is_ok() && !shutting_down;
    let show = |r: Result<String, String>| match r {
        Ok(s) => s,
        Err(e) => format!("failing: {e}"),
    };
    let body = json!({
        "status": if ok { "ready" } else if shutting_down { "shutting_down" } else { "not_ready" },
        "checks": { "database": show(database), "vectors": show(vectors) },
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(state.db.pool_stats());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
