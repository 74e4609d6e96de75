//! Call resolution: which definition each call site reaches, with a grade saying how
//! sure. Pure functions over parsed files and the [`SymbolTable`]; no I/O.
//!
//! A call is looked up the way the language does: locals (which shadow everything),
//! nested definitions, the module's own items, its imports (aliases, re-exports,
//! wildcards), then built-ins. A method call's receiver gets a type from `self`/`this`,
//! annotations, constructor assignments, return types and copies between locals, and
//! the method is found on that type or its bases (superclasses, implemented traits,
//! embedded structs). Only when all of that fails does a unique name in the project
//! count, and then as `probable`; ambiguous names stay `unresolved` rather than guessed.

mod builtins;
mod python_mro;
mod table;

use std::collections::HashMap;

use serde::Serialize;

use crate::lang::{Language, owner_of};
use crate::model::{CallSite, Callee, ElementKind, ParsedFile, Receiver, Through, TypeHint};
use table::MAX_DEPTH;
pub use table::{Sym, SymbolTable, Target};
pub(crate) use table::{simple_name, type_words};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    /// Found by the language's own rules.
    Exact,
    /// Found through inference (a return type, a copy) or the only definition of that name.
    Probable,
    /// Outside the project (a library, the standard library, a built-in).
    External,
    /// Not found; the callee is the call as written.
    Unresolved,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Probable => "probable",
            Self::External => "external",
            Self::Unresolved => "unresolved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "exact" => Self::Exact,
            "probable" => Self::Probable,
            "external" => Self::External,
            "unresolved" => Self::Unresolved,
            _ => return None,
        })
    }
}

/// How sure a step is; a chain is as sure as its weakest step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Grade {
    Exact,
    Probable,
}

impl Grade {
    fn and(self, other: Grade) -> Grade {
        self.max(other)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// Qualified name of the calling element.
    pub caller: String,
    /// Qualified name of the definition, the external path, or the call as written.
    pub callee: String,
    /// The simple name called, which a re-index uses to find edges a change may affect.
    pub callee_name: String,
    /// Kind of the callee when it is a definition in the project.
    pub callee_kind: Option<ElementKind>,
    pub resolution: Resolution,
    pub line: u32,
    pub col: u32,
}

/// Resolves every call site of `file` against `table` (which should contain `file`).
pub fn resolve_file(file: &ParsedFile, table: &SymbolTable) -> Vec<Edge> {
    let ctx = Ctx::new(file, table);
    let mut edges: Vec<Edge> = file
        .calls
        .iter()
        .filter_map(|call| match &call.through {
            None => ctx.edge(call.caller, &call.callee, call.line, call.col),
            Some(through) => ctx.value_edge(call, through),
        })
        .collect();
    if file.calls.iter().any(|c| c.through.is_some()) {
        // A value followed to a definition the plain lookup found too is one edge.
        let mut seen = std::collections::HashSet::new();
        edges.retain(|e| seen.insert((e.caller.clone(), e.callee.clone(), e.line, e.col)));
    }
    edges
}

struct Ctx<'a> {
    file: &'a ParsedFile,
    t: &'a SymbolTable,
    lang: Language,
    /// (parent element, name) -> element, for definitions visible by lexical scope.
    children: HashMap<(usize, &'a str), usize>,
    /// (scope, name) -> bindings in source order.
    bindings: HashMap<(usize, &'a str), Vec<usize>>,
}

type Found = (Target, Grade);

impl<'a> Ctx<'a> {
    fn new(file: &'a ParsedFile, t: &'a SymbolTable) -> Self {
        let mut children = HashMap::new();
        for (i, e) in file.elements.iter().enumerate() {
            if let Some(p) = e.parent
                && (e.kind.is_callable() || (e.kind.is_type() && e.kind != ElementKind::Impl))
            {
                children.entry((p, e.name.as_str())).or_insert(i);
            }
        }
        let mut bindings: HashMap<(usize, &str), Vec<usize>> = HashMap::new();
        for (i, b) in file.bindings.iter().enumerate() {
            bindings.entry((b.scope, b.name.as_str())).or_default().push(i);
        }
        Self {
            file,
            t,
            lang: file.language,
            children,
            bindings,
        }
    }

    fn sep(&self) -> &'static str {
        self.lang.separator()
    }

    fn chain(&self, from: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(from), |&i| self.file.elements[i].parent)
    }

