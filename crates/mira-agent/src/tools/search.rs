//! search (mira-search over the project) and context (what Mira knows about a task).

use mira_search::query::{Mode, SearchRequest};

use super::{Args, ToolContext, ToolOutput, json_text, opt_str, opt_u64, rel_path, str_arg};

pub async fn search(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let Some(service) = &ctx.search else {
        return Err(
            "search is not available in this run (another Mira process holds the index); use grep".into(),
        );
    };
    let query = str_arg(args, "query")?;
    let mut request = SearchRequest::new(ctx.project.id, query);
    request.limit = opt_u64(args, "limit").unwrap_or(10).clamp(1, 30) as usize;
    if let Some(mode) = opt_str(args, "mode") {
        request.mode = Mode::parse(mode).map_err(|e| e.to_string())?;
    }
    if opt_str(args, "path").is_some() {
        request.path = Some(rel_path(args, "path")?);
    }
    let response = service.search(&request).await.map_err(|e| e.to_string())?;
    if response.results.is_empty() {
        return Ok(ToolOutput::ok(format!("nothing found for `{query}`")));
    }
    let hits: Vec<serde_json::Value> = response
        .results
        .iter()
        .map(|h| {
            serde_json::json!({
                "path": h.path, "symbol": h.symbol, "kind": h.kind, "lines": h.lines,
                "score": (h.score * 1000.0).round() / 1000.0, "snippet": h.snippet,
            })
        })
        .collect();
    Ok(ToolOutput::ok(json_text(hits, "ask for fewer results")))
}

pub async fn context(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let task = str_arg(args, "task")?;
    crate::grounding::context_tool(ctx, task, opt_str(args, "file"), opt_u64(args, "tokens")).await
}
