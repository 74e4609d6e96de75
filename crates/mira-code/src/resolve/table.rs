//! The project-wide symbol table: every definition and every module's imports, indexed
//! so that a name, a path or a member can be looked up in the context of a module.
//!
//! A long-lived process keeps one table per project and patches it file by file
//! ([`SymbolTable::remove_file`], [`SymbolTable::add_file`]) instead of building it
//! again for every edit. So that a patched table answers exactly as a fresh one, every
//! answer depends only on the set of files, never on the order they were added in:
//! where several definitions compete, they are ordered by (file path, position in the
//! file), which is also the order a cold index adds them in.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::lang::{Language, owner_of};
use crate::model::{ElementKind, Import, ParsedFile};

/// One definition, as the resolver needs it.
#[derive(Debug, Clone)]
pub struct Sym {
    pub qualified_name: String,
    pub name: String,
    pub kind: ElementKind,
    pub language: Language,
    /// The module the definition's names are resolved in.
    pub module: String,
    pub bases: Vec<String>,
    pub type_ref: Option<String>,
    /// The file that defines it and its position there: the order of competing
    /// definitions.
    path: Arc<str>,
    position: u32,
}

impl Sym {
    fn key(&self) -> (&str, u32) {
        (&self.path, self.position)
    }
}

/// Where a name leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sym(u32),
    Module(String),
    /// Outside the project: the path as far as it is known.
    External(String),
}

#[derive(Debug, Default)]
struct ModuleInfo {
    /// Files whose own module this is (the first by path is the module's path).
    files: BTreeMap<Arc<str>, Language>,
    /// Files declaring it as an inline module (Rust `mod x { .. }`), with a count.
    inline: BTreeMap<Arc<str>, (Language, u32)>,
    /// Files with imports scoped to it.
    scoped: BTreeMap<Arc<str>, Language>,
    /// Its imports, by file path and then in source order.
    imports: Vec<(Arc<str>, Import)>,
}

impl ModuleInfo {
    /// The language of the last declaring file by path (a file module or an inline
    /// one), else of the first file with imports scoped to it.
    fn language(&self) -> Option<Language> {
        let file = self.files.last_key_value().map(|(p, l)| (p, *l));
        let inline = self.inline.last_key_value().map(|(p, (l, _))| (p, *l));
        match (file, inline) {
            (Some(a), Some(b)) => Some(if b.0 >= a.0 { b.1 } else { a.1 }),
            (Some(a), None) => Some(a.1),
            (None, Some(b)) => Some(b.1),
            (None, None) => self.scoped.first_key_value().map(|(_, l)| *l),
        }
    }

    fn is_empty(&self) -> bool {
        self.files.is_empty() && self.inline.is_empty() && self.scoped.is_empty()
    }
}

/// What one file put into the table, so it can be taken out again.
#[derive(Debug)]
struct FileEntry {
    path: Arc<str>,
    language: Language,
    module: String,
    syms: Vec<u32>,
    /// Modules its imports are scoped to.
    scopes: Vec<String>,
    inline_modules: Vec<String>,
}

#[derive(Debug, Default)]
pub struct SymbolTable {
    /// Definitions by id; ids of removed files are reused (listed in `free`).
    syms: Vec<Sym>,
    free: Vec<u32>,
    files: HashMap<Arc<str>, FileEntry>,
    by_qname: HashMap<String, Vec<u32>>,
    by_name: HashMap<String, Vec<u32>>,
    members: HashMap<(String, String), Vec<u32>>,
    modules: HashMap<String, ModuleInfo>,
    /// JavaScript-family module names by path stem (`src/user`), for relative imports;
    /// the last file by path wins (`user.ts` over `user.js`).
    js_stems: HashMap<String, BTreeMap<Arc<str>, String>>,
    /// Python modules by every dotted suffix (`pkg.mod` also as `mod`), with how many
    /// files give it, so a `src/` layout or a subdirectory project still resolves
    /// `import pkg.mod` when the suffix names one module only.
    py_suffixes: HashMap<String, HashMap<String, u32>>,
    /// Rust crate roots, with how many files are in each.
    rust_crates: HashMap<String, u32>,
}

/// Longest chains followed (re-exports of re-exports, bases of bases).
pub(crate) const MAX_DEPTH: u8 = 24;

/// Inserts `id` into a list kept in (path, position) order.
fn insert_sorted(list: &mut Vec<u32>, syms: &[Sym], id: u32) {
    let key = syms[id as usize].key();
    let at = list.partition_point(|&i| syms[i as usize].key() < key);
    list.insert(at, id);
}

