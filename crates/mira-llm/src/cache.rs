//! `llm_cache`: whole answers stored under the SHA-256 of the normalised request, with a
//! time to live and a size bound (least recently used answers are evicted first).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mira_store::Db;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::error::LlmError;
use crate::types::{ChatRequest, ChatResponse};
use crate::writer::{Op, Writer};

#[derive(Debug, Clone, Copy)]
pub struct CacheConfig {
    pub enabled: bool,
    pub ttl: Duration,
    pub max_bytes: u64,
}

impl CacheConfig {
    pub fn from_config(config: &mira_core::config::LlmConfig) -> Self {
        Self {
            enabled: config.cache_enabled,
            ttl: config.cache_ttl,
            max_bytes: config.cache_max_bytes,
        }
    }
}

/// The cache. Which answers are stored, when they expire and what they cost is kept
/// in memory ([`Shared`]), so a miss reads nothing from SQLite and a hit on an answer
/// read or written before is served from memory; the table is what survives restarts
/// and what other processes share. Writes (new answers, a hit's recency, evictions)
/// go through the gateway's [`Writer`].
#[derive(Clone)]
pub struct Cache {
    pub config: CacheConfig,
    shared: Arc<Shared>,
    writer: Writer,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("config", &self.config).finish()
    }
}

/// Answers held in memory up to this many bytes (or the cache's bound if smaller);
/// past it, answers are read from the table on a hit.
const HOLD_BYTES: usize = 64 << 20;

/// How often the table is read for answers other processes stored.
const SYNC_EVERY_MS: i64 = 2000;

/// The bytes the table holds are counted again after this many writes, in case other
/// processes wrote too.
const RECOUNT_EVERY: u32 = 500;

/// The in-memory side of one cache, shared with the writer task.
pub(crate) struct Shared {
    max_bytes: i64,
    hold_bytes: usize,
    index: Mutex<Index>,
    last_sync: AtomicI64,
}

#[derive(Default)]
struct Index {
    loaded: bool,
    entries: HashMap<String, Entry>,
    /// `SUM(bytes)` of the table as this process knows it.
    stored_bytes: i64,
    writes: u32,
    /// The highest rowid read from the table: a sync reads only rows above it.
    max_rowid: i64,
    /// Bytes of the answers held in `entries`.
    held: usize,
}

struct Entry {
    expires_at: i64,
    /// Size of its row (0 until written).
    bytes: i64,
    cost_usd: f64,
    response: Option<Arc<ChatResponse>>,
    /// Writes queued for it: such an entry stays whatever is read from the table.
    pending: u32,
}

fn held_size(response: &ChatResponse) -> usize {
    response.text.len()
        + response
            .tool_calls
            .iter()
            .map(|c| c.id.len() + c.name.len() + 64)
            .sum::<usize>()
        + 64
}
/// A stored answer and what the original call cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub response: ChatResponse,
    pub cost_usd: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CacheSize {
    pub entries: i64,
    pub bytes: i64,
}

