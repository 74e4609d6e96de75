//! Bounding the work of a turn search. FTS5 scores every turn that holds any word of the
//! query before it can rank them, and the words a conversation is full of (the other
//! person's name, "2023" from the day column, "like", "share") are in most turns: at
//! 100,000 turns a question matched 27,000 turns at the median and 83,000 at p95, and
//! scoring them, not finding them, took the time (docs/benchmarks.md).
//!
//! So the turns scored are those holding one of the query's rarer words: its words are
//! counted (each count stops past the candidate budget), taken rarest first while their
//! turns add up to the budget, and the search is made of those words alone. A common
//! word adds little to BM25 (its idf is low) and a turn holding only common words ranks
//! low anyway. When even the rarest word is in more turns than the budget, the newest
//! turns holding it are the ones scored.
//!
//! Measured (docs/benchmarks.md): scoring the rarer words alone beat keeping every word
//! in the score and the rare ones as a filter (`(all) AND (rare)`) at the same latency,
//! 0.743 against 0.719 on LoCoMo with the budget scaled to its size.

use mira_store::Db;

use crate::{MemoryError, query};

/// Turns scored per search when no budget is given: about 15 ms of scoring on the
/// benchmark machine, where all of LoCoMo's questions keep their figure
/// (docs/benchmarks.md).
pub const CANDIDATE_TURNS: usize = 5000;

/// What to hand FTS5 for one search.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnMatch {
    /// The MATCH expression.
    pub expr: String,
    /// Only turns at or above this rowid (the newest holding the rarest word).
    pub min_rowid: Option<i64>,
}

/// The MATCH for `terms` (non-empty, as [`query::terms`] gives them) scoring at most
/// about `budget` turns.
pub async fn turn_match(db: &Db, terms: &[String], budget: usize) -> Result<TurnMatch, MemoryError> {
    let all = query::or_of(terms);
    let mut counted = Vec::with_capacity(terms.len());
    for term in terms {
        counted.push((turns_holding(db, term, budget + 1).await?, term));
    }
    counted.sort_by_key(|(n, _)| *n);
    let mut total = 0;
    let mut gate = Vec::new();
    for (n, term) in &counted {
        if !gate.is_empty() && total + n > budget {
            break;
        }
        total += n;
        gate.push((*term).clone());
    }
    let min_rowid = if total > budget {
        newest_holding(db, &gate[0], budget).await?
    } else {
        None
    };
    let expr = if gate.len() == terms.len() {
        all
    } else {
        query::or_of(&gate)
    };
    Ok(TurnMatch { expr, min_rowid })
}

/// How many turns hold `term`, counted up to `cap`.
async fn turns_holding(db: &Db, term: &str, cap: usize) -> Result<usize, MemoryError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT rowid FROM memory_turns_fts WHERE memory_turns_fts MATCH ? LIMIT ?)",
    )
    .bind(query::quoted(term))
    .bind(cap as i64)
    .fetch_one(db.pool())
    .await?;
    Ok(n as usize)
}

/// The rowid of the `n`th newest turn holding `term` (`None` when fewer hold it).
async fn newest_holding(db: &Db, term: &str, n: usize) -> Result<Option<i64>, MemoryError> {
    Ok(sqlx::query_scalar(
        "SELECT rowid FROM memory_turns_fts WHERE memory_turns_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
    )
    .bind(query::quoted(term))
    .bind(n as i64 - 1)
    .fetch_optional(db.pool())
    .await?)
}
