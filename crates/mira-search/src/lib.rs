//! Semantic and concept search over a project's code, docs, git history and chats.
//!
//! - [`chunk`] cuts files into chunks that follow the code (a symbol each, long ones in
//!   parts at statement boundaries, file-level code, Markdown sections); pure.
//! - [`tokenize`] and [`bm25`] make code-aware BM25 sparse vectors (identifiers split at
//!   `snake_case` and `camelCase`, paths at separators, English stemming).
//! - [`concepts`] tags symbols with concepts from rules in SQLite, without an LLM.
//! - [`analyse`] asks a model what each symbol is for (`semantic_nodes`) and adds its
//!   concepts to the concept index (source `llm`); opt-in, through the gateway.
//! - [`index`] keeps the `code`, `git` and `conversation` collections in step with the
//!   database (keyword vectors at once; [`index::fill_dense`] adds dense vectors after,
//!   resumably, never re-embedding a chunk whose text did not change).
//! - [`query`] asks the store for the BM25, dense and concept lists and groups the hits
//!   per symbol with the matching lines; [`rank`] fuses the lists with measured weights
//!   and applies the rules [`signals`] reads from the query (tests down unless asked
//!   for, exact names and paths up), and adds up each file's evidence for file answers.
//! - [`service::SearchService`] holds it together for the server and the CLI.
//!
//! ```no_run
//! # async fn demo(service: &mira_search::service::SearchService, project: &mira_store::projects::Project) -> Result<(), mira_search::SearchError> {
//! service.index_project(project, std::sync::Arc::new(|_, _| {})).await?;
//! let answer = service.search(&mira_search::query::SearchRequest::new(project.id, "open the database")).await?;
//! for hit in answer.results {
//!     println!("{}:{} {}", hit.path, hit.lines[0], hit.symbol.unwrap_or_default());
//! }
//! # Ok(()) }
//! ```

pub mod analyse;
pub mod bm25;
pub mod chunk;
pub mod concepts;
pub mod embedder;
mod ids;
pub mod index;
pub mod query;
pub mod rank;
pub mod service;
pub mod signals;
pub mod tokenize;

/// Why indexing or a search failed; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("vector store: {0}")]
    Store(#[from] mira_store::StoreError),
    #[error("embedder: {0}")]
    Embedder(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Task(String),
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub(crate) fn truncate_to(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Seconds since the epoch, as the tables store times.
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Called with (done, total) as work advances.
pub type Progress = std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>;
