//! Indexing into a real SQLite database: skip reasons, parse problems, idempotence, and
//! incremental runs that must equal a rebuild from scratch.

use std::path::Path;
use std::sync::Arc;

use mira_code::index::{IndexSummary, index_project};
use mira_store::Db;
use mira_store::projects::{self, Project};

use crate::fixture::{copy_tree, fixture};

pub struct Indexed {
    pub _dir: tempfile::TempDir,
    pub db: Db,
    pub project: Project,
}

pub async fn indexed(name: &str) -> (Indexed, IndexSummary) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    copy_tree(&fixture(name), &root);
    let db = Db::open(&dir.path().join("data/mira.db")).await.unwrap();
    let project = projects::add(&db, &root, None).await.unwrap();
    let summary = index_project(&db, &project, Arc::new(|_, _| {})).await.unwrap();
    (
        Indexed {
            _dir: dir,
            db,
            project,
        },
        summary,
    )
}

impl Indexed {
    pub fn root(&self) -> &Path {
        &self.project.root
    }

    pub async fn reindex(&self) -> IndexSummary {
        index_project(&self.db, &self.project, Arc::new(|_, _| {}))
            .await
            .unwrap()
    }

    /// Every stored edge, in a form two databases can be compared by.
    pub async fn edges(&self) -> Vec<(String, String, String, String, i64)> {
        sqlx::query_as(
            "SELECT c.caller, c.callee, c.resolution, f.path, c.line FROM call_graph c JOIN files f ON f.id = c.file_id \
             WHERE c.project_id = ? ORDER BY 1, 2, 3, 4, 5",
        )
        .bind(self.project.id)
        .fetch_all(self.db.pool())
        .await
        .unwrap()
    }

    pub async fn elements(&self) -> Vec<(String, String, String, i64)> {
        sqlx::query_as(
            "SELECT e.qualified_name, e.kind, f.path, e.start_line FROM code_elements e JOIN files f ON f.id = e.file_id \
             WHERE e.project_id = ? ORDER BY 1, 2, 3, 4",
        )
        .bind(self.project.id)
        .fetch_all(self.db.pool())
        .await
        .unwrap()
    }

    /// A fresh database indexing the same tree from scratch.
    pub async fn rebuilt(&self) -> Indexed {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
        let project = projects::add(&db, self.root(), None).await.unwrap();
        index_project(&db, &project, Arc::new(|_, _| {})).await.unwrap();
        Indexed {
            _dir: dir,
            db,
            project,
        }
    }

    pub async fn assert_equals_rebuild(&self) {
        let fresh = self.rebuilt().await;
        assert_eq!(
            self.edges().await,
            fresh.edges().await,
            "edges differ from a rebuild"
        );
        assert_eq!(
            self.elements().await,
            fresh.elements().await,
            "elements differ from a rebuild"
        );
        assert_eq!(
            self.snapshot().await,
            fresh.snapshot().await,
            "stored rows differ from a rebuild"
        );
    }

    /// Every column of the code tables but row ids, one line per row, sorted.
    pub async fn snapshot(&self) -> Vec<String> {
        let queries = [
            "SELECT 'file|' || path || '|' || COALESCE(language, '') || '|' || COALESCE(module, '') || '|' || \
             content_hash || '|' || size_bytes || '|' || line_count || '|' || error_lines || '|' || has_tests || '|' || \
             symbols || '|' || edges_exact || '|' || edges_probable || '|' || edges_external || '|' || \
             edges_unresolved || '|' || COALESCE(skip_reason, '') FROM files WHERE project_id = ?",
            "SELECT 'element|' || f.path || '|' || e.kind || '|' || e.name || '|' || e.qualified_name || '|' || \
             COALESCE(p.qualified_name, '') || '|' || e.start_line || ':' || e.start_col || '-' || e.end_line || ':' || \
             e.end_col || '|' || e.signature || '|' || COALESCE(e.doc, '') || '|' || e.visibility || '|' || e.bases || \
             '|' || COALESCE(e.type_ref, '') || '|' || e.is_test FROM code_elements e JOIN files f ON f.id = e.file_id \
             LEFT JOIN code_elements p ON p.id = e.parent_id WHERE e.project_id = ?",
            "SELECT 'import|' || f.path || '|' || i.module || '|' || COALESCE(i.name, '') || '|' || i.alias || '|' || \
             i.line || '|' || i.reexport || '|' || i.scope FROM imports i JOIN files f ON f.id = i.file_id \
             WHERE i.project_id = ?",
            "SELECT 'edge|' || f.path || '|' || c.caller || '|' || c.callee || '|' || c.callee_name || '|' || \
             COALESCE(c.callee_kind, '') || '|' || c.resolution || '|' || c.line || ':' || c.col \
             FROM call_graph c JOIN files f ON f.id = c.file_id WHERE c.project_id = ?",
        ];
        let mut rows = Vec::new();
        for q in queries {
            let mut found: Vec<String> = sqlx::query_scalar(q)
                .bind(self.project.id)
                .fetch_all(self.db.pool())
                .await
                .unwrap();
            rows.append(&mut found);
        }
        rows.sort();
        rows
    }
}

