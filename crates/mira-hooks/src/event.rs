//! The events hooks run at, named as Claude Code names them.

use std::fmt;

/// An agent event a hook can be attached to. The names are Claude Code's, so its settings
/// files load unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookEvent {
    /// Before a tool call runs; the matcher filters on the tool's name.
    PreToolUse,
    /// After a tool call ran; the matcher filters on the tool's name.
    PostToolUse,
    /// When the user submits a prompt, before the model sees it.
    UserPromptSubmit,
    /// When the agent is about to end its turn.
    Stop,
    /// When a sub-agent is about to end its turn.
    SubagentStop,
    /// When a session starts; the matcher filters on `startup|resume|clear|compact`.
    SessionStart,
    /// When a session ends.
    SessionEnd,
    /// Before the conversation is compacted; the matcher filters on `manual|auto`.
    PreCompact,
    /// When the agent notifies the user; the matcher filters on the notification kind.
    Notification,
}

impl HookEvent {
    /// Every event, in the order Claude Code's documentation lists them.
    pub const ALL: [HookEvent; 9] = [
        HookEvent::PreToolUse,
        HookEvent::PostToolUse,
        HookEvent::UserPromptSubmit,
        HookEvent::Stop,
        HookEvent::SubagentStop,
        HookEvent::SessionStart,
        HookEvent::SessionEnd,
        HookEvent::PreCompact,
        HookEvent::Notification,
    ];

    /// The documented name, as in the settings files and the `hook_event_name` field.
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::PreToolUse => "PreToolUse",
            HookEvent::PostToolUse => "PostToolUse",
            HookEvent::UserPromptSubmit => "UserPromptSubmit",
            HookEvent::Stop => "Stop",
            HookEvent::SubagentStop => "SubagentStop",
            HookEvent::SessionStart => "SessionStart",
            HookEvent::SessionEnd => "SessionEnd",
            HookEvent::PreCompact => "PreCompact",
            HookEvent::Notification => "Notification",
        }
    }

    /// The event of a documented name (case-sensitive, as Claude Code reads it).
    pub fn parse(name: &str) -> Option<HookEvent> {
        HookEvent::ALL.into_iter().find(|event| event.as_str() == name)
    }

    /// Whether the matcher names a tool, so Claude Code's tool names match Mira's tools.
    pub fn is_tool_event(self) -> bool {
        matches!(self, HookEvent::PreToolUse | HookEvent::PostToolUse)
    }

    /// Whether a hook can hold the agent back at this event (exit code 2 or
    /// `"decision": "block"`). At the others, exit code 2 is only an error shown to the
    /// user, as in Claude Code.
    pub fn can_block(self) -> bool {
        matches!(
            self,
            HookEvent::PreToolUse
                | HookEvent::PostToolUse
                | HookEvent::UserPromptSubmit
                | HookEvent::Stop
                | HookEvent::SubagentStop
        )
    }

    /// Whether a successful hook's plain stdout is context for the model (rather than
    /// output shown to the user).
    pub fn stdout_is_context(self) -> bool {
        matches!(self, HookEvent::UserPromptSubmit | HookEvent::SessionStart)
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The known event names joined for an error message.
pub(crate) fn known_names() -> String {
    HookEvent::ALL.map(HookEvent::as_str).join(", ")
}
