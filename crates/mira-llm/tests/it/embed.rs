//! `Gateway::embed` through the real SQLite, against local servers that speak OpenAI's
//! `POST /embeddings` and Gemini's `:batchEmbedContents`.

use mira_llm::budget::Limits;
use mira_llm::{EmbedOptions, EmbedRequest, EmbedTask, LlmError};
use serde_json::{Value, json};

use crate::harness::{Options, gateway, setup, url};
use crate::server::{Reply, Scripted};

/// OpenAI's answer: one 2-dimension vector per text and the tokens it counted.
fn openai_vectors(n: usize, prompt_tokens: u64) -> Reply {
    let data: Vec<Value> = (0..n)
        .map(|i| json!({"object": "embedding", "index": i, "embedding": [i as f64, 1.0]}))
        .collect();
    Reply::Json(
        200,
        json!({"object": "list", "data": data, "model": "m",
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}}),
    )
}

fn texts(words: &[&str]) -> EmbedRequest {
    EmbedRequest {
        model: "text-embedding-3-small".into(),
        texts: words.iter().map(|w| w.to_string()).collect(),
        dimensions: Some(2),
        task: EmbedTask::Document,
    }
}

/// The `budget_tracking` rows of embed calls: (provider, model, status, input tokens,
/// cost, cache hit, saved).
async fn rows(db: &mira_store::Db) -> Vec<(String, String, String, i64, f64, i64, f64)> {
    sqlx::query_as(
        "SELECT provider, model, status, input_tokens, cost_usd, cache_hit, saved_usd
         FROM budget_tracking WHERE operation = 'embed' ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn an_embed_call_is_recorded_with_the_tokens_and_cost_the_provider_reports() {
    let server = Scripted::start(vec![openai_vectors(2, 1200)]).await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        ..Options::default()
    })
    .await;
    let (out, report) = s
        .gateway
        .embed(
            "openai",
            texts(&["fn parse()", "struct Lexer"]),
            EmbedOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(out.vectors, vec![vec![0.0, 1.0], vec![1.0, 1.0]]);
    assert_eq!(out.input_tokens, Some(1200));
    let cost = 1200.0 * 0.02 / 1e6;
    assert!((report.cost_usd - cost).abs() < 1e-15, "{report:?}");
    assert_eq!((report.fetched, report.cached), (2, 0));
    assert!(report.usage_reported);

    let sent = server.request(0);
    assert_eq!(sent.path, "/v1/embeddings");
    assert_eq!(sent.body["model"], "text-embedding-3-small");
    assert_eq!(sent.body["input"], json!(["fn parse()", "struct Lexer"]));
    assert_eq!(sent.body["dimensions"], 2);

    let status = s.gateway.budget.status().await.unwrap();
    let recorded = rows(&s.db).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let (provider, model, state, tokens, cost_usd, hit, _) = &recorded[0];
    assert_eq!(
        (provider.as_str(), model.as_str(), state.as_str()),
        ("openai", "text-embedding-3-small", "settled")
    );
    assert_eq!((*tokens, *hit), (1200, 0));
    assert!((cost_usd - cost).abs() < 1e-15);
    assert!((status.day.spent_usd - cost).abs() < 1e-15, "{status:?}");
    assert_eq!(status.day.calls, 1);
    assert_eq!(status.day.cache_misses, 1);
    assert!(
        status
            .by_day
            .iter()
            .any(|r| r.model == "text-embedding-3-small" && r.input_tokens == 1200),
        "{:?}",
        status.by_day
    );
}

#[tokio::test]
async fn without_reported_usage_the_estimate_is_settled() {
    let server = Scripted::start(vec![Reply::Json(
        200,
        json!({"embeddings": [{"values": [3.0, 4.0]}, {"values": [0.0, 2.0]}]}),
    )])
    .await;
    let s = setup(Options {
        gemini: url(&server, "/v1beta"),
        ..Options::default()
    })
    .await;
    let mut request = texts(&["twelve chars", "abc"]);
    request.model = "gemini-embedding-001".into();
    let (_, report) = s
        .gateway
        .embed("gemini", request, EmbedOptions::default())
        .await
        .unwrap();
    assert!(!report.usage_reported);
    // Three characters a token, rounded up per text: 4 + 1.
    assert_eq!(report.input_tokens, 5);
    s.gateway.flush().await;
    let recorded = rows(&s.db).await;
    assert_eq!(recorded[0].3, 5);
    assert!((recorded[0].4 - 5.0 * 0.15 / 1e6).abs() < 1e-15, "{recorded:?}");
    assert_eq!(
        server.request(0).body["requests"][0]["taskType"],
        "RETRIEVAL_DOCUMENT"
    );
}

#[tokio::test]
async fn a_nearly_spent_budget_refuses_an_embed_batch_before_any_request() {
    // $1 a token: three 3-character texts are estimated at $3, and cost $3.
    let server = Scripted::start(vec![openai_vectors(3, 3), openai_vectors(3, 3)]).await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        limits: Limits {
            daily_usd: 5.0,
            monthly_usd: 100.0,
        },
        prices: Some("dollar-embed=1000000:0"),
        ..Options::default()
    })
    .await;
    let mut first = texts(&["abc", "def", "ghi"]);
    first.model = "dollar-embed".into();
    s.gateway
        .embed("openai", first, EmbedOptions::default())
        .await
        .unwrap();
    let mut second = texts(&["jkl", "mno", "pqr"]);
    second.model = "dollar-embed".into();
    let err = s
        .gateway
        .embed("openai", second, EmbedOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LlmError::BudgetExceeded { period, .. } if period == "daily"),
        "{err}"
    );
    assert!(err.to_string().contains("BUDGET_DAILY_LIMIT_USD"), "{err}");
    assert_eq!(
        server.requests().len(),
        1,
        "the refused batch never reached the server"
    );
    let status = s.gateway.budget.status().await.unwrap();
    assert!((status.day.spent_usd - 3.0).abs() < 1e-9, "{status:?}");
    assert_eq!(status.day.reserved_usd, 0.0);
    assert_eq!(rows(&s.db).await.len(), 1);
}

