//! One WebSocket connection: hello, requests with ids, heartbeats, pushed events, and
//! a close frame when the server shuts down. A bad frame gets an error frame; the
//! connection stays open. A frame over the size limit is refused at the limit and ends
//! the connection (1009), and a token rotation closes it (1008).

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use mira_core::ErrorCode;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::protocol::{
    ClientFrame, EventFrame, PROTOCOL_VERSION, SUBPROTOCOL, ServerFrame, parse_client_frame,
};
use crate::api::files;
use crate::auth;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    // Watch rotations from before the token is checked (again: `require_token` checked it
    // a moment ago), so a rotation in between cannot leave this session open on a token
    // that is no longer valid.
    let rotations = state.auth.rotations();
    let token = auth::token_from_headers(&headers).ok_or(auth::AuthError::Missing)?;
    state.auth.verify(&token)?;
    Ok(ws
        .protocols([SUBPROTOCOL])
        // Refused at the limit (MIRA_WS_MAX_FRAME_BYTES): a frame whose header declares
        // more, or a fragmented message that grows past it, ends the read there, so an
        // oversized frame is never buffered (it used to be, up to 64 MiB).
        .max_message_size(state.config.server.ws_max_frame_bytes)
        .max_frame_size(state.config.server.ws_max_frame_bytes)
        .on_upgrade(move |socket| run(state, socket, rotations)))
}

struct OpenGauge<'a>(&'a AppState);

impl Drop for OpenGauge<'_> {
    fn drop(&mut self) {
        self.0.metrics.websockets_open.dec();
    }
}

async fn run(state: AppState, socket: WebSocket, mut rotations: tokio::sync::watch::Receiver<u64>) {
    state.metrics.websockets_open.inc();
    let _gauge = OpenGauge(&state);
    let session = uuid::Uuid::new_v4().to_string();
    let (mut sink, mut stream) = socket.split();
    let heartbeat = state.config.server.ws_heartbeat;
    let hello = ServerFrame::Hello {
        protocol: PROTOCOL_VERSION,
        server: format!("mira {}", mira_core::VERSION),
        session: session.clone(),
        heartbeat_ms: heartbeat.as_millis() as u64,
        max_frame_bytes: state.config.server.ws_max_frame_bytes,
    };
    if sink.send(text(&hello)).await.is_err() {
        return;
    }
    tracing::debug!(%session, "websocket open");
    let mut events = state.events.subscribe();
    // Chat answers stream from their own tasks into this session only.
    let (chat_tx, mut chat_rx) = tokio::sync::mpsc::channel::<ServerFrame>(256);
    let agents = super::agent::SessionAgents::new(chat_tx.clone());
    let chats = super::chat::SessionChats::new(chat_tx);
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    loop {
        let outgoing = tokio::select! {
            _ = state.shutdown.cancelled() => {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame { code: close_code::AWAY, reason: "server shutting down".into() })))
                    .await;
                break;
            }
            // The token this session was opened with is no longer valid.
            Ok(()) = rotations.changed() => {
                let reason = "access token rotated; reconnect with the new token";
                let _ = sink
                    .send(Message::Close(Some(CloseFrame { code: close_code::POLICY, reason: reason.into() })))
                    .await;
                break;
            }
            _ = ticker.tick() => ServerFrame::Heartbeat { ts: now() },
            Some(frame) = chat_rx.recv() => frame,
            event = events.recv() => match event {
                Ok(event) => ServerFrame::Event(EventFrame { event }),
                Err(RecvError::Lagged(skipped)) => ServerFrame::error(
                    None,
                    ErrorCode::Internal,
                    format!("{skipped} events were dropped because this client read too slowly"),
                ),
                Err(RecvError::Closed) => break,
            },
            incoming = stream.next() => match incoming {
                // The rest of an oversized frame is never read, so the stream cannot go on:
                // the client is told why (1009) and the connection ends.
                Some(Err(e)) if is_too_large(&e) => {
                    let reason = format!("frame over the limit of {} bytes (max_frame_bytes)", state.config.server.ws_max_frame_bytes);
                    let _ = sink
                        .send(Message::Close(Some(CloseFrame { code: close_code::SIZE, reason: reason.into() })))
                        .await;
                    break;
                }
                None | Some(Err(_)) => break,
                Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Binary(_))) => ServerFrame::error(
                    None,
                    ErrorCode::BadFrame,
                    "binary frames are not part of the protocol; send JSON text frames",
                ),
                Some(Ok(Message::Text(body))) => answer(&state, &chats, &agents, body.as_str()).await,
            },
        };
        if sink.send(text(&outgoing)).await.is_err() {
            break;
        }
    }
    chats.stop_all();
    agents.stop_all(&state);
    tracing::debug!(%session, "websocket closed");
}

/// Whether a read failed because a frame or message was over the size limit.
fn is_too_large(error: &axum::Error) -> bool {
    use std::error::Error;
    let mut source = error.source();
    while let Some(e) = source {
        if let Some(tungstenite) = e.downcast_ref::<tokio_tungstenite::tungstenite::Error>() {
            return matches!(tungstenite, tokio_tungstenite::tungstenite::Error::Capacity(_));
        }
        source = e.source();
    }
    false
}

