//! The concept index: tags derived from packages and names, found by concept queries.

use mira_search::concepts;
use mira_search::query::Mode;

use crate::common::{Indexed, symbols};

#[tokio::test]
async fn database_code_is_tagged_and_found_by_a_concept_query() {
    let ix = Indexed::new().await;
    let rules = ix.service.rules().await.unwrap();
    let tagged = concepts::symbols_with(ix.service.db(), &rules, ix.project.id, "db")
        .await
        .unwrap();
    let names: Vec<&str> = tagged.iter().map(|t| t.symbol.as_str()).collect();
    for s in [
        "crate::store::Database::open",
        "crate::store::Database::run_migrations",
        "crate::store::Database::load_user",
    ] {
        assert!(names.contains(&s), "{s} missing from {names:?}");
    }
    assert!(!names.contains(&"crate::auth::verify_password"), "{names:?}");
    let open = tagged
        .iter()
        .find(|t| t.symbol == "crate::store::Database::open")
        .unwrap();
    assert_eq!(open.concept, "database");

    // "database" never appears in `load_user`; the concept list brings it in, by keyword
    // alone too.
    for mode in [Mode::Keyword, Mode::Hybrid] {
        let r = ix.search("find all database access code", mode).await;
        assert_eq!(r.concepts, ["database"]);
        let found = symbols(&r.results);
        assert!(
            found
                .iter()
                .take(5)
                .any(|s| s == "crate::store::Database::load_user"),
            "{mode:?}: {found:?}"
        );
        let load = r
            .results
            .iter()
            .find(|h| h.symbol.as_deref() == Some("crate::store::Database::load_user"))
            .unwrap();
        assert!(load.concepts.contains(&"database".to_string()));
    }
    let auth = ix.search("authentication", Mode::Keyword).await;
    assert_eq!(
        symbols(&auth.results).first().map(String::as_str),
        Some("crate::auth::verify_password")
    );
}

#[tokio::test]
async fn a_user_rule_tags_code_at_the_next_index() {
    let ix = Indexed::new().await;
    let rules = ix.service.rules().await.unwrap();
    assert!(
        concepts::symbols_with(ix.service.db(), &rules, ix.project.id, "geodesy")
            .await
            .unwrap()
            .is_empty()
    );
    ix.service
        .add_rule("identifier", "haversine", "geodesy")
        .await
        .unwrap();
    ix.service
        .add_rule("synonym", "great circle", "geodesy")
        .await
        .unwrap();
    // The next index re-tags every file, without embedding anything again.
    let summary = ix.reindex().await;
    assert_eq!(summary.chunks_written, 0, "{summary:?}");
    assert_eq!(summary.pending_dense, 0, "{summary:?}");
    let rules = ix.service.rules().await.unwrap();
    let tagged = concepts::symbols_with(ix.service.db(), &rules, ix.project.id, "great circle")
        .await
        .unwrap();
    assert_eq!(
        tagged.iter().map(|t| t.symbol.as_str()).collect::<Vec<_>>(),
        ["app.geo.haversine"]
    );
    assert!(
        ix.service
            .add_rule("colour", "x", "y")
            .await
            .unwrap_err()
            .to_string()
            .contains("package, identifier or synonym")
    );
}
