//! What one hook's run means, per Claude Code's documented exit codes and JSON answer,
//! plus Mira's `on_failure`.

use std::path::PathBuf;
use std::time::Duration;

use crate::capture::CapturedOutput;
use crate::config::{HookEntry, OnFailure};
use crate::event::HookEvent;
use crate::output::{HookAnswer, PermissionDecision};
use crate::run::{Ending, ProcessRun};

/// How one hook's run came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookOutcome {
    /// It succeeded (exit 0), whatever its answer said besides blocking.
    Ok,
    /// It held the agent back: exit 2, `decision: block`, `permissionDecision: deny`, or a
    /// failure of an `on_failure: block` hook, at an event that can be blocked.
    Blocked,
    /// It failed (another exit code, a signal, a timeout, a failure to start, or exit 2 at
    /// an event that cannot be blocked); the user is told.
    Error,
    /// It failed and its entry says `on_failure: ignore`; nobody is told.
    Ignored,
    /// The run was cancelled before it finished; its process group was killed.
    Cancelled,
}

impl HookOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            HookOutcome::Ok => "ok",
            HookOutcome::Blocked => "blocked",
            HookOutcome::Error => "error",
            HookOutcome::Ignored => "ignored",
            HookOutcome::Cancelled => "cancelled",
        }
    }
}

/// How much a message for the user matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A successful hook's plain output, at events where it is not context for the model.
    Info,
    /// A hook's `systemMessage`.
    Warning,
    /// A hook that failed (with `on_failure: warn`, the default).
    Error,
}

/// Something a hook has to say to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMessage {
    pub kind: MessageKind,
    /// The hook's command, so the user knows which one spoke.
    pub command: String,
    pub text: String,
}

/// One hook's run, for showing it as an event of its own.
#[derive(Debug, Clone)]
pub struct HookResult {
    pub event: HookEvent,
    pub command: String,
    /// The file the hook was configured in, and the line of its entry.
    pub source: PathBuf,
    pub line: usize,
    pub matcher: String,
    /// The exit code; `None` when it did not exit by itself (timeout, cancellation,
    /// signal, failure to start).
    pub exit_code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub cancelled: bool,
    pub duration: Duration,
    pub stdout: CapturedOutput,
    pub stderr: CapturedOutput,
    pub outcome: HookOutcome,
    /// Why it blocked, what went wrong, or why it asked to stop: one line for a listing.
    pub message: Option<String>,
    /// Its JSON answer, when its stdout was one (exit 0 only, as in Claude Code).
    pub answer: Option<HookAnswer>,
    pub(crate) effects: Effects,
}

/// What one hook's run asks of the agent; the report sums them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Effects {
    pub(crate) block_reason: Option<String>,
    pub(crate) permission: Option<(PermissionDecision, Option<String>)>,
    pub(crate) stop_reason: Option<String>,
    pub(crate) context: Option<String>,
    pub(crate) user_messages: Vec<UserMessage>,
}

pub(crate) fn interpret(event: HookEvent, entry: &HookEntry, run: ProcessRun) -> HookResult {
    let command = entry.command.clone();
    let mut effects = Effects::default();
    let mut answer = None;
    let (outcome, message) = match &run.ending {
        Ending::Cancelled => (HookOutcome::Cancelled, Some("cancelled".to_string())),
        Ending::NotStarted(why) => failure(
            event,
            entry,
            format!("could not start: {why}"),
            &run,
            &mut effects,
        ),
        Ending::Lost(why) => failure(event, entry, why.clone(), &run, &mut effects),
        Ending::TimedOut => {
            let what = format!(
                "timed out after {} and was killed; raise its `timeout` (seconds) or make it faster",
                seconds(entry.timeout)
            );
            failure(event, entry, what, &run, &mut effects)
        }
        Ending::Exited => match (run.exit_code, run.signal) {
            (Some(0), _) => {
                answer = HookAnswer::parse(&run.stdout.text, event == HookEvent::PreToolUse);
                success(event, &command, &run, answer.as_ref(), &mut effects)
            }
            (Some(2), _) => {
                let reason = match run.stderr.text.trim() {
                    "" => format!("hook `{command}` exited with code 2 (block) without a reason on stderr"),
                    text => text.to_string(),
                };
                if event.can_block() {
                    block(event, reason, &mut effects)
                } else {
                    let text = format!("hook `{command}` exited with code 2: {reason}");
                    effects.user_messages.push(UserMessage {
                        kind: MessageKind::Error,
                        command: command.clone(),
                        text: text.clone(),
                    });
                    (HookOutcome::Error, Some(text))
                }
            }
            (Some(code), _) => failure(
                event,
                entry,
                format!("exited with code {code}"),
                &run,
                &mut effects,
            ),
            (None, Some(signal)) => failure(
                event,
                entry,
                format!("was killed by signal {signal}"),
                &run,
                &mut effects,
            ),
            (None, None) => failure(
                event,
                entry,
                "ended without an exit code".into(),
                &run,
                &mut effects,
            ),
        },
    };
    HookResult {
        event,
        command,
        source: entry.source.clone(),
        line: entry.line,
        matcher: entry.matcher.clone(),
        exit_code: run.exit_code,
        signal: run.signal,
        timed_out: run.ending == Ending::TimedOut,
        cancelled: run.ending == Ending::Cancelled,
        duration: run.duration,
        stdout: run.stdout,
        stderr: run.stderr,
        outcome,
        message,
        answer,
        effects,
    }
}

