//! Hooks: commands the user configures to run at the agent's events.
//!
//! Mira reads Claude Code's hooks as they are, so a project's `.claude/settings.json`
//! works unchanged, and adds its own `.mira/hooks.json` in the same shape.
//!
//! # Sources and merging
//!
//! [`load`] reads, in this order (a missing file is skipped):
//!
//! 1. `<home>/.claude/settings.json`
//! 2. `<home>/.mira/hooks.json`
//! 3. `<project>/.claude/settings.json`
//! 4. `<project>/.claude/settings.local.json`
//! 5. `<project>/.mira/hooks.json`
//!
//! Claude Code's settings files keep hooks under `"hooks"`; their other keys
//! (permissions, env, model, ...) are ignored. `.mira/hooks.json` is either
//! `{"hooks": {...}}` or the event map itself:
//!
//! ```json
//! {"hooks": {
//!   "PreToolUse": [{"matcher": "Edit|Write",
//!                   "hooks": [{"type": "command", "command": "./check.sh", "timeout": 30,
//!                              "on_failure": "block"}]}],
//!   "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "echo context"}]}]
//! }}
//! ```
//!
//! All sources merge: every matching hook runs, as in Claude Code, and a command that
//! matches twice for one event (say in two files) runs once. `timeout` is in seconds
//! (default 60). `on_failure` is Mira's own (any file may use it): what a failure does,
//! `"block"`, `"warn"` (the default, Claude Code's behaviour) or `"ignore"`.
//!
//! Loading never fails as a whole. A file that is not valid JSON is one [`LoadProblem`]
//! (with serde_json's line); an entry that cannot be used (an unknown event, no
//! `command`, a bad matcher regex, a `"type": "prompt"` hook, which Mira does not
//! support) is one problem with the line of the entry, and the rest loads.
//!
//! # Matching
//!
//! Each event's hooks are filtered by their group's `matcher` against a target: the tool
//! name at PreToolUse and PostToolUse, `startup|resume|clear|compact` at SessionStart,
//! `manual|auto` at PreCompact, the notification kind at Notification; the other events
//! have no target and run all their hooks. See [`Matcher`] for the forms (exact, `A|B`,
//! whole-name regex, `*`, Mira's `write_*` glob). For tools, a matcher matches Mira's name
//! or its Claude Code alias ([`claude_tool_name`]): `Edit|Write` matches `edit_file`.
//!
//! # Running
//!
//! [`Hooks::run`] starts every matched hook at once, each as `sh -c <command>` in the
//! project root with `CLAUDE_PROJECT_DIR` and `MIRA_PROJECT_DIR` set, in its own process
//! group. Its stdin is one JSON object: the common fields (`session_id`,
//! `transcript_path`, `cwd`, `hook_event_name`, `permission_mode`, from the
//! [`RunContext`]) and the event's own, built by the caller with the helpers in [`fields`]
//! (PreToolUse: `tool_name` as Claude Code names the tool, `mira_tool_name`, `tool_input`
//! with Claude Code's field names added, see [`tool_input`]). Its stdout and stderr are
//! kept up to [`OUTPUT_LIMIT`] each. At its timeout, or when the context's cancellation
//! token fires, its whole process group is killed; when its shell exits, whatever it left
//! running in the group is killed too.
//!
//! # Results
//!
//! Per hook ([`HookResult`]), as Claude Code documents:
//!
//! - exit 0: success. Plain stdout is context for the model at UserPromptSubmit and
//!   SessionStart, and shown to the user elsewhere. Stdout that is a JSON object is the
//!   hook's answer ([`HookAnswer`]): `continue: false` (stop, with `stopReason`),
//!   `systemMessage`, `decision: "block"` with `reason`,
//!   `hookSpecificOutput.permissionDecision` (`allow`/`ask`/`deny`, PreToolUse; the
//!   older `decision: "approve"/"block"` there too) and `additionalContext`.
//! - exit 2: a block, with stderr as the reason.
//! - anything else, a failure to start, a timeout: a failure, shown to the user, unless
//!   `on_failure` says `block` (a block whose reason names the hook and what went wrong)
//!   or `ignore`.
//!
//! The [`Report`] sums them for the engine. Where a block's reason goes depends on the
//! event:
//!
//! | event | a block means | the reason goes to |
//! | --- | --- | --- |
//! | PreToolUse | the tool call is refused (`permission` is `Deny`) | the model, as the tool's result |
//! | PostToolUse | the tool already ran; the model is told | the model |
//! | UserPromptSubmit | the prompt is refused | the user |
//! | Stop, SubagentStop | the agent must not stop yet | the model, as why to continue |
//! | SessionStart, SessionEnd, PreCompact, Notification | nothing: they cannot be blocked, exit 2 is an error shown to the user | the user |
//!
//! # Example
//!
//! ```no_run
//! # async fn example() {
//! use std::path::Path;
//! use mira_hooks::{HookEvent, RunContext, fields};
//!
//! let root = Path::new("/work/project");
//! let (hooks, problems) = mira_hooks::load(root, std::env::home_dir().as_deref());
//! for problem in &problems {
//!     eprintln!("{problem}");
//! }
//! let args = serde_json::json!({"path": "src/main.rs", "search": "a", "replace": "b"});
//! let ctx = RunContext::new(root, "operation-42");
//! let report = hooks
//!     .run(HookEvent::PreToolUse, Some("edit_file"), fields::pre_tool_use("edit_file", &args, root), &ctx)
//!     .await;
//! if let Some(reason) = report.block_reason() {
//!     println!("refused: {reason}");
//! }
//! # }
//! ```

mod capture;
mod config;
mod event;
mod hooks;
mod input;
mod json_lines;
mod matcher;
mod output;
mod report;
mod result;
mod run;
mod tools;

pub use capture::{CapturedOutput, OUTPUT_LIMIT};
pub use config::{DEFAULT_TIMEOUT, HookEntry, LoadProblem, OnFailure, SourceKind, sources};
pub use event::HookEvent;
pub use hooks::{Hooks, load};
pub use input::RunContext;
pub use matcher::Matcher;
pub use output::{HookAnswer, PermissionDecision};
pub use report::Report;
pub use result::{HookOutcome, HookResult, MessageKind, UserMessage};
pub use tools::{claude_tool_aliases, claude_tool_name, hook_tool_name, tool_input};

/// Builders for each event's own stdin fields, to pass to [`Hooks::run`].
pub mod fields {
    pub use crate::input::{
        notification, post_tool_use, pre_compact, pre_tool_use, session_end, session_start, stop,
        user_prompt_submit,
    };
}

pub use tokio_util::sync::CancellationToken;
