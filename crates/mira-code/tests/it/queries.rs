//! Queries over an indexed fixture: symbols, callers, callees, impact, definitions and
//! the whole graph.

use mira_code::queries;

use crate::index::indexed;

#[tokio::test]
async fn symbols_by_qualified_name_by_name_and_fuzzy() {
    let (ix, _) = indexed("python").await;
    let exact = queries::find_symbols(&ix.db, ix.project.id, "shop.models.Entity.save", 10)
        .await
        .unwrap();
    assert_eq!(exact.len(), 1);
    assert_eq!(
        (
            exact[0].file.as_str(),
            exact[0].start_line,
            exact[0].kind.as_str()
        ),
        ("shop/models.py", 12, "method")
    );
    assert_eq!(exact[0].parent.as_deref(), Some("shop.models.Entity"));
    let by_name = queries::find_symbols(&ix.db, ix.project.id, "save", 10)
        .await
        .unwrap();
    let names: Vec<&str> = by_name.iter().map(|s| s.qualified_name.as_str()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&"shop.storage.Repository.save"));
    let fuzzy = queries::find_symbols(&ix.db, ix.project.id, "orderserv", 10)
        .await
        .unwrap();
    assert_eq!(fuzzy[0].qualified_name, "shop.service.OrderService");
    let outline = queries::file_symbols(&ix.db, ix.project.id, "shop/storage.py")
        .await
        .unwrap();
    let kinds: Vec<(&str, &str)> = outline
        .iter()
        .map(|s| (s.name.as_str(), s.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("storage", "module"),
            ("Repository", "class"),
            ("__init__", "method"),
            ("url", "field"),
            ("rows", "field"),
            ("save", "method"),
            ("connect", "function")
        ]
    );
}

#[tokio::test]
async fn callers_and_callees_with_call_sites() {
    let (ix, _) = indexed("python").await;
    let callers = queries::callers(&ix.db, ix.project.id, "shop.models.Entity.save")
        .await
        .unwrap();
    assert_eq!(callers.len(), 1);
    assert_eq!(callers[0].symbol, "shop.service.OrderService.place");
    assert_eq!(
        (callers[0].file.as_str(), callers[0].line),
        ("shop/service.py", 22)
    );
    assert_eq!(callers[0].resolution, "exact");
    let callees = queries::callees(&ix.db, ix.project.id, "shop.service.OrderService._log")
        .await
        .unwrap();
    let got: Vec<(&str, &str)> = callees
        .iter()
        .map(|c| (c.symbol.as_str(), c.kind.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("builtins.print", "external"),
            ("shop.service.OrderService._log.fmt", "function")
        ]
    );
}

#[tokio::test]
async fn impact_follows_callers_with_paths_and_flags_tests() {
    let (ix, _) = indexed("python").await;
    let impact = queries::impact(&ix.db, ix.project.id, "shop.models.Order.validate", 3)
        .await
        .unwrap();
    let reached: Vec<(&str, u32, bool)> = impact
        .impacted
        .iter()
        .map(|i| (i.symbol.as_str(), i.depth, i.is_test))
        .collect();
    assert!(
        reached.contains(&("shop.service.OrderService.place", 1, false)),
        "{reached:?}"
    );
    assert!(
        reached.contains(&("tests.test_service.test_place_returns_json", 2, true)),
        "{reached:?}"
    );
    assert!(reached.contains(&("shop.service", 2, false)), "{reached:?}");
    let test = impact.impacted.iter().find(|i| i.is_test).unwrap();
    assert_eq!(
        test.path,
        vec![
            "shop.models.Order.validate",
            "shop.service.OrderService.place",
            "tests.test_service.test_place_returns_json"
        ]
    );
    assert_eq!(impact.tests, 1);
    let shallow = queries::impact(&ix.db, ix.project.id, "shop.models.Order.validate", 1)
        .await
        .unwrap();
    assert_eq!(shallow.impacted.len(), 1);
}

