//! Registering, listing and removing projects.

use std::path::PathBuf;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use mira_store::projects::{self, Project};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::state::AppState;

pub async fn list(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let projects = projects::list(&state.db).await?;
    Ok(Json(json!({ "projects": projects })))
}

pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Project>> {
    Ok(Json(projects::get(&state.db, id).await?))
}

#[derive(Debug, Deserialize)]
pub struct AddProject {
    pub path: PathBuf,
    pub name: Option<String>,
}

pub async fn add(
    State(state): State<AppState>,
    Json(body): Json<AddProject>,
) -> ApiResult<(StatusCode, Json<Project>)> {
    let project = projects::add(&state.db, &body.path, body.name.as_deref()).await?;
    state.events.activity(
        "project.added",
        format!("Registered project {} ({})", project.name, project.root.display()),
    );
    Ok((StatusCode::CREATED, Json(project)))
}

pub async fn remove(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let project = projects::remove(&state.db, state.vectors.as_ref(), id).await?;
    state
        .events
        .activity("project.removed", format!("Removed project {}", project.name));
    Ok(Json(json!({ "removed": project.id })))
}
