//! Chat over the WebSocket: `chat.send` starts a turn whose events stream back as
//! `chat` frames carrying the request's id; `chat.stop` stops it. Turns run as tasks
//! of their own, so a session can stream several and still answer other requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use mira_agent::commands::resolve::Resolved;
use mira_llm::chat::{ChatEvent, Grounding, TurnRequest, start_turn};
use mira_llm::{LlmError, Tier};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::protocol::{ClientFrame, ServerFrame};
use crate::error::ApiError;
use crate::state::AppState;

/// The turns a session is streaming, by request id; all stop when the session ends.
#[derive(Clone)]
pub struct SessionChats {
    running: Arc<Mutex<HashMap<String, CancellationToken>>>,
    out: mpsc::Sender<ServerFrame>,
}

impl SessionChats {
    pub fn new(out: mpsc::Sender<ServerFrame>) -> Self {
        Self {
            running: Arc::default(),
            out,
        }
    }

    pub fn stop_all(&self) {
        for token in self.running.lock().expect("chat map").values() {
            token.cancel();
        }
    }
}

fn key(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `chat.send`: `{"id", "message", "conversation_id"?, "tier"?, "model"?, "bypass_cache"?,
/// "project_id"?, "max_tokens"?, "context"?, "file"?, "selection"?}`. With a project,
/// the answer is grounded in the context oracle's context unless `context` is false;
/// `file` and `selection` (`{"start_line","end_line"}`) are what the editor shows.
///
/// A message that is a slash command is resolved first: a built-in is answered at once
/// (`{"builtin": {command, output, action}}`, nothing streams); a command file or an MCP
/// prompt streams its prompt as the turn (`{"streaming": id, "command": name}`).
pub async fn send(state: &AppState, chats: &SessionChats, frame: &ClientFrame) -> Result<Value, ApiError> {
    let id = frame.id.clone().ok_or_else(|| {
        ApiError::bad_request("`chat.send` needs an `id`: the answer's `chat` frames carry it")
    })?;
    let p = &frame.params;
    let message = p
        .get("message")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("`chat.send` needs a string `message`"))?
        .to_string();
    let tier = match p.get("tier") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(Tier::parse(t).ok_or_else(|| {
            ApiError::bad_request(format!("unknown tier `{t}`: use fast, voice or thinker"))
        })?),
        Some(_) => return Err(ApiError::bad_request("`tier` must be a string")),
    };
    let mut turn = TurnRequest {
        conversation_id: p.get("conversation_id").and_then(Value::as_i64),
        message,
        project_id: p.get("project_id").and_then(Value::as_i64),
        tier,
        model: p
            .get("model")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .map(str::to_string),
        bypass_cache: p.get("bypass_cache").and_then(Value::as_bool).unwrap_or(false),
        max_tokens: p
            .get("max_tokens")
            .and_then(Value::as_u64)
            .map(|n| n.min(u64::from(u32::MAX)) as u32),
        grounding: None,
    };
    let ground = match (turn.project_id, p.get("context")) {
        (_, Some(Value::Bool(false))) | (None, _) => None,
        (Some(project_id), None | Some(Value::Bool(true)) | Some(Value::Null)) => {
            let file = match p
                .get("file")
                .and_then(Value::as_str)
                .filter(|f| !f.trim().is_empty())
            {
                Some(f) => Some(crate::confine::relative_string(f)?),
                None => None,
            };
            let selection = match p.get("selection") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    serde_json::from_value::<mira_oracle::Selection>(v.clone()).map_err(|e| {
                        ApiError::bad_request(format!(
                            "`selection` must be {{\"start_line\", \"end_line\"}}: {e}"
                        ))
                    })?,
                ),
            };
            Some(GroundRequest {
                project_id,
                file,
                selection,
            })
        }
        (Some(_), Some(_)) => return Err(ApiError::bad_request("`context` must be true or false")),
    };
    let mut command = None;
    match crate::api::commands::resolve(state, turn.project_id, &turn.message).await? {
        Resolved::Text => {}
        Resolved::Builtin(answer) => return Ok(json!({ "builtin": answer })),
        Resolved::Prompt(prepared) => {
            turn.message = prepared.prompt;
            if turn.tier.is_none() && turn.model.is_none() {
                turn.tier = prepared.model.tier;
                turn.model = prepared.model.model;
            }
            command = Some(prepared.command);
        }
    }
    // The project's UserPromptSubmit hooks see the message first (as in the agent).
    let mut hook_context = None;
    if let Some(project_id) = turn.project_id {
        let project = mira_store::projects::get(&state.db, project_id).await?;
        let session = format!("mira-chat-{}", turn.conversation_id.unwrap_or(0));
        hook_context = state
            .extensions
            .get(&project)
            .prompt_hooks(&turn.message, &session)
            .await
            .map_err(ApiError::bad_request)?;
    }
    let token = CancellationToken::new();
    {
        let mut running = chats.running.lock().expect("chat map");
        if running.contains_key(&key(&id)) {
            return Err(ApiError::bad_request(format!(
                "a chat with id {id} is already streaming; use a new id"
            )));
        }
        running.insert(key(&id), token.clone());
    }
    let (state, chats) = (state.clone(), chats.clone());
    let stream_id = id.clone();
    tokio::spawn(async move {
        let mut turn = turn;
        if let Some(ground) = ground {
            turn.grounding = grounding(&state, &turn, ground).await;
        }
        if let Some(context) = hook_context {
            mira_agent::extensions::add_hook_context(&mut turn.grounding, &context);
        }
        run(&state, &chats, stream_id.clone(), turn, token).await;
        chats.running.lock().expect("chat map").remove(&key(&stream_id));
    });
    Ok(match command {
        Some(name) => json!({ "streaming": id, "command": name }),
        None => json!({ "streaming": id }),
    })
}

