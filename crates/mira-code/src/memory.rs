//! What a long-lived process (the server, a watcher) remembers of a project between
//! index runs, per database and project: the stamps of its files (so unchanged files
//! are not read), the symbol table (so one edit patches it instead of rebuilding it) and
//! the syntax trees of the few files being edited (so the next save re-parses only what
//! changed).
//!
//! A run takes the memory out and puts it back only when it succeeded, so a failed run
//! leaves nothing half-patched behind. The table is used only while every stored file
//! still has the id, path and content hash it was built from; a database written by
//! another process makes it miss (and be rebuilt from the database), never answer wrong.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use crate::extract::KeptTree;
use crate::resolve::SymbolTable;
use crate::stamps::Stamps;
use crate::store::StoredFile;

pub(crate) type Key = (PathBuf, i64);

/// The symbol table with the files it was built from: file id -> (path, content hash).
pub(crate) struct Table {
    pub files: HashMap<i64, (String, String)>,
    pub table: SymbolTable,
}

impl Table {
    /// Built from exactly the indexed files of `stored` (path -> row)?
    pub fn matches(&self, stored: &HashMap<String, StoredFile>) -> bool {
        let mut code = 0;
        for s in stored.values().filter(|s| !s.skipped()) {
            code += 1;
            match self.files.get(&s.id) {
                Some((path, hash)) if *path == s.path && *hash == s.hash => {}
                _ => return false,
            }
        }
        code == self.files.len()
    }
}

#[derive(Default)]
pub(crate) struct Memory {
    pub stamps: Stamps,
    pub table: Option<Table>,
    pub trees: Trees,
}

/// How many syntax trees a project keeps: a user edits a handful of files at a time.
pub(crate) const MAX_TREES: usize = 8;

/// And how much source text they may stand for: a tree's nodes take about 25 times its
/// text (bench_index: five stdlib files of 1.2 MB in all kept cost 25 to 34 MiB of RSS),
/// so this keeps them to about 50 MB.
const MAX_TREE_TEXT: usize = 2 * 1024 * 1024;

/// The syntax trees of the files parsed last, by path, the least recently used evicted
/// first. A tree is valid for any later text of its file (the edit is computed from the
/// text it was parsed from), so none has to be invalidated; a deleted file's is dropped.
#[derive(Default)]
pub(crate) struct Trees {
    kept: HashMap<String, (u64, KeptTree)>,
    clock: u64,
    text: usize,
}

impl Trees {
    pub fn take(&mut self, path: &str) -> Option<KeptTree> {
        let (_, tree) = self.kept.remove(path)?;
        self.text -= tree.text_len();
        Some(tree)
    }

    pub fn put(&mut self, path: String, tree: KeptTree) {
        self.take(&path);
        self.clock += 1;
        self.text += tree.text_len();
        self.kept.insert(path, (self.clock, tree));
        while self.kept.len() > MAX_TREES || (self.text > MAX_TREE_TEXT && self.kept.len() > 1) {
            let Some(oldest) = self
                .kept
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(p, _)| p.clone())
            else {
                break;
            };
            self.take(&oldest);
        }
    }
}

static MEMORY: LazyLock<Mutex<HashMap<Key, Memory>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Takes the project's memory out (an empty one if there is none).
pub(crate) fn take(key: &Key) -> Memory {
    MEMORY
        .lock()
        .ok()
        .and_then(|mut all| all.remove(key))
        .unwrap_or_default()
}

pub(crate) fn put(key: Key, memory: Memory) {
    if let Ok(mut all) = MEMORY.lock() {
        all.insert(key, memory);
    }
}
