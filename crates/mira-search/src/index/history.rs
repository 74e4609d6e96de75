//! The `git` collection (commit messages with the files they touched) and the
//! `conversation` collection (chat messages of the project's conversations). Both grow
//! by appending; rows whose source is gone (a rewritten history, a deleted chat) go away.

use std::collections::HashSet;

use mira_store::Db;
use mira_store::vectors::{Collection, VectorStore};

use super::points::{ChunkRow, dirs_of};
use crate::ids;
use crate::{Progress, SearchError};

/// Files listed per commit: a bulk commit's list would drown its message.
const MAX_FILES: usize = 40;
const BATCH: usize = 256;

/// The longest message text kept for one chunk.
const MAX_TEXT: usize = 4_000;

fn truncate(text: &str) -> String {
    crate::truncate_to(text, MAX_TEXT)
}

async fn stored_paths(db: &Db, project_id: i64, collection: &str) -> Result<HashSet<String>, SearchError> {
    Ok(
        sqlx::query_scalar("SELECT path FROM search_chunks WHERE project_id = ? AND collection = ?")
            .bind(project_id)
            .bind(collection)
            .fetch_all(db.pool())
            .await?
            .into_iter()
            .collect(),
    )
}

async fn write_rows(
    db: &Db,
    store: &dyn VectorStore,
    project_id: i64,
    collection: Collection,
    rows: &[ChunkRow],
) -> Result<(), SearchError> {
    store
        .upsert(collection, rows.iter().map(|r| r.point(project_id)).collect())
        .await?;
    store.flush().await?;
    let mut tx = db.pool().begin().await?;
    for row in rows {
        sqlx::query(
            "INSERT OR REPLACE INTO search_chunks (id, project_id, collection, path, chunk_key, language, kind, symbol,
                 start_line, end_line, part, parts, text, concepts, content_hash, embedded_hash)
             VALUES (?, ?, ?, ?, ?, NULL, ?, ?, 0, 0, 1, 1, ?, '', ?, NULL)",
        )
        .bind(row.id)
        .bind(project_id)
        .bind(row.collection)
        .bind(&row.path)
        .bind(&row.chunk_key)
        .bind(&row.kind)
        .bind(&row.symbol)
        .bind(&row.text)
        .bind(&row.content_hash)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn remove_paths(
    db: &Db,
    store: &dyn VectorStore,
    project_id: i64,
    collection: Collection,
    paths: &[String],
) -> Result<(), SearchError> {
    for batch in paths.chunks(BATCH) {
        let mut ids = Vec::new();
        for path in batch {
            let found: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM search_chunks WHERE project_id = ? AND collection = ? AND path = ?",
            )
            .bind(project_id)
            .bind(collection.name())
            .bind(path)
            .fetch_all(db.pool())
            .await?;
            ids.extend(found.into_iter().map(|i| i as u64));
        }
        store.delete(collection, &ids).await?;
        store.flush().await?;
        let mut tx = db.pool().begin().await?;
        for id in ids {
            sqlx::query("DELETE FROM search_chunks WHERE id = ?")
                .bind(id as i64)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Adds the project's commits that are not in the `git` collection yet; returns how many.
pub async fn index_git(
    db: &Db,
    store: &dyn VectorStore,
    project_id: i64,
    progress: Progress,
) -> Result<usize, SearchError> {
    let have = stored_paths(db, project_id, "git").await?;
    let commits: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, sha, message, author_name FROM git_commits WHERE project_id = ? ORDER BY committed_at",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    let current: HashSet<&str> = commits.iter().map(|c| c.1.as_str()).collect();
    let gone: Vec<String> = have
        .iter()
        .filter(|s| !current.contains(s.as_str()))
        .cloned()
        .collect();
    remove_paths(db, store, project_id, Collection::Git, &gone).await?;
    let new: Vec<&(i64, String, String, String)> = commits.iter().filter(|c| !have.contains(&c.1)).collect();
    let total = new.len() as u64;
    progress(0, total);
    let mut done = 0u64;
    for batch in new.chunks(BATCH) {
        let mut rows = Vec::with_capacity(batch.len());
        for (commit_id, sha, message, author) in batch {
            let files: Vec<String> = sqlx::query_scalar(
                "SELECT path FROM git_file_changes WHERE commit_id = ? ORDER BY path LIMIT ?",
            )
            .bind(commit_id)
            .bind(MAX_FILES as i64)
            .fetch_all(db.pool())
            .await?;
            let mut dirs: Vec<String> = files.iter().flat_map(|f| dirs_of(f)).collect();
            dirs.sort();
            dirs.dedup();
            let text = truncate(&format!("{}\n\nFiles:\n{}", message.trim(), files.join("\n")));
            let mut row = ChunkRow {
                id: ids::chunk_id(project_id, "git", sha, "commit"),
                collection: "git",
                path: sha.clone(),
                chunk_key: "commit".into(),
                language: None,
                kind: "commit".into(),
                symbol: Some(author.clone()),
                start_line: 0,
                end_line: 0,
                part: 1,
                parts: 1,
                text,
                content_hash: String::new(),
                concepts: Vec::new(),
                dirs,
            };
            row.content_hash = ids::content_hash(&row.embed_text());
            rows.push(row);
        }
        write_rows(db, store, project_id, Collection::Git, &rows).await?;
        done += batch.len() as u64;
        progress(done, total);
    }
    Ok(new.len())
}

/// Adds the finished user and assistant messages of the project's conversations that are
/// not in the `conversation` collection yet; returns how many.
pub async fn index_conversations(
    db: &Db,
    store: &dyn VectorStore,
    project_id: i64,
) -> Result<usize, SearchError> {
    let have: HashSet<String> = sqlx::query_scalar(
        "SELECT chunk_key FROM search_chunks WHERE project_id = ? AND collection = 'conversation'",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    let messages: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT m.id, m.conversation_id, m.role, m.content, c.title FROM messages m
         JOIN conversations c ON c.id = m.conversation_id
         WHERE c.project_id = ? AND m.role IN ('user', 'assistant') AND m.status = 'complete' AND m.content <> ''
         ORDER BY m.id",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    let current: HashSet<String> = messages.iter().map(|m| m.0.to_string()).collect();
    let gone: Vec<String> = have.iter().filter(|k| !current.contains(*k)).cloned().collect();
    if !gone.is_empty() {
        let paths: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT path FROM search_chunks WHERE project_id = ? AND collection = 'conversation'",
        )
        .bind(project_id)
        .fetch_all(db.pool())
        .await?;
        // A conversation is one path; removing its rows and re-adding the messages that
        // remain keeps this simple and rare (chats are deleted whole).
        remove_paths(db, store, project_id, Collection::Conversation, &paths).await?;
    }
    let have: HashSet<String> = if gone.is_empty() { have } else { HashSet::new() };
    let new: Vec<_> = messages
        .iter()
        .filter(|m| !have.contains(&m.0.to_string()))
        .collect();
    for batch in new.chunks(BATCH) {
        let rows: Vec<ChunkRow> = batch
            .iter()
            .map(|(id, conversation, role, content, title)| {
                let path = conversation.to_string();
                let key = id.to_string();
                let mut row = ChunkRow {
                    id: ids::chunk_id(project_id, "conversation", &path, &key),
                    collection: "conversation",
                    path,
                    chunk_key: key,
                    language: None,
                    kind: role.clone(),
                    symbol: Some(title.clone()),
                    start_line: 0,
                    end_line: 0,
                    part: 1,
                    parts: 1,
                    text: truncate(content),
                    content_hash: String::new(),
                    concepts: Vec::new(),
                    dirs: Vec::new(),
                };
                row.content_hash = ids::content_hash(&row.embed_text());
                row
            })
            .collect();
        write_rows(db, store, project_id, Collection::Conversation, &rows).await?;
    }
    Ok(new.len())
}