#[tokio::test]
async fn definition_by_position() {
    let (ix, _) = indexed("python").await;
    // Line 22 is `        order.save()`; column 15 is on `save`.
    let def = queries::definition_at(&ix.db, ix.project.id, "shop/service.py", 22, 15)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(def.qualified_name, "shop.models.Entity.save");
    // Inside a body with no call there: the enclosing definition.
    let here = queries::definition_at(&ix.db, ix.project.id, "shop/storage.py", 11, 8)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(here.qualified_name, "shop.storage.Repository.save");
}

#[tokio::test]
async fn the_whole_graph_has_both_ends_of_every_edge() {
    let (ix, summary) = indexed("rust").await;
    let graph = queries::callgraph(&ix.db, ix.project.id, None).await.unwrap();
    assert_eq!(graph.edges.len() as i64, summary.edges);
    let ids: std::collections::HashSet<&str> = graph.nodes.iter().map(|n| n.id.as_str()).collect();
    for e in &graph.edges {
        assert!(ids.contains(e.caller.as_str()), "no node for caller {}", e.caller);
        assert!(ids.contains(e.callee.as_str()), "no node for callee {}", e.callee);
    }
    let external = graph
        .nodes
        .iter()
        .find(|n| n.id == "std::collections::HashMap::insert")
        .unwrap();
    assert_eq!(
        (external.kind.as_str(), external.file.as_deref()),
        ("external", None)
    );
    let json = serde_json::to_value(&graph).unwrap();
    let node = &json["nodes"][0];
    for key in ["id", "kind", "file", "line", "language"] {
        assert!(node.get(key).is_some(), "node lacks {key}: {node}");
    }
    let edge = &json["edges"][0];
    for key in ["caller", "callee", "resolution", "file", "line"] {
        assert!(edge.get(key).is_some(), "edge lacks {key}: {edge}");
    }
    let sub = queries::callgraph(&ix.db, ix.project.id, Some("src/report.rs"))
        .await
        .unwrap();
    assert!(sub.edges.iter().all(|e| e.file == "src/report.rs"));
    assert!(
        sub.nodes.iter().any(|n| n.id == "crate::store::Store::open"),
        "callee outside the prefix is a node"
    );
}

#[tokio::test]
async fn impact_from_memory_equals_impact_from_sqlite_and_sees_reindexing() {
    for fixture in ["python", "rust", "ts", "go"] {
        let (ix, _) = indexed(fixture).await;
        let callees: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT callee FROM call_graph WHERE resolution IN ('exact', 'probable') ORDER BY 1",
        )
        .fetch_all(ix.db.pool())
        .await
        .unwrap();
        assert!(callees.len() > 5, "{fixture}: {callees:?}");
        let mut reached = 0;
        for callee in &callees {
            for depth in 1..=3 {
                let kept = queries::impact(&ix.db, ix.project.id, callee, depth)
                    .await
                    .unwrap();
                let read = queries::impact_uncached(&ix.db, ix.project.id, callee, depth)
                    .await
                    .unwrap();
                assert_eq!(
                    kept.impacted, read.impacted,
                    "{fixture}: {callee} at depth {depth}"
                );
                assert_eq!(kept.tests, read.tests);
                reached += kept.impacted.len();
            }
        }
        assert!(reached > callees.len(), "{fixture}: impact reached too little");
    }

    // After a re-index the kept graph is not used as it was.
    let (ix, _) = indexed("python").await;
    let before = queries::impact(&ix.db, ix.project.id, "shop.models.persist", 2)
        .await
        .unwrap();
    let again = queries::impact(&ix.db, ix.project.id, "shop.models.persist", 2)
        .await
        .unwrap();
    assert_eq!(before.impacted, again.impacted);
    let path = ix.root().join("shop/storage.py");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(
            "class Repository:",
            "from shop.models import persist\n\n\ndef flush(order):\n    return persist(order)\n\n\nclass Repository:",
        ),
    )
    .unwrap();
    ix.reindex().await;
    let after = queries::impact(&ix.db, ix.project.id, "shop.models.persist", 2)
        .await
        .unwrap();
    assert!(
        after
            .impacted
            .iter()
            .any(|i| i.symbol == "shop.storage.flush" && i.depth == 1),
        "{:?}",
        after.impacted
    );
    let read = queries::impact_uncached(&ix.db, ix.project.id, "shop.models.persist", 2)
        .await
        .unwrap();
    assert_eq!(after.impacted, read.impacted);
}
