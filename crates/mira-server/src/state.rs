//! The state every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use mira_core::Config;
use mira_store::Db;
use mira_store::vectors::VectorStore;
use tokio_util::sync::CancellationToken;

use crate::auth::Auth;
use crate::events::Events;
use crate::metrics::Metrics;

#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub vectors: Arc<dyn VectorStore>,
    pub auth: Auth,
    pub metrics: Arc<Metrics>,
    pub events: Events,
    /// Cancelled when the server begins shutting down; long-lived tasks (WebSockets)
    /// watch it to close cleanly.
    pub shutdown: CancellationToken,
    /// Projects whose git history is being indexed now, so two runs never overlap.
    pub indexing: Arc<std::sync::Mutex<std::collections::HashSet<i64>>>,
    /// Every model call goes through it (routing, cache, budget, accounting).
    pub llm: mira_llm::Gateway,
    /// Semantic search: the index, its embedder and the concept rules.
    pub search: mira_search::service::SearchService,
    /// The context oracle over the same database, search service and budget.
    pub oracle: mira_oracle::Oracle,
    /// Build runs in progress, by run id: cancelling the token stops the run.
    pub builds: Arc<std::sync::Mutex<std::collections::HashMap<i64, CancellationToken>>>,
    /// Agent operations running in this process, to decide, answer and cancel.
    pub agents: mira_agent::Registry,
    /// Each project's hooks and MCP servers, loaded on first use.
    pub extensions: Arc<mira_agent::extensions::ByProject>,
}

impl FromRef<AppState> for Auth {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}
