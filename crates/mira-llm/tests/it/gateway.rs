//! Cache, budget, router and gateway through the real SQLite.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use mira_llm::budget::Limits;
use mira_llm::cache::CacheConfig;
use mira_llm::gateway::{CallOptions, GatewayEvent};
use mira_llm::{LlmError, Task, Tier};
use serde_json::json;

use crate::harness::{Options, gemini_answer, openai_answer, question, setup, url};
use crate::server::{Reply, Scripted};

fn voice() -> CallOptions {
    CallOptions {
        tier: Some(Tier::Voice),
        ..CallOptions::default()
    }
}

#[tokio::test]
async fn a_repeated_call_is_answered_from_the_cache_as_a_stream() {
    let server = Scripted::start(vec![Reply::Sse(openai_answer(
        "The parser lives in src/parse.rs.",
        1000,
        50,
    ))])
    .await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        ..Options::default()
    })
    .await;
    let (first, report) = s
        .gateway
        .chat(question("where is the parser?"), voice())
        .await
        .unwrap();
    assert!(!report.route.cached);
    assert_eq!(report.route.model, "gpt-5.1");
    let expected_cost = (1000.0 * 1.25 + 50.0 * 10.0) / 1e6;
    assert!(
        (report.cost_usd - expected_cost).abs() < 1e-12,
        "{}",
        report.cost_usd
    );

    let mut stream = s
        .gateway
        .chat_stream(question("where is the parser?"), voice())
        .await
        .unwrap();
    let mut texts = Vec::new();
    let mut done = None;
    while let Some(e) = stream.next().await {
        match e.unwrap() {
            GatewayEvent::Routed { route } => assert!(route.cached),
            GatewayEvent::Event {
                event: mira_llm::StreamEvent::Text { text },
            } => texts.push(text),
            GatewayEvent::Done { report } => done = Some(report),
            GatewayEvent::Event { .. } => {}
        }
    }
    assert!(texts.len() > 1, "replayed in pieces: {texts:?}");
    assert_eq!(texts.concat(), first.text);
    let done = done.unwrap();
    assert_eq!(done.cost_usd, 0.0);
    assert!((done.saved_usd - expected_cost).abs() < 1e-12);
    assert_eq!(
        server.requests().len(),
        1,
        "the second call never reached the provider"
    );

    let status = s.gateway.budget.status().await.unwrap();
    assert_eq!(status.day.cache_hits, 1);
    assert_eq!(status.day.cache_misses, 1);
    assert_eq!(status.cache_hit_rate, Some(0.5));
    assert!((status.day.spent_usd - expected_cost).abs() < 1e-12);
    assert!((status.month_without_cache_usd - 2.0 * expected_cost).abs() < 1e-12);
}

