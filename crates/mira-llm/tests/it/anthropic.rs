use mira_core::Secret;
use mira_llm::providers::anthropic::Anthropic;
use mira_llm::stream::collect;
use mira_llm::{ChatRequest, FinishReason, Message, Provider, ToolSpec};
use serde_json::json;

use crate::fast_settings;
use crate::server::{Reply, Scripted, event};

fn provider(server: &Scripted) -> Anthropic {
    Anthropic::new(
        Some(Secret::new("ant-key")),
        Some(&server.url("/v1")),
        fast_settings(),
    )
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "claude-sonnet-4-5".into(),
        messages: vec![
            Message::system("You are Mira."),
            Message::user("Who calls parse?"),
        ],
        tools: vec![ToolSpec {
            name: "callers".into(),
            description: "Callers of a symbol".into(),
            parameters: json!({"type": "object", "properties": {"symbol": {"type": "string"}}}),
        }],
        temperature: Some(0.3),
        ..ChatRequest::default()
    }
}

fn full_stream() -> Vec<String> {
    vec![
        event(
            "message_start",
            &json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
            "content": [], "model": "claude-sonnet-4-5", "stop_reason": null,
            "usage": {"input_tokens": 400, "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 0, "output_tokens": 1}}}),
        ),
        event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        event("ping", &json!({"type": "ping"})),
        event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Checking "}}),
        ),
        event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "both."}}),
        ),
        event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": 0}),
        ),
        event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "callers", "input": {}}}),
        ),
        event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"symbol\": "}}),
        ),
        event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "\"parse\"}"}}),
        ),
        event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": 1}),
        ),
        event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_2", "name": "callers", "input": {}}}),
        ),
        event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"symbol\": \"lex\"}"}}),
        ),
        event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": 2}),
        ),
        event(
            "message_delta",
            &json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 89}}),
        ),
        event("message_stop", &json!({"type": "message_stop"})),
    ]
}

#[tokio::test]
async fn streams_text_and_parallel_tool_use_blocks() {
    let server = Scripted::start(vec![Reply::Sse(full_stream())]).await;
    let answer = collect(provider(&server).chat_stream(&request()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(answer.text, "Checking both.");
    assert_eq!(answer.finish, FinishReason::ToolCalls);
    assert_eq!(answer.tool_calls.len(), 2);
    assert_eq!(answer.tool_calls[0].id, "toolu_1");
    assert_eq!(answer.tool_calls[0].arguments, json!({"symbol": "parse"}));
    assert_eq!(answer.tool_calls[1].arguments, json!({"symbol": "lex"}));
    let u = answer.usage.unwrap();
    assert_eq!((u.input, u.output, u.cached), (1400, 89, 1000));

    let sent = server.request(0);
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("ant-key"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.body["system"], "You are Mira.");
    assert_eq!(sent.body["stream"], true);
    assert_eq!(sent.body["max_tokens"], 4096, "max_tokens is required");
    assert_eq!(sent.body["tools"][0]["input_schema"]["type"], "object");
    assert_eq!(sent.body["messages"][0]["role"], "user");
    assert_eq!(sent.body["temperature"], 0.3);
}

#[tokio::test]
async fn tool_results_go_back_as_one_user_turn() {
    let server = Scripted::start(vec![Reply::Json(
        200,
        json!({"id": "m", "type": "message", "role": "assistant", "content": [{"type": "text", "text": "parse is called by main."}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 30, "output_tokens": 8}}),
    )])
    .await;
    let calls: Vec<mira_llm::ToolCall> = ["toolu_1", "toolu_2"]
        .iter()
        .map(|id| mira_llm::ToolCall {
            id: id.to_string(),
            name: "callers".into(),
            arguments: json!({"symbol": "parse"}),
            signature: None,
        })
        .collect();
    let mut assistant = Message::assistant("Checking.");
    assistant.tool_calls = calls.clone();
    let mut req = request();
    req.messages.push(assistant);
    req.messages.push(Message::tool_result(&calls[0], "main"));
    req.messages.push(Message::tool_result(&calls[1], "none"));
    let answer = provider(&server).chat(&req).await.unwrap();
    assert_eq!(answer.text, "parse is called by main.");
    assert_eq!(answer.finish, FinishReason::Stop);
    let messages = server.request(0).body["messages"].clone();
    assert_eq!(messages.as_array().unwrap().len(), 3);
    assert_eq!(messages[1]["content"][1]["type"], "tool_use");
    assert_eq!(messages[2]["role"], "user");
    assert_eq!(messages[2]["content"][0]["tool_use_id"], "toolu_1");
    assert_eq!(messages[2]["content"][1]["tool_use_id"], "toolu_2");
}

#[tokio::test]
async fn overloaded_is_retried_and_stream_errors_are_typed() {
    let server = Scripted::start(vec![
        Reply::Json(
            529,
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ),
        Reply::Sse(full_stream()),
        Reply::Sse(vec![
            full_stream()[0].clone(),
            event(
                "error",
                &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ),
        ]),
        Reply::Sse(full_stream()[..8].to_vec()),
    ])
    .await;
    let p = provider(&server);
    assert_eq!(
        collect(p.chat_stream(&request()).await.unwrap())
            .await
            .unwrap()
            .tool_calls
            .len(),
        2
    );
    assert_eq!(server.requests().len(), 2, "the 529 was retried");
    let err = collect(p.chat_stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "unavailable");
    let cut = collect(p.chat_stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert_eq!(cut.kind(), "protocol", "{cut}");
}
