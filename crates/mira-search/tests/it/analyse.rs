//! `mira analyze` against a local server speaking OpenAI's chat-completions wire format:
//! it labels each symbol it is sent (an LLM-only concept, "cartography", for the
//! haversine function), or answers with broken JSON for a chosen symbol. The labels land
//! in `semantic_nodes` and the concept index, where concept search finds them.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::post;
use mira_search::analyse::{AnalyseOptions, AnalyseReport, analyse};
use mira_search::concepts;
use mira_search::query::Mode;
use serde_json::{Value, json};

use crate::common::{DIM, Indexed, embedder, symbols};
use crate::remote::config;

#[derive(Default)]
struct Model {
    /// The user messages received.
    seen: Vec<Value>,
    /// A symbol whose batch gets an unreadable answer.
    broken_for: Option<String>,
}

type Shared = Arc<Mutex<Model>>;

fn label(symbol: &str) -> Value {
    let concepts = if symbol.ends_with("haversine") {
        json!(["cartography", "math"])
    } else {
        json!(["plumbing"])
    };
    json!({"purpose": format!("Does what {symbol} says."), "concepts": concepts, "domain": "fixture"})
}

fn sse(text: &str) -> String {
    let events = [
        json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]}),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
        json!({"choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 20}}),
    ];
    let mut out: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    out.push_str("data: [DONE]\n\n");
    out
}

