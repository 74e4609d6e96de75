//! Build integration over HTTP (and the WebSocket's `build.run` / `build.cancel`):
//! start a run (its output and outcome pushed as events), cancel it, read runs, logs
//! and errors.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use mira_build::queries::{self, ErrorFilter};
use mira_build::runner::{RunRequest, Stream};
use mira_build::{BuildError, record};
use mira_core::ErrorCode;
use mira_store::projects;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::confine;
use crate::error::{ApiError, ApiResult};
use crate::events::ServerEvent;
use crate::state::AppState;

impl From<BuildError> for ApiError {
    fn from(e: BuildError) -> Self {
        let code = match &e {
            BuildError::EmptyCommand | BuildError::BadCommandLine(_) | BuildError::CannotStart { .. } => {
                ErrorCode::BadRequest
            }
            BuildError::NotFound(_) => ErrorCode::NotFound,
            _ => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

/// A run to start: `command` as typed (split into words like a shell, no shell runs
/// it) or `argv`; `dir` relative to the project root.
#[derive(Debug, Deserialize, Default)]
pub struct RunBody {
    pub command: Option<String>,
    pub argv: Option<Vec<String>>,
    #[serde(default)]
    pub dir: String,
    pub timeout_secs: Option<u64>,
}

/// Keeps a UTF-8 character cut between two chunks whole for the next one.
#[derive(Default)]
struct Utf8Carry(Vec<u8>);

impl Utf8Carry {
    fn text(&mut self, bytes: &[u8]) -> String {
        self.0.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.0) {
            Ok(_) => self.0.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.0.len(),
        };
        let rest = self.0.split_off(valid);
        let text = String::from_utf8_lossy(&self.0).into_owned();
        self.0 = rest;
        text
    }
}

/// Starts a run in the background and returns its id at once.
pub async fn start_run(state: &AppState, project_id: i64, body: RunBody) -> Result<i64, ApiError> {
    let project = projects::get(&state.db, project_id).await?;
    let mut request = match (body.argv, body.command.as_deref()) {
        (Some(argv), _) if !argv.is_empty() => RunRequest::new(argv),
        (_, Some(line)) => RunRequest::from_command_line(line)?,
        _ => {
            return Err(ApiError::bad_request(
                "give the command to run in `command` (or `argv`)",
            ));
        }
    };
    if !body.dir.is_empty() {
        // Opened once and checked; the command starts in what was opened, not in the
        // path again (a component swapped for a symlink meanwhile would lead outside).
        let opened = confine::open(&project.root, &body.dir)?;
        if !opened.metadata.is_dir() {
            return Err(ApiError::bad_request(format!(
                "`dir` {} is not a directory",
                body.dir
            )));
        }
        request.dir = confine::display_relative(&project.root, &opened.path);
        request.pinned_dir = Some(Arc::new(opened.into_handle()));
    }
    request.timeout = body.timeout_secs.map(std::time::Duration::from_secs);
    let tool = mira_build::detect::tool_of(&request.argv);
    let run_id = record::start(&state.db, &project, &request, tool).await?;
    let cancel = state.shutdown.child_token();
    state
        .builds
        .lock()
        .expect("not poisoned")
        .insert(run_id, cancel.clone());
    state.events.publish(ServerEvent::BuildStarted {
        project_id,
        run_id,
        command_line: request.command_line(),
        dir: request.dir.clone(),
    });
    let events = state.events.clone();
    let carry = Arc::new(Mutex::new((Utf8Carry::default(), Utf8Carry::default())));
    let on_output: mira_build::runner::OnOutput = Arc::new(move |stream, bytes: &[u8]| {
        let text = {
            let mut c = carry.lock().expect("not poisoned");
            match stream {
                Stream::Stdout => c.0.text(bytes),
                Stream::Stderr => c.1.text(bytes),
            }
        };
        if !text.is_empty() {
            events.publish(ServerEvent::BuildOutput {
                project_id,
                run_id,
                stream,
                text,
            });
        }
    });
    let background = state.clone();
    tokio::spawn(async move {
        let config = background.config.build;
        let result = record::run_started(
            &background.db,
            &project,
            &config,
            request,
            tool,
            run_id,
            on_output,
            cancel,
        )
        .await;
        background.builds.lock().expect("not poisoned").remove(&run_id);
        let run = queries::run(&background.db, run_id).await.ok();
        let (new_errors, resolved, message) = match &result {
            Ok(o) => (o.new_errors, o.resolved.len(), None),
            Err(e) => (0, 0, Some(e.to_string())),
        };
        background.events.publish(ServerEvent::BuildFinished {
            project_id,
            run_id,
            run: run
                .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                .unwrap_or(Value::Null),
            new_errors,
            resolved,
            error: message.clone(),
        });
        if let Some(message) = message {
            background.events.activity("build.failed_to_start", message);
        }
    });
    Ok(run_id)
}

/// Stops a run in progress; false when it is not running (here).
pub fn cancel_run(state: &AppState, run_id: i64) -> bool {
    match state.builds.lock().expect("not poisoned").get(&run_id) {
        Some(token) => {
            token.cancel();
            true
        }
        None => false,
    }
}

pub async fn run(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<RunBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let run_id = start_run(&state, id, body).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "run_id": run_id }))))
}

