use mira_code::model::{ElementKind, Visibility};
use mira_code::resolve::Resolution::{Exact, External, Probable, Unresolved};

use crate::fixture::{analyse, fixture};

#[test]
fn items_have_crate_paths_kinds_docs_and_visibility() {
    let a = analyse(&fixture("rust"));
    assert_eq!(a.file("src/lib.rs").module, "crate");
    let store = a.file("src/store.rs");
    assert_eq!(store.module, "crate::store");
    let insert = store
        .elements
        .iter()
        .find(|e| e.qualified_name == "crate::store::Store::insert")
        .unwrap();
    assert_eq!(insert.kind, ElementKind::Method);
    assert_eq!(insert.visibility, Visibility::Public);
    assert_eq!(insert.signature, "pub fn insert(&mut self, item: Item)");
    assert_eq!(store.elements[insert.parent.unwrap()].kind, ElementKind::Impl);
    let touch = store.elements.iter().find(|e| e.name == "touch").unwrap();
    assert_eq!(touch.visibility, Visibility::Private);
    let describe_impl = store
        .elements
        .iter()
        .find(|e| e.kind == ElementKind::Impl && e.bases == vec!["Describe".to_string()])
        .unwrap();
    assert_eq!(describe_impl.qualified_name, "crate::store::Store");
    let open = a
        .file("src/lib.rs")
        .elements
        .iter()
        .find(|e| e.name == "open")
        .unwrap();
    assert_eq!(open.doc.as_deref(), Some("Opens the inventory at `path`."));
    assert_eq!(open.type_ref.as_deref(), Some("Backend"));
    let field = store
        .elements
        .iter()
        .find(|e| e.qualified_name == "crate::store::Store::log")
        .unwrap();
    assert_eq!(
        (field.kind, field.type_ref.as_deref()),
        (ElementKind::Field, Some("Journal"))
    );
    let names = a.qualified_names();
    assert!(names.contains(&"crate::report::tests::counts_an_empty_store"));
    assert!(names.contains(&"crate::report::print_summary::heading"));
    let report = a.file("src/report.rs");
    assert!(
        report
            .elements
            .iter()
            .any(|e| e.name == "counts_an_empty_store" && e.is_test)
    );
}

#[test]
fn use_trees_become_imports_with_aliases() {
    let a = analyse(&fixture("rust"));
    let lib = a.file("src/lib.rs");
    let backend = lib.imports.iter().find(|i| i.alias == "Backend").unwrap();
    assert_eq!(
        (backend.module.as_str(), backend.name.as_deref()),
        ("crate::store", Some("Store"))
    );
    let item = lib.imports.iter().find(|i| i.alias == "Item").unwrap();
    assert!(item.reexport);
    let report = a.file("src/report.rs");
    let glob = report.imports.iter().find(|i| i.alias == "*").unwrap();
    assert_eq!(
        (glob.module.as_str(), glob.scope.as_str()),
        ("super", "crate::report::tests")
    );
}

#[test]
fn same_method_name_on_different_types() {
    let a = analyse(&fixture("rust"));
    // `store` comes from `open()` (returns `Backend`, an alias of Store), copied once.
    a.assert_call("crate::run", "insert", "crate::store::Store::insert", Probable);
    // `Cache::default()` is the Default impl, so `cache.insert` is Cache's.
    a.assert_call("crate::run", "insert", "crate::model::Cache::insert", Probable);
    assert_eq!(a.calls_named("crate::run", "insert").len(), 2);
    // A trait impl's method is named with its trait: one node per function.
    a.assert_call(
        "crate::run",
        "default",
        "crate::model::Cache::default#Default",
        Exact,
    );
    a.assert_call("crate::run", "new", "crate::model::Item::new", Exact);
}

#[test]
fn paths_aliases_self_fields_and_traits() {
    let a = analyse(&fixture("rust"));
    a.assert_call("crate::open", "open", "crate::store::Store::open", Exact);
    let insert = "crate::store::Store::insert";
    a.assert_call(insert, "append", "crate::store::Journal::append", Exact);
    a.assert_call(insert, "touch", "crate::store::Store::touch", Exact);
    // `items: HashMap<..>`: the standard library's insert, kept as an external node.
    a.assert_call(insert, "insert", "std::collections::HashMap::insert", External);
    // A default method of a trait the type implements.
    a.assert_call(
        "crate::store::describe_store",
        "describe",
        "crate::store::Describe::describe",
        Exact,
    );
    a.assert_call(
        "crate::store::Describe::describe",
        "name",
        "crate::store::Describe::name",
        Exact,
    );
    a.assert_call(
        "crate::run",
        "print_summary",
        "crate::report::print_summary",
        Exact,
    );
}

