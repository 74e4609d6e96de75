//! Streaming answers: the events every provider's stream is turned into, assembling
//! tool-call fragments, collecting a stream into a whole answer, and cancellation.
//!
//! Dropping a [`ChatStream`] cancels the call: the HTTP response (or the local
//! generation) is dropped with it, which closes the connection.

use std::collections::BTreeMap;
use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::error::LlmError;
use crate::types::{ChatResponse, FinishReason, ToolCall, Usage};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StreamEvent {
    /// More answer text.
    Text { text: String },
    /// A fragment of a tool call as it arrives; `index` tells parallel calls apart.
    /// `id` and `name` come with the first fragment of a call, `arguments` is a piece
    /// of the JSON text of its arguments.
    ToolCallDelta {
        index: usize,
        id: Option<String>,
        name: Option<String>,
        arguments: String,
    },
    /// A complete tool call (always sent, after its deltas if there were any).
    ToolCall { index: usize, call: ToolCall },
    /// Token counts; the last one sent is the call's total.
    Usage { usage: Usage },
    /// The end of the answer.
    Finish { reason: FinishReason },
}

pub type ChatStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, LlmError>> + Send>>;

/// Joins tool-call fragments by index into complete calls (OpenAI-style streams send the
/// id and name once, then argument text in pieces).
#[derive(Debug, Default)]
pub struct ToolCallAssembler {
    partial: BTreeMap<usize, PartialCall>,
}

#[derive(Debug, Default)]
struct PartialCall {
    id: Option<String>,
    name: String,
    arguments: String,
}

impl ToolCallAssembler {
    pub fn push(&mut self, index: usize, id: Option<&str>, name: Option<&str>, arguments: &str) {
        let call = self.partial.entry(index).or_default();
        if let Some(id) = id.filter(|s| !s.is_empty()) {
            call.id = Some(id.to_string());
        }
        if let Some(name) = name {
            call.name.push_str(name);
        }
        call.arguments.push_str(arguments);
    }

    pub fn is_empty(&self) -> bool {
        self.partial.is_empty()
    }

    /// The finished calls in index order. Arguments that are not JSON are an error the
    /// caller reports (a cut-off stream leaves half an object).
    pub fn finish(&mut self, provider: &str) -> Result<Vec<(usize, ToolCall)>, LlmError> {
        let partial = std::mem::take(&mut self.partial);
        partial
            .into_iter()
            .map(|(index, p)| {
                let arguments = parse_arguments(provider, &p.name, &p.arguments)?;
                Ok((
                    index,
                    ToolCall {
                        id: p.id.unwrap_or_else(|| synthetic_call_id(index)),
                        name: p.name,
                        arguments,
                        signature: None,
                    },
                ))
            })
            .collect()
    }
}

/// Parses tool arguments; an empty string means no arguments.
pub fn parse_arguments(provider: &str, tool: &str, text: &str) -> Result<Value, LlmError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(text).map_err(|e| {
        LlmError::protocol(
            provider,
            format!("arguments of tool call `{tool}` are not valid JSON ({e}): {text:.200}"),
        )
    })
}

/// An id for a call the provider did not name (Gemini, llama.cpp, Ollama).
pub fn synthetic_call_id(index: usize) -> String {
    let n = getrandom::u64().unwrap_or(index as u64);
    format!("call_{index}_{n:016x}")
}

/// Reads a whole stream into one answer.
pub async fn collect(mut stream: ChatStream) -> Result<ChatResponse, LlmError> {
    let mut text = String::new();
    let mut calls: BTreeMap<usize, ToolCall> = BTreeMap::new();
    let mut usage = None;
    let mut finish = None;
    while let Some(event) = stream.next().await {
        match event? {
            StreamEvent::Text { text: t } => text.push_str(&t),
            StreamEvent::ToolCallDelta { .. } => {}
            StreamEvent::ToolCall { index, call } => {
                calls.insert(index, call);
            }
            StreamEvent::Usage { usage: u } => usage = Some(u),
            StreamEvent::Finish { reason } => finish = Some(reason),
        }
    }
    let tool_calls: Vec<ToolCall> = calls.into_values().collect();
    let finish = finish.unwrap_or(if tool_calls.is_empty() {
        FinishReason::Stop
    } else {
        FinishReason::ToolCalls
    });
    Ok(ChatResponse {
        text,
        tool_calls,
        usage,
        finish,
    })
}

