//! Grounding a chat turn: the context for the user's message, sized for the model that
//! will answer (its context window less the answer's reserve and the conversation).

use mira_llm::chat::Grounding;
use mira_llm::{Gateway, Task, Tier};

use crate::{Context, context_window};

/// Tokens kept for the system prompt and the conversation's history.
const PROMPT_RESERVE: usize = 1_500;

/// The most context tokens the model a chat turn is routed to can take: its window less
/// the answer's `max_output` and the rest of the prompt; a small local window still
/// gets a quarter of itself rather than nothing. `None` when no model is usable.
pub fn room(
    gateway: &Gateway,
    tier: Option<Tier>,
    model: Option<&str>,
    max_output: u32,
    local_context: usize,
) -> Option<usize> {
    let task = Task {
        operation_kind: Some("chat".into()),
        ..Task::default()
    };
    let decision = gateway.router.decide(&task, tier, model);
    let first = decision.candidates.first()?;
    let window = context_window(first.provider.id(), &first.model, local_context);
    let room = window.saturating_sub(max_output as usize + PROMPT_RESERVE);
    Some(room.max(window / 4))
}

/// The context as a chat turn carries it.
pub fn grounding(context: &Context) -> Grounding {
    Grounding {
        prompt: context.to_prompt(),
        json: serde_json::to_value(context).expect("contexts serialize"),
    }
}
