//! Recall: the stored facts and turns that bear on a query, in the user's and project's
//! scope only, ranked and cut to a limit and a token budget, each citing its messages.
//!
//! Facts and turns are searched apart (BM25 over each, FTS5 with a Porter stemmer; a
//! turn is found by its speaker, its text, the day and, weighted lower, the turns around
//! it; it is shown and cited with them) and
//! fused by reciprocal rank. A fact said in a matching turn goes just ahead of that turn
//! (more so the more it matters); by its own list alone it weighs less than a turn; a superseded fact stays
//! findable ("what did we use before") at half weight, marked by its `valid_to`. A turn
//! that a higher fact already cites adds nothing and is left out.

use std::collections::{HashMap, HashSet};

use mira_store::Db;
use serde::Serialize;
use sqlx::Row;

use crate::facts::{self, Fact, Source};
use crate::{MemoryError, Scope, query, turns};

/// Reciprocal rank fusion's constant.
const RRF_K: f64 = 60.0;
/// A fact's weight by its own list (its turn's rank, when its turn matched, weighs
/// 1 + importance).
const FACT_OWN_WEIGHT: f64 = 0.6;
/// Candidates read from each list.
const PER_LIST: i64 = 100;
/// BM25 column weights of turns: speaker, text, the turns before and after, the day.
/// Measured on LoCoMo (docs/benchmarks.md): neighbours at 0.5 beat 0.3 and 1.0.
const TURN_WEIGHTS: [f64; 5] = [1.0, 1.0, 0.5, 0.5, 1.0];

#[derive(Debug, Clone)]
pub struct RecallRequest {
    pub query: String,
    pub scope: Scope,
    /// Only items from this conversation.
    pub conversation: Option<String>,
    pub limit: usize,
    /// Stop adding items past this many tokens (about four characters each).
    pub budget_tokens: Option<usize>,
    /// Past turns as items too; without, facts only (turns still rank them). The
    /// context oracle asks for facts only: the conversation carries its own history,
    /// and past turns in the prompt would change it on every turn.
    pub include_turns: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecallItem {
    /// `f12` (a fact), `t34` (a turn).
    pub id: String,
    pub kind: &'static str,
    pub text: String,
    pub score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    pub valid_from: Option<i64>,
    pub valid_to: Option<i64>,
    pub sources: Vec<Source>,
}

impl RecallItem {
    pub fn of_fact(f: Fact) -> Self {
        Self {
            id: format!("f{}", f.id),
            kind: "fact",
            text: f.text,
            score: 0.0,
            category: Some(f.category),
            speaker: None,
            valid_from: Some(f.valid_from),
            valid_to: f.valid_to,
            sources: f.sources,
        }
    }