async fn completions(State(model): State<Shared>, Json(body): Json<Value>) -> impl IntoResponse {
    let user = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "user")
        .unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    let asked: Value = serde_json::from_str(&user).unwrap();
    let mut model = model.lock().unwrap();
    model.seen.push(asked.clone());
    let names: Vec<(u64, String)> = asked["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_u64().unwrap(),
                s["symbol"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let broken = model
        .broken_for
        .as_ref()
        .is_some_and(|b| names.iter().any(|(_, n)| n == b));
    let text = if broken {
        "Sure! {\"symbols\": [{\"id\": 0, \"purpose\": ".to_string()
    } else {
        let entries: Vec<Value> = names
            .iter()
            .map(|(id, n)| {
                let mut l = label(n);
                l["id"] = json!(id);
                l
            })
            .collect();
        format!("```json\n{}\n```", json!({ "symbols": entries }))
    };
    ([("content-type", "text/event-stream")], sse(&text))
}

async fn start(model: Shared) -> String {
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(completions))
        .with_state(model);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn fixture(model: Shared) -> Indexed {
    let url = start(model).await;
    Indexed::build(
        |dir| {
            let c = config(
                dir,
                &[("MODEL_FAST", "compat:test-fast"), ("OPENAI_BASE_URL", &url)],
            );
            (Arc::new(c), DIM)
        },
        Some(embedder()),
    )
    .await
}

async fn run(ix: &Indexed, options: AnalyseOptions) -> AnalyseReport {
    let report = analyse(&ix.db, &ix.gateway, &ix.project, &options, Arc::new(|_, _| {}))
        .await
        .unwrap();
    ix.gateway.flush().await;
    report
}

fn sent_symbols(model: &Shared) -> Vec<String> {
    model
        .lock()
        .unwrap()
        .seen
        .iter()
        .flat_map(|m| m["symbols"].as_array().unwrap().clone())
        .map(|s| s["symbol"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn analysis_labels_symbols_that_concept_search_then_finds_and_skips_them_when_unchanged() {
    let model: Shared = Arc::default();
    let ix = fixture(model.clone()).await;
    let rules = ix.service.rules().await.unwrap();
    let before = concepts::symbols_with(&ix.db, &rules, ix.project.id, "database")
        .await
        .unwrap();
    assert!(!before.is_empty(), "the fixture has rule concepts");

    let report = run(&ix, AnalyseOptions::default()).await;
    assert!(report.analysed >= 5, "{report:?}");
    assert_eq!((report.failed, report.unchanged), (0, 0), "{report:?}");
    assert_eq!(report.analysed, report.symbols);
    assert_eq!(report.input_tokens, 100 * report.requests as u64);
    assert_eq!(report.output_tokens, 20 * report.requests as u64);
    let sent = sent_symbols(&model);
    assert!(sent.contains(&"app.geo.haversine".to_string()), "{sent:?}");
    assert!(sent.iter().all(|s| !s.contains("test")), "{sent:?}");

    let (purpose, stored, domain, node_model): (String, String, String, String) = sqlx::query_as(
        "SELECT purpose, concepts, domain, model FROM semantic_nodes WHERE project_id = ? AND symbol = 'app.geo.haversine'",
    )
    .bind(ix.project.id)
    .fetch_one(ix.db.pool())
    .await
    .unwrap();
    assert_eq!(purpose, "Does what app.geo.haversine says.");
    assert_eq!(stored, r#"["cartography","math"]"#);
    assert_eq!(domain, "fixture");
    assert_eq!(node_model, "compat:test-fast");

    // `mira concepts show cartography`: only the model gave that concept.
    let tagged = concepts::symbols_with(&ix.db, &rules, ix.project.id, "cartography")
        .await
        .unwrap();
    assert_eq!(
        tagged
            .iter()
            .map(|t| (t.symbol.as_str(), t.source.as_str()))
            .collect::<Vec<_>>(),
        [("app.geo.haversine", "llm")]
    );
    // Rule rows are kept beside the model's.
    let after = concepts::symbols_with(&ix.db, &rules, ix.project.id, "database")
        .await
        .unwrap();
    for t in &before {
        assert!(after.contains(t), "{t:?} lost");
    }

    // The calls are in the budget as `analyse`.
    let ops: Vec<(String, i64)> =
        sqlx::query_as("SELECT operation, COUNT(*) FROM budget_tracking GROUP BY operation")
            .fetch_all(ix.db.pool())
            .await
            .unwrap();
    assert_eq!(ops, [("analyse".to_string(), report.requests as i64)]);

    // The next search index carries the new tags into the vector store's payload (the
    // keyword vectors of unchanged chunks stay), and a hybrid query that names the
    // concept finds the symbol through the concept filter.
    let summary = ix.reindex().await;
    assert_eq!(summary.chunks_written, 0, "same text, same vectors: {summary:?}");
    assert!(summary.chunks_moved > 0, "{summary:?}");
    let r = ix.search("cartography", Mode::Hybrid).await;
    assert_eq!(r.concepts, ["cartography"]);
    assert_eq!(
        symbols(&r.results).first().map(String::as_str),
        Some("app.geo.haversine")
    );
    assert!(r.results[0].concepts.contains(&"cartography".to_string()));

    // Nothing changed: nothing is sent again.
    let requests = model.lock().unwrap().seen.len();
    let again = run(&ix, AnalyseOptions::default()).await;
    assert_eq!(again.unchanged, report.analysed, "{again:?}");
    assert_eq!((again.analysed, again.requests), (0, 0), "{again:?}");
    assert_eq!(model.lock().unwrap().seen.len(), requests);

    // A changed function is sent again, alone; its concepts are replaced.
    let geo = ix.root.join("app/geo.py");
    let text = std::fs::read_to_string(&geo).unwrap();
    std::fs::write(&geo, text.replace("return 2 * r *", "return 2.0 * r *")).unwrap();
    ix.reindex().await;
    let third = run(&ix, AnalyseOptions::default()).await;
    assert_eq!(third.analysed, 1, "{third:?}");
    assert_eq!(
        sent_symbols(&model).last().map(String::as_str),
        Some("app.geo.haversine")
    );
    let tagged = concepts::symbols_with(&ix.db, &rules, ix.project.id, "cartography")
        .await
        .unwrap();
    assert_eq!(tagged.len(), 1);
}

#[tokio::test]
async fn an_unreadable_answer_skips_its_batch_and_keeps_the_others() {
    let model: Shared = Arc::new(Mutex::new(Model {
        broken_for: Some("crate::auth::verify_password".into()),
        ..Default::default()
    }));
    let ix = fixture(model.clone()).await;
    let report = run(&ix, AnalyseOptions { limit: 100, batch: 1 }).await;
    assert_eq!((report.failed, report.failed_batches), (1, 1), "{report:?}");
    assert_eq!(report.analysed, report.symbols - 1);
    assert!(
        report.error.as_deref().unwrap().contains("not the JSON"),
        "{report:?}"
    );
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT symbol FROM semantic_nodes WHERE project_id = ? ORDER BY symbol")
            .bind(ix.project.id)
            .fetch_all(ix.db.pool())
            .await
            .unwrap();
    assert_eq!(stored.len(), report.analysed);
    assert!(!stored.contains(&"crate::auth::verify_password".to_string()));
    assert!(stored.contains(&"app.geo.haversine".to_string()));

    // Fixed model: only the symbol that failed is sent on the next run.
    model.lock().unwrap().broken_for = None;
    let before = model.lock().unwrap().seen.len();
    let again = run(&ix, AnalyseOptions { limit: 100, batch: 1 }).await;
    assert_eq!((again.analysed, again.failed), (1, 0), "{again:?}");
    assert_eq!(model.lock().unwrap().seen.len(), before + 1);
}

#[tokio::test]
async fn a_budget_refusal_stops_the_run_with_its_reason_and_keeps_what_was_written() {
    let model: Shared = Arc::default();
    let ix = fixture(model.clone()).await;
    let first = run(&ix, AnalyseOptions { limit: 2, batch: 8 }).await;
    assert_eq!(first.analysed, 2);

    // A paid fast tier with no budget left: the first call is refused before it is sent.
    let dir = tempfile::tempdir().unwrap();
    let paid = config(
        dir.path(),
        &[
            ("MODEL_FAST", "gemini:gemini-2.5-flash"),
            ("GEMINI_API_KEY", "test-key"),
            ("GEMINI_BASE_URL", "http://127.0.0.1:9/v1beta"),
            ("BUDGET_DAILY_LIMIT_USD", "0"),
        ],
    );
    let local = Arc::new(mira_llm::providers::local::Local::unavailable("not used"));
    let gateway = mira_llm::setup::gateway(&paid, &ix.db, local).await.unwrap();
    let report = analyse(
        &ix.db,
        &gateway,
        &ix.project,
        &AnalyseOptions { limit: 100, batch: 8 },
        Arc::new(|_, _| {}),
    )
    .await
    .unwrap();
    gateway.flush().await;
    assert!(
        report.stopped.as_deref().unwrap().contains("budget"),
        "{report:?}"
    );
    assert_eq!((report.analysed, report.unchanged), (0, 2), "{report:?}");
    let nodes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM semantic_nodes WHERE project_id = ?")
        .bind(ix.project.id)
        .fetch_one(ix.db.pool())
        .await
        .unwrap();
    assert_eq!(nodes, 2);
}
