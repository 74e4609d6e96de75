//! `mira analyze` end to end: a local stand-in for an OpenAI-compatible server labels
//! each symbol it is sent; the labels' concepts are then found by `mira concepts show`,
//! and a second run sends nothing for symbols that did not change.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

use crate::harness::{Dirs, run, stdout_json};

/// Labels every symbol asked about with the concept "salutation" (no rule gives it).
async fn model_server(calls: Arc<AtomicUsize>) -> String {
    async fn complete(
        State(calls): State<Arc<AtomicUsize>>,
        axum::Json(body): axum::Json<Value>,
    ) -> ([(&'static str, &'static str); 1], String) {
        calls.fetch_add(1, Ordering::SeqCst);
        let user = body["messages"][1]["content"].as_str().unwrap();
        let asked: Value = serde_json::from_str(user).unwrap();
        let labels: Vec<Value> = asked["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| json!({"id": s["id"], "purpose": "Says hello.", "concepts": ["salutation"], "domain": "cli"}))
            .collect();
        let text = json!({ "symbols": labels }).to_string();
        let events = [
            json!({"choices": [{"index": 0, "delta": {"content": text}}]}),
            json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
            json!({"choices": [], "usage": {"prompt_tokens": 300, "completion_tokens": 40}}),
        ];
        let body = events
            .iter()
            .map(|e| format!("data: {e}\n\n"))
            .chain(["data: [DONE]\n\n".to_string()])
            .collect();
        ([("content-type", "text/event-stream")], body)
    }
    let app = Router::new()
        .route("/v1/chat/completions", post(complete))
        .with_state(calls);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/v1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_labels_symbols_that_concepts_show_then_finds() {
    let calls = Arc::new(AtomicUsize::new(0));
    let url = model_server(calls.clone()).await;
    let env = [
        ("OPENAI_BASE_URL", url.as_str()),
        ("MODEL_FAST", "compat:label-model"),
        // Priced, so the run has a cost to report.
        ("LLM_PRICES", "label-model=1000:2000"),
    ];
    let dirs = Dirs::new();
    stdout_json(&run(&dirs, &["index", "--no-embed", "--json"], &[]));

    let first = stdout_json(&run(&dirs, &["analyze", "--json"], &env));
    let a = &first["analysis"];
    assert_eq!(a["analysed"], 2, "main and util: {first}");
    assert_eq!(
        (a["failed"].as_u64(), a["unchanged"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(a["input_tokens"], 300);
    assert!(a["cost_usd"].as_f64().unwrap() > 0.0, "{first}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let shown = stdout_json(&run(&dirs, &["concepts", "show", "salutation", "--json"], &[]));
    let mut found: Vec<(String, String)> = shown["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["symbol"].as_str().unwrap().to_string(),
                s["source"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(found.len(), 2, "{shown}");
    assert!(found.iter().all(|(_, source)| source == "llm"), "{shown}");

    let text = run(&dirs, &["analyze"], &env);
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("Analysed 0 symbol(s), 2 unchanged"), "{out}");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "nothing changed, nothing sent");
}
