//! Artifacts: each file change an operation makes or proposes, as a unified diff, with
//! its decision (pending, applied, rejected).

use mira_store::Db;
use serde::Serialize;

use crate::error::AgentError;
use crate::store::now_ms;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Apply,
    Reject,
}

impl Decision {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "apply" | "applied" | "y" | "yes" => Some(Self::Apply),
            "reject" | "rejected" | "n" | "no" => Some(Self::Reject),
            _ => None,
        }
    }
}

/// A unified diff of `old` to `new` with three lines of context, `a/` and `b/` headers.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Artifact {
    pub id: i64,
    pub operation_id: i64,
    pub checkpoint_id: String,
    pub path: String,
    pub diff: String,
    pub status: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

type Row = (i64, i64, String, String, String, String, i64, Option<i64>);

fn artifact(r: Row) -> Artifact {
    Artifact {
        id: r.0,
        operation_id: r.1,
        checkpoint_id: r.2,
        path: r.3,
        diff: r.4,
        status: r.5,
        created_at: r.6,
        decided_at: r.7,
    }
}

const COLUMNS: &str = "id, operation_id, checkpoint_id, path, diff, status, created_at, decided_at";

pub async fn create(
    db: &Db,
    operation_id: i64,
    checkpoint_id: &str,
    path: &str,
    diff: &str,
    status: &str,
) -> Result<i64, AgentError> {
    let now = now_ms();
    let id = sqlx::query_scalar(
        "INSERT INTO artifacts (operation_id, checkpoint_id, path, diff, status, created_at, decided_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(operation_id)
    .bind(checkpoint_id)
    .bind(path)
    .bind(diff)
    .bind(status)
    .bind(now)
    .bind((status != "pending").then_some(now))
    .fetch_one(db.pool())
    .await?;
    Ok(id)
}

pub async fn set_status(db: &Db, id: i64, status: &str) -> Result<(), AgentError> {
    sqlx::query("UPDATE artifacts SET status = ?, decided_at = ? WHERE id = ?")
        .bind(status)
        .bind(now_ms())
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn list(db: &Db, operation_id: i64) -> Result<Vec<Artifact>, AgentError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM artifacts WHERE operation_id = ? ORDER BY id"
    ))
    .bind(operation_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(artifact).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_are_unified_with_headers() {
        let d = unified_diff("src/lib.rs", "a\nb\nc\n", "a\nB\nc\n");
        assert!(d.starts_with("--- a/src/lib.rs\n+++ b/src/lib.rs\n"), "{d}");
        assert!(d.contains("-b\n+B\n"), "{d}");
    }
}
