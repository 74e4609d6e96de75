//! Whole-file BM25 tables: per-project statistics, term repeats, replacement, and the
//! table going with its project.

use mira_store::file_terms;
use mira_store::vectors::EdgeStore;
use mira_store::{Db, projects};

async fn file(db: &Db, project_id: i64, path: &str, terms: &str) {
    let mut tx = db.pool().begin().await.unwrap();
    let key: i64 = sqlx::query_scalar(
        "INSERT INTO search_files (project_id, path, content_hash, indexed_at) VALUES (?, ?, 'h', 0)
         ON CONFLICT (project_id, path) DO UPDATE SET indexed_at = 1 RETURNING rowid",
    )
    .bind(project_id)
    .bind(path)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    file_terms::put(&mut tx, project_id, key, terms).await.unwrap();
    tx.commit().await.unwrap();
}

fn terms(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

#[tokio::test]
async fn files_rank_by_bm25_within_their_project() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
    let vectors = EdgeStore::open(&dir.path().join("vectors"), 8).await.unwrap();
    let mut ids = Vec::new();
    for name in ["a", "b"] {
        let root = dir.path().join(name);
        std::fs::create_dir_all(&root).unwrap();
        let p = projects::add(&db, &root, None).await.unwrap();
        assert!(
            file_terms::ensure(&db, p.id).await.unwrap(),
            "created the first time"
        );
        assert!(
            !file_terms::ensure(&db, p.id).await.unwrap(),
            "kept the second time"
        );
        ids.push(p.id);
    }
    let (a, b) = (ids[0], ids[1]);
    file(&db, a, "money.py", "money round cent cent display format").await;
    file(&db, a, "invoice.py", "invoice total line money").await;
    file(&db, a, "cli.py", "argv parse command").await;
    // Project b has a file full of the same words: it must not show up in a's results.
    file(&db, b, "other.py", "money money money cent round display").await;

    let found = file_terms::search(&db, a, &terms("round cent display"), 10)
        .await
        .unwrap();
    let paths: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["money.py"]);
    assert!(found[0].1 > 0.0, "higher is better: {found:?}");

    // `money` is in two of a's files; a repeated query term weighs more.
    let once = file_terms::search(&db, a, &terms("money total"), 10)
        .await
        .unwrap();
    let twice = file_terms::search(&db, a, &terms("money money money total"), 10)
        .await
        .unwrap();
    assert_eq!(once[0].0, "invoice.py");
    let money_once = once.iter().find(|(p, _)| p == "money.py").unwrap().1;
    let money_thrice = twice.iter().find(|(p, _)| p == "money.py").unwrap().1;
    assert!(money_thrice > money_once * 2.5, "{money_once} vs {money_thrice}");

    // Replacing a file's terms forgets the old ones.
    file(&db, a, "money.py", "currency rate convert").await;
    assert!(
        file_terms::search(&db, a, &terms("cent display"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(file_terms::count(&db, a).await.unwrap(), 3);

    // Odd query text finds nothing instead of failing on FTS5 syntax.
    assert!(
        file_terms::search(&db, a, &terms("\" OR NEAR( *"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // The table goes with its project.
    projects::remove(&db, &vectors, a).await.unwrap();
    assert_eq!(file_terms::count(&db, a).await.unwrap(), 0);
    assert_eq!(
        file_terms::search(&db, b, &terms("money"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}
