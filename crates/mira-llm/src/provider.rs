//! The one interface every model backend implements.

use async_trait::async_trait;

use crate::error::LlmError;
use crate::stream::{self, ChatStream};
use crate::types::{ChatRequest, ChatResponse, EmbedRequest, Embeddings};

/// A model backend: a remote API or the in-process local model.
///
/// Calls are cancelled by dropping the future or the stream; [`stream::with_cancel`]
/// turns a `CancellationToken` into that.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Stable id: `openai`, `gemini`, `anthropic`, `compat`, `local`.
    fn id(&self) -> &str;

    /// `Err(Unavailable)` when the provider cannot be used at all (no API key, no model
    /// file), with a message that says how to enable it.
    fn check(&self) -> Result<(), LlmError>;

    /// Whether calls cost money (the budget applies only to those).
    fn is_paid(&self) -> bool {
        true
    }

    /// `error`, one of this provider's, with its key and anything shaped like a
    /// credential cut out of the message ([`crate::scrub`]). The gateway passes every
    /// provider error through this before it is shown, logged or stored.
    fn redact(&self, error: LlmError) -> LlmError {
        crate::scrub::Scrubber::default().error(error)
    }

    /// The default model of this provider, used when a tier names only the provider.
    fn default_model(&self) -> &str;

    /// A whole answer in one response.
    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        stream::collect(self.chat_stream(request).await?).await
    }

    /// The answer as it is produced. Errors before the first event (refused key, rate
    /// limit after retries) come from this call; errors after it come in the stream.
    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError>;

    async fn embed(&self, request: &EmbedRequest) -> Result<Embeddings, LlmError> {
        let _ = request;
        Err(LlmError::unavailable(
            self.id(),
            "this provider has no embedding models",
        ))
    }
}
