//! Memory follows the chats: after each chat turn, and once at start, the messages not
//! yet in memory become turns, the extractor reads them, full windows are summarised and
//! new facts and summaries embedded (in the background; one run
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
            state.config.llm.memory_summary_window,
        )
        .await
        {
            Ok(f) if f.turns == 0 && f.summaries.written == 0 => {}
            Ok(f) => tracing::info!(
                turns = f.turns,
                read_by_model = f.extraction.read_by_model,
                model_failures = f.extraction.model_failures,
                added = f.extraction.added,
                updated = f.extraction.updated,
                superseded = f.extraction.superseded,
                summaries = f.summaries.written,
                "memory caught up with the chats"
            ),
            Err(e) => tracing::warn!(error = %e, "memory could not catch up with the chats"),
        }
        // New facts and summaries get their vectors with the embedder search uses.
        if let Ok(embedder) = state.search.embedder().await
            && let Err(e) = mira_memory::dense::embed_pending(&state.db, embedder.as_ref(), |_, _| {}).await
        {
            tracing::warn!(error = %e, "memory could not embed its new items");
        }
    });
}
