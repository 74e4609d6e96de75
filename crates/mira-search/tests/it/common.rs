//! The fixture project and an indexed copy of it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use mira_search::embedder::{DenseEmbedder, LocalEmbedder};
use mira_search::query::{Mode, SearchHit, SearchRequest, SearchResponse};
use mira_search::service::SearchService;
use mira_store::Db;
use mira_store::projects::{self, Project};
use mira_store::vectors::{EdgeStore, VectorStore};
use tokio_util::sync::CancellationToken;

pub const DIM: usize = 384;

/// `MIRA_TEST_MODELS_DIR`, else the cache dir scripts/test.sh fills.
fn embed_dir() -> PathBuf {
    let dir = std::env::var_os("MIRA_TEST_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/mira-models")
        })
        .join("all-MiniLM-L6-v2");
    assert!(
        dir.exists(),
        "{} is missing: run `MIRA_MODELS_DIR=... mira models pull --all` (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// One loaded model per test binary.
pub fn embedder() -> Arc<dyn DenseEmbedder> {
    static E: OnceLock<Arc<mira_models::Embedder>> = OnceLock::new();
    let model = E
        .get_or_init(|| Arc::new(mira_models::Embedder::load(&embed_dir()).expect("embedder loads")))
        .clone();
    Arc::new(LocalEmbedder::new(model))
}

pub const STORE_RS: &str = r#"//! Persistence of users.
use rusqlite::Connection;

/// The application's handle on its SQLite file.
pub struct Database {
    conn: Connection,
}

impl Database {
    /// Opens the file and prepares the schema.
    pub fn open(path: &str) -> rusqlite::Result<Database> {
        let conn = Connection::open(path)?;
        let db = Database { conn };
        db.run_migrations()?;
        Ok(db)
    }

    /// Creates the tables that are missing.
    pub fn run_migrations(&self) -> rusqlite::Result<()> {
        self.conn.execute_batch("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT)")
    }

    pub fn load_user(&self, id: i64) -> rusqlite::Result<String> {
        self.conn.query_row("SELECT name FROM users WHERE id = ?1", [id], |row| row.get(0))
    }
}
"#;

pub const AUTH_RS: &str = r#"use argon2::{Argon2, PasswordHash, PasswordVerifier};

/// Checks a password against the stored hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}
"#;

pub const CACHE_RS: &str = r#"use std::collections::VecDeque;

pub struct RecentItems {
    items: VecDeque<String>,
    capacity: usize,
}

impl RecentItems {
    pub fn push(&mut self, item: String) {
        if self.items.len() == self.capacity {
            self.evict_oldest();
        }
        self.items.push_back(item);
    }

    fn evict_oldest(&mut self) {
        self.items.pop_front();
    }
}
"#;

pub const GEO_PY: &str = r#"import math


def haversine(lat1, lon1, lat2, lon2):
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


class Invoice:
    def __init__(self, lines):
        self.lines = lines

    def total_due(self):
        return sum(qty * price for qty, price in self.lines)
"#;

pub const GUIDE_MD: &str = "# Guide\n\nThis project keeps users.\n\n## Install on Linux\n\nRun `apt install libsqlite3-dev` first.\n\n## Configuration\n\nSet MIRA_DATA_DIR.\n";

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// Writes the fixture into `dir` as a git repository with two commits.
pub fn write_fixture(dir: &Path) {
    for (path, text) in [
        ("src/store.rs", STORE_RS),
        ("src/auth.rs", AUTH_RS),
        ("src/cache.rs", CACHE_RS),
        ("app/geo.py", GEO_PY),
        ("docs/guide.md", GUIDE_MD),
    ] {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "src/store.rs", "docs/guide.md"]);
    git(dir, &["commit", "-q", "-m", "Store users in SQLite"]);
    git(dir, &["add", "."]);
    git(
        dir,
        &[
            "commit",
            "-q",
            "-m",
            "Fix crash when the recent items list is empty",
        ],
    );
}

/// A fixture project indexed by code, git and search (keyword and dense).
pub struct Indexed {
    pub root: PathBuf,
    pub db: Db,
    pub project: Project,
    pub service: SearchService,
    /// The model gateway the service's provider embedder calls through.
    pub gateway: mira_llm::Gateway,
    /// Last: the store flushes into it when dropped.
    pub _dir: tempfile::TempDir,
}

impl Indexed {
    pub async fn new() -> Indexed {
        Self::build(
            |dir| (Arc::new(mira_core::Config::with_data_dir(dir)), DIM),
            Some(embedder()),
        )
        .await
    }

    /// The fixture with the configuration (and vector dimension) `configure` makes for the
    /// data dir, and `embedder` instead of the configured one when given.
    pub async fn build(
        configure: impl FnOnce(&Path) -> (Arc<mira_core::Config>, usize),
        embedder: Option<Arc<dyn DenseEmbedder>>,
    ) -> Indexed {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        std::fs::create_dir_all(&root).unwrap();
        write_fixture(&root);
        let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
        let root = projects::canonical_root(&root).unwrap();
        let project = projects::add(&db, &root, None).await.unwrap();
        let (config, dim) = configure(dir.path());
        let store: Arc<dyn VectorStore> =
            Arc::new(EdgeStore::open(&dir.path().join("vectors"), dim).await.unwrap());
        let local = Arc::new(mira_llm::providers::local::Local::unavailable(
            "not used by search",
        ));
        let gateway = mira_llm::setup::gateway(&config, &db, local).await.unwrap();
        let service = SearchService::new(config, db.clone(), store).with_gateway(gateway.clone());
        let service = match embedder {
            Some(e) => service.with_embedder(e),
            None => service,
        };
        let indexed = Indexed {
            root,
            db,
            project,
            service,
            gateway,
            _dir: dir,
        };
        indexed.reindex().await;
        // Without an embedder (a provider with no key) the index stays keyword-only;
        // past the budget, it stops where the limit was reached.
        if indexed.service.embedder().await.is_ok() {
            let _ = indexed
                .service
                .fill_dense(indexed.project.id, Arc::new(|_, _| {}), &CancellationToken::new())
                .await;
        }
        indexed
    }

    /// Code, git and keyword search index, as `mira index` runs them.
    pub async fn reindex(&self) -> mira_search::index::IndexSummary {
        mira_code::index::index_project(&self.db, &self.project, Arc::new(|_, _| {}))
            .await
            .unwrap();
        let git = mira_core::Config::with_data_dir(&self.root).git;
        mira_git::index::index_project(&self.db, &self.project, &git, Arc::new(|_, _| {}))
            .await
            .unwrap();
        self.service
            .index_project(&self.project, Arc::new(|_, _| {}))
            .await
            .unwrap()
    }

    pub async fn embed(&self) -> mira_search::index::DenseSummary {
        self.service
            .fill_dense(self.project.id, Arc::new(|_, _| {}), &CancellationToken::new())
            .await
            .unwrap()
    }

    pub async fn search(&self, query: &str, mode: Mode) -> SearchResponse {
        let mut request = SearchRequest::new(self.project.id, query);
        request.mode = mode;
        self.service.search(&request).await.unwrap()
    }

    pub async fn with(&self, request: SearchRequest) -> SearchResponse {
        self.service.search(&request).await.unwrap()
    }
}

/// The symbols of the results, in order.
pub fn symbols(hits: &[SearchHit]) -> Vec<String> {
    hits.iter()
        .map(|h| h.symbol.clone().unwrap_or_else(|| h.path.clone()))
        .collect()
}
