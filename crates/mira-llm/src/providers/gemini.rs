//! Google Gemini (`models/{model}:generateContent`, `:streamGenerateContent?alt=sse`,
//! `:batchEmbedContents`). The key goes in the `x-goog-api-key` header, never the URL.
//!
//! Function calls come whole (not in fragments) and without ids; Gemini 3 attaches a
//! `thoughtSignature` to them that must be sent back in the next turn, kept in
//! [`ToolCall::signature`]. Thinking: `thinkingLevel` low/high for Gemini 3,
//! `thinkingBudget` for 2.5.

use async_trait::async_trait;
use mira_core::Secret;
use serde_json::{Map, Value, json};

use crate::error::LlmError;
use crate::http::{Http, HttpSettings};
use crate::provider::Provider;
use crate::stream::{ChatStream, StreamEvent, synthetic_call_id};
use crate::types::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedTask, Embeddings, FinishReason, Reasoning, Role, ToolCall,
    Usage,
};

pub const GEMINI_BASE_URL: &str = "https://generativelanguage.googleapis.com/v1beta";

#[derive(Debug)]
pub struct Gemini {
    http: Http,
    base_url: String,
    key: Option<Secret>,
}

impl Gemini {
    pub fn new(key: Option<Secret>, base_url: Option<&str>, settings: HttpSettings) -> Self {
        Self {
            http: Http::new("gemini", "GEMINI_API_KEY", settings).with_key(key.as_ref()),
            base_url: base_url
                .unwrap_or(GEMINI_BASE_URL)
                .trim_end_matches('/')
                .to_string(),
            key,
        }
    }

    fn post(&self, model: &str, method: &str) -> reqwest::RequestBuilder {
        let url = format!("{}/models/{model}:{method}", self.base_url);
        let request = self.http.client().post(url);
        match &self.key {
            Some(key) => request.header("x-goog-api-key", key.expose()),
            None => request,
        }
    }

    /// The request body in the generateContent format.
    pub fn body(&self, request: &ChatRequest) -> Value {
        let mut system = Vec::new();
        let mut contents: Vec<Value> = Vec::new();
        for m in &request.messages {
            let (role, part) = match m.role {
                Role::System => {
                    system.push(json!({"text": m.content}));
                    continue;
                }
                Role::User => ("user", vec![json!({"text": m.content})]),
                Role::Assistant => {
                    let mut parts = Vec::new();
                    if !m.content.is_empty() {
                        parts.push(json!({"text": m.content}));
                    }
                    for c in &m.tool_calls {
                        let mut part = json!({"functionCall": {"name": c.name, "args": c.arguments}});
                        if let Some(sig) = &c.signature {
                            part["thoughtSignature"] = json!(sig);
                        }
                        parts.push(part);
                    }
                    ("model", parts)
                }
                Role::Tool => {
                    let response = serde_json::from_str::<Value>(&m.content)
                        .ok()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({"result": m.content}));
                    let name = m.name.clone().unwrap_or_default();
                    (
                        "user",
                        vec![json!({"functionResponse": {"name": name, "response": response}})],
                    )
                }
            };
            // Gemini wants alternating turns: parallel function responses go in one.
            match contents.last_mut() {
                Some(last) if last["role"] == role => last["parts"]
                    .as_array_mut()
                    .expect("parts is an array")
                    .extend(part),
                _ => contents.push(json!({"role": role, "parts": part})),
            }
        }
        let mut body = Map::new();
        body.insert("contents".into(), Value::Array(contents));
        if !system.is_empty() {
            body.insert("systemInstruction".into(), json!({"parts": system}));
        }
        if !request.tools.is_empty() {
            let decls: Vec<Value> = request
                .tools
                .iter()
                .map(|t| json!({"name": t.name, "description": t.description, "parameters": t.parameters}))
                .collect();
            body.insert("tools".into(), json!([{"functionDeclarations": decls}]));
        }
        let mut config = Map::new();
        if let Some(t) = request.temperature {
            config.insert("temperature".into(), json!(t));
        }
        if let Some(max) = request.max_tokens {
            config.insert("maxOutputTokens".into(), json!(max));
        }
        if !request.stop.is_empty() {
            config.insert("stopSequences".into(), json!(request.stop));
        }
        if let Some(seed) = request.seed {
            config.insert("seed".into(), json!(seed));
        }
        if let Some(level) = request.reasoning {
            config.insert("thinkingConfig".into(), thinking(&request.model, level));
        }
        if !config.is_empty() {
            body.insert("generationConfig".into(), Value::Object(config));
        }
        Value::Object(body)
    }
}