#[test]
fn nested_functions_shadowing_and_calls_inside_macros() {
    let a = analyse(&fixture("rust"));
    a.assert_call(
        "crate::report::print_summary",
        "heading",
        "crate::report::print_summary::heading",
        Exact,
    );
    a.assert_call(
        "crate::report::print_summary",
        "count",
        "crate::report::count",
        Exact,
    );
    // The closure `count` shadows the function.
    a.assert_no_call("crate::report::shadowed", "crate::report::count");
    a.assert_call("crate::report::shadowed", "count", "count", Unresolved);
    // Inside `assert_eq!(..)`, through `use super::*` in the test module.
    let test = "crate::report::tests::counts_an_empty_store";
    a.assert_call(test, "count", "crate::report::count", Exact);
    a.assert_call(test, "open", "crate::store::Store::open", Exact);
}

#[test]
fn items_inside_macros_are_items_and_positions_stay_true() {
    let a = analyse(&fixture("rust"));
    let lib = a.file("src/lib.rs");
    let restock = lib.elements.iter().find(|e| e.name == "restock").unwrap();
    assert_eq!(restock.qualified_name, "crate::restock");
    assert_eq!(
        restock.doc.as_deref(),
        Some("Tops up an item; only with the `extra` feature.")
    );
    assert_eq!(
        restock.span.start_line, 21,
        "the line in the file, not in the macro"
    );
    a.assert_call("crate::restock", "insert", "crate::store::Store::insert", Exact);
    let call = a.calls_named("crate::restock", "insert")[0];
    assert_eq!(call.line, 22);
}

#[test]
fn integration_tests_name_the_crate_by_its_package_name() {
    let a = analyse(&fixture("rust"));
    let test = "crate::tests::smoke::opens_and_runs";
    a.assert_call(test, "open", "crate::store::Store::open", Exact);
    a.assert_call(test, "describe_store", "crate::store::describe_store", Exact);
    a.assert_call(test, "run", "crate::run", Exact);
    assert!(
        a.file("tests/smoke.rs")
            .elements
            .iter()
            .any(|e| e.name == "opens_and_runs" && e.is_test)
    );
}

/// `let (a, b) = (A::new(), B::new())`, an annotated tuple and a nested one: each name
/// takes the type of its position, so two `save` methods are told apart.
#[test]
fn tuple_patterns_type_each_name_by_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/lib.rs"),
        r#"pub struct Disk;
pub struct Cloud;

impl Disk {
    pub fn new() -> Disk {
        Disk
    }
    pub fn save(&self) {}
}

impl Cloud {
    pub fn new() -> Cloud {
        Cloud
    }
    pub fn save(&self) {}
}

fn both() -> (Cloud, Disk) {
    (Cloud::new(), Disk::new())
}

pub fn constructed() {
    let (disk, cloud) = (Disk::new(), Cloud::new());
    disk.save();
    cloud.save();
}

pub fn annotated() {
    let (first, second): (Cloud, Disk) = both();
    first.save();
    second.save();
}

pub fn nested() {
    let ((inner, _), mut outer) = ((Cloud::new(), 1), Disk::new());
    inner.save();
    outer.save();
}
"#,
    )
    .unwrap();
    let a = analyse(dir.path());
    let saves = |caller: &str| -> Vec<String> {
        let mut found: Vec<(u32, String)> = a
            .calls_named(caller, "save")
            .iter()
            .map(|e| (e.line, e.callee.clone()))
            .collect();
        found.sort();
        found.into_iter().map(|(_, c)| c).collect()
    };
    assert_eq!(
        saves("crate::constructed"),
        ["crate::Disk::save", "crate::Cloud::save"]
    );
    assert_eq!(
        saves("crate::annotated"),
        ["crate::Cloud::save", "crate::Disk::save"]
    );
    assert_eq!(
        saves("crate::nested"),
        ["crate::Cloud::save", "crate::Disk::save"]
    );
}

/// Annotated closure parameters type their uses inside the closure, and a local of the
/// same name bound before the closure keeps its own type after it.
#[test]
fn annotated_closure_parameters_are_typed_while_the_closure_lasts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/lib.rs"),
        r#"pub struct Disk;
pub struct Cloud;

impl Disk {
    pub fn new() -> Disk {
        Disk
    }
    pub fn save(&self) {}
}

impl Cloud {
    pub fn save(&self) {}
}

pub fn closures(clouds: Vec<Cloud>) {
    clouds.iter().for_each(|c: &Cloud| c.save());
    let store = Disk::new();
    let keep = |store: Cloud| {
        store.save();
    };
    store.save();
    keep(Cloud);
}
"#,
    )
    .unwrap();
    let a = analyse(dir.path());
    let mut found: Vec<(u32, String)> = a
        .calls_named("crate::closures", "save")
        .iter()
        .map(|e| (e.line, e.callee.clone()))
        .collect();
    found.sort();
    let callees: Vec<&str> = found.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(
        callees,
        ["crate::Cloud::save", "crate::Cloud::save", "crate::Disk::save"]
    );
}