/// The cache key: everything that changes the answer, and nothing else, in a fixed
/// order (object keys sorted, line endings unified).
pub fn key(provider: &str, request: &ChatRequest) -> String {
    let messages: Vec<Value> = request
        .messages
        .iter()
        .map(|m| {
            json!({
                "role": m.role.as_str(),
                "content": m.content.replace("\r\n", "\n"),
                "tool_calls": m.tool_calls.iter().map(|c| json!({"id": c.id, "name": c.name, "arguments": c.arguments})).collect::<Vec<_>>(),
                "tool_call_id": m.tool_call_id,
                "name": m.name,
            })
        })
        .collect();
    let normalised = json!({
        "v": 1,
        "provider": provider,
        "model": request.model,
        "messages": messages,
        "tools": request.tools,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "reasoning": request.reasoning,
        "stop": request.stop,
        "seed": request.seed,
    });
    let text = canonical(&normalised).to_string();
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The same value with every object's keys in sorted order, whatever map type
/// serde_json was built with.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Index {
    fn hold(&mut self, key: &str, response: Arc<ChatResponse>, limit: usize) {
        let size = held_size(&response);
        let Some(entry) = self.entries.get_mut(key) else {
            return;
        };
        if let Some(old) = entry.response.replace(response) {
            self.held -= held_size(&old);
        }
        self.held += size;
        if self.held > limit {
            // Answers let go at random (the map's order) down to three quarters of the
            // limit: they stay in the table and are read from it on their next hit.
            let target = limit / 4 * 3;
            for (k, e) in self.entries.iter_mut() {
                if self.held <= target {
                    break;
                }
                if k != key
                    && let Some(r) = e.response.take()
                {
                    self.held -= held_size(&r);
                }
            }
        }
    }

    fn remove_unless_pending(&mut self, key: &str) {
        if let Some(entry) = self.entries.get_mut(key) {
            if entry.pending > 0 {
                entry.bytes = 0;
            } else if let Some(entry) = self.entries.remove(key)
                && let Some(r) = entry.response
            {
                self.held -= held_size(&r);
            }
        }
    }

    /// Adds rows read from the table; entries already known stay as they are.
    fn merge(&mut self, rows: Vec<(i64, String, i64, i64, f64)>, now: i64) {
        for (rowid, key, expires_at, bytes, cost_usd) in rows {
            self.max_rowid = self.max_rowid.max(rowid);
            if self.entries.contains_key(&key) {
                continue;
            }
            self.stored_bytes += bytes;
            if expires_at > now {
                self.entries.insert(
                    key,
                    Entry {
                        expires_at,
                        bytes,
                        cost_usd,
                        response: None,
                        pending: 0,
                    },
                );
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().expect("cache index lock")
    }

    /// After a failed write: read the table again on the next lookup.
    pub(crate) fn invalidate(&self) {
        self.lock().loaded = false;
    }

    /// The row is gone from the table.
    pub(crate) fn forget(&self, key: &str) {
        self.lock().remove_unless_pending(key);
    }

    /// The row, of `bytes`, was deleted.
    pub(crate) fn removed(&self, key: &str, bytes: i64) {
        let mut index = self.lock();
        index.stored_bytes -= bytes;
        index.remove_unless_pending(key);
    }

    /// Whether a queued answer of `bytes` may be stored; one too big for the bound is
    /// dropped here.
    pub(crate) fn fits(&self, key: &str, bytes: i64) -> bool {
        if bytes <= self.max_bytes {
            return true;
        }
        let mut index = self.lock();
        if let Some(entry) = index.entries.get_mut(key) {
            entry.pending = entry.pending.saturating_sub(1);
            if entry.pending == 0 && entry.bytes == 0 {
                index.remove_unless_pending(key);
            }
        }
        false
    }

    /// A queued answer's row, of `bytes`, was written.
    pub(crate) fn written(&self, key: &str, bytes: i64) {
        let mut index = self.lock();
        let old = match index.entries.get_mut(key) {
            Some(entry) => {
                entry.pending = entry.pending.saturating_sub(1);
                std::mem::replace(&mut entry.bytes, bytes)
            }
            // Let go meanwhile (expired, evicted or cleared before this write): its row
            // is read again by the next sync.
            None => 0,
        };
        index.stored_bytes += bytes - old;
        index.writes += 1;
    }

    /// Deletes expired answers, then the least recently used until the table is within
    /// its bound (in the writer's transaction).
    pub(crate) async fn evict(&self, tx: &mut sqlx::SqliteConnection, now: i64) -> Result<(), LlmError> {
        let expired: Vec<(String, i64)> =
            sqlx::query_as("DELETE FROM llm_cache WHERE expires_at <= ? RETURNING key, bytes")
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
        for (key, bytes) in expired {
            self.removed(&key, bytes);
        }
        let mut excess = self.lock().stored_bytes - self.max_bytes;
        // The least recently used go first, a few at a time: at capacity each write
        // evicts about one answer, so this touches a handful of rows, not the table.
        while excess > 0 {
            let oldest: Vec<(String, i64)> =
                sqlx::query_as("SELECT key, bytes FROM llm_cache ORDER BY last_hit_at, created_at LIMIT 16")
                    .fetch_all(&mut *tx)
                    .await?;
            if oldest.is_empty() {
                break;
            }
            for (key, bytes) in oldest {
                if excess <= 0 {
                    break;
                }
                sqlx::query("DELETE FROM llm_cache WHERE key = ?")
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?;
                self.removed(&key, bytes);
                excess -= bytes;
            }
        }
        Ok(())
    }

    /// Reads the table the first time (or again after a failed write).
    async fn load(&self, db: &Db) -> Result<(), LlmError> {
        if self.lock().loaded {
            return Ok(());
        }
        let rows: Vec<(i64, String, i64, i64, f64)> =
            sqlx::query_as("SELECT rowid, key, expires_at, bytes, cost_usd FROM llm_cache")
                .fetch_all(db.pool())
                .await?;
        let now = now_ms();
        let mut index = self.lock();
        if index.loaded {
            return Ok(());
        }
        // Entries with writes queued stay; the rest is what the table says.
        index.entries.retain(|_, e| e.pending > 0);
        index.held = index
            .entries
            .values()
            .filter_map(|e| e.response.as_deref())
            .map(held_size)
            .sum();
        index.stored_bytes = 0;
        index.writes = 0;
        index.max_rowid = 0;
        index.merge(rows, now);
        index.loaded = true;
        Ok(())
    }

    /// Picks up rows other processes added since the last read (run by the writer task,
    /// so no write of this process is under way), and counts the stored bytes again
    /// now and then.
    pub(crate) async fn sync(&self, db: &Db) -> Result<(), LlmError> {
        let (loaded, since, recount) = {
            let index = self.lock();
            (index.loaded, index.max_rowid, index.writes >= RECOUNT_EVERY)
        };
        if !loaded {
            return Ok(());
        }
        let rows: Vec<(i64, String, i64, i64, f64)> =
            sqlx::query_as("SELECT rowid, key, expires_at, bytes, cost_usd FROM llm_cache WHERE rowid > ?")
                .bind(since)
                .fetch_all(db.pool())
                .await?;
        let stored: Option<f64> = if recount {
            Some(
                sqlx::query_scalar("SELECT TOTAL(bytes) FROM llm_cache")
                    .fetch_one(db.pool())
                    .await?,
            )
        } else {
            None
        };
        let mut index = self.lock();
        index.merge(rows, now_ms());
        if let Some(stored) = stored {
            index.stored_bytes = stored as i64;
            index.writes = 0;
        }
        Ok(())
    }
}

impl Cache {
    pub fn new(db: Db, config: CacheConfig) -> Self {
        Self {
            config,
            shared: Arc::new(Shared {
                max_bytes: config.max_bytes.min(i64::MAX as u64) as i64,
                hold_bytes: HOLD_BYTES.min(config.max_bytes.min(usize::MAX as u64) as usize),
                index: Mutex::default(),
                last_sync: AtomicI64::new(0),
            }),
            writer: Writer::new(db),
        }
    }

    /// Writes through `writer` (the budget's, so that a call's writes share a batch).
    pub(crate) fn use_writer(&mut self, writer: &Writer) {
        if writer.db().path() == self.writer.db().path() {
            self.writer = writer.clone();
        }
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }

    fn db(&self) -> &Db {
        self.writer.db()
    }

    /// The answer stored under `key`, unless it expired; a hit refreshes its recency.
    pub async fn get(&self, key: &str) -> Result<Option<Hit>, LlmError> {
        self.shared.load(self.db()).await?;
        let now = now_ms();
        let last = self.shared.last_sync.load(Ordering::Relaxed);
        if now - last >= SYNC_EVERY_MS
            && self
                .shared
                .last_sync
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.writer.send(Op::CacheSync {
                cache: self.shared.clone(),
            });
        }
        let (cost_usd, held) = {
            let index = self.shared.lock();
            match index.entries.get(key) {
                Some(e) if e.expires_at > now => (e.cost_usd, e.response.clone()),
                _ => return Ok(None),
            }
        };
        let response = match held {
            Some(response) => ChatResponse::clone(&response),
            None => {
                let row: Option<String> =
                    sqlx::query_scalar("SELECT response FROM llm_cache WHERE key = ?1 AND expires_at > ?2")
                        .bind(key)
                        .bind(now)
                        .fetch_optional(self.db().pool())
                        .await?;
                let Some(text) = row else {
                    self.shared.forget(key);
                    return Ok(None);
                };
                match serde_json::from_str::<ChatResponse>(&text) {
                    Ok(response) => {
                        self.shared
                            .lock()
                            .hold(key, Arc::new(response.clone()), self.shared.hold_bytes);
                        response
                    }
                    // Written by another version in another shape: a miss, and the row goes.
                    Err(_) => {
                        self.writer.send(Op::CacheDelete {
                            cache: self.shared.clone(),
                            key: key.to_string(),
                        });
                        return Ok(None);
                    }
                }
            }
        };
        self.writer.send(Op::CacheTouch {
            cache: self.shared.clone(),
            key: key.to_string(),
            now,
        });
        Ok(Some(Hit { response, cost_usd }))
    }

    /// Stores an answer (returning once it is written), then evicts expired and least
    /// recently used answers until the cache is within LLM_CACHE_MAX_BYTES.
    pub async fn put(
        &self,
        key: &str,
        provider: &str,
        model: &str,
        response: &ChatResponse,
        cost_usd: f64,
    ) -> Result<(), LlmError> {
        self.shared.load(self.db()).await?;
        self.queue_put(key, provider, model, response.clone(), cost_usd);
        self.writer.flush().await;
        Ok(())
    }

    /// Stores an answer with the writer's next batch; it is served from memory at once.
    pub(crate) fn queue_put(
        &self,
        key: &str,
        provider: &str,
        model: &str,
        response: ChatResponse,
        cost_usd: f64,
    ) {
        let now = now_ms();
        let expires_at = now.saturating_add(self.config.ttl.as_millis().min(i64::MAX as u128) as i64);
        let response = Arc::new(response);
        {
            let mut index = self.shared.lock();
            let entry = index.entries.entry(key.to_string()).or_insert(Entry {
                expires_at,
                bytes: 0,
                cost_usd,
                response: None,
                pending: 0,
            });
            entry.expires_at = expires_at;
            entry.cost_usd = cost_usd;
            entry.pending += 1;
            index.hold(key, response.clone(), self.shared.hold_bytes);
        }
        self.writer.send(Op::CachePut {
            cache: self.shared.clone(),
            key: key.to_string(),
            provider: provider.to_string(),
            model: model.to_string(),
            response,
            cost_usd,
            now,
            expires_at,
        });
    }

    pub async fn size(&self) -> Result<CacheSize, LlmError> {
        self.writer.flush().await;
        let (entries, bytes): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM llm_cache")
                .fetch_one(self.db().pool())
                .await?;
        Ok(CacheSize { entries, bytes })
    }

    /// Empties the cache (`mira budget --clear-cache`).
    pub async fn clear(&self) -> Result<u64, LlmError> {
        self.writer.flush().await;
        let n = sqlx::query("DELETE FROM llm_cache")
            .execute(self.db().pool())
            .await?
            .rows_affected();
        let mut index = self.shared.lock();
        index.entries.clear();
        index.held = 0;
        index.stored_bytes = 0;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Message;

    fn request(text: &str) -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            messages: vec![Message::user(text)],
            ..ChatRequest::default()
        }
    }

    #[test]
    fn keys_change_with_what_changes_the_answer() {
        let base = key("openai", &request("hi"));
        assert_eq!(base.len(), 64);
        assert_eq!(base, key("openai", &request("hi")));
        assert_eq!(base, key("openai", &request("hi").clone()));
        assert_ne!(base, key("gemini", &request("hi")));
        assert_ne!(base, key("openai", &request("hi!")));
        let mut warm = request("hi");
        warm.temperature = Some(0.9);
        assert_ne!(base, key("openai", &warm));
        let crlf = key("openai", &request("a\r\nb"));
        assert_eq!(crlf, key("openai", &request("a\nb")));
    }

    #[test]
    fn tool_schemas_hash_the_same_whatever_their_key_order() {
        let mut a = request("x");
        a.tools = vec![crate::types::ToolSpec {
            name: "t".into(),
            description: "d".into(),
            parameters: serde_json::from_str(r#"{"type":"object","properties":{"b":{},"a":{}}}"#).unwrap(),
        }];
        let mut b = a.clone();
        b.tools[0].parameters =
            serde_json::from_str(r#"{"properties":{"a":{},"b":{}},"type":"object"}"#).unwrap();
        assert_eq!(key("p", &a), key("p", &b));
    }
}
