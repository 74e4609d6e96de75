//! The typed events of an operation: streamed to the terminal and the UI as they
//! happen, and stored in `operation_events` (the model's text once per step, not per
//! streamed piece).

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AgentEvent {
    Started {
        operation_id: i64,
        task: String,
        mode: String,
    },
    /// A model call begins (1-based).
    Step {
        n: usize,
    },
    /// The model's words as they stream.
    Text {
        text: String,
    },
    ToolCall {
        call_id: String,
        name: String,
        arguments: Value,
    },
    ToolResult {
        call_id: String,
        name: String,
        ok: bool,
        /// What the model read, cut to a bound for the UI.
        output: String,
        duration_ms: u64,
    },
    /// A file change: `pending` in ask mode until decided, `applied` in auto mode.
    Artifact {
        artifact_id: i64,
        checkpoint_id: String,
        path: String,
        diff: String,
        status: String,
    },
    ArtifactDecided {
        artifact_id: i64,
        status: String,
    },
    /// The model asks the user something; answer with `OperationHandle::answer`.
    AskUser {
        question: String,
    },
    /// Running totals of the operation.
    Usage {
        input_tokens: u64,
        output_tokens: u64,
        cost_usd: f64,
    },
    /// Files put back as they were at a checkpoint.
    Rewound {
        checkpoint_id: String,
        files: Vec<String>,
    },
    Done {
        /// complete | cancelled | failed | step_limit
        status: String,
        summary: String,
        steps: usize,
        cost_usd: f64,
    },
    Failed {
        error: String,
        kind: String,
    },
    /// A hook ran at one of the agent's events (`hook_event`: PreToolUse, Stop, ...).
    Hook {
        hook_event: String,
        /// The tool or source it matched on.
        target: Option<String>,
        command: String,
        /// Where it is configured, relative to the project or `~/...`.
        source: String,
        /// ok | blocked | error | ignored
        outcome: String,
        exit_code: Option<i32>,
        timed_out: bool,
        duration_ms: u64,
        /// What the hook said (its reason, stderr or output), bounded.
        message: String,
    },
    /// The agent delegated to a sub-agent, which runs as operation `operation_id`.
    SubagentStarted {
        operation_id: i64,
        agent: String,
        task: String,
        /// Why the agent's model was not taken as written, when it was not.
        note: Option<String>,
    },
    SubagentDone {
        operation_id: i64,
        agent: String,
        status: String,
        summary: String,
        steps: usize,
        cost_usd: f64,
    },
    /// An event of a sub-agent's operation, streamed inside its parent's (stored with
    /// the sub-agent's own operation, not the parent's).
    Nested {
        operation_id: i64,
        inner: Box<AgentEvent>,
    },
}

impl AgentEvent {
    /// The `event` tag, stored as the row's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Started { .. } => "started",
            Self::Step { .. } => "step",
            Self::Text { .. } => "text",
            Self::ToolCall { .. } => "tool_call",
            Self::ToolResult { .. } => "tool_result",
            Self::Artifact { .. } => "artifact",
            Self::ArtifactDecided { .. } => "artifact_decided",
            Self::AskUser { .. } => "ask_user",
            Self::Usage { .. } => "usage",
            Self::Rewound { .. } => "rewound",
            Self::Done { .. } => "done",
            Self::Failed { .. } => "failed",
            Self::Hook { .. } => "hook",
            Self::SubagentStarted { .. } => "subagent_started",
            Self::SubagentDone { .. } => "subagent_done",
            Self::Nested { .. } => "nested",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_snake_case() {
        let e = AgentEvent::ToolResult {
            call_id: "c".into(),
            name: "read_file".into(),
            ok: true,
            output: "x".into(),
            duration_ms: 3,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["event"], "tool_result");
        assert_eq!(e.kind(), "tool_result");
        let back: AgentEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
