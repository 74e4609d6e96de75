use std::time::{Duration, Instant};

use mira_core::Secret;
use mira_llm::providers::gemini::Gemini;
use mira_llm::stream::collect;
use mira_llm::{ChatRequest, EmbedRequest, EmbedTask, FinishReason, Message, Provider, Reasoning, ToolSpec};
use serde_json::json;

use crate::fast_settings;
use crate::server::{Reply, Scripted, data};

fn provider(server: &Scripted) -> Gemini {
    Gemini::new(
        Some(Secret::new("g-key")),
        Some(&server.url("/v1beta")),
        fast_settings(),
    )
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "gemini-3-pro-preview".into(),
        messages: vec![
            Message::system("You are Mira."),
            Message::user("Refactor the parser"),
        ],
        tools: vec![ToolSpec {
            name: "read_file".into(),
            description: "Read a file".into(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
        }],
        max_tokens: Some(2048),
        reasoning: Some(Reasoning::High),
        temperature: Some(1.0),
        ..ChatRequest::default()
    }
}

#[tokio::test]
async fn streams_text_and_parallel_function_calls_with_usage() {
    let server = Scripted::start(vec![Reply::Sse(vec![
        data(&json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "Reading "}]}, "index": 0}],
            "usageMetadata": {"promptTokenCount": 900, "candidatesTokenCount": 2, "totalTokenCount": 902}})),
        data(&json!({"candidates": [{"content": {"role": "model", "parts": [
            {"text": "both files."},
            {"functionCall": {"name": "read_file", "args": {"path": "a.rs"}}, "thoughtSignature": "c2ln"},
            {"functionCall": {"name": "read_file", "args": {"path": "b.rs"}}}]},
            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 900, "candidatesTokenCount": 40, "cachedContentTokenCount": 512,
                "thoughtsTokenCount": 120, "totalTokenCount": 1060}})),
    ])])
    .await;
    let answer = collect(provider(&server).chat_stream(&request()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(answer.text, "Reading both files.");
    assert_eq!(answer.finish, FinishReason::ToolCalls);
    assert_eq!(answer.tool_calls.len(), 2);
    assert_eq!(answer.tool_calls[0].arguments, json!({"path": "a.rs"}));
    assert_eq!(answer.tool_calls[0].signature.as_deref(), Some("c2ln"));
    assert_ne!(
        answer.tool_calls[0].id, answer.tool_calls[1].id,
        "calls get distinct ids"
    );
    let u = answer.usage.unwrap();
    assert_eq!((u.input, u.output, u.cached, u.reasoning), (900, 160, 512, 120));

    let sent = server.request(0);
    assert_eq!(
        sent.path,
        "/v1beta/models/gemini-3-pro-preview:streamGenerateContent"
    );
    assert_eq!(sent.query.as_deref(), Some("alt=sse"));
    assert_eq!(sent.header("x-goog-api-key"), Some("g-key"));
    assert!(
        sent.query.unwrap().find("key=").is_none(),
        "the key never goes in the URL"
    );
    assert_eq!(
        sent.body["systemInstruction"]["parts"][0]["text"],
        "You are Mira."
    );
    assert_eq!(
        sent.body["contents"][0],
        json!({"role": "user", "parts": [{"text": "Refactor the parser"}]})
    );
    assert_eq!(
        sent.body["tools"][0]["functionDeclarations"][0]["name"],
        "read_file"
    );
    assert_eq!(
        sent.body["generationConfig"]["thinkingConfig"],
        json!({"thinkingLevel": "high"})
    );
    assert_eq!(sent.body["generationConfig"]["maxOutputTokens"], 2048);
}

#[tokio::test]
async fn whole_answers_skip_thoughts() {
    let server = Scripted::start(vec![Reply::Json(
        200,
        json!({"candidates": [{"content": {"role": "model", "parts": [
            {"text": "thinking...", "thought": true}, {"text": "Done."}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 2, "thoughtsTokenCount": 5}}),
    )])
    .await;
    let mut req = request();
    req.reasoning = Some(Reasoning::Low);
    let answer = provider(&server).chat(&req).await.unwrap();
    assert_eq!(answer.text, "Done.");
    assert_eq!(answer.usage.unwrap().output, 7);
    let sent = server.request(0);
    assert_eq!(sent.path, "/v1beta/models/gemini-3-pro-preview:generateContent");
    assert_eq!(
        sent.body["generationConfig"]["thinkingConfig"]["thinkingLevel"],
        "low"
    );
}

#[tokio::test]
async fn quota_errors_wait_for_retry_info() {
    let server = Scripted::start(vec![
        Reply::Json(
            429,
            json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.25s"}]}}),
        ),
        Reply::Json(
            200,
            json!({"candidates": [{"content": {"parts": [{"text": "ok"}]}, "finishReason": "STOP"}]}),
        ),
    ])
    .await;
    let started = Instant::now();
    assert_eq!(provider(&server).chat(&request()).await.unwrap().text, "ok");
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn blocked_prompts_invalid_keys_and_cut_off_streams() {
    let server = Scripted::start(vec![
        Reply::Json(200, json!({"promptFeedback": {"blockReason": "SAFETY"}})),
        Reply::Json(400, json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT"}})),
        Reply::Sse(vec![data(&json!({"candidates": [{"content": {"parts": [{"text": "half"}]}}]}))]),
    ])
    .await;
    let p = provider(&server);
    assert_eq!(p.chat(&request()).await.unwrap_err().kind(), "content_filtered");
    let auth = p.chat(&request()).await.unwrap_err();
    assert_eq!(auth.kind(), "auth");
    assert!(auth.to_string().contains("GEMINI_API_KEY"));
    let cut = collect(p.chat_stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert_eq!(cut.kind(), "protocol");
}

#[tokio::test]
async fn embeddings_with_output_dimensionality_are_unit_length() {
    let server = Scripted::start(vec![Reply::Json(
        200,
        json!({"embeddings": [{"values": [3.0, 4.0]}, {"values": [0.0, 2.0]}]}),
    )])
    .await;
    let out = provider(&server)
        .embed(&EmbedRequest {
            model: "gemini-embedding-001".into(),
            texts: vec!["fn main".into(), "parser".into()],
            dimensions: Some(768),
            task: EmbedTask::Query,
        })
        .await
        .unwrap();
    assert_eq!(out.vectors, vec![vec![0.6, 0.8], vec![0.0, 1.0]]);
    let sent = server.request(0);
    assert_eq!(
        sent.path,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    );
    let r = &sent.body["requests"][0];
    assert_eq!(r["model"], "models/gemini-embedding-001");
    assert_eq!(r["outputDimensionality"], 768);
    assert_eq!(r["taskType"], "RETRIEVAL_QUERY");
    assert_eq!(r["content"]["parts"][0]["text"], "fn main");
}