    /// The module whose names code at `scope` sees (an inline Rust module or the file's).
    fn module_of(&self, scope: usize) -> &'a str {
        self.chain(scope)
            .find(|&i| self.file.elements[i].kind == ElementKind::Module)
            .map(|i| self.file.elements[i].qualified_name.as_str())
            .unwrap_or(&self.file.module)
    }

    fn self_type(&self, scope: usize) -> Option<&'a str> {
        self.chain(scope)
            .find(|&i| {
                matches!(
                    self.file.elements[i].kind,
                    ElementKind::Class
                        | ElementKind::Impl
                        | ElementKind::Struct
                        | ElementKind::Trait
                        | ElementKind::Interface
                )
            })
            .map(|i| self.file.elements[i].qualified_name.as_str())
    }

    /// The binding of `name` visible at `line` from `scope`, innermost first.
    fn local(&self, name: &str, scope: usize, line: u32) -> Option<&'a TypeHint> {
        self.local_at(name, scope, line, true).map(|(h, _)| h)
    }

    /// The latest binding of `name` on or before `line` (strictly before, unless
    /// `inclusive`), else the first one; with the line it is on.
    fn local_at(&self, name: &str, scope: usize, line: u32, inclusive: bool) -> Option<(&'a TypeHint, u32)> {
        for s in self.chain(scope) {
            if let Some(ids) = self.bindings.get(&(s, name)) {
                let visible = |i: &&usize| {
                    let l = self.file.bindings[**i].line;
                    if inclusive { l <= line } else { l < line }
                };
                let best = ids
                    .iter()
                    .rev()
                    .find(visible)
                    .or(if inclusive { ids.first() } else { None });
                if let Some(&i) = best {
                    let b = &self.file.bindings[i];
                    return Some((&b.hint, b.line));
                }
            }
        }
        None
    }

    /// A definition nested in a function (or in the module, for the module's own items).
    fn lexical(&self, name: &str, scope: usize) -> Option<u32> {
        for s in self.chain(scope) {
            let kind = self.file.elements[s].kind;
            if kind.is_type() {
                // Methods are not in scope by bare name inside their class or impl.
                continue;
            }
            if let Some(&i) = self.children.get(&(s, name)) {
                return self.t.by_qualified(&self.file.elements[i].qualified_name);
            }
            if kind == ElementKind::Module {
                break;
            }
        }
        None
    }

    fn edge(&self, caller: usize, callee: &Callee, line: u32, col: u32) -> Option<Edge> {
        let name = callee.name();
        let shadowed = matches!(callee, Callee::Name(n) if self.local(n, caller, line).is_some());
        let found = self.callee(callee, caller, line, 0);
        if self.lang == Language::Python
            && matches!(name, "__enter__" | "__exit__")
            && !matches!(found, Some((Target::Sym(_), _)))
        {
            // A `with` block's protocol calls are recorded for the project's context
            // managers; of others (files, locks, unknown values) there is nothing to say.
            return None;
        }
        let (id, kind, resolution) = match found {
            Some((Target::Sym(s), g)) => {
                let s = self.constructor(s);
                let sym = self.t.sym(s);
                let r = if g == Grade::Exact {
                    Resolution::Exact
                } else {
                    Resolution::Probable
                };
                (sym.qualified_name.clone(), Some(sym.kind), r)
            }
            Some((Target::External(e), _)) => (e, None, Resolution::External),
            Some((Target::Module(_), _)) | None => {
                if self.lang == Language::Rust && is_variant_like(callee) {
                    // `Some(x)`, `Kind::Empty(..)`: building a value, not calling code.
                    return None;
                }
                // A method the receiver's known type does not have is not guessed
                // by name: the evidence says it is some other type's (a trait's in
                // the standard library, most often).
                // Likewise `Vec::with_capacity(..)`: a path through a type the project
                // does not define is that type's function, not a project one of the
                // same name.
                let receiver_known = match callee {
                    Callee::Member { receiver, .. } => self.receiver(receiver, caller, line, 1).is_some(),
                    Callee::Path(segs) if self.lang == Language::Rust => segs
                        .len()
                        .checked_sub(2)
                        .and_then(|i| segs[i].chars().next())
                        .is_some_and(char::is_uppercase),
                    _ => false,
                };
                match self.by_name_only(callee).filter(|_| !shadowed && !receiver_known) {
                    Some(s) => {
                        let sym = self.t.sym(s);
                        (sym.qualified_name.clone(), Some(sym.kind), Resolution::Probable)
                    }
                    None => (callee.text(), None, Resolution::Unresolved),
                }
            }
        };
        Some(Edge {
            caller: self.file.elements[caller].qualified_name.clone(),
            callee: id,
            callee_name: name.to_string(),
            callee_kind: kind,
            resolution,
            line,
            col,
        })
    }

    /// A call through a value the extractor followed: to the definition it found, or to
    /// what the expression names where the value came from. Graded `probable` (the
    /// value analysis does not know which of the values a call sees), and left out
    /// when it leads nowhere in the project: the plain site says what is known then.
    fn value_edge(&self, call: &CallSite, through: &Through) -> Option<Edge> {
        let found = match through {
            Through::Definition(i) => self.t.by_qualified(&self.file.elements.get(*i)?.qualified_name)?,
            Through::Scope(s) => match self.callee(&call.callee, *s, call.line, 0)? {
                (Target::Sym(s), _) => s,
                _ => return None,
            },
        };
        let s = self.constructor(found);
        let sym = self.t.sym(s);
        if !(sym.kind.is_callable() || sym.kind == ElementKind::Class) {
            return None;
        }
        Some(Edge {
            caller: self.file.elements[call.caller].qualified_name.clone(),
            callee: sym.qualified_name.clone(),
            // The definition's name: a change to it re-links this file.
            callee_name: sym.name.clone(),
            callee_kind: Some(sym.kind),
            resolution: Resolution::Probable,
            line: call.line,
            col: call.col,
        })
    }

    /// Calling a class runs its constructor; link to it when it is defined.
    fn constructor(&self, s: u32) -> u32 {
        let sym = self.t.sym(s);
        if sym.kind != ElementKind::Class {
            return s;
        }
        let ctor = match sym.language {
            Language::Python => "__init__",
            Language::Rust | Language::Go => return s,
            _ => "constructor",
        };
        find_member(self.t, &sym.qualified_name, ctor, 0).unwrap_or(s)
    }

    /// The last resort: the only definition of that name in the project's language.
    fn by_name_only(&self, callee: &Callee) -> Option<u32> {
        let wanted = |k: ElementKind| match callee {
            Callee::Member { .. } => k == ElementKind::Method,
            Callee::New(_) => k == ElementKind::Class,
            _ => k.is_callable() && k != ElementKind::Module || k == ElementKind::Class,
        };
        let ids: Vec<u32> = self
            .t
            .named(callee.name(), self.lang.family())
            .into_iter()
            .filter(|&i| wanted(self.t.sym(i).kind))
            .collect();
        (ids.len() == 1).then(|| ids[0])
    }

    fn callee(&self, callee: &Callee, scope: usize, line: u32, depth: u8) -> Option<Found> {
        if depth > MAX_DEPTH {
            return None;
        }
        match callee {
            Callee::Name(n) => self.name(n, scope, line, true),
            Callee::New(n) => self.name(n, scope, line, false),
            Callee::Path(segs) => self.path(segs, scope),
            Callee::Member { receiver, name } => {
                let (recv, g) = self.receiver(receiver, scope, line, depth + 1)?;
                let (m, g2) = member_of(self.t, &recv, name, self.lang, 0)?;
                Some((m, g.and(g2)))
            }
        }
    }

    /// A bare name: locals shadow nested definitions, which shadow module items and
    /// imports, which shadow built-ins.
    fn name(&self, n: &str, scope: usize, line: u32, locals_shadow: bool) -> Option<Found> {
        if locals_shadow && self.local(n, scope, line).is_some() {
            // A call through a variable: the value's origin is not tracked that far.
            return None;
        }
        if let Some(s) = self.lexical(n, scope) {
            return Some((Target::Sym(s), Grade::Exact));
        }
        let module = self.module_of(scope);
        if let Some(found) = name_in_module(self.t, n, module, self.lang, 0) {
            return Some(found);
        }
        builtins::builtin(self.lang, n).map(|b| (Target::External(b), Grade::Exact))
    }

    fn path(&self, segs: &[String], scope: usize) -> Option<Found> {
        let module = self.module_of(scope);
        let first = segs.first()?;
        let start = if first == "Self" {
            let q = self.self_type(scope)?;
            (Target::Sym(self.t.by_qualified(q)?), Grade::Exact)
        } else if let Some(s) = self.lexical(first, scope) {
            (Target::Sym(s), Grade::Exact)
        } else {
            path_start(self.t, first, module, self.lang, 0)?
        };
        fold_members(self.t, start, &segs[1..], self.lang, 0)
    }

    fn receiver(&self, r: &Receiver, scope: usize, line: u32, depth: u8) -> Option<Found> {
        if depth > MAX_DEPTH {
            return None;
        }
        match r {
            Receiver::SelfRef => {
                // An impl for a generic parameter: `self` is the parameter's bound.
                let generic_impl = self
                    .chain(scope)
                    .map(|i| &self.file.elements[i])
                    .find(|e| e.kind.is_type())
                    .filter(|e| e.kind == ElementKind::Impl)
                    .and_then(|e| e.type_ref.as_deref());
                if let Some(bound) = generic_impl {
                    return resolve_type(self.t, bound, self.module_of(scope), self.lang, 0);
                }
                let q = self.self_type(scope)?;
                Some((Target::Sym(self.t.by_qualified(q)?), Grade::Exact))
            }
            Receiver::Super => {
                let q = self.self_type(scope)?;
                let (base, module) = self.t.bases_of(q).into_iter().next()?;
                resolve_type(self.t, &base, &module, self.lang, 0)
            }
            Receiver::Name(n) => {
                if let Some(hint) = self.local(n, scope, line) {
                    if *hint == TypeHint::Unknown
                        && let Some(found) = self.pytest_fixture(n, scope)
                    {
                        return Some(found);
                    }
                    return self.hint(hint, scope, line, depth + 1);
                }
                if let Some(s) = self.lexical(n, scope) {
                    return Some((Target::Sym(s), Grade::Exact));
                }
                let module = self.module_of(scope);
                name_in_module(self.t, n, module, self.lang, 0)
                    .or_else(|| {
                        (self.lang == Language::Python)
                            .then(|| self.t.python_module(n))
                            .flatten()
                            .map(|m| (Target::Module(m), Grade::Exact))
                    })
                    .or_else(|| builtins::builtin(self.lang, n).map(|b| (Target::External(b), Grade::Exact)))
            }
            Receiver::Path(segs) => {
                let first = segs.first()?;
                let mut cur = if first == "self" {
                    self.receiver(&Receiver::SelfRef, scope, line, depth + 1)?
                } else if self.lang == Language::Python && self.local(first, scope, line).is_none() {
                    // `os.path.join`: the longest imported dotted prefix names a module.
                    if let Some(found) = self.dotted_import(segs, scope) {
                        return Some(found);
                    }
                    self.receiver(&Receiver::Name(first.clone()), scope, line, depth + 1)?
                } else {
                    self.receiver(&Receiver::Name(first.clone()), scope, line, depth + 1)?
                };
                for seg in &segs[1..] {
                    cur = value_member(self.t, &cur, seg, self.lang)?;
                }
                Some(cur)
            }
            Receiver::Call(c) => {
                if let Some(found) = self.passed_through(c, scope, line, depth + 1) {
                    return Some(found);
                }
                let found = self.callee(c, scope, line, depth + 1)?;
                value_of_call(self.t, found, self.lang)
            }
            Receiver::Unknown => None,
        }
    }

    /// A parameter of a pytest test or fixture is the value of the fixture of that name
    /// (defined in a `conftest` module or the test's own), when there is one.
    fn pytest_fixture(&self, name: &str, scope: usize) -> Option<Found> {
        if self.lang != Language::Python {
            return None;
        }
        let function = self.chain(scope).find(|&i| {
            matches!(
                self.file.elements[i].kind,
                ElementKind::Function | ElementKind::Method
            )
        })?;
        let f = &self.file.elements[function];
        if !(f.is_test || self.file.module.rsplit('.').next() == Some("conftest")) {
            return None;
        }
        let fixtures: Vec<u32> = self
            .t
            .named(name, self.lang.family())
            .into_iter()
            .filter(|&i| {
                let s = self.t.sym(i);
                s.kind == ElementKind::Function
                    && (s.module == self.file.module || s.module.rsplit('.').next() == Some("conftest"))
                    && owner_of(&s.qualified_name, s.language) == Some(s.module.as_str())
            })
            .collect();
        let [fixture] = fixtures[..] else {
            return None;
        };
        value_of_call(self.t, (Target::Sym(fixture), Grade::Probable), self.lang)
    }

    /// Python `import a.b` binds `a.b`; a receiver `a.b.c` starts with that module.
    fn dotted_import(&self, segs: &[String], scope: usize) -> Option<Found> {
        let module = self.module_of(scope);
        for len in (2..=segs.len()).rev() {
            let dotted = segs[..len].join(".");
            if let Some(imp) = self.t.imports_of(module).find(|i| i.alias == dotted) {
                let start = import_target(self.t, imp, module, self.lang, 0)?;
                return fold_members(self.t, start, &segs[len..], self.lang, 0);
            }
        }
        None
    }

    fn hint(&self, hint: &TypeHint, scope: usize, line: u32, depth: u8) -> Option<Found> {
        if depth > MAX_DEPTH {
            return None;
        }
        match hint {
            TypeHint::Type(t) => {
                if t == "Self" {
                    let q = self.self_type(scope)?;
                    return Some((Target::Sym(self.t.by_qualified(q)?), Grade::Exact));
                }
                let module = self.module_of(scope);
                // A local type (a class defined in the function) first.
                if !t.contains(self.sep())
                    && let Some(s) = self.lexical(t, scope)
                {
                    return Some((Target::Sym(s), Grade::Exact));
                }
                resolve_type(self.t, t, module, self.lang, 0)
            }
            TypeHint::CallResult(c) => {
                if let Some(found) = self.passed_through(c, scope, line, depth + 1) {
                    return Some(found);
                }
                let found = self.callee(c, scope, line, depth + 1)?;
                value_of_call(self.t, found, self.lang)
            }
            TypeHint::Alias(other) => {
                // The alias's own line: `let x = x;` copies the earlier `x`.
                let own_line = self
                    .file
                    .bindings
                    .iter()
                    .find(|b| std::ptr::eq(&b.hint, hint))
                    .map(|b| b.line)
                    .unwrap_or(line);
                let (h, at) = self.local_at(other, scope, own_line, false)?;
                let (t, _) = self.hint(h, scope, at, depth + 1)?;
                Some((t, Grade::Probable))
            }
            TypeHint::Of(r) => self.receiver(r, scope, line, depth + 1),
            TypeHint::Unknown => None,
        }
    }

    /// `x.unwrap()`, `x.clone()`, `x?`-like calls that hand back the value they are
    /// called on (its `Option`/`Result`/reference taken off, which types here ignore):
    /// the value of `x`, unless `x`'s own type defines the method.
    fn passed_through(&self, c: &Callee, scope: usize, line: u32, depth: u8) -> Option<Found> {
        let Callee::Member { receiver, name } = c else {
            return None;
        };
        if self.lang != Language::Rust || !PASS_THROUGH.contains(&name.as_str()) {
            return None;
        }
        let inner = self.receiver(receiver, scope, line, depth + 1)?;
        match member_of(self.t, &inner.0, name, self.lang, 0) {
            Some((Target::Sym(_), _)) => None,
            _ => Some((inner.0, inner.1.and(Grade::Probable))),
        }
    }
}