#[tokio::test]
async fn bypass_expiry_and_the_size_bound() {
    let server = Scripted::start(vec![
        Reply::Sse(openai_answer("one", 10, 1)),
        Reply::Sse(openai_answer("two", 10, 1)),
        Reply::Sse(openai_answer("three", 10, 1)),
    ])
    .await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        cache: CacheConfig {
            enabled: true,
            ttl: Duration::from_millis(150),
            max_bytes: 1 << 20,
        },
        ..Options::default()
    })
    .await;
    let bypass = CallOptions {
        bypass_cache: true,
        ..voice()
    };
    assert_eq!(
        s.gateway
            .chat(question("q"), bypass.clone())
            .await
            .unwrap()
            .0
            .text,
        "one"
    );
    assert_eq!(s.gateway.chat(question("q"), bypass).await.unwrap().0.text, "two");
    assert_eq!(
        s.gateway.cache.size().await.unwrap().entries,
        0,
        "bypassed calls are not stored"
    );
    assert_eq!(
        s.gateway.chat(question("q"), voice()).await.unwrap().0.text,
        "three"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        s.gateway
            .cache
            .get(&mira_llm::cache::key("openai", &{
                let mut r = question("q");
                r.model = "gpt-5.1".into();
                r.max_tokens = Some(256);
                r
            }))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );

    // Size bound: the least recently used answers go first.
    let small = mira_llm::cache::Cache::new(
        s.db.clone(),
        CacheConfig {
            enabled: true,
            ttl: Duration::from_secs(60),
            max_bytes: 4096,
        },
    );
    let answer = |n: usize| mira_llm::ChatResponse {
        text: "x".repeat(1000) + &n.to_string(),
        tool_calls: vec![],
        usage: None,
        finish: mira_llm::FinishReason::Stop,
    };
    for n in 0..8 {
        small
            .put(&format!("k{n}"), "openai", "m", &answer(n), 0.01)
            .await
            .unwrap();
        if n == 0 {
            // k0 is used again, so k1 becomes the oldest.
            tokio::time::sleep(Duration::from_millis(5)).await;
            small.put("k1", "openai", "m", &answer(1), 0.01).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
            assert!(small.get("k0").await.unwrap().is_some());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let size = small.size().await.unwrap();
    assert!(size.bytes <= 4096, "{size:?}");
    assert!(small.get("k7").await.unwrap().is_some(), "the newest stays");
    assert!(
        small.get("k1").await.unwrap().is_none(),
        "the least recently used went"
    );
}

#[tokio::test]
async fn a_call_past_the_limit_is_refused_before_it_is_made() {
    let server = Scripted::start(vec![]).await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        limits: Limits {
            daily_usd: 0.0001,
            monthly_usd: 100.0,
        },
        ..Options::default()
    })
    .await;
    let err = s.gateway.chat(question("hello"), voice()).await.unwrap_err();
    assert_eq!(err.kind(), "budget_exceeded", "{err}");
    assert!(err.to_string().contains("BUDGET_DAILY_LIMIT_USD"), "{err}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn concurrent_calls_never_overspend_a_nearly_spent_budget() {
    // $1 per output token and none for input: each call reserves exactly $1
    // (max_tokens 1) and costs exactly $1 when it is answered.
    let replies = (0..40).map(|_| Reply::Sse(openai_answer("ok", 5, 1))).collect();
    let server = Scripted::start(replies).await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        limits: Limits {
            daily_usd: 5.0,
            monthly_usd: 100.0,
        },
        prices: Some("dollar-model=0:1000000:0"),
        ..Options::default()
    })
    .await;
    let options = |n: usize| CallOptions {
        model: Some("openai:dollar-model".into()),
        bypass_cache: true,
        operation: format!("burst-{n}"),
        ..CallOptions::default()
    };
    let ask = |n: usize| {
        let mut r = question(&format!("call {n}"));
        r.max_tokens = Some(1);
        r
    };
    // Spend $2 first.
    for n in 0..2 {
        s.gateway.chat(ask(n), options(n)).await.unwrap();
    }
    let gateway = Arc::new(s.gateway.clone());
    let tasks: Vec<_> = (0..30)
        .map(|n| {
            let g = gateway.clone();
            tokio::spawn(async move { g.chat(ask(100 + n), options(100 + n)).await })
        })
        .collect();
    let mut ok = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(LlmError::BudgetExceeded { .. }) => refused += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(ok, 3, "exactly the $3 left were spent");
    assert_eq!(refused, 27);
    let status = s.gateway.budget.status().await.unwrap();
    assert!(
        (status.day.spent_usd - 5.0).abs() < 1e-9,
        "{}",
        status.day.spent_usd
    );
    assert_eq!(status.day.reserved_usd, 0.0);
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn a_queued_settlement_above_its_estimate_counts_against_the_limit() {
    let s = setup(Options::default()).await;
    let budget = mira_llm::budget::Budget::new(
        s.db.clone(),
        Limits {
            daily_usd: 3.5,
            monthly_usd: 100.0,
        },
    );
    let meta = mira_llm::budget::CallMeta {
        provider: "openai".into(),
        model: "m".into(),
        tier: None,
        operation: "test".into(),
        cacheable: false,
    };
    let first = budget.reserve(&meta, 1.0).await.unwrap();
    // It cost $3, not the $1 reserved; the settlement may still be queued when the
    // next call asks, and must count at $3 whether it is written or not.
    budget.settle(
        first,
        mira_llm::budget::Settlement {
            cost_usd: 3.0,
            ..Default::default()
        },
    );
    let err = budget.reserve(&meta, 1.0).await.unwrap_err();
    assert_eq!(err.kind(), "budget_exceeded", "{err}");
    let status = budget.status().await.unwrap();
    assert!(
        (status.day.spent_usd - 3.0).abs() < 1e-9,
        "{}",
        status.day.spent_usd
    );
    assert_eq!(status.day.reserved_usd, 0.0);
    // Within what is left, a call is let through.
    budget.reserve(&meta, 0.5).await.unwrap();
}

