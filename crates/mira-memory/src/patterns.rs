//! Learned patterns: what the user does again and again in their chats ("asks for tests",
//! "pastes stack traces", "runs /git:pr"), each with how often it was seen and the latest
//! messages it was seen in. A behaviour is the person's, so a pattern is user-scoped:
//! it is seen in every project's chats and shown in every project.
//!
//! Each user turn is read against a fixed catalogue of behaviours (below) in the same
//! transaction that marks the turn read, so a turn counts once even across a crash.
//! A pattern counts as a habit, shown in the profile and the model's context, from
//! [`HABIT_EVIDENCE`] sightings on.

use std::sync::LazyLock;

use mira_store::Db;
use regex::Regex;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::facts::Source;
use crate::turns::Turn;
use crate::{MemoryError, Scope};

/// Sightings from which a pattern is a habit.
pub const HABIT_EVIDENCE: i64 = 3;
/// Latest messages kept as a pattern's sources.
const SOURCES_KEPT: i64 = 10;

/// One behaviour of the catalogue: its description and what shows it in a turn.
struct Behaviour {
    name: &'static str,
    shown_by: Regex,
}

fn behaviour(name: &'static str, pattern: &str) -> Behaviour {
    Behaviour {
        name,
        shown_by: Regex::new(&format!("(?i){pattern}")).expect("catalogue patterns compile"),
    }
}

/// What a turn can show. Phrasings are the common ones; a behaviour missed in one turn
/// is seen in the next, and evidence counts, so precision matters more than recall.
static CATALOGUE: LazyLock<Vec<Behaviour>> = LazyLock::new(|| {
    vec![
        behaviour(
            "asks for tests",
            r"\b(add|write|adding|writing|create|include|need|needs|with|cover|more)\b[^.?!\n]{0,40}\btests?\b|\b(unit|integration|regression|e2e|property) tests?\b|\btest coverage\b",
        ),
        behaviour(
            "asks why or how code works",
            r"^\s*(why\b|how (does|do|is|are|come)\b|explain\b|walk me through\b|what does\b)|\bexplain (this|the|how|why|what)\b",
        ),
        behaviour(
            "asks for refactoring",
            r"\b(refactor(ing)?|clean ?up|simplify|restructure|split (this|it|the) (function|file|module))\b",
        ),
        behaviour(
            "asks for a review",
            r"\b(review (this|my|the)|code review|look over (this|my|the)|check (my|this) (code|change|diff|pr))\b",
        ),
        behaviour(
            "brings errors and failures",
            r"\b(error|exception|panic(ked|s)?|traceback|stack ?trace|segfault|crash(es|ed|ing)?|fails?|failing|failed)\b",
        ),
        behaviour(
            "pastes logs or stack traces",
            r"Traceback \(most recent call last\)|thread '[^']*' panicked at|error\[E\d{4}\]|^\s+at [\w.$<>]+ ?\([^)]*:\d+(:\d+)?\)|^\s+File .+, line \d+",
        ),
        behaviour(
            "asks for shorter answers",
            r"\b(shorter|briefly|be brief|concise(ly)?|tl;?dr|less verbose|keep it short|in one line|just the code)\b",
        ),
        behaviour(
            "asks for examples",
            r"\b(an example|examples|sample code|show me how)\b",
        ),
        behaviour(
            "asks for documentation",
            r"\b(docstrings?|doc comments?|document (this|it|the)|add docs|write docs|update the readme|readme)\b",
        ),
        behaviour(
            "asks about performance",
            r"\b(faster|too slow|performance|optimi[sz]e|latency|speed (it )?up|benchmark|memory usage)\b",
        ),
        behaviour(
            "asks about the history of the code",
            r"\b(who (wrote|changed|added)|git blame|blame|git log|commit history|when was (this|it|that) (changed|added|introduced))\b",
        ),
    ]
});

