//! OpenAI Chat Completions (`POST /chat/completions`, `POST /embeddings`), for OpenAI
//! itself and for OpenAI-compatible servers (Ollama, llama.cpp server, vLLM, LM Studio).
//!
//! The compatible flavour tolerates what those servers do differently: no usage (or
//! `usage: null` in every chunk), tool calls without ids or indexes, arguments sent as
//! an object, a stream that ends without `[DONE]`, errors sent as a stream event; it
//! sends `max_tokens` instead of `max_completion_tokens` and needs no key.

use async_trait::async_trait;
use mira_core::Secret;
use serde_json::{Map, Value, json};

use crate::error::LlmError;
use crate::http::{Http, HttpSettings};
use crate::provider::Provider;
use crate::stream::{ChatStream, StreamEvent, ToolCallAssembler, parse_arguments, synthetic_call_id};
use crate::types::{
    ChatRequest, ChatResponse, EmbedRequest, Embeddings, FinishReason, Message, Role, ToolCall, Usage,
};

pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    OpenAi,
    Compatible,
}

#[derive(Debug)]
pub struct OpenAi {
    http: Http,
    base_url: String,
    key: Option<Secret>,
    flavor: Flavor,
    default_model: String,
}

impl OpenAi {
    /// OpenAI itself; without a key the provider is unavailable.
    pub fn official(key: Option<Secret>, base_url: Option<&str>, settings: HttpSettings) -> Self {
        Self {
            http: Http::new("openai", "OPENAI_API_KEY", settings).with_key(key.as_ref()),
            base_url: base_url
                .unwrap_or(OPENAI_BASE_URL)
                .trim_end_matches('/')
                .to_string(),
            key,
            flavor: Flavor::OpenAi,
            default_model: "gpt-5.1".into(),
        }
    }

    /// An OpenAI-compatible server at `base_url` (for example `http://localhost:11434/v1`).
    pub fn compatible(
        base_url: &str,
        key: Option<Secret>,
        default_model: &str,
        settings: HttpSettings,
    ) -> Self {
        Self {
            http: Http::new("compat", "OPENAI_API_KEY", settings).with_key(key.as_ref()),
            base_url: base_url.trim_end_matches('/').to_string(),
            key,
            flavor: Flavor::Compatible,
            default_model: default_model.to_string(),
        }
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.client().post(format!("{}{path}", self.base_url));
        match &self.key {
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        }
    }

    fn provider(&self) -> &'static str {
        self.http.provider
    }

    /// The request body in the Chat Completions format.
    pub fn body(&self, request: &ChatRequest, stream: bool) -> Value {
        let mut body = Map::new();
        body.insert("model".into(), json!(request.model));
        body.insert(
            "messages".into(),
            Value::Array(request.messages.iter().map(wire_message).collect()),
        );
        if !request.tools.is_empty() {
            let tools: Vec<Value> = request
                .tools
                .iter()
                .map(|t| {
                    json!({"type": "function", "function": {
                        "name": t.name, "description": t.description, "parameters": t.parameters }})
                })
                .collect();
            body.insert("tools".into(), Value::Array(tools));
        }
        let reasoning_model = self.flavor == Flavor::OpenAi && is_reasoning_model(&request.model);
        if let Some(t) = request.temperature
            && !reasoning_model
        {
            // GPT-5 reasoning models accept only the default temperature.
            body.insert("temperature".into(), json!(t));
        }
        if let Some(max) = request.max_tokens {
            let key = match self.flavor {
                Flavor::OpenAi => "max_completion_tokens",
                Flavor::Compatible => "max_tokens",
            };
            body.insert(key.into(), json!(max));
        }
        if let Some(effort) = request.reasoning
            && (reasoning_model || self.flavor == Flavor::Compatible)
        {
            body.insert("reasoning_effort".into(), json!(effort.as_str()));
        }
        if !request.stop.is_empty() {
            body.insert("stop".into(), json!(request.stop));
        }
        if let Some(seed) = request.seed {
            body.insert("seed".into(), json!(seed));
        }
        if stream {
            body.insert("stream".into(), json!(true));
            body.insert("stream_options".into(), json!({"include_usage": true}));
        }
        Value::Object(body)
    }
}

fn is_reasoning_model(model: &str) -> bool {
    model.starts_with("gpt-5") || model.starts_with('o')
}

fn wire_message(m: &Message) -> Value {
    match m.role {
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": m.tool_call_id.clone().unwrap_or_default(),
            "content": m.content,
        }),
        Role::Assistant if !m.tool_calls.is_empty() => {
            let calls: Vec<Value> = m
                .tool_calls
                .iter()
                .map(|c| {
                    json!({"id": c.id, "type": "function", "function": {
                        "name": c.name, "arguments": c.arguments.to_string() }})
                })
                .collect();
            let content = if m.content.is_empty() {
                Value::Null
            } else {
                json!(m.content)
            };
            json!({"role": "assistant", "content": content, "tool_calls": calls})
        }
        role => json!({"role": role.as_str(), "content": m.content}),
    }
}