/// Ends `stream` with `Finish { Cancelled }` as soon as `cancel` fires, dropping the
/// inner stream (and so the connection or the generation) at once.
pub fn with_cancel(stream: ChatStream, cancel: CancellationToken) -> ChatStream {
    let state = Some((stream, cancel));
    Box::pin(futures_util::stream::unfold(state, |state| async move {
        let (mut stream, cancel) = state?;
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Some((Ok(StreamEvent::Finish { reason: FinishReason::Cancelled }), None)),
            item = stream.next() => item.map(|item| (item, Some((stream, cancel)))),
        }
    }))
}

/// Replays a whole answer as a stream (cache hits, non-streaming providers): text in
/// word-sized pieces, then the tool calls, the usage and the finish reason.
pub fn replay(response: ChatResponse) -> ChatStream {
    let mut events = Vec::new();
    let mut piece = String::new();
    for ch in response.text.chars() {
        piece.push(ch);
        if ch.is_whitespace() && piece.len() >= 16 {
            events.push(StreamEvent::Text {
                text: std::mem::take(&mut piece),
            });
        }
    }
    if !piece.is_empty() {
        events.push(StreamEvent::Text { text: piece });
    }
    for (index, call) in response.tool_calls.into_iter().enumerate() {
        events.push(StreamEvent::ToolCall { index, call });
    }
    if let Some(usage) = response.usage {
        events.push(StreamEvent::Usage { usage });
    }
    events.push(StreamEvent::Finish {
        reason: response.finish,
    });
    Box::pin(futures_util::stream::iter(events.into_iter().map(Ok)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assembler_joins_parallel_calls_by_index() {
        let mut a = ToolCallAssembler::default();
        a.push(0, Some("c0"), Some("read_file"), "{\"pa");
        a.push(1, Some("c1"), Some("grep"), "");
        a.push(0, None, None, "th\":\"a.rs\"}");
        a.push(1, None, None, "{\"q\":\"x\"}");
        let calls = a.finish("t").unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].1.name, "read_file");
        assert_eq!(calls[0].1.arguments, json!({"path": "a.rs"}));
        assert_eq!(calls[1].1.id, "c1");
    }

    #[test]
    fn cut_off_arguments_are_a_protocol_error() {
        let mut a = ToolCallAssembler::default();
        a.push(0, None, Some("grep"), "{\"q\":");
        let err = a.finish("t").unwrap_err();
        assert_eq!(err.kind(), "protocol");
    }

    #[tokio::test]
    async fn replay_then_collect_gives_the_same_answer() {
        let response = ChatResponse {
            text: "Hello there, this is a longer answer that is split into pieces.".into(),
            tool_calls: vec![ToolCall {
                id: "a".into(),
                name: "grep".into(),
                arguments: json!({"q": 1}),
                signature: None,
            }],
            usage: Some(Usage {
                input: 3,
                output: 4,
                cached: 1,
                reasoning: 0,
            }),
            finish: FinishReason::ToolCalls,
        };
        let again = collect(replay(response.clone())).await.unwrap();
        assert_eq!(again, response);
    }

    #[tokio::test]
    async fn cancel_ends_the_stream_with_cancelled() {
        let pending: ChatStream = Box::pin(futures_util::stream::pending());
        let token = CancellationToken::new();
        let mut s = with_cancel(pending, token.clone());
        token.cancel();
        let first = s.next().await.unwrap().unwrap();
        assert_eq!(
            first,
            StreamEvent::Finish {
                reason: FinishReason::Cancelled
            }
        );
        assert!(s.next().await.is_none());
    }
}
