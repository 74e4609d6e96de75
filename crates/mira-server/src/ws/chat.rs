//! Chat over the WebSocket: `chat.send` starts a turn whose events stream back as
//! `chat` frames carrying the request's id; `chat.stop` stops it. Turns run as tasks
//! of their own, so a session can stream several and still answer other requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use mira_llm::chat::{ChatEvent, TurnRequest, start_turn};
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
/// "project_id"?, "max_tokens"?}`.
pub fn send(state: &AppState, chats: &SessionChats, frame: &ClientFrame) -> Result<Value, ApiError> {
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
    let turn = TurnRequest {
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
    };
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
        run(&state, &chats, stream_id.clone(), turn, token).await;
        chats.running.lock().expect("chat map").remove(&key(&stream_id));
    });
    Ok(json!({ "streaming": id }))
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
