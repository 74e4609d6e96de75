//! Registered projects: local directories, git repositories or not.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::vectors::VectorStore;
use crate::{Db, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: i64,
    pub name: String,
    /// Canonical absolute path of the project's root directory.
    pub root: PathBuf,
    /// The root is inside a git work tree.
    pub is_git: bool,
    pub created_at: DateTime<Utc>,
}

type Row = (i64, String, String, bool, DateTime<Utc>);

fn from_row((id, name, root, is_git, created_at): Row) -> Project {
    Project {
        id,
        name,
        root: PathBuf::from(root),
        is_git,
        created_at,
    }
}

const COLUMNS: &str = "id, name, root_path, is_git, created_at";

/// Resolves a user-given directory to the canonical path stored for it.
pub fn canonical_root(path: &Path) -> Result<PathBuf, StoreError> {
    let canonical = path.canonicalize().map_err(|e| {
        StoreError::InvalidProject(format!(
            "cannot register {}: {e}. Give the path of an existing directory.",
            path.display()
        ))
    })?;
    if !canonical.is_dir() {
        return Err(StoreError::InvalidProject(format!(
            "cannot register {}: it is not a directory. Give the project's root directory.",
            path.display()
        )));
    }
    Ok(canonical)
}

fn inside_git_work_tree(dir: &Path) -> bool {
    dir.ancestors().any(|d| d.join(".git").exists())
}

/// Registers `path` (which must be an existing directory) under `name`, or the
/// directory's own name when none is given.
pub async fn add(db: &Db, path: &Path, name: Option<&str>) -> Result<Project, StoreError> {
    let root = canonical_root(path)?;
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => n.to_string(),
        None => root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| root.display().to_string()),
    };
    let root_text = root.to_str().ok_or_else(|| {
        StoreError::InvalidProject(format!(
            "cannot register {}: the path is not valid UTF-8",
            root.display()
        ))
    })?;
    let result = sqlx::query_as::<_, Row>(&format!(
        "INSERT INTO projects (name, root_path, is_git, created_at) VALUES (?, ?, ?, ?) RETURNING {COLUMNS}"
    ))
    .bind(&name)
    .bind(root_text)
    .bind(inside_git_work_tree(&root))
    .bind(Utc::now())
    .fetch_one(db.pool())
    .await;
    match result {
        Ok(row) => Ok(from_row(row)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(StoreError::ProjectExists(root.display().to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn list(db: &Db) -> Result<Vec<Project>, StoreError> {
    let rows = sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM projects ORDER BY id"))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

pub async fn get(db: &Db, id: i64) -> Result<Project, StoreError> {
    sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM projects WHERE id = ?"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .map(from_row)
        .ok_or_else(|| StoreError::ProjectNotFound(id.to_string()))
}

/// Finds a project by id (all digits) or by its root path.
pub async fn find(db: &Db, id_or_path: &str) -> Result<Project, StoreError> {
    if let Ok(id) = id_or_path.parse::<i64>() {
        return get(db, id).await;
    }
    let root = canonical_root(Path::new(id_or_path))
        .map_err(|_| StoreError::ProjectNotFound(id_or_path.to_string()))?;
    sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM projects WHERE root_path = ?"))
        .bind(root.to_string_lossy())
        .fetch_optional(db.pool())
        .await?
        .map(from_row)
        .ok_or_else(|| StoreError::ProjectNotFound(id_or_path.to_string()))
}

/// The registered project whose root contains `dir` (a canonical path), the innermost
/// when projects nest.
pub async fn innermost_containing(db: &Db, dir: &Path) -> Result<Option<Project>, StoreError> {
    Ok(list(db)
        .await?
        .into_iter()
        .filter(|p| dir.starts_with(&p.root))
        .max_by_key(|p| p.root.components().count()))
}

/// Removes a project: its vectors first, then its whole-file terms, then its row (other tables' rows follow by
/// cascade). If the vector store fails, nothing is removed and the call can be repeated.
pub async fn remove(db: &Db, vectors: &dyn VectorStore, id: i64) -> Result<Project, StoreError> {
    let project = get(db, id).await?;
    vectors.delete_project(id).await?;
    // Before the row: a later index of the project recreates the table if the delete
    // fails, and no table outlives its project to be read under a reused id.
    crate::file_terms::drop_table(db, id).await?;
    let mut tx = db.pool().begin().await?;
    sqlx::query("DELETE FROM projects WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // Checkpoint contents are shared by hash across operations and projects, so the
    // cascade above cannot remove them: the ones no remaining checkpoint names go here,
    // in the same transaction (a checkpoint being taken writes its blob and its row in
    // one transaction, so it never sees its blob collected).
    sqlx::query(
        "DELETE FROM checkpoint_blobs WHERE sha256 NOT IN \
         (SELECT sha256 FROM checkpoint_files WHERE sha256 IS NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(project)
}
