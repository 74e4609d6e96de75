//! Recall: the stored facts and turns that bear on a query, in the user's and project's
//! scope only, ranked and cut to a limit and a token budget, each citing its messages.
//!
//! Facts, rolling summaries and turns are searched apart (BM25 over each, FTS5 with a Porter stemmer; a
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

use crate::dense::{self, Meaning};
use crate::facts::{self, Fact, Source};
use crate::gate::{self, TurnMatch};
use crate::summaries::{self, Summary};
use crate::{MemoryError, Scope, query, turns};

/// Reciprocal rank fusion's constant.
const RRF_K: f64 = 60.0;
/// A fact's weight by its own list (its turn's rank, when its turn matched, weighs
/// 1 + importance).
const FACT_OWN_WEIGHT: f64 = 0.6;
/// A rolling summary's weight by its own list, and by the matching turns it cites (when
/// two or more): swept on LoCoMo (docs/benchmarks.md); past 0.3 summaries crowd out
/// turns that cite more.
const SUMMARY_WEIGHT: f64 = 0.5;
const SUMMARY_HELD_WEIGHT: f64 = 0.3;
/// Candidates read from each dense list.
const DENSE_PER_LIST: usize = 30;
/// Items found by meaning alone rank after every item the words found, in their own
/// order: on LoCoMo any weight for them in the fusion lowered the share of evidence
/// cited (0.788 with none, 0.784 at 0.05, 0.781 at 0.1, 0.509 at 0.5; boosting the turns a
/// near summary quotes: 0.706), since the questions share words with their answers and
/// all-MiniLM-L6-v2 ranks chit-chat loosely. They answer what the words miss: a
/// question in other words than the fact ("which database" for "Postgres 16").
const DENSE_FALLBACK: f64 = 1e-6;
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
    /// The query's vector, when an embedder is at hand: facts and summaries are then
    /// also found by meaning (see [`dense`]).
    pub dense: Option<Meaning>,
    /// Turns scored at most (see [`gate`]): [`gate::CANDIDATE_TURNS`] unless a caller
    /// trades speed for thoroughness.
    pub candidates: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecallItem {
    /// `f12` (a fact), `s5` (a rolling summary), `t34` (a turn).
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

    pub fn of_summary(s: Summary) -> Self {
        Self {
            id: s.id,
            kind: "summary",
            text: s.text,
            score: 0.0,
            category: None,
            speaker: None,
            valid_from: Some(s.from),
            valid_to: None,
            sources: s.sources,
        }
    }

    pub fn tokens(&self) -> usize {
        self.text.len().div_ceil(4) + 8
    }
}

