//! Gateway overhead: what routing, the cache lookup, the budget reservation and
//! settlement and the accounting add to a model call, measured with a provider that
//! answers instantly (so only the gateway is timed), and the cache hit path.
//!
//! `cargo run -p mira-llm --example gateway_bench -- [CALLS]`
//!
//! A paid call reserves its estimate from the process's budget lease in memory (the
//! lease is grown on the call's path only when it runs out, a few times a run). A
//! call's settlement, cache hit row and cached answer are written by the gateway's
//! writer task after the call returns, so they are not in the per-call times; the
//! budget status read at the end writes what is still queued (timed separately) and
//! checks that every call was recorded and nothing is left reserved.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use mira_llm::budget::{Budget, Limits};
use mira_llm::cache::{Cache, CacheConfig};
use mira_llm::gateway::CallOptions;
use mira_llm::pricing::Pricing;
use mira_llm::providers::Providers;
use mira_llm::router::{Classifier, ModelSpec, Router, RouterConfig};
use mira_llm::stream::{ChatStream, replay};
use mira_llm::{ChatRequest, ChatResponse, FinishReason, Gateway, LlmError, Message, Provider, Usage};

/// Answers at once with a fixed text, as a priced provider would.
struct Instant0;

#[async_trait]
impl Provider for Instant0 {
    fn id(&self) -> &str {
        "openai"
    }
    fn check(&self) -> Result<(), LlmError> {
        Ok(())
    }
    fn default_model(&self) -> &str {
        "gpt-5.1"
    }
    async fn chat_stream(&self, _: &ChatRequest) -> Result<ChatStream, LlmError> {
        Ok(replay(ChatResponse {
            text: "The parser is in src/parse.rs; it is called from main and from the tests.".into(),
            tool_calls: vec![],
            usage: Some(Usage {
                input: 900,
                output: 40,
                cached: 0,
                reasoning: 0,
            }),
            finish: FinishReason::Stop,
        }))
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{label:<34} n={:<6} p50 {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}

fn request(i: usize) -> ChatRequest {
    ChatRequest {
        messages: vec![
            Message::system("You are Mira."),
            Message::user(format!("Where is the parser, and who calls it? ({i})")),
        ],
        ..ChatRequest::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let calls: usize = match std::env::args().nth(1) {
        None => 2000,
        Some(n) => n
            .parse()
            .map_err(|_| format!("CALLS must be a number, not {n}"))?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let dir = tempfile::tempdir()?;
        let db = mira_store::Db::open(&dir.path().join("mira.db")).await?;
        let mut providers = Providers::default();
        providers.insert(Arc::new(Instant0));
        let router = Router::new(
            RouterConfig {
                enabled: true,
                fast: ModelSpec::parse("gpt-5.1-mini"),
                voice: ModelSpec::parse("gpt-5.1"),
                thinker: ModelSpec::parse("gpt-5.1"),
                classifier: Classifier {
                    thinker_token_threshold: 50_000,
                    thinker_file_count: 3,
                },
            },
            providers,
        );
        let gateway = Gateway::new(
            router,
            Cache::new(
                db.clone(),
                CacheConfig {
                    enabled: true,
                    ttl: Duration::from_secs(3600),
                    max_bytes: 256 << 20,
                },
            ),
            Budget::new(
                db.clone(),
                Limits {
                    daily_usd: 1e9,
                    monthly_usd: 1e9,
                },
            ),
            Pricing::default(),
            1024,
        );
        // Warm up the pool and SQLite's page cache.
        for i in 0..50 {
            gateway
                .chat(request(1_000_000 + i), CallOptions::default())
                .await?;
        }
        let mut miss = Vec::with_capacity(calls);
        for i in 0..calls {
            let started = Instant::now();
            gateway.chat(request(i), CallOptions::default()).await?;
            miss.push(started.elapsed());
        }
        let mut bypass = Vec::with_capacity(calls);
        for i in 0..calls {
            let options = CallOptions {
                bypass_cache: true,
                ..CallOptions::default()
            };
            let started = Instant::now();
            gateway.chat(request(i), options).await?;
            bypass.push(started.elapsed());
        }
        let mut hit = Vec::with_capacity(calls);
        for i in 0..calls {
            let started = Instant::now();
            let (_, report) = gateway.chat(request(i), CallOptions::default()).await?;
            hit.push(started.elapsed());
            assert!(report.route.cached, "call {i} was not a cache hit");
        }
        let started = Instant::now();
        let status = gateway.budget.status().await?;
        let backlog = started.elapsed();
        let expected = 50 + 3 * calls as i64;
        if status.day.calls != expected
            || status.day.cache_hits != calls as i64
            || status.day.reserved_usd != 0.0
        {
            return Err(format!(
                "accounting is off: {} calls ({expected} made), {} hits ({calls} made), ${} still reserved",
                status.day.calls, status.day.cache_hits, status.day.reserved_usd
            )
            .into());
        }
        println!(
            "gateway over SQLite in {} ({calls} calls each)",
            dir.path().display()
        );
        report("miss: route+lookup+reserve+settle+store", miss);
        report("bypass: route+reserve+settle", bypass);
        report("cache hit: route+lookup+record", hit);
        println!(
            "then: queued writes flushed and budget read in {:.3} ms; {} calls, {} hits, {} misses recorded",
            backlog.as_secs_f64() * 1e3,
            status.day.calls,
            status.day.cache_hits,
            status.day.cache_misses
        );
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
