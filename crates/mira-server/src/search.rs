//! Keeping each project's search index fresh in the background: after a code index
//! (from the API, the watcher, or at start), the keyword index is brought up to date,
//! then dense vectors are filled in, with progress events. One run per project at a time;
//! a request during a run makes the run go round once more.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use mira_store::projects::Project;

use crate::state::AppState;

#[derive(Default)]
struct RunState {
    /// Another request arrived while running: index again when done.
    again: bool,
}

static RUNS: LazyLock<Mutex<HashMap<i64, RunState>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Whether the project's search index is being brought up to date now.
pub fn running(project_id: i64) -> bool {
    RUNS.lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains_key(&project_id)
}

fn progress(state: &AppState, task: String, label: String) -> mira_search::Progress {
    state.events.progress_fn(&task, &label)
}

/// Schedules a refresh of the project's search index; returns the task id its progress
/// events carry.
pub fn refresh(state: &AppState, project: Project) -> String {
    let task = format!("search-index-{}", project.id);
    {
        let mut runs = RUNS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(run) = runs.get_mut(&project.id) {
            run.again = true;
            return task;
        }
        runs.insert(project.id, RunState::default());
    }
    let state = state.clone();
    let task_id = task.clone();
    tokio::spawn(async move {
        loop {
            run_once(&state, &project, &task_id).await;
            let mut runs = RUNS.lock().unwrap_or_else(|p| p.into_inner());
            match runs.get_mut(&project.id) {
                Some(run) if run.again && !state.shutdown.is_cancelled() => run.again = false,
                _ => {
                    runs.remove(&project.id);
                    break;
                }
            }
        }
    });
    task
}

async fn run_once(state: &AppState, project: &Project, task: &str) {
    let keyword = state
        .search
        .index_project(
            project,
            progress(
                state,
                task.to_string(),
                format!("Search index of {}", project.name),
            ),
        )
        .await;
    let summary = match keyword {
        Ok(s) => s,
        Err(e) => {
            state.events.activity(
                "search.index_failed",
                format!("Search index of {} failed: {e}", project.name),
            );
            return;
        }
    };
    if summary.files_indexed + summary.files_removed + summary.commits_indexed + summary.messages_indexed > 0
    {
        state.events.activity(
            "search.indexed",
            format!(
                "Search index of {}: {} file(s) re-chunked, {} removed, {} chunk(s) written, {} commit(s), {} message(s); {} chunk(s) wait for vectors",
                project.name,
                summary.files_indexed,
                summary.files_removed,
                summary.chunks_written,
                summary.commits_indexed,
                summary.messages_indexed,
                summary.pending_dense
            ),
        );
    }
    if summary.pending_dense == 0 {
        return;
    }
    let dense = state
        .search
        .fill_dense(
            project.id,
            progress(
                state,
                format!("{task}-dense"),
                format!("Embedding {} for semantic search", project.name),
            ),
            &state.shutdown,
        )
        .await;
    match dense {
        Ok(d) => state.events.activity(
            "search.embedded",
            format!(
                "{}: {} chunk(s) embedded with {} ({:.0} chunks/s); {} waiting",
                project.name, d.embedded, d.embedder, d.chunks_per_second, d.pending
            ),
        ),
        Err(e) => state.events.activity(
            "search.embed_failed",
            format!(
                "Embedding {} failed: {e}; search goes on by keyword",
                project.name
            ),
        ),
    }
}

/// Refreshes every registered project once the server is up.
pub async fn refresh_all(state: &AppState) {
    match mira_store::projects::list(&state.db).await {
        Ok(list) => {
            for project in list {
                refresh(state, project);
            }
        }
        Err(e) => tracing::warn!("cannot list projects for search: {e}"),
    }
}