/// A slash command at the start of a turn (`/git:pr 12` runs `/git:pr`).
static SLASH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*/([A-Za-z][\w:.-]{0,40})(\s|$)").expect("slash pattern compiles"));

/// The behaviours `text` (a user's turn) shows, each once, in catalogue order.
pub fn behaviours(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    if let Some(c) = SLASH.captures(text) {
        found.push(format!("runs /{}", &c[1]));
    }
    for b in CATALOGUE.iter() {
        // Multi-line patterns (`^` at each line) for pasted traces.
        let shown = if b.name == "pastes logs or stack traces" {
            text.lines().any(|l| b.shown_by.is_match(l))
        } else {
            b.shown_by.is_match(text)
        };
        if shown {
            found.push(b.name.to_string());
        }
    }
    found
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pattern {
    /// `p3`.
    pub id: String,
    pub behaviour: String,
    pub evidence_count: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub project_id: Option<i64>,
    /// The latest messages it was seen in, newest first.
    pub sources: Vec<Source>,
}

/// Counts what `turn` shows, inside the transaction that marks it read. Returns how
/// many behaviours it showed.
pub(crate) async fn observe_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    user: &str,
    turn: &Turn,
) -> Result<usize, MemoryError> {
    let seen = behaviours(&turn.text);
    for name in &seen {
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM learned_patterns WHERE user_id = ? AND project_id IS NULL AND behaviour = ?",
        )
        .bind(user)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
        let id = match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE learned_patterns SET evidence_count = evidence_count + 1, \
                     first_seen = MIN(first_seen, ?1), last_seen = MAX(last_seen, ?1) WHERE id = ?2",
                )
                .bind(turn.at)
                .bind(id)
                .execute(&mut **tx)
                .await?;
                id
            }
            None => {
                sqlx::query_scalar(
                    "INSERT INTO learned_patterns (user_id, project_id, behaviour, evidence_count, first_seen, last_seen) \
                     VALUES (?, NULL, ?, 1, ?3, ?3) RETURNING id",
                )
                .bind(user)
                .bind(name)
                .bind(turn.at)
                .fetch_one(&mut **tx)
                .await?
            }
        };
        sqlx::query(
            "INSERT OR IGNORE INTO learned_pattern_sources (pattern_id, conversation, message, at) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&turn.conversation)
        .bind(&turn.message)
        .bind(turn.at)
        .execute(&mut **tx)
        .await?;
        // Few and precise: the latest sightings only.
        sqlx::query(
            "DELETE FROM learned_pattern_sources WHERE pattern_id = ?1 AND rowid NOT IN \
             (SELECT rowid FROM learned_pattern_sources WHERE pattern_id = ?1 ORDER BY at DESC, rowid DESC LIMIT ?2)",
        )
        .bind(id)
        .bind(SOURCES_KEPT)
        .execute(&mut **tx)
        .await?;
    }
    Ok(seen.len())
}

