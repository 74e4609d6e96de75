//! The SQL of the analyser: which symbols to analyse, what is stored of them, and the
//! writing of `semantic_nodes` with their concepts in `concept_index` (source `llm`).

use std::collections::HashMap;

use mira_store::Db;

use super::prompt::Label;
use crate::SearchError;

/// Kinds worth a purpose: what a reader looks up. Fields, constants, impl blocks and
/// modules say little on their own.
const KINDS: &str = "'function', 'method', 'class', 'struct', 'enum', 'trait', 'interface', 'type_alias'";

/// Confidence of an LLM concept: below a package import (0.9, 0.8), about a name's.
const LLM_CONFIDENCE: f64 = 0.75;

/// A symbol of the code index, as selected.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: String,
    pub symbol: String,
    pub kind: String,
    pub start_line: i64,
    pub end_line: i64,
    pub signature: String,
    pub doc: Option<String>,
}

type CandidateRow = (String, String, String, i64, i64, String, Option<String>);

/// Up to `limit` symbols of the project that are not tests, most called first, then
/// largest (what matters most to understand the project comes first when the limit
/// cuts).
pub async fn candidates(db: &Db, project_id: i64, limit: usize) -> Result<Vec<Candidate>, SearchError> {
    let sql = format!(
        "SELECT f.path, e.qualified_name, e.kind, e.start_line, e.end_line, e.signature, e.doc
         FROM code_elements e JOIN files f ON f.id = e.file_id
         LEFT JOIN (SELECT callee, COUNT(*) AS calls FROM call_graph
                    WHERE project_id = ?1 AND resolution IN ('exact', 'probable') GROUP BY callee) c
                ON c.callee = e.qualified_name
         WHERE e.project_id = ?1 AND e.is_test = 0 AND f.skip_reason IS NULL AND e.kind IN ({KINDS})
         ORDER BY COALESCE(c.calls, 0) DESC, e.end_line - e.start_line DESC, f.path, e.start_line
         LIMIT ?2"
    );
    let rows: Vec<CandidateRow> = sqlx::query_as(&sql)
        .bind(project_id)
        .bind(limit.min(i64::MAX as usize) as i64)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(path, symbol, kind, start_line, end_line, signature, doc)| Candidate {
                path,
                symbol,
                kind,
                start_line,
                end_line,
                signature,
                doc,
            },
        )
        .collect())
}

/// The stored content hash per (path, symbol).
pub async fn stored_hashes(
    db: &Db,
    project_id: i64,
) -> Result<HashMap<(String, String), String>, SearchError> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT path, symbol, content_hash FROM semantic_nodes WHERE project_id = ?")
            .bind(project_id)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().map(|(p, s, h)| ((p, s), h)).collect())
}

/// Drops the analyses (and their `llm` concepts) of symbols the code index no longer
/// has, so a deleted or renamed function is not found by what it was about.
pub async fn prune(db: &Db, project_id: i64) -> Result<u64, SearchError> {
    let mut tx = db.pool().begin().await?;
    let gone = "NOT EXISTS (SELECT 1 FROM code_elements e JOIN files f ON f.id = e.file_id
                WHERE e.project_id = ?1 AND f.path = t.path AND e.qualified_name = t.symbol)";
    sqlx::query(&format!(
        "DELETE FROM concept_index AS t WHERE project_id = ?1 AND source = 'llm' AND {gone}"
    ))
    .bind(project_id)
    .execute(&mut *tx)
    .await?;
    let removed = sqlx::query(&format!(
        "DELETE FROM semantic_nodes AS t WHERE project_id = ?1 AND {gone}"
    ))
    .bind(project_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(removed)
}

/// One analysed symbol to store.
pub struct Analysed<'a> {
    pub candidate: &'a Candidate,
    pub hash: String,
    pub label: Label,
}

/// Stores a batch in one transaction: the node, and its concepts replacing only the
/// symbol's earlier `llm` rows (a rule row of the same concept stays and wins).
pub async fn write(db: &Db, project_id: i64, model: &str, rows: &[Analysed<'_>]) -> Result<(), SearchError> {
    let now = crate::now_secs();
    let mut tx = db.pool().begin().await?;
    for row in rows {
        let c = row.candidate;
        let concepts = serde_json::to_string(&row.label.concepts).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO semantic_nodes (project_id, path, symbol, kind, purpose, concepts, domain, model, content_hash, analysed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (project_id, path, symbol) DO UPDATE SET kind = excluded.kind, purpose = excluded.purpose,
                 concepts = excluded.concepts, domain = excluded.domain, model = excluded.model,
                 content_hash = excluded.content_hash, analysed_at = excluded.analysed_at",
        )
        .bind(project_id)
        .bind(&c.path)
        .bind(&c.symbol)
        .bind(&c.kind)
        .bind(&row.label.purpose)
        .bind(&concepts)
        .bind(&row.label.domain)
        .bind(model)
        .bind(&row.hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM concept_index WHERE project_id = ? AND path = ? AND symbol = ? AND source = 'llm'",
        )
        .bind(project_id)
        .bind(&c.path)
        .bind(&c.symbol)
        .execute(&mut *tx)
        .await?;
        for concept in &row.label.concepts {
            sqlx::query(
                "INSERT OR IGNORE INTO concept_index (project_id, path, symbol, concept, source, evidence, confidence)
                 VALUES (?, ?, ?, ?, 'llm', ?, ?)",
            )
            .bind(project_id)
            .bind(&c.path)
            .bind(&c.symbol)
            .bind(concept)
            .bind(&row.label.purpose)
            .bind(LLM_CONFIDENCE)
            .execute(&mut *tx)
            .await?;
        }
        // The re-tag path of a new rule: the next search index chunks the file again,
        // and its chunks (same text, same vectors) get the new concepts in their payload.
        sqlx::query("UPDATE search_files SET content_hash = '' WHERE project_id = ? AND path = ?")
            .bind(project_id)
            .bind(&c.path)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