#[tokio::test]
async fn cold_index_stores_files_symbols_imports_and_edges() {
    let (ix, summary) = indexed("python").await;
    assert_eq!(summary.files, 5);
    assert_eq!(summary.parsed, 5);
    assert!(summary.symbols > 20, "{summary:?}");
    assert!(summary.edges > 20, "{summary:?}");
    assert!(summary.resolution.get("exact").copied().unwrap_or(0) > 10);
    let (hash, language, module): (String, String, String) =
        sqlx::query_as("SELECT content_hash, language, module FROM files WHERE path = 'shop/models.py'")
            .fetch_one(ix.db.pool())
            .await
            .unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!((language.as_str(), module.as_str()), ("python", "shop.models"));
    let imports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM imports WHERE project_id = ?")
        .bind(ix.project.id)
        .fetch_one(ix.db.pool())
        .await
        .unwrap();
    assert!(imports >= 6);
    // Parents are stored as references between rows.
    let parent: String = sqlx::query_scalar(
        "SELECT p.qualified_name FROM code_elements e JOIN code_elements p ON p.id = e.parent_id \
         WHERE e.qualified_name = 'shop.models.Entity.save'",
    )
    .fetch_one(ix.db.pool())
    .await
    .unwrap();
    assert_eq!(parent, "shop.models.Entity");
}

#[tokio::test]
async fn skipped_files_have_reasons_and_broken_files_are_indexed_as_far_as_they_parse() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    std::fs::create_dir_all(root.join("node_modules/lib")).unwrap();
    std::fs::create_dir_all(root.join("dist")).unwrap();
    std::fs::write(root.join("node_modules/lib/index.js"), "function f() {}\n").unwrap();
    std::fs::write(root.join("app.min.js"), "function a(){}").unwrap();
    std::fs::write(
        root.join("gen.py"),
        "# Code generated by a tool. DO NOT EDIT.\nX = 1\n",
    )
    .unwrap();
    std::fs::write(root.join("blob.py"), b"\x00\x01\x02binary").unwrap();
    std::fs::write(root.join(".gitignore"), "dist/\n").unwrap();
    std::fs::write(root.join("dist/out.js"), "function ignored() {}\n").unwrap();
    std::fs::write(
        root.join("broken.py"),
        "def fine():\n    return 1\n\ndef broken(:\n    pass\n\nclass After:\n    def method(self):\n        return fine()\n",
    )
    .unwrap();
    let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
    let project = projects::add(&db, &root, None).await.unwrap();
    let summary = index_project(&db, &project, Arc::new(|_, _| {})).await.unwrap();
    let reasons: Vec<(&str, &str)> = summary
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("app.min.js", "minified"),
            ("blob.py", "binary"),
            ("gen.py", "generated"),
            ("node_modules", "vendored")
        ]
    );
    assert_eq!(
        summary.files, 1,
        "only broken.py is code; dist/ is ignored: {summary:?}"
    );
    assert_eq!(summary.parse_errors.len(), 1);
    assert_eq!(summary.parse_errors[0].path, "broken.py");
    assert!(
        summary.parse_errors[0].lines.contains(&4),
        "{:?}",
        summary.parse_errors
    );
    let names: Vec<String> = sqlx::query_scalar("SELECT qualified_name FROM code_elements ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert!(names.contains(&"broken.fine".to_string()), "{names:?}");
    assert!(names.contains(&"broken.After.method".to_string()), "{names:?}");
    // Skipped files are listed with their reason for the UI.
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM files WHERE skip_reason IS NOT NULL")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 4);
}

#[tokio::test]
async fn a_second_run_changes_nothing() {
    let (ix, first) = indexed("rust").await;
    let edges = ix.edges().await;
    let again = ix.reindex().await;
    assert_eq!((again.parsed, again.removed, again.relinked), (0, 0, 0));
    assert_eq!((again.symbols, again.edges), (first.symbols, first.edges));
    assert_eq!(ix.edges().await, edges);
}

#[tokio::test]
async fn an_edited_body_reparses_one_file_and_relinks_none() {
    let (ix, _) = indexed("python").await;
    let path = ix.root().join("shop/service.py");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "self._log(\"placed\")",
            "self._log(\"placed\")\n        self.audit.record(\"again\")",
        ),
    )
    .unwrap();
    let summary = ix.reindex().await;
    assert_eq!((summary.parsed, summary.relinked), (1, 0));
    let records: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM call_graph WHERE callee = 'shop.service.AuditLog.record'")
            .fetch_one(ix.db.pool())
            .await
            .unwrap();
    assert_eq!(records, 2);
    ix.assert_equals_rebuild().await;
}