#[tokio::test]
async fn a_second_identical_embed_is_served_from_the_cache_and_counted_as_a_hit() {
    let server = Scripted::start(vec![
        openai_vectors(2, 40),
        openai_vectors(1, 10),
        openai_vectors(1, 10),
    ])
    .await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        ..Options::default()
    })
    .await;
    let words = ["fn parse()", "struct Lexer"];
    let (first, paid) = s
        .gateway
        .embed("openai", texts(&words), EmbedOptions::default())
        .await
        .unwrap();
    // At once, before its rows are written, and again after.
    let (again, hit) = s
        .gateway
        .embed("openai", texts(&words), EmbedOptions::default())
        .await
        .unwrap();
    assert_eq!(again.vectors, first.vectors);
    assert_eq!((hit.cached, hit.fetched, hit.cost_usd), (2, 0, 0.0));
    assert!((hit.saved_usd - paid.cost_usd).abs() < 1e-15, "{hit:?}");
    assert_eq!(server.requests().len(), 1);

    let status = s.gateway.budget.status().await.unwrap();
    assert_eq!((status.day.cache_hits, status.day.cache_misses), (1, 1));
    assert!((status.day.saved_usd - paid.cost_usd).abs() < 1e-15);
    assert_eq!(s.gateway.embed_cache.size().await.unwrap().entries, 2);

    // Another process over the same database finds them in the table; only the new
    // text of a mixed batch is sent.
    let other = gateway(
        &s.db,
        Options {
            openai: url(&server, "/v1"),
            ..Options::default()
        },
    );
    let (mixed, report) = other
        .embed(
            "openai",
            texts(&["struct Lexer", "enum Token"]),
            EmbedOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(mixed.vectors[0], first.vectors[1]);
    assert_eq!((report.cached, report.fetched), (1, 1));
    assert_eq!(server.request(1).body["input"], json!(["enum Token"]));

    // Bypassed: asked again, and not stored.
    let (_, bypassed) = other
        .embed(
            "openai",
            texts(&["fn parse()"]),
            EmbedOptions {
                bypass_cache: true,
                ..EmbedOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((bypassed.cached, bypassed.fetched), (0, 1));
    assert_eq!(server.requests().len(), 3);
    other.flush().await;
    let hits: Vec<i64> = sqlx::query_scalar("SELECT hits FROM embedding_cache ORDER BY created_at, key")
        .fetch_all(s.db.pool())
        .await
        .unwrap();
    assert_eq!(hits.iter().sum::<i64>(), 3, "{hits:?}");
    let recorded = rows(&s.db).await;
    // Paid, hit, then the mixed batch's request and hit, then the bypassed request.
    let kinds: Vec<i64> = recorded.iter().map(|r| r.5).collect();
    assert_eq!(kinds.iter().filter(|&&h| h == 1).count(), 2, "{recorded:?}");
    assert_eq!(recorded.len(), 5, "{recorded:?}");
}

#[tokio::test]
async fn the_embedding_cache_stays_within_its_bound() {
    let replies = (0..6).map(|_| openai_vectors(1, 1)).collect();
    let server = Scripted::start(replies).await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        cache: mira_llm::cache::CacheConfig {
            enabled: true,
            ttl: std::time::Duration::from_secs(3600),
            // Two 2-dimension vectors of 8 bytes each.
            max_bytes: 16,
        },
        ..Options::default()
    })
    .await;
    for n in 0..6 {
        s.gateway
            .embed("openai", texts(&[&format!("text {n}")]), EmbedOptions::default())
            .await
            .unwrap();
        s.gateway.flush().await;
    }
    let size = s.gateway.embed_cache.size().await.unwrap();
    assert!(size.bytes <= 16, "{size:?}");
    let (_, newest) = s
        .gateway
        .embed("openai", texts(&["text 5"]), EmbedOptions::default())
        .await
        .unwrap();
    assert_eq!(newest.cached, 1, "the newest stays");
}

#[tokio::test]
async fn an_embed_call_given_up_midway_gives_its_reservation_back() {
    let server = Scripted::start(vec![Reply::Delay(
        std::time::Duration::from_secs(5),
        Box::new(openai_vectors(1, 1)),
    )])
    .await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        ..Options::default()
    })
    .await;
    let gateway = s.gateway.clone();
    let call = tokio::spawn(async move {
        gateway
            .embed("openai", texts(&["slow text"]), EmbedOptions::default())
            .await
    });
    while server.requests().is_empty() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    call.abort();
    let _ = call.await;
    let status = s.gateway.budget.status().await.unwrap();
    assert_eq!(status.day.reserved_usd, 0.0, "{status:?}");
    let state: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, error FROM budget_tracking WHERE operation = 'embed'")
            .fetch_all(s.db.pool())
            .await
            .unwrap();
    assert_eq!(
        state,
        vec![("failed".into(), Some("the call was cancelled".into()))]
    );
}
