//! Analysing and indexing the fixture projects in `tests/fixtures`.

use std::path::{Path, PathBuf};

use mira_code::extract::{self, FileInfo};
use mira_code::model::ParsedFile;
use mira_code::resolve::{self, Edge, Resolution, SymbolTable};
use mira_code::walk;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub struct Analysis {
    pub files: Vec<ParsedFile>,
    pub edges: Vec<Edge>,
}

/// The whole pure pipeline over a directory: no database.
pub fn analyse(root: &Path) -> Analysis {
    let walked = walk::walk(root);
    let files: Vec<ParsedFile> = walked
        .files
        .iter()
        .map(|f| {
            extract::parse(
                &FileInfo {
                    path: &f.path,
                    language: f.language,
                    module: f.module.clone(),
                    crate_alias: f.crate_alias.clone(),
                },
                f.text.as_deref().expect("walk reads every file"),
            )
        })
        .collect();
    let table = SymbolTable::new(files.iter());
    let edges = files
        .iter()
        .flat_map(|f| resolve::resolve_file(f, &table))
        .collect();
    Analysis { files, edges }
}

impl Analysis {
    pub fn file(&self, path: &str) -> &ParsedFile {
        self.files.iter().find(|f| f.path == path).unwrap_or_else(|| {
            panic!(
                "no file {path}; have {:?}",
                self.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            )
        })
    }

    pub fn qualified_names(&self) -> Vec<&str> {
        self.files
            .iter()
            .flat_map(|f| f.elements.iter().map(|e| e.qualified_name.as_str()))
            .collect()
    }

    /// Edges from `caller` whose callee's simple name is `name`.
    pub fn calls_named(&self, caller: &str, name: &str) -> Vec<&Edge> {
        self.edges
            .iter()
            .filter(|e| e.caller == caller && e.callee_name == name)
            .collect()
    }

    /// Asserts the single call of `name` from `caller` reaches `callee` with `grade`.
    #[track_caller]
    pub fn assert_call(&self, caller: &str, name: &str, callee: &str, grade: Resolution) {
        let found = self.calls_named(caller, name);
        assert!(
            found.iter().any(|e| e.callee == callee && e.resolution == grade),
            "{caller} -> {name}: expected {callee} ({grade:?}), got {:?}\nall edges from {caller}: {:#?}",
            found
                .iter()
                .map(|e| (&e.callee, e.resolution))
                .collect::<Vec<_>>(),
            self.edges
                .iter()
                .filter(|e| e.caller == caller)
                .map(|e| (&e.callee, e.resolution))
                .collect::<Vec<_>>()
        );
    }

    /// Asserts no edge from `caller` reaches `callee`.
    #[track_caller]
    pub fn assert_no_call(&self, caller: &str, callee: &str) {
        let wrong: Vec<_> = self
            .edges
            .iter()
            .filter(|e| e.caller == caller && e.callee == callee)
            .collect();
        assert!(wrong.is_empty(), "{caller} must not call {callee}: {wrong:#?}");
    }
}

/// Copies a directory tree (fixtures are copied before indexing, so tests may edit them).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
