//! Chat end to end: the real server streams answers over the WebSocket from an
//! OpenAI-compatible server (a local stand-in that speaks the wire format), stores the
//! conversation, counts the cost and the route; `mira ask` and `mira budget` do the
//! same from the terminal.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::post;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{Dirs, Server, run, stdout_json};
use crate::websocket::{Socket, connect};

/// Answers every chat completion by streaming the words of the last message back in
/// reverse order; a message containing "slow" streams 200 words, 20 ms apart.
pub async fn model_server() -> String {
    async fn complete(axum::Json(body): axum::Json<Value>) -> axum::response::Response {
        let last = body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .cloned()
            .unwrap_or_default();
        let text = last["content"].as_str().unwrap_or_default().to_string();
        let slow = text.contains("slow");
        let words: Vec<String> = if slow {
            (0..200).map(|i| format!("w{i} ")).collect()
        } else {
            text.split_whitespace().rev().map(|w| format!("{w} ")).collect()
        };
        let n = words.len();
        let mut chunks: Vec<String> = words
            .into_iter()
            .map(|w| {
                format!(
                    "data: {}\n\n",
                    json!({"choices": [{"index": 0, "delta": {"content": w}}]})
                )
            })
            .collect();
        chunks.push(format!(
            "data: {}\n\n",
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        ));
        chunks.push(format!(
            "data: {}\n\n",
            json!({"choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": n}})
        ));
        chunks.push("data: [DONE]\n\n".into());
        let delay = if slow { 20 } else { 1 };
        let stream = futures_util::stream::iter(chunks).then(move |c| async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            Ok::<_, std::io::Error>(Bytes::from(c))
        });
        axum::response::Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::from_stream(stream))
            .unwrap()
    }
    let app = Router::new().route("/v1/chat/completions", post(complete));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

pub fn env(model_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("OPENAI_BASE_URL", model_url.to_string()),
        ("MODEL_FAST", "compat:echo-model".into()),
        ("MODEL_VOICE", "compat:echo-model".into()),
        ("MODEL_THINKER", "compat:echo-model".into()),
        // Priced, so the budget has something to count.
        ("LLM_PRICES", "echo-model=1000:2000".into()),
    ]
}