/// Rust methods of `Option`, `Result`, references and smart pointers whose result has
/// the methods of the value they are called on.
const PASS_THROUGH: &[&str] = &[
    "unwrap",
    "expect",
    "clone",
    "to_owned",
    "unwrap_or_default",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_unchecked",
    "as_ref",
    "as_mut",
    "as_deref",
    "as_deref_mut",
    "borrow",
    "borrow_mut",
    "lock",
    "read",
    "write",
    "get_mut",
    "into_inner",
    "ok",
    "ok_or",
    "ok_or_else",
    "context",
    "with_context",
    "map_err",
    "as_ptr",
    "deref",
    "deref_mut",
];

/// `Some(..)`, `Ok(..)`, `Kind::Empty(..)`: a capitalised last segment in Rust.
fn is_variant_like(callee: &Callee) -> bool {
    match callee {
        Callee::Name(n) => n.chars().next().is_some_and(char::is_uppercase),
        Callee::Path(p) => p
            .last()
            .and_then(|s| s.chars().next())
            .is_some_and(char::is_uppercase),
        _ => false,
    }
}

fn join(a: &str, sep: &str, b: &str) -> String {
    let mut s = String::with_capacity(a.len() + sep.len() + b.len());
    s.push_str(a);
    s.push_str(sep);
    s.push_str(b);
    s
}