/// Reads a pattern of an export in: its count and dates merged with what this data dir
/// has seen of the same behaviour (the larger count, the wider span), so importing the
/// same file twice changes nothing.
pub async fn import(db: &Db, user: &str, p: &Pattern) -> Result<(), MemoryError> {
    let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM learned_patterns WHERE user_id = ? AND project_id IS NULL AND behaviour = ?",
    )
    .bind(user)
    .bind(&p.behaviour)
    .fetch_optional(&mut *tx)
    .await?;
    let id: i64 = match existing {
        Some(id) => {
            sqlx::query(
                "UPDATE learned_patterns SET evidence_count = MAX(evidence_count, ?), \
                 first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?) WHERE id = ?",
            )
            .bind(p.evidence_count)
            .bind(p.first_seen)
            .bind(p.last_seen)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO learned_patterns (user_id, project_id, behaviour, evidence_count, first_seen, last_seen) \
                 VALUES (?, NULL, ?, ?, ?, ?) RETURNING id",
            )
            .bind(user)
            .bind(&p.behaviour)
            .bind(p.evidence_count)
            .bind(p.first_seen)
            .bind(p.last_seen)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    // Sources are listed newest first; their order stands in for their times.
    for (i, s) in p.sources.iter().enumerate() {
        sqlx::query(
            "INSERT OR IGNORE INTO learned_pattern_sources (pattern_id, conversation, message, at) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&s.conversation)
        .bind(&s.message)
        .bind(p.last_seen - i as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The patterns `scope` may see with at least `min_evidence` sightings, most seen first.
pub async fn list(db: &Db, scope: &Scope, min_evidence: i64) -> Result<Vec<Pattern>, MemoryError> {
    let (user, project) = scope.bind_values();
    let rows = sqlx::query(&format!(
        "SELECT p.id, p.behaviour, p.evidence_count, p.first_seen, p.last_seen, p.project_id \
         FROM learned_patterns p WHERE {} AND p.evidence_count >= ? \
         ORDER BY p.evidence_count DESC, p.last_seen DESC, p.id",
        Scope::visible("p")
    ))
    .bind(user)
    .bind(project)
    .bind(min_evidence)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.get("id");
        out.push(Pattern {
            id: format!("p{id}"),
            behaviour: r.get("behaviour"),
            evidence_count: r.get("evidence_count"),
            first_seen: r.get("first_seen"),
            last_seen: r.get("last_seen"),
            project_id: r.get("project_id"),
            sources: sources(db, id).await?,
        });
    }
    Ok(out)
}

async fn sources(db: &Db, id: i64) -> Result<Vec<Source>, MemoryError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT conversation, message FROM learned_pattern_sources WHERE pattern_id = ? ORDER BY at DESC, rowid DESC",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(conversation, message)| Source {
            conversation,
            message,
        })
        .collect())
}

/// Removes a pattern and its sources.
pub async fn forget(db: &Db, id: i64) -> Result<(), MemoryError> {
    let gone = sqlx::query("DELETE FROM learned_patterns WHERE id = ?")
        .bind(id)
        .execute(db.pool())
        .await?
        .rows_affected();
    if gone == 0 {
        return Err(MemoryError::NoSuchItem(id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::behaviours;

    #[test]
    fn each_behaviour_is_seen_in_its_common_phrasings() {
        let cases = [
            ("Please add unit tests for the parser", "asks for tests"),
            ("can you write tests for the cache too?", "asks for tests"),
            (
                "Why does the watcher re-index twice?",
                "asks why or how code works",
            ),
            ("explain how the budget lease works", "asks why or how code works"),
            ("refactor this into two functions", "asks for refactoring"),
            ("review my change before I push", "asks for a review"),
            (
                "cargo test fails with a borrow error",
                "brings errors and failures",
            ),
            (
                "look:\nTraceback (most recent call last):\n  File \"a.py\", line 3",
                "pastes logs or stack traces",
            ),
            ("keep it short please", "asks for shorter answers"),
            ("show me how to stream with reqwest", "asks for examples"),
            ("add docstrings to the public functions", "asks for documentation"),
            ("this query is too slow, optimise it", "asks about performance"),
            ("who wrote the retry logic?", "asks about the history of the code"),
        ];
        for (text, expected) in cases {
            assert!(
                behaviours(text).iter().any(|b| b == expected),
                "{text:?} should show {expected:?}: {:?}",
                behaviours(text)
            );
        }
    }

    #[test]
    fn plain_statements_show_nothing_and_slash_commands_are_named() {
        assert!(behaviours("I prefer tabs over spaces").is_empty());
        assert!(behaviours("We deploy on Fridays.").is_empty());
        assert_eq!(behaviours("/git:pr 123"), vec!["runs /git:pr".to_string()]);
        // A path is not a command.
        assert!(behaviours("/usr/bin is on the PATH").is_empty());
    }
}
