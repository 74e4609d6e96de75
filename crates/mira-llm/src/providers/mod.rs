//! The providers, and the registry built from configuration.

pub mod anthropic;
pub mod gemini;
pub mod local;
pub mod openai;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use eventsource_stream::Event;
use futures_util::{Stream, StreamExt};
use mira_core::Config;

use crate::error::LlmError;
use crate::http::HttpSettings;
use crate::provider::Provider;
use crate::stream::{ChatStream, StreamEvent};

/// Every provider Mira knows, by id, whether usable or not (an unusable one answers
/// `check()` with why).
#[derive(Clone, Default)]
pub struct Providers {
    by_id: BTreeMap<String, Arc<dyn Provider>>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_id.keys()).finish()
    }
}

impl Providers {
    /// The remote providers from configuration, and `local` as given.
    pub fn from_config(config: &Config, local: Arc<dyn Provider>) -> Self {
        let settings = HttpSettings::from_config(&config.llm);
        let p = &config.providers;
        let mut providers = Self::default();
        providers.insert(Arc::new(openai::OpenAi::official(
            p.openai_api_key.clone(),
            None,
            settings,
        )));
        providers.insert(Arc::new(gemini::Gemini::new(
            p.gemini_api_key.clone(),
            p.gemini_base_url.as_deref(),
            settings,
        )));
        providers.insert(Arc::new(anthropic::Anthropic::new(
            p.anthropic_api_key.clone(),
            p.anthropic_base_url.as_deref(),
            settings,
        )));
        match &p.openai_base_url {
            Some(url) => providers.insert(Arc::new(openai::OpenAi::compatible(
                url,
                p.openai_api_key.clone(),
                "default",
                settings,
            ))),
            None => providers.insert(Arc::new(Missing {
                id: "compat",
                why: "no server configured; set OPENAI_BASE_URL to an OpenAI-compatible server (for example http://localhost:11434/v1 for Ollama)",
            })),
        }
        providers.insert(local);
        providers
    }

    pub fn insert(&mut self, provider: Arc<dyn Provider>) {
        self.by_id.insert(provider.id().to_string(), provider);
    }

    pub fn get(&self, id: &str) -> Option<&Arc<dyn Provider>> {
        self.by_id.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Provider>> {
        self.by_id.values()
    }
}

/// A provider that is not configured at all.
#[derive(Debug)]
pub struct Missing {
    pub id: &'static str,
    pub why: &'static str,
}

#[async_trait::async_trait]
impl Provider for Missing {
    fn id(&self) -> &str {
        self.id
    }

    fn check(&self) -> Result<(), LlmError> {
        Err(LlmError::unavailable(self.id, self.why))
    }

    fn default_model(&self) -> &str {
        ""
    }

    async fn chat_stream(&self, _: &crate::types::ChatRequest) -> Result<ChatStream, LlmError> {
        Err(LlmError::unavailable(self.id, self.why))
    }
}

/// Turns an SSE stream into chat events with a provider's parser: `on_event` for each
/// SSE event, `on_end` once the connection ends cleanly. The first error ends it.
pub(crate) fn sse_to_events<S, E, F, G>(events: E, state: S, on_event: F, on_end: G) -> ChatStream
where
    S: Send + 'static,
    E: Stream<Item = Result<Event, LlmError>> + Send + 'static,
    F: FnMut(&mut S, Event) -> Result<Vec<StreamEvent>, LlmError> + Send + 'static,
    G: FnMut(&mut S) -> Result<Vec<StreamEvent>, LlmError> + Send + 'static,
{
    struct Run<S, E, F, G> {
        events: std::pin::Pin<Box<E>>,
        state: S,
        on_event: F,
        on_end: G,
        queue: VecDeque<StreamEvent>,
        ended: bool,
    }
    let run = Run {
        events: Box::pin(events),
        state,
        on_event,
        on_end,
        queue: VecDeque::new(),
        ended: false,
    };
    Box::pin(futures_util::stream::unfold(Some(run), |run| async move {
        let mut run = run?;
        loop {
            if let Some(event) = run.queue.pop_front() {
                return Some((Ok(event), Some(run)));
            }
            if run.ended {
                return None;
            }
            let produced = match run.events.next().await {
                Some(Ok(event)) => (run.on_event)(&mut run.state, event),
                Some(Err(e)) => Err(e),
                None => {
                    run.ended = true;
                    (run.on_end)(&mut run.state)
                }
            };
            match produced {
                Ok(events) => run.queue.extend(events),
                Err(e) => return Some((Err(e), None)),
            }
        }
    }))
}
