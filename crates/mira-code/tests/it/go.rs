use mira_code::model::ElementKind;
use mira_code::resolve::Resolution::{Exact, External, Probable};

use crate::fixture::{analyse, fixture};

#[test]
fn packages_are_named_by_import_path() {
    let a = analyse(&fixture("go"));
    assert_eq!(a.file("store/store.go").module, "example.com/shop/store");
    assert_eq!(a.file("main.go").module, "example.com/shop");
    let store = a.file("store/store.go");
    let save = store
        .elements
        .iter()
        .find(|e| e.qualified_name == "example.com/shop/store.DB.Save")
        .unwrap();
    assert_eq!(save.kind, ElementKind::Method);
    assert_eq!(store.elements[save.parent.unwrap()].name, "DB");
    let open = store.elements.iter().find(|e| e.name == "Open").unwrap();
    assert_eq!(open.type_ref.as_deref(), Some("DB"));
    assert_eq!(open.doc.as_deref(), Some("Open returns a DB for dsn."));
    let imports = &a.file("main.go").imports;
    assert!(
        imports
            .iter()
            .any(|i| i.alias == "c" && i.module == "example.com/shop/cache")
    );
    assert!(
        a.file("main_test.go")
            .elements
            .iter()
            .any(|e| e.name == "TestHelper" && e.is_test)
    );
}

#[test]
fn calls_resolve_through_packages_receivers_and_fields() {
    let a = analyse(&fixture("go"));
    let main = "example.com/shop.main";
    a.assert_call(main, "Open", "example.com/shop/store.Open", Exact);
    // Two `Save` methods: the receiver's type decides.
    a.assert_call(main, "Save", "example.com/shop/store.DB.Save", Probable);
    a.assert_call(main, "Save", "example.com/shop/cache.Cache.Save", Probable);
    a.assert_call(main, "New", "example.com/shop/cache.New", Exact);
    a.assert_call(main, "Println", "fmt.Println", External);
    a.assert_call(main, "panic", "builtin.panic", External);
    a.assert_call(main, "helper", "example.com/shop.helper", Exact);
    a.assert_call(
        "example.com/shop/store.DB.Save",
        "Write",
        "example.com/shop/store.Logger.Write",
        Exact,
    );
    a.assert_call(
        "example.com/shop.TestHelper",
        "helper",
        "example.com/shop.helper",
        Exact,
    );
}

#[test]
fn methods_promoted_from_an_embedded_struct() {
    let a = analyse(&fixture("go"));
    let server = a
        .file("server.go")
        .elements
        .iter()
        .find(|e| e.name == "Server")
        .unwrap();
    assert_eq!(server.bases, vec!["store.DB".to_string()]);
    a.assert_call(
        "example.com/shop.Server.Handle",
        "Save",
        "example.com/shop/store.DB.Save",
        Exact,
    );
}
