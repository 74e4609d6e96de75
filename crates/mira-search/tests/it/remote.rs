//! A remote embedder (MIRA_EMBEDDER=compat, OpenAI's wire format; MIRA_EMBEDDER=gemini,
//! Gemini's `:batchEmbedContents`) against a local server that answers like one: vectors
//! of the asked dimension, checked on every request. Its calls go through the gateway:
//! recorded in the budget, refused past a limit, answered from the embedding cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use mira_search::query::Mode;
use serde_json::{Value, json};

use crate::common::{Indexed, symbols};

const DIM: usize = 8;

/// A bag-of-words vector: texts that share words point the same way.
fn vector(text: &str) -> Vec<f32> {
    let mut v = vec![0.0f32; DIM];
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2) {
        let h = word
            .to_lowercase()
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        v[(h % DIM as u32) as usize] += 1.0;
    }
    v[0] += 0.01;
    v
}

type Seen = Arc<Mutex<Vec<Value>>>;

async fn embeddings(State(seen): State<Seen>, Json(body): Json<Value>) -> Json<Value> {
    seen.lock().unwrap().push(body.clone());
    let data: Vec<Value> = body["input"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector(t.as_str().unwrap())}))
        .collect();
    Json(json!({"object": "list", "data": data, "usage": {"prompt_tokens": 1, "total_tokens": 1}}))
}

async fn start() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/v1/embeddings", post(embeddings))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

pub fn config(dir: &std::path::Path, vars: &[(&str, &str)]) -> mira_core::Config {
    let mut env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    env.insert("MIRA_DATA_DIR".into(), dir.display().to_string());
    mira_core::Config::from_sources(&mira_core::config::Sources {
        env,
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test]
async fn a_provider_embedder_fills_dense_vectors_of_the_configured_dimension() {
    let (url, seen) = start().await;
    let ix = Indexed::build(
        |dir| {
            let c = config(
                dir,
                &[
                    ("MIRA_EMBEDDER", "compat"),
                    ("MIRA_EMBEDDER_MODEL", "test-embed"),
                    ("OPENAI_BASE_URL", &url),
                    ("MIRA_EMBED_DIM", "8"),
                ],
            );
            (Arc::new(c), DIM)
        },
        None,
    )
    .await;
    let embedder = ix.service.embedder().await.unwrap();
    assert_eq!(embedder.name(), "compat:test-embed");
    let requests = seen.lock().unwrap().clone();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(r["model"], "test-embed");
        assert_eq!(r["dimensions"], 8);
    }
    let status = mira_search::index::status(ix.service.db(), ix.project.id)
        .await
        .unwrap();
    let code = status.iter().find(|s| s.collection == "code").unwrap();
    assert_eq!(code.dense, code.chunks, "{status:?}");

    let r = finds_the_password_check_by_meaning(&ix).await;
    assert_eq!(r.embedder.as_deref(), Some("compat:test-embed"));
}

/// A dense query in other words than the code's finds the function it describes.
async fn finds_the_password_check_by_meaning(ix: &Indexed) -> mira_search::query::SearchResponse {
    let r = ix.search("password stored hash", Mode::Dense).await;
    assert_eq!(r.mode, Mode::Dense);
    assert!(
        symbols(&r.results)
            .iter()
            .take(3)
            .any(|s| s == "crate::auth::verify_password"),
        "{:?}",
        symbols(&r.results)
    );
    r
}

#[tokio::test]
async fn a_provider_without_its_key_leaves_search_on_keywords_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        &[("MIRA_EMBEDDER", "openai"), ("MIRA_EMBED_DIM", "8")],
    );
    let db = mira_store::Db::open(&dir.path().join("mira.db")).await.unwrap();
    let local = Arc::new(mira_llm::providers::local::Local::unavailable("not used"));
    let gateway = mira_llm::setup::gateway(&c, &db, local).await.unwrap();
    let err = mira_search::embedder::from_config(&c, Some(&gateway))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("MIRA_EMBEDDER=openai") && err.contains("OPENAI_API_KEY"),
        "{err}"
    );

    let ix = Indexed::build(
        |dir| {
            (
                Arc::new(config(
                    dir,
                    &[("MIRA_EMBEDDER", "openai"), ("MIRA_EMBED_DIM", "8")],
                )),
                DIM,
            )
        },
        None,
    )
    .await;
    let r = ix.search("verify_password", Mode::Hybrid).await;
    assert_eq!(r.mode, Mode::Keyword);
    assert!(
        r.notice.as_deref().is_some_and(|n| n.contains("no embedder")),
        "{:?}",
        r.notice
    );
    assert_eq!(
        symbols(&r.results).first().map(String::as_str),
        Some("crate::auth::verify_password")
    );
}