pub(crate) fn finish_reason(text: &str) -> FinishReason {
    match text {
        "stop" | "end_turn" | "eos" => FinishReason::Stop,
        "length" | "max_tokens" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_string()),
    }
}

fn usage(value: &Value) -> Option<Usage> {
    let u = value.get("usage").filter(|u| u.is_object())?;
    let n = |p: &str| u.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    Some(Usage {
        input: n("/prompt_tokens"),
        output: n("/completion_tokens"),
        cached: n("/prompt_tokens_details/cached_tokens"),
        reasoning: n("/completion_tokens_details/reasoning_tokens"),
    })
}

/// Arguments arrive as JSON text; Ollama has been seen to send an object.
fn arguments_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn stream_error(provider: &str, value: &Value) -> Option<LlmError> {
    let error = value.get("error")?;
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .unwrap_or("the server reported an error in the stream")
        .to_string();
    let lower = message.to_ascii_lowercase();
    Some(if lower.contains("context") && lower.contains("length") {
        LlmError::ContextTooLong {
            provider: provider.into(),
            message,
        }
    } else {
        LlmError::Unavailable {
            provider: provider.into(),
            why: message,
        }
    })
}

fn parse_response(provider: &str, value: &Value) -> Result<ChatResponse, LlmError> {
    if let Some(e) = stream_error(provider, value) {
        return Err(e);
    }
    let choice = value
        .pointer("/choices/0")
        .ok_or_else(|| LlmError::protocol(provider, "answer has no choices"))?;
    let message = &choice["message"];
    let text = message["content"].as_str().unwrap_or_default().to_string();
    let mut tool_calls = Vec::new();
    if let Some(calls) = message["tool_calls"].as_array() {
        for (i, c) in calls.iter().enumerate() {
            let name = c
                .pointer("/function/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let args = arguments_text(c.pointer("/function/arguments"));
            tool_calls.push(ToolCall {
                id: c["id"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| synthetic_call_id(i)),
                name: name.to_string(),
                arguments: parse_arguments(provider, name, &args)?,
                signature: None,
            });
        }
    }
    let finish = match choice["finish_reason"].as_str() {
        Some(reason) => finish_reason(reason),
        None if !tool_calls.is_empty() => FinishReason::ToolCalls,
        None => FinishReason::Stop,
    };
    if finish == FinishReason::ContentFilter && text.is_empty() && tool_calls.is_empty() {
        return Err(LlmError::ContentFiltered {
            provider: provider.into(),
            message: "the answer was withheld (finish_reason content_filter)".into(),
        });
    }
    Ok(ChatResponse {
        text,
        tool_calls,
        usage: usage(value),
        finish,
    })
}

/// Per-stream state: tool-call fragments, the finish reason, whether `[DONE]` came.
struct StreamState {
    provider: &'static str,
    calls: ToolCallAssembler,
    finish: Option<FinishReason>,
    done: bool,
    usage_sent: bool,
}

impl StreamState {
    /// Events for one `data:` payload.
    fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, LlmError> {
        let mut out = Vec::new();
        if data.trim() == "[DONE]" {
            self.done = true;
            return Ok(out);
        }
        let chunk: Value = serde_json::from_str(data).map_err(|e| {
            LlmError::protocol(
                self.provider,
                format!("stream chunk is not JSON ({e}): {data:.200}"),
            )
        })?;
        if let Some(e) = stream_error(self.provider, &chunk) {
            return Err(e);
        }
        if let Some(choices) = chunk["choices"].as_array() {
            for choice in choices {
                let delta = &choice["delta"];
                if let Some(text) = delta["content"].as_str()
                    && !text.is_empty()
                {
                    out.push(StreamEvent::Text { text: text.into() });
                }
                if let Some(calls) = delta["tool_calls"].as_array() {
                    for (position, c) in calls.iter().enumerate() {
                        let index = c["index"].as_u64().map(|i| i as usize).unwrap_or(position);
                        let id = c["id"].as_str();
                        let name = c.pointer("/function/name").and_then(Value::as_str);
                        let args = arguments_text(c.pointer("/function/arguments"));
                        self.calls.push(index, id, name, &args);
                        out.push(StreamEvent::ToolCallDelta {
                            index,
                            id: id.map(str::to_string),
                            name: name.map(str::to_string),
                            arguments: args,
                        });
                    }
                }
                if let Some(reason) = choice["finish_reason"].as_str() {
                    self.finish = Some(finish_reason(reason));
                }
            }
        }
        if let Some(u) = usage(&chunk) {
            self.usage_sent = true;
            out.push(StreamEvent::Usage { usage: u });
        }
        Ok(out)
    }

    /// Events once the stream has ended: the assembled calls and the finish, or an
    /// error if the answer was cut off.
    fn on_end(&mut self) -> Result<Vec<StreamEvent>, LlmError> {
        if !self.done && self.finish.is_none() {
            return Err(LlmError::protocol(
                self.provider,
                "the stream ended before the answer was complete (no finish_reason, no [DONE])",
            ));
        }
        let mut out: Vec<StreamEvent> = self
            .calls
            .finish(self.provider)?
            .into_iter()
            .map(|(index, call)| StreamEvent::ToolCall { index, call })
            .collect();
        let reason = match self.finish.take() {
            Some(FinishReason::Stop) if !out.is_empty() => FinishReason::ToolCalls,
            Some(r) => r,
            None if !out.is_empty() => FinishReason::ToolCalls,
            None => FinishReason::Stop,
        };
        out.push(StreamEvent::Finish { reason });
        Ok(out)
    }
}

#[async_trait]
impl Provider for OpenAi {
    fn id(&self) -> &str {
        self.provider()
    }

    fn redact(&self, error: LlmError) -> LlmError {
        self.http.scrubber.error(error)
    }

    fn check(&self) -> Result<(), LlmError> {
        if self.flavor == Flavor::OpenAi && self.key.is_none() {
            return Err(LlmError::unavailable(
                "openai",
                "no API key; set OPENAI_API_KEY in the environment, .env or mira.toml",
            ));
        }
        Ok(())
    }

    fn is_paid(&self) -> bool {
        self.flavor == Flavor::OpenAi
    }

    fn default_model(&self) -> &str {
        &self.default_model
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.check()?;
        let body = self.body(request, false);
        let value = self
            .http
            .post_json(|| self.post("/chat/completions"), &body)
            .await?;
        parse_response(self.provider(), &value)
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        self.check()?;
        let body = self.body(request, true);
        let events = self
            .http
            .post_sse(|| self.post("/chat/completions"), &body)
            .await?;
        let state = StreamState {
            provider: self.provider(),
            calls: ToolCallAssembler::default(),
            finish: None,
            done: false,
            usage_sent: false,
        };
        Ok(crate::providers::sse_to_events(
            events,
            state,
            |s, e| s.on_data(&e.data),
            |s| s.on_end(),
        ))
    }

    async fn embed(&self, request: &EmbedRequest) -> Result<Embeddings, LlmError> {
        self.check()?;
        let mut body = json!({"model": request.model, "input": request.texts, "encoding_format": "float"});
        if let Some(d) = request.dimensions {
            body["dimensions"] = json!(d);
        }
        let value = self.http.post_json(|| self.post("/embeddings"), &body).await?;
        let data = value["data"]
            .as_array()
            .ok_or_else(|| LlmError::protocol(self.provider(), "embedding answer has no `data`"))?;
        let mut rows: Vec<(u64, Vec<f32>)> = Vec::with_capacity(data.len());
        for (i, row) in data.iter().enumerate() {
            let vector = row["embedding"]
                .as_array()
                .ok_or_else(|| LlmError::protocol(self.provider(), "embedding row has no `embedding` array"))?
                .iter()
                .map(|x| x.as_f64().unwrap_or(0.0) as f32)
                .collect();
            rows.push((row["index"].as_u64().unwrap_or(i as u64), vector));
        }
        rows.sort_by_key(|r| r.0);
        if rows.len() != request.texts.len() {
            return Err(LlmError::protocol(
                self.provider(),
                format!("asked for {} embeddings, got {}", request.texts.len(), rows.len()),
            ));
        }
        Ok(Embeddings {
            vectors: rows.into_iter().map(|r| r.1).collect(),
            input_tokens: value.pointer("/usage/prompt_tokens").and_then(Value::as_u64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> StreamState {
        StreamState {
            provider: "compat",
            calls: ToolCallAssembler::default(),
            finish: None,
            done: false,
            usage_sent: false,
        }
    }

    #[test]
    fn compat_tool_calls_without_ids_or_indexes_get_them() {
        let mut s = state();
        s.on_data(r#"{"choices":[{"delta":{"tool_calls":[{"function":{"name":"a","arguments":{"x":1}}},{"function":{"name":"b","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#).unwrap();
        let end = s.on_end().unwrap();
        let calls: Vec<&ToolCall> = end
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall { call, .. } => Some(call),
                _ => None,
            })
            .collect();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].arguments, json!({"x": 1}));
        assert!(calls[0].id.starts_with("call_0_"));
        assert_ne!(calls[0].id, calls[1].id);
    }

    #[test]
    fn a_stream_without_finish_or_done_is_cut_off() {
        let mut s = state();
        s.on_data(r#"{"choices":[{"delta":{"content":"Hel"}}]}"#).unwrap();
        assert_eq!(s.on_end().unwrap_err().kind(), "protocol");
        let mut s = state();
        s.on_data(r#"{"choices":[{"delta":{"content":"Hel"},"finish_reason":"stop"}],"usage":null}"#)
            .unwrap();
        assert!(!s.usage_sent, "usage: null is no usage");
        assert!(s.on_end().is_ok(), "finish without [DONE] is complete");
    }
}
