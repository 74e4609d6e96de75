use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mira_core::Secret;
use mira_llm::providers::openai::OpenAi;
use mira_llm::stream::collect;
use mira_llm::{
    ChatRequest, EmbedRequest, EmbedTask, FinishReason, Message, Provider, Reasoning, StreamEvent, ToolSpec,
};
use serde_json::json;

use crate::fast_settings;
use crate::server::{Reply, Scripted, data};

fn provider(server: &Scripted) -> OpenAi {
    OpenAi::official(
        Some(Secret::new("sk-test")),
        Some(&server.url("/v1")),
        fast_settings(),
    )
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "gpt-5.1".into(),
        messages: vec![Message::system("You are Mira."), Message::user("Where is main?")],
        tools: vec![ToolSpec {
            name: "search_codebase".into(),
            description: "Search the code".into(),
            parameters: json!({"type": "object", "properties": {"q": {"type": "string"}}}),
        }],
        temperature: Some(0.2),
        max_tokens: Some(500),
        reasoning: Some(Reasoning::Low),
        ..ChatRequest::default()
    }
}

fn chunk(delta: serde_json::Value, finish: Option<&str>) -> String {
    data(
        &json!({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
    )
}

#[tokio::test]
async fn streams_text_parallel_tool_calls_and_usage() {
    let server = Scripted::start(vec![Reply::Sse(vec![
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(json!({"content": "Let me "}), None),
        chunk(json!({"content": "look."}), None),
        chunk(
            json!({"tool_calls": [
                {"index": 0, "id": "call_a", "type": "function", "function": {"name": "search_codebase", "arguments": ""}},
                {"index": 1, "id": "call_b", "type": "function", "function": {"name": "search_codebase", "arguments": ""}}]}),
            None,
        ),
        chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"q\": \"fn ma"}}]}), None),
        chunk(json!({"tool_calls": [{"index": 1, "function": {"arguments": "{\"q\": \"lib\"}"}}]}), None),
        chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "in\"}"}}]}), None),
        chunk(json!({}), Some("tool_calls")),
        data(&json!({"id": "c1", "choices": [], "usage": {
            "prompt_tokens": 1200, "completion_tokens": 300,
            "prompt_tokens_details": {"cached_tokens": 1024},
            "completion_tokens_details": {"reasoning_tokens": 256}}})),
        "data: [DONE]\n\n".into(),
    ])])
    .await;
    let p = provider(&server);
    let mut stream = p.chat_stream(&request()).await.unwrap();
    let mut deltas = 0;
    let mut events = Vec::new();
    while let Some(e) = stream.next().await {
        let e = e.unwrap();
        if matches!(e, StreamEvent::ToolCallDelta { .. }) {
            deltas += 1;
        }
        events.push(e);
    }
    assert!(deltas >= 4, "fragments are passed on as they come");
    let answer = collect(Box::pin(futures_util::stream::iter(events.into_iter().map(Ok))))
        .await
        .unwrap();
    assert_eq!(answer.text, "Let me look.");
    assert_eq!(answer.finish, FinishReason::ToolCalls);
    assert_eq!(answer.tool_calls.len(), 2);
    assert_eq!(answer.tool_calls[0].id, "call_a");
    assert_eq!(answer.tool_calls[0].arguments, json!({"q": "fn main"}));
    assert_eq!(answer.tool_calls[1].arguments, json!({"q": "lib"}));
    let usage = answer.usage.unwrap();
    assert_eq!(
        (usage.input, usage.output, usage.cached, usage.reasoning),
        (1200, 300, 1024, 256)
    );

    let sent = server.request(0);
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(sent.body["model"], "gpt-5.1");
    assert_eq!(sent.body["stream"], true);
    assert_eq!(sent.body["stream_options"]["include_usage"], true);
    assert_eq!(
        sent.body["messages"][0],
        json!({"role": "system", "content": "You are Mira."})
    );
    assert_eq!(sent.body["tools"][0]["type"], "function");
    assert_eq!(sent.body["tools"][0]["function"]["name"], "search_codebase");
    assert_eq!(sent.body["max_completion_tokens"], 500);
    assert_eq!(sent.body["reasoning_effort"], "low");
    assert!(
        sent.body.get("temperature").is_none(),
        "GPT-5 models take no temperature"
    );
}

