//! Dense vectors for chunks that have none yet (or whose text changed), in batches,
//! after the keyword index: search works meanwhile, and each batch joins the fusion as
//! soon as it is stored. Resumable: what was embedded is recorded per chunk.

use std::time::Instant;

use mira_store::Db;
use mira_store::vectors::{Collection, VectorStore};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::points::embed_text_of;
use crate::embedder::DenseEmbedder;
use crate::{Progress, SearchError};

/// Chunks per embedding call: the local model batches 32 at a time, sorted by length.
const BATCH: usize = 64;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DenseSummary {
    pub embedder: String,
    pub embedded: usize,
    /// Chunks still waiting (cancelled, or changed while this ran).
    pub pending: i64,
    pub elapsed_ms: u64,
    pub chunks_per_second: f64,
}

/// Chunks of a project still waiting for a dense vector.
pub async fn pending(db: &Db, project_id: i64) -> Result<i64, SearchError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM search_chunks
         WHERE project_id = ? AND (embedded_hash IS NULL OR embedded_hash <> content_hash)",
    )
    .bind(project_id)
    .fetch_one(db.pool())
    .await?)
}

type PendingRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    String,
    String,
);

fn collection(name: &str) -> Collection {
    match name {
        "git" => Collection::Git,
        "conversation" => Collection::Conversation,
        _ => Collection::Code,
    }
}

/// Embeds every chunk of the project that needs it; stops between batches when
/// `cancel` says so.
pub async fn fill_dense(
    db: &Db,
    store: &dyn VectorStore,
    embedder: &dyn DenseEmbedder,
    project_id: i64,
    progress: Progress,
    cancel: &CancellationToken,
) -> Result<DenseSummary, SearchError> {
    let started = Instant::now();
    let total = pending(db, project_id).await? as u64;
    let mut summary = DenseSummary {
        embedder: embedder.name(),
        ..DenseSummary::default()
    };
    progress(0, total);
    let lock = super::project_lock(db, project_id);
    // Chunks that changed between being read and being stored are retried once in
    // this run; the id bound keeps a chunk that keeps changing from looping forever.
    let mut after: i64 = -1;
    while !cancel.is_cancelled() {
        let rows: Vec<PendingRow> = sqlx::query_as(
            "SELECT id, collection, path, kind, symbol, part, parts, text, content_hash FROM search_chunks
             WHERE project_id = ? AND (embedded_hash IS NULL OR embedded_hash <> content_hash) AND id > ?
             ORDER BY id LIMIT ?",
        )
        .bind(project_id)
        .bind(after)
        .bind(BATCH as i64)
        .fetch_all(db.pool())
        .await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.0;
        let texts: Vec<String> = rows
            .iter()
            .map(|r| embed_text_of(&r.2, &r.3, r.4.as_deref(), r.5 as u32, r.6 as u32, &r.7))
            .collect();
        let vectors = embedder.embed_documents(texts).await?;
        let _guard = lock.lock().await;
        // Only chunks whose text is still the one embedded get the vector.
        let mut by_collection: std::collections::HashMap<&str, Vec<(u64, Vec<f32>)>> = Default::default();
        let mut stored = Vec::new();
        for (row, vector) in rows.iter().zip(vectors) {
            let current: Option<String> =
                sqlx::query_scalar("SELECT content_hash FROM search_chunks WHERE id = ?")
                    .bind(row.0)
                    .fetch_optional(db.pool())
                    .await?;
            if current.as_deref() == Some(row.8.as_str()) {
                by_collection
                    .entry(row.1.as_str())
                    .or_default()
                    .push((row.0 as u64, vector));
                stored.push((row.0, row.8.clone()));
            }
        }
        for (name, vectors) in by_collection {
            store.set_dense(collection(name), vectors).await?;
        }
        // The vectors are durable before the rows say they are stored.
        store.flush().await?;
        let mut tx = db.pool().begin().await?;
        for (id, hash) in &stored {
            sqlx::query("UPDATE search_chunks SET embedded_hash = ? WHERE id = ? AND content_hash = ?")
                .bind(hash)
                .bind(id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        summary.embedded += stored.len();
        progress((summary.embedded as u64).min(total), total);
    }
    summary.pending = pending(db, project_id).await?;
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    let secs = started.elapsed().as_secs_f64();
    summary.chunks_per_second = if secs > 0.0 {
        summary.embedded as f64 / secs
    } else {
        0.0
    };
    Ok(summary)
}
