//! Rolling summaries: every window of a conversation's turns (MEMORY_SUMMARY_WINDOW of
//! them, fewer when a session ends) compressed into a few sentences, so recall can find
//! what a stretch of talk was about even when no single turn says it all.
//!
//! A provider model writes them when memory may use one (through the gateway, so budget
//! and cache hold; see [`crate::model::ModelExtractor::summarize`]); otherwise, or when
//! its call fails, the extractive summariser picks the window's most telling sentences
//! (words that recur across its turns, names, numbers), keeping the speakers and the day.
//! Either way a summary cites the turns its sentences came from, and is indexed (text
//! and day) for recall.
//!
//! Which turns are summarised is read from the summaries themselves (a conversation is
//! done up to its last summary's `last_seq`), so a pass that stops half way is finished
//! by the next one and a window is never written twice.

use std::collections::{HashMap, HashSet};

use mira_llm::scrub::Scrubber;
use mira_store::Db;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::facts::Source;
use crate::model::ModelExtractor;
use crate::turns::{self, Turn};
use crate::{MemoryError, Scope, query};

/// Sentences an extractive summary keeps at most.
const MAX_SENTENCES: usize = 6;
/// Characters a picked sentence keeps at most.
const SENTENCE_CHARS: usize = 240;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// `s4`.
    pub id: String,
    pub conversation: String,
    pub first_seq: i64,
    pub last_seq: i64,
    pub text: String,
    /// `extractive` or `model`.
    pub origin: String,
    pub project_id: Option<i64>,
    pub created_at: i64,
    /// When its first and last turn were said.
    pub from: i64,
    pub to: i64,
    pub sources: Vec<Source>,
}

/// What one pass wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SummaryReport {
    pub written: usize,
    pub by_model: usize,
    /// Windows the model could not summarise (the extractive summariser did).
    pub model_failures: usize,
}

/// Summarises every complete window not summarised yet. `window` 0 writes nothing.
pub async fn run_pending(
    db: &Db,
    user: &str,
    window: usize,
    model: Option<&ModelExtractor>,
) -> Result<SummaryReport, MemoryError> {
    let mut report = SummaryReport::default();
    if window == 0 {
        return Ok(report);
    }
    let mut model = model;
    // Conversations with turns past their last summary.
    let open: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t.conversation, COALESCE(MAX(s.last_seq), 0) AS done FROM \
         (SELECT conversation, MAX(seq) AS top FROM memory_turns WHERE user_id = ? GROUP BY conversation) t \
         LEFT JOIN rolling_summaries s ON s.conversation = t.conversation \
         GROUP BY t.conversation, t.top HAVING t.top > COALESCE(MAX(s.last_seq), 0)",
    )
    .bind(user)
    .fetch_all(db.pool())
    .await?;
    for (conversation, done) in open {
        let pending = turns::after(db, &conversation, done).await?;
        for w in windows(&pending, window) {
            let (text, cited, origin) = match model {
                Some(m) => match m.summarize(w).await {
                    Ok((text, cited)) => {
                        report.by_model += 1;
                        (text, cited, "model")
                    }
                    Err(e) => {
                        report.model_failures += 1;
                        tracing::warn!(error = %e, "memory: the model could not summarise; the extractive summariser did");
                        if e.is_budget() {
                            model = None;
                        }
                        let (text, cited) = extractive(w);
                        (text, cited, "extractive")
                    }
                },
                None => {
                    let (text, cited) = extractive(w);
                    (text, cited, "extractive")
                }
            };
            if store(db, user, w, &text, &cited, origin).await? {
                report.written += 1;
            }
        }
    }
    Ok(report)
}

/// The complete windows of `pending` (a conversation's turns in order): `size` turns, or
/// fewer where a session ends; the last, still open, window is left for later.
fn windows(pending: &[Turn], size: usize) -> Vec<&[Turn]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..pending.len() {
        let full = i + 1 - start == size;
        let session_ends = pending
            .get(i + 1)
            .is_some_and(|next| next.session != pending[i].session);
        if full || session_ends {
            out.push(&pending[start..=i]);
            start = i + 1;
        }
    }
    out
}

/// Writes one summary of `window` with the turns at `cited` as its sources.
async fn store(
    db: &Db,
    user: &str,
    window: &[Turn],
    text: &str,
    cited: &[usize],
    origin: &str,
) -> Result<bool, MemoryError> {
    let (first, last) = (&window[0], &window[window.len() - 1]);
    let days: Vec<String> = window
        .iter()
        .map(|t| turns::day_text(t.at))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let new = Summary {
        id: String::new(),
        conversation: first.conversation.clone(),
        first_seq: first.seq,
        last_seq: last.seq,
        text: text.to_string(),
        origin: origin.to_string(),
        project_id: first.project_id,
        created_at: crate::now_ms(),
        from: first.at,
        to: last.at,
        sources: cited
            .iter()
            .map(|&i| Source {
                conversation: window[i].conversation.clone(),
                message: window[i].message.clone(),
            })
            .collect(),
    };
    insert(db, user, &new, &days.join(" ")).await
}

