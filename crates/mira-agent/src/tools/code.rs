//! The code graph: symbols, callers, callees, impact (mira-code's queries).

use mira_code::queries;

use super::{Args, ToolContext, ToolOutput, json_text, opt_str, opt_u64, rel_path, str_arg};

const HINT: &str = "ask about a more precise symbol";

pub async fn symbols(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let pid = ctx.project.id;
    if opt_str(args, "path").is_some() {
        let path = rel_path(args, "path")?;
        let found = queries::file_symbols(&ctx.db, pid, &path)
            .await
            .map_err(|e| e.to_string())?;
        if found.is_empty() {
            return Ok(ToolOutput::ok(format!(
                "no symbols indexed for {path} (not a parsed language, or the code index is not built: `mira index`)"
            )));
        }
        return Ok(ToolOutput::ok(json_text(found, HINT)));
    }
    let query = opt_str(args, "query").ok_or("give `query` (a name) or `path` (a file)")?;
    let found = queries::find_symbols(&ctx.db, pid, query, 30)
        .await
        .map_err(|e| e.to_string())?;
    if found.is_empty() {
        return Ok(ToolOutput::ok(format!("no symbol matches `{query}`")));
    }
    Ok(ToolOutput::ok(json_text(found, HINT)))
}

pub async fn callers(ctx: &ToolContext, args: &Args, callers: bool) -> Result<ToolOutput, String> {
    let symbol = str_arg(args, "symbol")?;
    let pid = ctx.project.id;
    let mut out = serde_json::Map::new();
    for name in mira_code::named::resolve_symbol(&ctx.db, pid, symbol)
        .await
        .map_err(|e| e.to_string())?
    {
        let refs = if callers {
            queries::callers(&ctx.db, pid, &name).await
        } else {
            queries::callees(&ctx.db, pid, &name).await
        }
        .map_err(|e| e.to_string())?;
        out.insert(name, serde_json::to_value(refs).unwrap_or_default());
    }
    Ok(ToolOutput::ok(json_text(out, HINT)))
}

pub async fn impact(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let symbol = str_arg(args, "symbol")?;
    let depth = opt_u64(args, "depth").unwrap_or(3).clamp(1, 6) as u32;
    let pid = ctx.project.id;
    let mut out = serde_json::Map::new();
    for name in mira_code::named::resolve_symbol(&ctx.db, pid, symbol)
        .await
        .map_err(|e| e.to_string())?
    {
        let impact = queries::impact(&ctx.db, pid, &name, depth)
            .await
            .map_err(|e| e.to_string())?;
        out.insert(name, serde_json::to_value(impact).unwrap_or_default());
    }
    Ok(ToolOutput::ok(json_text(out, HINT)))
}
