//! Glob imports re-link only when the module they import from changes what it exports:
//! a save elsewhere leaves them alone, and the result still equals a rebuild.

use std::sync::Arc;

use mira_code::index::index_project;
use mira_store::Db;
use mira_store::projects;

use crate::index::Indexed;

async fn project_of(files: &[(&str, &str)]) -> Indexed {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    for (path, text) in files {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let db = Db::open(&dir.path().join("data/mira.db")).await.unwrap();
    let project = projects::add(&db, &root, None).await.unwrap();
    index_project(&db, &project, Arc::new(|_, _| {})).await.unwrap();
    Indexed {
        _dir: dir,
        db,
        project,
    }
}

fn append(ix: &Indexed, path: &str, text: &str) {
    let file = ix.root().join(path);
    let mut s = std::fs::read_to_string(&file).unwrap();
    s.push_str(text);
    std::fs::write(file, s).unwrap();
}

#[tokio::test]
async fn a_rust_glob_relinks_only_for_its_own_module() {
    let ix = project_of(&[
        ("Cargo.toml", "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n"),
        ("src/lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod d;\n"),
        ("src/a.rs", "pub fn helper() {}\n"),
        ("src/b.rs", "pub fn other() {}\n"),
        ("src/c.rs", "use crate::a::*;\n\npub fn uses_a() {\n    helper();\n}\n"),
        (
            "src/d.rs",
            "use crate::b::*;\n\npub fn uses_b() {\n    other();\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn t() {\n        uses_b();\n    }\n}\n",
        ),
    ])
    .await;

    // A new function in `a`: `c` sees it through its glob, `d` (globs of `b` and of
    // itself) does not.
    append(&ix, "src/a.rs", "\npub fn extra() {}\n");
    let s = ix.reindex().await;
    assert_eq!((s.parsed, s.relinked), (1, 1), "{s:?}");
    ix.assert_equals_rebuild().await;

    // `d`'s own test module glob-imports `d`: a change to `d`'s exports re-links only
    // `d` itself (which is parsed anyway).
    append(&ix, "src/d.rs", "\npub fn more() {}\n");
    let s = ix.reindex().await;
    assert_eq!((s.parsed, s.relinked), (1, 0), "{s:?}");
    ix.assert_equals_rebuild().await;

    // A body-only edit changes no exported name: nothing else is re-linked.
    let file = ix.root().join("src/a.rs");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("pub fn helper() {}", "pub fn helper() {\n    let _x = 1;\n}"),
    )
    .unwrap();
    let s = ix.reindex().await;
    assert_eq!((s.parsed, s.relinked), (1, 0), "{s:?}");
    ix.assert_equals_rebuild().await;
}

#[tokio::test]
async fn python_star_imports_follow_re_exports() {
    let ix = project_of(&[
        ("pkg/__init__.py", ""),
        ("pkg/a.py", "def helper():\n    return 1\n"),
        ("pkg/b.py", "def other():\n    return 2\n"),
        // `api` re-exports `a` (a star import re-binds every name), `user` reads `api`.
        ("pkg/api.py", "from pkg.a import *\n"),
        (
            "pkg/user.py",
            "from pkg.api import *\n\n\ndef run():\n    return helper()\n",
        ),
        (
            "pkg/other_user.py",
            "from pkg.b import *\n\n\ndef run():\n    return other()\n",
        ),
    ])
    .await;
    append(&ix, "pkg/a.py", "\n\ndef extra():\n    return 3\n");
    let s = ix.reindex().await;
    assert_eq!(
        (s.parsed, s.relinked),
        (1, 2),
        "api and user, not other_user: {s:?}"
    );
    ix.assert_equals_rebuild().await;
}
