//! Re-index after edits: the new code is found, the old never; unchanged chunks keep
//! their dense vectors.

use mira_search::query::Mode;
use mira_store::vectors::Collection;

use crate::common::{CACHE_RS, Indexed, symbols};

#[tokio::test]
async fn an_edit_replaces_the_old_code_and_only_changed_chunks_are_embedded_again() {
    let ix = Indexed::new().await;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM search_chunks WHERE project_id = ?")
        .bind(ix.project.id)
        .fetch_one(ix.db.pool())
        .await
        .unwrap();
    let nothing = ix.reindex().await;
    assert_eq!(
        (
            nothing.files_indexed,
            nothing.chunks_written,
            nothing.pending_dense
        ),
        (0, 0, 0),
        "{nothing:?}"
    );

    // Rename the method and shift every line of the file down by two.
    let edited = CACHE_RS.replace("evict_oldest", "drop_least_recent").replacen(
        "use std",
        "// Keeps the last few items.\n\nuse std",
        1,
    );
    std::fs::write(ix.root.join("src/cache.rs"), edited).unwrap();
    let summary = ix.reindex().await;
    assert_eq!(summary.files_indexed, 1, "{summary:?}");
    // `push` (its call changed) and the renamed method are new text; the struct only moved.
    assert_eq!(summary.chunks_written, 3, "{summary:?}");
    assert!(summary.chunks_moved >= 1, "{summary:?}");
    assert_eq!(
        summary.pending_dense, 3,
        "only changed chunks wait for vectors: {summary:?}"
    );

    // Keyword search sees the edit at once, before any vector is recomputed.
    let new = ix.search("drop_least_recent", Mode::Keyword).await;
    assert_eq!(
        symbols(&new.results).first().map(String::as_str),
        Some("crate::cache::RecentItems::drop_least_recent")
    );
    let old = ix.search("evict_oldest", Mode::Hybrid).await;
    assert!(
        !old.results.iter().any(|h| h.snippet.contains("evict_oldest")),
        "old code must never come back: {:?}",
        old.results
    );
    let moved = ix.search("RecentItems capacity", Mode::Keyword).await;
    let strukt = moved.results.iter().find(|h| h.kind == "struct").unwrap();
    assert_eq!(strukt.lines[0], 5, "lines follow the move: {strukt:?}");

    let dense = ix.embed().await;
    assert_eq!(dense.embedded, 3);
    assert_eq!(dense.pending, 0);
    // Store and database agree on what exists.
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM search_chunks WHERE project_id = ? AND collection = 'code'")
            .bind(ix.project.id)
            .fetch_one(ix.db.pool())
            .await
            .unwrap();
    let points = ix
        .service
        .store()
        .count(Collection::Code, Some(ix.project.id))
        .await
        .unwrap();
    assert_eq!(rows as u64, points);
    assert!(
        before > rows,
        "{before} rows then, {rows} code rows now (git rows are counted before)"
    );
}

#[tokio::test]
async fn a_deleted_file_leaves_the_index() {
    let ix = Indexed::new().await;
    std::fs::remove_file(ix.root.join("src/auth.rs")).unwrap();
    let summary = ix.reindex().await;
    assert_eq!(summary.files_removed, 1);
    let r = ix.search("verify_password", Mode::Hybrid).await;
    assert!(
        r.results.iter().all(|h| h.path != "src/auth.rs"),
        "{:?}",
        r.results
    );
    let tags: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM concept_index WHERE project_id = ? AND path = 'src/auth.rs'",
    )
    .bind(ix.project.id)
    .fetch_one(ix.db.pool())
    .await
    .unwrap();
    assert_eq!(tags, 0);
}
