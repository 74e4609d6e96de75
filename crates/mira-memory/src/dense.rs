//! Dense vectors of facts and rolling summaries, so recall finds what is said in other
//! words ("which database" finds "they settled on Postgres 16"). Turns are not embedded:
//! at about 22 texts a second on two cores, 100,000 turns would take 75 minutes, while
//! the summaries, a twelfth as many, carry what the turns said.
//!
//! Vectors live in SQLite (`memory_vectors`, migration 0020) beside their items: a
//! command-line import runs while a server holds the embedded vector store, and a
//! vector must come and go in the same transaction as its item (triggers drop it with
//! the item). Each vector names the embedder that made it; vectors of another model are
//! never compared with a query (they are replaced on the next pass). The nearest items
//! are found by brute force over the scope's vectors: facts and summaries number in the
//! thousands where turns number in the hundred thousands.

use mira_search::embedder::DenseEmbedder;
use mira_store::Db;
use sqlx::Row;

use crate::{MemoryError, Scope};

/// Texts embedded per call.
const BATCH: usize = 32;

/// Where recall gets the query's meaning: a vector made already, or the embedder to make
/// it with, asked only when the words found too little (see [`crate::recall`]).
#[derive(Debug, Clone)]
pub enum Meaning {
    Vector(DenseQuery),
    Embedder(std::sync::Arc<dyn DenseEmbedder>),
}

impl Meaning {
    pub(crate) async fn vector(&self, text: &str) -> Result<DenseQuery, MemoryError> {
        match self {
            Meaning::Vector(q) => Ok(q.clone()),
            Meaning::Embedder(e) => DenseQuery::embed(e.as_ref(), text).await,
        }
    }
}

/// A query's vector and the embedder that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseQuery {
    pub model: String,
    pub vector: Vec<f32>,
}

impl DenseQuery {
    pub async fn embed(embedder: &dyn DenseEmbedder, text: &str) -> Result<Self, MemoryError> {
        let vector = embedder
            .embed_query(text)
            .await
            .map_err(|e| MemoryError::Invalid(format!("embedding the query failed: {e}")))?;
        Ok(Self {
            model: embedder.name(),
            vector: unit(vector),
        })
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn dot_blob(blob: &[u8], query: &[f32]) -> f32 {
    blob.chunks_exact(4)
        .zip(query)
        .map(|(b, q)| f32::from_le_bytes([b[0], b[1], b[2], b[3]]) * q)
        .sum()
}

/// Facts and summaries without a vector of `embedder`'s model: embeds them (and
/// replaces another model's). `progress` gets (done, total). Returns how many.
pub async fn embed_pending(
    db: &Db,
    embedder: &dyn DenseEmbedder,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize, MemoryError> {
    let model = embedder.name();
    let pending: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT 'fact', f.id, f.text FROM memory_facts f WHERE NOT EXISTS \
             (SELECT 1 FROM memory_vectors v WHERE v.kind = 'fact' AND v.item_id = f.id AND v.model = ?1) \
         UNION ALL \
         SELECT 'summary', s.id, s.text FROM rolling_summaries s WHERE NOT EXISTS \
             (SELECT 1 FROM memory_vectors v WHERE v.kind = 'summary' AND v.item_id = s.id AND v.model = ?1)",
    )
    .bind(&model)
    .fetch_all(db.pool())
    .await?;
    let total = pending.len();
    let mut done = 0;
    for batch in pending.chunks(BATCH) {
        let texts: Vec<String> = batch.iter().map(|(_, _, t)| t.clone()).collect();
        let vectors = embedder
            .embed_documents(texts)
            .await
            .map_err(|e| MemoryError::Invalid(format!("embedding memory failed: {e}")))?;
        let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
        for ((kind, id, _), v) in batch.iter().zip(vectors) {
            // The item may have been forgotten meanwhile: then no vector.
            let table = if kind == "fact" {
                "memory_facts"
            } else {
                "rolling_summaries"
            };
            sqlx::query(&format!(
                "INSERT OR REPLACE INTO memory_vectors (kind, item_id, model, vector) \
                 SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM {table} WHERE id = ?)"
            ))
            .bind(kind)
            .bind(id)
            .bind(&model)
            .bind(to_blob(&unit(v)))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        done += batch.len();
        progress(done, total);
    }
    Ok(total)
}

/// The items nearest to a query, best first: (fact ids, summary ids), each at most
/// `limit`, within the scope (and conversation).
pub async fn nearest(
    db: &Db,
    scope: &Scope,
    conversation: Option<&str>,
    query: &DenseQuery,
    limit: usize,
) -> Result<(Vec<i64>, Vec<i64>), MemoryError> {
    let (user, project) = scope.bind_values();
    let (fact_filter, summary_filter) = if conversation.is_some() {
        (
            "AND EXISTS (SELECT 1 FROM memory_fact_sources s WHERE s.fact_id = f.id AND s.conversation = ?)",
            "AND s.conversation = ?",
        )
    } else {
        ("", "")
    };
    let sql = format!(
        "SELECT v.kind, v.item_id, v.vector FROM memory_vectors v CROSS JOIN memory_facts f \
             ON v.kind = 'fact' AND f.id = v.item_id WHERE v.model = ? AND {} {fact_filter} \
         UNION ALL \
         SELECT v.kind, v.item_id, v.vector FROM memory_vectors v CROSS JOIN rolling_summaries s \
             ON v.kind = 'summary' AND s.id = v.item_id WHERE v.model = ? AND {} {summary_filter}",
        Scope::visible("f"),
        Scope::visible("s")
    );
    let mut q = sqlx::query(&sql).bind(&query.model).bind(&user).bind(project);
    if let Some(c) = conversation {
        q = q.bind(c);
    }
    q = q.bind(&query.model).bind(&user).bind(project);
    if let Some(c) = conversation {
        q = q.bind(c);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let mut facts: Vec<(f32, i64)> = Vec::new();
    let mut summaries: Vec<(f32, i64)> = Vec::new();
    for r in &rows {
        let kind: &str = r.get("kind");
        let blob: &[u8] = r.get("vector");
        let score = dot_blob(blob, &query.vector);
        let id: i64 = r.get("item_id");
        if kind == "fact" {
            facts.push((score, id));
        } else {
            summaries.push((score, id));
        }
    }
    let best = |mut list: Vec<(f32, i64)>| -> Vec<i64> {
        list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        list.into_iter().take(limit).map(|(_, id)| id).collect()
    };
    Ok((best(facts), best(summaries)))
}

/// How many facts and summaries have a vector of `model`, and how many are stored.
pub async fn coverage(db: &Db, model: &str) -> Result<(i64, i64), MemoryError> {
    let row = sqlx::query(
        "SELECT (SELECT count(*) FROM memory_vectors WHERE model = ?) AS embedded, \
         (SELECT count(*) FROM memory_facts) + (SELECT count(*) FROM rolling_summaries) AS items",
    )
    .bind(model)
    .fetch_one(db.pool())
    .await?;
    Ok((row.get("embedded"), row.get("items")))
}
