//! Personal memory: what Mira learns about the user and the project.
//!
//! - [`turns`]: every conversation turn memory has seen (live chats and imported
//!   transcripts), secrets removed, indexed for recall with the previous turn beside it.
//! - [`extract`]: candidate facts from a turn. The deterministic extractor reads explicit
//!   statements ("I prefer...", "we use...", "never...", "remember that...").
//! - [`model`]: a provider model reading a turn beside the facts nearest to it, through
//!   the gateway (budget and cache); the rules still run, and alone when it fails.
//! - [`facts`]: the facts themselves, each decided against the nearest stored ones as
//!   ADD, UPDATE, SUPERSEDE or NOOP. A contradicted fact is never deleted: it is closed
//!   (`valid_to`, `superseded_by`) so what held before still has an answer.
//! - [`profile`]: the user's current preferences and names, one per subject, kept by
//!   triggers on the facts.
//! - [`patterns`]: what the user does again and again ("asks for tests"), with how often
//!   and the latest messages it was seen in; from three sightings on, a habit.
//! - [`summaries`]: rolling summaries of each window of a conversation's turns (a
//!   provider model's, or the window's most telling sentences), cited and recalled.
//! - [`dense`]: vectors of facts and summaries (in SQLite, by the configured embedder),
//!   so recall finds them by meaning too.
//! - [`recall`]: facts, summaries and turns for a query, ranked and scoped to the user
//!   and the project, every item citing the messages it came from.
//! - [`transfer`]: export and import (Mira's own export, and transcripts of past
//!   conversations, which go through the same extraction as live chats).
//! - [`scrub`]: API keys, tokens, passwords, private keys and e-mail addresses are cut
//!   out before anything is stored.
//!
//! Every write transaction begins `IMMEDIATE`: a deferred one that reads first fails at
//! once ("database is locked") when another connection (the server's indexer, a chat
//! being followed) wrote in between, where an immediate one waits its turn.

pub mod dense;
pub mod extract;
pub mod facts;
pub mod follow;
pub mod gate;
pub mod item;
pub mod model;
pub mod patterns;
pub mod profile;
pub mod query;
pub mod recall;
pub mod scope;
pub mod scrub;
pub mod summaries;
pub mod transfer;
pub mod turns;

pub use facts::{Decision, Fact, Source};
pub use item::ItemId;
pub use recall::{RecallItem, RecallRequest};
pub use scope::Scope;

#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error(transparent)]
    Store(#[from] mira_store::StoreError),
    #[error("memory database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("no memory item {0} (see `mira memory list`)")]
    NoSuchItem(i64),
    #[error("{0}")]
    Invalid(String),
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A time in milliseconds as the day it fell on (`2026-12-07`), as items are dated when
/// shown.
pub fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Deletes row `id` of `table` and its entry in the contentless index `fts` in one
/// transaction (the tables are this crate's own names, never input).
pub(crate) async fn delete_indexed(
    db: &mira_store::Db,
    table: &'static str,
    fts: &'static str,
    id: i64,
) -> Result<(), MemoryError> {
    let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
    let gone = sqlx::query(&format!("DELETE FROM {table} WHERE id = ?"))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(MemoryError::NoSuchItem(id));
    }
    sqlx::query(&format!("DELETE FROM {fts} WHERE rowid = ?"))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The configured provider and store keys, cut out of everything memory stores.
pub fn configured_keys(config: &mira_core::Config) -> mira_llm::scrub::Scrubber {
    let p = &config.providers;
    mira_llm::scrub::Scrubber::new(
        [
            &p.gemini_api_key,
            &p.openai_api_key,
            &p.anthropic_api_key,
            &config.vectors.qdrant_api_key,
        ]
        .into_iter()
        .flatten()
        .cloned(),
    )
}
