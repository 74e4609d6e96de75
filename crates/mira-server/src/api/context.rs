//! The context oracle over HTTP: what Mira would tell a model about a task.

use axum::Json;
use axum::extract::{Path, Query, State};
use mira_core::ErrorCode;
use mira_oracle::{ContextRequest, Level, OracleError, Selection};
use mira_store::projects;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

impl From<OracleError> for ApiError {
    fn from(e: OracleError) -> Self {
        let code = match &e {
            OracleError::EmptyTask => ErrorCode::BadRequest,
            OracleError::Store(_) => ErrorCode::Unavailable,
        };
        ApiError::new(code, e.to_string())
    }
}

/// The parameters of a request (query string, JSON body or WebSocket frame).
#[derive(Debug, Default, Deserialize)]
pub struct ContextParams {
    #[serde(default)]
    pub task: String,
    pub file: Option<String>,
    pub selection: Option<Selection>,
    pub start_line: Option<u32>,
    pub end_line: Option<u32>,
    pub tokens: Option<usize>,
    pub level: Option<String>,
    /// At most this many tokens whatever the level (what a model's window leaves).
    pub room: Option<usize>,
    /// Each source's deadline in ms instead of the level's (bounded by the oracle).
    pub deadline_ms: Option<u64>,
    /// Also answer each source's file list.
    #[serde(default)]
    pub explain: bool,
}

pub fn request_of(p: ContextParams) -> ApiResult<ContextRequest> {
    let file = match p.file.filter(|f| !f.trim().is_empty()) {
        Some(f) => Some(crate::confine::relative_string(&f)?),
        None => None,
    };
    let selection = p.selection.or(match (p.start_line, p.end_line) {
        (Some(a), Some(b)) => Some(Selection {
            start_line: a,
            end_line: b,
        }),
        _ => None,
    });
    if selection.is_some() && file.is_none() {
        return Err(ApiError::bad_request("a selection needs the `file` it is in"));
    }
    let level = match p.level.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => Some(Level::parse(l).ok_or_else(|| {
            ApiError::bad_request(format!("unknown level `{l}`: use minimal, standard or full"))
        })?),
        None => None,
    };
    Ok(ContextRequest {
        task: p.task,
        file,
        selection,
        tokens: p.tokens,
        level,
        room: p.room,
        deadline_ms: p.deadline_ms,
        explain: p.explain,
    })
}

pub async fn answer(state: &AppState, project_id: i64, p: ContextParams) -> ApiResult<Value> {
    let project = projects::get(&state.db, project_id).await?;
    let request = request_of(p)?;
    let context = state.oracle.gather(&project, &request).await?;
    Ok(serde_json::to_value(context).expect("contexts serialize"))
}

/// `GET /api/projects/{id}/context?task=...&file=&start_line=&end_line=&tokens=&level=`
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<ContextParams>,
) -> ApiResult<Json<Value>> {
    Ok(Json(answer(&state, id, p).await?))
}

/// `POST /api/projects/{id}/context` with the same fields as a JSON body (for long
/// tasks such as pasted logs).
pub async fn post(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(p): Json<ContextParams>,
) -> ApiResult<Json<Value>> {
    Ok(Json(answer(&state, id, p).await?))
}
