//! The project-wide symbol table: every definition and every module's imports, indexed
//! so that a name, a path or a member can be looked up in the context of a module.

use std::collections::{HashMap, HashSet};

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
    language: Option<Language>,
    paths: Vec<String>,
    imports: Vec<Import>,
}

#[derive(Debug, Default)]
pub struct SymbolTable {
    pub(crate) syms: Vec<Sym>,
    by_qname: HashMap<String, Vec<u32>>,
    by_name: HashMap<String, Vec<u32>>,
    members: HashMap<(String, String), Vec<u32>>,
    modules: HashMap<String, ModuleInfo>,
    /// JavaScript-family module names by path stem (`src/user`), for relative imports.
    js_stems: HashMap<String, String>,
    /// Python modules by every dotted suffix (`pkg.mod` also as `mod`), when unique, so
    /// a `src/` layout or a subdirectory project still resolves `import pkg.mod`.
    py_suffixes: HashMap<String, Option<String>>,
    rust_crates: HashSet<String>,
}

/// Longest chains followed (re-exports of re-exports, bases of bases).
pub(crate) const MAX_DEPTH: u8 = 24;

impl SymbolTable {
    pub fn new<'a>(files: impl IntoIterator<Item = &'a ParsedFile>) -> Self {
        let mut t = Self::default();
        for f in files {
            t.add_file(f);
        }
        t
    }

    fn add_file(&mut self, f: &ParsedFile) {
        let info = self.modules.entry(f.module.clone()).or_default();
        info.language = Some(f.language);
        info.paths.push(f.path.clone());
        for imp in &f.imports {
            let scoped = self.modules.entry(imp.scope.clone()).or_default();
            scoped.language.get_or_insert(f.language);
            scoped.imports.push(imp.clone());
        }
        match f.language.family() {
            "js" => {
                let stem = f.path.rsplit_once('.').map(|(s, _)| s).unwrap_or(&f.path);
                self.js_stems.insert(stem.to_string(), f.module.clone());
            }
            "python" => {
                let parts: Vec<&str> = f.module.split('.').collect();
                for i in 1..parts.len() {
                    let suffix = parts[i..].join(".");
                    self.py_suffixes
                        .entry(suffix)
                        .and_modify(|v| {
                            if v.as_deref() != Some(f.module.as_str()) {
                                *v = None
                            }
                        })
                        .or_insert_with(|| Some(f.module.clone()));
                }
            }
            "rust" => {
                let root = f.module.split("::").next().unwrap_or("crate");
                self.rust_crates.insert(root.to_string());
            }
            _ => {}
        }
        for e in &f.elements {
            if e.kind == ElementKind::Module && e.parent.is_none() {
                continue;
            }
            if e.kind == ElementKind::Module {
                // An inline Rust module is a module too.
                let m = self.modules.entry(e.qualified_name.clone()).or_default();
                m.language = Some(f.language);
            }
            let id = self.syms.len() as u32;
            self.syms.push(Sym {
                qualified_name: e.qualified_name.clone(),
                name: e.name.clone(),
                kind: e.kind,
                language: f.language,
                module: f.module.clone(),
                bases: e.bases.clone(),
                type_ref: e.type_ref.clone(),
            });
            self.by_qname
                .entry(e.qualified_name.clone())
                .or_default()
                .push(id);
            if e.kind != ElementKind::Field && e.kind != ElementKind::Impl {
                self.by_name.entry(e.name.clone()).or_default().push(id);
            }
            if let Some(owner) = owner_of(&e.qualified_name, f.language) {
                self.members
                    .entry((owner.to_string(), e.name.clone()))
                    .or_default()
                    .push(id);
            }
        }
    }

    pub fn sym(&self, id: u32) -> &Sym {
        &self.syms[id as usize]
    }

    pub fn len(&self) -> usize {
        self.syms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.syms.is_empty()
    }

    pub fn has_module(&self, m: &str) -> bool {
        self.modules.get(m).is_some_and(|i| i.language.is_some())
    }

    pub fn is_rust_crate(&self, name: &str) -> bool {
        self.rust_crates.contains(name)
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

    /// Members named `name` declared directly on `owner` (any impl block of it).
    pub fn direct_member(&self, owner: &str, name: &str) -> Option<u32> {
        let ids = self.members.get(&(owner.to_string(), name.to_string()))?;
        ids.iter()
            .copied()
            .find(|&i| self.sym(i).kind != ElementKind::Impl)
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

    pub fn imports_of(&self, module: &str) -> &[Import] {
        self.modules
            .get(module)
            .map(|m| m.imports.as_slice())
            .unwrap_or(&[])
    }

    pub fn module_language(&self, module: &str) -> Option<Language> {
        self.modules.get(module).and_then(|m| m.language)
    }

    pub fn module_path(&self, module: &str) -> Option<&str> {
        self.modules
            .get(module)
            .and_then(|m| m.paths.first())
            .map(String::as_str)
    }

    pub fn js_module_at(&self, stem: &str) -> Option<&str> {
        self.js_stems.get(stem).map(String::as_str)
    }

    pub fn python_module(&self, dotted: &str) -> Option<String> {
        if self.has_module(dotted) {
            return Some(dotted.to_string());
        }
        self.py_suffixes.get(dotted).cloned().flatten()
    }
}