/// Reads a summary of an export in (its text scrubbed with this data dir's keys).
/// `false` when that window of the conversation is summarised here already.
pub async fn import(
    db: &Db,
    user: &str,
    project_id: Option<i64>,
    summary: &Summary,
    keys: &Scrubber,
) -> Result<bool, MemoryError> {
    let mut new = summary.clone();
    new.project_id = project_id;
    new.text = crate::scrub::clean(&summary.text, keys);
    let day = [summary.from, summary.to]
        .map(turns::day_text)
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(" ");
    insert(db, user, &new, &day).await
}

/// Writes a summary, its index entry and its sources in one transaction. `false` when
/// another pass wrote this window meanwhile.
async fn insert(db: &Db, user: &str, new: &Summary, day: &str) -> Result<bool, MemoryError> {
    let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO rolling_summaries (user_id, project_id, conversation, first_seq, last_seq, text, created_at, origin, from_at, to_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (conversation, first_seq) DO NOTHING RETURNING id",
    )
    .bind(user)
    .bind(new.project_id)
    .bind(&new.conversation)
    .bind(new.first_seq)
    .bind(new.last_seq)
    .bind(&new.text)
    .bind(new.created_at)
    .bind(&new.origin)
    .bind(new.from)
    .bind(new.to)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else { return Ok(false) };
    sqlx::query("INSERT INTO rolling_summaries_fts (rowid, text, day) VALUES (?, ?, ?)")
        .bind(id)
        .bind(&new.text)
        .bind(day)
        .execute(&mut *tx)
        .await?;
    for s in &new.sources {
        sqlx::query("INSERT OR IGNORE INTO rolling_summary_sources (summary_id, conversation, message) VALUES (?, ?, ?)")
            .bind(id)
            .bind(&s.conversation)
            .bind(&s.message)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// A sentence of a window: which turn it is of, and its text.
struct Sentence<'a> {
    turn: usize,
    text: &'a str,
}

fn sentences(window: &[Turn]) -> Vec<Sentence<'_>> {
    let mut out = Vec::new();
    for (i, t) in window.iter().enumerate() {
        let mut start = 0;
        let bytes = t.text.as_bytes();
        for (j, c) in t.text.char_indices() {
            let ends = matches!(c, '.' | '!' | '?')
                && bytes.get(j + 1).is_none_or(|b| b.is_ascii_whitespace())
                || c == '\n';
            if ends {
                push_sentence(&mut out, i, &t.text[start..=j]);
                start = j + c.len_utf8();
            }
        }
        push_sentence(&mut out, i, &t.text[start..]);
    }
    out
}

fn push_sentence<'a>(out: &mut Vec<Sentence<'a>>, turn: usize, text: &'a str) {
    let text = text.trim();
    if text.split_whitespace().count() >= 3 {
        out.push(Sentence { turn, text });
    }
}

/// The extractive summary of a window: its day(s), then its most telling sentences in
/// the order said, each with its speaker; and the turns they came from (indexes).
///
/// A sentence is telling when its words recur in other turns of the window (what the
/// stretch of talk is about), and when it holds names and numbers (what recall is
/// asked for); long sentences do not win by length alone.
pub fn extractive(window: &[Turn]) -> (String, Vec<usize>) {
    let mut all = sentences(window);
    // Said again and again in the same words (pleasantries, a template): not what the
    // stretch is about. Such sentences neither stand for it nor make words recur.
    let shape = |s: &Sentence| -> Vec<String> {
        let mut words: Vec<String> = query::terms(s.text)
            .into_iter()
            .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
            .collect();
        words.sort();
        words
    };
    let mut shapes: HashMap<Vec<String>, usize> = HashMap::new();
    for s in &all {
        *shapes.entry(shape(s)).or_default() += 1;
    }
    all.retain(|s| shapes[&shape(s)] == 1);
    // In how many turns of the window each word appears.
    let mut spread: HashMap<String, HashSet<usize>> = HashMap::new();
    for s in &all {
        for w in query::terms(s.text) {
            spread.entry(w).or_default().insert(s.turn);
        }
    }
    let score = |s: &Sentence| -> f64 {
        let words = query::terms(s.text);
        if words.is_empty() {
            return 0.0;
        }
        let recurring = words
            .iter()
            .filter(|w| w.len() > 2 && spread.get(*w).is_some_and(|t| t.len() > 1))
            .count() as f64;
        let specific = s
            .text
            .split_whitespace()
            .skip(1)
            .filter(|w| {
                w.chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
            })
            .count() as f64;
        (recurring + 1.5 * specific + words.len() as f64 * 0.25) / (words.len() as f64).sqrt()
    };
    let mut ranked: Vec<(f64, usize)> = all.iter().enumerate().map(|(i, s)| (score(s), i)).collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let keep = (window.len() / 2).clamp(1, MAX_SENTENCES);
    let mut picked: Vec<usize> = ranked.iter().take(keep).map(|(_, i)| *i).collect();
    picked.sort_unstable();
    let mut text = day_span(window);
    let mut cited: Vec<usize> = Vec::new();
    let mut last_speaker: Option<&str> = None;
    for i in picked {
        let s = &all[i];
        let speaker = window[s.turn].speaker.as_str();
        if last_speaker != Some(speaker) {
            text.push_str(&format!(" {speaker}:"));
            last_speaker = Some(speaker);
        }
        let short: String = s.text.chars().take(SENTENCE_CHARS).collect();
        text.push(' ');
        text.push_str(&short);
        if !cited.contains(&s.turn) {
            cited.push(s.turn);
        }
    }
    if cited.is_empty() {
        // Nothing but short lines: the window's first turn stands for it.
        let t = &window[0];
        text.push_str(&format!(
            " {}: {}",
            t.speaker,
            t.text.chars().take(SENTENCE_CHARS).collect::<String>()
        ));
        cited.push(0);
    }
    (text, cited)
}

