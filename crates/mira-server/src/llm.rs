//! The server's side of the LLM layer: which local model backs the keyless tier.

use std::sync::Arc;

use mira_core::Config;
use mira_llm::Provider;
use mira_llm::providers::local::Local;

/// The in-process chat model, or why there is none.
pub async fn local_provider(config: &Config) -> Arc<dyn Provider> {
    let _ = config;
    Arc::new(Local::unavailable(
        "no local chat model is built into this Mira; set OPENAI_API_KEY, GEMINI_API_KEY, ANTHROPIC_API_KEY or OPENAI_BASE_URL",
    ))
}
