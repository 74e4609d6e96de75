//! Slash commands, sub-agents, hooks and MCP servers of a project over HTTP:
//! `GET /api/projects/{id}/commands` (what the chat input completes from),
//! `POST /api/projects/{id}/commands/run` `{input}` (a built-in's answer, or a command
//! file's prompt ready to send), `GET .../agents`, `GET .../hooks`, `GET .../mcp`.
//! The chat (`chat.send`) and agent starts resolve slash commands through [`resolve`].

use axum::Json;
use axum::extract::{Path, State};
use mira_agent::commands::builtin::BuiltinContext;
use mira_agent::commands::resolve::{self as commands, Resolved};
use mira_agent::extensions::Extensions;
use mira_store::projects::Project;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What built-ins and commands read in this server, for `project` (or none).
pub fn context<'a>(
    state: &'a AppState,
    project: Option<&'a Project>,
    ext: Option<&'a Extensions>,
) -> BuiltinContext<'a> {
    BuiltinContext {
        db: &state.db,
        config: &state.config,
        gateway: Some(&state.llm),
        project,
        home: state.extensions.home(),
        search: Some(state.search.clone()),
        extensions: ext,
    }
}

/// Resolves what the user typed in `project_id` (or outside any project).
pub async fn resolve(state: &AppState, project_id: Option<i64>, input: &str) -> Result<Resolved, ApiError> {
    if mira_agent::commands::invoke::split(input).is_none() {
        return Ok(Resolved::Text);
    }
    let project = match project_id {
        Some(id) => Some(mira_store::projects::get(&state.db, id).await?),
        None => None,
    };
    let ext = project.as_ref().map(|p| state.extensions.get(p));
    let ctx = context(state, project.as_ref(), ext.as_deref());
    Ok(commands::resolve(input, &ctx).await?)
}

pub async fn list(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let project = mira_store::projects::get(&state.db, id).await?;
    let ext = state.extensions.get(&project);
    let ctx = context(&state, Some(&project), Some(&ext));
    let (commands, problems) = commands::list(&ctx).await;
    Ok(Json(json!({ "commands": commands, "problems": problems })))
}

#[derive(Debug, Deserialize)]
pub struct RunBody {
    pub input: String,
}

pub async fn run(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<RunBody>,
) -> ApiResult<Json<Value>> {
    Ok(Json(match resolve(&state, Some(id), &body.input).await? {
        Resolved::Text => {
            return Err(ApiError::bad_request(
                "`input` is not a slash command: it must start with `/name`",
            ));
        }
        Resolved::Builtin(answer) => json!({ "kind": "builtin", "builtin": answer }),
        Resolved::Prompt(p) => json!({ "kind": "prompt", "prompt": p }),
    }))
}

pub async fn agents(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let project = mira_store::projects::get(&state.db, id).await?;
    let catalog = mira_agent::agent_defs::AgentCatalog::load(Some(&project.root), state.extensions.home());
    Ok(Json(
        json!({ "agents": catalog.agents, "problems": catalog.problems }),
    ))
}

pub async fn hooks(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let project = mira_store::projects::get(&state.db, id).await?;
    let ext = state.extensions.get(&project);
    Ok(Json(ext.hooks_json()))
}

pub async fn mcp(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let project = mira_store::projects::get(&state.db, id).await?;
    let ext = state.extensions.get(&project);
    Ok(Json(ext.mcp_json().await))
}
