//! The ranking rules on fixtures made so that each rule decides the order: with the
//! plain RRF baseline (no rules) the order is the wrong one, with the default ranking
//! the right one. Keyword mode, so no model is needed and the scores are exact BM25.

use std::sync::Arc;

use mira_search::query::{Mode, SearchRequest, SearchResponse};
use mira_search::rank::Weights;
use mira_search::service::SearchService;
use mira_store::Db;
use mira_store::projects::{self, Project};
use mira_store::vectors::{EdgeStore, VectorStore};

use crate::common::DIM;

struct Fixture {
    db: Db,
    project: Project,
    store: Arc<dyn VectorStore>,
    config: Arc<mira_core::Config>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// `files` written under a fresh project, indexed by code and keyword search.
    async fn new(files: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        for (path, text) in files {
            let target = root.join(path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, text).unwrap();
        }
        let db = Db::open(&dir.path().join("mira.db")).await.unwrap();
        let project = projects::add(&db, &projects::canonical_root(&root).unwrap(), None)
            .await
            .unwrap();
        let store: Arc<dyn VectorStore> =
            Arc::new(EdgeStore::open(&dir.path().join("vectors"), DIM).await.unwrap());
        let config = Arc::new(mira_core::Config::with_data_dir(dir.path()));
        mira_code::index::index_project(&db, &project, Arc::new(|_, _| {}))
            .await
            .unwrap();
        let fixture = Fixture {
            db,
            project,
            store,
            config,
            _dir: dir,
        };
        fixture
            .service(Weights::DEFAULT)
            .index_project(&fixture.project, Arc::new(|_, _| {}))
            .await
            .unwrap();
        fixture
    }

    fn service(&self, weights: Weights) -> SearchService {
        SearchService::new(self.config.clone(), self.db.clone(), self.store.clone()).with_weights(weights)
    }

    async fn search(&self, query: &str, weights: Weights) -> SearchResponse {
        let mut request = SearchRequest::new(self.project.id, query);
        request.mode = Mode::Keyword;
        request.limit = 10;
        self.service(weights).search(&request).await.unwrap()
    }
}

fn first_path(r: &SearchResponse) -> &str {
    r.results.first().map_or("", |h| h.path.as_str())
}

const CACHE_PY: &str = "class Cache:
    def evict_oldest(self):
        self.entries.pop(0)
";

/// The test says the query's words more often, and in a shorter text, than the code.
const TEST_CACHE_PY: &str = "from app.cache import Cache

def test_evict_oldest_entry():
    cache = Cache()
    # evict the oldest entry, then the oldest entry is gone
    cache.evict_oldest()
    assert oldest_entry not in cache
";

#[tokio::test]
async fn tests_rank_below_the_code_they_test_unless_the_query_asks_for_tests() {
    let f = Fixture::new(&[("app/cache.py", CACHE_PY), ("tests/test_cache.py", TEST_CACHE_PY)]).await;
    let query = "evict the oldest entry";
    let plain = f.search(query, Weights::PLAIN_RRF).await;
    assert_eq!(
        first_path(&plain),
        "tests/test_cache.py",
        "the fixture must favour the test by words"
    );
    let tuned = f.search(query, Weights::DEFAULT).await;
    assert_eq!(first_path(&tuned), "app/cache.py", "{:?}", tuned.results);
    assert_eq!(tuned.files[0].path, "app/cache.py");

    let about_tests = f
        .search("tests that evict the oldest entry", Weights::DEFAULT)
        .await;
    assert_eq!(first_path(&about_tests), "tests/test_cache.py");
}

/// One function saying all of the query's words over and over: the best chunk by BM25.
const NOISY_PY: &str = "def log_line(message):
    # session cookie expiry, session cookie expiry
    print('session cookie expiry', message)
";

/// The module the query is about: each function shares one or two of its words.
const SESSIONS_PY: &str = "def open_session(request):
    return request.cookies.get('session')

def save_session(response, data):
    response.set_cookie('sid', data)

def session_expiry(data):
    return data.lifetime

def refresh_cookie(response, data):
    response.set_cookie('sid', data, max_age=3600)
";

#[tokio::test]
async fn a_file_with_many_matching_symbols_outranks_one_strong_chunk() {
    let f = Fixture::new(&[("app/logging.py", NOISY_PY), ("app/sessions.py", SESSIONS_PY)]).await;
    let query = "session cookie expiry";
    let plain = f.search(query, Weights::PLAIN_RRF).await;
    assert_eq!(
        plain.files[0].path, "app/logging.py",
        "by its best chunk alone the noisy file leads: {:?}",
        plain.files
    );
    // The evidence sum alone (whole-file BM25 left out: it is pinned by rank's unit
    // tests) decides it.
    let summed = Weights {
        whole_file: 0.0,
        ..Weights::DEFAULT
    };
    let r = f.search(query, summed).await;
    assert_eq!(r.files[0].path, "app/sessions.py", "{:?}", r.files);
    assert_eq!(r.files[0].hits, 4, "{:?}", r.files[0]);
    assert_eq!(r.files[0].score, 1.0);
    assert_eq!(r.files[1].path, "app/logging.py");
}

/// The function the query names is long and says its name once; a helper that calls it
/// repeats the name's words.
const USERS_PY: &str = "def load_user(db, key):
    row = db.execute('SELECT * FROM accounts WHERE id = ?', (key,)).fetchone()
    if row is None:
        raise KeyError(key)
    account = Account(row[0], row[1], row[2])
    account.validate()
    account.touch()
    audit.record('fetched', account.id)
    return account

def warm_user_cache(db, keys):
    # load each user, then load the user's groups: users load users
    for key in keys:
        cache[key] = load_user(db, key)
";

#[tokio::test]
async fn a_symbol_named_exactly_in_the_query_comes_first() {
    let f = Fixture::new(&[("app/users.py", USERS_PY)]).await;
    let query = "load_user fails for a user";
    let symbol = |r: &SearchResponse| {
        r.results
            .first()
            .and_then(|h| h.symbol.clone())
            .unwrap_or_default()
    };
    let plain = f.search(query, Weights::PLAIN_RRF).await;
    assert!(
        symbol(&plain).ends_with("warm_user_cache"),
        "by words the caller leads: {:?}",
        plain.results
    );
    let tuned = f.search(query, Weights::DEFAULT).await;
    assert!(symbol(&tuned).ends_with("load_user"), "{:?}", tuned.results);
    // The same words in prose name nothing: the order is the words' again.
    let prose = f.search("load user fails for a user", Weights::DEFAULT).await;
    assert!(symbol(&prose).ends_with("warm_user_cache"), "{:?}", prose.results);
}

/// Shares one word of the query; its file's name is what the query names.
const COOKIES_PY: &str = "def refresh(response, data):
    response.set_cookie('sid', data)
";

#[tokio::test]
async fn a_path_named_in_the_query_lifts_its_file() {
    let f = Fixture::new(&[("app/logging.py", NOISY_PY), ("app/cookies.py", COOKIES_PY)]).await;
    let query = "session cookie expiry in cookies.py";
    let unboosted = Weights {
        exact_boost: 0.0,
        ..Weights::DEFAULT
    };
    let by_words = f.search(query, unboosted).await;
    assert_eq!(by_words.files[0].path, "app/logging.py", "{:?}", by_words.files);
    let r = f.search(query, Weights::DEFAULT).await;
    assert_eq!(r.files[0].path, "app/cookies.py", "{:?}", r.files);
    assert_eq!(first_path(&r), "app/cookies.py", "{:?}", r.results);
}
