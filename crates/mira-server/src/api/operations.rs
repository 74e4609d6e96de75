//! Agent operations over HTTP: start one, list and read them (with events and
//! artifacts), decide an artifact, cancel; list a project's checkpoints and rewind to
//! one. The WebSocket (`ws/agent.rs`) starts operations through [`start`] too and
//! streams their events.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use mira_agent::commands::resolve::Resolved;
use mira_agent::{
    AgentDeps, AgentError, Decision, Mode, Operation, OperationRequest, artifacts, checkpoints, store,
};
use mira_core::ErrorCode;
use mira_llm::Tier;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

impl From<AgentError> for ApiError {
    fn from(e: AgentError) -> Self {
        let code = match &e {
            AgentError::Invalid(_) | AgentError::Ambiguous(_) => ErrorCode::BadRequest,
            AgentError::NotFound(_) => ErrorCode::NotFound,
            AgentError::Llm(l) => return ApiError::from(l.clone()),
            AgentError::Sql(_) | AgentError::Io(_) => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct StartBody {
    pub task: String,
    /// `ask` (default) or `auto`.
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub max_steps: Option<usize>,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
}

/// Starts an operation of project `project_id`; the caller takes its events.
pub async fn start(state: &AppState, project_id: i64, body: StartBody) -> Result<Operation, ApiError> {
    let project = mira_store::projects::get(&state.db, project_id).await?;
    let mode = match body.mode.as_deref() {
        None => Mode::Ask,
        Some(m) => Mode::parse(m)
            .ok_or_else(|| ApiError::bad_request(format!("unknown mode `{m}`: use ask or auto")))?,
    };
    let tier = match body.tier.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(Tier::parse(t).ok_or_else(|| {
            ApiError::bad_request(format!("unknown tier `{t}`: use fast, voice or thinker"))
        })?),
    };
    let mut request = OperationRequest::new(project, &body.task);
    request.mode = mode;
    request.max_steps = body.max_steps.unwrap_or(mira_agent::engine::DEFAULT_MAX_STEPS);
    request.tier = tier;
    request.model = body.model.filter(|m| !m.is_empty());
    // A slash command's prompt is the task, with the tools and model it asks for; a
    // built-in is refused before it runs.
    if let Some((name, _)) = mira_agent::commands::invoke::split(&body.task)
        && mira_agent::commands::builtin::find(name).is_some()
    {
        return Err(ApiError::bad_request(format!(
            "`/{name}` is a built-in: send it in the chat (or `mira ask`), not as an agent task"
        )));
    }
    match crate::api::commands::resolve(state, Some(project_id), &body.task).await? {
        Resolved::Text => {}
        Resolved::Builtin(answer) => {
            return Err(ApiError::bad_request(format!(
                "`/{}` is a built-in",
                answer.command
            )));
        }
        Resolved::Prompt(prepared) => {
            request.task = prepared.prompt;
            request.filter = prepared.tools;
            if request.tier.is_none() && request.model.is_none() {
                request.tier = prepared.model.tier;
                request.model = prepared.model.model;
            }
        }
    }
    // The UI shows questions and can answer them.
    request.user_available = true;
    let deps = AgentDeps {
        db: state.db.clone(),
        gateway: state.llm.clone(),
        config: state.config.clone(),
        search: Some(state.search.clone()),
        extensions: Some(state.extensions.get(&request.project)),
    };
    Ok(mira_agent::start(deps, request, Some(state.agents.clone())).await?)
}

/// `POST /api/projects/{id}/operations` `{task, mode?, max_steps?, tier?, model?}`.
pub async fn create(
    State(state): State<AppState>,
    Path(project_id): Path<i64>,
    Json(body): Json<StartBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let operation = start(&state, project_id, body).await?;
    let id = operation.id;
    // Events are stored; a client follows them with GET /api/operations/{id} (or starts
    // over the WebSocket to have them streamed).
    tokio::spawn(mira_agent::drive(operation, |_| {}));
    Ok((StatusCode::CREATED, Json(json!({ "operation_id": id }))))
}

pub async fn list(State(state): State<AppState>, Path(project_id): Path<i64>) -> ApiResult<Json<Value>> {
    mira_store::projects::get(&state.db, project_id).await?;
    let operations = store::list(&state.db, project_id, 100).await?;
    Ok(Json(json!({ "operations": operations })))
}

/// One operation with its events and artifacts.
pub async fn detail(state: &AppState, id: i64) -> Result<Value, ApiError> {
    let operation = store::get(&state.db, id).await?;
    let events = store::events(&state.db, id).await?;
    let artifacts = artifacts::list(&state.db, id).await?;
    let children = store::children(&state.db, id).await?;
    Ok(json!({
        "operation": operation,
        "children": children,
        "running": state.agents.get(id).is_some(),
        "events": events,
        "artifacts": artifacts,
    }))
}

pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    Ok(Json(detail(&state, id).await?))
}

pub fn parse_decision(text: Option<&str>) -> Result<Decision, ApiError> {
    text.and_then(Decision::parse)
        .ok_or_else(|| ApiError::bad_request("`decision` must be \"apply\" or \"reject\""))
}

/// Decides a pending artifact of a running operation.
pub fn decide_artifact(
    state: &AppState,
    id: i64,
    artifact_id: i64,
    decision: Decision,
) -> Result<Value, ApiError> {
    let handle = state
        .agents
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("operation {id} is not running")))?;
    handle.decide(artifact_id, decision)?;
    Ok(json!({
        "operation_id": id,
        "artifact_id": artifact_id,
        "decision": decision,
    }))
}

#[derive(Debug, Deserialize)]
pub struct DecideBody {
    pub decision: String,
}

/// `POST /api/operations/{id}/artifacts/{artifact_id}` `{decision: "apply"|"reject"}`.
pub async fn decide(
    State(state): State<AppState>,
    Path((id, artifact_id)): Path<(i64, i64)>,
    Json(body): Json<DecideBody>,
) -> ApiResult<Json<Value>> {
    let decision = parse_decision(Some(&body.decision))?;
    Ok(Json(decide_artifact(&state, id, artifact_id, decision)?))
}

pub fn cancel_operation(state: &AppState, id: i64) -> Value {
    let handle = state.agents.get(id);
    if let Some(h) = &handle {
        h.cancel();
    }
    json!({ "operation_id": id, "cancelling": handle.is_some() })
}

pub async fn cancel(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    store::get(&state.db, id).await?;
    Ok(Json(cancel_operation(&state, id)))
}

pub async fn checkpoint_list(state: &AppState, project_id: i64) -> Result<Value, ApiError> {
    mira_store::projects::get(&state.db, project_id).await?;
    let list = checkpoints::list(&state.db, project_id, 200).await?;
    Ok(json!({ "checkpoints": list }))
}

pub async fn project_checkpoints(
    State(state): State<AppState>,
    Path(project_id): Path<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(checkpoint_list(&state, project_id).await?))
}

/// `POST /api/checkpoints/{id}/rewind`: `id` may be a prefix (4 hex digits or more).
pub async fn rewind(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let done = checkpoints::rewind(&state.db, &id).await?;
    Ok(Json(serde_json::to_value(done).expect("rewinds serialise")))
}
