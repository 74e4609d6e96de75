//! A hook's structured answer: its stdout, when that is a JSON object, read with Claude
//! Code's documented fields. Fields of the wrong type are ignored, as if absent, so an odd
//! answer never stops the agent by accident.

use serde_json::{Map, Value};

/// A PreToolUse hook's say on a tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PermissionDecision {
    /// Run it without asking the user.
    Allow,
    /// Ask the user first.
    Ask,
    /// Refuse it; the reason goes to the model.
    Deny,
}

impl PermissionDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionDecision::Allow => "allow",
            PermissionDecision::Ask => "ask",
            PermissionDecision::Deny => "deny",
        }
    }
}

/// The fields of a hook's JSON answer that Mira acts on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HookAnswer {
    /// `continue`: false means the agent stops after this event (it wins over any
    /// decision). Absent means true.
    pub continue_: Option<bool>,
    /// `stopReason`: shown to the user when `continue` is false.
    pub stop_reason: Option<String>,
    /// `suppressOutput`: the hook's stdout is not shown to the user.
    pub suppress_output: bool,
    /// `systemMessage`: a warning shown to the user.
    pub system_message: Option<String>,
    /// `decision: "block"` (or PreToolUse's older `"block"`), with `reason`.
    pub block: bool,
    /// `reason`: why it blocked, or (PreToolUse's older form) why it approved.
    pub reason: Option<String>,
    /// `hookSpecificOutput.permissionDecision`, or PreToolUse's older `decision`
    /// ("approve" = allow, "block" = deny).
    pub permission: Option<PermissionDecision>,
    /// `hookSpecificOutput.permissionDecisionReason` (or the older `reason`).
    pub permission_reason: Option<String>,
    /// `hookSpecificOutput.additionalContext`: context for the model.
    pub additional_context: Option<String>,
    /// `hookSpecificOutput.hookEventName`, which Claude Code asks hooks to echo back.
    pub hook_event_name: Option<String>,
}

impl HookAnswer {
    /// The answer in `stdout`, if its trimmed text is a JSON object.
    pub fn parse(stdout: &str, is_pre_tool_use: bool) -> Option<HookAnswer> {
        let trimmed = stdout.trim();
        if !trimmed.starts_with('{') {
            return None;
        }
        let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(trimmed) else {
            return None;
        };
        let specific = fields.get("hookSpecificOutput").and_then(Value::as_object);
        let text = |map: Option<&Map<String, Value>>, key: &str| {
            map.and_then(|m| m.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let top = Some(&fields);
        let decision = text(top, "decision");
        let reason = text(top, "reason");
        let mut permission = text(specific, "permissionDecision").and_then(|d| match d.as_str() {
            "allow" => Some(PermissionDecision::Allow),
            "ask" => Some(PermissionDecision::Ask),
            "deny" => Some(PermissionDecision::Deny),
            _ => None,
        });
        let mut permission_reason = text(specific, "permissionDecisionReason");
        if is_pre_tool_use && permission.is_none() {
            // The older PreToolUse form, still documented as deprecated.
            permission = match decision.as_deref() {
                Some("approve") => Some(PermissionDecision::Allow),
                Some("block") => Some(PermissionDecision::Deny),
                _ => None,
            };
            if permission.is_some() && permission_reason.is_none() {
                permission_reason = reason.clone();
            }
        }
        Some(HookAnswer {
            continue_: fields.get("continue").and_then(Value::as_bool),
            stop_reason: text(top, "stopReason"),
            suppress_output: fields
                .get("suppressOutput")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            system_message: text(top, "systemMessage"),
            block: decision.as_deref() == Some("block"),
            reason,
            permission,
            permission_reason,
            additional_context: text(specific, "additionalContext"),
            hook_event_name: text(specific, "hookEventName"),
        })
    }

    /// Whether the hook asked the agent to stop (`"continue": false`).
    pub fn stops(&self) -> bool {
        self.continue_ == Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_fields() {
        let answer = HookAnswer::parse(
            r#" {"continue": false, "stopReason": "done", "suppressOutput": true, "systemMessage": "careful",
                "hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "ask",
                "permissionDecisionReason": "big change", "additionalContext": "ctx"}} "#,
            true,
        )
        .unwrap();
        assert!(answer.stops());
        assert_eq!(answer.stop_reason.as_deref(), Some("done"));
        assert!(answer.suppress_output);
        assert_eq!(answer.system_message.as_deref(), Some("careful"));
        assert_eq!(answer.permission, Some(PermissionDecision::Ask));
        assert_eq!(answer.permission_reason.as_deref(), Some("big change"));
        assert_eq!(answer.additional_context.as_deref(), Some("ctx"));
        assert_eq!(answer.hook_event_name.as_deref(), Some("PreToolUse"));
    }

    #[test]
    fn plain_text_arrays_and_broken_json_are_not_answers() {
        assert_eq!(HookAnswer::parse("hello", false), None);
        assert_eq!(HookAnswer::parse("[1, 2]", false), None);
        assert_eq!(HookAnswer::parse("{\"decision\": ", false), None);
    }

    #[test]
    fn older_pre_tool_use_decisions_are_permissions_only_there() {
        let approve = HookAnswer::parse(r#"{"decision": "approve", "reason": "safe"}"#, true).unwrap();
        assert_eq!(approve.permission, Some(PermissionDecision::Allow));
        assert_eq!(approve.permission_reason.as_deref(), Some("safe"));
        assert!(!approve.block);
        let block = HookAnswer::parse(r#"{"decision": "block", "reason": "no"}"#, true).unwrap();
        assert_eq!(block.permission, Some(PermissionDecision::Deny));
        let elsewhere = HookAnswer::parse(r#"{"decision": "approve"}"#, false).unwrap();
        assert_eq!(elsewhere.permission, None);
    }
}