fn thinking(model: &str, level: Reasoning) -> Value {
    if model.starts_with("gemini-2") {
        let budget = match level {
            Reasoning::Low => 1024,
            Reasoning::Medium => 8192,
            Reasoning::High => 24576,
        };
        return json!({"thinkingBudget": budget});
    }
    // Gemini 3 Pro knows low and high.
    let level = match level {
        Reasoning::Low => "low",
        Reasoning::Medium | Reasoning::High => "high",
    };
    json!({"thinkingLevel": level})
}

fn usage(value: &Value) -> Option<Usage> {
    let u = value.get("usageMetadata")?;
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    let thoughts = n("thoughtsTokenCount");
    Some(Usage {
        input: n("promptTokenCount"),
        // Thinking is billed as output but counted apart from the candidates.
        output: n("candidatesTokenCount") + thoughts,
        cached: n("cachedContentTokenCount"),
        reasoning: thoughts,
    })
}

fn finish_reason(text: &str) -> FinishReason {
    match text {
        "STOP" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            FinishReason::ContentFilter
        }
        other => FinishReason::Other(other.to_ascii_lowercase()),
    }
}

/// Text and function calls of one response (or stream chunk), thoughts left out.
struct Parts {
    text: String,
    calls: Vec<ToolCall>,
    finish: Option<FinishReason>,
}

