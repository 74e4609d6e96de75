//! An incremental index equals a rebuild: one process re-indexes a project through a
//! series of edits (its symbol table patched in memory, rows rewritten by difference),
//! and after every step its database is compared, row for row, with a fresh index of
//! the same tree.

use std::path::Path;

use crate::index::indexed;

fn edit(root: &Path, path: &str, from: &str, to: &str) {
    let file = root.join(path);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(from), "{path} has no {from:?}");
    std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
}

#[tokio::test]
async fn edits_renames_and_deletions_leave_what_a_rebuild_would() {
    let (ix, _) = indexed("python").await;
    let root = ix.root().to_path_buf();

    // Lines inserted in the middle: every later definition and call moves.
    edit(
        &root,
        "shop/models.py",
        "    def total(self):\n",
        "    def total(self):\n        # the sum of\n        # every item's price\n",
    );
    let s = ix.reindex().await;
    assert_eq!((s.parsed, s.relinked), (1, 0), "{s:?}");
    let moved: i64 = sqlx::query_scalar(
        "SELECT start_line FROM code_elements WHERE qualified_name = 'shop.models.Order.validate'",
    )
    .fetch_one(ix.db.pool())
    .await
    .unwrap();
    assert_eq!(moved, 28, "the method moved down two lines (from 26)");
    ix.assert_equals_rebuild().await;

    // A method renamed: its callers elsewhere resolve differently.
    edit(
        &root,
        "shop/models.py",
        "    def save(self):\n        return persist",
        "    def store(self):\n        return persist",
    );
    let s = ix.reindex().await;
    assert!(s.relinked >= 1, "{s:?}");
    ix.assert_equals_rebuild().await;

    // A new file competing for a module name (`shop.storage` is also shop/storage.py):
    // which definition wins must not depend on the order files were indexed in.
    std::fs::create_dir_all(root.join("shop/storage")).unwrap();
    std::fs::write(
        root.join("shop/storage/__init__.py"),
        "class Vault:\n    def save(self, order):\n        return order\n\n\ndef connect(url: str) -> Vault:\n    return Vault()\n",
    )
    .unwrap();
    let s = ix.reindex().await;
    assert_eq!(s.parsed, 1, "{s:?}");
    ix.assert_equals_rebuild().await;

    // A file moved: the old module is gone, a new one appears.
    std::fs::rename(root.join("shop/storage.py"), root.join("shop/store.py")).unwrap();
    let s = ix.reindex().await;
    assert_eq!((s.parsed, s.removed), (1, 1), "{s:?}");
    ix.assert_equals_rebuild().await;
    let through_package: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM call_graph WHERE callee = 'shop.storage.connect' AND resolution = 'exact'",
    )
    .fetch_one(ix.db.pool())
    .await
    .unwrap();
    assert_eq!(
        through_package, 1,
        "`from .storage import connect` now reaches the package"
    );

    // A file deleted, and a definition restored in another.
    std::fs::remove_file(root.join("shop/storage/__init__.py")).unwrap();
    edit(
        &root,
        "shop/models.py",
        "    def store(self):\n",
        "    def save(self):\n",
    );
    let s = ix.reindex().await;
    assert_eq!((s.parsed, s.removed), (1, 1), "{s:?}");
    ix.assert_equals_rebuild().await;

    // Nothing left to do.
    let s = ix.reindex().await;
    assert_eq!((s.parsed, s.removed, s.relinked), (0, 0, 0), "{s:?}");
}

#[tokio::test]
async fn a_rust_field_type_change_relinks_and_equals_a_rebuild() {
    let (ix, _) = indexed("rust").await;
    let root = ix.root().to_path_buf();
    let model = std::fs::read_to_string(root.join("src/model.rs")).unwrap();
    // Structs, fields and impls added at the top shift everything after them.
    std::fs::write(
        root.join("src/model.rs"),
        format!("pub struct Extra {{\n    pub n: u32,\n}}\n\nimpl Extra {{\n    pub fn get(&self) -> u32 {{\n        self.n\n    }}\n}}\n\n{model}"),
    )
    .unwrap();
    let s = ix.reindex().await;
    assert_eq!(s.parsed, 1, "{s:?}");
    ix.assert_equals_rebuild().await;
    std::fs::remove_file(root.join("src/report.rs")).unwrap();
    ix.reindex().await;
    ix.assert_equals_rebuild().await;
}

