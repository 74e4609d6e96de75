//! Anthropic Messages (`POST /v1/messages`), with `tool_use` / `tool_result` blocks and
//! the streaming events `message_start`, `content_block_start`, `content_block_delta`
//! (`text_delta`, `input_json_delta`), `content_block_stop`, `message_delta`,
//! `message_stop`, `ping` and `error`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use mira_core::Secret;
use serde_json::{Map, Value, json};

use crate::error::LlmError;
use crate::http::{Http, HttpSettings};
use crate::provider::Provider;
use crate::stream::{ChatStream, StreamEvent, ToolCallAssembler};
use crate::types::{ChatRequest, ChatResponse, FinishReason, Reasoning, Role, ToolCall, Usage};

pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com/v1";
pub const API_VERSION: &str = "2023-06-01";
/// Messages requires `max_tokens`; used when the call does not say.
const DEFAULT_MAX_TOKENS: u32 = 4096;

#[derive(Debug)]
pub struct Anthropic {
    http: Http,
    base_url: String,
    key: Option<Secret>,
}

impl Anthropic {
    pub fn new(key: Option<Secret>, base_url: Option<&str>, settings: HttpSettings) -> Self {
        Self {
            http: Http::new("anthropic", "ANTHROPIC_API_KEY", settings).with_key(key.as_ref()),
            base_url: base_url
                .unwrap_or(ANTHROPIC_BASE_URL)
                .trim_end_matches('/')
                .to_string(),
            key,
        }
    }

    fn post(&self) -> reqwest::RequestBuilder {
        let request = self
            .http
            .client()
            .post(format!("{}/messages", self.base_url))
            .header("anthropic-version", API_VERSION);
        match &self.key {
            Some(key) => request.header("x-api-key", key.expose()),
            None => request,
        }
    }

    pub fn body(&self, request: &ChatRequest, stream: bool) -> Value {
        let mut system = Vec::new();
        let mut messages: Vec<Value> = Vec::new();
        for m in &request.messages {
            let (role, blocks) = match m.role {
                Role::System => {
                    system.push(m.content.clone());
                    continue;
                }
                Role::User => ("user", vec![json!({"type": "text", "text": m.content})]),
                Role::Assistant => {
                    let mut blocks = Vec::new();
                    if !m.content.is_empty() {
                        blocks.push(json!({"type": "text", "text": m.content}));
                    }
                    for c in &m.tool_calls {
                        blocks.push(
                            json!({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}),
                        );
                    }
                    ("assistant", blocks)
                }
                Role::Tool => (
                    "user",
                    vec![
                        json!({"type": "tool_result", "tool_use_id": m.tool_call_id.clone().unwrap_or_default(), "content": m.content}),
                    ],
                ),
            };
            // Roles must alternate: results of parallel calls share one user turn.
            match messages.last_mut() {
                Some(last) if last["role"] == role => last["content"]
                    .as_array_mut()
                    .expect("content is an array")
                    .extend(blocks),
                _ => messages.push(json!({"role": role, "content": blocks})),
            }
        }
        let max_tokens = request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        let mut body = Map::new();
        body.insert("model".into(), json!(request.model));
        body.insert("max_tokens".into(), json!(max_tokens));
        body.insert("messages".into(), Value::Array(messages));
        if !system.is_empty() {
            body.insert("system".into(), json!(system.join("\n\n")));
        }
        if !request.tools.is_empty() {
            let tools: Vec<Value> = request
                .tools
                .iter()
                .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
                .collect();
            body.insert("tools".into(), Value::Array(tools));
        }
        let thinking = request.reasoning.map(|level| match level {
            Reasoning::Low => 1024,
            Reasoning::Medium => 4096,
            Reasoning::High => 16384,
        });
        match thinking {
            // The budget must stay below max_tokens, and temperature cannot be set.
            Some(budget) if max_tokens > 1024 => {
                let budget = budget.min(max_tokens - 1);
                body.insert(
                    "thinking".into(),
                    json!({"type": "enabled", "budget_tokens": budget}),
                );
            }
            _ => {
                if let Some(t) = request.temperature {
                    body.insert("temperature".into(), json!(t));
                }
            }
        }
        if !request.stop.is_empty() {
            body.insert("stop_sequences".into(), json!(request.stop));
        }
        if stream {
            body.insert("stream".into(), json!(true));
        }
        Value::Object(body)
    }
}

fn finish_reason(text: &str) -> FinishReason {
    match text {
        "end_turn" | "stop_sequence" => FinishReason::Stop,
        "max_tokens" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_string()),
    }
}

/// Input counts every prompt token: uncached, read from and written to the cache.
fn add_usage(usage: &mut Usage, u: &Value) {
    let n = |k: &str| u.get(k).and_then(Value::as_u64);
    if let Some(input) = n("input_tokens") {
        let read = n("cache_read_input_tokens").unwrap_or(0);
        let written = n("cache_creation_input_tokens").unwrap_or(0);
        usage.input = input + read + written;
        usage.cached = read;
    }
    if let Some(output) = n("output_tokens") {
        usage.output = output;
    }
}

fn stream_error(value: &Value) -> LlmError {
    let kind = value
        .pointer("/error/type")
        .and_then(Value::as_str)
        .unwrap_or("error");
    let message = value
        .pointer("/error/message")
        .and_then(Value::as_str)
        .unwrap_or("error event in the stream")
        .to_string();
    match kind {
        "rate_limit_error" => LlmError::RateLimited {
            provider: "anthropic".into(),
            retry_after: None,
            message,
        },
        "authentication_error" | "permission_error" => LlmError::Auth {
            provider: "anthropic".into(),
            setting: "ANTHROPIC_API_KEY".into(),
            message,
        },
        _ => LlmError::unavailable("anthropic", format!("{kind}: {message}")),
    }
}

