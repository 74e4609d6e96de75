//! The user's profile: their current preferences and names (not a project's), one entry
//! per subject, each naming the fact it comes from. Kept by triggers on `memory_facts`
//! (migration `0017_user_profile.sql`), in the same transaction as the fact's change, so
//! it is read here and never written.

use mira_store::Db;
use serde::Serialize;

use crate::MemoryError;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ProfileEntry {
    /// The fact's subject (`prefers: tabs`, `release notes style`).
    pub key: String,
    pub value: String,
    /// `f12`: the fact it comes from.
    pub fact: String,
    pub updated_at: i64,
}

/// Every entry of `user`'s profile, by key.
pub async fn list(db: &Db, user: &str) -> Result<Vec<ProfileEntry>, MemoryError> {
    Ok(sqlx::query_as(
        "SELECT key, value, 'f' || fact_id AS fact, updated_at FROM user_profile \
         WHERE user_id = ? AND fact_id IS NOT NULL ORDER BY key",
    )
    .bind(user)
    .fetch_all(db.pool())
    .await?)
}
