//! What the agent knows before its first step, and the `context` tool: the project's
//! context for a task, gathered from what Mira has indexed.

use crate::tools::{MAX_OUTPUT_CHARS, ToolContext, ToolOutput, bound};

/// Context for the first user message (grounding), when a source can give it.
pub(crate) async fn initial_context(ctx: &ToolContext, task: &str) -> Option<String> {
    let found = search_files(ctx, task, 8).await?;
    Some(format!(
        "Files that search finds for this task (best first):\n{}",
        found.join("\n")
    ))
}

async fn search_files(ctx: &ToolContext, task: &str, limit: usize) -> Option<Vec<String>> {
    let service = ctx.search.as_ref()?;
    let mut request = mira_search::query::SearchRequest::new(ctx.project.id, task);
    request.limit = limit;
    // Keyword search needs no embedding model, so grounding never waits for one to load.
    request.mode = mira_search::query::Mode::Keyword;
    let response = service.search(&request).await.ok()?;
    let lines: Vec<String> = response
        .results
        .iter()
        .map(|h| {
            format!(
                "- {}:{}-{}{}",
                h.path,
                h.lines[0],
                h.lines[1],
                h.symbol.as_deref().map(|s| format!(" ({s})")).unwrap_or_default()
            )
        })
        .collect();
    (!lines.is_empty()).then_some(lines)
}

pub(crate) async fn context_tool(
    ctx: &ToolContext,
    task: &str,
    _file: Option<&str>,
    _tokens: Option<u64>,
) -> Result<ToolOutput, String> {
    match search_files(ctx, task, 15).await {
        Some(lines) => Ok(ToolOutput::ok(bound(
            lines.join("\n"),
            MAX_OUTPUT_CHARS,
            "narrow the task",
        ))),
        None => Ok(ToolOutput::ok(
            "no context found for this task; use grep, list_files and symbols to look around",
        )),
    }
}
