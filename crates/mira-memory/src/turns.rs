//! Conversation turns as memory keeps them: secrets removed, in order per conversation,
//! and indexed for recall by speaker, text, the turns before and after it in the same
//! session (an answer is often only understood with its question) and the day.

use mira_llm::scrub::Scrubber;
use mira_store::Db;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{MemoryError, Scope, scrub};

/// What a neighbouring turn adds to a turn's index entry, in characters: enough for a
/// question or its answer.
const NEIGHBOUR_CHARS: usize = 400;

fn excerpt(text: &str) -> String {
    text.chars().take(NEIGHBOUR_CHARS).collect()
}

/// The day a turn was said, as words can ask for it ("8 May 2023").
pub fn day_text(at: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .filter(|_| at > 0)
        .map(|d| d.format("%-d %B %Y").to_string())
        .unwrap_or_default()
}

async fn index(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: i64,
    speaker: &str,
    text: &str,
    before: &str,
    after: &str,
    at: i64,
) -> Result<(), MemoryError> {
    sqlx::query(
        "INSERT INTO memory_turns_fts (rowid, speaker, text, before, after, day) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(speaker)
    .bind(text)
    .bind(before)
    .bind(after)
    .bind(day_text(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTurn {
    pub conversation: String,
    #[serde(default)]
    pub session: String,
    pub message: String,
    pub speaker: String,
    pub text: String,
    /// Milliseconds since the epoch.
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub id: i64,
    pub project_id: Option<i64>,
    pub conversation: String,
    pub session: String,
    pub message: String,
    pub speaker: String,
    pub text: String,
    pub at: i64,
    pub seq: i64,
}

/// Stores the turns not stored yet (a turn is known by its conversation and message id,
/// so adding the same turns again changes nothing) in one transaction. Returns the new
/// turns as stored (text scrubbed).
pub async fn add(
    db: &Db,
    scope: &Scope,
    turns: &[NewTurn],
    keys: &Scrubber,
) -> Result<Vec<Turn>, MemoryError> {
    let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
    let mut added = Vec::new();
    for turn in turns {
        let text = scrub::clean(turn.text.trim(), keys);
        if text.is_empty() || turn.conversation.is_empty() || turn.message.is_empty() {
            continue;
        }
        // The two turns before this one, newest first: the last becomes this turn's
        // `before`, and gets this turn as its `after`.
        let previous: Vec<(i64, i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, seq, session, speaker, text, at FROM memory_turns WHERE conversation = ? \
             ORDER BY seq DESC LIMIT 2",
        )
        .bind(&turn.conversation)
        .fetch_all(&mut *tx)
        .await?;
        let seq = previous.first().map_or(1, |p| p.1 + 1);
        let same_session = |p: &&(i64, i64, String, String, String, i64)| p.2 == turn.session;
        let before = previous.first().filter(same_session);
        let before_text = before.map(|p| excerpt(&p.4)).unwrap_or_default();
        let speaker = scrub::clean(turn.speaker.trim(), keys);
        // Another process may have stored it meanwhile: then this one adds nothing.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO memory_turns (user_id, project_id, conversation, session, message, speaker, text, at, seq) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (conversation, message) DO NOTHING RETURNING id",
        )
        .bind(&scope.user)
        .bind(scope.project_id)
        .bind(&turn.conversation)
        .bind(&turn.session)
        .bind(&turn.message)
        .bind(&speaker)
        .bind(&text)
        .bind(turn.at)
        .bind(seq)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else { continue };
        index(&mut tx, id, &speaker, &text, &before_text, "", turn.at).await?;
        if let Some(b) = before {
            // The turn before gains this one as what came after it.
            let before_before = previous
                .get(1)
                .filter(|p| p.2 == turn.session)
                .map(|p| excerpt(&p.4))
                .unwrap_or_default();
            sqlx::query("DELETE FROM memory_turns_fts WHERE rowid = ?")
                .bind(b.0)
                .execute(&mut *tx)
                .await?;
            index(&mut tx, b.0, &b.3, &b.4, &before_before, &excerpt(&text), b.5).await?;
        }
        added.push(Turn {
            id,
            project_id: scope.project_id,
            conversation: turn.conversation.clone(),
            session: turn.session.clone(),
            message: turn.message.clone(),
            speaker,
            text,
            at: turn.at,
            seq,
        });
    }
    tx.commit().await?;
    Ok(added)
}

fn from_row(r: &sqlx::sqlite::SqliteRow) -> Turn {
    Turn {
        id: r.get("id"),
        project_id: r.get("project_id"),
        conversation: r.get("conversation"),
        session: r.get("session"),
        message: r.get("message"),
        speaker: r.get("speaker"),
        text: r.get("text"),
        at: r.get("at"),
        seq: r.get("seq"),
    }
}

const COLUMNS: &str = "id, project_id, conversation, session, message, speaker, text, at, seq";

pub async fn get(db: &Db, id: i64) -> Result<Turn, MemoryError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM memory_turns WHERE id = ?"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(MemoryError::NoSuchItem(id))?;
    Ok(from_row(&row))
}

/// Every turn the scope may see, in conversation order (for export).
pub async fn all(db: &Db, scope: &Scope) -> Result<Vec<Turn>, MemoryError> {
    let (user, project) = scope.bind_values();
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM memory_turns t WHERE {} ORDER BY conversation, seq",
        Scope::visible("t")
    ))
    .bind(user)
    .bind(project)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Turns not yet read by the extractor, oldest first.
pub async fn pending(db: &Db, limit: i64) -> Result<Vec<Turn>, MemoryError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM memory_turns WHERE extracted = 0 ORDER BY id LIMIT ?"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// The turns of `conversation` after position `seq`, in order.
pub async fn after(db: &Db, conversation: &str, seq: i64) -> Result<Vec<Turn>, MemoryError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM memory_turns WHERE conversation = ? AND seq > ? ORDER BY seq"
    ))
    .bind(conversation)
    .bind(seq)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Removes a turn from the store and its index in one transaction.
pub async fn forget(db: &Db, id: i64) -> Result<(), MemoryError> {
    crate::delete_indexed(db, "memory_turns", "memory_turns_fts", id).await
}

/// The turns just before and after turn `turn_id` in its session (either may be missing).
pub async fn neighbours(db: &Db, turn_id: i64) -> Result<(Option<Turn>, Option<Turn>), MemoryError> {
    let rows = sqlx::query(
        "SELECT n.id, n.project_id, n.conversation, n.session, n.message, n.speaker, n.text, n.at, n.seq, \
         n.seq < t.seq AS earlier \
         FROM memory_turns t JOIN memory_turns n ON n.conversation = t.conversation AND n.session = t.session \
         WHERE t.id = ? AND n.seq IN (t.seq - 1, t.seq + 1)",
    )
    .bind(turn_id)
    .fetch_all(db.pool())
    .await?;
    let (mut before, mut after) = (None, None);
    for r in &rows {
        if r.get::<bool, _>("earlier") {
            before = Some(from_row(r));
        } else {
            after = Some(from_row(r));
        }
    }
    Ok((before, after))
}