/// "8 May 2023." or "8 May 2023 to 9 May 2023." (nothing when the turns are undated).
fn day_span(window: &[Turn]) -> String {
    let first = turns::day_text(window[0].at);
    let last = turns::day_text(window[window.len() - 1].at);
    match (first.is_empty(), first == last) {
        (true, _) => String::new(),
        (false, true) => format!("{first}."),
        (false, false) => format!("{first} to {last}."),
    }
}

/// Ids of the summaries matching an FTS5 query, best first, in the scope (and
/// conversation).
pub(crate) async fn hits(
    db: &Db,
    scope: &Scope,
    conversation: Option<&str>,
    fts: &str,
    limit: i64,
) -> Result<Vec<i64>, MemoryError> {
    let (user, project) = scope.bind_values();
    let conversation_filter = if conversation.is_some() {
        "AND s.conversation = ?"
    } else {
        ""
    };
    let sql = format!(
        "SELECT s.id FROM rolling_summaries_fts CROSS JOIN rolling_summaries s ON s.id = rolling_summaries_fts.rowid \
         WHERE rolling_summaries_fts MATCH ? AND {} {conversation_filter} \
         ORDER BY bm25(rolling_summaries_fts) LIMIT ?",
        Scope::visible("s")
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql)
        .bind(fts)
        .bind(user)
        .bind(project);
    if let Some(c) = conversation {
        q = q.bind(c);
    }
    Ok(q.bind(limit).fetch_all(db.pool()).await?)
}

const COLUMNS: &str = "s.id, s.conversation, s.first_seq, s.last_seq, s.text, s.origin, s.project_id, s.created_at, s.from_at, s.to_at";

async fn read(db: &Db, rows: Vec<sqlx::sqlite::SqliteRow>) -> Result<Vec<Summary>, MemoryError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.get("id");
        let sources: Vec<(String, String)> = sqlx::query_as(
            "SELECT ss.conversation, ss.message FROM rolling_summary_sources ss \
             LEFT JOIN memory_turns t ON t.conversation = ss.conversation AND t.message = ss.message \
             WHERE ss.summary_id = ? ORDER BY t.seq",
        )
        .bind(id)
        .fetch_all(db.pool())
        .await?;
        out.push(Summary {
            id: format!("s{id}"),
            conversation: r.get("conversation"),
            first_seq: r.get("first_seq"),
            last_seq: r.get("last_seq"),
            text: r.get("text"),
            origin: r.get("origin"),
            project_id: r.get("project_id"),
            created_at: r.get("created_at"),
            from: r.get("from_at"),
            to: r.get("to_at"),
            sources: sources
                .into_iter()
                .map(|(conversation, message)| Source {
                    conversation,
                    message,
                })
                .collect(),
        });
    }
    Ok(out)
}

pub async fn get(db: &Db, id: i64) -> Result<Summary, MemoryError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM rolling_summaries s WHERE s.id = ?"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    read(db, rows).await?.pop().ok_or(MemoryError::NoSuchItem(id))
}

/// The summaries `scope` may see (of one conversation when given), newest first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    conversation: Option<&str>,
    limit: i64,
) -> Result<Vec<Summary>, MemoryError> {
    let (user, project) = scope.bind_values();
    let conversation_filter = if conversation.is_some() {
        "AND s.conversation = ?"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM rolling_summaries s WHERE {} {conversation_filter} \
         ORDER BY s.to_at DESC, s.id DESC LIMIT ?",
        Scope::visible("s")
    );
    let mut q = sqlx::query(&sql).bind(user).bind(project);
    if let Some(c) = conversation {
        q = q.bind(c);
    }
    let rows = q.bind(limit).fetch_all(db.pool()).await?;
    read(db, rows).await
}

/// Removes a summary from the store and its index in one transaction.
pub async fn forget(db: &Db, id: i64) -> Result<(), MemoryError> {
    crate::delete_indexed(db, "rolling_summaries", "rolling_summaries_fts", id).await
}

/// The conversations' summaries as the scope sees them, for export.
pub async fn all(db: &Db, scope: &Scope) -> Result<Vec<Summary>, MemoryError> {
    list(db, scope, None, i64::MAX).await
}