/// Gemini's `POST /v1beta/models/{model}:batchEmbedContents`: a vector per request, no
/// token count (Gemini reports none for embeddings).
async fn gemini_embeddings(State(seen): State<Seen>, request: axum::extract::Request) -> Json<Value> {
    let path = request.uri().path().to_string();
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 24).await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(path, "/v1beta/models/gemini-embedding-001:batchEmbedContents");
    seen.lock().unwrap().push(body.clone());
    let embeddings: Vec<Value> = body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["outputDimensionality"], DIM);
            json!({"values": vector(r["content"]["parts"][0]["text"].as_str().unwrap())})
        })
        .collect();
    Json(json!({ "embeddings": embeddings }))
}

async fn start_gemini() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .fallback(gemini_embeddings)
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1beta", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// Gemini at $1 per million tokens (so costs are token counts in millionths) and the
/// given daily limit.
fn gemini_config(dir: &std::path::Path, url: &str, daily_limit: &str) -> mira_core::Config {
    config(
        dir,
        &[
            ("MIRA_EMBEDDER", "gemini"),
            ("GEMINI_API_KEY", "g-test"),
            ("GEMINI_BASE_URL", url),
            ("MIRA_EMBED_DIM", "8"),
            ("LLM_PRICES", "gemini-embedding-001=1:0"),
            ("BUDGET_DAILY_LIMIT_USD", daily_limit),
            ("BUDGET_MONTHLY_LIMIT_USD", "1000"),
        ],
    )
}

/// (calls, tokens, cost, hits) of the embedding rows in `budget_tracking`.
async fn embed_rows(db: &mira_store::Db) -> (i64, i64, f64, i64) {
    sqlx::query_as(
        "SELECT COUNT(*), TOTAL(input_tokens), TOTAL(cost_usd), TOTAL(cache_hit) FROM budget_tracking
         WHERE operation = 'embed' AND provider = 'gemini' AND model = 'gemini-embedding-001'",
    )
    .fetch_one(db.pool())
    .await
    .map(|(calls, tokens, cost, hits): (i64, f64, f64, f64)| (calls, tokens as i64, cost, hits as i64))
    .unwrap()
}

#[tokio::test]
async fn indexing_with_a_provider_embedder_is_in_the_budget_and_not_paid_twice() {
    let (url, seen) = start_gemini().await;
    let ix = Indexed::build(|dir| (Arc::new(gemini_config(dir, &url, "1000")), DIM), None).await;
    let requests = seen.lock().unwrap().len();
    assert!(requests > 0);
    let status = mira_search::index::status(ix.service.db(), ix.project.id)
        .await
        .unwrap();
    let code = status.iter().find(|s| s.collection == "code").unwrap();
    assert_eq!(code.dense, code.chunks, "{status:?}");

    let budget = ix.gateway.budget.status().await.unwrap();
    let (calls, tokens, cost, hits) = embed_rows(&ix.db).await;
    // A row per request, and one per batch answered from the cache (texts repeated
    // across batches).
    assert_eq!((calls - hits) as usize, requests);
    assert!(tokens > 0);
    // Gemini counts no tokens: the estimate is settled, at $1 per million.
    assert!((cost - tokens as f64 / 1e6).abs() < 1e-12, "{cost} for {tokens}");
    assert!((budget.day.spent_usd - cost).abs() < 1e-12, "{budget:?}");

    // The index is rebuilt (every chunk waits for its vector again): the vectors come
    // from the embedding cache, and nothing is paid.
    sqlx::query("UPDATE search_chunks SET embedded_hash = NULL WHERE collection = 'code'")
        .execute(ix.db.pool())
        .await
        .unwrap();
    let again = ix.embed().await;
    assert_eq!(again.embedded, code.chunks as usize);
    assert_eq!(
        seen.lock().unwrap().len(),
        requests,
        "no request for cached texts"
    );
    let after = ix.gateway.budget.status().await.unwrap();
    assert!((after.day.spent_usd - budget.day.spent_usd).abs() < 1e-12);
    assert!(after.day.cache_hits >= 1, "{after:?}");
    assert!(after.day.saved_usd > 0.0);
    finds_the_password_check_by_meaning(&ix).await;
}

