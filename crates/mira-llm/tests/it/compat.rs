//! OpenAI-compatible servers (Ollama, llama.cpp server, vLLM, LM Studio) and their quirks.

use mira_llm::providers::openai::OpenAi;
use mira_llm::stream::collect;
use mira_llm::{ChatRequest, FinishReason, Message, Provider};
use serde_json::json;

use crate::fast_settings;
use crate::server::{Reply, Scripted, data};

fn request() -> ChatRequest {
    ChatRequest {
        model: "qwen2.5-coder:7b".into(),
        messages: vec![Message::user("hi")],
        temperature: Some(0.1),
        max_tokens: Some(64),
        ..ChatRequest::default()
    }
}

#[tokio::test]
async fn no_key_no_usage_no_done_and_calls_without_ids() {
    let server = Scripted::start(vec![Reply::Sse(vec![
        // llama.cpp / Ollama: usage null in chunks, tool call whole in one chunk without id.
        data(&json!({"choices": [{"index": 0, "delta": {"content": "Sure"}, "finish_reason": null}], "usage": null})),
        data(&json!({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"function": {"name": "grep_files", "arguments": {"pattern": "TODO"}}}]}, "finish_reason": null}]})),
        data(&json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})),
    ])])
    .await;
    let p = OpenAi::compatible(&server.url("/v1"), None, "qwen2.5-coder:7b", fast_settings());
    assert!(p.check().is_ok(), "a local server needs no key");
    assert!(!p.is_paid());
    let answer = collect(p.chat_stream(&request()).await.unwrap()).await.unwrap();
    assert_eq!(answer.text, "Sure");
    assert_eq!(answer.usage, None);
    assert_eq!(answer.finish, FinishReason::ToolCalls);
    assert_eq!(answer.tool_calls[0].name, "grep_files");
    assert_eq!(answer.tool_calls[0].arguments, json!({"pattern": "TODO"}));
    assert!(!answer.tool_calls[0].id.is_empty());
    let sent = server.request(0);
    assert!(sent.header("authorization").is_none());
    assert_eq!(sent.body["max_tokens"], 64, "older servers know max_tokens only");
    assert_eq!(sent.body["temperature"], 0.1);
}

#[tokio::test]
async fn errors_sent_inside_the_stream_are_reported() {
    let server = Scripted::start(vec![
        Reply::Sse(vec![data(
            &json!({"error": {"message": "model 'x' not found, try pulling it first"}}),
        )]),
        Reply::Json(
            200,
            json!({"choices": [{"message": {"content": "hello", "tool_calls": [
            {"type": "function", "function": {"name": "f", "arguments": "{}"}}]}}]}),
        ),
    ])
    .await;
    let p = OpenAi::compatible(&server.url("/v1"), None, "x", fast_settings());
    let err = collect(p.chat_stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("try pulling it"), "{err}");
    // vLLM and LM Studio answer without finish_reason on some paths.
    let answer = p.chat(&request()).await.unwrap();
    assert_eq!(answer.finish, FinishReason::ToolCalls);
    assert!(answer.tool_calls[0].id.starts_with("call_0_"));
}