#[derive(Default)]
struct StreamState {
    usage: Usage,
    calls: ToolCallAssembler,
    /// Content block index -> tool call index, for `tool_use` blocks.
    tool_blocks: BTreeMap<u64, usize>,
    finish: Option<FinishReason>,
    stopped: bool,
}

impl StreamState {
    fn on_event(&mut self, name: &str, data: &str) -> Result<Vec<StreamEvent>, LlmError> {
        if name == "ping" {
            return Ok(Vec::new());
        }
        let v: Value = serde_json::from_str(data).map_err(|e| {
            LlmError::protocol(
                "anthropic",
                format!("stream event `{name}` is not JSON ({e}): {data:.200}"),
            )
        })?;
        let kind = v["type"].as_str().unwrap_or(name);
        let mut out = Vec::new();
        match kind {
            "message_start" => {
                if let Some(u) = v.pointer("/message/usage") {
                    add_usage(&mut self.usage, u);
                }
            }
            "content_block_start" => {
                let block = &v["content_block"];
                if block["type"] == "tool_use" {
                    let index = self.tool_blocks.len();
                    self.tool_blocks.insert(v["index"].as_u64().unwrap_or(0), index);
                    let id = block["id"].as_str();
                    let name = block["name"].as_str();
                    self.calls.push(index, id, name, "");
                    out.push(StreamEvent::ToolCallDelta {
                        index,
                        id: id.map(str::to_string),
                        name: name.map(str::to_string),
                        arguments: String::new(),
                    });
                }
            }
            "content_block_delta" => {
                let delta = &v["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => {
                        let text = delta["text"].as_str().unwrap_or_default();
                        if !text.is_empty() {
                            out.push(StreamEvent::Text { text: text.into() });
                        }
                    }
                    Some("input_json_delta") => {
                        let block = v["index"].as_u64().unwrap_or(0);
                        let index = *self.tool_blocks.get(&block).ok_or_else(|| {
                            LlmError::protocol(
                                "anthropic",
                                format!("input_json_delta for unknown block {block}"),
                            )
                        })?;
                        let part = delta["partial_json"].as_str().unwrap_or_default();
                        self.calls.push(index, None, None, part);
                        out.push(StreamEvent::ToolCallDelta {
                            index,
                            id: None,
                            name: None,
                            arguments: part.into(),
                        });
                    }
                    // Thinking text and signatures are not shown.
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(reason) = v.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.finish = Some(finish_reason(reason));
                }
                if let Some(u) = v.get("usage") {
                    add_usage(&mut self.usage, u);
                }
                out.push(StreamEvent::Usage { usage: self.usage });
            }
            "message_stop" => self.stopped = true,
            "error" => return Err(stream_error(&v)),
            _ => {}
        }
        Ok(out)
    }

    fn on_end(&mut self) -> Result<Vec<StreamEvent>, LlmError> {
        if !self.stopped {
            return Err(LlmError::protocol(
                "anthropic",
                "the stream ended before the answer was complete (no message_stop)",
            ));
        }
        let mut out: Vec<StreamEvent> = self
            .calls
            .finish("anthropic")?
            .into_iter()
            .map(|(index, call)| StreamEvent::ToolCall { index, call })
            .collect();
        out.push(StreamEvent::Finish {
            reason: self.finish.take().unwrap_or(FinishReason::Stop),
        });
        Ok(out)
    }
}

#[async_trait]
impl Provider for Anthropic {
    fn id(&self) -> &str {
        "anthropic"
    }

    fn redact(&self, error: LlmError) -> LlmError {
        self.http.scrubber.error(error)
    }

    fn check(&self) -> Result<(), LlmError> {
        match self.key {
            Some(_) => Ok(()),
            None => Err(LlmError::unavailable(
                "anthropic",
                "no API key; set ANTHROPIC_API_KEY in the environment, .env or mira.toml",
            )),
        }
    }

    fn default_model(&self) -> &str {
        "claude-sonnet-4-5"
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.check()?;
        let body = self.body(request, false);
        let value = self.http.post_json(|| self.post(), &body).await?;
        if value["type"] == "error" {
            return Err(stream_error(&value));
        }
        let mut text = String::new();
        let mut tool_calls = Vec::new();
        for block in value["content"].as_array().into_iter().flatten() {
            match block["type"].as_str() {
                Some("text") => text.push_str(block["text"].as_str().unwrap_or_default()),
                Some("tool_use") => tool_calls.push(ToolCall {
                    id: block["id"].as_str().unwrap_or_default().to_string(),
                    name: block["name"].as_str().unwrap_or_default().to_string(),
                    arguments: block.get("input").cloned().unwrap_or_else(|| json!({})),
                    signature: None,
                }),
                _ => {}
            }
        }
        let mut usage = Usage::default();
        if let Some(u) = value.get("usage") {
            add_usage(&mut usage, u);
        }
        let finish = value["stop_reason"]
            .as_str()
            .map(finish_reason)
            .unwrap_or(FinishReason::Stop);
        Ok(ChatResponse {
            text,
            tool_calls,
            usage: value.get("usage").map(|_| usage),
            finish,
        })
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        self.check()?;
        let body = self.body(request, true);
        let events = self.http.post_sse(|| self.post(), &body).await?;
        Ok(super::sse_to_events(
            events,
            StreamState::default(),
            |s, e| s.on_event(&e.event, &e.data),
            |s| s.on_end(),
        ))
    }
}