#[test]
fn a_patched_symbol_table_resolves_as_a_fresh_one() {
    use mira_code::extract::{self, FileInfo};
    use mira_code::lang::Language;
    use mira_code::resolve::{self, SymbolTable};

    let analysis = crate::fixture::analyse(&crate::fixture::fixture("python"));
    let parse = |path: &str, module: &str, text: &str| {
        extract::parse(
            &FileInfo {
                path,
                language: Language::Python,
                module: module.to_string(),
                crate_alias: None,
            },
            text,
        )
    };
    // Competes with shop/storage.py for the module `shop.storage`.
    let rival = parse(
        "shop/storage/__init__.py",
        "shop.storage",
        "class Vault:\n    def save(self, order):\n        return order\n\n\ndef connect(url):\n    return Vault()\n",
    );
    let storage = analysis.file("shop/storage.py").clone();
    let renamed = parse(
        "shop/storage.py",
        "shop.storage",
        &std::fs::read_to_string(crate::fixture::fixture("python").join("shop/storage.py"))
            .unwrap()
            .replace("def connect(", "def open_store("),
    );

    let mut all: Vec<_> = analysis.files.clone();
    all.push(rival.clone());
    let fresh = SymbolTable::new(all.iter());

    // Added in another order, with a detour through a different version of one file.
    let mut patched = SymbolTable::new(std::iter::once(&rival));
    for f in analysis.files.iter().rev() {
        patched.add_file(f);
    }
    patched.add_file(&renamed);
    patched.remove_file("shop/storage.py");
    patched.remove_file("no/such/file.py");
    patched.add_file(&storage);
    assert_eq!(patched.len(), fresh.len());

    for f in &all {
        assert_eq!(
            resolve::resolve_file(f, &patched),
            resolve::resolve_file(f, &fresh),
            "{} resolves differently",
            f.path
        );
    }
    // The order is by path: shop/storage.py before shop/storage/__init__.py.
    let connect = fresh.by_qualified("shop.storage.connect").unwrap();
    assert_eq!(fresh.sym(connect).type_ref.as_deref(), Some("Repository"));
    let service = analysis.file("shop/service.py");
    let edges = resolve::resolve_file(service, &patched);
    assert!(
        edges
            .iter()
            .any(|e| e.callee == "shop.storage.Repository.save"
                && e.caller == "shop.service.OrderService.place"),
        "{edges:#?}"
    );
}

/// A project where a caller reaches a method only through a type fact of another file:
/// `worker.py` calls `make_service().save()` and `make_service().repo.save()`, naming
/// neither `Service` nor its bases nor its field; `service.py` then changes the base
/// class and the field's type, and the incremental index must re-link `worker.py`.
#[tokio::test]
async fn changed_bases_and_field_types_re_link_callers_that_reach_members_through_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("project");
    std::fs::create_dir_all(&root).unwrap();
    let write = |path: &str, text: &str| std::fs::write(root.join(path), text).unwrap();
    write(
        "models.py",
        "class Disk:\n    def save(self, item):\n        return item\n\n\n\
         class Cloud:\n    def save(self, item):\n        return [item]\n",
    );
    write(
        "service.py",
        "from models import Disk, Cloud\n\n\n\
         class Service(Disk):\n    def __init__(self):\n        self.repo = Disk()\n",
    );
    write(
        "factory.py",
        "from service import Service\n\n\ndef make_service() -> Service:\n    return Service()\n",
    );
    write(
        "worker.py",
        "from factory import make_service\n\n\n\
         def store_directly(item):\n    svc = make_service()\n    return svc.save(item)\n\n\n\
         def store_through_repo(item):\n    svc = make_service()\n    return svc.repo.save(item)\n",
    );
    let db = mira_store::Db::open(&dir.path().join("data/mira.db"))
        .await
        .unwrap();
    let project = mira_store::projects::add(&db, &root, None).await.unwrap();
    let ix = crate::index::Indexed {
        _dir: dir,
        db,
        project,
    };
    ix.reindex().await;
    let save_callee = |caller: &'static str| {
        let ix = &ix;
        async move {
            let found: Vec<String> =
                sqlx::query_scalar("SELECT callee FROM call_graph WHERE caller = ? AND callee_name = 'save'")
                    .bind(caller)
                    .fetch_all(ix.db.pool())
                    .await
                    .unwrap();
            found
        }
    };
    assert_eq!(save_callee("worker.store_directly").await, ["models.Disk.save"]);
    assert_eq!(
        save_callee("worker.store_through_repo").await,
        ["models.Disk.save"]
    );

    // The base class changes: `svc.save` now reaches Cloud.save.
    edit(
        &root,
        "service.py",
        "class Service(Disk):",
        "class Service(Cloud):",
    );
    let s = ix.reindex().await;
    assert_eq!(s.parsed, 1, "{s:?}");
    assert_eq!(save_callee("worker.store_directly").await, ["models.Cloud.save"]);
    ix.assert_equals_rebuild().await;

    // The field's type changes: `svc.repo.save` now reaches Cloud.save.
    edit(&root, "service.py", "self.repo = Disk()", "self.repo = Cloud()");
    let s = ix.reindex().await;
    assert_eq!(s.parsed, 1, "{s:?}");
    assert_eq!(
        save_callee("worker.store_through_repo").await,
        ["models.Cloud.save"]
    );
    ix.assert_equals_rebuild().await;
}
