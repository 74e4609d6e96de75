//! Semantic search over HTTP: hybrid search with filters, index status and refresh, the
//! concept index and its rules.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use mira_core::ErrorCode;
use mira_search::SearchError;
use mira_search::query::{Mode, SearchRequest};
use mira_store::projects;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        let code = match &e {
            SearchError::Invalid(_) => ErrorCode::BadRequest,
            SearchError::Embedder(_) => ErrorCode::Unavailable,
            _ => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub lang: Option<String>,
    pub path: Option<String>,
    pub kind: Option<String>,
    pub limit: Option<usize>,
    pub mode: Option<String>,
    pub collection: Option<String>,
}

/// The request a set of parameters makes (HTTP query or WebSocket frame).
pub fn request_of(project_id: i64, p: SearchParams) -> ApiResult<SearchRequest> {
    let mut r = SearchRequest::new(project_id, &p.q);
    r.language = p.lang;
    if let Some(path) = p.path.filter(|p| !p.trim().is_empty()) {
        r.path = Some(crate::confine::relative_string(&path)?);
    }
    r.kind = p.kind;
    r.collection = p.collection;
    if let Some(l) = p.limit {
        r.limit = l;
    }
    if let Some(m) = p.mode {
        r.mode = Mode::parse(&m)?;
    }
    Ok(r)
}

/// `GET /api/projects/{id}/search?q=...&lang=&path=&kind=&limit=&mode=&collection=`
pub async fn search(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<Value>> {
    projects::get(&state.db, id).await?;
    let request = request_of(id, p)?;
    let answer = state.search.search(&request).await?;
    Ok(Json(serde_json::to_value(answer).expect("responses serialize")))
}

/// `POST /api/projects/{id}/search/index`: brings the index up to date in the background.
pub async fn index(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let project = projects::get(&state.db, id).await?;
    let task = crate::search::refresh(&state, project);
    Ok((StatusCode::ACCEPTED, Json(json!({ "task": task }))))
}

/// `GET /api/projects/{id}/search/status`
pub async fn status(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    projects::get(&state.db, id).await?;
    let collections = mira_search::index::status(state.search.db(), id).await?;
    let embedder = state.search.embedder().await;
    let embedder_name = embedder.as_ref().ok().map(|e| e.name());
    // No embedder, or one whose last run of filling vectors stopped (a budget limit):
    // either way search runs by keyword, and this says why.
    let problem = embedder.err().or_else(|| state.search.dense_problem());
    Ok(Json(json!({
        "running": crate::search::running(id),
        "collections": collections,
        "embedder": embedder_name,
        "embedder_problem": problem,
    })))
}

/// `GET /api/projects/{id}/concepts`: concepts with their symbol counts.
pub async fn concepts(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    projects::get(&state.db, id).await?;
    let counts = mira_search::concepts::counts(state.search.db(), id).await?;
    Ok(Json(json!({ "concepts": counts })))
}

/// `GET /api/projects/{id}/concepts/{concept}`: the symbols tagged with it.
pub async fn concept(
    State(state): State<AppState>,
    Path((id, concept)): Path<(i64, String)>,
) -> ApiResult<Json<Value>> {
    projects::get(&state.db, id).await?;
    let rules = state.search.rules().await?;
    let tagged = mira_search::concepts::symbols_with(state.search.db(), &rules, id, &concept).await?;
    Ok(Json(json!({ "concept": concept, "symbols": tagged })))
}

#[derive(Debug, Deserialize)]
pub struct RuleBody {
    pub kind: String,
    pub pattern: String,
    pub concept: String,
}

/// `POST /api/concepts/rules`: a user rule (`package`, `identifier` or `synonym`).
pub async fn add_rule(
    State(state): State<AppState>,
    Json(body): Json<RuleBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    state
        .search
        .add_rule(&body.kind, &body.pattern, &body.concept)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "kind": body.kind, "pattern": body.pattern, "concept": body.concept })),
    ))
}