/// A name as the module `module` sees it: its own items, then its imports.
fn name_in_module(t: &SymbolTable, name: &str, module: &str, lang: Language, depth: u8) -> Option<Found> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(s) = t.by_qualified(&join(module, lang.separator(), name)) {
        return Some((Target::Sym(s), Grade::Exact));
    }
    let imports = t.imports_of(module);
    if let Some(imp) = imports.clone().rev().find(|i| i.alias == name)
        && let Some(found) = import_target(t, imp, module, lang, depth + 1)
    {
        return Some(found);
    }
    for imp in imports.filter(|i| i.alias == "*") {
        if let Some((Target::Module(m), _)) = import_module(t, imp, module, lang, depth + 1)
            && m != module
            && let Some(found) = member_of(t, &Target::Module(m), name, lang, depth + 1)
        {
            return Some(found);
        }
    }
    None
}

/// The module an import names, inside the project or not.
fn import_module(
    t: &SymbolTable,
    imp: &crate::model::Import,
    scope: &str,
    lang: Language,
    depth: u8,
) -> Option<Found> {
    if depth > MAX_DEPTH {
        return None;
    }
    match lang {
        Language::Rust => {
            let segs: Vec<String> = imp.module.split("::").map(str::to_string).collect();
            let start = path_start(t, &segs[0], scope, lang, depth + 1)?;
            fold_members(t, start, &segs[1..], lang, depth + 1)
        }
        Language::Python => Some(match t.python_module(&imp.module) {
            Some(m) => (Target::Module(m), Grade::Exact),
            None => (Target::External(imp.module.clone()), Grade::Exact),
        }),
        Language::Go => Some(if t.has_module(&imp.module) {
            (Target::Module(imp.module.clone()), Grade::Exact)
        } else {
            (Target::External(imp.module.clone()), Grade::Exact)
        }),
        Language::TypeScript | Language::Tsx | Language::JavaScript => {
            if !imp.module.starts_with('.') {
                return Some((Target::External(imp.module.clone()), Grade::Exact));
            }
            let from = t.module_path(scope).unwrap_or("");
            let dir = from.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            let joined = normalize(dir, &imp.module);
            let stripped = joined
                .strip_suffix(".js")
                .or_else(|| joined.strip_suffix(".ts"))
                .or_else(|| joined.strip_suffix(".jsx"))
                .or_else(|| joined.strip_suffix(".tsx"))
                .unwrap_or(&joined);
            let found = t
                .js_module_at(stripped)
                .or_else(|| t.js_module_at(&format!("{stripped}/index")))
                .map(str::to_string);
            Some(match found {
                Some(m) => (Target::Module(m), Grade::Exact),
                None => (Target::External(imp.module.clone()), Grade::Exact),
            })
        }
    }
}

