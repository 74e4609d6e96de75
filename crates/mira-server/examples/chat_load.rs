//! Many chats streaming at once over the WebSocket: starts the real server in-process
//! (temp data dir) with an OpenAI-compatible stand-in model on 127.0.0.1 that streams
//! 50 tokens per answer, opens N WebSocket sessions, sends one `chat.send` on each at
//! the same time, and reports errors, time to first token and total time.
//!
//! `cargo run --release -p mira-server --example chat_load -- [SESSIONS]`

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::post;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn model_server() -> String {
    async fn complete() -> axum::response::Response {
        let mut chunks: Vec<String> = (0..50)
            .map(|i| {
                format!(
                    "data: {}\n\n",
                    json!({"choices": [{"index": 0, "delta": {"content": format!("t{i} ")}}]})
                )
            })
            .collect();
        chunks.push(format!(
            "data: {}\n\n",
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        ));
        chunks.push("data: [DONE]\n\n".into());
        let stream = futures_util::stream::iter(chunks).then(|c| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
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

struct Outcome {
    first_token: Duration,
    total: Duration,
    deltas: usize,
}

async fn one_chat(ws_url: String, token: String, n: usize) -> Result<Outcome, String> {
    let mut request = ws_url.into_client_request().map_err(|e| e.to_string())?;
    let protocols = format!("mira.v1, mira.token.{token}");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        protocols.parse().map_err(|_| "bad header")?,
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    // Distinct questions, so the cache answers none of them.
    let frame =
        json!({"id": "c", "type": "chat.send", "message": format!("question {n}"), "bypass_cache": true});
    socket
        .send(Message::text(frame.to_string()))
        .await
        .map_err(|e| e.to_string())?;
    let mut first_token = None;
    let mut deltas = 0;
    while let Some(message) = socket.next().await {
        let Message::Text(text) = message.map_err(|e| e.to_string())? else {
            continue;
        };
        let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if v["type"] == "error" {
            return Err(v["message"].to_string());
        }
        if v["type"] != "chat" {
            continue;
        }
        match v["event"].as_str() {
            Some("delta") => {
                deltas += 1;
                first_token.get_or_insert_with(|| started.elapsed());
            }
            Some("done") => {
                return Ok(Outcome {
                    first_token: first_token.unwrap_or_default(),
                    total: started.elapsed(),
                    deltas,
                });
            }
            Some("failed") => return Err(v["error"].to_string()),
            _ => {}
        }
    }
    Err("the connection closed before the answer ended".into())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sessions: usize = match std::env::args().nth(1) {
        None => 200,
        Some(n) => n
            .parse()
            .map_err(|_| format!("SESSIONS must be a number, not {n}"))?,
    };
    let dir = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let failed = runtime.block_on(run(sessions, dir.path()))?;
    // The server (and its vector store, which flushes into the data dir) goes first,
    // then the data dir.
    drop(runtime);
    drop(dir);
    if failed {
        // The failures were printed above; the error makes the exit status say so.
        return Err("some chats failed".into());
    }
    Ok(())
}

async fn run(sessions: usize, data: &std::path::Path) -> Result<bool, Box<dyn std::error::Error>> {
    let model = model_server().await;
    let mut env = std::collections::HashMap::new();
    for (k, v) in [
        ("MIRA_DATA_DIR", data.display().to_string()),
        ("MIRA_PORT", "0".into()),
        ("RATE_LIMIT_ENABLED", "false".into()),
        ("TASK_FILE_WATCHER_ENABLED", "false".into()),
        ("OPENAI_BASE_URL", model),
        ("MODEL_VOICE", "compat:load-model".into()),
        ("MIRA_LOG", "warn".into()),
    ] {
        env.insert(k.to_string(), v);
    }
    let config = mira_core::Config::from_sources(&mira_core::config::Sources {
        env,
        ..Default::default()
    })?;
    let server = mira_server::Server::open(config).await?;
    let (url_tx, url_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let _ = server.serve(move |url| drop(url_tx.send(url.to_string()))).await;
    });
    let url = url_rx.await?;
    let (base, token) = url.split_once("/#token=").ok_or("no token in the URL")?;
    let ws_url = format!("{}/ws", base.replacen("http://", "ws://", 1));
    let started = Instant::now();
    let tasks: Vec<_> = (0..sessions)
        .map(|n| tokio::spawn(one_chat(ws_url.clone(), token.to_string(), n)))
        .collect();
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        match t.await? {
            Ok(o) => ok.push(o),
            Err(e) => errors.push(e),
        }
    }
    let wall = started.elapsed();
    let mut first: Vec<Duration> = ok.iter().map(|o| o.first_token).collect();
    let mut total: Vec<Duration> = ok.iter().map(|o| o.total).collect();
    first.sort();
    total.sort();
    println!(
        "{sessions} concurrent streaming chats: {} completed, {} errors, wall {:.2} s",
        ok.len(),
        errors.len(),
        wall.as_secs_f64()
    );
    if !ok.is_empty() {
        println!(
            "first token p50 {:.1} ms p99 {:.1} ms; whole answer p50 {:.1} ms p99 {:.1} ms; {} deltas each",
            pct(&first, 0.5),
            pct(&first, 0.99),
            pct(&total, 0.5),
            pct(&total, 0.99),
            ok[0].deltas
        );
    }
    for e in errors.iter().take(5) {
        println!("error: {e}");
    }
    Ok(!errors.is_empty())
}
