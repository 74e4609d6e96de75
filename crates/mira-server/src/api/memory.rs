//! Memory over HTTP: `/api/memory` lists facts (`?project_id=`, `?history=true`) and
//! takes new ones, `/api/memory/search` recalls, `/api/memory/profile` is the user's
//! profile, `/api/memory/{id}` edits or forgets an
//! item (`f12` a fact, `t34` a turn).

use axum::Json;
use axum::extract::{Path, Query, State};
use mira_core::ErrorCode;
use mira_memory::facts;
use mira_memory::recall::{self, RecallRequest};
use mira_memory::{MemoryError, Scope, turns};
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

/// The user's profile: current preferences and names, one per subject.
pub async fn profile(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let entries = mira_memory::profile::list(&state.db, mira_memory::scope::LOCAL_USER).await?;
    Ok(Json(json!({ "profile": entries })))
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
    let request = RecallRequest {
        query: q.q,
        scope: scope(&state, q.project_id).await?,
        conversation: q.conversation,
        limit: q.limit.unwrap_or(10).clamp(1, 100),
        budget_tokens: None,
        include_turns: true,
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

enum ItemId {
    Fact(i64),
    Turn(i64),
}

fn item_id(id: &str) -> ApiResult<ItemId> {
    let bad = || {
        ApiError::bad_request(format!(
            "{id:?} is not a memory item id (f12 for a fact, t34 for a turn)"
        ))
    };
    let parsed = match id.strip_prefix('t') {
        Some(n) => ItemId::Turn(n.parse().map_err(|_| bad())?),
        None => ItemId::Fact(id.strip_prefix('f').unwrap_or(id).parse().map_err(|_| bad())?),
    };
    Ok(parsed)
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
    let ItemId::Fact(n) = item_id(&id)? else {
        return Err(ApiError::bad_request(
            "only facts can be edited; a turn is what was said",
        ));
    };
    let keys = mira_memory::configured_keys(&state.config);
    let fact = facts::edit(&state.db, n, &mira_memory::scrub::clean(body.text.trim(), &keys)).await?;
    Ok(Json(json!({ "fact": fact })))
}

pub async fn forget(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    match item_id(&id)? {
        ItemId::Fact(n) => facts::forget(&state.db, n).await?,
        ItemId::Turn(n) => turns::forget(&state.db, n).await?,
    }
    Ok(Json(json!({ "forgotten": id })))
}