#[tokio::test]
async fn a_renamed_definition_relinks_its_callers_in_unchanged_files() {
    let (ix, _) = indexed("python").await;
    let path = ix.root().join("shop/models.py");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("    def validate(self):", "    def check(self):"),
    )
    .unwrap();
    let summary = ix.reindex().await;
    assert_eq!(summary.parsed, 1);
    assert!(summary.relinked >= 1, "{summary:?}");
    let stale: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM call_graph WHERE callee = 'shop.models.Order.validate'")
            .fetch_one(ix.db.pool())
            .await
            .unwrap();
    assert_eq!(stale, 0);
    ix.assert_equals_rebuild().await;
}

#[tokio::test]
async fn renaming_a_function_relinks_callers_that_import_it_under_an_alias() {
    let (ix, _) = indexed("python").await;
    let path = ix.root().join("shop/storage.py");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("def connect(", "def open_store(")).unwrap();
    let summary = ix.reindex().await;
    assert!(summary.relinked >= 1, "{summary:?}");
    let stale: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM call_graph WHERE callee = 'shop.storage.connect' AND resolution = 'exact'",
    )
    .fetch_one(ix.db.pool())
    .await
    .unwrap();
    assert_eq!(stale, 0);
    ix.assert_equals_rebuild().await;
}

#[tokio::test]
async fn a_deleted_file_takes_its_rows_and_edges_with_it() {
    let (ix, before) = indexed("python").await;
    std::fs::remove_file(ix.root().join("shop/storage.py")).unwrap();
    let summary = ix.reindex().await;
    assert_eq!(summary.removed, 1);
    assert_eq!(summary.files, before.files - 1);
    let left: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM code_elements WHERE qualified_name LIKE 'shop.storage%'")
            .fetch_one(ix.db.pool())
            .await
            .unwrap();
    assert_eq!(left, 0);
    // What pointed into it now points outside the project (the module is gone).
    let into: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM call_graph WHERE callee LIKE 'shop.storage.%' AND resolution IN ('exact', 'probable')",
    )
        .fetch_one(ix.db.pool())
        .await
        .unwrap();
    assert_eq!(into, 0, "edges into the deleted file were re-resolved");
    ix.assert_equals_rebuild().await;
}

#[tokio::test]
async fn a_new_file_can_resolve_calls_that_were_unresolved() {
    let (ix, _) = indexed("go").await;
    std::fs::write(
        ix.root().join("extra.go"),
        "package main\n\nfunc later() {\n\thelper()\n}\n",
    )
    .unwrap();
    let summary = ix.reindex().await;
    assert_eq!(summary.parsed, 1);
    ix.assert_equals_rebuild().await;
}

#[tokio::test]
async fn removing_the_project_removes_its_code_rows() {
    let (ix, _) = indexed("ts").await;
    // What `projects::remove` does after the vectors: the row goes, the cascade does the rest.
    sqlx::query("DELETE FROM projects WHERE id = ?")
        .bind(ix.project.id)
        .execute(ix.db.pool())
        .await
        .unwrap();
    for table in ["files", "code_elements", "imports", "call_graph"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(ix.db.pool())
            .await
            .unwrap();
        assert_eq!(n, 0, "{table} kept rows");
    }
}

#[tokio::test]
async fn another_process_writing_the_database_is_seen() {
    let (ix, _) = indexed("python").await;
    let path = ix.root().join("shop/models.py");
    let text = std::fs::read_to_string(&path).unwrap();
    // A second handle on the same file under another name: a process with no cache.
    let db_path = ix.db.path().to_path_buf();
    let other_name = db_path
        .parent()
        .unwrap()
        .join(".")
        .join(db_path.file_name().unwrap());
    let other = Db::open(&other_name).await.unwrap();
    std::fs::write(&path, text.replace("def validate(self):", "def check(self):")).unwrap();
    let s = index_project(&other, &ix.project, Arc::new(|_, _| {}))
        .await
        .unwrap();
    assert_eq!(s.parsed, 1);
    ix.assert_equals_rebuild().await;
    // The first handle's remembered facts are stale now; it must notice.
    std::fs::write(&path, text.replace("def total(self):", "def amount(self):")).unwrap();
    let s = ix.reindex().await;
    assert_eq!(s.parsed, 1);
    ix.assert_equals_rebuild().await;
}

#[tokio::test]
async fn concurrent_runs_on_one_project_are_serialised() {
    let (ix, _) = indexed("go").await;
    std::fs::write(
        ix.root().join("extra.go"),
        "package main\n\nfunc later() {\n\thelper()\n}\n",
    )
    .unwrap();
    let (a, b) = tokio::join!(ix.reindex(), ix.reindex());
    // One of them did the work; the other found nothing left.
    assert_eq!(a.parsed + b.parsed, 1);
    ix.assert_equals_rebuild().await;
}