fn block(event: HookEvent, reason: String, effects: &mut Effects) -> (HookOutcome, Option<String>) {
    if event == HookEvent::PreToolUse {
        effects.permission = Some((PermissionDecision::Deny, Some(reason.clone())));
    }
    effects.block_reason = Some(reason.clone());
    (HookOutcome::Blocked, Some(reason))
}

/// A failure (not exit 2, which is a deliberate block): what the entry's `on_failure`
/// says.
fn failure(
    event: HookEvent,
    entry: &HookEntry,
    what: String,
    run: &ProcessRun,
    effects: &mut Effects,
) -> (HookOutcome, Option<String>) {
    let mut text = format!("hook `{}` {what}", entry.command);
    let stderr = run.stderr.text.trim();
    if !stderr.is_empty() {
        text.push_str(": ");
        text.push_str(stderr);
    }
    match entry.on_failure {
        OnFailure::Ignore => (HookOutcome::Ignored, Some(text)),
        OnFailure::Block if event.can_block() => block(event, text, effects),
        OnFailure::Block | OnFailure::Warn => {
            effects.user_messages.push(UserMessage {
                kind: MessageKind::Error,
                command: entry.command.clone(),
                text: text.clone(),
            });
            (HookOutcome::Error, Some(text))
        }
    }
}

fn success(
    event: HookEvent,
    command: &str,
    run: &ProcessRun,
    answer: Option<&HookAnswer>,
    effects: &mut Effects,
) -> (HookOutcome, Option<String>) {
    let Some(answer) = answer else {
        let text = run.stdout.text.trim();
        if !text.is_empty() {
            if event.stdout_is_context() {
                effects.context = Some(text.to_string());
            } else {
                effects.user_messages.push(UserMessage {
                    kind: MessageKind::Info,
                    command: command.to_string(),
                    text: run.stdout.text_with_note().trim().to_string(),
                });
            }
        }
        return (HookOutcome::Ok, None);
    };
    if let Some(warning) = &answer.system_message {
        effects.user_messages.push(UserMessage {
            kind: MessageKind::Warning,
            command: command.to_string(),
            text: warning.clone(),
        });
    }
    effects.context = answer.additional_context.clone().filter(|c| !c.trim().is_empty());
    let mut result = (HookOutcome::Ok, None);
    if event == HookEvent::PreToolUse {
        match answer.permission {
            Some(PermissionDecision::Deny) => {
                let reason = answer
                    .permission_reason
                    .clone()
                    .unwrap_or_else(|| format!("hook `{command}` denied the tool call"));
                result = block(event, reason, effects);
            }
            Some(decision) => effects.permission = Some((decision, answer.permission_reason.clone())),
            None => {}
        }
    } else if answer.block && event.can_block() {
        let reason = answer
            .reason
            .clone()
            .unwrap_or_else(|| format!("hook `{command}` blocked without a reason"));
        result = block(event, reason, effects);
    }
    if answer.stops() {
        let reason = answer
            .stop_reason
            .clone()
            .unwrap_or_else(|| format!("hook `{command}` asked the agent to stop"));
        effects.stop_reason = Some(reason.clone());
        result.1 = Some(reason);
    }
    result
}

fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs} s")
    }
}
