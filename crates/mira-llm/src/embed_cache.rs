//! `embedding_cache`: provider embeddings stored per text under the SHA-256 of
//! (provider, model, dimensions, task, normalised text), so the same text is never paid
//! for twice (a re-index after the search index was rebuilt, a second project with the
//! same files). Lookups read the table (one statement per batch); rows are written by
//! the gateway's [`Writer`] after the call has returned, and until then served from
//! memory. Bounded by LLM_CACHE_MAX_BYTES like `llm_cache`, least recently used first;
//! no expiry, since a model's vector of a text does not change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mira_store::Db;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

use crate::error::LlmError;
use crate::types::EmbedTask;
use crate::writer::{Op, Writer};

/// Rows per statement: 9 parameters a row stays well within SQLite's 32,766.
const ROWS_PER_STATEMENT: usize = 500;

/// The stored bytes are counted again after this many written rows, in case other
/// processes wrote or evicted too.
const RECOUNT_EVERY: u32 = 5000;

/// One text's vector and its share of what the call that made it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedVector {
    pub vector: Vec<f32>,
    pub input_tokens: u64,
    pub cost_usd: f64,
}

/// A row to write.
pub(crate) struct EmbedRow {
    pub key: String,
    pub provider: String,
    pub model: String,
    pub dimensions: Option<u32>,
    pub entry: CachedVector,
}

/// The in-memory side, shared with the writer task.
pub(crate) struct EmbedShared {
    max_bytes: i64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Rows queued and not yet written: served from here meanwhile.
    pending: HashMap<String, CachedVector>,
    /// `SUM(bytes)` of the table as this process knows it; `None` until counted.
    stored_bytes: Option<i64>,
    written: u32,
}

#[derive(Clone)]
pub struct EmbedCache {
    pub enabled: bool,
    shared: Arc<EmbedShared>,
    writer: Writer,
}

impl std::fmt::Debug for EmbedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbedCache")
            .field("enabled", &self.enabled)
            .finish()
    }
}

/// The cache key of one text. Line endings are unified, as in the answer cache; the task
/// is part of it because Gemini embeds documents and queries differently.
pub fn key(provider: &str, model: &str, dimensions: Option<u32>, task: EmbedTask, text: &str) -> String {
    let normalised = json!({
        "v": 1,
        "provider": provider,
        "model": model,
        "dimensions": dimensions,
        "task": task,
        "text": text.replace("\r\n", "\n"),
    });
    let digest = Sha256::digest(normalised.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

impl EmbedCache {
    /// Over the writer's database, within `max_bytes`.
    pub(crate) fn new(writer: &Writer, enabled: bool, max_bytes: u64) -> Self {
        Self {
            enabled,
            shared: Arc::new(EmbedShared {
                max_bytes: max_bytes.min(i64::MAX as u64) as i64,
                state: Mutex::default(),
            }),
            writer: writer.clone(),
        }
    }

    fn db(&self) -> &Db {
        self.writer.db()
    }

    /// The stored vector of each key, in order (`None` for a miss); hits refresh their
    /// recency with the writer's next batch.
    pub async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<CachedVector>>, LlmError> {
        let mut found: Vec<Option<CachedVector>> = {
            let state = self.shared.lock();
            keys.iter().map(|k| state.pending.get(k).cloned()).collect()
        };
        let missing: Vec<&String> = keys
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(k, _)| k)
            .collect();
        let mut rows: HashMap<String, CachedVector> = HashMap::new();
        for chunk in missing.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT key, vector, input_tokens, cost_usd FROM embedding_cache WHERE key IN ({})",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String, Vec<u8>, i64, f64)>(&sql);
            for k in chunk {
                q = q.bind(k.as_str());
            }
            for (key, blob, tokens, cost) in q.fetch_all(self.db().pool()).await? {
                rows.insert(
                    key,
                    CachedVector {
                        vector: from_blob(&blob),
                        input_tokens: tokens.max(0) as u64,
                        cost_usd: cost,
                    },
                );
            }
        }
        for (k, f) in keys.iter().zip(found.iter_mut()) {
            if f.is_none() {
                *f = rows.get(k).cloned();
            }
        }
        // Rows still queued are written before this (the writer keeps the order).
        let hits: Vec<String> = keys
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_some())
            .map(|(k, _)| k.clone())
            .collect();
        if !hits.is_empty() {
            self.writer.send(Op::EmbedTouch {
                keys: hits,
                now: chrono::Utc::now().timestamp_millis(),
            });
        }
        Ok(found)
    }

    /// Stores vectors with the writer's next batch; they are served from memory at once.
    pub(crate) fn queue_put(&self, rows: Vec<EmbedRow>) {
        if rows.is_empty() {
            return;
        }
        {
            let mut state = self.shared.lock();
            for r in &rows {
                state.pending.insert(r.key.clone(), r.entry.clone());
            }
        }
        self.writer.send(Op::EmbedPut {
            cache: self.shared.clone(),
            rows,
            now: chrono::Utc::now().timestamp_millis(),
        });
    }

    /// How many vectors are stored and their bytes.
    pub async fn size(&self) -> Result<crate::cache::CacheSize, LlmError> {
        self.writer.flush().await;
        let (entries, bytes): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM embedding_cache")
                .fetch_one(self.db().pool())
                .await?;
        Ok(crate::cache::CacheSize { entries, bytes })
    }
}

