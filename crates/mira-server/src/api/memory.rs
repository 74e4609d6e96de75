//! Memory over HTTP: `/api/memory` lists facts (`?project_id=`, `?history=true`) and
//! takes new ones, `/api/memory/search` recalls, `/api/memory/profile` is the user's
//! profile and habits, `/api/memory/patterns` and `/api/memory/summaries` list learned
//! patterns and rolling summaries, `/api/memory/{id}` edits or forgets an item (`f12` a
//! fact, `s5` a summary, `p3` a pattern, `t34` a turn).

use axum::Json;
use axum::extract::{Path, Query, State};
use mira_core::ErrorCode;
use mira_memory::facts;
use mira_memory::recall::{self, RecallRequest};
use mira_memory::{ItemId, MemoryError, Scope, patterns, summaries};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

impl From<MemoryError> for ApiError {
    fn from(e: MemoryError) -> Self {
        let code = match &e {
            MemoryError::NoSuchItem(_) => ErrorCode::NotFound,
            MemoryError::Invalid(_) => ErrorCode::BadRequest,
            MemoryError::Store(_) | MemoryError::Sql(_) => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

/// The scope of a request: the project's items and the user's, or the user's only.
async fn scope(state: &AppState, project_id: Option<i64>) -> ApiResult<Scope> {
    match project_id {
        Some(id) => Ok(Scope::project(mira_store::projects::get(&state.db, id).await?.id)),
        None => Ok(Scope::user()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub project_id: Option<i64>,
    #[serde(default)]
    pub history: bool,
}

pub async fn list(State(state): State<AppState>, Query(q): Query<ListQuery>) -> ApiResult<Json<Value>> {
    let scope = scope(&state, q.project_id).await?;
    let found = facts::list(&state.db, &scope, q.history).await?;
    Ok(Json(json!({ "facts": found })))
}

/// The user's profile: current preferences and names, one per subject, and their
/// habits (patterns seen at least three times).
pub async fn profile(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let entries = mira_memory::profile::list(&state.db, mira_memory::scope::LOCAL_USER).await?;
    let habits = patterns::list(&state.db, &Scope::user(), patterns::HABIT_EVIDENCE).await?;
    Ok(Json(json!({ "profile": entries, "habits": habits })))
}

#[derive(Debug, Deserialize)]
pub struct ScopeQuery {
    pub project_id: Option<i64>,
    pub conversation: Option<String>,
}

/// Learned patterns, most seen first (every sighting, not only habits).
pub async fn patterns(State(state): State<AppState>, Query(q): Query<ScopeQuery>) -> ApiResult<Json<Value>> {
    let scope = scope(&state, q.project_id).await?;
    Ok(Json(
        json!({ "patterns": patterns::list(&state.db, &scope, 1).await? }),
    ))
}

/// Rolling summaries, newest first (of one conversation with `?conversation=`).
pub async fn summaries(State(state): State<AppState>, Query(q): Query<ScopeQuery>) -> ApiResult<Json<Value>> {
    let scope = scope(&state, q.project_id).await?;
    let found = summaries::list(&state.db, &scope, q.conversation.as_deref(), 500).await?;
    Ok(Json(json!({ "summaries": found })))
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    pub q: String,
    pub project_id: Option<i64>,
    pub conversation: Option<String>,
    pub limit: Option<usize>,
}

pub async fn search(State(state): State<AppState>, Query(q): Query<SearchQuery>) -> ApiResult<Json<Value>> {
    if q.q.trim().is_empty() {
        return Err(ApiError::bad_request("give what to recall in `q`"));
    }
    // By meaning too when the embedder is loaded (search loads it once per process).
    let dense = state
        .search
        .embedder()
        .await
        .ok()
        .map(mira_memory::dense::Meaning::Embedder);
    let request = RecallRequest {
        query: q.q,
        scope: scope(&state, q.project_id).await?,
        conversation: q.conversation,
        limit: q.limit.unwrap_or(10).clamp(1, 100),
        budget_tokens: None,
        include_turns: true,
        dense,
        candidates: mira_memory::gate::CANDIDATE_TURNS,
    };
    Ok(Json(
        json!({ "items": recall::recall(&state.db, &request).await? }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct RememberBody {
    pub text: String,
    /// Keep it for this project only; default: the user's, in every project.
    pub project_id: Option<i64>,
}

pub async fn remember(
    State(state): State<AppState>,
    Json(body): Json<RememberBody>,
) -> ApiResult<Json<Value>> {
    let keys = mira_memory::configured_keys(&state.config);
    let text = mira_memory::scrub::clean(body.text.trim(), &keys);
    if facts::normalize(&text).is_empty() {
        return Err(ApiError::bad_request("give the `text` to remember"));
    }
    let scope = scope(&state, body.project_id).await?;
    let new = facts::told(text, chrono::Utc::now().timestamp_millis());
    let decision = facts::learn(&state.db, &scope, &new).await?;
    let fact = facts::get(&state.db, decision.id()).await?;
    Ok(Json(json!({ "decision": decision, "fact": fact })))
}

#[derive(Debug, Deserialize)]
pub struct EditBody {
    pub text: String,
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<EditBody>,
) -> ApiResult<Json<Value>> {
    let ItemId::Fact(n) = ItemId::parse(&id)? else {
        return Err(ApiError::bad_request(
            "only facts can be edited; a turn, summary or pattern is what was seen",
        ));
    };
    let keys = mira_memory::configured_keys(&state.config);
    let fact = facts::edit(&state.db, n, &mira_memory::scrub::clean(body.text.trim(), &keys)).await?;
    Ok(Json(json!({ "fact": fact })))
}

pub async fn forget(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    ItemId::parse(&id)?.forget(&state.db).await?;
    Ok(Json(json!({ "forgotten": id })))
}
