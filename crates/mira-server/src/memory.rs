//! Memory follows the chats: after each chat turn, and once at start, the messages not
//! yet in memory become turns and the extractor reads them (in the background; one run
//! at a time, since a run already catches up with everything stored).

use std::sync::LazyLock;

use crate::state::AppState;

static RUNNING: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

/// Starts a catch-up run unless one is running (which will see the new messages too
/// only if they were stored before it read them, so a run that finds one running waits
/// for it and runs once more).
pub fn follow(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let _one = RUNNING.lock().await;
        let keys = mira_memory::configured_keys(&state.config);
        let model = mira_memory::model::ModelExtractor::configured(&state.config, &state.llm);
        match mira_memory::follow::sync_chats(
            &state.db,
            mira_memory::scope::LOCAL_USER,
            &keys,
            model.as_ref(),
        )
        .await
        {
            Ok((0, _)) => {}
            Ok((turns, report)) => tracing::info!(
                turns,
                read_by_model = report.read_by_model,
                model_failures = report.model_failures,
                added = report.added,
                updated = report.updated,
                superseded = report.superseded,
                "memory caught up with the chats"
            ),
            Err(e) => tracing::warn!(error = %e, "memory could not catch up with the chats"),
        }
    });
}
