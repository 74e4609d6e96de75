//! Git intelligence over HTTP: indexing (progress pushed over the WebSocket), history,
//! co-change, experts and blame of a project's files.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mira_core::ErrorCode;
use mira_git::{GitError, queries};
use mira_store::projects;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::confine;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

impl From<GitError> for ApiError {
    fn from(e: GitError) -> Self {
        let code = match &e {
            GitError::NotARepository { .. } => ErrorCode::BadRequest,
            GitError::NotFound(_) => ErrorCode::NotFound,
            GitError::NotIndexed(_) => ErrorCode::NotIndexed,
            _ => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

#[derive(Debug, Deserialize)]
pub struct GitQuery {
    #[serde(default)]
    pub path: String,
    pub limit: Option<usize>,
    #[serde(default)]
    pub bots: bool,
}

/// Starts indexing the project's history; progress and the outcome arrive as events.
pub async fn index(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let project = projects::get(&state.db, id).await?;
    if !state.indexing.lock().expect("not poisoned").insert(id) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("project {id} is already being indexed"),
        ));
    }
    let task = format!("git-index-{id}-{}", uuid::Uuid::new_v4());
    let label = format!("Indexing git history of {}", project.name);
    let events = state.events.clone();
    let progress = events.progress_fn(&task, &label);
    let background = state.clone();
    let task_id = task.clone();
    tokio::spawn(async move {
        let result =
            mira_git::index::index_project(&background.db, &project, &background.config.git, progress).await;
        background
            .indexing
            .lock()
            .expect("not poisoned")
            .remove(&project.id);
        match result {
            Ok(summary) => background.events.activity(
                "git.indexed",
                format!(
                    "Indexed git history of {}: {} new commit(s), {} in all, {} co-change pair(s) updated{}",
                    project.name,
                    summary.new_commits,
                    summary.total_commits,
                    summary.cochange_pairs,
                    summary
                        .missing_note()
                        .map(|n| format!("; {n}"))
                        .unwrap_or_default()
                ),
            ),
            Err(e) => background.events.activity(
                "git.index_failed",
                format!("Indexing {} failed: {e}", project.name),
            ),
        }
        tracing::debug!(task = %task_id, "git index finished");
    });
    Ok((StatusCode::ACCEPTED, Json(json!({ "task": task }))))
}

pub async fn log(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<GitQuery>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let path = if q.path.is_empty() {
        None
    } else {
        Some(confine::relative_string(&q.path)?)
    };
    let commits = queries::log(
        &state.db,
        project.id,
        path.as_deref(),
        q.limit.unwrap_or(50).min(1000),
    )
    .await?;
    if commits.is_empty() {
        mira_git::absence::check_history(&state.db, &project, path.as_deref()).await?;
    }
    Ok(Json(json!({ "commits": commits })))
}

pub async fn cochange(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<GitQuery>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let path = confine::relative_string(&q.path)?;
    if path.is_empty() {
        return Err(ApiError::bad_request("give the file with ?path="));
    }
    let suggestions = queries::cochange(
        &state.db,
        project.id,
        &path,
        q.limit.unwrap_or(10).min(200),
        &state.config.git,
    )
    .await?;
    if suggestions.is_empty() {
        mira_git::absence::check_history(&state.db, &project, Some(&path)).await?;
    }
    Ok(Json(json!({ "file": path, "suggestions": suggestions })))
}

pub async fn experts(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<GitQuery>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let path = confine::relative_string(&q.path)?;
    let experts = queries::experts(
        &state.db,
        project.id,
        &path,
        q.bots,
        q.limit.unwrap_or(10).min(200),
    )
    .await?;
    if experts.is_empty() {
        mira_git::absence::check_history(&state.db, &project, Some(&path)).await?;
    }
    Ok(Json(json!({ "path": path, "experts": experts })))
}

pub async fn blame(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<GitQuery>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    // The file is read, so it must resolve inside the root (symlinks included).
    let resolved = confine::resolve(&project.root, &q.path)?;
    let path = confine::display_relative(&project.root, &resolved);
    let lines = mira_git::blame::blame(&state.db, &project, &path).await?;
    Ok(Json(json!({ "file": path, "lines": lines })))
}

#[derive(Debug, Deserialize)]
pub struct FixesBody {
    pub error: String,
    pub limit: Option<usize>,
}

/// Past fixes for an error text.
pub async fn fixes(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<FixesBody>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    if body.error.trim().is_empty() {
        return Err(ApiError::bad_request(format!(
            "`error` is empty: {}",
            mira_git::fixes::EMPTY_ERROR
        )));
    }
    let report =
        mira_git::fixes::find(&state.db, &project, &body.error, body.limit.unwrap_or(5).min(50)).await?;
    Ok(Json(
        serde_json::to_value(report).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}
