//! The loaded hooks: which run for an event, and running them.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use futures_util::future::join_all;
use serde_json::{Map, Value};

use crate::config::{self, HookEntry, LoadProblem};
use crate::event::HookEvent;
use crate::input::{self, RunContext};
use crate::matcher::Matcher;
use crate::report::Report;
use crate::result;
use crate::run;
use crate::tools;

/// Every hook loaded from the sources, in configuration order. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    entries: Arc<[(HookEntry, Matcher)]>,
}

/// Reads the hooks of `project_root` and of the user at `home` (see the crate docs for the
/// files). Never fails: what could not be used is in the problems, each naming its file
/// and line, and everything else is loaded.
pub fn load(project_root: &Path, home: Option<&Path>) -> (Hooks, Vec<LoadProblem>) {
    let (entries, problems) = config::load_entries(project_root, home);
    (
        Hooks {
            entries: entries.into(),
        },
        problems,
    )
}

impl Hooks {
    /// Whether no hook at all is configured (the engine can skip building inputs).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every loaded hook, for a `/hooks` listing; identical commands are all listed, with
    /// their sources, though each runs once per event.
    pub fn list(&self) -> Vec<HookEntry> {
        self.entries.iter().map(|(entry, _)| entry.clone()).collect()
    }

    /// How many hooks would run for `event` and `target` (after merging identical
    /// commands).
    pub fn count(&self, event: HookEvent, target: Option<&str>) -> usize {
        self.matching(event, target).len()
    }

    /// The hooks that run for `event` and `target`, in configuration order, each command
    /// once. `target` is what the matcher filters on: the Mira tool name at
    /// PreToolUse/PostToolUse (Claude Code's aliases match too), the source at
    /// SessionStart, the trigger at PreCompact, the kind at Notification; `None` for the
    /// events without one, where every hook of the event runs.
    pub fn matching(&self, event: HookEvent, target: Option<&str>) -> Vec<HookEntry> {
        let aliases = match target {
            Some(tool) if event.is_tool_event() => tools::claude_tool_aliases(tool),
            _ => &[],
        };
        let mut seen = HashSet::new();
        self.entries
            .iter()
            .filter(|(entry, matcher)| {
                entry.event == event && target.is_none_or(|target| matcher.matches(target, aliases))
            })
            .filter(|(entry, _)| seen.insert(entry.command.as_str()))
            .map(|(entry, _)| entry.clone())
            .collect()
    }

    /// Runs the hooks of `event` for `target` (see [`Hooks::matching`]) all at once, each
    /// given `fields` plus the common fields on stdin, and sums their results (which come
    /// back in configuration order). Cancelling `ctx.cancel` kills them all. Never panics
    /// and leaves no process behind, even when this future is dropped.
    pub async fn run(
        &self,
        event: HookEvent,
        target: Option<&str>,
        fields: Map<String, Value>,
        ctx: &RunContext,
    ) -> Report {
        let hooks = self.matching(event, target);
        if hooks.is_empty() {
            return Report::sum(event, Vec::new());
        }
        let stdin = input::stdin_json(event, fields, ctx);
        let stdin = serde_json::to_vec(&stdin).unwrap_or_default();
        let runs = hooks.iter().map(|entry| {
            let stdin = stdin.clone();
            async move {
                let run = run::run_command(
                    &entry.command,
                    &ctx.project_root,
                    stdin,
                    entry.timeout,
                    ctx.cancel.as_ref(),
                )
                .await;
                result::interpret(event, entry, run)
            }
        });
        let results = join_all(runs).await;
        for result in &results {
            tracing::debug!(
                event = event.as_str(),
                command = %result.command,
                outcome = result.outcome.as_str(),
                exit_code = ?result.exit_code,
                "hook ran"
            );
        }
        Report::sum(event, results)
    }
}
