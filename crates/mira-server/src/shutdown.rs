//! Waiting for SIGINT/SIGTERM and leaving the stores consistent.

use crate::state::AppState;

/// Resolves on Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

/// Makes written vectors durable and checkpoints the SQLite WAL.
pub async fn flush_stores(state: &AppState) {
    if let Err(e) = state.vectors.flush().await {
        tracing::error!("flushing the vector store failed: {e}");
    }
    // Settlements and cached answers still queued by the gateway.
    state.llm.flush().await;
    state.db.close().await;
    tracing::info!("stores flushed; bye");
}
