//! Budget, routing and chat history: `/api/budget`, `/api/llm/routes`,
//! `/api/conversations`.

use axum::Json;
use axum::extract::{Path, Query, State};
use mira_core::ErrorCode;
use mira_llm::{LlmError, conversations};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

impl From<LlmError> for ApiError {
    fn from(e: LlmError) -> Self {
        let code = match &e {
            LlmError::BadRequest { status: 404, .. } => ErrorCode::NotFound,
            LlmError::BadRequest { .. } | LlmError::ContextTooLong { .. } => ErrorCode::BadRequest,
            LlmError::RateLimited { .. } => ErrorCode::RateLimited,
            LlmError::Store(_) | LlmError::Protocol { .. } => ErrorCode::Internal,
            // Budget refusals, missing keys, failing providers: nothing wrong with the
            // request, the service cannot serve it now; the message says why.
            _ => ErrorCode::Unavailable,
        };
        ApiError::new(code, e.to_string())
    }
}

/// Spend against the limits, cache hit rate and savings, spend by day, model and tier.
pub async fn budget(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(mira_llm::setup::budget_report(&state.llm).await?))
}

/// Which provider and model each tier uses now, and which providers are usable.
pub async fn routes(State(state): State<AppState>) -> Json<Value> {
    Json(serde_json::to_value(mira_llm::setup::routing_summary(&state.llm)).expect("summary serializes"))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub limit: Option<u32>,
}

pub async fn conversations(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let list = conversations::list(&state.db, q.limit.unwrap_or(50).min(500)).await?;
    Ok(Json(json!({ "conversations": list })))
}

pub async fn conversation(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let conversation = conversations::get(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no conversation {id}")))?;
    let messages = conversations::messages(&state.db, id).await?;
    Ok(Json(
        json!({ "conversation": conversation, "messages": messages }),
    ))
}

pub async fn delete_conversation(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    if !conversations::delete(&state.db, id).await? {
        return Err(ApiError::not_found(format!("no conversation {id}")));
    }
    Ok(Json(json!({ "deleted": id })))
}
