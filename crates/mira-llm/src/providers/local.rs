//! The in-process local model as a provider: the keyless tier that works offline.
//!
//! The model itself lives behind [`LocalEngine`] (blocking calls, run on the blocking
//! pool); `mira-models` supplies the real one. Tokens go from the generating thread to
//! the stream through a channel; dropping the stream sets the cancel flag, which stops
//! generation at the next token.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::error::LlmError;
use crate::provider::Provider;
use crate::stream::{ChatStream, StreamEvent};
use crate::types::{ChatRequest, FinishReason, Message, Role, Usage};

/// What the local model reports at the end of a generation.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalGeneration {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// `Stop`, `Length` or `Cancelled`.
    pub finish: FinishReason,
}

/// Parameters of a local generation.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalParams {
    pub max_tokens: usize,
    pub temperature: f64,
    pub seed: u64,
    pub stop: Vec<String>,
}

/// A chat model run in-process. Calls block; they run in `spawn_blocking`.
pub trait LocalEngine: Send + Sync + 'static {
    fn name(&self) -> &str;
    fn context_length(&self) -> usize;
    fn generate(
        &self,
        messages: &[Message],
        params: &LocalParams,
        cancel: &AtomicBool,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<LocalGeneration, String>;
}

/// The local provider: an engine when a model is loaded, else why not.
pub struct Local {
    engine: Result<Arc<dyn LocalEngine>, String>,
    /// Answers used when a call does not limit its output; a small model rambles.
    default_max_tokens: usize,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local")
            .field("model", &self.engine.as_ref().map(|e| e.name().to_string()))
            .finish()
    }
}

impl Local {
    pub fn new(engine: Arc<dyn LocalEngine>) -> Self {
        Self {
            engine: Ok(engine),
            default_max_tokens: 512,
        }
    }

    /// No local model: every call fails with `why` (what to install or set).
    pub fn unavailable(why: impl Into<String>) -> Self {
        Self {
            engine: Err(why.into()),
            default_max_tokens: 512,
        }
    }

    pub fn model_name(&self) -> Option<&str> {
        self.engine.as_ref().ok().map(|e| e.name())
    }
}

/// Flattens tool traffic into text the small model can read: it has no tool calling.
fn local_messages(messages: &[Message]) -> Vec<Message> {
    messages
        .iter()
        .map(|m| match m.role {
            Role::Tool => Message::user(format!(
                "Result of tool {}: {}",
                m.name.as_deref().unwrap_or("call"),
                m.content
            )),
            _ => Message::new(m.role, m.content.clone()),
        })
        .collect()
}

/// Sets the cancel flag when the stream is dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[async_trait]
impl Provider for Local {
    fn id(&self) -> &str {
        "local"
    }

    fn check(&self) -> Result<(), LlmError> {
        self.engine
            .as_ref()
            .map(|_| ())
            .map_err(|why| LlmError::unavailable("local", why.clone()))
    }

    fn is_paid(&self) -> bool {
        false
    }

    fn default_model(&self) -> &str {
        self.model_name().unwrap_or("local")
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let engine = self
            .engine
            .as_ref()
            .map_err(|why| LlmError::unavailable("local", why.clone()))?
            .clone();
        let params = LocalParams {
            // The gateway asks for LLM_MAX_OUTPUT_TOKENS; a small local model rambles, so
            // it answers at most `default_max_tokens` unless asked for fewer.
            max_tokens: request.max_tokens.map_or(self.default_max_tokens, |m| {
                (m as usize).min(self.default_max_tokens)
            }),
            temperature: request.temperature.unwrap_or(0.7),
            seed: request.seed.unwrap_or(299_792_458),
            stop: request.stop.clone(),
        };
        let messages = local_messages(&request.messages);
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::unbounded_channel::<Result<StreamEvent, LlmError>>();
        let flag = cancel.clone();
        tokio::task::spawn_blocking(move || {
            let token_tx = tx.clone();
            let mut on_token = |t: &str| {
                if token_tx
                    .send(Ok(StreamEvent::Text { text: t.to_string() }))
                    .is_err()
                {
                    // The stream is gone: nobody reads further tokens.
                    flag.store(true, Ordering::Relaxed);
                }
            };
            let result = engine.generate(&messages, &params, &flag, &mut on_token);
            let tail = match result {
                Ok(g) => vec![
                    Ok(StreamEvent::Usage {
                        usage: Usage {
                            input: g.prompt_tokens as u64,
                            output: g.completion_tokens as u64,
                            cached: 0,
                            reasoning: 0,
                        },
                    }),
                    Ok(StreamEvent::Finish { reason: g.finish }),
                ],
                Err(message) => vec![Err(LlmError::unavailable("local", message))],
            };
            for item in tail {
                let _ = tx.send(item);
            }
        });
        let guard = CancelOnDrop(cancel);
        let stream = futures_util::stream::unfold((rx, guard), |(mut rx, guard)| async move {
            rx.recv().await.map(|item| (item, (rx, guard)))
        });
        Ok(Box::pin(stream))
    }
}
