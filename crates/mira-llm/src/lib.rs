//! Mira's LLM layer.
//!
//! - [`Provider`]: one trait for every model backend (chat, streaming chat with tool
//!   calls, embeddings), implemented by [`providers`]: Gemini, OpenAI, Anthropic, any
//!   OpenAI-compatible server, and the in-process local model.
//! - [`stream`]: the events a streaming answer is made of; dropping a stream cancels it.
//! - [`pricing`]: what a call costs.
//! - [`cache`] (`llm_cache`), [`budget`] (`budget_tracking`, `budget_summary`,
//!   `budget_leases`, limits), [`router`] (fast / voice / thinker tiers) and the
//!   [`gateway`] that puts them around every call; [`embed`] is the gateway's embedding
//!   call, with its per-text cache in [`embed_cache`] (`embedding_cache`).
//! - [`conversations`]: chat history in SQLite, and [`chat`]: one chat turn end to end.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mira_llm::LlmError> {
//! use mira_llm::{ChatRequest, Message, Provider};
//! let openai = mira_llm::providers::openai::OpenAi::official(
//!     Some(mira_core::Secret::new("sk-...")), None, Default::default());
//! let answer = openai.chat(&ChatRequest {
//!     model: "gpt-5.1-mini".into(),
//!     messages: vec![Message::user("Say hi")],
//!     ..Default::default()
//! }).await?;
//! println!("{}", answer.text);
//! # Ok(()) }
//! ```

pub mod budget;
pub mod cache;
pub mod chat;
pub mod conversations;
pub mod embed;
pub mod embed_cache;
pub mod error;
pub mod gateway;
pub mod http;
mod lease;
pub mod pricing;
pub mod provider;
pub mod providers;
pub mod retry;
pub mod router;
pub mod scrub;
pub mod setup;
pub mod stream;
pub mod types;
mod writer;

pub use embed::{EmbedOptions, EmbedReport};
pub use error::LlmError;
pub use gateway::{CallOptions, CallReport, Gateway, GatewayEvent, GatewayStream, Route};
pub use provider::Provider;
pub use router::{Task, Tier};
pub use stream::{ChatStream, StreamEvent};
pub use types::{
    ChatRequest, ChatResponse, EmbedRequest, EmbedTask, Embeddings, FinishReason, Message, Reasoning, Role,
    ToolCall, ToolSpec, Usage,
};
