//! A gateway over a real SQLite database in a temp dir, with providers pointed at
//! scripted local servers.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mira_core::Secret;
use mira_llm::budget::{Budget, LeaseConfig, Limits};
use mira_llm::cache::{Cache, CacheConfig};
use mira_llm::gateway::{CallReport, Observer, Route};
use mira_llm::pricing::Pricing;
use mira_llm::providers::Providers;
use mira_llm::providers::gemini::Gemini;
use mira_llm::providers::local::{Local, LocalEngine, LocalGeneration, LocalParams};
use mira_llm::providers::openai::OpenAi;
use mira_llm::router::{Classifier, ModelSpec, Router, RouterConfig};
use mira_llm::{FinishReason, Gateway, LlmError, Message};
use mira_store::Db;
use serde_json::json;

use crate::fast_settings;
use crate::server::{Scripted, data};

pub struct Setup {
    pub gateway: Gateway,
    pub db: Db,
    pub observer: Arc<Counting>,
    _dir: tempfile::TempDir,
}

#[derive(Default)]
pub struct Counting {
    pub routed: Mutex<Vec<Route>>,
    pub finished: AtomicUsize,
    pub failed: AtomicUsize,
}

impl Observer for Counting {
    fn routed(&self, route: &Route) {
        self.routed.lock().unwrap().push(route.clone());
    }
    fn finished(&self, _: &CallReport) {
        self.finished.fetch_add(1, Ordering::SeqCst);
    }
    fn failed(&self, _: &str, _: &LlmError) {
        self.failed.fetch_add(1, Ordering::SeqCst);
    }
}

pub struct Options {
    pub openai: Option<String>,
    /// The OpenAI key, when not `sk-test`.
    pub openai_key: Option<&'static str>,
    pub gemini: Option<String>,
    pub local: bool,
    pub limits: Limits,
    pub cache: CacheConfig,
    pub prices: Option<&'static str>,
    /// Budget leases other than those sized for the limits.
    pub lease: Option<LeaseConfig>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            openai: None,
            openai_key: None,
            gemini: None,
            local: false,
            limits: Limits {
                daily_usd: 5.0,
                monthly_usd: 100.0,
            },
            cache: CacheConfig {
                enabled: true,
                ttl: Duration::from_secs(3600),
                max_bytes: 1 << 20,
            },
            prices: None,
            lease: None,
        }
    }
}

pub async fn setup(o: Options) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
    let observer = Arc::new(Counting::default());
    let gateway = gateway(&db, o).with_observer(observer.clone());
    Setup {
        gateway,
        db,
        observer,
        _dir: dir,
    }
}

/// A gateway over `db` (another handle on the same file is another process).
pub fn gateway(db: &Db, o: Options) -> Gateway {
    let mut providers = Providers::default();
    providers.insert(Arc::new(OpenAi::official(
        o.openai
            .as_ref()
            .map(|_| Secret::new(o.openai_key.unwrap_or("sk-test"))),
        o.openai.as_deref(),
        fast_settings(),
    )));
    providers.insert(Arc::new(Gemini::new(
        o.gemini.as_ref().map(|_| Secret::new("g-test")),
        o.gemini.as_deref(),
        fast_settings(),
    )));
    let local = if o.local {
        Local::new(Arc::new(EchoEngine::default()))
    } else {
        Local::unavailable("no local model in this test")
    };
    providers.insert(Arc::new(local));
    let router = Router::new(
        RouterConfig {
            enabled: true,
            fast: ModelSpec::parse("gpt-5.1-mini"),
            voice: ModelSpec::parse("gpt-5.1"),
            thinker: ModelSpec::parse("gemini-3-pro-preview"),
            classifier: Classifier {
                thinker_token_threshold: 50_000,
                thinker_file_count: 3,
            },
        },
        providers,
    );
    let mut budget = Budget::new(db.clone(), o.limits);
    if let Some(lease) = o.lease {
        budget = budget.with_lease(lease);
    }
    Gateway::new(
        router,
        Cache::new(db.clone(), o.cache),
        budget,
        Pricing::from_config(o.prices).unwrap(),
        256,
    )
}

/// An OpenAI stream answering `text` with the given usage.
pub fn openai_answer(text: &str, input: u64, output: u64) -> Vec<String> {
    vec![
        data(&json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})),
        data(&json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})),
        data(&json!({"choices": [], "usage": {"prompt_tokens": input, "completion_tokens": output}})),
        "data: [DONE]\n\n".into(),
    ]
}

pub fn gemini_answer(text: &str) -> Vec<String> {
    vec![data(
        &json!({"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 3}}),
    )]
}

pub fn question(text: &str) -> mira_llm::ChatRequest {
    mira_llm::ChatRequest {
        messages: vec![Message::user(text)],
        ..Default::default()
    }
}

pub fn url(server: &Scripted, prefix: &str) -> Option<String> {
    Some(server.url(prefix))
}

/// A stand-in for the in-process model: answers with the last user message reversed,
/// a token per word, and stops when cancelled.
#[derive(Default)]
pub struct EchoEngine {
    pub calls: AtomicUsize,
}

impl LocalEngine for EchoEngine {
    fn name(&self) -> &str {
        "echo-test-model"
    }
    fn context_length(&self) -> usize {
        2048
    }
    fn generate(
        &self,
        messages: &[Message],
        params: &LocalParams,
        cancel: &AtomicBool,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<LocalGeneration, String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let last = messages.last().map(|m| m.content.clone()).unwrap_or_default();
        let words: Vec<String> = last.split_whitespace().rev().map(|w| format!("{w} ")).collect();
        let mut produced = 0;
        for w in words.iter().take(params.max_tokens) {
            if cancel.load(Ordering::Relaxed) {
                return Ok(LocalGeneration {
                    prompt_tokens: 5,
                    completion_tokens: produced,
                    finish: FinishReason::Cancelled,
                });
            }
            on_token(w);
            produced += 1;
        }
        Ok(LocalGeneration {
            prompt_tokens: last.split_whitespace().count(),
            completion_tokens: produced,
            finish: FinishReason::Stop,
        })
    }
}
