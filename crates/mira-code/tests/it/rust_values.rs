//! Rust values followed through extractor and `Some`/`Ok` patterns, `?` and `.unwrap()`
//! chains, fields and generic bounds, and one node per function (an inherent method, a
//! `Display` and a `Debug` impl's `fmt`, `cfg` twins), on the `rust_values` fixture, a
//! crate named `authsvc` with an integration test.

use mira_code::queries;
use mira_code::resolve::Resolution::{Exact, Probable};

use crate::fixture::{Analysis, analyse, fixture};
use crate::index::indexed;

const VERIFY: &str = "crate::auth::Auth::verify";

/// The one qualified name ending with `::name` (integration tests are named by their
/// file, which this test need not spell out).
fn named<'a>(a: &'a Analysis, name: &str) -> &'a str {
    let found: Vec<&str> = a
        .qualified_names()
        .into_iter()
        .filter(|q| q.ends_with(&format!("::{name}")))
        .collect();
    assert_eq!(found.len(), 1, "{name}: {found:?}");
    found[0]
}

#[test]
fn same_named_methods_of_one_type_are_distinct_nodes() {
    let a = analyse(&fixture("rust_values"));
    let names = a.qualified_names();
    for q in [
        "crate::auth::Auth::fmt",
        "crate::auth::Auth::fmt#Display",
        "crate::auth::Auth::fmt#Debug",
        "crate::auth::home",
        "crate::auth::home#2",
    ] {
        assert_eq!(names.iter().filter(|n| **n == q).count(), 1, "{q} in {names:?}");
    }
    // Inside the Display impl, `self.fmt()` is the inherent method (Rust's choice too).
    a.assert_call(
        "crate::auth::Auth::fmt#Display",
        "fmt",
        "crate::auth::Auth::fmt",
        Exact,
    );
    // The element keeps its plain name, which is what a user searches by.
    let display = a
        .file("src/auth.rs")
        .elements
        .iter()
        .find(|e| e.qualified_name == "crate::auth::Auth::fmt#Debug")
        .unwrap();
    assert_eq!(display.name, "fmt");
}

#[test]
fn patterns_fields_and_results_carry_the_type() {
    let a = analyse(&fixture("rust_values"));
    // `State(auth): State<Auth>`
    a.assert_call("crate::server::require_auth", "verify", VERIFY, Exact);
    // `let auth = &state.auth;`
    a.assert_call("crate::server::from_field", "verify", VERIFY, Exact);
    // `if let Some(auth) = found`: a copy of a parameter, so probable
    a.assert_call("crate::server::if_some", "verify", VERIFY, Probable);
    // `match Auth::load_or_create(path) { Ok(auth) => .. }`, `let Ok(auth) = .. else`
    a.assert_call("crate::server::matched", "verify", VERIFY, Probable);
    a.assert_call("crate::server::let_else", "verify", VERIFY, Probable);
    // `Auth::load_or_create(path)?.verify(..)`
    a.assert_call("crate::server::chained", "verify", VERIFY, Probable);
    // `.unwrap()` and `.expect(..)` chains in an integration test, inside `assert!`.
    a.assert_call(named(&a, "verifies_a_token"), "verify", VERIFY, Probable);
    a.assert_call(named(&a, "verifies_a_loaded_token"), "verify", VERIFY, Probable);
}

#[test]
fn generic_and_dyn_receivers_reach_the_trait_method() {
    let a = analyse(&fixture("rust_values"));
    for caller in ["bounded", "in_where", "dynamic"] {
        let caller = format!("crate::shapes::{caller}");
        a.assert_call(&caller, "area", "crate::shapes::Shape::area", Exact);
        a.assert_no_call(&caller, "crate::shapes::Tally::area");
    }
    // A default method's `self.area()` is the trait's.
    a.assert_call(
        "crate::shapes::Shape::describe",
        "area",
        "crate::shapes::Shape::area",
        Exact,
    );
}

#[test]
fn a_name_guess_the_receiver_type_contradicts_is_dropped() {
    let a = analyse(&fixture("rust_values"));
    // `Token` is known and has no `is_empty`: the project's only `is_empty` is not it.
    a.assert_no_call("crate::shapes::token_is_empty", "crate::shapes::Tally::is_empty");
    let edges = a.calls_named("crate::shapes::token_is_empty", "is_empty");
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0].resolution, mira_code::resolve::Resolution::Unresolved);
}

#[tokio::test]
async fn impact_names_the_tests_that_call_through_patterns_and_chains() {
    let (ix, _) = indexed("rust_values").await;
    let impact = queries::impact(&ix.db, ix.project.id, VERIFY, 3).await.unwrap();
    let mut tests: Vec<&str> = impact
        .impacted
        .iter()
        .filter(|i| i.is_test)
        .map(|i| i.symbol.rsplit("::").next().unwrap())
        .collect();
    tests.sort();
    assert_eq!(
        tests,
        [
            "rejects_through_the_middleware",
            "verifies_a_loaded_token",
            "verifies_a_token"
        ],
        "{impact:#?}"
    );
    // The middleware is reached through its extractor pattern, the test through it.
    let via = impact
        .impacted
        .iter()
        .find(|i| i.symbol.ends_with("::rejects_through_the_middleware"))
        .unwrap();
    assert_eq!(via.path[1], "crate::server::require_auth");
    // Each `fmt` is its own node: the Display impl calls the inherent one, Debug does not.
    let fmt = queries::impact(&ix.db, ix.project.id, "crate::auth::Auth::fmt", 1)
        .await
        .unwrap();
    let callers: Vec<&str> = fmt.impacted.iter().map(|i| i.symbol.as_str()).collect();
    assert_eq!(callers, ["crate::auth::Auth::fmt#Display"]);
}
