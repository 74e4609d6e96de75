//! Operations and their events in SQLite (`operations`, `operation_events`).

use mira_store::Db;
use serde::Serialize;
use serde_json::Value;

use crate::error::AgentError;
use crate::events::AgentEvent;

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OperationSummary {
    pub id: i64,
    pub project_id: i64,
    pub task: String,
    pub mode: String,
    pub status: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub steps: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_usd: f64,
    pub summary: Option<String>,
    pub error: Option<String>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// The operation that delegated this one to a sub-agent.
    pub parent_id: Option<i64>,
    /// The sub-agent definition it ran.
    pub agent: Option<String>,
}

const COLUMNS: &str = "id, project_id, task, mode, status, provider, model, steps, input_tokens, output_tokens, \
     cost_usd, summary, error, created_at, finished_at, parent_id, agent";

/// Where an operation sits: a top-level one, or a sub-agent's under its parent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lineage {
    pub parent_id: Option<i64>,
    pub agent: Option<String>,
}

pub async fn create(
    db: &Db,
    project_id: i64,
    task: &str,
    mode: &str,
    lineage: &Lineage,
) -> Result<i64, AgentError> {
    let id = sqlx::query_scalar(
        "INSERT INTO operations (project_id, task, mode, status, created_at, parent_id, agent) \
         VALUES (?, ?, ?, 'running', ?, ?, ?) RETURNING id",
    )
    .bind(project_id)
    .bind(task)
    .bind(mode)
    .bind(now_ms())
    .bind(lineage.parent_id)
    .bind(lineage.agent.as_deref())
    .fetch_one(db.pool())
    .await?;
    Ok(id)
}

/// Appends an event; its `seq` is one more than the last (one statement, so two
/// writers never take the same number).
pub async fn append_event(
    db: &Db,
    operation_id: i64,
    event: &AgentEvent,
    duration_ms: Option<u64>,
) -> Result<i64, AgentError> {
    let payload = serde_json::to_string(event).expect("events serialise");
    let seq = sqlx::query_scalar(
        "INSERT INTO operation_events (operation_id, seq, kind, payload, duration_ms, created_at) \
         SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM operation_events WHERE operation_id = ? RETURNING seq",
    )
    .bind(operation_id)
    .bind(event.kind())
    .bind(payload)
    .bind(duration_ms.map(|d| d as i64))
    .bind(now_ms())
    .bind(operation_id)
    .fetch_one(db.pool())
    .await?;
    Ok(seq)
}

/// The running totals after a model call.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub steps: usize,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub provider: Option<String>,
    pub model: Option<String>,
}

pub async fn update_progress(db: &Db, id: i64, p: &Progress) -> Result<(), AgentError> {
    sqlx::query(
        "UPDATE operations SET steps = ?, input_tokens = ?, output_tokens = ?, cost_usd = ?, \
         provider = COALESCE(?, provider), model = COALESCE(?, model) WHERE id = ?",
    )
    .bind(p.steps as i64)
    .bind(p.input_tokens as i64)
    .bind(p.output_tokens as i64)
    .bind(p.cost_usd)
    .bind(&p.provider)
    .bind(&p.model)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn finish(
    db: &Db,
    id: i64,
    status: &str,
    summary: &str,
    error: Option<&str>,
) -> Result<(), AgentError> {
    sqlx::query("UPDATE operations SET status = ?, summary = ?, error = ?, finished_at = ? WHERE id = ?")
        .bind(status)
        .bind(summary)
        .bind(error)
        .bind(now_ms())
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Operations left `running` by a process that stopped (found at the next start).
pub async fn mark_interrupted(db: &Db) -> Result<u64, AgentError> {
    let done = sqlx::query(
        "UPDATE operations SET status = 'failed', error = 'Mira stopped while this operation ran', \
         finished_at = ? WHERE status = 'running'",
    )
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    sqlx::query(
        "UPDATE artifacts SET status = 'rejected', decided_at = ? WHERE status = 'pending' \
         AND operation_id IN (SELECT id FROM operations WHERE status != 'running')",
    )
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// The project's top-level operations, newest first (sub-agents' are under [`children`]).
pub async fn list(db: &Db, project_id: i64, limit: usize) -> Result<Vec<OperationSummary>, AgentError> {
    let rows: Vec<OperationSummary> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM operations WHERE project_id = ? AND parent_id IS NULL ORDER BY id DESC LIMIT ?"
    ))
    .bind(project_id)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    Ok(rows)
}

/// The sub-agent operations `parent_id` started, in order.
pub async fn children(db: &Db, parent_id: i64) -> Result<Vec<OperationSummary>, AgentError> {
    let rows: Vec<OperationSummary> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM operations WHERE parent_id = ? ORDER BY id"
    ))
    .bind(parent_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows)
}

pub async fn get(db: &Db, id: i64) -> Result<OperationSummary, AgentError> {
    let row: Option<OperationSummary> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM operations WHERE id = ?"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    row.ok_or_else(|| AgentError::NotFound(format!("no operation {id}")))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub seq: i64,
    pub duration_ms: Option<i64>,
    pub created_at: i64,
    /// The event itself, with its `event` tag.
    pub event: Value,
}

pub async fn events(db: &Db, operation_id: i64) -> Result<Vec<StoredEvent>, AgentError> {
    let rows: Vec<(i64, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT seq, payload, duration_ms, created_at FROM operation_events WHERE operation_id = ? ORDER BY seq",
    )
    .bind(operation_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, payload, duration_ms, created_at)| StoredEvent {
            seq,
            duration_ms,
            created_at,
            event: serde_json::from_str(&payload).unwrap_or(Value::Null),
        })
        .collect())
}
