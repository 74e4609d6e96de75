//! The agent over the WebSocket: `agent.start` starts an operation whose events stream
//! back as `agent` frames carrying the request's id and the operation's id;
//! `agent.decide`, `agent.answer` and `agent.stop` steer it; `checkpoints.list` and
//! `checkpoints.rewind` list and rewind. Operations a session started are cancelled
//! when it closes (a pending change would otherwise wait for nobody).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::protocol::{ClientFrame, ServerFrame};
use crate::api::operations::{self, StartBody};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Clone)]
pub struct SessionAgents {
    started: Arc<Mutex<HashSet<i64>>>,
    out: mpsc::Sender<ServerFrame>,
}

impl SessionAgents {
    pub fn new(out: mpsc::Sender<ServerFrame>) -> Self {
        Self {
            started: Arc::default(),
            out,
        }
    }

    pub fn stop_all(&self, state: &AppState) {
        for id in self.started.lock().expect("agent set").iter() {
            if let Some(h) = state.agents.get(*id) {
                h.cancel();
            }
        }
    }
}

fn id_param(frame: &ClientFrame, name: &str) -> Result<i64, ApiError> {
    frame
        .params
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::bad_request(format!("`{}` needs a numeric `{name}`", frame.kind)))
}

fn str_param(frame: &ClientFrame, name: &str) -> Option<String> {
    frame.params.get(name).and_then(Value::as_str).map(str::to_string)
}

/// `agent.start`: `{"id", "project_id", "task", "mode"?, "max_steps"?, "tier"?, "model"?}`.
pub async fn start(state: &AppState, agents: &SessionAgents, frame: &ClientFrame) -> Result<Value, ApiError> {
    let id = frame.id.clone().ok_or_else(|| {
        ApiError::bad_request("`agent.start` needs an `id`: the operation's `agent` frames carry it")
    })?;
    let project_id = id_param(frame, "project_id")?;
    let task = str_param(frame, "task")
        .ok_or_else(|| ApiError::bad_request("`agent.start` needs a string `task`"))?;
    let body = StartBody {
        task,
        mode: str_param(frame, "mode"),
        max_steps: frame
            .params
            .get("max_steps")
            .and_then(Value::as_u64)
            .map(|n| n as usize),
        tier: str_param(frame, "tier"),
        model: str_param(frame, "model"),
    };
    let mut operation = operations::start(state, project_id, body).await?;
    let operation_id = operation.id;
    agents.started.lock().expect("agent set").insert(operation_id);
    let (out, started) = (agents.out.clone(), agents.started.clone());
    let stream_id = id.clone();
    let handle = operation.handle.clone();
    tokio::spawn(async move {
        while let Some(event) = operation.events.recv().await {
            let mut body = match serde_json::to_value(&event) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            };
            body.insert("id".into(), stream_id.clone());
            // A sub-agent's events carry their own operation's id.
            body.entry("operation_id").or_insert(json!(operation_id));
            if out.send(ServerFrame::Agent { body }).await.is_err() {
                // The session is gone: nobody can decide or follow; stop.
                handle.cancel();
            }
        }
        let _ = operation.join.await;
        started.lock().expect("agent set").remove(&operation_id);
    });
    Ok(json!({ "operation_id": operation_id, "streaming": id }))
}

/// `agent.decide`: `{"operation_id", "artifact_id", "decision": "apply"|"reject"}`.
pub fn decide(state: &AppState, frame: &ClientFrame) -> Result<Value, ApiError> {
    let id = id_param(frame, "operation_id")?;
    let artifact_id = id_param(frame, "artifact_id")?;
    let decision = operations::parse_decision(frame.params.get("decision").and_then(Value::as_str))?;
    operations::decide_artifact(state, id, artifact_id, decision)
}

/// `agent.answer`: `{"operation_id", "text"}`.
pub fn answer(state: &AppState, frame: &ClientFrame) -> Result<Value, ApiError> {
    let id = id_param(frame, "operation_id")?;
    let text = str_param(frame, "text")
        .ok_or_else(|| ApiError::bad_request("`agent.answer` needs a string `text`"))?;
    let handle = state
        .agents
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("operation {id} is not running")))?;
    handle.answer(&text)?;
    Ok(json!({ "operation_id": id, "answered": true }))
}

/// `agent.stop`: `{"operation_id"}`.
pub fn stop(state: &AppState, frame: &ClientFrame) -> Result<Value, ApiError> {
    let id = id_param(frame, "operation_id")?;
    Ok(operations::cancel_operation(state, id))
}

/// `checkpoints.list`: `{"project_id"}`.
pub async fn checkpoints(state: &AppState, frame: &ClientFrame) -> Result<Value, ApiError> {
    let project_id = id_param(frame, "project_id")?;
    operations::checkpoint_list(state, project_id).await
}

/// `checkpoints.rewind`: `{"checkpoint_id"}` (an id or a prefix of 4 hex digits or
/// more). `id` is every frame's request id; a frame without `checkpoint_id` names the
/// checkpoint by its `id` string instead.
pub async fn rewind(state: &AppState, frame: &ClientFrame) -> Result<Value, ApiError> {
    let id = str_param(frame, "checkpoint_id")
        .or_else(|| frame.id.as_ref().and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| {
            ApiError::bad_request("`checkpoints.rewind` needs the checkpoint's `checkpoint_id` (a string)")
        })?;
    let done = mira_agent::checkpoints::rewind(&state.db, &id).await?;
    Ok(serde_json::to_value(done).expect("rewinds serialise"))
}
