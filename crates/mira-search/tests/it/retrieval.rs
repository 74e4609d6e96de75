//! Known answers on the fixture: identifiers, natural language, filters, docs, history.

use mira_search::query::{Mode, SearchRequest};

use crate::common::{Indexed, symbols};

#[tokio::test]
async fn an_exact_identifier_comes_first_in_every_mode() {
    let ix = Indexed::new().await;
    for mode in [Mode::Keyword, Mode::Hybrid] {
        let r = ix.search("run_migrations", mode).await;
        assert_eq!(
            symbols(&r.results).first().map(String::as_str),
            Some("crate::store::Database::run_migrations"),
            "{mode:?}: {:?}",
            symbols(&r.results)
        );
        let top = &r.results[0];
        assert_eq!(top.path, "src/store.rs");
        assert_eq!(top.kind, "method");
        assert_eq!(top.language.as_deref(), Some("rust"));
        // The doc comment belongs to the chunk; the match is highlighted on the signature.
        let signature_line = crate::common::STORE_RS
            .lines()
            .position(|l| l.contains("pub fn run_migrations"))
            .unwrap() as u32
            + 1;
        assert!(
            top.lines[0] < signature_line && top.lines[1] > signature_line,
            "{:?}",
            top.lines
        );
        assert!(
            top.matched_lines.contains(&signature_line),
            "{:?}",
            top.matched_lines
        );
        assert!(top.snippet.contains("run_migrations"));
    }
    let hybrid = ix.search("run_migrations", Mode::Hybrid).await;
    assert_eq!(hybrid.mode, Mode::Hybrid);
    assert_eq!(hybrid.dense_ready, hybrid.chunks);
    assert!(hybrid.notice.is_none(), "{:?}", hybrid.notice);
}

#[tokio::test]
async fn identifier_parts_match_words_of_a_query() {
    let ix = Indexed::new().await;
    let r = ix.search("evict oldest", Mode::Keyword).await;
    assert_eq!(
        symbols(&r.results).first().map(String::as_str),
        Some("crate::cache::RecentItems::evict_oldest"),
        "{:?}",
        symbols(&r.results)
    );
}

#[tokio::test]
async fn a_query_sharing_no_word_with_the_code_is_found_by_meaning() {
    let ix = Indexed::new().await;
    let query = "how far apart are two places on the globe";
    let keyword = ix.search(query, Mode::Keyword).await;
    assert!(
        !symbols(&keyword.results).iter().any(|s| s == "app.geo.haversine"),
        "no word is shared, so BM25 cannot find it: {:?}",
        symbols(&keyword.results)
    );
    for mode in [Mode::Dense, Mode::Hybrid] {
        let r = ix.search(query, mode).await;
        let found = symbols(&r.results);
        let rank = found.iter().position(|s| s == "app.geo.haversine");
        assert!(rank.is_some_and(|r| r < 3), "{mode:?}: {found:?}");
    }
    let invoice = ix.search("amount the customer owes", Mode::Hybrid).await;
    assert!(
        symbols(&invoice.results)
            .iter()
            .take(3)
            .any(|s| s == "app.geo.Invoice.total_due"),
        "{:?}",
        symbols(&invoice.results)
    );
}

#[tokio::test]
async fn filters_narrow_by_language_path_and_kind() {
    let ix = Indexed::new().await;
    let mut r = SearchRequest::new(ix.project.id, "total");
    r.language = Some("py".into());
    let python = ix.with(r).await;
    assert!(!python.results.is_empty());
    assert!(
        python
            .results
            .iter()
            .all(|h| h.language.as_deref() == Some("python"))
    );

    let mut r = SearchRequest::new(ix.project.id, "users password cache");
    r.path = Some("./src/".into());
    let src = ix.with(r).await;
    assert!(!src.results.is_empty());
    assert!(
        src.results.iter().all(|h| h.path.starts_with("src/")),
        "{:?}",
        src.results
    );

    let mut r = SearchRequest::new(ix.project.id, "users");
    r.kind = Some("method".into());
    let methods = ix.with(r).await;
    assert!(!methods.results.is_empty());
    assert!(methods.results.iter().all(|h| h.kind == "method"));

    let mut r = SearchRequest::new(ix.project.id, "users");
    r.path = Some("src/auth.rs".into());
    r.mode = Mode::Keyword;
    let none = ix.with(r).await;
    assert!(none.results.is_empty(), "{:?}", none.results);
}

#[tokio::test]
async fn markdown_sections_and_commits_are_searchable() {
    let ix = Indexed::new().await;
    let r = ix.search("install linux", Mode::Keyword).await;
    let top = &r.results[0];
    assert_eq!(top.path, "docs/guide.md");
    assert_eq!(top.kind, "doc");
    assert_eq!(top.symbol.as_deref(), Some("Guide > Install on Linux"));

    let mut r = SearchRequest::new(ix.project.id, "crash empty list");
    r.collection = Some("git".into());
    let commits = ix.with(r).await;
    assert_eq!(commits.collection, "git");
    assert!(
        commits.results[0]
            .snippet
            .starts_with("Fix crash when the recent items list is empty")
    );
    // Commits carry the directories they touched: a path filter applies to them too.
    let mut r = SearchRequest::new(ix.project.id, "SQLite");
    r.collection = Some("git".into());
    r.path = Some("app".into());
    r.mode = Mode::Keyword;
    let in_app = ix.with(r).await;
    assert!(
        in_app.results.iter().all(|h| h.snippet.starts_with("Fix crash")),
        "{:?}",
        in_app.results
    );
}

#[tokio::test]
async fn bad_requests_say_what_to_do() {
    let ix = Indexed::new().await;
    let empty = ix.service.search(&SearchRequest::new(ix.project.id, "   ")).await;
    assert!(empty.unwrap_err().to_string().contains("empty"));
    let mut r = SearchRequest::new(ix.project.id, "x");
    r.collection = Some("nope".into());
    assert!(
        ix.service
            .search(&r)
            .await
            .unwrap_err()
            .to_string()
            .contains("use code, git or conversation")
    );
}

/// Every chunk has a nearest neighbour; a query that means nothing gets no page of weak
/// dense hits but an empty answer.
#[tokio::test]
async fn gibberish_finds_nothing_instead_of_weak_neighbours() {
    let ix = Indexed::new().await;
    for mode in [Mode::Dense, Mode::Hybrid, Mode::Keyword] {
        let r = ix.search("qwxzvk plombrix frazzleborp", mode).await;
        assert!(r.results.is_empty(), "{mode:?}: {:?}", symbols(&r.results));
    }
    let real = ix
        .search("distance between two points on earth", Mode::Dense)
        .await;
    assert!(
        symbols(&real.results).iter().any(|s| s == "app.geo.haversine"),
        "{:?}",
        symbols(&real.results)
    );
}
