//! The client's half of the WebSocket protocol, version 1 (docs/protocol.md): the
//! version, the subprotocol and how a client's text frame is read. It lives here, not in
//! mira-server, so the frame decoder can be fuzzed (`fuzz/`) without building the
//! server; the server's own frames, which carry its events, stay in mira-server's
//! `ws::protocol`, which re-exports these.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::ErrorCode;

pub const PROTOCOL_VERSION: u32 = 1;
/// The subprotocol clients must offer (beside the token one).
pub const SUBPROTOCOL: &str = "mira.v1";

/// A request from the client: `{"id": ..., "type": "...", ...params}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientFrame {
    /// Echoed in the answer; a string or a number, or absent.
    pub id: Option<Value>,
    /// Never empty.
    pub kind: String,
    /// Every other field of the frame (never `id` or `type`).
    pub params: Map<String, Value>,
}

/// A frame that could not be read. It serialises as the `error` frame sent back
/// (`{"type":"error","id","code":"bad_frame","message"}`), the shape of the server's
/// other error frames.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "error")]
pub struct BadFrame {
    /// The frame's id when it had a valid one, so the client can match the refusal.
    pub id: Option<Value>,
    /// Always [`ErrorCode::BadFrame`]; kept as a field so the wire shape is the struct's.
    pub code: ErrorCode,
    pub message: String,
}

impl BadFrame {
    fn new(id: Option<Value>, message: impl Into<String>) -> Self {
        Self {
            id,
            code: ErrorCode::BadFrame,
            message: message.into(),
        }
    }
}

/// Parses a text frame; the error says why it is not a request.
pub fn parse_client_frame(text: &str) -> Result<ClientFrame, BadFrame> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| BadFrame::new(None, format!("frame is not valid JSON: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(BadFrame::new(None, "frame must be a JSON object"));
    };
    let id = match map.remove("id") {
        None | Some(Value::Null) => None,
        Some(id @ (Value::String(_) | Value::Number(_))) => Some(id),
        Some(_) => return Err(BadFrame::new(None, "`id` must be a string or a number")),
    };
    let kind = match map.remove("type") {
        Some(Value::String(kind)) if !kind.is_empty() => kind,
        _ => return Err(BadFrame::new(id, "frame needs a string `type`")),
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
        assert!(!f.params.contains_key("id") && !f.params.contains_key("type"));
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
            r#"{"type":""}"#,
            r#"{"type":"ping","id":{}}"#,
        ] {
            let err = parse_client_frame(bad).unwrap_err();
            let v = serde_json::to_value(&err).unwrap();
            assert_eq!(v["type"], "error", "{bad}");
            assert_eq!(v["code"], "bad_frame", "{bad}");
            assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{bad}");
        }
        let err = parse_client_frame(r#"{"id":"x"}"#).unwrap_err();
        assert_eq!(err.id, Some(json!("x")), "the id is echoed when known");
    }

    #[test]
    fn deeply_nested_frames_are_refused_not_overflowing_the_stack() {
        let deep = format!(
            "{{\"type\":\"ping\",\"p\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let err = parse_client_frame(&deep).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{}", err.message);
    }
}
