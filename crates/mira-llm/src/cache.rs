//! `llm_cache`: whole answers stored under the SHA-256 of the normalised request, with a
//! time to live and a size bound (least recently used answers are evicted first).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mira_store::Db;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::error::LlmError;
use crate::types::{ChatRequest, ChatResponse};

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

#[derive(Debug, Clone)]
pub struct Cache {
    db: Db,
    pub config: CacheConfig,
    /// Bytes stored, as this process knows it: read once, then kept up to date by its
    /// own writes, and read again every `RECOUNT_EVERY` writes (other processes write
    /// too), so a write never sums the whole table.
    known_bytes: Arc<Mutex<Option<(i64, u32)>>>,
}

const RECOUNT_EVERY: u32 = 500;

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

impl Cache {
    pub fn new(db: Db, config: CacheConfig) -> Self {
        Self {
            db,
            config,
            known_bytes: Arc::default(),
        }
    }

    /// The answer stored under `key`, unless it expired; a hit refreshes its recency.
    pub async fn get(&self, key: &str) -> Result<Option<Hit>, LlmError> {
        let now = now_ms();
        let row: Option<(String, f64)> = sqlx::query_as(
            "UPDATE llm_cache SET hits = hits + 1, last_hit_at = ?2 WHERE key = ?1 AND expires_at > ?2
             RETURNING response, cost_usd",
        )
        .bind(key)
        .bind(now)
        .fetch_optional(self.db.pool())
        .await?;
        let Some((text, cost_usd)) = row else {
            return Ok(None);
        };
        match serde_json::from_str(&text) {
            Ok(response) => Ok(Some(Hit { response, cost_usd })),
            // Written by another version in another shape: a miss, and the row goes.
            Err(_) => {
                sqlx::query("DELETE FROM llm_cache WHERE key = ?")
                    .bind(key)
                    .execute(self.db.pool())
                    .await?;
                Ok(None)
            }
        }
    }

    /// Stores an answer, then evicts expired and least recently used answers until the
    /// cache is within LLM_CACHE_MAX_BYTES.
    pub async fn put(
        &self,
        key: &str,
        provider: &str,
        model: &str,
        response: &ChatResponse,
        cost_usd: f64,
    ) -> Result<(), LlmError> {
        let text = serde_json::to_string(response).expect("answers serialize");
        if text.len() as u64 > self.config.max_bytes {
            return Ok(());
        }
        let now = now_ms();
        let expires = now.saturating_add(self.config.ttl.as_millis().min(i64::MAX as u128) as i64);
        let replaced: Option<i64> = sqlx::query_scalar("SELECT bytes FROM llm_cache WHERE key = ?")
            .bind(key)
            .fetch_optional(self.db.pool())
            .await?;
        sqlx::query(
            "INSERT INTO llm_cache (key, provider, model, response, bytes, cost_usd, created_at, expires_at, last_hit_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7)
             ON CONFLICT (key) DO UPDATE SET response = excluded.response, bytes = excluded.bytes,
                 cost_usd = excluded.cost_usd, created_at = excluded.created_at,
                 expires_at = excluded.expires_at, last_hit_at = excluded.last_hit_at",
        )
        .bind(key)
        .bind(provider)
        .bind(model)
        .bind(&text)
        .bind(text.len() as i64)
        .bind(cost_usd)
        .bind(now)
        .bind(expires)
        .execute(self.db.pool())
        .await?;
        let added = text.len() as i64 - replaced.unwrap_or(0);
        self.evict(now, added).await
    }

    /// The stored size after a write that added `added` bytes.
    async fn track(&self, added: i64) -> Result<i64, LlmError> {
        let cached = {
            let mut known = self.known_bytes.lock().expect("cache size lock");
            match known.as_mut() {
                Some((bytes, writes)) if *writes < RECOUNT_EVERY => {
                    *bytes += added;
                    *writes += 1;
                    Some(*bytes)
                }
                _ => None,
            }
        };
        if let Some(bytes) = cached {
            return Ok(bytes);
        }
        let bytes = self.size().await?.bytes;
        *self.known_bytes.lock().expect("cache size lock") = Some((bytes, 0));
        Ok(bytes)
    }

    async fn evict(&self, now: i64, added: i64) -> Result<(), LlmError> {
        let expired = sqlx::query("DELETE FROM llm_cache WHERE expires_at <= ?")
            .bind(now)
            .execute(self.db.pool())
            .await?
            .rows_affected();
        if expired > 0 {
            // Sizes of what expired are unknown here: count again.
            *self.known_bytes.lock().expect("cache size lock") = None;
        }
        let stored = self.track(added).await?;
        let mut excess = stored - self.config.max_bytes as i64;
        if excess <= 0 {
            return Ok(());
        }
        let dropped_from = excess;
        // The least recently used go first, a few at a time: at capacity each write
        // evicts about one answer, so this touches a handful of rows, not the table.
        let mut tx = self.db.pool().begin().await?;
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
                excess -= bytes;
            }
        }
        tx.commit().await?;
        self.track(-(dropped_from - excess)).await?;
        Ok(())
    }

    pub async fn size(&self) -> Result<CacheSize, LlmError> {
        let (entries, bytes): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM llm_cache")
                .fetch_one(self.db.pool())
                .await?;
        Ok(CacheSize { entries, bytes })
    }

    /// Empties the cache (`mira budget --clear-cache`).
    pub async fn clear(&self) -> Result<u64, LlmError> {
        Ok(sqlx::query("DELETE FROM llm_cache")
            .execute(self.db.pool())
            .await?
            .rows_affected())
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