impl EmbedShared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("embedding cache lock")
    }

    /// The batch holding `rows` was committed (or failed: then they are simply not
    /// cached); either way memory no longer holds them.
    pub(crate) fn done(&self, rows: &[EmbedRow], ok: bool) {
        let mut state = self.lock();
        for r in rows {
            state.pending.remove(&r.key);
        }
        if !ok {
            state.stored_bytes = None;
        }
    }
}

/// Writes the vectors of `puts` and the recency of `touched`, then evicts the least
/// recently used rows until the table is within its bound (in the writer's transaction).
pub(crate) async fn apply(
    tx: &mut SqliteConnection,
    puts: &[(&Arc<EmbedShared>, &[EmbedRow], i64)],
    touched: &[(&[String], i64)],
) -> Result<(), LlmError> {
    let mut caches: Vec<&Arc<EmbedShared>> = Vec::new();
    for (cache, rows, now) in puts {
        let mut added = 0i64;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO embedding_cache (key, provider, model, dimensions, vector, bytes, input_tokens, cost_usd, created_at, last_hit_at)
                 SELECT column1, column2, column3, column4, column5, column6, column7, column8, column9, column9
                 FROM (VALUES {}) WHERE true
                 ON CONFLICT (key) DO UPDATE SET vector = excluded.vector, bytes = excluded.bytes,
                     input_tokens = excluded.input_tokens, cost_usd = excluded.cost_usd,
                     last_hit_at = excluded.last_hit_at",
                vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ")
            );
            let mut q = sqlx::query(&sql);
            for r in chunk {
                let blob = to_blob(&r.entry.vector);
                let bytes = blob.len() as i64;
                added += bytes;
                q = q
                    .bind(r.key.clone())
                    .bind(r.provider.clone())
                    .bind(r.model.clone())
                    .bind(r.dimensions.map(i64::from))
                    .bind(blob)
                    .bind(bytes)
                    .bind(i64::try_from(r.entry.input_tokens).unwrap_or(i64::MAX))
                    .bind(r.entry.cost_usd)
                    .bind(*now);
            }
            q.execute(&mut *tx).await?;
        }
        let recount = {
            let mut state = cache.lock();
            state.written += rows.len() as u32;
            state.stored_bytes.is_none() || state.written >= RECOUNT_EVERY
        };
        if recount {
            let stored: f64 = sqlx::query_scalar("SELECT TOTAL(bytes) FROM embedding_cache")
                .fetch_one(&mut *tx)
                .await?;
            let mut state = cache.lock();
            state.stored_bytes = Some(stored as i64);
            state.written = 0;
        } else if let Some(bytes) = cache.lock().stored_bytes.as_mut() {
            // A replaced row is counted twice until the next recount: the bound errs on
            // the side of evicting a little early.
            *bytes += added;
        }
        if !caches.iter().any(|c| Arc::ptr_eq(c, cache)) {
            caches.push(cache);
        }
    }
    for (keys, now) in touched {
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "UPDATE embedding_cache SET hits = hits + 1, last_hit_at = max(last_hit_at, ?) WHERE key IN ({})",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(*now);
            for k in chunk {
                q = q.bind(k.as_str());
            }
            q.execute(&mut *tx).await?;
        }
    }
    for cache in caches {
        let mut excess = cache.lock().stored_bytes.unwrap_or(0) - cache.max_bytes;
        // The least recently used, as many as the excess needs: at capacity each batch
        // evicts about what it added, a handful of rows, not the table.
        while excess > 0 {
            let oldest: Vec<(String, i64)> = sqlx::query_as(
                "SELECT key, bytes FROM embedding_cache ORDER BY last_hit_at, created_at LIMIT 64",
            )
            .fetch_all(&mut *tx)
            .await?;
            if oldest.is_empty() {
                break;
            }
            let mut chosen = Vec::new();
            let mut freed = 0;
            for (key, bytes) in oldest {
                if excess - freed <= 0 {
                    break;
                }
                freed += bytes;
                chosen.push(key);
            }
            let sql = format!(
                "DELETE FROM embedding_cache WHERE key IN ({})",
                placeholders(chosen.len())
            );
            let mut q = sqlx::query(&sql);
            for k in &chosen {
                q = q.bind(k.as_str());
            }
            q.execute(&mut *tx).await?;
            excess -= freed;
            if let Some(bytes) = cache.lock().stored_bytes.as_mut() {
                *bytes -= freed;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_change_with_what_changes_the_vector() {
        let base = key("openai", "m", Some(8), EmbedTask::Document, "fn a() {}");
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            key("openai", "m", Some(8), EmbedTask::Document, "fn a() {}")
        );
        assert_eq!(
            key("openai", "m", Some(8), EmbedTask::Document, "a\r\nb"),
            key("openai", "m", Some(8), EmbedTask::Document, "a\nb")
        );
        for other in [
            key("gemini", "m", Some(8), EmbedTask::Document, "fn a() {}"),
            key("openai", "n", Some(8), EmbedTask::Document, "fn a() {}"),
            key("openai", "m", Some(16), EmbedTask::Document, "fn a() {}"),
            key("openai", "m", None, EmbedTask::Document, "fn a() {}"),
            key("openai", "m", Some(8), EmbedTask::Query, "fn a() {}"),
            key("openai", "m", Some(8), EmbedTask::Document, "fn b() {}"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn vectors_survive_their_blob() {
        let v = vec![0.0, -1.5, 3.25e-7, f32::MAX];
        assert_eq!(from_blob(&to_blob(&v)), v);
    }
}
