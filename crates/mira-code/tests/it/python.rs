use mira_code::model::{ElementKind, Visibility};
use mira_code::resolve::Resolution::{Exact, External, Probable, Unresolved};

use crate::fixture::{analyse, fixture};

#[test]
fn modules_are_named_by_dotted_path_and_packages_by_init() {
    let a = analyse(&fixture("python"));
    let init = a.file("shop/__init__.py");
    assert_eq!(init.module, "shop");
    assert_eq!(init.elements[0].kind, ElementKind::Module);
    assert_eq!(a.file("shop/models.py").module, "shop.models");
    let names = a.qualified_names();
    for q in [
        "shop.models.Entity.save",
        "shop.models.Order.__init__",
        "shop.models.Invoice.save",
        "shop.service.OrderService._log.fmt",
        "tests.test_service.test_place_returns_json",
    ] {
        assert!(names.contains(&q), "missing {q}");
    }
}

#[test]
fn elements_carry_docs_signatures_visibility_bases_and_tests() {
    let a = analyse(&fixture("python"));
    let models = a.file("shop/models.py");
    let order = models.elements.iter().find(|e| e.name == "Order").unwrap();
    assert_eq!(order.kind, ElementKind::Class);
    assert_eq!(order.bases, vec!["Entity"]);
    assert_eq!(order.signature, "class Order(Entity)");
    let entity = models.elements.iter().find(|e| e.name == "Entity").unwrap();
    assert_eq!(
        entity.doc.as_deref(),
        Some("Something with an identity that can be saved.")
    );
    let save = models
        .elements
        .iter()
        .find(|e| e.qualified_name == "shop.models.Entity.save")
        .unwrap();
    assert_eq!(save.kind, ElementKind::Method);
    assert_eq!(models.elements[save.parent.unwrap()].name, "Entity");
    assert_eq!(save.span.start_line, 12);
    let service = a.file("shop/service.py");
    let log = service.elements.iter().find(|e| e.name == "_log").unwrap();
    assert_eq!(log.visibility, Visibility::Private);
    let test = a.file("tests/test_service.py");
    assert!(
        test.elements
            .iter()
            .any(|e| e.name == "test_place_returns_json" && e.is_test)
    );
    assert!(!service.has_tests());
}

#[test]
fn imports_are_absolute_with_aliases() {
    let a = analyse(&fixture("python"));
    let service = a.file("shop/service.py");
    let alias = service
        .imports
        .iter()
        .find(|i| i.alias == "open_repository")
        .unwrap();
    assert_eq!(alias.module, "shop.storage");
    assert_eq!(alias.name.as_deref(), Some("connect"));
    let bill = service.imports.iter().find(|i| i.alias == "Bill").unwrap();
    assert_eq!(bill.name.as_deref(), Some("Invoice"));
    let init = a.file("shop/__init__.py");
    assert!(
        init.imports
            .iter()
            .any(|i| i.module == "shop.models" && i.alias == "Order")
    );
}

#[test]
fn same_method_name_on_different_types_resolves_by_receiver_type() {
    let a = analyse(&fixture("python"));
    let place = "shop.service.OrderService.place";
    // `order = Order(items)`; `order.save()` is Entity.save through inheritance,
    // not Invoice.save nor Repository.save (a name-only matcher cannot tell).
    a.assert_call(place, "save", "shop.models.Entity.save", Exact);
    // `self.repo = open_repository(url)` -> connect() -> Repository.
    a.assert_call(place, "save", "shop.storage.Repository.save", Probable);
    // `bill = Bill()` where Bill is `Invoice` imported under another name.
    a.assert_call(place, "save", "shop.models.Invoice.save", Exact);
    assert_eq!(a.calls_named(place, "save").len(), 3);
    a.assert_call(place, "validate", "shop.models.Order.validate", Exact);
    a.assert_call(place, "record", "shop.service.AuditLog.record", Exact);
}

#[test]
fn constructors_self_methods_nested_functions_and_builtins() {
    let a = analyse(&fixture("python"));
    let place = "shop.service.OrderService.place";
    a.assert_call(place, "Order", "shop.models.Order.__init__", Exact);
    a.assert_call(place, "_log", "shop.service.OrderService._log", Exact);
    a.assert_call(place, "dumps", "json.dumps", External);
    let log = "shop.service.OrderService._log";
    a.assert_call(log, "fmt", "shop.service.OrderService._log.fmt", Exact);
    a.assert_call(log, "print", "builtins.print", External);
    a.assert_call("shop.models.Entity.save", "persist", "shop.models.persist", Exact);
    a.assert_call(
        "shop.storage.connect",
        "Repository",
        "shop.storage.Repository.__init__",
        Exact,
    );
}

#[test]
fn a_parameter_shadows_the_module_function_of_the_same_name() {
    let a = analyse(&fixture("python"));
    a.assert_no_call("shop.service.report", "shop.service.save");
    a.assert_call("shop.service.report", "save", "save", Unresolved);
}

#[test]
fn module_level_code_is_a_caller_named_by_the_module() {
    let a = analyse(&fixture("python"));
    a.assert_call(
        "shop.service",
        "OrderService",
        "shop.service.OrderService.__init__",
        Exact,
    );
    a.assert_call("shop.service", "place", "shop.service.OrderService.place", Exact);
    // Across packages: the test imports through the package path.
    let test = "tests.test_service.test_place_returns_json";
    a.assert_call(test, "place", "shop.service.OrderService.place", Exact);
}
