//! Frame shapes of the WebSocket protocol, version 1. Documented in docs/protocol.md;
//! change both together and bump the version on any incompatible change.

use mira_core::ErrorCode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::events::ServerEvent;

pub const PROTOCOL_VERSION: u32 = 1;
/// The subprotocol clients must offer (beside the token one).
pub const SUBPROTOCOL: &str = "mira.v1";

/// A request from the client: `{"id": ..., "type": "...", ...params}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientFrame {
    /// Echoed in the answer; a string or a number, or absent.
    pub id: Option<Value>,
    pub kind: String,
    pub params: Map<String, Value>,
}

/// Frames the server sends.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Hello {
        protocol: u32,
        server: String,
        session: String,
        heartbeat_ms: u64,
        max_frame_bytes: usize,
    },
    Heartbeat {
        ts: String,
    },
    Pong {
        id: Option<Value>,
    },
    Result {
        id: Option<Value>,
        data: Value,
    },
    Error {
        id: Option<Value>,
        code: ErrorCode,
        message: String,
    },
    Event(EventFrame),
    /// An event of a streaming chat answer; `id` is the `chat.send` request's id.
    Chat {
        id: Option<Value>,
        #[serde(flatten)]
        event: mira_llm::chat::ChatEvent,
    },
    /// An event of an agent operation: `id` (the `agent.start` request's id),
    /// `operation_id`, `event` and the event's fields.
    Agent {
        #[serde(flatten)]
        body: Map<String, Value>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct EventFrame {
    #[serde(flatten)]
    pub event: ServerEvent,
}

impl ServerFrame {
    pub fn error(id: Option<Value>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Error {
            id,
            code,
            message: message.into(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server frames serialize")
    }
}

/// Parses a text frame; the error is the frame to send back.
pub fn parse_client_frame(text: &str) -> Result<ClientFrame, Box<ServerFrame>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Box::new(ServerFrame::error(
            None,
            ErrorCode::BadFrame,
            format!("frame is not valid JSON: {e}"),
        ))
    })?;
    let Value::Object(mut map) = value else {
        return Err(Box::new(ServerFrame::error(
            None,
            ErrorCode::BadFrame,
            "frame must be a JSON object",
        )));
    };
    let id = match map.remove("id") {
        None | Some(Value::Null) => None,
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id),
        Some(_) => {
            return Err(Box::new(ServerFrame::error(
                None,
                ErrorCode::BadFrame,
                "`id` must be a string or a number",
            )));
        }
    };
    let kind = match map.remove("type") {
        Some(Value::String(kind)) if !kind.is_empty() => kind,
        _ => {
            return Err(Box::new(ServerFrame::error(
                id,
                ErrorCode::BadFrame,
                "frame needs a string `type`",
            )));
        }
    };
    Ok(ClientFrame {
        id,
        kind,
        params: map,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn well_formed_requests_parse() {
        let f = parse_client_frame(r#"{"id":"r1","type":"fs.tree","project_id":1,"path":"src"}"#).unwrap();
        assert_eq!(f.id, Some(json!("r1")));
        assert_eq!(f.kind, "fs.tree");
        assert_eq!(f.params["path"], "src");
        assert_eq!(
            parse_client_frame(r#"{"type":"ping","id":7}"#).unwrap().id,
            Some(json!(7))
        );
    }

    #[test]
    fn malformed_frames_become_error_frames() {
        for bad in [
            "{",
            "[1,2]",
            r#"{"id":"x"}"#,
            r#"{"type":5}"#,
            r#"{"type":"ping","id":{}}"#,
        ] {
            let err = parse_client_frame(bad).unwrap_err();
            let v: Value = serde_json::from_str(&err.to_json()).unwrap();
            assert_eq!(v["type"], "error", "{bad}");
            assert_eq!(v["code"], "bad_frame", "{bad}");
        }
        let err = parse_client_frame(r#"{"id":"x"}"#).unwrap_err();
        assert!(
            err.to_json().contains(r#""id":"x""#),
            "the id is echoed when known"
        );
    }

    #[test]
    fn chat_frames_carry_the_request_id_and_the_event() {
        let frame = ServerFrame::Chat {
            id: Some(json!("c1")),
            event: mira_llm::chat::ChatEvent::Delta { text: "Hi".into() },
        };
        let v: Value = serde_json::from_str(&frame.to_json()).unwrap();
        assert_eq!(
            v,
            json!({"type": "chat", "id": "c1", "event": "delta", "text": "Hi"})
        );
    }

    #[test]
    fn events_serialize_with_type_event() {
        let frame = ServerFrame::Event(EventFrame {
            event: ServerEvent::Progress {
                task: "t".into(),
                label: "Indexing".into(),
                done: 3,
                total: Some(10),
            },
        });
        let v: Value = serde_json::from_str(&frame.to_json()).unwrap();
        assert_eq!(
            v,
            json!({"type":"event","event":"progress","data":{"task":"t","label":"Indexing","done":3,"total":10}})
        );
    }
}
