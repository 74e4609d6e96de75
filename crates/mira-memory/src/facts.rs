//! Facts, preferences, decisions, constraints and names, each with the messages it came
//! from. A new fact is decided against the stored facts of its subject (mem0's loop,
//! with Zep's validity intervals):
//! - the same statement again: NOOP, the new messages join its sources;
//! - the same statement with more detail: UPDATE in place;
//! - anything else on the same subject, or a statement that rejects a stored one
//!   ("spaces over tabs", "we no longer use X", "switched from X to Y"): SUPERSEDE, the
//!   old fact gets `valid_to` and `superseded_by` and stays listed as history;
//! - otherwise ADD.

use std::collections::{BTreeSet, HashMap};

use mira_store::Db;
use serde::{Deserialize, Serialize};
use sqlx::{Row, Sqlite, Transaction};

use crate::{MemoryError, Scope, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Source {
    pub conversation: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    pub id: i64,
    pub project_id: Option<i64>,
    pub subject: String,
    pub text: String,
    pub category: String,
    pub confidence: f64,
    pub importance: f64,
    pub origin: String,
    pub valid_from: i64,
    pub valid_to: Option<i64>,
    pub superseded_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub sources: Vec<Source>,
}

/// A fact to be learned. `replaces` names subjects this statement rejects; a stored
/// subject that begins with one of them is rejected too ("prefers: tabs" rejects
/// "prefers: tabs for indentation").
#[derive(Debug, Clone, PartialEq)]
pub struct NewFact {
    pub subject: String,
    pub text: String,
    pub category: String,
    pub confidence: f64,
    pub importance: f64,
    pub origin: String,
    /// When it became true (the message's time).
    pub at: i64,
    pub sources: Vec<Source>,
    pub replaces: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Added { id: i64 },
    Updated { id: i64 },
    Superseded { id: i64, old: Vec<i64> },
    Unchanged { id: i64 },
}

impl Decision {
    pub fn id(&self) -> i64 {
        match self {
            Decision::Added { id }
            | Decision::Updated { id }
            | Decision::Superseded { id, .. }
            | Decision::Unchanged { id } => *id,
        }
    }
}

pub const CATEGORIES: &[&str] = &["preference", "decision", "constraint", "fact", "name"];

/// A fact the user told Mira directly (the CLI's `remember`, the API's POST): a
/// statement the extractor understands keeps its subject, so it supersedes what it
/// contradicts; anything else is a note of its own. It has no message as source.
pub fn told(text: String, at: i64) -> NewFact {
    match crate::extract::candidates(crate::extract::USER_SPEAKER, &text)
        .into_iter()
        .next()
    {
        Some(c) => NewFact {
            importance: c.importance(),
            subject: c.subject,
            text,
            category: c.category.to_string(),
            confidence: 1.0,
            origin: "told".into(),
            at,
            sources: Vec::new(),
            replaces: c.replaces,
        },
        None => NewFact {
            subject: format!(
                "note: {}",
                normalize(&text).split(' ').take(6).collect::<Vec<_>>().join(" ")
            ),
            text,
            category: "fact".into(),
            confidence: 1.0,
            importance: 0.6,
            origin: "told".into(),
            at,
            sources: Vec::new(),
            replaces: Vec::new(),
        },
    }
}

/// Lowercase words only, so punctuation and spacing do not make two statements differ.
pub fn normalize(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Learns `new` in the caller's transaction (so a turn's facts and its "extracted" mark
/// are written together or not at all).
pub async fn learn_in(
    tx: &mut Transaction<'_, Sqlite>,
    scope: &Scope,
    new: &NewFact,
) -> Result<Decision, MemoryError> {
    if !CATEGORIES.contains(&new.category.as_str()) {
        return Err(MemoryError::Invalid(format!(
            "unknown category {:?} (one of {})",
            new.category,
            CATEGORIES.join(", ")
        )));
    }
    let normalized = normalize(&new.text);
    if normalized.is_empty() {
        return Err(MemoryError::Invalid("a fact needs some text".into()));
    }
    let same: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, text FROM memory_facts \
         WHERE user_id = ? AND project_id IS ? AND valid_to IS NULL AND subject = ? ORDER BY id",
    )
    .bind(&scope.user)
    .bind(scope.project_id)
    .bind(&new.subject)
    .fetch_all(&mut **tx)
    .await?;
    if let Some((id, _)) = same.iter().find(|(_, t)| normalize(t) == normalized) {
        add_sources(tx, *id, &new.sources).await?;
        return Ok(Decision::Unchanged { id: *id });
    }
    let now = now_ms();
    if let Some((id, _)) = same.iter().find(|(_, t)| {
        let old = normalize(t);
        contains_words(&normalized, &old)
    }) {
        sqlx::query(
            "UPDATE memory_facts SET text = ?, confidence = MAX(confidence, ?), updated_at = ? WHERE id = ?",
        )
        .bind(&new.text)
        .bind(new.confidence)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        reindex(tx, *id, &new.subject, &new.text).await?;
        add_sources(tx, *id, &new.sources).await?;
        let old = close(tx, scope, *id, Vec::new(), new).await?;
        return Ok(if old.is_empty() {
            Decision::Updated { id: *id }
        } else {
            Decision::Superseded { id: *id, old }
        });
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO memory_facts (user_id, project_id, subject, text, category, confidence, importance, \
         origin, valid_from, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&scope.user)
    .bind(scope.project_id)
    .bind(&new.subject)
    .bind(&new.text)
    .bind(&new.category)
    .bind(new.confidence)
    .bind(new.importance)
    .bind(&new.origin)
    .bind(new.at)
    .bind(now)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO memory_facts_fts (rowid, subject, text) VALUES (?, ?, ?)")
        .bind(id)
        .bind(&new.subject)
        .bind(&new.text)
        .execute(&mut **tx)
        .await?;
    add_sources(tx, id, &new.sources).await?;
    let old = close(tx, scope, id, same.iter().map(|(i, _)| *i).collect(), new).await?;
    Ok(if old.is_empty() {
        Decision::Added { id }
    } else {
        Decision::Superseded { id, old }
    })
}

/// Closes `old` (facts of the same subject) and the current facts of the subjects `new`
/// rejects, as superseded by `id` from when `new` became true. Returns what it closed.
async fn close(
    tx: &mut Transaction<'_, Sqlite>,
    scope: &Scope,
    id: i64,
    mut old: Vec<i64>,
    new: &NewFact,
) -> Result<Vec<i64>, MemoryError> {
    for subject in &new.replaces {
        let rejected: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM memory_facts \
             WHERE user_id = ? AND project_id IS ? AND valid_to IS NULL AND id <> ? \
             AND (subject = ? OR substr(subject, 1, length(?) + 1) = ? || ' ')",
        )
        .bind(&scope.user)
        .bind(scope.project_id)
        .bind(id)
        .bind(subject)
        .bind(subject)
        .bind(subject)
        .fetch_all(&mut **tx)
        .await?;
        old.extend(rejected);
    }
    old.sort_unstable();
    old.dedup();
    let now = now_ms();
    for o in &old {
        sqlx::query("UPDATE memory_facts SET valid_to = ?, superseded_by = ?, updated_at = ? WHERE id = ?")
            .bind(new.at.max(valid_from(tx, *o).await?))
            .bind(id)
            .bind(now)
            .bind(o)
            .execute(&mut **tx)
            .await?;
    }
    Ok(old)
}

/// Learns one fact in a transaction of its own.
pub async fn learn(db: &Db, scope: &Scope, new: &NewFact) -> Result<Decision, MemoryError> {
    let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
    let decision = learn_in(&mut tx, scope, new).await?;
    tx.commit().await?;
    Ok(decision)
}

/// `needle`'s words appear in `hay` in order as whole words.
fn contains_words(hay: &str, needle: &str) -> bool {
    format!(" {hay} ").contains(&format!(" {needle} "))
}

async fn valid_from(tx: &mut Transaction<'_, Sqlite>, id: i64) -> Result<i64, MemoryError> {
    Ok(
        sqlx::query_scalar("SELECT valid_from FROM memory_facts WHERE id = ?")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?,
    )
}

async fn reindex(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    subject: &str,
    text: &str,
) -> Result<(), MemoryError> {
    sqlx::query("DELETE FROM memory_facts_fts WHERE rowid = ?")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO memory_facts_fts (rowid, subject, text) VALUES (?, ?, ?)")
        .bind(id)
        .bind(subject)
        .bind(text)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn add_sources(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    sources: &[Source],
) -> Result<(), MemoryError> {
    for s in sources {
        sqlx::query(
            "INSERT OR IGNORE INTO memory_fact_sources (fact_id, conversation, message) VALUES (?, ?, ?)",
        )
        .bind(id)
        .bind(&s.conversation)
        .bind(&s.message)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

const COLUMNS: &str = "f.id, f.project_id, f.subject, f.text, f.category, f.confidence, f.importance, f.origin, \
     f.valid_from, f.valid_to, f.superseded_by, f.created_at, f.updated_at";

async fn with_sources(db: &Db, rows: Vec<sqlx::sqlite::SqliteRow>) -> Result<Vec<Fact>, MemoryError> {
    // One query for every row's sources: recall reads up to a hundred facts at a time,
    // and a query per fact cost more than the search itself.
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let mut sources: HashMap<i64, BTreeSet<Source>> = HashMap::new();
    let found = sqlx::query_as::<_, (i64, String, String)>(
        "SELECT fact_id, conversation, message FROM memory_fact_sources \
         WHERE fact_id IN (SELECT value FROM json_each(?))",
    )
    .bind(serde_json::to_string(&ids).expect("ids serialise"))
    .fetch_all(db.pool())
    .await?;
    for (id, conversation, message) in found {
        sources.entry(id).or_default().insert(Source {
            conversation,
            message,
        });
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.get("id");
        let sources = sources.remove(&id).unwrap_or_default();
        out.push(Fact {
            id,
            project_id: r.get("project_id"),
            subject: r.get("subject"),
            text: r.get("text"),
            category: r.get("category"),
            confidence: r.get("confidence"),
            importance: r.get("importance"),
            origin: r.get("origin"),
            valid_from: r.get("valid_from"),
            valid_to: r.get("valid_to"),
            superseded_by: r.get("superseded_by"),
            created_at: r.get("created_at"),
            updated_at: r.get("updated_at"),
            sources: sources.into_iter().collect(),
        });
    }
    Ok(out)
}

pub async fn get(db: &Db, id: i64) -> Result<Fact, MemoryError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM memory_facts f WHERE f.id = ?"))
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    with_sources(db, rows)
        .await?
        .pop()
        .ok_or(MemoryError::NoSuchItem(id))
}

/// The facts the scope may see, newest first; superseded ones too when `history`.
pub async fn list(db: &Db, scope: &Scope, history: bool) -> Result<Vec<Fact>, MemoryError> {
    let (user, project) = scope.bind_values();
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM memory_facts f WHERE {} {} ORDER BY f.valid_from DESC, f.id DESC",
        Scope::visible("f"),
        if history { "" } else { "AND f.valid_to IS NULL" }
    ))
    .bind(user)
    .bind(project)
    .fetch_all(db.pool())
    .await?;
    with_sources(db, rows).await
}

/// Replaces a fact's text (the user correcting it); its sources stay.
pub async fn edit(db: &Db, id: i64, text: &str) -> Result<Fact, MemoryError> {
    if normalize(text).is_empty() {
        return Err(MemoryError::Invalid("a fact needs some text".into()));
    }
    let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
    let subject: Option<String> = sqlx::query_scalar("SELECT subject FROM memory_facts WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let subject = subject.ok_or(MemoryError::NoSuchItem(id))?;
    sqlx::query("UPDATE memory_facts SET text = ?, updated_at = ? WHERE id = ?")
        .bind(text)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    reindex(&mut tx, id, &subject, text).await?;
    tx.commit().await?;
    get(db, id).await
}

/// Removes a fact, its sources and its index entry in one transaction.
pub async fn forget(db: &Db, id: i64) -> Result<(), MemoryError> {
    crate::delete_indexed(db, "memory_facts", "memory_facts_fts", id).await
}

/// The user's standing instructions in scope: current preferences and constraints,
/// this project's first, then the most important and the newest. They shape every
/// answer whether or not a task's words match them.
pub async fn standing(db: &Db, scope: &Scope, limit: usize) -> Result<Vec<Fact>, MemoryError> {
    let (user, project) = scope.bind_values();
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM memory_facts f WHERE {} AND f.valid_to IS NULL \
         AND f.category IN ('preference', 'constraint') \
         ORDER BY f.project_id IS NULL, f.importance DESC, f.valid_from DESC, f.id DESC LIMIT ?",
        Scope::visible("f")
    ))
    .bind(user)
    .bind(project)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    with_sources(db, rows).await
}
