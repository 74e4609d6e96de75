//! `POST /api/token/rotate`: rotates the signing secret of the running server, which
//! `mira token --rotate` calls when a server holds the data dir. The old token is refused
//! and the new one accepted from the next request on, and open WebSocket sessions are
//! closed. The new token is not in the answer: the caller reads it from the data dir's
//! owner-only `token` file, like every other client on this machine.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn rotate(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let auth = state.auth.clone();
    tokio::task::spawn_blocking(move || auth.rotate_in_place())
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(format!("cannot store the new secret: {e}")))?;
    tracing::info!("access token rotated; earlier tokens are refused and open WebSockets closed");
    Ok(Json(json!({ "rotated": true })))
}