pub async fn recall(db: &Db, request: &RecallRequest) -> Result<Vec<RecallItem>, MemoryError> {
    let terms = query::terms(&request.query);
    // Only common words: nothing for the keyword lists, meaning may still find items.
    let worded = !terms.is_empty();
    if !worded && request.dense.is_none() {
        return Ok(Vec::new());
    }
    // The lists are independent; on the pool's separate connections they run at once.
    let fact_query = query::or_of(&terms);
    let summary_list = async {
        if request.include_turns && worded {
            summaries::hits(
                db,
                &request.scope,
                request.conversation.as_deref(),
                &fact_query,
                PER_LIST,
            )
            .await
        } else {
            Ok(Vec::new())
        }
    };
    let (facts, turns, summary_hits) = tokio::try_join!(
        async {
            if worded {
                fact_hits(db, request, &fact_query).await
            } else {
                Ok(Vec::new())
            }
        },
        async {
            if !worded {
                return Ok(Vec::new());
            }
            let matched = gate::turn_match(db, &terms, request.candidates).await?;
            turn_list(db, request, &matched).await
        },
        summary_list
    )?;
    // Items found by meaning alone rank after everything the words found, so they are
    // only looked for when the words found too little to fill the answer: the query is
    // then embedded and compared with every vector of the scope.
    let found = facts.len() + turns.len() + summary_hits.len();
    let (dense_facts, dense_summaries) = match &request.dense {
        Some(meaning) if found < 2 * request.limit => match meaning.vector(&request.query).await {
            Ok(q) => {
                dense::nearest(
                    db,
                    &request.scope,
                    request.conversation.as_deref(),
                    &q,
                    DENSE_PER_LIST,
                )
                .await?
            }
            Err(e) => {
                tracing::warn!(error = %e, "memory recall by keyword only");
                (Vec::new(), Vec::new())
            }
        },
        _ => (Vec::new(), Vec::new()),
    };
    let dense_summaries: Vec<i64> = if request.include_turns {
        dense_summaries
    } else {
        Vec::new()
    };
    // Where each fact's best message ranks as a turn: a fact said in a turn that matches
    // well is ranked where its turn is (just ahead of it); its own list only counts at a
    // lower weight, since a small table of facts makes a common word (a speaker's name)
    // look rare and would put weak matches first.
    let by_turn = best_turn_rank(db, &turns).await?;
    let mut scored: Vec<(f64, Candidate)> = Vec::with_capacity(facts.len() + turns.len());
    for (rank, hit) in facts.iter().enumerate() {
        let own = FACT_OWN_WEIGHT / (RRF_K + rank as f64 + 1.0);
        let by_turn = by_turn
            .get(&hit.id)
            .map_or(0.0, |r| (1.0 + hit.importance) / (RRF_K + *r as f64 + 1.0));
        let mut score = own.max(by_turn);
        if hit.superseded {
            score *= 0.5;
        }
        scored.push((score, Candidate::Fact(hit.id)));
    }
    // Facts found by meaning alone, after everything the words found.
    for (rank, id) in dense_facts.iter().enumerate() {
        if !facts.iter().any(|h| h.id == *id) {
            scored.push((DENSE_FALLBACK / (rank as f64 + 1.0), Candidate::Fact(*id)));
        }
    }
    let turns_rank: HashMap<(String, String), usize> = turns
        .iter()
        .enumerate()
        .map(|(r, t)| {
            (
                (t.sources[0].conversation.clone(), t.sources[0].message.clone()),
                r,
            )
        })
        .collect();
    for (rank, item) in turns.into_iter().enumerate() {
        scored.push((1.0 / (RRF_K + rank as f64 + 1.0), Candidate::Turn(item)));
    }
    // A summary holding several of the matching turns stands for them: it ranks by the
    // sum of their places, so one item cites what would take several.
    let by_summary = summary_turn_ranks(db, &summary_hits, &turns_rank).await?;
    for (rank, id) in dense_summaries.iter().enumerate() {
        if !summary_hits.contains(id) {
            scored.push((DENSE_FALLBACK / (rank as f64 + 1.0), Candidate::Summary(*id)));
        }
    }
    for (rank, id) in summary_hits.into_iter().enumerate() {
        let own = SUMMARY_WEIGHT / (RRF_K + rank as f64 + 1.0);
        let held: f64 = by_summary.get(&id).map_or(0.0, |ranks| {
            ranks.iter().map(|r| 1.0 / (RRF_K + *r as f64 + 1.0)).sum()
        });
        let score = if by_summary.get(&id).is_some_and(|r| r.len() > 1) {
            own.max(SUMMARY_HELD_WEIGHT * held)
        } else {
            own
        };
        scored.push((score, Candidate::Summary(id)));
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id().cmp(&b.1.id())));
    let mut cited: HashSet<Source> = HashSet::new();
    let mut out = Vec::new();
    let mut tokens = 0;
    for (score, candidate) in scored {
        let mut item = match candidate {
            // Only the facts shown are read whole: a fact said again and again has many
            // sources, and reading them for every match cost more than the search.
            Candidate::Fact(id) => match facts::get(db, id).await {
                Ok(f) => RecallItem::of_fact(f),
                Err(MemoryError::NoSuchItem(_)) => continue,
                Err(e) => return Err(e),
            },
            Candidate::Summary(id) => match summaries::get(db, id).await {
                // A summary whose turns higher items already cite adds nothing.
                Ok(sm) if sm.sources.iter().all(|s| cited.contains(s)) => continue,
                Ok(sm) => RecallItem::of_summary(sm),
                Err(MemoryError::NoSuchItem(_)) => continue,
                Err(e) => return Err(e),
            },
            Candidate::Turn(_) if !request.include_turns => continue,
            Candidate::Turn(mut item) => {
                // A turn a higher item already cites adds nothing.
                if item.sources.iter().all(|s| cited.contains(s)) {
                    continue;
                }
                with_exchange(db, &mut item).await?;
                item
            }
        };
        item.score = score;
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

/// An item before it is read whole.
enum Candidate {
    Fact(i64),
    Summary(i64),
    Turn(RecallItem),
}

impl Candidate {
    /// The item's id (`f12`, `t34`), the tie-breaker of equal scores.
    fn id(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Candidate::Fact(id) => format!("f{id}").into(),
            Candidate::Summary(id) => format!("s{id}").into(),
            Candidate::Turn(item) => item.id.as_str().into(),
        }
    }
}