fn remove_sorted<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Vec<u32>>, k: &K, syms: &[Sym], id: u32) {
    let Some(list) = map.get_mut(k) else { return };
    let key = syms[id as usize].key();
    let at = list.partition_point(|&i| syms[i as usize].key() < key);
    if list.get(at) == Some(&id) {
        list.remove(at);
    }
    if list.is_empty() {
        map.remove(k);
    }
}

fn js_stem(path: &str) -> &str {
    path.rsplit_once('.').map(|(s, _)| s).unwrap_or(path)
}

/// The proper dotted suffixes of a Python module name (`a.b.c`: `b.c`, `c`).
fn py_suffixes(module: &str) -> impl Iterator<Item = &str> {
    module.match_indices('.').map(move |(i, _)| &module[i + 1..])
}

impl SymbolTable {
    /// A table of `files`, in any order.
    pub fn new<'a>(files: impl IntoIterator<Item = &'a ParsedFile>) -> Self {
        let mut files: Vec<&ParsedFile> = files.into_iter().collect();
        // In path order every insertion appends to its lists.
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut t = Self::default();
        for f in files {
            t.add_file(f);
        }
        t
    }

    pub fn contains_file(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// The module a file of the table defines.
    pub fn file_module(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(|f| f.module.as_str())
    }

    /// Adds a file's definitions and imports (replacing what the table had of it).
    pub fn add_file(&mut self, f: &ParsedFile) {
        self.remove_file(&f.path);
        let path: Arc<str> = Arc::from(f.path.as_str());
        let mut entry = FileEntry {
            path: Arc::clone(&path),
            language: f.language,
            module: f.module.clone(),
            syms: Vec::new(),
            scopes: Vec::new(),
            inline_modules: Vec::new(),
        };
        self.modules
            .entry(f.module.clone())
            .or_default()
            .files
            .insert(Arc::clone(&path), f.language);
        for imp in &f.imports {
            let scoped = self.modules.entry(imp.scope.clone()).or_default();
            scoped.scoped.insert(Arc::clone(&path), f.language);
            // Files are few per module: a linear search for the place is cheap.
            let at = scoped.imports.partition_point(|(p, _)| **p <= *path);
            scoped.imports.insert(at, (Arc::clone(&path), imp.clone()));
            if !entry.scopes.contains(&imp.scope) {
                entry.scopes.push(imp.scope.clone());
            }
        }
        match f.language.family() {
            "js" => {
                self.js_stems
                    .entry(js_stem(&f.path).to_string())
                    .or_default()
                    .insert(Arc::clone(&path), f.module.clone());
            }
            "python" => {
                for suffix in py_suffixes(&f.module) {
                    *self
                        .py_suffixes
                        .entry(suffix.to_string())
                        .or_default()
                        .entry(f.module.clone())
                        .or_default() += 1;
                }
            }
            "rust" => {
                let root = f.module.split("::").next().unwrap_or("crate");
                *self.rust_crates.entry(root.to_string()).or_default() += 1;
            }
            _ => {}
        }
        for (position, e) in f.elements.iter().enumerate() {
            if e.kind == ElementKind::Module && e.parent.is_none() {
                continue;
            }
            if e.kind == ElementKind::Module {
                // An inline Rust module is a module too.
                let m = self.modules.entry(e.qualified_name.clone()).or_default();
                m.inline.entry(Arc::clone(&path)).or_insert((f.language, 0)).1 += 1;
                entry.inline_modules.push(e.qualified_name.clone());
            }
            let sym = Sym {
                qualified_name: e.qualified_name.clone(),
                name: e.name.clone(),
                kind: e.kind,
                language: f.language,
                module: f.module.clone(),
                bases: e.bases.clone(),
                type_ref: e.type_ref.clone(),
                path: Arc::clone(&path),
                position: position as u32,
            };
            let id = match self.free.pop() {
                Some(id) => {
                    self.syms[id as usize] = sym;
                    id
                }
                None => {
                    self.syms.push(sym);
                    (self.syms.len() - 1) as u32
                }
            };
            entry.syms.push(id);
            let syms = &self.syms;
            insert_sorted(
                self.by_qname.entry(e.qualified_name.clone()).or_default(),
                syms,
                id,
            );
            if e.kind != ElementKind::Field && e.kind != ElementKind::Impl {
                insert_sorted(self.by_name.entry(e.name.clone()).or_default(), syms, id);
            }
            if let Some(owner) = owner_of(&e.qualified_name, f.language) {
                insert_sorted(
                    self.members
                        .entry((owner.to_string(), e.name.clone()))
                        .or_default(),
                    syms,
                    id,
                );
            }
        }
        self.files.insert(path, entry);
    }

    /// Takes out everything `path` put in; a file the table does not have is a no-op.
    pub fn remove_file(&mut self, path: &str) {
        let Some(entry) = self.files.remove(path) else {
            return;
        };
        for &id in &entry.syms {
            let s = &self.syms[id as usize];
            let (qname, name, kind, language) =
                (s.qualified_name.clone(), s.name.clone(), s.kind, s.language);
            remove_sorted(&mut self.by_qname, &qname, &self.syms, id);
            if kind != ElementKind::Field && kind != ElementKind::Impl {
                remove_sorted(&mut self.by_name, &name, &self.syms, id);
            }
            if let Some(owner) = owner_of(&qname, language) {
                remove_sorted(&mut self.members, &(owner.to_string(), name), &self.syms, id);
            }
            self.free.push(id);
        }
        let mut touched: Vec<&String> = vec![&entry.module];
        if let Some(m) = self.modules.get_mut(&entry.module) {
            m.files.remove(&entry.path);
        }
        for scope in &entry.scopes {
            if let Some(m) = self.modules.get_mut(scope) {
                m.scoped.remove(&entry.path);
                m.imports.retain(|(p, _)| *p != entry.path);
            }
            touched.push(scope);
        }
        for inline in &entry.inline_modules {
            if let Some(m) = self.modules.get_mut(inline) {
                m.inline.remove(&entry.path);
            }
            touched.push(inline);
        }
        for m in touched {
            if self.modules.get(m).is_some_and(ModuleInfo::is_empty) {
                self.modules.remove(m);
            }
        }
        match entry.language.family() {
            "js" => {
                let stem = js_stem(&entry.path);
                if let Some(by_path) = self.js_stems.get_mut(stem) {
                    by_path.remove(&entry.path);
                    if by_path.is_empty() {
                        self.js_stems.remove(stem);
                    }
                }
            }
            "python" => {
                for suffix in py_suffixes(&entry.module) {
                    let Some(modules) = self.py_suffixes.get_mut(suffix) else {
                        continue;
                    };
                    if let Some(n) = modules.get_mut(&entry.module) {
                        *n -= 1;
                        if *n == 0 {
                            modules.remove(&entry.module);
                        }
                    }
                    if modules.is_empty() {
                        self.py_suffixes.remove(suffix);
                    }
                }
            }
            "rust" => {
                let root = entry.module.split("::").next().unwrap_or("crate");
                if let Some(n) = self.rust_crates.get_mut(root) {
                    *n -= 1;
                    if *n == 0 {
                        self.rust_crates.remove(root);
                    }
                }
            }
            _ => {}
        }
    }

    /// The resolution signature of a file in the table (see
    /// [`crate::store::resolution_signature`]), from what the table keeps of it.
    pub(crate) fn signature(&self, path: &str) -> Option<Vec<String>> {
        let entry = self.files.get(path)?;
        let module_element = crate::store::element_entry(&entry.module, ElementKind::Module, &[], None);
        let elements = entry.syms.iter().map(|&id| {
            let s = &self.syms[id as usize];
            crate::store::element_entry(&s.qualified_name, s.kind, &s.bases, s.type_ref.as_deref())
        });
        let imports = entry.scopes.iter().flat_map(|scope| {
            self.modules
                .get(scope)
                .into_iter()
                .flat_map(|m| m.imports.iter())
                .filter(|(p, _)| **p == *entry.path)
                .map(|(_, i)| crate::store::import_entry(i))
        });
        let mut sig: Vec<String> = std::iter::once(module_element)
            .chain(elements)
            .chain(imports)
            .collect();
        sig.sort();
        sig.dedup();
        Some(sig)
    }

    pub fn sym(&self, id: u32) -> &Sym {
        &self.syms[id as usize]
    }

    /// The simple names of the members of every type named (by simple name) in `types`,
    /// and of their bases, transitively; `types` grows by the bases found. Matching by
    /// simple name, across modules, over-approximates: the index uses it to choose which
    /// files to re-link, where one too many costs a re-parse and one too few a wrong edge.
    pub fn member_names_of(&self, types: &mut HashSet<String>) -> HashSet<String> {
        // Bases by the simple name of what declares them: classes, and impl blocks (which
        // have no entry by name) naming the trait they implement.
        let mut bases: HashMap<&str, Vec<&str>> = HashMap::new();
        for ids in self.by_qname.values() {
            for &id in ids {
                let sym = self.sym(id);
                for b in &sym.bases {
                    bases
                        .entry(simple_name(&sym.qualified_name))
                        .or_default()
                        .extend(type_words(b));
                }
            }
        }
        let mut members = HashSet::new();
        let mut pending: Vec<String> = types.iter().cloned().collect();
        while let Some(t) = pending.pop() {
            for word in bases.get(t.as_str()).into_iter().flatten() {
                if types.insert(word.to_string()) {
                    pending.push(word.to_string());
                }
            }
        }
        for (owner, name) in self.members.keys() {
            if types.contains(simple_name(owner)) {
                members.insert(name.clone());
            }
        }
        members
    }

    /// Definitions in the table.
    pub fn len(&self) -> usize {
        self.syms.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn has_module(&self, m: &str) -> bool {
        self.modules.get(m).is_some_and(|i| i.language().is_some())
    }

    pub fn is_rust_crate(&self, name: &str) -> bool {
        self.rust_crates.contains_key(name)
    }

    /// The best definition with this qualified name: a type or callable before a field
    /// or an impl block (which shares its type's name).
    pub fn by_qualified(&self, q: &str) -> Option<u32> {
        let ids = self.by_qname.get(q)?;
        ids.iter()
            .copied()
            .find(|&i| self.sym(i).kind != ElementKind::Impl && self.sym(i).kind != ElementKind::Field)
            .or_else(|| ids.first().copied())
    }

    /// Every definition with this simple name in a language family.
    pub fn named(&self, name: &str, family: &str) -> Vec<u32> {
        self.by_name
            .get(name)
            .map(|ids| {
                ids.iter()
                    .copied()
                    .filter(|&i| self.sym(i).language.family() == family)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Members named `name` declared directly on `owner` (any impl block of it); an
    /// inherent method before a trait impl's (`Type::m#Trait`), as Rust picks them.
    pub fn direct_member(&self, owner: &str, name: &str) -> Option<u32> {
        let ids = self.members.get(&(owner.to_string(), name.to_string()))?;
        let mut candidates = ids
            .iter()
            .copied()
            .filter(|&i| self.sym(i).kind != ElementKind::Impl);
        let first = candidates.next()?;
        if !self.sym(first).qualified_name.contains('#') {
            return Some(first);
        }
        candidates
            .find(|&i| !self.sym(i).qualified_name.contains('#'))
            .or(Some(first))
    }

    /// Bases of a type from all its definitions (a struct and its trait impls).
    pub fn bases_of(&self, type_qname: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(ids) = self.by_qname.get(type_qname) {
            for &i in ids {
                let s = self.sym(i);
                for b in &s.bases {
                    out.push((b.clone(), s.module.clone()));
                }
            }
        }
        out
    }

    /// The imports scoped to `module`, by file path and then in source order.
    pub fn imports_of(&self, module: &str) -> impl DoubleEndedIterator<Item = &Import> + Clone {
        self.modules
            .get(module)
            .into_iter()
            .flat_map(|m| m.imports.iter().map(|(_, i)| i))
    }

    pub fn module_language(&self, module: &str) -> Option<Language> {
        self.modules.get(module).and_then(ModuleInfo::language)
    }

    pub fn module_path(&self, module: &str) -> Option<&str> {
        self.modules
            .get(module)
            .and_then(|m| m.files.first_key_value())
            .map(|(p, _)| &**p)
    }

    pub fn js_module_at(&self, stem: &str) -> Option<&str> {
        self.js_stems
            .get(stem)
            .and_then(|by_path| by_path.last_key_value())
            .map(|(_, m)| m.as_str())
    }

    pub fn python_module(&self, dotted: &str) -> Option<String> {
        if self.has_module(dotted) {
            return Some(dotted.to_string());
        }
        let modules = self.py_suffixes.get(dotted)?;
        if modules.len() == 1 {
            modules.keys().next().cloned()
        } else {
            None
        }
    }
}

/// The last segment of a qualified name in any of the languages' notations.
pub(crate) fn simple_name(qualified: &str) -> &str {
    qualified.rsplit(['.', ':', '/']).next().unwrap_or(qualified)
}

/// The identifiers in a type or base as written (`Box<dyn store::Store>` gives `Box`,
/// `dyn`, `store`, `Store`): each may name a type.
pub(crate) fn type_words(written: &str) -> impl Iterator<Item = &str> {
    written
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| w.chars().next().is_some_and(|c| !c.is_ascii_digit()))
}