/// The `chat` frames of request `id`, up to its `done` or `failed`.
pub async fn chat_frames(socket: &mut Socket, id: impl Into<Value>) -> Vec<Value> {
    let id: Value = id.into();
    let mut frames = Vec::new();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("a frame within 20 s")
            .unwrap()
            .unwrap();
        let Message::Text(text) = message else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["type"] == "chat" && v["id"] == id {
            let end = v["event"] == "done" || v["event"] == "failed";
            frames.push(v);
            if end {
                return frames;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_streams_over_the_websocket_and_is_stored_and_counted() {
    let model = model_server().await;
    let dirs = Dirs::new();
    let env = env(&model);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(&dirs, &env_refs);
    let mut socket = connect(&server).await;
    socket
        .send(Message::text(
            json!({"id": "c1", "type": "chat.send", "message": "world the hello"}).to_string(),
        ))
        .await
        .unwrap();
    let frames = chat_frames(&mut socket, "c1").await;
    let events: Vec<&str> = frames.iter().map(|f| f["event"].as_str().unwrap()).collect();
    assert_eq!(events[0], "started", "{frames:?}");
    assert_eq!(events[1], "routed");
    assert!(
        events.iter().filter(|e| **e == "delta").count() >= 3,
        "{events:?}"
    );
    let text: String = frames
        .iter()
        .filter(|f| f["event"] == "delta")
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(text.trim(), "hello the world");
    let done = frames.last().unwrap();
    assert_eq!(done["event"], "done");
    assert_eq!(done["status"], "complete");
    assert_eq!(done["report"]["route"]["provider"], "compat");
    assert_eq!(done["report"]["route"]["model"], "echo-model");
    assert_eq!(done["report"]["route"]["tier"], "voice");
    assert_eq!(done["report"]["usage"]["output"], 3);
    let cost = done["report"]["cost_usd"].as_f64().unwrap();
    assert!(
        (cost - (20.0 * 1000.0 + 3.0 * 2000.0) / 1e6).abs() < 1e-9,
        "{cost}"
    );
    let conversation = frames[0]["conversation_id"].as_i64().unwrap();

    // The same question again in a new conversation comes from the cache; numeric ids
    // are echoed as numbers.
    socket
        .send(Message::text(
            json!({"id": 2, "type": "chat.send", "message": "world the hello"}).to_string(),
        ))
        .await
        .unwrap();
    let again = chat_frames(&mut socket, 2).await;
    let done = again.last().unwrap();
    assert_eq!(done["report"]["route"]["cached"], true, "{done}");
    assert_eq!(done["id"], 2);

    // Stop a long answer midway: it ends as cancelled with what came so far.
    socket
        .send(Message::text(json!({"id": "slow", "type": "chat.send", "message": "a slow one", "conversation_id": conversation}).to_string()))
        .await
        .unwrap();
    let mut deltas = 0;
    loop {
        let Message::Text(text) = socket.next().await.unwrap().unwrap() else {
            continue;
        };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["type"] == "chat" && v["event"] == "delta" {
            deltas += 1;
            if deltas == 3 {
                break;
            }
        }
    }
    socket
        .send(Message::text(
            json!({"id": "s", "type": "chat.stop", "chat_id": "slow"}).to_string(),
        ))
        .await
        .unwrap();
    let rest = chat_frames(&mut socket, "slow").await;
    let end = rest.last().unwrap();
    assert_eq!(end["event"], "done", "{end}");
    assert_eq!(end["status"], "cancelled");
    assert!(
        rest.iter().filter(|f| f["event"] == "delta").count() < 150,
        "stopped early"
    );

    let detail = server
        .get_json(&format!("/api/conversations/{conversation}"))
        .await;
    let messages = detail["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4, "{detail}");
    assert_eq!(messages[1]["content"].as_str().unwrap().trim(), "hello the world");
    assert_eq!(messages[1]["model"], "echo-model");
    assert_eq!(messages[3]["status"], "cancelled");

    let budget = server.get_json("/api/budget").await;
    assert_eq!(budget["day"]["cache_hits"], 1, "{budget}");
    assert!(budget["day"]["spent_usd"].as_f64().unwrap() > 0.0);
    assert!(budget["cache_hit_rate"].as_f64().unwrap() > 0.0);
    let routes = server.get_json("/api/llm/routes").await;
    assert_eq!(routes["tiers"][1]["provider"], "compat", "{routes}");

    let metrics = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"mira_llm_route_decisions_total{tier="voice",provider="compat",model="echo-model",cached="false"} 2"#),
        "{metrics}"
    );

    // A malformed chat request gets an error frame, and the session goes on.
    socket
        .send(Message::text(
            json!({"id": "bad", "type": "chat.send"}).to_string(),
        ))
        .await
        .unwrap();
    let reply = crate::websocket::next_reply(&mut socket).await;
    assert_eq!(reply["type"], "error");
    assert!(reply["message"].as_str().unwrap().contains("message"), "{reply}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ask_streams_to_the_terminal_and_budget_reports_it() {
    let model = model_server().await;
    let dirs = Dirs::new();
    let env = env(&model);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dirs_ref = &dirs;
    let output = tokio::task::block_in_place(|| run(dirs_ref, &["ask", "tests", "the", "run"], &env_refs));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "run the tests");
    let footer = String::from_utf8_lossy(&output.stderr);
    assert!(
        footer.contains("voice | compat echo-model | 20 in / 3 out tokens"),
        "{footer}"
    );

    let json =
        tokio::task::block_in_place(|| run(dirs_ref, &["ask", "--json", "tests", "the", "run"], &env_refs));
    let v = stdout_json(&json);
    assert_eq!(v["text"].as_str().unwrap().trim(), "run the tests");
    assert_eq!(v["report"]["route"]["cached"], true);

    let budget = stdout_json(&tokio::task::block_in_place(|| {
        run(dirs_ref, &["budget", "--json"], &env_refs)
    }));
    assert_eq!(budget["day"]["calls"], 2);
    assert_eq!(budget["day"]["cache_hits"], 1);
    assert_eq!(budget["cache"]["entries"], 1);
    let text = tokio::task::block_in_place(|| run(dirs_ref, &["budget"], &env_refs));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Today") && text.contains("50% hit rate"), "{text}");

    // With no provider at all the answer is a clear error, not a crash.
    let none = tokio::task::block_in_place(|| run(dirs_ref, &["ask", "hello"], &[]));
    assert!(!none.status.success());
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(err.contains("OPENAI_API_KEY"), "{err}");
}