/// A fact matching the query, in its own list's order.
struct FactHit {
    id: i64,
    importance: f64,
    superseded: bool,
}

/// For each summary of `hits`, the ranks of the matching turns it cites.
async fn summary_turn_ranks(
    db: &Db,
    hits: &[i64],
    turns_rank: &HashMap<(String, String), usize>,
) -> Result<HashMap<i64, Vec<usize>>, MemoryError> {
    if hits.is_empty() || turns_rank.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT s.summary_id, s.conversation, s.message FROM json_each(?) j \
         CROSS JOIN rolling_summary_sources s ON s.summary_id = j.value",
    )
    .bind(serde_json::to_string(hits).expect("ids serialise"))
    .fetch_all(db.pool())
    .await?;
    let mut out: HashMap<i64, Vec<usize>> = HashMap::new();
    for (summary, conversation, message) in rows {
        if let Some(r) = turns_rank.get(&(conversation, message)) {
            out.entry(summary).or_default().push(*r);
        }
    }
    Ok(out)
}

/// For each fact said in one of `turns`, the best rank among them.
async fn best_turn_rank(db: &Db, turns: &[RecallItem]) -> Result<HashMap<i64, usize>, MemoryError> {
    let pairs: Vec<(&str, &str)> = turns
        .iter()
        .map(|t| (t.sources[0].conversation.as_str(), t.sources[0].message.as_str()))
        .collect();
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT s.fact_id, j.key FROM json_each(?) j CROSS JOIN memory_fact_sources s \
         ON s.conversation = j.value ->> 0 AND s.message = j.value ->> 1",
    )
    .bind(serde_json::to_string(&pairs).expect("pairs serialise"))
    .fetch_all(db.pool())
    .await?;
    let mut best: HashMap<i64, usize> = HashMap::new();
    for (fact, rank) in rows {
        let rank = rank as usize;
        best.entry(fact)
            .and_modify(|r| *r = (*r).min(rank))
            .or_insert(rank);
    }
    Ok(best)
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

async fn fact_hits(db: &Db, request: &RecallRequest, fts: &str) -> Result<Vec<FactHit>, MemoryError> {
    let (user, project) = request.scope.bind_values();
    let conversation_filter = if request.conversation.is_some() {
        "AND EXISTS (SELECT 1 FROM memory_fact_sources s WHERE s.fact_id = f.id AND s.conversation = ?)"
    } else {
        ""
    };
    // FTS5 drives, as for turns (see turn_list).
    let sql = format!(
        "SELECT f.id, f.importance, f.valid_to IS NOT NULL FROM memory_facts_fts \
         CROSS JOIN memory_facts f ON f.id = memory_facts_fts.rowid \
         WHERE memory_facts_fts MATCH ? AND {} {conversation_filter} \
         ORDER BY bm25(memory_facts_fts) LIMIT ?",
        Scope::visible("f")
    );
    let mut q = sqlx::query_as::<_, (i64, f64, bool)>(&sql)
        .bind(fts)
        .bind(user)
        .bind(project);
    if let Some(c) = &request.conversation {
        q = q.bind(c);
    }
    Ok(q.bind(PER_LIST)
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|(id, importance, superseded)| FactHit {
            id,
            importance,
            superseded,
        })
        .collect())
}

async fn turn_list(
    db: &Db,
    request: &RecallRequest,
    matched: &TurnMatch,
) -> Result<Vec<RecallItem>, MemoryError> {
    let (user, project) = request.scope.bind_values();
    let conversation_filter = if request.conversation.is_some() {
        "AND t.conversation = ?"
    } else {
        ""
    };
    let [ws, wt, wb, wa, wd] = TURN_WEIGHTS;
    // CROSS JOIN keeps FTS5 driving: left to choose, SQLite walked every turn of the
    // user by the scope index and ran the match once per turn (2.7 s at p95 over
    // 100,000 turns with a conversation filter).
    let sql = format!(
        "SELECT t.id, t.conversation, t.message, t.speaker, t.text, t.at \
         FROM memory_turns_fts CROSS JOIN memory_turns t ON t.id = memory_turns_fts.rowid \
         WHERE memory_turns_fts MATCH ? AND memory_turns_fts.rowid >= ? AND {} {conversation_filter} \
         ORDER BY bm25(memory_turns_fts, {ws}, {wt}, {wb}, {wa}, {wd}) LIMIT ?",
        Scope::visible("t")
    );
    let mut q = sqlx::query(&sql)
        .bind(&matched.expr)
        .bind(matched.min_rowid.unwrap_or(i64::MIN))
        .bind(user)
        .bind(project);
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