async fn run(state: &AppState, chats: &SessionChats, id: Value, turn: TurnRequest, token: CancellationToken) {
    let frame = |event: ChatEvent| ServerFrame::Chat {
        id: Some(id.clone()),
        event,
    };
    let mut events = match start_turn(&state.llm, &state.db, turn, token).await {
        Ok(events) => events,
        Err(e) => {
            let _ = chats.out.send(frame(failed(&e))).await;
            return;
        }
    };
    while let Some(event) = events.next().await {
        if chats.out.send(frame(event)).await.is_err() {
            // The session is gone; dropping the stream stops the model and stores
            // what came so far as cancelled.
            return;
        }
    }
    // The turn is stored: memory learns from it.
    crate::memory::follow(state);
}

/// What the client said about grounding a turn.
struct GroundRequest {
    project_id: i64,
    file: Option<String>,
    selection: Option<mira_oracle::Selection>,
}

/// The turn's project context; an answer without it beats no answer, so a failure is
/// logged and the turn goes on ungrounded.
async fn grounding(state: &AppState, turn: &TurnRequest, ground: GroundRequest) -> Option<Grounding> {
    let project = match mira_store::projects::get(&state.db, ground.project_id).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "chat without project context");
            return None;
        }
    };
    let max_output = turn.max_tokens.unwrap_or(state.config.llm.max_output_tokens);
    let request = mira_oracle::ContextRequest {
        task: turn.message.clone(),
        file: ground.file,
        selection: ground.selection,
        room: mira_oracle::ground::room(
            &state.llm,
            turn.tier,
            turn.model.as_deref(),
            max_output,
            state.config.models.local_context,
        ),
        ..Default::default()
    };
    match state.oracle.gather(&project, &request).await {
        Ok(context) => Some(mira_oracle::ground::grounding(&context)),
        Err(e) => {
            tracing::warn!(error = %e, "chat without project context");
            None
        }
    }
}

fn failed(e: &LlmError) -> ChatEvent {
    ChatEvent::Failed {
        message_id: None,
        error: e.to_string(),
        kind: e.kind().into(),
    }
}

/// `chat.stop`: `{"chat_id"}`, the id of the `chat.send` to stop.
pub fn stop(chats: &SessionChats, frame: &ClientFrame) -> Result<Value, ApiError> {
    let target = frame
        .params
        .get("chat_id")
        .filter(|v| v.is_string() || v.is_number())
        .ok_or_else(|| ApiError::bad_request("`chat.stop` needs the `chat_id` of the chat.send to stop"))?;
    let token = chats.running.lock().expect("chat map").get(&key(target)).cloned();
    if let Some(token) = &token {
        token.cancel();
    }
    Ok(json!({ "chat_id": target, "stopping": token.is_some() }))
}
