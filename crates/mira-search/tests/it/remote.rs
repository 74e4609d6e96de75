//! A remote embedder (MIRA_EMBEDDER=compat, OpenAI's wire format) against a local server
//! that answers like one: vectors of the asked dimension, checked on every request.

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

fn config(dir: &std::path::Path, vars: &[(&str, &str)]) -> mira_core::Config {
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

    let r = ix.search("password stored hash", Mode::Dense).await;
    assert_eq!(r.mode, Mode::Dense);
    assert_eq!(r.embedder.as_deref(), Some("compat:test-embed"));
    assert!(
        symbols(&r.results)
            .iter()
            .take(3)
            .any(|s| s == "crate::auth::verify_password"),
        "{:?}",
        symbols(&r.results)
    );
}

#[tokio::test]
async fn a_provider_without_its_key_leaves_search_on_keywords_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        &[("MIRA_EMBEDDER", "openai"), ("MIRA_EMBED_DIM", "8")],
    );
    let err = mira_search::embedder::from_config(&c)
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