#[tokio::test]
async fn a_budget_refusal_while_embedding_leaves_search_on_keywords_with_the_reason() {
    let (url, seen) = start_gemini().await;
    let ix = Indexed::build(|dir| (Arc::new(gemini_config(dir, &url, "1000")), DIM), None).await;
    let dense_before = mira_search::index::status(ix.service.db(), ix.project.id)
        .await
        .unwrap()
        .iter()
        .find(|s| s.collection == "code")
        .unwrap()
        .dense;
    let spent = ix.gateway.budget.status().await.unwrap().day.spent_usd;
    // Its lease given back, as at exit: another process now runs with a daily limit
    // one token above what was spent.
    ix.gateway.flush().await;
    let requests = seen.lock().unwrap().len();
    let dir = ix._dir.path();
    let tight = Arc::new(gemini_config(dir, &url, &format!("{}", spent + 1e-6)));
    let local = Arc::new(mira_llm::providers::local::Local::unavailable("not used"));
    let gateway = mira_llm::setup::gateway(&tight, &ix.db, local).await.unwrap();
    let service = mira_search::service::SearchService::new(tight, ix.db.clone(), ix.service.store().clone())
        .with_gateway(gateway.clone());

    std::fs::write(
        ix.root.join("src/audit.rs"),
        "/// Writes every login attempt to the audit trail with its time and outcome.\npub fn record_login_attempt(user: &str, ok: bool) {\n    println!(\"{user} {ok}\");\n}\n",
    )
    .unwrap();
    mira_code::index::index_project(&ix.db, &ix.project, Arc::new(|_, _| {}))
        .await
        .unwrap();
    service
        .index_project(&ix.project, Arc::new(|_, _| {}))
        .await
        .unwrap();
    let err = service
        .fill_dense(
            ix.project.id,
            Arc::new(|_, _| {}),
            &tokio_util::sync::CancellationToken::new(),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("daily limit") && err.contains("BUDGET_DAILY_LIMIT_USD"),
        "{err}"
    );
    assert_eq!(seen.lock().unwrap().len(), requests, "refused before any request");
    let why = service.dense_problem().unwrap();
    assert!(why.contains("BUDGET_DAILY_LIMIT_USD"), "{why}");

    // Nothing embedded before is lost; the new chunks wait, and are found by keyword.
    let status = mira_search::index::status(&ix.db, ix.project.id).await.unwrap();
    let code = status.iter().find(|s| s.collection == "code").unwrap();
    assert_eq!(code.dense, dense_before, "{status:?}");
    assert!(code.chunks > code.dense);
    let mut request = mira_search::query::SearchRequest::new(ix.project.id, "record_login_attempt");
    request.mode = Mode::Hybrid;
    let r = service.search(&request).await.unwrap();
    assert_eq!(
        symbols(&r.results).first().map(String::as_str),
        Some("crate::audit::record_login_attempt"),
        "{:?}",
        symbols(&r.results)
    );
    let notice = r.notice.unwrap_or_default();
    assert!(notice.contains("BUDGET_DAILY_LIMIT_USD"), "{notice}");
    let after = gateway.budget.status().await.unwrap();
    assert!((after.day.spent_usd - spent).abs() < 1e-12, "{after:?}");
}