fn read_parts(provider: &str, value: &Value, first_index: usize) -> Result<Parts, LlmError> {
    if let Some(reason) = value
        .pointer("/promptFeedback/blockReason")
        .and_then(Value::as_str)
    {
        return Err(LlmError::ContentFiltered {
            provider: provider.into(),
            message: format!("the prompt was blocked ({reason})"),
        });
    }
    let mut parts = Parts {
        text: String::new(),
        calls: Vec::new(),
        finish: None,
    };
    let Some(candidate) = value.pointer("/candidates/0") else {
        return Ok(parts);
    };
    for part in candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if part.get("thought").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        if let Some(text) = part.get("text").and_then(Value::as_str) {
            parts.text.push_str(text);
        }
        if let Some(call) = part.get("functionCall") {
            let index = first_index + parts.calls.len();
            parts.calls.push(ToolCall {
                id: call
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| synthetic_call_id(index)),
                name: call
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                arguments: call.get("args").cloned().unwrap_or_else(|| json!({})),
                signature: part
                    .get("thoughtSignature")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
    }
    parts.finish = candidate
        .get("finishReason")
        .and_then(Value::as_str)
        .map(finish_reason);
    Ok(parts)
}

fn overall_finish(finish: Option<FinishReason>, has_calls: bool) -> FinishReason {
    match finish {
        Some(FinishReason::Stop) | None if has_calls => FinishReason::ToolCalls,
        Some(f) => f,
        None => FinishReason::Stop,
    }
}

struct StreamState {
    calls: usize,
    finish: Option<FinishReason>,
}

impl StreamState {
    fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, LlmError> {
        let chunk: Value = serde_json::from_str(data).map_err(|e| {
            LlmError::protocol("gemini", format!("stream chunk is not JSON ({e}): {data:.200}"))
        })?;
        if chunk.get("error").is_some() {
            return Err(LlmError::unavailable("gemini", crate::http::error_message(data)));
        }
        let parts = read_parts("gemini", &chunk, self.calls)?;
        let mut out = Vec::new();
        if !parts.text.is_empty() {
            out.push(StreamEvent::Text { text: parts.text });
        }
        for call in parts.calls {
            out.push(StreamEvent::ToolCall {
                index: self.calls,
                call,
            });
            self.calls += 1;
        }
        if let Some(u) = usage(&chunk) {
            out.push(StreamEvent::Usage { usage: u });
        }
        if parts.finish.is_some() {
            self.finish = parts.finish;
        }
        Ok(out)
    }

    fn on_end(&mut self) -> Result<Vec<StreamEvent>, LlmError> {
        // Gemini sends no end marker: the last chunk carries the finish reason.
        let Some(finish) = self.finish.take() else {
            return Err(LlmError::protocol(
                "gemini",
                "the stream ended before the answer was complete (no finishReason)",
            ));
        };
        Ok(vec![StreamEvent::Finish {
            reason: overall_finish(Some(finish), self.calls > 0),
        }])
    }
}

#[async_trait]
impl Provider for Gemini {
    fn id(&self) -> &str {
        "gemini"
    }

    fn redact(&self, error: LlmError) -> LlmError {
        self.http.scrubber.error(error)
    }

    fn check(&self) -> Result<(), LlmError> {
        match self.key {
            Some(_) => Ok(()),
            None => Err(LlmError::unavailable(
                "gemini",
                "no API key; set GEMINI_API_KEY in the environment, .env or mira.toml",
            )),
        }
    }

    fn default_model(&self) -> &str {
        "gemini-3-pro-preview"
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.check()?;
        let body = self.body(request);
        let value = self
            .http
            .post_json(|| self.post(&request.model, "generateContent"), &body)
            .await?;
        let parts = read_parts("gemini", &value, 0)?;
        let finish = overall_finish(parts.finish, !parts.calls.is_empty());
        if finish == FinishReason::ContentFilter && parts.text.is_empty() {
            return Err(LlmError::ContentFiltered {
                provider: "gemini".into(),
                message: "the answer was withheld (finishReason SAFETY)".into(),
            });
        }
        Ok(ChatResponse {
            text: parts.text,
            tool_calls: parts.calls,
            usage: usage(&value),
            finish,
        })
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        self.check()?;
        let body = self.body(request);
        let events = self
            .http
            .post_sse(
                || self.post(&request.model, "streamGenerateContent?alt=sse"),
                &body,
            )
            .await?;
        let state = StreamState {
            calls: 0,
            finish: None,
        };
        Ok(super::sse_to_events(
            events,
            state,
            |s, e| s.on_data(&e.data),
            |s| s.on_end(),
        ))
    }

    async fn embed(&self, request: &EmbedRequest) -> Result<Embeddings, LlmError> {
        self.check()?;
        let task = match request.task {
            EmbedTask::Document => "RETRIEVAL_DOCUMENT",
            EmbedTask::Query => "RETRIEVAL_QUERY",
        };
        let model_path = format!("models/{}", request.model);
        let requests: Vec<Value> = request
            .texts
            .iter()
            .map(|t| {
                let mut r =
                    json!({"model": model_path, "content": {"parts": [{"text": t}]}, "taskType": task});
                if let Some(d) = request.dimensions {
                    r["outputDimensionality"] = json!(d);
                }
                r
            })
            .collect();
        let body = json!({ "requests": requests });
        let value = self
            .http
            .post_json(|| self.post(&request.model, "batchEmbedContents"), &body)
            .await?;
        let rows = value["embeddings"]
            .as_array()
            .ok_or_else(|| LlmError::protocol("gemini", "embedding answer has no `embeddings`"))?;
        if rows.len() != request.texts.len() {
            return Err(LlmError::protocol(
                "gemini",
                format!("asked for {} embeddings, got {}", request.texts.len(), rows.len()),
            ));
        }
        let vectors = rows
            .iter()
            .map(|row| {
                let values: Vec<f32> = row["values"]
                    .as_array()
                    .ok_or_else(|| LlmError::protocol("gemini", "embedding has no `values`"))?
                    .iter()
                    .map(|x| x.as_f64().unwrap_or(0.0) as f32)
                    .collect();
                // Vectors truncated below 3072 dimensions are not unit length; cosine
                // and dot-product search expect them to be.
                Ok(normalize(values))
            })
            .collect::<Result<_, LlmError>>()?;
        Ok(Embeddings {
            vectors,
            input_tokens: None,
        })
    }
}

fn normalize(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Message, ToolSpec};

    #[test]
    fn parallel_tool_results_are_one_turn_and_system_is_an_instruction() {
        let g = Gemini::new(None, None, HttpSettings::default());
        let call = |id: &str, name: &str| ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: json!({}),
            signature: Some("sig".into()),
        };
        let (a, b) = (call("1", "grep"), call("2", "read"));
        let mut assistant = Message::assistant("");
        assistant.tool_calls = vec![a.clone(), b.clone()];
        let request = ChatRequest {
            model: "gemini-3-pro-preview".into(),
            messages: vec![
                Message::system("be brief"),
                Message::user("hi"),
                assistant,
                Message::tool_result(&a, "x"),
                Message::tool_result(&b, r#"{"lines": 3}"#),
            ],
            tools: vec![ToolSpec {
                name: "grep".into(),
                description: "search".into(),
                parameters: json!({"type": "object"}),
            }],
            reasoning: Some(Reasoning::Low),
            ..ChatRequest::default()
        };
        let body = g.body(&request);
        assert_eq!(body["systemInstruction"]["parts"][0]["text"], "be brief");
        let contents = body["contents"].as_array().unwrap();
        assert_eq!(contents.len(), 3);
        assert_eq!(contents[1]["parts"][0]["thoughtSignature"], "sig");
        assert_eq!(contents[2]["parts"].as_array().unwrap().len(), 2);
        assert_eq!(
            contents[2]["parts"][0]["functionResponse"]["response"]["result"],
            "x"
        );
        assert_eq!(
            contents[2]["parts"][1]["functionResponse"]["response"]["lines"],
            3
        );
        assert_eq!(body["generationConfig"]["thinkingConfig"]["thinkingLevel"], "low");
        assert_eq!(body["tools"][0]["functionDeclarations"][0]["name"], "grep");
    }
}
