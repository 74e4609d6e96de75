//! ask_user: a question to the person running the operation, or, when nobody can
//! answer (an unattended run), the instruction to decide alone.

use super::{Args, ToolContext, ToolOutput, str_arg};
use crate::events::AgentEvent;

pub const NO_USER: &str = "no user available, decide yourself";

pub async fn ask_user(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let question = str_arg(args, "question")?.trim().to_string();
    if question.is_empty() {
        return Err("the question is empty".into());
    }
    if !ctx.user_available {
        return Ok(ToolOutput::ok(NO_USER));
    }
    let answer = ctx.handle.expect_answer();
    ctx.emitter.emit(AgentEvent::AskUser { question }, None).await;
    let cancel = ctx.handle.token();
    tokio::select! {
        a = answer => Ok(ToolOutput::ok(a.unwrap_or_else(|_| NO_USER.to_string()))),
        _ = cancel.cancelled() => Err("the operation was cancelled before the user answered".into()),
    }
}
