//! Where the engine runs the user's hooks (mira-hooks) and shows each one as an
//! operation event. Mira never compacts an operation's conversation, so PreCompact
//! hooks load (and `/hooks` lists them) but have nothing to fire on.

use mira_hooks::{HookEvent, Report, RunContext};
use serde_json::{Map, Value};

use crate::events::AgentEvent;
use crate::markdown_dirs;
use crate::tools::{Mode, ToolContext, bound};

/// Characters of a hook's message kept in its event.
const EVENT_MESSAGE_CHARS: usize = 2_000;

fn run_context(ctx: &ToolContext) -> RunContext {
    let mut run = RunContext::new(&ctx.root, format!("mira-operation-{}", ctx.operation_id()));
    // Claude Code's names for the same two ways of working.
    run.permission_mode = match ctx.mode {
        Mode::Ask => "default",
        Mode::Auto => "acceptEdits",
    }
    .into();
    run.cancel = Some(ctx.handle.token());
    run
}

/// Runs the hooks of `event` (none configured: an empty report at no cost) and emits
/// one `hook` event per hook that ran.
pub(crate) async fn fire(
    ctx: &ToolContext,
    event: HookEvent,
    target: Option<&str>,
    fields: Map<String, Value>,
) -> Report {
    let Some(ext) = &ctx.extensions else {
        return Report::empty(event);
    };
    let hooks = ext.hooks();
    if hooks.count(event, target) == 0 {
        return Report::empty(event);
    }
    let report = hooks.run(event, target, fields, &run_context(ctx)).await;
    let home = ext.home.as_deref();
    for r in &report.results {
        let message = r
            .message
            .clone()
            .or_else(|| {
                let out = r.stdout.text.trim();
                (!out.is_empty()).then(|| out.to_string())
            })
            .unwrap_or_default();
        ctx.emitter
            .emit(
                AgentEvent::Hook {
                    hook_event: event.as_str().into(),
                    target: target.map(str::to_string),
                    command: r.command.clone(),
                    source: format!(
                        "{}:{}",
                        markdown_dirs::display(&r.source, Some(&ctx.root), home),
                        r.line
                    ),
                    outcome: r.outcome.as_str().into(),
                    exit_code: r.exit_code,
                    timed_out: r.timed_out,
                    duration_ms: r.duration.as_millis() as u64,
                    message: bound(message, EVENT_MESSAGE_CHARS, "the hook said more"),
                },
                Some(r.duration.as_millis() as u64),
            )
            .await;
    }
    report
}

/// A Notification hook: the operation waits for the person (a change to decide, a
/// question to answer).
pub(crate) async fn notify(ctx: &ToolContext, kind: &str, message: &str) {
    fire(
        ctx,
        HookEvent::Notification,
        Some(kind),
        mira_hooks::fields::notification(kind, message),
    )
    .await;
}
