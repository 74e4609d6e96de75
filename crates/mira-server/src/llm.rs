//! The server's side of the LLM layer: the in-process chat model (mira-models) that
//! backs the keyless tier.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use mira_core::Config;
use mira_llm::providers::local::{Local, LocalEngine, LocalGeneration, LocalParams};
use mira_llm::{FinishReason, Message, Provider, Role};

/// mira-models' chat model behind the LLM layer's local-engine interface.
struct Engine(mira_models::ChatModel);

impl LocalEngine for Engine {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn context_length(&self) -> usize {
        self.0.context_length()
    }

    fn generate(
        &self,
        messages: &[Message],
        params: &LocalParams,
        cancel: &AtomicBool,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<LocalGeneration, String> {
        let messages: Vec<mira_models::ChatMessage> = messages
            .iter()
            .map(|m| {
                let role = match m.role {
                    Role::System => mira_models::Role::System,
                    Role::Assistant => mira_models::Role::Assistant,
                    Role::User | Role::Tool => mira_models::Role::User,
                };
                mira_models::ChatMessage::new(role, m.content.clone())
            })
            .collect();
        let generate = mira_models::GenerateParams {
            max_tokens: params.max_tokens,
            temperature: params.temperature,
            top_p: None,
            seed: params.seed,
            stop: params.stop.clone(),
        };
        let g = self
            .0
            .generate(&messages, &generate, cancel, on_token)
            .map_err(|e| e.to_string())?;
        Ok(LocalGeneration {
            prompt_tokens: g.prompt_tokens,
            completion_tokens: g.completion_tokens,
            finish: match g.finish {
                mira_models::Finish::Stop => FinishReason::Stop,
                mira_models::Finish::Length => FinishReason::Length,
                mira_models::Finish::Cancelled => FinishReason::Cancelled,
            },
        })
    }
}

/// The in-process chat model, loaded on the blocking pool, or why there is none.
pub async fn local_provider(config: &Config) -> Arc<dyn Provider> {
    let path = mira_models::default_chat_model_path(config);
    if !path.exists() {
        return Arc::new(Local::unavailable(format!(
            "no local chat model at {}; run `mira models pull` (or set MIRA_LOCAL_MODEL), or set OPENAI_API_KEY, GEMINI_API_KEY, ANTHROPIC_API_KEY or OPENAI_BASE_URL",
            path.display()
        )));
    }
    let options = mira_models::ChatLoadOptions::from_config(config);
    let load = tokio::task::spawn_blocking(move || mira_models::ChatModel::load_with(&path, &options)).await;
    match load {
        Ok(Ok(model)) => {
            tracing::info!(model = model.name(), "local chat model loaded");
            Arc::new(Local::new(Arc::new(Engine(model))))
        }
        Ok(Err(e)) => Arc::new(Local::unavailable(format!(
            "the local chat model did not load: {e}"
        ))),
        Err(e) => Arc::new(Local::unavailable(format!(
            "loading the local chat model failed: {e}"
        ))),
    }
}