#[tokio::test]
async fn a_failing_tier_falls_back_to_the_next_and_is_counted() {
    let openai = Scripted::start(vec![Reply::Json(401, json!({"error": {"message": "bad key"}}))]).await;
    let gemini = Scripted::start(vec![Reply::Sse(gemini_answer("from gemini"))]).await;
    let s = setup(Options {
        openai: url(&openai, "/v1"),
        gemini: url(&gemini, "/v1beta"),
        ..Options::default()
    })
    .await;
    let task = CallOptions {
        task: Task {
            tool_name: Some("grep_files".into()),
            ..Task::default()
        },
        ..CallOptions::default()
    };
    let (answer, report) = s.gateway.chat(question("find TODOs"), task).await.unwrap();
    assert_eq!(answer.text, "from gemini");
    // fast (gpt-5.1-mini) failed; voice is gpt-5.1 on the same refusing key... the next
    // candidate that works is the thinker.
    assert_eq!(report.route.provider, "gemini");
    assert_eq!(report.route.tier, Some(Tier::Thinker));
    assert!(
        report.route.reason.starts_with("fallback from fast"),
        "{}",
        report.route.reason
    );
    assert!(
        report.route.passed_over.iter().any(|p| p.contains("bad key")),
        "{:?}",
        report.route.passed_over
    );
    assert!(s.observer.failed.load(Ordering::SeqCst) >= 1);
    // Settlements are written after the call returns.
    s.gateway.flush().await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT provider, status FROM budget_tracking ORDER BY id")
            .fetch_all(s.db.pool())
            .await
            .unwrap();
    assert_eq!(rows[0], ("openai".into(), "failed".into()));
    assert_eq!(rows.last().unwrap(), &("gemini".into(), "settled".into()));
}

#[tokio::test]
async fn with_no_keys_every_tier_is_the_local_model() {
    let s = setup(Options {
        local: true,
        ..Options::default()
    })
    .await;
    for tier in Tier::ALL {
        let d = s.gateway.router.decide(&Task::default(), Some(tier), None);
        assert_eq!(d.candidates.len(), 1, "{d:?}");
        assert_eq!(d.candidates[0].provider.id(), "local");
        assert!(
            d.skipped.iter().any(|w| w.contains("OPENAI_API_KEY")),
            "{:?}",
            d.skipped
        );
    }
    let (answer, report) = s
        .gateway
        .chat(question("world hello"), CallOptions::default())
        .await
        .unwrap();
    assert_eq!(answer.text.trim(), "hello world");
    assert_eq!(report.route.provider, "local");
    assert_eq!(report.route.model, "echo-test-model");
    assert_eq!(report.cost_usd, 0.0);
    let routed = s.observer.routed.lock().unwrap().clone();
    assert_eq!(routed.len(), 1);
    assert_eq!(routed[0].tier, Some(Tier::Voice));
}

#[tokio::test]
async fn nothing_usable_is_a_clear_error() {
    let s = setup(Options::default()).await;
    let err = s
        .gateway
        .chat(question("hi"), CallOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "unavailable");
    let text = err.to_string();
    assert!(
        text.contains("OPENAI_API_KEY") && text.contains("GEMINI_API_KEY"),
        "{text}"
    );
}

#[tokio::test]
async fn a_stopped_stream_is_still_settled() {
    let server = Scripted::start(vec![Reply::SseHang(vec![crate::server::data(
        &json!({"choices": [{"index": 0, "delta": {"content": "partial answer"}, "finish_reason": null}]}),
    )])])
    .await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        ..Options::default()
    })
    .await;
    let token = tokio_util::sync::CancellationToken::new();
    let options = CallOptions {
        cancel: Some(token.clone()),
        ..voice()
    };
    let mut stream = s.gateway.chat_stream(question("explain"), options).await.unwrap();
    let mut got_text = false;
    let mut report = None;
    while let Some(e) = stream.next().await {
        match e.unwrap() {
            GatewayEvent::Event {
                event: mira_llm::StreamEvent::Text { .. },
            } => {
                got_text = true;
                token.cancel();
            }
            GatewayEvent::Done { report: r } => report = Some(r),
            _ => {}
        }
    }
    assert!(got_text);
    let report = report.unwrap();
    assert_eq!(report.finish, mira_llm::FinishReason::Cancelled);
    assert!(!report.usage_reported);
    assert!(report.cost_usd > 0.0, "what was received is paid for");
    s.gateway.flush().await;
    let (status, cost): (String, f64) = sqlx::query_as("SELECT status, cost_usd FROM budget_tracking")
        .fetch_one(s.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "settled");
    assert!(cost > 0.0);
    assert_eq!(
        s.gateway.cache.size().await.unwrap().entries,
        0,
        "a cut-short answer is not cached"
    );

    // Dropping the stream without a token settles it too.
    let server = Scripted::start(vec![Reply::SseHang(vec![crate::server::data(
        &json!({"choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": null}]}),
    )])])
    .await;
    let s = setup(Options {
        openai: url(&server, "/v1"),
        ..Options::default()
    })
    .await;
    let mut stream = s.gateway.chat_stream(question("explain"), voice()).await.unwrap();
    let _ = stream.next().await;
    let _ = stream.next().await;
    drop(stream);
    // A call's row is written once it is settled (its estimate is held by the lease
    // until then).
    let mut status = None;
    for _ in 0..100 {
        status = sqlx::query_scalar::<_, String>("SELECT status FROM budget_tracking")
            .fetch_optional(s.db.pool())
            .await
            .unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status.as_deref(), Some("settled"));
}
