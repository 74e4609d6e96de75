//! History: cochange, experts, log, blame, fixes (mira-git's indexes), and the work
//! tree's status and diff (the `git` command, no shell).

use std::process::Stdio;

use super::{
    Args, MAX_OUTPUT_CHARS, ToolContext, ToolOutput, bound, json_text, opt_str, opt_u64, refused, rel_path,
    str_arg,
};
use crate::confine;

const HINT: &str = "narrow the path";

pub async fn cochange(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let path = rel_path(args, "path")?;
    let found = mira_git::queries::cochange(&ctx.db, ctx.project.id, &path, 15, &ctx.config.git)
        .await
        .map_err(|e| e.to_string())?;
    if found.is_empty() {
        return Ok(ToolOutput::ok(format!(
            "no file changes together with {path} often enough (or the git history is not indexed: `mira index`)"
        )));
    }
    Ok(ToolOutput::ok(json_text(found, HINT)))
}

pub async fn experts(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let scope = match opt_str(args, "path") {
        Some(_) => rel_path(args, "path")?,
        None => String::new(),
    };
    let found = mira_git::queries::experts(&ctx.db, ctx.project.id, &scope, false, 10)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ToolOutput::ok(json_text(found, HINT)))
}

pub async fn log(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let path = match opt_str(args, "path") {
        Some(_) => Some(rel_path(args, "path")?),
        None => None,
    };
    let limit = opt_u64(args, "limit").unwrap_or(15).clamp(1, 50) as usize;
    let found = mira_git::queries::log(&ctx.db, ctx.project.id, path.as_deref(), limit)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ToolOutput::ok(json_text(found, HINT)))
}

pub async fn blame(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let rel = str_arg(args, "path")?;
    let resolved = confine::resolve(&ctx.root, rel).map_err(refused)?;
    let path = confine::display_relative(&ctx.root, &resolved);
    let lines = mira_git::blame::blame(&ctx.db, &ctx.project, &path)
        .await
        .map_err(|e| e.to_string())?;
    let start = opt_u64(args, "start_line").unwrap_or(1) as u32;
    let end = opt_u64(args, "end_line").map(|e| e as u32).unwrap_or(u32::MAX);
    let text: Vec<String> = lines
        .iter()
        .filter(|l| l.line >= start && l.line <= end)
        .map(|l| {
            format!(
                "{}\t{}\t{}\t{}",
                l.line,
                &l.commit[..l.commit.len().min(10)],
                l.author_name,
                l.summary
            )
        })
        .collect();
    Ok(ToolOutput::ok(bound(
        format!("line\tcommit\tauthor\tsummary\n{}", text.join("\n")),
        MAX_OUTPUT_CHARS,
        "give start_line/end_line",
    )))
}

pub async fn fixes(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let error = str_arg(args, "error")?;
    let report = mira_git::fixes::find(&ctx.db, &ctx.project, error, 5)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ToolOutput::ok(json_text(report, "give a shorter error text")))
}

async fn git(ctx: &ToolContext, args: &[&str]) -> Result<String, String> {
    let output = tokio::process::Command::new("git")
        .args(args)
        .current_dir(&ctx.root)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub async fn status(ctx: &ToolContext) -> Result<ToolOutput, String> {
    if !ctx.project.is_git {
        return Err("the project is not a git repository".into());
    }
    let text = git(
        ctx,
        &[
            "status",
            "--porcelain=v1",
            "--branch",
            "--untracked-files=all",
            "--",
            ".",
        ],
    )
    .await?;
    Ok(ToolOutput::ok(bound(text, MAX_OUTPUT_CHARS, HINT)))
}

pub async fn diff(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    if !ctx.project.is_git {
        return Err("the project is not a git repository".into());
    }
    let path = match opt_str(args, "path") {
        Some(_) => rel_path(args, "path")?,
        None => ".".into(),
    };
    let mut argv = vec!["diff", "--no-color", "--no-ext-diff"];
    if args
        .get("staged")
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
    {
        argv.push("--cached");
    }
    argv.extend(["--", path.as_str()]);
    let text = git(ctx, &argv).await?;
    if text.is_empty() {
        return Ok(ToolOutput::ok("no changes"));
    }
    Ok(ToolOutput::ok(bound(text, MAX_OUTPUT_CHARS, "give a path")))
}
