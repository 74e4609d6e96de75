//! What the agent knows before its first step, and the `context` tool: the context
//! oracle's answer for a task (ranked files and cited items within a token budget).

use mira_oracle::{ContextRequest, Oracle};

use crate::tools::{MAX_OUTPUT_CHARS, ToolContext, ToolOutput, bound};

/// Tokens of context in the first user message.
const INITIAL_TOKENS: usize = 4_000;

/// Files listed before the items in the `context` tool's answer.
const FILES_LISTED: usize = 10;

fn oracle(ctx: &ToolContext) -> Oracle {
    Oracle::new(ctx.db.clone(), ctx.config.clone(), ctx.search.clone())
}

/// Context for the first user message (grounding), when the oracle finds any.
pub(crate) async fn initial_context(ctx: &ToolContext, task: &str) -> Option<String> {
    let mut request = ContextRequest::new(task);
    request.tokens = Some(INITIAL_TOKENS);
    let context = oracle(ctx).gather(&ctx.project, &request).await.ok()?;
    let prompt = context.to_prompt();
    (!prompt.is_empty()).then_some(prompt)
}

pub(crate) async fn context_tool(
    ctx: &ToolContext,
    task: &str,
    file: Option<&str>,
    tokens: Option<u64>,
) -> Result<ToolOutput, String> {
    let request = ContextRequest {
        task: task.to_string(),
        file: file.map(str::to_string),
        tokens: tokens.map(|t| t as usize),
        ..ContextRequest::default()
    };
    let context = oracle(ctx)
        .gather(&ctx.project, &request)
        .await
        .map_err(|e| e.to_string())?;
    if context.files.is_empty() && context.items.is_empty() {
        return Ok(ToolOutput::ok(
            "no context found for this task; use grep, list_files and symbols to look around",
        ));
    }
    let mut text = String::from("Files, best first:\n");
    for f in context.files.iter().take(FILES_LISTED) {
        text.push_str(&format!("- {} ({})\n", f.path, f.reasons.join("; ")));
    }
    text.push('\n');
    text.push_str(&context.to_prompt());
    Ok(ToolOutput::ok(bound(
        text,
        MAX_OUTPUT_CHARS,
        "ask for fewer tokens",
    )))
}