/// `dir` joined with a relative specifier, `.` and `..` applied.
fn normalize(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split('/') {
        match p {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

fn import_target(
    t: &SymbolTable,
    imp: &crate::model::Import,
    scope: &str,
    lang: Language,
    depth: u8,
) -> Option<Found> {
    if depth > MAX_DEPTH {
        return None;
    }
    let base = import_module(t, imp, scope, lang, depth + 1)?;
    match imp.name.as_deref() {
        None => Some(base),
        Some("default") => member_of(t, &base.0, "default", lang, depth + 1).or_else(|| {
            member_of(t, &base.0, &imp.alias, lang, depth + 1).map(|(f, _)| (f, Grade::Probable))
        }),
        Some(n) => {
            let found = member_of(t, &base.0, n, lang, depth + 1);
            if found.is_none() && lang == Language::Python {
                // `from pkg import sub` where `sub` is a module of the package.
                if let Target::Module(m) = &base.0 {
                    let sub = join(m, ".", n);
                    if t.has_module(&sub) {
                        return Some((Target::Module(sub), Grade::Exact));
                    }
                }
            }
            found
        }
    }
}

/// Where a path's first segment leads, Rust's `crate`/`self`/`super` included.
fn path_start(t: &SymbolTable, first: &str, module: &str, lang: Language, depth: u8) -> Option<Found> {
    if depth > MAX_DEPTH {
        return None;
    }
    if lang == Language::Rust {
        let root = module.split("::").next().unwrap_or("crate");
        match first {
            "crate" => return Some((Target::Module(root.to_string()), Grade::Exact)),
            "self" => return Some((Target::Module(module.to_string()), Grade::Exact)),
            "super" => {
                let parent = module.rsplit_once("::").map(|(p, _)| p).unwrap_or(root);
                return Some((Target::Module(parent.to_string()), Grade::Exact));
            }
            _ => {}
        }
        if let Some(found) = name_in_module(t, first, module, lang, depth + 1) {
            return Some(found);
        }
        let child = join(module, "::", first);
        if t.has_module(&child) {
            return Some((Target::Module(child), Grade::Exact));
        }
        if t.is_rust_crate(first) {
            return Some((Target::Module(first.to_string()), Grade::Exact));
        }
        let in_root = join(root, "::", first);
        if t.has_module(&in_root) {
            return Some((Target::Module(in_root), Grade::Exact));
        }
        // An external crate (or std): keep the path.
        if builtins::is_rust_std(first) || first.chars().next().is_some_and(char::is_lowercase) {
            return Some((Target::External(first.to_string()), Grade::Exact));
        }
        return builtins::builtin(lang, first).map(|b| (Target::External(b), Grade::Exact));
    }
    name_in_module(t, first, module, lang, depth + 1)
}

fn fold_members(t: &SymbolTable, start: Found, rest: &[String], lang: Language, depth: u8) -> Option<Found> {
    let mut cur = start;
    for seg in rest {
        let (next, g) = member_of(t, &cur.0, seg, lang, depth + 1)?;
        cur = (next, cur.1.and(g));
    }
    Some(cur)
}

/// `container.name` for a module, a type or an external path.
fn member_of(t: &SymbolTable, target: &Target, name: &str, lang: Language, depth: u8) -> Option<Found> {
    if depth > MAX_DEPTH {
        return None;
    }
    match target {
        Target::Module(m) => {
            let mlang = t.module_language(m).unwrap_or(lang);
            if let Some(found) = name_in_module(t, name, m, mlang, depth + 1) {
                return Some(found);
            }
            let sub = join(m, mlang.separator(), name);
            t.has_module(&sub).then_some((Target::Module(sub), Grade::Exact))
        }
        Target::Sym(id) => {
            let sym = t.sym(*id);
            match sym.kind {
                ElementKind::Module => member_of(
                    t,
                    &Target::Module(sym.qualified_name.clone()),
                    name,
                    lang,
                    depth + 1,
                ),
                ElementKind::TypeAlias => {
                    let (aliased, _) =
                        resolve_type(t, sym.type_ref.as_deref()?, &sym.module, sym.language, depth + 1)?;
                    member_of(t, &aliased, name, lang, depth + 1)
                }
                k if k.is_type() => find_member(t, &sym.qualified_name, name, depth + 1)
                    .map(|m| (Target::Sym(m), Grade::Exact)),
                _ => None,
            }
        }
        Target::External(e) => Some((Target::External(join(e, lang.separator(), name)), Grade::Exact)),
    }
}

/// A member of a type or of its bases (superclasses, traits it implements, embedded
/// structs), nearest first.
fn find_member(t: &SymbolTable, type_q: &str, name: &str, depth: u8) -> Option<u32> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(m) = t.direct_member(type_q, name) {
        return Some(m);
    }
    let lang = t.by_qualified(type_q).map(|s| t.sym(s).language)?;
    let bases = t.bases_of(type_q);
    // Multiple inheritance in Python follows the C3 order, not the first base's tree.
    if lang == Language::Python
        && bases.len() > 1
        && let Some(order) = python_mro::mro(t, type_q, depth + 1)
    {
        return order.iter().skip(1).find_map(|q| t.direct_member(q, name));
    }
    for (base, module) in bases {
        if let Some((Target::Sym(b), _)) = resolve_type(t, &base, &module, lang, depth + 1) {
            let bq = t.sym(b).qualified_name.clone();
            if bq != type_q
                && let Some(m) = find_member(t, &bq, name, depth + 1)
            {
                return Some(m);
            }
        }
    }
    None
}

/// A written type (`Repo`, `store.DB`, `crate::db::Db`) seen from `module`; a type not
/// in the project is external.
fn resolve_type(t: &SymbolTable, written: &str, module: &str, lang: Language, depth: u8) -> Option<Found> {
    if depth > MAX_DEPTH {
        return None;
    }
    let segs: Vec<String> = written.split(lang.separator()).map(str::to_string).collect();
    let start = path_start(t, &segs[0], module, lang, depth + 1);
    let found = match start {
        Some(s) => fold_members(t, s, &segs[1..], lang, depth + 1),
        None => None,
    };
    match found {
        Some((Target::Sym(s), g)) if t.sym(s).kind == ElementKind::TypeAlias => {
            let sym = t.sym(s);
            match sym.type_ref.as_deref() {
                Some(r) if r != written => {
                    resolve_type(t, r, &sym.module, sym.language, depth + 1).map(|(x, g2)| (x, g.and(g2)))
                }
                _ => Some((Target::Sym(s), g)),
            }
        }
        Some(f) => Some(f),
        None => Some((Target::External(written.to_string()), Grade::Exact)),
    }
}

/// `value.seg`: a field's declared type, a nested type, or a module member.
fn value_member(t: &SymbolTable, cur: &Found, seg: &str, lang: Language) -> Option<Found> {
    match &cur.0 {
        Target::Sym(id) => {
            let sym = t.sym(*id);
            if sym.kind.is_type() {
                let m = find_member(t, &sym.qualified_name, seg, 0)?;
                let msym = t.sym(m);
                if msym.kind == ElementKind::Field || msym.kind == ElementKind::Constant {
                    let ty = msym.type_ref.as_deref()?;
                    let (found, g) = resolve_type(t, ty, &msym.module, msym.language, 0)?;
                    // `self.repo = connect(url)`: the field holds what the function returns.
                    if let Target::Sym(f) = found
                        && t.sym(f).kind.is_callable()
                    {
                        return value_of_call(t, (found, cur.1.and(g)), lang);
                    }
                    return Some((found, cur.1.and(g)));
                }
                return Some((Target::Sym(m), cur.1));
            }
            member_of(t, &cur.0, seg, lang, 0)
        }
        _ => member_of(t, &cur.0, seg, lang, 0),
    }
}

/// The value a call returns: an instance for a constructor, else the declared result.
fn value_of_call(t: &SymbolTable, (target, g): Found, lang: Language) -> Option<Found> {
    match target {
        Target::Sym(s) => {
            let sym = t.sym(s);
            if sym.kind.is_type() {
                return Some((Target::Sym(s), g));
            }
            if matches!(sym.name.as_str(), "__init__" | "constructor") {
                let owner = owner_of(&sym.qualified_name, sym.language)?;
                return t.by_qualified(owner).map(|o| (Target::Sym(o), g));
            }
            let ty = sym.type_ref.as_deref()?;
            let (found, _) = resolve_type(t, ty, &sym.module, sym.language, 0)?;
            Some((found, Grade::Probable))
        }
        Target::External(e) => {
            let sep = lang.separator();
            // `Client::new()` returns a `Client` by convention.
            for ctor in ["new", "default"] {
                if let Some(owner) = e.strip_suffix(&format!("{sep}{ctor}")) {
                    return Some((Target::External(owner.to_string()), g));
                }
            }
            Some((Target::External(format!("{e}()")), g))
        }
        Target::Module(_) => None,
    }
}
