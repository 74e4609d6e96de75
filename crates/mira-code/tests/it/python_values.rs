//! Python calls through values (tests/fixtures/python_values): each construct's call
//! reaches exactly the definitions the value can be, and the src-layout project
//! (tests/fixtures/python_src) names its modules from inside `src/`.

use mira_code::queries;
use mira_code::resolve::Resolution::{Exact, Probable};

use crate::fixture::{Analysis, analyse, fixture};
use crate::index::indexed;

/// The callees of `caller` (qualified names of project definitions), sorted.
fn callees(a: &Analysis, caller: &str) -> Vec<String> {
    let mut out: Vec<String> = a
        .edges
        .iter()
        .filter(|e| e.caller == caller && e.callee_kind.is_some())
        .map(|e| e.callee.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[track_caller]
fn assert_callees(a: &Analysis, caller: &str, expected: &[&str]) {
    let q = |n: &str| format!("values.{n}");
    let mut want: Vec<String> = expected.iter().map(|n| q(n)).collect();
    want.sort();
    assert_eq!(callees(a, &q(caller)), want, "callees of {caller}");
}

#[test]
fn functions_followed_through_variables_tuples_and_chains() {
    let a = analyse(&fixture("python_values"));
    assert_callees(&a, "assigned", &["target"]);
    assert_callees(&a, "tuples", &["other"]);
    assert_callees(&a, "chained", &["other"]);
    a.assert_call("values.assigned", "target", "values.target", Probable);
}

#[test]
fn arguments_keywords_and_returned_functions() {
    let a = analyse(&fixture("python_values"));
    assert_callees(&a, "passes", &["calls_param"]);
    assert_callees(&a, "calls_param", &["target"]);
    assert_callees(&a, "calls_kw", &["other"]);
    assert_callees(&a, "calls_returned", &["other", "returns_fn"]);
}

#[test]
fn dict_and_list_items() {
    let a = analyse(&fixture("python_values"));
    assert_callees(&a, "dispatch", &["target"]);
    assert_callees(&a, "from_list", &["other"]);
}

#[test]
fn lambdas_are_nodes_of_their_own() {
    let a = analyse(&fixture("python_values"));
    assert_callees(&a, "uses_lambda", &["uses_lambda.<lambda1>"]);
    assert_callees(&a, "uses_lambda.<lambda1>", &["target"]);
}

#[test]
fn decorators_are_called_at_definition_and_calls_reach_the_wrapper() {
    let a = analyse(&fixture("python_values"));
    a.assert_call("values", "wrap", "values.wrap", Exact);
    assert_callees(&a, "calls_decorated", &["wrap.wrapper"]);
    assert_callees(&a, "wrap.wrapper", &["decorated"]);
}

#[test]
fn methods_stored_on_self_constructors_super_iteration_and_with() {
    let a = analyse(&fixture("python_values"));
    assert_callees(&a, "Base.run", &["Child.concrete"]);
    assert_callees(&a, "make_child", &["Base.run", "Child.__init__"]);
    assert_callees(&a, "Sub.__init__", &["Counter.__init__"]);
    assert_callees(
        &a,
        "iterate",
        &["Counter.__init__", "Counter.__iter__", "Counter.__next__"],
    );
    // `Session()` links to the class itself: it defines no `__init__`.
    assert_callees(
        &a,
        "with_session",
        &["Session", "Session.__enter__", "Session.__exit__"],
    );
}

#[test]
fn src_layout_modules_are_named_from_inside_src() {
    let a = analyse(&fixture("python_src"));
    assert_eq!(a.file("src/pkg/helpers.py").module, "pkg.helpers");
    assert_eq!(a.file("src/pkg/__init__.py").module, "pkg");
    assert_eq!(a.file("tests/test_helpers.py").module, "tests.test_helpers");
    a.assert_call(
        "tests.test_helpers.test_url_for",
        "url_for",
        "pkg.helpers.url_for",
        Exact,
    );
    // A test's parameter is its pytest fixture's value (conftest's `app()` returns an App).
    a.assert_call(
        "tests.test_helpers.test_route",
        "route",
        "pkg.app.App.route",
        Probable,
    );
}

#[tokio::test]
async fn impact_of_a_src_layout_function_names_the_test_that_imports_the_package() {
    let (ix, _) = indexed("python_src").await;
    let impact = queries::impact(&ix.db, ix.project.id, "pkg.helpers.url_for", 3)
        .await
        .unwrap();
    let tests: Vec<&str> = impact
        .impacted
        .iter()
        .filter(|i| i.is_test)
        .map(|i| i.symbol.as_str())
        .collect();
    assert_eq!(tests, vec!["tests.test_helpers.test_url_for"]);
    assert_eq!(impact.tests, 1);
}

#[test]
fn multiple_inheritance_follows_c3_and_raise_constructs() {
    let a = analyse(&fixture("python_values"));
    // Diamond, Left, Right, Root: Right's method, not Root's found through Left.
    assert_callees(&a, "diamond", &["Diamond", "Right.func"]);
    assert_callees(&a, "fails", &["Failure.__init__"]);
}

#[test]
fn a_function_handed_to_code_not_followed_is_a_reference_edge() {
    let a = analyse(&fixture("python_values"));
    // `sorted(.., key=target)`: the built-in calls it, so `registers` links to it.
    assert_callees(&a, "registers", &["target"]);
    // Handed to a function of the file whose parameter is followed: no extra edge.
    assert_callees(&a, "passes", &["calls_param"]);
}
