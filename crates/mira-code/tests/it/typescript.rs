use mira_code::model::{ElementKind, Visibility};
use mira_code::resolve::Resolution::{Exact, External};

use crate::fixture::{analyse, fixture};

#[test]
fn classes_interfaces_and_exports() {
    let a = analyse(&fixture("ts"));
    let user = a.file("src/models/user.ts");
    assert_eq!(user.module, "src/models/user");
    let format = user.elements.iter().find(|e| e.name == "format").unwrap();
    assert_eq!(format.visibility, Visibility::Public);
    assert_eq!(format.doc.as_deref(), Some("Turns a name into a greeting."));
    let admin = a.file("src/models/admin.ts");
    let class = admin.elements.iter().find(|e| e.name == "Admin").unwrap();
    assert_eq!(
        (class.kind, class.bases.clone()),
        (ElementKind::Class, vec!["User".to_string()])
    );
    assert_eq!(a.file("src/models/index.ts").module, "src/models");
    let reexports = &a.file("src/models/index.ts").imports;
    assert!(
        reexports
            .iter()
            .any(|i| i.reexport && i.alias == "Administrator" && i.name.as_deref() == Some("Admin"))
    );
    let names = a.qualified_names();
    assert!(names.contains(&"src/models/user.User.greet"));
    assert!(names.contains(&"src/app.App"));
    assert!(names.contains(&"src/util.joinAll"));
}

#[test]
fn calls_through_re_exports_inheritance_and_constructors() {
    let a = analyse(&fixture("ts"));
    let app = "src/app.App";
    a.assert_call(app, "Repo", "src/services/repo.Repo", Exact);
    // Admin has no constructor of its own: `new` runs the one it inherits from User.
    a.assert_call(app, "Administrator", "src/models/user.User.constructor", Exact);
    // Re-exported under another name, then a method of the class behind it.
    a.assert_call(app, "promote", "src/models/admin.Admin.promote", Exact);
    // Repo.save, not User.save.
    a.assert_call(app, "save", "src/services/repo.Repo.save", Exact);
    a.assert_no_call(app, "src/models/user.User.save");
    a.assert_call(app, "useState", "react.useState", External);
    // `this.save()` in a subclass reaches the base class method.
    a.assert_call(
        "src/models/admin.Admin.promote",
        "save",
        "src/models/user.User.save",
        Exact,
    );
    a.assert_call(
        "src/models/user.User.greet",
        "format",
        "src/models/user.format",
        Exact,
    );
    a.assert_call(
        "src/models/user.User.save",
        "log",
        "globalThis.console.log",
        External,
    );
    a.assert_call("src/util.joinAll", "join", "path.join", External);
}
