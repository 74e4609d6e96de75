//! Keeping the collections in step with the database: chunks of changed files replace
//! their old ones (keyword vectors at once), removed files' chunks go away, and
//! [`fill_dense`] embeds what has no dense vector yet.
//!
//! Order of writes: the vector store first, flushed, then SQLite in one transaction. The
//! embedded engine keeps what was written since its last flush only in memory (it does
//! not replay its log when it opens), so the flush must come before the commit that
//! claims the vectors. A crash before the commit leaves SQLite describing the old state,
//! so the next run redoes the file; every vector write is idempotent (upsert and delete
//! by id), so redoing is safe. [`repair`] mends any disagreement left some other way.

mod code;
mod dense;
mod history;
mod lock;
mod points;
mod repair;

use serde::Serialize;

pub use code::index_code;
pub use dense::{DenseSummary, fill_dense, pending};
pub use history::{index_conversations, index_git};
pub(crate) use lock::project_lock;
pub use repair::{CollectionAgreement, Repaired, check, repair};

/// What a keyword-index run did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IndexSummary {
    /// Files whose chunks were made again (new or changed).
    pub files_indexed: usize,
    pub files_unchanged: usize,
    pub files_removed: usize,
    /// Chunks stored as new or with new text.
    pub chunks_written: usize,
    /// Chunks whose text stayed but moved (only their lines were updated).
    pub chunks_moved: usize,
    pub chunks_removed: usize,
    /// Chunks of the project in the `code` collection after the run.
    pub chunks: i64,
    /// Commits and chat messages added to the `git` and `conversation` collections.
    pub commits_indexed: usize,
    pub messages_indexed: usize,
    /// Chunks (all collections) still waiting for a dense vector.
    pub pending_dense: i64,
    /// What was mended before this run because SQLite and the vector store disagreed.
    pub repaired: Repaired,
    pub elapsed_ms: u64,
}

/// Chunks per collection of a project, and how many have their dense vector.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CollectionStatus {
    pub collection: String,
    pub chunks: i64,
    pub dense: i64,
}

pub async fn status(
    db: &mira_store::Db,
    project_id: i64,
) -> Result<Vec<CollectionStatus>, crate::SearchError> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT collection, COUNT(*), COALESCE(SUM(embedded_hash IS NOT NULL AND embedded_hash = content_hash), 0)
         FROM search_chunks WHERE project_id = ? GROUP BY collection ORDER BY collection",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(collection, chunks, dense)| CollectionStatus {
            collection,
            chunks,
            dense,
        })
        .collect())
}
