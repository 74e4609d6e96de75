//! What a long-lived process (the server, a watcher) remembers of a project between
//! index runs, per database and project: the stamps of its files (so unchanged files
//! are not read) and the symbol table (so one edit patches it instead of rebuilding it).
//!
//! A run takes the memory out and puts it back only when it succeeded, so a failed run
//! leaves nothing half-patched behind. The table is used only while every stored file
//! still has the id, path and content hash it was built from; a database written by
//! another process makes it miss (and be rebuilt from the database), never answer wrong.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

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