#[tokio::test]
async fn whole_answers_and_tool_results_round_trip() {
    let server = Scripted::start(vec![Reply::Json(
        200,
        json!({"id": "x", "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": "It is in src/main.rs."}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 7,
                "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}}),
    )])
    .await;
    let p = provider(&server);
    let call = mira_llm::ToolCall {
        id: "call_a".into(),
        name: "search_codebase".into(),
        arguments: json!({"q": "main"}),
        signature: None,
    };
    let mut assistant = Message::assistant("");
    assistant.tool_calls = vec![call.clone()];
    let mut req = request();
    req.messages.push(assistant);
    req.messages.push(Message::tool_result(&call, "src/main.rs:1"));
    let answer = p.chat(&req).await.unwrap();
    assert_eq!(answer.text, "It is in src/main.rs.");
    assert_eq!(answer.usage.unwrap().output, 7);
    let body = server.request(0).body;
    assert_eq!(body["messages"][2]["content"], serde_json::Value::Null);
    assert_eq!(
        body["messages"][2]["tool_calls"][0]["function"]["arguments"],
        "{\"q\":\"main\"}"
    );
    assert_eq!(
        body["messages"][3],
        json!({"role": "tool", "tool_call_id": "call_a", "content": "src/main.rs:1"})
    );
    assert!(body.get("stream").is_none());
}

#[tokio::test]
async fn rate_limits_are_retried_after_the_given_time() {
    let server = Scripted::start(vec![
        Reply::Raw(
            429,
            vec![("retry-after", "0.3".into())],
            r#"{"error":{"message":"slow down"}}"#.into(),
        ),
        Reply::Sse(vec![
            chunk(json!({"content": "ok"}), Some("stop")),
            "data: [DONE]\n\n".into(),
        ]),
    ])
    .await;
    let started = Instant::now();
    let answer = collect(provider(&server).chat_stream(&request()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(answer.text, "ok");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = Scripted::start(vec![
        Reply::Raw(500, vec![], "boom".into()),
        Reply::Json(
            200,
            json!({"choices": [{"message": {"content": "fine"}, "finish_reason": "stop"}]}),
        ),
    ])
    .await;
    assert_eq!(provider(&server).chat(&request()).await.unwrap().text, "fine");

    let always = Scripted::start(vec![
        Reply::Raw(503, vec![], "{}".into()),
        Reply::Raw(503, vec![], "{}".into()),
        Reply::Raw(503, vec![], "{}".into()),
    ])
    .await;
    let err = provider(&always).chat(&request()).await.unwrap_err();
    assert_eq!(err.kind(), "unavailable");
    assert_eq!(always.requests().len(), 3, "one try and two retries");
}

#[tokio::test]
async fn refused_keys_and_long_prompts_are_not_retried() {
    let server = Scripted::start(vec![
        Reply::Json(401, json!({"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}})),
        Reply::Json(400, json!({"error": {"message": "maximum context length is 400000 tokens", "code": "context_length_exceeded"}})),
    ])
    .await;
    let p = provider(&server);
    let err = p.chat(&request()).await.unwrap_err();
    assert_eq!(err.kind(), "auth");
    assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
    assert!(!err.to_string().contains("sk-test"), "the key never shows: {err}");
    assert_eq!(p.chat(&request()).await.unwrap_err().kind(), "context_too_long");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn malformed_cut_off_and_broken_streams_are_errors() {
    let server = Scripted::start(vec![
        Reply::Sse(vec![chunk(json!({"content": "a"}), None), "data: {not json\n\n".into()]),
        Reply::Sse(vec![chunk(json!({"content": "a"}), None)]),
        Reply::SseBroken(vec![chunk(json!({"content": "a"}), None)]),
        Reply::Sse(vec![
            chunk(json!({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{\"a\":"}}]}), None),
            chunk(json!({}), Some("tool_calls")),
            "data: [DONE]\n\n".into(),
        ]),
    ])
    .await;
    let p = provider(&server);
    for expected in ["protocol", "protocol", "transport", "protocol"] {
        let err = collect(p.chat_stream(&request()).await.unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), expected, "{err}");
    }
}

#[tokio::test]
async fn slow_servers_time_out() {
    let server = Scripted::start(vec![
        Reply::Delay(Duration::from_secs(3), Box::new(Reply::Json(200, json!({})))),
        Reply::Delay(Duration::from_secs(3), Box::new(Reply::Json(200, json!({})))),
        Reply::Delay(Duration::from_secs(3), Box::new(Reply::Json(200, json!({})))),
        Reply::SseHang(vec![chunk(json!({"content": "a"}), None)]),
    ])
    .await;
    let mut settings = fast_settings();
    settings.timeout = Duration::from_millis(200);
    settings.retry.max_retries = 0;
    let p = OpenAi::official(Some(Secret::new("k")), Some(&server.url("/v1")), settings);
    assert_eq!(p.chat(&request()).await.unwrap_err().kind(), "timeout");
    // The stream opens at once but then goes quiet past LLM_STREAM_IDLE_SECS.
    let server = Scripted::start(vec![Reply::SseHang(vec![chunk(json!({"content": "a"}), None)])]).await;
    let p = provider(&server);
    let started = Instant::now();
    let err = collect(p.chat_stream(&request()).await.unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection_early() {
    let server = Scripted::start(vec![Reply::SseHang(vec![chunk(
        json!({"content": "first"}),
        None,
    )])])
    .await;
    let p = provider(&server);
    let mut stream = p.chat_stream(&request()).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first, StreamEvent::Text { text: "first".into() });
    let token = tokio_util::sync::CancellationToken::new();
    let mut stream = mira_llm::stream::with_cancel(stream, token.clone());
    token.cancel();
    assert_eq!(
        stream.next().await.unwrap().unwrap(),
        StreamEvent::Finish {
            reason: FinishReason::Cancelled
        }
    );
}

#[tokio::test]
async fn embeddings_keep_order_and_dimensions() {
    let server = Scripted::start(vec![Reply::Json(
        200,
        json!({"object": "list", "data": [
            {"object": "embedding", "index": 1, "embedding": [0.0, 1.0]},
            {"object": "embedding", "index": 0, "embedding": [1.0, 0.0]}],
            "usage": {"prompt_tokens": 6, "total_tokens": 6}}),
    )])
    .await;
    let out = provider(&server)
        .embed(&EmbedRequest {
            model: "text-embedding-3-small".into(),
            texts: vec!["a".into(), "b".into()],
            dimensions: Some(2),
            task: EmbedTask::Document,
        })
        .await
        .unwrap();
    assert_eq!(out.vectors, vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
    assert_eq!(out.input_tokens, Some(6));
    let sent = server.request(0);
    assert_eq!(sent.path, "/v1/embeddings");
    assert_eq!(sent.body["dimensions"], 2);
    assert_eq!(sent.body["input"], json!(["a", "b"]));
}

#[tokio::test]
async fn no_key_means_unavailable_without_a_request() {
    let server = Scripted::start(vec![]).await;
    let p = OpenAi::official(None, Some(&server.url("/v1")), fast_settings());
    let err = p.chat(&request()).await.unwrap_err();
    assert_eq!(err.kind(), "unavailable");
    assert!(err.to_string().contains("set OPENAI_API_KEY"), "{err}");
    assert!(server.requests().is_empty());
}
