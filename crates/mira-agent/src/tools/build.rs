//! Builds and tests: the recorded errors, and run_build, which runs an allowed command
//! through mira-build's runner and records the run like `mira build` does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mira_build::queries::{self, ErrorFilter};
use mira_build::runner::{RunRequest, RunStatus};

use super::{Args, MAX_OUTPUT_CHARS, ToolContext, ToolOutput, bound, json_text, opt_u64, str_arg};

/// Output kept for the model: the end of the log, where test results and errors are.
const TAIL_BYTES: usize = 6_000;
const MAX_DIAGNOSTICS: usize = 20;

pub async fn errors(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let limit = opt_u64(args, "limit").unwrap_or(20).clamp(1, 50) as usize;
    let found = queries::errors(&ctx.db, &ctx.project, ErrorFilter::Unresolved, limit)
        .await
        .map_err(|e| e.to_string())?;
    if found.is_empty() {
        return Ok(ToolOutput::ok("no unresolved build or test errors are recorded"));
    }
    Ok(ToolOutput::ok(json_text(found, "ask for fewer")))
}

pub async fn run_build(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let line = str_arg(args, "command")?;
    let mut request = RunRequest::from_command_line(line).map_err(|e| e.to_string())?;
    ctx.allowlist
        .check(&request.argv)
        .map_err(|e| format!("refused: {e}"))?;
    let timeout = opt_u64(args, "timeout_secs")
        .map(Duration::from_secs)
        .unwrap_or(ctx.run_timeout)
        .min(ctx.config.build.timeout);
    request.timeout = Some(timeout);
    let tail = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = tail.clone();
    let on_output: mira_build::runner::OnOutput =
        Arc::new(move |_: mira_build::runner::Stream, chunk: &[u8]| {
            let mut buf = sink.lock().expect("tail");
            buf.extend_from_slice(chunk);
            let excess = buf.len().saturating_sub(TAIL_BYTES * 2);
            buf.drain(..excess);
        });
    // A cancelled operation stops the command's whole process group.
    let cancel = ctx.handle.token().child_token();
    let outcome = mira_build::run(
        &ctx.db,
        &ctx.project,
        &ctx.config.build,
        request,
        on_output,
        cancel,
    )
    .await
    .map_err(|e| e.to_string())?;
    let run = &outcome.run;
    let mut out = format!(
        "`{}`: {}{} in {:.1} s (run {}); {} errors, {} warnings",
        run.command_line,
        run.status.as_str(),
        run.exit_code
            .map(|c| format!(" (exit code {c})"))
            .unwrap_or_default(),
        run.duration_ms.unwrap_or(0) as f64 / 1000.0,
        run.id,
        run.errors,
        run.warnings,
    );
    if run.status == RunStatus::TimedOut {
        out.push_str(&format!(" - stopped after the {} s timeout", timeout.as_secs()));
    }
    if let Some(f) = &run.failure {
        out.push_str(&format!("\n{f}"));
    }
    if !outcome.resolved.is_empty() {
        out.push_str(&format!(
            "\n{} earlier errors are now resolved",
            outcome.resolved.len()
        ));
    }
    for d in outcome.diagnostics.iter().take(MAX_DIAGNOSTICS) {
        let place = match (&d.file, d.line) {
            (Some(f), Some(l)) => format!("{f}:{l}: "),
            (Some(f), None) => format!("{f}: "),
            _ => String::new(),
        };
        out.push_str(&format!("\n{} {place}{}", d.severity.as_str(), d.message));
    }
    let tail = tail.lock().expect("tail").clone();
    let text = String::from_utf8_lossy(&tail);
    let start = text.len().saturating_sub(TAIL_BYTES);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(text.len());
    out.push_str(&format!("\n--- end of output ---\n{}", &text[start..]));
    let ok = run.status == RunStatus::Succeeded;
    let text = bound(out, MAX_OUTPUT_CHARS, "the full log is stored with the run");
    Ok(if ok {
        ToolOutput::ok(text)
    } else {
        ToolOutput::err(text)
    })
}