fn text(frame: &ServerFrame) -> Message {
    Message::Text(Utf8Bytes::from(frame.to_json()))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn answer(
    state: &AppState,
    chats: &super::chat::SessionChats,
    agents: &super::agent::SessionAgents,
    body: &str,
) -> ServerFrame {
    let limit = state.config.server.ws_max_frame_bytes;
    if body.len() > limit {
        return ServerFrame::error(
            None,
            ErrorCode::FrameTooLarge,
            format!(
                "frame of {} bytes is over the limit of {limit} (MIRA_WS_MAX_FRAME_BYTES)",
                body.len()
            ),
        );
    }
    let frame = match parse_client_frame(body) {
        Ok(frame) => frame,
        Err(error) => return *error,
    };
    let id = frame.id.clone();
    let outcome = match frame.kind.as_str() {
        "chat.send" => super::chat::send(state, chats, &frame).await.map(Some),
        "chat.stop" => super::chat::stop(chats, &frame).map(Some),
        "agent.start" => super::agent::start(state, agents, &frame).await.map(Some),
        _ => dispatch(state, frame).await,
    };
    match outcome {
        Ok(Some(data)) => ServerFrame::Result { id, data },
        Ok(None) => ServerFrame::Pong { id },
        Err(e) => ServerFrame::error(id, e.code, e.message),
    }
}

/// Runs one request. `Ok(None)` answers a ping.
async fn dispatch(state: &AppState, frame: ClientFrame) -> Result<Option<Value>, ApiError> {
    match frame.kind.as_str() {
        "ping" => Ok(None),
        "projects.list" => {
            let projects = mira_store::projects::list(&state.db).await?;
            Ok(Some(json!({ "projects": projects })))
        }
        "fs.tree" => {
            let (id, path) = project_and_path(&frame)?;
            Ok(Some(to_value(files::tree_of(state, id, &path).await?)))
        }
        "fs.read" => {
            let (id, path) = project_and_path(&frame)?;
            Ok(Some(to_value(files::file_of(state, id, &path).await?)))
        }
        "build.run" => {
            let id = frame
                .params
                .get("project_id")
                .and_then(Value::as_i64)
                .ok_or_else(|| ApiError::bad_request("`build.run` needs a numeric `project_id`"))?;
            let body: crate::api::build::RunBody =
                serde_json::from_value(Value::Object(frame.params.clone()))
                    .map_err(|e| ApiError::bad_request(format!("`build.run`: {e}")))?;
            let run_id = crate::api::build::start_run(state, id, body).await?;
            Ok(Some(json!({ "run_id": run_id })))
        }
        "build.cancel" => {
            let run_id = frame
                .params
                .get("run_id")
                .and_then(Value::as_i64)
                .ok_or_else(|| ApiError::bad_request("`build.cancel` needs a numeric `run_id`"))?;
            let cancelling = crate::api::build::cancel_run(state, run_id);
            Ok(Some(json!({ "run_id": run_id, "cancelling": cancelling })))
        }
        "search.query" => {
            let id = frame
                .params
                .get("project_id")
                .and_then(Value::as_i64)
                .ok_or_else(|| ApiError::bad_request("`search.query` needs a numeric `project_id`"))?;
            let params: crate::api::search::SearchParams =
                serde_json::from_value(Value::Object(frame.params.clone()))
                    .map_err(|e| ApiError::bad_request(format!("`search.query`: {e}")))?;
            mira_store::projects::get(&state.db, id).await?;
            let request = crate::api::search::request_of(id, params)?;
            Ok(Some(to_value(state.search.search(&request).await?)))
        }
        "context.gather" => {
            let id = frame
                .params
                .get("project_id")
                .and_then(Value::as_i64)
                .ok_or_else(|| ApiError::bad_request("`context.gather` needs a numeric `project_id`"))?;
            let params: crate::api::context::ContextParams =
                serde_json::from_value(Value::Object(frame.params.clone()))
                    .map_err(|e| ApiError::bad_request(format!("`context.gather`: {e}")))?;
            Ok(Some(crate::api::context::answer(state, id, params).await?))
        }
        "agent.decide" => super::agent::decide(state, &frame).map(Some),
        "agent.answer" => super::agent::answer(state, &frame).map(Some),
        "agent.stop" => super::agent::stop(state, &frame).map(Some),
        "checkpoints.list" => super::agent::checkpoints(state, &frame).await.map(Some),
        "checkpoints.rewind" => super::agent::rewind(state, &frame).await.map(Some),
        other => Err(ApiError::new(
            ErrorCode::UnknownType,
            format!("unknown request type `{other}`; docs/protocol.md lists the types"),
        )),
    }
}

fn project_and_path(frame: &ClientFrame) -> Result<(i64, String), ApiError> {
    let id = frame
        .params
        .get("project_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::bad_request(format!("`{}` needs a numeric `project_id`", frame.kind)))?;
    let path = match frame.params.get("path") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(p)) => p.clone(),
        Some(_) => return Err(ApiError::bad_request("`path` must be a string")),
    };
    Ok((id, path))
}

fn to_value(body: impl serde::Serialize) -> Value {
    serde_json::to_value(body).expect("response bodies serialize")
}
