//! Code intelligence over HTTP: indexing (progress pushed over the WebSocket), symbols,
//! callers, callees, impact, go-to-definition, the call graph and per-file tags.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mira_code::{CodeError, queries};
use mira_core::ErrorCode;
use mira_store::projects;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::confine;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

impl From<CodeError> for ApiError {
    fn from(e: CodeError) -> Self {
        let code = match &e {
            CodeError::NotFound(_) => ErrorCode::NotFound,
            CodeError::NotIndexed(_) => ErrorCode::NotIndexed,
            CodeError::BadInput(_) => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

/// Projects whose code is being indexed now, so two runs never overlap (git indexing
/// has its own set; the two may run together).
static INDEXING: LazyLock<Mutex<HashSet<i64>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

#[derive(Debug, Deserialize)]
pub struct CodeQuery {
    /// A qualified name or a name.
    #[serde(default)]
    pub symbol: String,
    /// A search text for `symbols`.
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub path: String,
    pub line: Option<u32>,
    pub col: Option<u32>,
    pub depth: Option<u32>,
    pub limit: Option<usize>,
}

fn relative(path: &str) -> ApiResult<Option<String>> {
    if path.is_empty() {
        return Ok(None);
    }
    Ok(Some(confine::relative_string(path)?).filter(|p| !p.is_empty()))
}

fn symbol_of(q: &CodeQuery) -> ApiResult<&str> {
    let s = q.symbol.trim();
    if s.is_empty() {
        return Err(ApiError::bad_request(
            "give the symbol with ?symbol= (a qualified name or a name)",
        ));
    }
    Ok(s)
}

/// Starts indexing the project's code; progress and the outcome arrive as events.
pub async fn index(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let project = projects::get(&state.db, id).await?;
    if !INDEXING.lock().expect("not poisoned").insert(id) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("the code of project {id} is already being indexed"),
        ));
    }
    let task = format!("code-index-{id}-{}", uuid::Uuid::new_v4());
    let label = format!("Indexing code of {}", project.name);
    let progress = state.events.progress_fn(&task, &label);
    let background = state.clone();
    tokio::spawn(async move {
        let result = mira_code::index::index_project(&background.db, &project, progress).await;
        INDEXING.lock().expect("not poisoned").remove(&project.id);
        if result.is_ok() {
            crate::search::refresh(&background, project.clone());
        }
        match result {
            Ok(s) => background.events.activity(
                "code.indexed",
                format!(
                    "Indexed code of {}: {} file(s), {} parsed, {} symbol(s), {} call edge(s), {} skipped, {} with syntax errors",
                    project.name,
                    s.files,
                    s.parsed,
                    s.symbols,
                    s.edges,
                    s.skipped.len(),
                    s.parse_errors.len()
                ),
            ),
            Err(e) => background
                .events
                .activity("code.index_failed", format!("Indexing the code of {} failed: {e}", project.name)),
        }
    });
    Ok((StatusCode::ACCEPTED, Json(json!({ "task": task }))))
}

/// `?path=FILE`: the file's outline; `?q=TEXT`: a search; neither: every symbol.
pub async fn symbols(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let limit = q.limit.unwrap_or(200).min(5000);
    let found = match (relative(&q.path)?, q.q.trim()) {
        (Some(path), "") => queries::file_symbols(&state.db, project.id, &path).await?,
        (prefix, "") => queries::all_symbols(&state.db, project.id, prefix.as_deref(), limit).await?,
        (_, text) => queries::find_symbols(&state.db, project.id, text, limit).await?,
    };
    Ok(Json(json!({ "symbols": found })))
}

pub async fn callers(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
) -> ApiResult<Json<Value>> {
    call_sites(state, id, q, true).await
}

pub async fn callees(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
) -> ApiResult<Json<Value>> {
    call_sites(state, id, q, false).await
}

async fn call_sites(state: AppState, id: i64, q: CodeQuery, callers: bool) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let symbol = symbol_of(&q)?;
    let key = if callers { "callers" } else { "callees" };
    let mut matches = Vec::new();
    for name in mira_code::named::resolve_symbol(&state.db, project.id, symbol).await? {
        let calls = if callers {
            queries::callers(&state.db, project.id, &name).await?
        } else {
            queries::callees(&state.db, project.id, &name).await?
        };
        matches.push(json!({ "symbol": name, key: calls }));
    }
    Ok(Json(json!({ "query": symbol, "matches": matches })))
}

pub async fn impact(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let symbol = symbol_of(&q)?;
    let depth = q.depth.unwrap_or(3).clamp(1, 10);
    let mut results = Vec::new();
    for name in mira_code::named::resolve_symbol(&state.db, project.id, symbol).await? {
        results.push(queries::impact(&state.db, project.id, &name, depth).await?);
    }
    Ok(Json(
        json!({ "query": symbol, "depth": depth, "results": results }),
    ))
}

/// Go to definition: `?path=FILE&line=L&col=C` (line 1-based, column 0-based).
pub async fn definition(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let (Some(path), Some(line)) = (relative(&q.path)?, q.line) else {
        return Err(ApiError::bad_request(
            "give the position with ?path=FILE&line=L&col=C",
        ));
    };
    let found = queries::definition_at(&state.db, project.id, &path, line, q.col.unwrap_or(0)).await?;
    Ok(Json(json!({ "definition": found })))
}

pub async fn callgraph(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let graph = queries::callgraph(&state.db, project.id, relative(&q.path)?.as_deref()).await?;
    Ok(Json(
        serde_json::to_value(graph).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

/// Per-file tags for the file browser: language, symbol count, tests, syntax errors,
/// skip reason.
pub async fn files(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let files = queries::file_tags(&state.db, project.id).await?;
    Ok(Json(json!({ "files": files })))
}
