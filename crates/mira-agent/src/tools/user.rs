//! ask_user: a question to the person running the operation, or, when nobody can
//! answer (an unattended run), the instruction to decide alone.

use super::{Args, ToolContext, ToolOutput, str_arg};
use crate::events::AgentEvent;

pub const NO_USER: &str = "no user available, decide yourself";

/// Asks the person a yes/no question (a hook's `permissionDecision: ask`); without a
/// person, or on any answer but yes, the answer is no.
pub async fn confirm(ctx: &ToolContext, question: String) -> bool {
    if !ctx.user_available {
        return false;
    }
    let answer = ctx.handle.expect_answer();
    crate::hook_points::notify(ctx, "permission_prompt", &question).await;
    ctx.emitter.emit(AgentEvent::AskUser { question }, None).await;
    let cancel = ctx.handle.token();
    tokio::select! {
        a = answer => a.is_ok_and(|a| {
            let a = a.trim().to_ascii_lowercase();
            a.starts_with('y') || a == "allow"
        }),
        _ = cancel.cancelled() => false,
    }
}

pub async fn ask_user(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let question = str_arg(args, "question")?.trim().to_string();
    if question.is_empty() {
        return Err("the question is empty".into());
    }
    if !ctx.user_available {
        return Ok(ToolOutput::ok(NO_USER));
    }
    let answer = ctx.handle.expect_answer();
    crate::hook_points::notify(ctx, "question", &format!("Mira asks: {question}")).await;
    ctx.emitter.emit(AgentEvent::AskUser { question }, None).await;
    let cancel = ctx.handle.token();
    tokio::select! {
        a = answer => Ok(ToolOutput::ok(a.unwrap_or_else(|_| NO_USER.to_string()))),
        _ = cancel.cancelled() => Err("the operation was cancelled before the user answered".into()),
    }
}
