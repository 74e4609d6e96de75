//! Whole-file BM25: each indexed source file of a project as one document of terms, in
//! an SQLite FTS5 table of the project's own (`file_terms_<project id>`), so the
//! collection statistics (document count, average length, each term's document
//! frequency) are the project's and not mixed with other projects'.
//!
//! The terms are written by the search index (already tokenised the code-aware way,
//! separated by spaces, so FTS5's `unicode61` tokenizer only splits at the spaces) and
//! keyed by the `search_files` row of the file. A long bug report read as a bag of
//! words finds the file it is about far more often over whole files than over chunks:
//! on SWE-bench Lite, BM25 over whole files ranks the fixed file first for about 0.4 of
//! reports where chunk search manages 0.3 (docs/benchmarks.md).
//!
//! The table is contentless (`content=''`, `contentless_delete=1`): only the inverted
//! index is kept, not a second copy of the text.

use sqlx::{Sqlite, SqliteConnection, Transaction};

use crate::{Db, StoreError};

/// Query terms used at most (the most frequent in the query first): FTS5 scores every
/// file matching any of them, and a pasted log adds little past this many.
pub const MAX_QUERY_TERMS: usize = 256;

fn table(project_id: i64) -> String {
    format!("file_terms_{project_id}")
}

/// Creates the project's table unless it exists. True when it was created now (the
/// caller then fills it for files indexed before it existed).
pub async fn ensure(db: &Db, project_id: i64) -> Result<bool, StoreError> {
    if exists(db, project_id).await? {
        return Ok(false);
    }
    let name = table(project_id);
    sqlx::query(&format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5(terms, content='', contentless_delete=1, \
         tokenize='unicode61 remove_diacritics 0')"
    ))
    .execute(db.pool())
    .await?;
    Ok(true)
}

/// Replaces the terms of one file (`key`: its `search_files` rowid) within a transaction.
pub async fn put(
    tx: &mut Transaction<'_, Sqlite>,
    project_id: i64,
    key: i64,
    terms: &str,
) -> Result<(), StoreError> {
    remove(tx, project_id, key).await?;
    sqlx::query(&format!(
        "INSERT INTO {} (rowid, terms) VALUES (?, ?)",
        table(project_id)
    ))
    .bind(key)
    .bind(terms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets one file's terms (nothing happens when it had none).
pub async fn remove(conn: &mut SqliteConnection, project_id: i64, key: i64) -> Result<(), StoreError> {
    sqlx::query(&format!("DELETE FROM {} WHERE rowid = ?", table(project_id)))
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops the project's table (with the project itself).
pub async fn drop_table(db: &Db, project_id: i64) -> Result<(), StoreError> {
    sqlx::query(&format!("DROP TABLE IF EXISTS {}", table(project_id)))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Number of files with terms stored.
pub async fn count(db: &Db, project_id: i64) -> Result<i64, StoreError> {
    if !exists(db, project_id).await? {
        return Ok(0);
    }
    Ok(
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", table(project_id)))
            .fetch_one(db.pool())
            .await?,
    )
}

async fn exists(db: &Db, project_id: i64) -> Result<bool, StoreError> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind(table(project_id))
            .fetch_optional(db.pool())
            .await?;
    Ok(found.is_some())
}

/// The project's files by BM25 (k1 1.2, b 0.75) against `terms` (repeats count: a term
/// given twice weighs twice), best first, with their scores (higher is better). Terms
/// that are not plain words are ignored; an empty list, or a project without the table
/// yet, finds nothing.
pub async fn search(
    db: &Db,
    project_id: i64,
    terms: &[String],
    limit: usize,
) -> Result<Vec<(String, f64)>, StoreError> {
    let query = match_expression(terms);
    if query.is_empty() || !exists(db, project_id).await? {
        return Ok(Vec::new());
    }
    let name = table(project_id);
    let rows: Vec<(String, f64)> = sqlx::query_as(&format!(
        "SELECT f.path, -t.rank FROM {name} t JOIN search_files f ON f.rowid = t.rowid \
         WHERE {name} MATCH ? AND f.project_id = ? ORDER BY t.rank LIMIT ?"
    ))
    .bind(query)
    .bind(project_id)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    Ok(rows)
}

/// `"a" OR "b" OR "a"`: each term quoted (so FTS5 operators in the text are words), the
/// most frequent first when there are more than [`MAX_QUERY_TERMS`].
fn match_expression(terms: &[String]) -> String {
    let mut counts: Vec<(&str, usize, usize)> = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        if t.is_empty() || !t.chars().all(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        match counts.iter_mut().find(|(s, _, _)| *s == t) {
            Some(entry) => entry.1 += 1,
            None => counts.push((t, 1, i)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let mut parts = Vec::new();
    for (term, n, _) in counts {
        for _ in 0..n {
            if parts.len() == MAX_QUERY_TERMS {
                break;
            }
            parts.push(format!("\"{term}\""));
        }
    }
    parts.join(" OR ")
}

#[cfg(test)]
mod tests {
    use super::match_expression;

    #[test]
    fn terms_are_quoted_repeated_and_odd_ones_skipped() {
        let t = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            match_expression(&t(&["parse", "config", "parse"])),
            "\"parse\" OR \"parse\" OR \"config\""
        );
        assert_eq!(match_expression(&t(&["a\"b", "", "ok"])), "\"ok\"");
        let many: Vec<String> = (0..400).map(|i| format!("t{i}")).collect();
        assert_eq!(
            match_expression(&many).matches(" OR ").count(),
            super::MAX_QUERY_TERMS - 1
        );
    }
}
