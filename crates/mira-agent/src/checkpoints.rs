//! Checkpoints: before each file change, the file's previous bytes (stored once per
//! SHA-256 in `checkpoint_blobs`), or the fact that it did not exist. Rewinding to a
//! checkpoint puts every file the operation changed at or after it back as it was
//! then, byte-exact.

use std::path::Path;

use mira_store::Db;
use mira_store::projects::{self, Project};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::confine;
use crate::error::AgentError;
use crate::events::AgentEvent;
use crate::fsutil::{read_in, remove_in, write_atomic};
use crate::store::{self, now_ms};

/// Shortest prefix accepted, as git does, so a stray digit never names a checkpoint.
pub const MIN_PREFIX: usize = 4;

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Records the state of `path` (its bytes, or `None` when it does not exist) before
/// the operation changes it. Returns the checkpoint's id (40 hex digits).
pub async fn take(
    db: &Db,
    operation_id: i64,
    path: &str,
    previous: Option<&[u8]>,
) -> Result<String, AgentError> {
    let now = now_ms();
    let salt = getrandom::u64().unwrap_or(0);
    let id = sha256_hex(format!("{operation_id}\0{path}\0{now}\0{salt}").as_bytes())[..40].to_string();
    let sha = previous.map(sha256_hex);
    let mut tx = db.pool().begin().await?;
    if let (Some(sha), Some(bytes)) = (&sha, previous) {
        sqlx::query("INSERT OR IGNORE INTO checkpoint_blobs (sha256, bytes) VALUES (?, ?)")
            .bind(sha)
            .bind(bytes)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO checkpoints (id, operation_id, seq, created_at) \
         SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, ? FROM checkpoints WHERE operation_id = ?",
    )
    .bind(&id)
    .bind(operation_id)
    .bind(now)
    .bind(operation_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO checkpoint_files (checkpoint_id, path, sha256) VALUES (?, ?, ?)")
        .bind(&id)
        .bind(path)
        .bind(&sha)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    pub id: String,
    pub operation_id: i64,
    pub seq: i64,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub task: String,
    /// The files whose state it holds, relative to the root.
    pub files: Vec<String>,
    /// Those of `files` that did not exist then (a rewind deletes them).
    pub new_files: Vec<String>,
    /// The change that followed it, and what became of it.
    pub artifact_id: Option<i64>,
    pub artifact_status: Option<String>,
}

type ListRow = (
    String,
    i64,
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// The project's checkpoints, newest first.
pub async fn list(db: &Db, project_id: i64, limit: usize) -> Result<Vec<Checkpoint>, AgentError> {
    let rows: Vec<ListRow> = sqlx::query_as(
        "SELECT c.id, c.operation_id, c.seq, c.created_at, o.task, f.path, f.sha256, a.id, a.status \
         FROM checkpoints c JOIN operations o ON o.id = c.operation_id \
         JOIN checkpoint_files f ON f.checkpoint_id = c.id \
         LEFT JOIN artifacts a ON a.checkpoint_id = c.id \
         WHERE o.project_id = ? ORDER BY c.created_at DESC, c.operation_id DESC, c.seq DESC LIMIT ?",
    )
    .bind(project_id)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<Checkpoint> = Vec::new();
    for (id, operation_id, seq, created_at, task, path, sha256, artifact_id, artifact_status) in rows {
        if let Some(last) = out.last_mut()
            && last.id == id
        {
            if sha256.is_none() {
                last.new_files.push(path.clone());
            }
            last.files.push(path);
            continue;
        }
        out.push(Checkpoint {
            id,
            operation_id,
            seq,
            created_at,
            task,
            new_files: if sha256.is_none() {
                vec![path.clone()]
            } else {
                Vec::new()
            },
            files: vec![path],
            artifact_id,
            artifact_status,
        });
    }
    Ok(out)
}

/// The one checkpoint whose id starts with `prefix`.
pub async fn find(db: &Db, prefix: &str) -> Result<(String, i64, i64), AgentError> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.len() < MIN_PREFIX || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AgentError::Invalid(format!(
            "`{prefix}` is not a checkpoint id: give at least {MIN_PREFIX} hex digits of one (`mira checkpoints` lists them)"
        )));
    }
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT id, operation_id, seq FROM checkpoints WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
    )
    .bind(&prefix)
    .bind(format!("{prefix}g"))
    .fetch_all(db.pool())
    .await?;
    match rows.len() {
        0 => Err(AgentError::NotFound(format!(
            "no checkpoint starts with `{prefix}`; `mira checkpoints` lists them"
        ))),
        1 => Ok(rows.into_iter().next().expect("one row")),
        n => Err(AgentError::Ambiguous(format!(
            "`{prefix}` names {} checkpoints ({}); give more digits",
            if n > 5 {
                "more than 5".to_string()
            } else {
                n.to_string()
            },
            rows.iter()
                .take(5)
                .map(|r| &r.0[..12])
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RewoundFile {
    pub path: String,
    /// restored | deleted | unchanged
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rewind {
    pub checkpoint_id: String,
    pub operation_id: i64,
    pub project_id: i64,
    pub files: Vec<RewoundFile>,
}

/// Puts every file the checkpoint's operation changed at or after it back to its bytes
/// at that point (deleting those that did not exist), and records the rewind as an
/// event of the operation. Running it twice changes nothing the second time.
pub async fn rewind(db: &Db, prefix: &str) -> Result<Rewind, AgentError> {
    let (id, operation_id, seq) = find(db, prefix).await?;
    let operation = store::get(db, operation_id).await?;
    let project = projects::get(db, operation.project_id).await?;
    // For each path, its earliest checkpoint at or after `seq` holds its bytes then.
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT f.path, f.sha256 FROM checkpoint_files f JOIN checkpoints c ON c.id = f.checkpoint_id \
         WHERE c.operation_id = ? AND c.seq >= ? \
         AND c.seq = (SELECT MIN(c2.seq) FROM checkpoints c2 JOIN checkpoint_files f2 ON f2.checkpoint_id = c2.id \
                      WHERE c2.operation_id = c.operation_id AND c2.seq >= ? AND f2.path = f.path) \
         ORDER BY f.path",
    )
    .bind(operation_id)
    .bind(seq)
    .bind(seq)
    .fetch_all(db.pool())
    .await?;
    let mut files = Vec::new();
    for (path, sha) in rows {
        let bytes = match &sha {
            Some(sha) => Some(blob(db, sha).await?),
            None => None,
        };
        let action = restore(&project, &path, bytes.as_deref())?;
        files.push(RewoundFile {
            path,
            action: action.into(),
        });
    }
    let event = AgentEvent::Rewound {
        checkpoint_id: id.clone(),
        files: files
            .iter()
            .map(|f| format!("{} ({})", f.path, f.action))
            .collect(),
    };
    store::append_event(db, operation_id, &event, None).await?;
    Ok(Rewind {
        checkpoint_id: id,
        operation_id,
        project_id: project.id,
        files,
    })
}

async fn blob(db: &Db, sha: &str) -> Result<Vec<u8>, AgentError> {
    let bytes: Option<Vec<u8>> = sqlx::query_scalar("SELECT bytes FROM checkpoint_blobs WHERE sha256 = ?")
        .bind(sha)
        .fetch_optional(db.pool())
        .await?;
    bytes.ok_or_else(|| AgentError::NotFound(format!("the stored bytes {sha} are missing")))
}

fn restore(project: &Project, path: &str, bytes: Option<&[u8]>) -> Result<&'static str, AgentError> {
    let target =
        confine::resolve_for_write(&project.root, path).map_err(|e| AgentError::Invalid(e.message))?;
    let current = read_in(&project.root, path).ok().flatten();
    match bytes {
        Some(bytes) if current.as_deref() == Some(bytes) => Ok("unchanged"),
        Some(bytes) => {
            write_atomic(&project.root, &target, bytes).map_err(|e| io(&target, e))?;
            Ok("restored")
        }
        None if current.is_none() && !target.exists() => Ok("unchanged"),
        None => {
            remove_in(&project.root, &target).map_err(|e| io(&target, e))?;
            Ok("deleted")
        }
    }
}

fn io(path: &Path, e: std::io::Error) -> AgentError {
    AgentError::Io(format!("cannot restore {}: {e}", path.display()))
}
