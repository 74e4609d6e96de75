//! The context oracle through the real binary: `mira context`, grounded `mira ask`
//! (the prompt carries the context, the answer lists its sources, an edit to a cited
//! file is never answered from the cache) and grounded chat over the WebSocket.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::routing::post;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{Dirs, Server, run, stdout_json};
use crate::websocket::connect;

const PRICING_PY: &str = "def apply_discount(price, percent):\n    \"\"\"Takes percent off a price.\"\"\"\n    return price * (100 - percent) / 100\n\n\ndef add_tax(price, rate):\n    return price * (1 + rate)\n";

const CHECKOUT_PY: &str = "from pricing import apply_discount, add_tax\n\n\ndef checkout(cart):\n    total = sum(apply_discount(p, 10) for p in cart)\n    return add_tax(total, 0.2)\n";

fn project(dirs: &Dirs) {
    std::fs::write(dirs.project().join("pricing.py"), PRICING_PY).unwrap();
    std::fs::write(dirs.project().join("checkout.py"), CHECKOUT_PY).unwrap();
}

/// One whole answer in the Chat Completions streaming format: the text, the stop, the
/// usage, `[DONE]`.
pub(crate) fn streamed_answer(
    text: &str,
    prompt_tokens: u64,
    completion_tokens: u64,
) -> axum::response::Response {
    let chunks = vec![
        format!(
            "data: {}\n\n",
            json!({"choices": [{"index": 0, "delta": {"content": text}}]})
        ),
        format!(
            "data: {}\n\n",
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        ),
        format!(
            "data: {}\n\n",
            json!({"choices": [], "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}})
        ),
        "data: [DONE]\n\n".to_string(),
    ];
    let stream = futures_util::stream::iter(chunks).map(|c| Ok::<_, std::io::Error>(Bytes::from(c)));
    axum::response::Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}

/// Serves `app` on 127.0.0.1 and an ephemeral port; returns its `/v1` base URL.
pub(crate) async fn serve_model(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

/// A model server (OpenAI wire format) that keeps the system message of every request
/// and answers "It is in pricing.py [1]."
pub(crate) async fn recording_model() -> (String, Arc<Mutex<Vec<String>>>) {
    async fn complete(
        State(seen): State<Arc<Mutex<Vec<String>>>>,
        axum::Json(body): axum::Json<Value>,
    ) -> axum::response::Response {
        let system = body["messages"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        seen.lock().unwrap().push(system);
        streamed_answer("It is in pricing.py [1].", 300, 8)
    }
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(complete))
        .with_state(seen.clone());
    (serve_model(app).await, seen)
}

pub(crate) fn env(model_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("OPENAI_BASE_URL", model_url.to_string()),
        ("MODEL_FAST", "compat:echo-model".into()),
        ("MODEL_VOICE", "compat:echo-model".into()),
        ("MODEL_THINKER", "compat:echo-model".into()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn context_ranks_files_and_prints_json_prompt_and_errors() {
    let dirs = Dirs::new();
    project(&dirs);
    let d = &dirs;
    let index = tokio::task::block_in_place(|| run(d, &["index", "--no-embed", "--json"], &[]));
    stdout_json(&index);
    let out = tokio::task::block_in_place(|| {
        run(
            d,
            &[
                "context",
                "why is apply_discount wrong for 100 percent?",
                "--json",
            ],
            &[],
        )
    });
    let v = stdout_json(&out);
    assert_eq!(v["files"][0]["path"], "pricing.py", "{v:#}");
    assert!(
        v["files"][0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("apply_discount"))
    );
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    let def = items
        .iter()
        .find(|i| i["text"].as_str().unwrap().contains("def apply_discount"))
        .unwrap_or_else(|| panic!("no definition item in {v:#}"));
    assert_eq!(def["path"], "pricing.py");
    assert_eq!(def["citation"], "pricing.py:1-3");
    assert!(v["tokens"].as_u64().unwrap() <= v["budget"].as_u64().unwrap());
    for key in ["config", "dropped_sources"] {
        assert!(v.get(key).is_some(), "{key} missing");
    }

    let prompt = tokio::task::block_in_place(|| {
        run(
            d,
            &["context", "apply_discount", "--prompt", "--tokens", "500"],
            &[],
        )
    });
    assert!(prompt.status.success());
    let text = String::from_utf8_lossy(&prompt.stdout);
    assert!(text.contains("pricing.py:1-3 ("), "{text}");
    assert!(text.contains("```python\ndef apply_discount"), "{text}");

    let human = tokio::task::block_in_place(|| {
        run(
            d,
            &["context", "who calls add_tax?", "--file", "checkout.py"],
            &[],
        )
    });
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("Files, best first:") && text.contains("checkout.py"),
        "{text}"
    );

    let empty = tokio::task::block_in_place(|| run(d, &["context", "  "], &[]));
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("the task is empty"));
    let bad = tokio::task::block_in_place(|| {
        run(
            d,
            &["context", "x", "--file", "pricing.py", "--lines", "9-2"],
            &[],
        )
    });
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a line range"));
}

#[tokio::test(flavor = "multi_thread")]
async fn ask_is_grounded_cites_its_sources_and_an_edit_misses_the_cache() {
    let (model, seen) = recording_model().await;
    let dirs = Dirs::new();
    project(&dirs);
    let env = env(&model);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let d = &dirs;
    stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["index", "--no-embed", "--json"], &env_refs)
    }));

    let question = ["ask", "--json", "where", "is", "apply_discount", "defined?"];
    let v = stdout_json(&tokio::task::block_in_place(|| run(d, &question, &env_refs)));
    assert_eq!(v["text"], "It is in pricing.py [1].");
    assert_eq!(v["context"]["files"][0]["path"], "pricing.py", "{v:#}");
    assert_eq!(v["report"]["route"]["cached"], false);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(seen[0].contains("Context from the user's project"), "{}", seen[0]);
        assert!(seen[0].contains("pricing.py:1-3"), "{}", seen[0]);
        assert!(seen[0].contains("def apply_discount"), "{}", seen[0]);
    }
    // The terminal answer lists the sources it cited.
    let text = tokio::task::block_in_place(|| {
        run(
            d,
            &["ask", "where", "is", "apply_discount", "defined?"],
            &env_refs,
        )
    });
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("Sources:\n  [1] "), "{out}");
    // Same question, same files: answered from the cache.
    assert_eq!(seen.lock().unwrap().len(), 1);

    // An edit to the cited file changes the context, so the model is asked again.
    std::fs::write(
        d.project().join("pricing.py"),
        PRICING_PY.replace("(100 - percent) / 100", "(1 - percent / 100)"),
    )
    .unwrap();
    stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["index", "--no-embed", "--json"], &env_refs)
    }));
    let v = stdout_json(&tokio::task::block_in_place(|| run(d, &question, &env_refs)));
    assert_eq!(v["report"]["route"]["cached"], false);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert!(seen[1].contains("(1 - percent / 100)"), "{}", seen[1]);
    }

    // --no-context sends no project context.
    let v = stdout_json(&tokio::task::block_in_place(|| {
        run(
            d,
            &[
                "ask",
                "--json",
                "--no-context",
                "--no-cache",
                "where",
                "is",
                "apply_discount?",
            ],
            &env_refs,
        )
    }));
    assert!(v.get("context").is_none());
    let seen = seen.lock().unwrap();
    assert!(!seen.last().unwrap().contains("Context from the user's project"));
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_over_the_websocket_streams_its_context_and_stores_it() {
    let (model, seen) = recording_model().await;
    let dirs = Dirs::new();
    project(&dirs);
    let env = env(&model);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let d = &dirs;
    stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["index", "--no-embed", "--json"], &env_refs)
    }));
    let server = Server::start(&dirs, &env_refs);
    let projects = server.get_json("/api/projects").await;
    let project_id = projects["projects"][0]["id"].as_i64().unwrap();
    let mut socket = connect(&server).await;
    let send = json!({"id": "g1", "type": "chat.send", "project_id": project_id,
        "message": "what does add_tax do?", "file": "checkout.py", "selection": {"start_line": 4, "end_line": 6}});
    socket.send(Message::text(send.to_string())).await.unwrap();
    let mut frames = Vec::new();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let Message::Text(text) = message else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["type"] == "chat" && v["id"] == "g1" {
            let end = v["event"] == "done" || v["event"] == "failed";
            frames.push(v);
            if end {
                break;
            }
        }
    }
    let events: Vec<&str> = frames.iter().map(|f| f["event"].as_str().unwrap()).collect();
    assert_eq!(&events[..3], &["started", "context", "routed"], "{frames:?}");
    let context = &frames[1]["context"];
    assert_eq!(context["items"][0]["source"], "open", "{context:#}");
    assert_eq!(context["items"][0]["citation"], "checkout.py:4-6");
    assert!(seen.lock().unwrap()[0].contains("def checkout(cart)"));
    // The stored answer keeps its context for a reloaded conversation.
    let conversation = frames[0]["conversation_id"].as_i64().unwrap();
    let stored = server
        .get_json(&format!("/api/conversations/{conversation}"))
        .await;
    let answer = stored["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "assistant")
        .unwrap()
        .clone();
    assert_eq!(
        answer["context"]["items"][0]["citation"], "checkout.py:4-6",
        "{answer:#}"
    );

    // The same over HTTP and the WebSocket's context.gather.
    let http = server
        .client()
        .post(server.url(&format!("/api/projects/{project_id}/context")))
        .bearer_auth(&server.token)
        .json(&json!({"task": "who calls apply_discount?"}))
        .send()
        .await
        .unwrap();
    assert!(http.status().is_success());
    let http: Value = http.json().await.unwrap();
    assert_eq!(http["files"][0]["path"], "pricing.py", "{http:#}");
    socket
        .send(Message::text(json!({"id": "x1", "type": "context.gather", "project_id": project_id, "task": "apply_discount", "file": "../outside.py"}).to_string()))
        .await
        .unwrap();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let Message::Text(text) = message else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["id"] == "x1" {
            assert_eq!(v["type"], "error");
            assert_eq!(v["code"], "forbidden", "{v}");
            break;
        }
    }
}
