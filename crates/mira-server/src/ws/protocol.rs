//! Frame shapes of the WebSocket protocol, version 1. Documented in docs/protocol.md;
//! change both together and bump the version on any incompatible change. Client frames
//! are read by `mira_core::ws_protocol` (fuzzed there without the server's dependencies).

use mira_core::ErrorCode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::events::ServerEvent;

pub use mira_core::ws_protocol::{BadFrame, ClientFrame, PROTOCOL_VERSION, SUBPROTOCOL};

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

impl From<BadFrame> for ServerFrame {
    fn from(bad: BadFrame) -> Self {
        Self::Error {
            id: bad.id,
            code: bad.code,
            message: bad.message,
        }
    }
}

/// Parses a text frame; the error is the frame to send back.
pub fn parse_client_frame(text: &str) -> Result<ClientFrame, Box<ServerFrame>> {
    mira_core::ws_protocol::parse_client_frame(text).map_err(|bad| Box::new(bad.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_bad_frame_is_sent_as_the_error_frame_mira_core_describes() {
        for bad in ["{", r#"{"id":"x"}"#, r#"{"type":"ping","id":{}}"#] {
            let described = mira_core::ws_protocol::parse_client_frame(bad).unwrap_err();
            let sent = parse_client_frame(bad).unwrap_err();
            let sent: Value = serde_json::from_str(&sent.to_json()).unwrap();
            assert_eq!(sent, serde_json::to_value(&described).unwrap(), "{bad}");
            assert_eq!(sent["type"], "error", "{bad}");
            assert_eq!(sent["code"], "bad_frame", "{bad}");
        }
        let sent = parse_client_frame(r#"{"id":"x"}"#).unwrap_err();
        assert!(
            sent.to_json().contains(r#""id":"x""#),
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
