//! The file watchers: one per registered project while the server runs (when
//! TASK_FILE_WATCHER_ENABLED), so the code index follows edits, renames, deletes and
//! branch switches without a manual `mira index`. Outcomes go out as activity events.

use std::sync::Arc;

use mira_code::watch::{ProjectWatcher, WatchConfig, watch};
use mira_store::projects;

use crate::state::AppState;

/// Starts a watcher for every registered project; they stop when the returned list is
/// dropped. A project that cannot be watched is reported and skipped.
pub async fn start(state: &AppState) -> Vec<ProjectWatcher> {
    let c = &state.config.watcher;
    if !c.enabled {
        return Vec::new();
    }
    let config = WatchConfig {
        debounce: c.debounce,
        batch: c.batch,
        git_cooldown: c.git_cooldown,
    };
    let list = match projects::list(&state.db).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!("cannot list projects to watch: {e}");
            return Vec::new();
        }
    };
    let mut watchers = Vec::new();
    for project in list {
        let events = state.events.clone();
        let name = project.name.clone();
        let (search_state, search_project) = (state.clone(), project.clone());
        let on_batch = Arc::new(
            move |result: Result<mira_code::watch::WatchBatch, mira_code::CodeError>| match result {
                Ok(b) if b.summary.parsed + b.summary.removed > 0 => {
                    events.activity(
                        "code.updated",
                        format!(
                            "{name}: {} changed file(s) re-indexed, {} removed, {} re-linked{}",
                            b.summary.parsed,
                            b.summary.removed,
                            b.summary.relinked,
                            if b.after_git { " after a git operation" } else { "" }
                        ),
                    );
                    // The search index follows the code index it is made from.
                    crate::search::refresh(&search_state, search_project.clone());
                }
                Ok(_) => {}
                Err(e) => events.activity("code.index_failed", format!("Re-indexing {name} failed: {e}")),
            },
        );
        match watch(state.db.clone(), project.clone(), config, on_batch) {
            Ok(w) => watchers.push(w),
            Err(e) => tracing::warn!(project = %project.name, "not watching: {e}"),
        }
    }
    tracing::info!(projects = watchers.len(), "watching project files");
    watchers
}
