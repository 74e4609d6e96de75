//! The vector store and SQLite must describe the same chunks. Writes go to the store
//! first and are flushed before the SQLite transaction that claims them commits, so a
//! crash cannot leave a row whose vector is gone; but a store damaged or rolled back
//! some other way (a copy of the data dir, a crash of an older version, a flush that
//! died half-way) still can. [`check`] compares the two per collection and [`repair`]
//! makes SQLite forget what the store lost, so the next index run writes it again:
//! - a row whose point is missing is deleted (and, for code, its file is marked
//!   changed), so the chunk is made and stored again;
//! - a row that says its dense vector is stored when the point has none waits for one
//!   again;
//! - a point no row claims is deleted from the store.

use std::collections::HashSet;

use mira_store::Db;
use mira_store::vectors::{Collection, VectorStore};
use serde::Serialize;

use crate::SearchError;

/// How one collection of one project compares.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CollectionAgreement {
    pub collection: String,
    /// Chunks SQLite records.
    pub rows: usize,
    /// Points the vector store holds.
    pub points: usize,
    /// Rows whose point is missing from the store.
    pub missing: usize,
    /// Rows marked as embedded whose point has no dense vector.
    pub dense_missing: usize,
    /// Points no row claims.
    pub orphans: usize,
}

impl CollectionAgreement {
    pub fn agrees(&self) -> bool {
        self.missing == 0 && self.dense_missing == 0 && self.orphans == 0
    }
}

/// What [`repair`] changed.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Repaired {
    /// Rows deleted because their point was gone (their chunks are made again).
    pub rows_dropped: usize,
    /// Code files marked changed so the next run chunks them again.
    pub files_marked: usize,
    /// Rows set back to waiting for a dense vector.
    pub dense_reset: usize,
    /// Points deleted from the store because no row claimed them.
    pub orphans_deleted: usize,
}

impl Repaired {
    pub fn is_empty(&self) -> bool {
        *self == Repaired::default()
    }
}

struct Diff {
    agreement: CollectionAgreement,
    missing: Vec<(i64, String)>,
    dense_missing: Vec<i64>,
    orphans: Vec<u64>,
}

async fn diff(
    db: &Db,
    store: &dyn VectorStore,
    project_id: i64,
    collection: Collection,
) -> Result<Diff, SearchError> {
    let rows: Vec<(i64, String, bool)> = sqlx::query_as(
        "SELECT id, path, embedded_hash IS NOT NULL AND embedded_hash = content_hash
         FROM search_chunks WHERE project_id = ? AND collection = ?",
    )
    .bind(project_id)
    .bind(collection.name())
    .fetch_all(db.pool())
    .await?;
    let points: HashSet<u64> = store
        .ids(collection, project_id, false)
        .await?
        .into_iter()
        .collect();
    let dense: HashSet<u64> = store
        .ids(collection, project_id, true)
        .await?
        .into_iter()
        .collect();
    let claimed: HashSet<u64> = rows.iter().map(|r| r.0 as u64).collect();
    let mut missing = Vec::new();
    let mut dense_missing = Vec::new();
    for (id, path, embedded) in &rows {
        if !points.contains(&(*id as u64)) {
            missing.push((*id, path.clone()));
        } else if *embedded && !dense.contains(&(*id as u64)) {
            dense_missing.push(*id);
        }
    }
    let orphans: Vec<u64> = points
        .iter()
        .filter(|id| !claimed.contains(id))
        .copied()
        .collect();
    Ok(Diff {
        agreement: CollectionAgreement {
            collection: collection.name().to_string(),
            rows: rows.len(),
            points: points.len(),
            missing: missing.len(),
            dense_missing: dense_missing.len(),
            orphans: orphans.len(),
        },
        missing,
        dense_missing,
        orphans,
    })
}

/// Compares SQLite's chunks of a project with the store's points, per collection.
pub async fn check(
    db: &Db,
    store: &dyn VectorStore,
    project_id: i64,
) -> Result<Vec<CollectionAgreement>, SearchError> {
    let mut out = Vec::new();
    for collection in Collection::ALL {
        out.push(diff(db, store, project_id, collection).await?.agreement);
    }
    Ok(out)
}

/// Brings SQLite and the store back into agreement for a project (see the module doc).
/// Run it under the project's index lock, before indexing.
pub async fn repair(db: &Db, store: &dyn VectorStore, project_id: i64) -> Result<Repaired, SearchError> {
    let mut repaired = Repaired::default();
    for collection in Collection::ALL {
        let diff = diff(db, store, project_id, collection).await?;
        if diff.agreement.agrees() {
            continue;
        }
        store.delete(collection, &diff.orphans).await?;
        store.flush().await?;
        repaired.orphans_deleted += diff.orphans.len();
        let mut tx = db.pool().begin().await?;
        let mut files: HashSet<&str> = HashSet::new();
        for (id, path) in &diff.missing {
            sqlx::query("DELETE FROM search_chunks WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if collection == Collection::Code {
                files.insert(path.as_str());
            }
        }
        for path in &files {
            // An empty hash never matches a file's, so the next run chunks it again.
            sqlx::query("UPDATE search_files SET content_hash = '' WHERE project_id = ? AND path = ?")
                .bind(project_id)
                .bind(path)
                .execute(&mut *tx)
                .await?;
        }
        for id in &diff.dense_missing {
            sqlx::query("UPDATE search_chunks SET embedded_hash = NULL WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        repaired.rows_dropped += diff.missing.len();
        repaired.files_marked += files.len();
        repaired.dense_reset += diff.dense_missing.len();
    }
    Ok(repaired)
}
