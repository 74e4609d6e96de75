//! The sum of one event's hook results: what the engine acts on.

use crate::event::HookEvent;
use crate::output::PermissionDecision;
use crate::result::{HookOutcome, HookResult, UserMessage};

/// What the hooks of one event ask of the agent, with each hook's own result.
///
/// The engine reads it in this order: `stop` (the agent ends, and `stop` is shown to the
/// user; it wins over any block), then `blocked` (see the crate docs for where the reason
/// goes at each event), then `permission` (PreToolUse), then `context` and
/// `user_messages`.
#[derive(Debug, Clone)]
pub struct Report {
    pub event: HookEvent,
    /// Each matched hook's result, in configuration order.
    pub results: Vec<HookResult>,
    /// Whether a hook held the agent back. At PreToolUse this is the same as
    /// `permission == Some(Deny)`.
    pub blocked: bool,
    /// Why, one reason per blocking hook.
    pub block_reasons: Vec<String>,
    /// PreToolUse only: the strongest decision given (deny beats ask beats allow); `None`
    /// when no hook decided, so Mira's own rules apply.
    pub permission: Option<PermissionDecision>,
    /// The reasons given with the winning decision.
    pub permission_reasons: Vec<String>,
    /// Set when a hook answered `"continue": false`: the reasons, joined, for the user.
    pub stop: Option<String>,
    /// Context for the model (plain stdout at UserPromptSubmit and SessionStart,
    /// `additionalContext` anywhere), one entry per hook.
    pub context: Vec<String>,
    /// What the user should see: failures, `systemMessage`s, other events' plain stdout.
    pub user_messages: Vec<UserMessage>,
    /// Whether the run was cancelled (some hooks may not have finished).
    pub cancelled: bool,
}

impl Report {
    /// The report of an event no hook matched: nothing to act on.
    pub fn empty(event: HookEvent) -> Report {
        Report::sum(event, Vec::new())
    }

    pub(crate) fn sum(event: HookEvent, results: Vec<HookResult>) -> Report {
        let mut report = Report {
            event,
            results: Vec::new(),
            blocked: false,
            block_reasons: Vec::new(),
            permission: None,
            permission_reasons: Vec::new(),
            stop: None,
            context: Vec::new(),
            user_messages: Vec::new(),
            cancelled: false,
        };
        let mut stop_reasons = Vec::new();
        for result in &results {
            let effects = &result.effects;
            if let Some(reason) = &effects.block_reason {
                report.blocked = true;
                report.block_reasons.push(reason.clone());
            }
            if let Some((decision, reason)) = &effects.permission {
                if report.permission.is_none_or(|current| *decision > current) {
                    report.permission = Some(*decision);
                    report.permission_reasons.clear();
                }
                if report.permission == Some(*decision)
                    && let Some(reason) = reason
                {
                    report.permission_reasons.push(reason.clone());
                }
            }
            if let Some(reason) = &effects.stop_reason {
                stop_reasons.push(reason.clone());
            }
            if let Some(context) = &effects.context {
                report.context.push(context.clone());
            }
            report.user_messages.extend(effects.user_messages.iter().cloned());
            report.cancelled |= result.outcome == HookOutcome::Cancelled;
        }
        if !stop_reasons.is_empty() {
            report.stop = Some(stop_reasons.join("\n"));
        }
        report.results = results;
        report
    }

    /// The block reasons joined, one per line; `None` when nothing blocked.
    pub fn block_reason(&self) -> Option<String> {
        self.blocked.then(|| self.block_reasons.join("\n"))
    }

    /// The context for the model joined, one hook's per paragraph; `None` when there is
    /// none.
    pub fn context_text(&self) -> Option<String> {
        (!self.context.is_empty()).then(|| self.context.join("\n\n"))
    }

    /// Whether no hook matched.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }
}