async fn run_of_project(
    state: &AppState,
    project_id: i64,
    run_id: i64,
) -> Result<queries::RunSummary, ApiError> {
    let run = queries::run(&state.db, run_id).await?;
    if run.project_id != project_id {
        return Err(ApiError::not_found(format!(
            "no build run {run_id} in project {project_id}"
        )));
    }
    Ok(run)
}

pub async fn cancel(
    State(state): State<AppState>,
    Path((id, run_id)): Path<(i64, i64)>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let run = run_of_project(&state, id, run_id).await?;
    if !cancel_run(&state, run_id) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "build run {run_id} is not running (it is {})",
                run.status.as_str()
            ),
        ));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "run_id": run_id, "cancelling": true })),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub limit: Option<usize>,
    /// `open` (default), `resolved` or `all`.
    pub status: Option<String>,
}

pub async fn runs(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let runs = queries::runs(&state.db, project.id, q.limit.unwrap_or(30).min(500)).await?;
    Ok(Json(json!({ "runs": runs })))
}

pub async fn run_detail(
    State(state): State<AppState>,
    Path((id, run_id)): Path<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let run = run_of_project(&state, id, run_id).await?;
    let diagnostics: Vec<Value> = queries::run_diagnostics(&state.db, run_id)
        .await?
        .into_iter()
        .map(|(error_id, d)| json!({ "error_id": error_id, "diagnostic": d }))
        .collect();
    Ok(Json(json!({ "run": run, "diagnostics": diagnostics })))
}

pub async fn run_log(
    State(state): State<AppState>,
    Path((id, run_id)): Path<(i64, i64)>,
) -> ApiResult<impl IntoResponse> {
    run_of_project(&state, id, run_id).await?;
    let log = queries::run_log(&state.db, run_id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], log))
}

pub async fn errors(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let filter = match q.status.as_deref() {
        None | Some("open") => ErrorFilter::Unresolved,
        Some("resolved") => ErrorFilter::Resolved,
        Some("all") => ErrorFilter::All,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "`status` is `open`, `resolved` or `all`, not `{other}`"
            )));
        }
    };
    let errors = queries::errors(&state.db, &project, filter, q.limit.unwrap_or(50).min(500)).await?;
    Ok(Json(json!({ "errors": errors })))
}

pub async fn error_detail(
    State(state): State<AppState>,
    Path((id, error_id)): Path<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let project = projects::get(&state.db, id).await?;
    let detail = queries::error(&state.db, &project, error_id).await?;
    Ok(Json(
        serde_json::to_value(detail).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::Utf8Carry;

    #[test]
    fn characters_cut_between_chunks_stay_whole() {
        let text = "caf\u{e9} \u{2715} done";
        let bytes = text.as_bytes();
        let mut carry = Utf8Carry::default();
        let mut out = String::new();
        for chunk in bytes.chunks(1) {
            out.push_str(&carry.text(chunk));
        }
        assert_eq!(out, text);
    }
}
