//! The JSON object a hook reads on stdin: the common fields every event carries, which this
//! crate adds, and each event's own fields, which the caller builds with the helpers here.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::event::HookEvent;
use crate::tools;

/// What every hook run of a session shares.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// The hooks' working directory, and `CLAUDE_PROJECT_DIR` / `MIRA_PROJECT_DIR`.
    pub project_root: PathBuf,
    /// `session_id` in the hook's input (Mira's operation or conversation id).
    pub session_id: String,
    /// `transcript_path` in the hook's input; null when Mira keeps no transcript file.
    pub transcript_path: Option<PathBuf>,
    /// `permission_mode` in the hook's input (`default`, `acceptEdits`, `plan`, ...).
    pub permission_mode: String,
    /// Cancelling it kills every running hook's process group.
    pub cancel: Option<CancellationToken>,
}

impl RunContext {
    /// A context with no transcript, permission mode `default` and no cancellation.
    pub fn new(project_root: impl Into<PathBuf>, session_id: impl Into<String>) -> RunContext {
        RunContext {
            project_root: project_root.into(),
            session_id: session_id.into(),
            transcript_path: None,
            permission_mode: "default".to_string(),
            cancel: None,
        }
    }
}

/// The stdin object: the event's `fields`, then the common fields, which win over a field
/// of the same name so every hook can rely on them.
pub(crate) fn stdin_json(event: HookEvent, fields: Map<String, Value>, ctx: &RunContext) -> Value {
    let mut input = fields;
    input.insert("session_id".into(), Value::String(ctx.session_id.clone()));
    input.insert(
        "transcript_path".into(),
        match &ctx.transcript_path {
            Some(path) => Value::String(path.to_string_lossy().into_owned()),
            None => Value::Null,
        },
    );
    input.insert(
        "cwd".into(),
        Value::String(ctx.project_root.to_string_lossy().into_owned()),
    );
    input.insert("hook_event_name".into(), Value::String(event.as_str().into()));
    input.insert(
        "permission_mode".into(),
        Value::String(ctx.permission_mode.clone()),
    );
    Value::Object(input)
}

/// PreToolUse's fields: `tool_name` (Claude Code's alias when there is one),
/// `mira_tool_name` (always Mira's name) and `tool_input` (see [`tools::tool_input`]).
pub fn pre_tool_use(mira_tool: &str, arguments: &Value, project_root: &Path) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert(
        "tool_name".into(),
        Value::String(tools::hook_tool_name(mira_tool).into()),
    );
    fields.insert("mira_tool_name".into(), Value::String(mira_tool.into()));
    fields.insert(
        "tool_input".into(),
        tools::tool_input(mira_tool, arguments, project_root),
    );
    fields
}

/// PostToolUse's fields: PreToolUse's plus `tool_response`, what the tool answered.
pub fn post_tool_use(
    mira_tool: &str,
    arguments: &Value,
    response: Value,
    project_root: &Path,
) -> Map<String, Value> {
    let mut fields = pre_tool_use(mira_tool, arguments, project_root);
    fields.insert("tool_response".into(), response);
    fields
}

/// UserPromptSubmit's fields: `prompt`.
pub fn user_prompt_submit(prompt: &str) -> Map<String, Value> {
    object(json!({ "prompt": prompt }))
}

/// Stop's and SubagentStop's fields: `stop_hook_active`, true when the agent is already
/// continuing because a Stop hook held it back (so a hook can avoid holding it forever).
pub fn stop(stop_hook_active: bool) -> Map<String, Value> {
    object(json!({ "stop_hook_active": stop_hook_active }))
}

/// SessionStart's fields: `source` (`startup`, `resume`, `clear` or `compact`).
pub fn session_start(source: &str) -> Map<String, Value> {
    object(json!({ "source": source }))
}

/// SessionEnd's fields: `reason` (`clear`, `logout`, `prompt_input_exit`, `other`, ...).
pub fn session_end(reason: &str) -> Map<String, Value> {
    object(json!({ "reason": reason }))
}

/// PreCompact's fields: `trigger` (`manual` or `auto`) and `custom_instructions` (what the
/// user gave with a manual compaction; empty otherwise).
pub fn pre_compact(trigger: &str, custom_instructions: &str) -> Map<String, Value> {
    object(json!({ "trigger": trigger, "custom_instructions": custom_instructions }))
}

/// Notification's fields: `message`, and `notification_type` (the kind the matcher
/// filters on).
pub fn notification(kind: &str, message: &str) -> Map<String, Value> {
    object(json!({ "message": message, "notification_type": kind }))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
