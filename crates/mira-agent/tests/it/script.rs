//! Scripted model answers in each provider's streaming wire format.

use serde_json::{Value, json};

use crate::server::{Reply, data, event};

/// An OpenAI chat-completions stream calling tools `(id, name, arguments)`, the
/// arguments sent in two pieces as real servers do.
pub fn openai_calls(calls: &[(&str, &str, Value)]) -> Reply {
    let mut chunks = Vec::new();
    for (i, (id, name, args)) in calls.iter().enumerate() {
        let text = args.to_string();
        let (a, b) = text.split_at(text.len() / 2);
        chunks.push(data(&json!({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": i, "id": id, "type": "function", "function": {"name": name, "arguments": a}}]}}]})));
        chunks.push(data(&json!({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": i, "function": {"arguments": b}}]}}]})));
    }
    chunks.push(data(
        &json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
    ));
    chunks.push(data(
        &json!({"choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 20}}),
    ));
    chunks.push("data: [DONE]\n\n".into());
    Reply::Sse(chunks)
}

pub fn openai_text(text: &str) -> Reply {
    Reply::Sse(vec![
        data(&json!({"choices": [{"index": 0, "delta": {"content": text}}]})),
        data(&json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})),
        data(&json!({"choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 10}})),
        "data: [DONE]\n\n".into(),
    ])
}

pub fn anthropic_calls(calls: &[(&str, &str, Value)]) -> Reply {
    let mut chunks = vec![event(
        "message_start",
        &json!({"type": "message_start", "message": {"id": "msg", "type": "message", "role": "assistant",
            "content": [], "model": "claude-test", "usage": {"input_tokens": 100, "output_tokens": 1}}}),
    )];
    for (i, (id, name, args)) in calls.iter().enumerate() {
        chunks.push(event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": i, "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}}),
        ));
        chunks.push(event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": args.to_string()}}),
        ));
        chunks.push(event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": i}),
        ));
    }
    chunks.push(event(
        "message_delta",
        &json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 20}}),
    ));
    chunks.push(event("message_stop", &json!({"type": "message_stop"})));
    Reply::Sse(chunks)
}

pub fn anthropic_text(text: &str) -> Reply {
    Reply::Sse(vec![
        event(
            "message_start",
            &json!({"type": "message_start", "message": {"id": "msg", "type": "message", "role": "assistant",
                "content": [], "model": "claude-test", "usage": {"input_tokens": 100, "output_tokens": 1}}}),
        ),
        event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
        ),
        event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": 0}),
        ),
        event(
            "message_delta",
            &json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 10}}),
        ),
        event("message_stop", &json!({"type": "message_stop"})),
    ])
}

/// Gemini sends no call ids: calls are matched to results by name.
pub fn gemini_calls(calls: &[(&str, Value)]) -> Reply {
    let parts: Vec<Value> = calls
        .iter()
        .map(|(name, args)| json!({"functionCall": {"name": name, "args": args}}))
        .collect();
    Reply::Sse(vec![data(&json!({
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20}
    }))])
}

pub fn gemini_text(text: &str) -> Reply {
    Reply::Sse(vec![data(&json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 10}
    }))])
}

/// The edit that fixes the fixture's bug.
pub fn fix_args() -> Value {
    json!({"path": "src/lib.rs", "search": "    a - b\n", "replace": "    a + b\n"})
}