    pub fn tokens(&self) -> usize {
        self.text.len().div_ceil(4) + 8
    }
}

pub async fn recall(db: &Db, request: &RecallRequest) -> Result<Vec<RecallItem>, MemoryError> {
    let Some(fts) = query::fts_match(&request.query) else {
        return Ok(Vec::new());
    };
    let facts = fact_list(db, request, &fts).await?;
    let turns = turn_list(db, request, &fts).await?;
    let mut scored: Vec<RecallItem> = Vec::with_capacity(facts.len() + turns.len());
    // Where each message ranks as a turn: a fact said in a turn that matches well is
    // ranked where its turn is (just ahead of it); its own list only counts at a lower
    // weight, since a small table of facts makes a common word (a speaker's name) look
    // rare and would put weak matches first.
    let turn_rank: HashMap<&Source, usize> = turns
        .iter()
        .enumerate()
        .map(|(rank, t)| (&t.sources[0], rank))
        .collect();
    for (rank, (item, importance)) in facts.iter().enumerate() {
        let own = FACT_OWN_WEIGHT / (RRF_K + rank as f64 + 1.0);
        let by_turn = item
            .sources
            .iter()
            .filter_map(|s| turn_rank.get(s))
            .min()
            .map_or(0.0, |r| (1.0 + importance) / (RRF_K + *r as f64 + 1.0));
        let mut score = own.max(by_turn);
        if item.valid_to.is_some() {
            score *= 0.5;
        }
        let mut item = item.clone();
        item.score = score;
        scored.push(item);
    }
    for (rank, mut item) in turns.into_iter().enumerate() {
        item.score = 1.0 / (RRF_K + rank as f64 + 1.0);
        scored.push(item);
    }
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    let mut cited: HashSet<Source> = HashSet::new();
    let mut out = Vec::new();
    let mut tokens = 0;
    for mut item in scored {
        if item.kind == "turn" && !request.include_turns {
            continue;
        }
        if item.kind == "turn" {
            // A turn a higher item already cites adds nothing.
            if item.sources.iter().all(|s| cited.contains(s)) {
                continue;
            }
            with_exchange(db, &mut item).await?;
        }
        if let Some(budget) = request.budget_tokens
            && tokens + item.tokens() > budget
        {
            continue;
        }
        tokens += item.tokens();
        cited.extend(item.sources.iter().cloned());
        out.push(item);
        if out.len() == request.limit {
            break;
        }
    }
    Ok(out)
}

/// A turn is shown and cited with the turns around it in its session (the question it
/// answers, the answer it got): on LoCoMo, citing them lifts the share of evidence
/// turns recalled from 0.71 to 0.79 (docs/benchmarks.md).
async fn with_exchange(db: &Db, item: &mut RecallItem) -> Result<(), MemoryError> {
    let Some(id) = item.id.strip_prefix('t').and_then(|n| n.parse::<i64>().ok()) else {
        return Ok(());
    };
    let (before, after) = turns::neighbours(db, id).await?;
    let own = format!("{}: {}", item.speaker.as_deref().unwrap_or(""), item.text);
    let mut text = String::new();
    if let Some(b) = &before {
        text.push_str(&format!("({}: {})\n", b.speaker, b.text));
    }
    text.push_str(&own);
    if let Some(a) = &after {
        text.push_str(&format!("\n({}: {})", a.speaker, a.text));
    }
    item.text = text;
    for n in [before, after].into_iter().flatten() {
        item.sources.push(Source {
            conversation: n.conversation,
            message: n.message,
        });
    }
    Ok(())
}

async fn fact_list(
    db: &Db,
    request: &RecallRequest,
    fts: &str,
) -> Result<Vec<(RecallItem, f64)>, MemoryError> {
    let (user, project) = request.scope.bind_values();
    let conversation_filter = if request.conversation.is_some() {
        "AND EXISTS (SELECT 1 FROM memory_fact_sources s WHERE s.fact_id = f.id AND s.conversation = ?)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT f.id, f.importance FROM memory_facts_fts JOIN memory_facts f ON f.id = memory_facts_fts.rowid \
         WHERE memory_facts_fts MATCH ? AND {} {conversation_filter} \
         ORDER BY bm25(memory_facts_fts) LIMIT ?",
        Scope::visible("f")
    );
    let mut q = sqlx::query(&sql).bind(fts).bind(user).bind(project);
    if let Some(c) = &request.conversation {
        q = q.bind(c);
    }
    let rows = q.bind(PER_LIST).fetch_all(db.pool()).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
    let importance: Vec<f64> = rows.iter().map(|r| r.get("importance")).collect();
    let found = facts::get_many(db, &ids).await?;
    Ok(found
        .into_iter()
        .zip(importance)
        .map(|(f, importance)| (RecallItem::of_fact(f), importance))
        .collect())
}

async fn turn_list(db: &Db, request: &RecallRequest, fts: &str) -> Result<Vec<RecallItem>, MemoryError> {
    let (user, project) = request.scope.bind_values();
    let conversation_filter = if request.conversation.is_some() {
        "AND t.conversation = ?"
    } else {
        ""
    };
    let [ws, wt, wb, wa, wd] = TURN_WEIGHTS;
    let sql = format!(
        "SELECT t.id, t.conversation, t.message, t.speaker, t.text, t.at \
         FROM memory_turns_fts JOIN memory_turns t ON t.id = memory_turns_fts.rowid \
         WHERE memory_turns_fts MATCH ? AND {} {conversation_filter} \
         ORDER BY bm25(memory_turns_fts, {ws}, {wt}, {wb}, {wa}, {wd}) LIMIT ?",
        Scope::visible("t")
    );
    let mut q = sqlx::query(&sql).bind(fts).bind(user).bind(project);
    if let Some(c) = &request.conversation {
        q = q.bind(c);
    }
    let rows = q.bind(PER_LIST).fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let speaker: String = r.get("speaker");
            RecallItem {
                id: format!("t{}", r.get::<i64, _>("id")),
                kind: "turn",
                text: r.get("text"),
                score: 0.0,
                category: None,
                speaker: Some(speaker),
                valid_from: Some(r.get("at")),
                valid_to: None,
                sources: vec![Source {
                    conversation: r.get("conversation"),
                    message: r.get("message"),
                }],
            }
        })
        .collect())
}
