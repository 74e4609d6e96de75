//! Python values followed through one file: functions, lambdas, classes and instances
//! assigned to variables, tuples, lists, dicts and attributes, passed as arguments,
//! returned, and applied as decorators. A call through such a value (`b = f; b()`,
//! `handlers["a"]()`, `self.child()` where some method stored a method there, `f()()`)
//! gets one call site per value it may hold, marked with [`Through`] so the resolver
//! links it to that definition.
//!
//! The analysis is flow-insensitive and runs to a fixed point over facts the walker
//! records (assignments, returns, calls with their arguments, container literals),
//! the way PyCG's assignment graph does, but within the file: a value that comes from
//! another module is kept as an expression (`Through::Scope`) for the resolver, which
//! sees the whole project, to finish. Values the file cannot see (a parameter no call
//! in the file fills, a function of another module's return) stay unknown: no edge is
//! guessed for them.

use std::collections::{BTreeSet, HashMap};

use crate::model::{CallSite, Callee, Element, ElementKind, Receiver, Through};

/// An expression as far as values go.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Expr {
    Name(String),
    /// `a.b.c`; the first segment may be `self`.
    Attr(Vec<String>),
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        kwargs: Vec<(String, Expr)>,
    },
    /// A definition of this file (a lambda, or a decorated function before decoration).
    Def(usize),
    /// A list, tuple, set or dict literal (its values), by box id.
    Items(usize),
    /// `x[..]`, `*x`, an element of `x`.
    Item(Box<Expr>),
    Unknown,
}

/// Where an assignment puts a value.
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    Name(String),
    /// `x.attr = ..`: every object's `attr` (fields are told apart by name only).
    Attr(String),
    /// `x[k] = ..`
    Item(Expr),
    Tuple(Vec<Slot>),
    /// `*rest` in a tuple target: gets the remaining items as a list.
    Starred(Box<Slot>),
}

#[derive(Debug, Clone)]
struct CallFact {
    scope: usize,
    func: Expr,
    args: Vec<Expr>,
    kwargs: Vec<(String, Expr)>,
    /// Where the call is, to add sites at; `None` for facts that are not calls written
    /// out (a decorator applied).
    at: Option<(u32, u32)>,
}

/// What the walker records for the analysis.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    assigns: Vec<(usize, Slot, Expr)>,
    returns: Vec<(usize, Expr)>,
    calls: Vec<CallFact>,
    /// `for x in it`: the iteration protocol's calls.
    loops: Vec<(usize, Expr, u32, u32)>,
    /// Box id -> (scope, the literal's values).
    boxes: Vec<(usize, Vec<Expr>)>,
    /// Function or lambda -> its parameters in order (`self` included).
    params: HashMap<usize, Vec<String>>,
    /// Lambdas numbered per scope, as PyCG names them (`<lambda1>`).
    lambda_count: HashMap<usize, u32>,
    /// Tree node id -> lambda element, so a lambda is one element however it is reached.
    lambdas: HashMap<usize, usize>,
}

impl Facts {
    pub fn assign(&mut self, scope: usize, slot: Slot, value: Expr) {
        self.assigns.push((scope, slot, value));
    }

    pub fn returns(&mut self, function: usize, value: Expr) {
        self.returns.push((function, value));
    }

    pub fn call(
        &mut self,
        scope: usize,
        func: Expr,
        args: Vec<Expr>,
        kwargs: Vec<(String, Expr)>,
        at: Option<(u32, u32)>,
    ) {
        self.calls.push(CallFact {
            scope,
            func,
            args,
            kwargs,
            at,
        });
    }

    pub fn iterate(&mut self, scope: usize, over: Expr, line: u32, col: u32) {
        self.loops.push((scope, over, line, col));
    }

    pub fn new_box(&mut self, scope: usize, items: Vec<Expr>) -> Expr {
        self.boxes.push((scope, items));
        Expr::Items(self.boxes.len() - 1)
    }

    pub fn params(&mut self, function: usize, names: Vec<String>) {
        self.params.insert(function, names);
    }

    /// The lambda element made for tree node `node`, if one was.
    pub fn lambda(&self, node: usize) -> Option<usize> {
        self.lambdas.get(&node).copied()
    }

    /// The name of the next lambda in `scope`, remembered as element `element` of node `node`.
    pub fn lambda_name(&mut self, scope: usize) -> String {
        let n = self.lambda_count.entry(scope).or_insert(0);
        *n += 1;
        format!("<lambda{n}>")
    }

    pub fn remember_lambda(&mut self, node: usize, element: usize) {
        self.lambdas.insert(node, element);
    }
}

/// A value a name, attribute or item may hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Val {
    /// A function, method, lambda or class defined in this file.
    Def(usize),
    /// An instance of a class of this file.
    Inst(usize),
    /// A list/tuple/dict literal.
    Box(usize),
    /// What an expression names, seen from a scope: for the resolver to find.
    Ref(Expr, usize),
}

type Set = BTreeSet<Val>;

/// Rounds of propagation at most; chains longer than this in one file are rare.
const ROUNDS: usize = 12;
/// Values one slot keeps at most, so a hot container cannot blow up the analysis.
const MAX_VALUES: usize = 64;

struct Solver<'a> {
    elements: &'a [Element],
    facts: &'a Facts,
    /// (scope, name) -> definition of that name directly in the scope.
    children: HashMap<(usize, &'a str), usize>,
    /// (scope, name) assigned or a parameter there: a variable of that scope.
    declared: std::collections::HashSet<(usize, String)>,
    vars: HashMap<(usize, String), Set>,
    attrs: HashMap<String, Set>,
    boxes: HashMap<usize, Set>,
    rets: HashMap<usize, Set>,
    changed: bool,
}

fn add_all(into: &mut Set, from: Set, changed: &mut bool) {
    for v in from {
        if into.len() >= MAX_VALUES {
            return;
        }
        if into.insert(v) {
            *changed = true;
        }
    }
}

impl<'a> Solver<'a> {
    fn new(elements: &'a [Element], facts: &'a Facts) -> Self {
        let mut children = HashMap::new();
        for (i, e) in elements.iter().enumerate() {
            if let Some(p) = e.parent
                && (e.kind.is_callable() || e.kind == ElementKind::Class)
            {
                children.entry((p, e.name.as_str())).or_insert(i);
            }
        }
        let mut declared = std::collections::HashSet::new();
        for (scope, slot, _) in &facts.assigns {
            declare(&mut declared, *scope, slot);
        }
        for (f, names) in &facts.params {
            for n in names {
                declared.insert((*f, n.clone()));
            }
        }
        Self {
            elements,
            facts,
            children,
            declared,
            vars: HashMap::new(),
            attrs: HashMap::new(),
            boxes: HashMap::new(),
            rets: HashMap::new(),
            changed: false,
        }
    }

    fn chain(&self, from: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(from), |&i| self.elements[i].parent)
    }

    /// Where a name read in `scope` lives: a variable, a definition, or neither.
    fn lookup(&self, scope: usize, name: &str) -> Lookup {
        for s in self.chain(scope) {
            let kind = self.elements[s].kind;
            if kind == ElementKind::Class {
                continue;
            }
            let var = self.declared.contains(&(s, name.to_string()));
            let def = self.children.get(&(s, name)).copied();
            if var || def.is_some() {
                return Lookup::Found(var.then_some(s), def);
            }
            if kind == ElementKind::Module {
                break;
            }
        }
        Lookup::Outside
    }

    fn enclosing_class(&self, scope: usize) -> Option<usize> {
        self.chain(scope)
            .find(|&i| self.elements[i].kind == ElementKind::Class)
    }

    fn method_of(&self, class: usize, name: &str) -> Option<usize> {
        self.children.get(&(class, name)).copied()
    }

    fn eval(&self, e: &Expr, scope: usize, depth: u8) -> Set {
        let mut out = Set::new();
        if depth > 8 {
            return out;
        }
        match e {
            Expr::Name(n) => match self.lookup(scope, n) {
                Lookup::Found(var, def) => {
                    if let Some(s) = var
                        && let Some(vals) = self.vars.get(&(s, n.clone()))
                    {
                        out.extend(vals.iter().cloned());
                    }
                    if out.is_empty()
                        && let Some(d) = def
                    {
                        out.insert(Val::Def(d));
                    }
                    // `return self`: an instance of the class the method is in.
                    if out.is_empty()
                        && n == "self"
                        && let Some(c) = self.enclosing_class(scope)
                    {
                        out.insert(Val::Inst(c));
                    }
                }
                Lookup::Outside => {
                    out.insert(Val::Ref(e.clone(), scope));
                }
            },
            Expr::Attr(path) => {
                let last = path.last().map(String::as_str).unwrap_or("");
                if let Some(vals) = self.attrs.get(last) {
                    out.extend(vals.iter().cloned());
                }
                let prefix = &path[..path.len() - 1];
                if prefix.len() == 1 && prefix[0] == "self" {
                    if let Some(m) = self.enclosing_class(scope).and_then(|c| self.method_of(c, last)) {
                        out.insert(Val::Def(m));
                    } else {
                        out.insert(Val::Ref(e.clone(), scope));
                    }
                } else {
                    let base = if prefix.len() == 1 {
                        Expr::Name(prefix[0].clone())
                    } else {
                        Expr::Attr(prefix.to_vec())
                    };
                    let mut local = false;
                    for v in self.eval(&base, scope, depth + 1) {
                        match v {
                            Val::Inst(c) | Val::Def(c) if self.elements[c].kind == ElementKind::Class => {
                                local = true;
                                if let Some(m) = self.method_of(c, last) {
                                    out.insert(Val::Def(m));
                                }
                            }
                            Val::Ref(..) => {}
                            _ => local = true,
                        }
                    }
                    if !local {
                        out.insert(Val::Ref(e.clone(), scope));
                    }
                }
            }
            Expr::Call { func, .. } => {
                for v in self.eval(func, scope, depth + 1) {
                    if let Val::Def(d) = v {
                        if self.elements[d].kind == ElementKind::Class {
                            out.insert(Val::Inst(d));
                        } else if let Some(r) = self.rets.get(&d) {
                            out.extend(r.iter().cloned());
                        }
                    }
                }
            }
            Expr::Def(d) => {
                out.insert(Val::Def(*d));
            }
            Expr::Items(b) => {
                out.insert(Val::Box(*b));
            }
            Expr::Item(x) => {
                for v in self.eval(x, scope, depth + 1) {
                    if let Val::Box(b) = v
                        && let Some(vals) = self.boxes.get(&b)
                    {
                        out.extend(vals.iter().cloned());
                    }
                }
            }
            Expr::Unknown => {}
        }
        out
    }

    fn put(&mut self, scope: usize, slot: &Slot, vals: Set, value: Option<&Expr>) {
        let mut changed = false;
        match slot {
            Slot::Name(n) => {
                add_all(
                    self.vars.entry((scope, n.clone())).or_default(),
                    vals,
                    &mut changed,
                );
            }
            Slot::Attr(a) => add_all(self.attrs.entry(a.clone()).or_default(), vals, &mut changed),
            Slot::Item(x) => {
                for v in self.eval(x, scope, 0) {
                    if let Val::Box(b) = v {
                        add_all(self.boxes.entry(b).or_default(), vals.clone(), &mut changed);
                    }
                }
            }
            Slot::Starred(inner) => {
                self.changed |= changed;
                return self.put(scope, inner, vals, None);
            }
            Slot::Tuple(slots) => {
                // `a, b = f, g` pairs up; anything else unpacks the value's items.
                let starred = slots.iter().any(|s| matches!(s, Slot::Starred(_)));
                let pairs = match value {
                    Some(Expr::Items(b)) if !starred && self.facts.boxes[*b].1.len() == slots.len() => {
                        Some(self.facts.boxes[*b].1.clone())
                    }
                    _ => None,
                };
                let items: Set = vals
                    .iter()
                    .filter_map(|v| match v {
                        Val::Box(b) => self.boxes.get(b).cloned(),
                        _ => None,
                    })
                    .flatten()
                    .collect();
                for (i, s) in slots.iter().enumerate() {
                    match &pairs {
                        Some(es) => {
                            let v = self.eval(&es[i], scope, 0);
                            self.put(scope, s, v, Some(&es[i]));
                        }
                        None => self.put(scope, s, items.clone(), None),
                    }
                }
            }
        }
        self.changed |= changed;
    }

    fn solve(&mut self) {
        for _ in 0..ROUNDS {
            self.changed = false;
            let facts = self.facts;
            for (b, (scope, items)) in facts.boxes.iter().enumerate() {
                let mut vals = Set::new();
                for e in items {
                    vals.extend(self.eval(e, *scope, 0));
                }
                let mut changed = false;
                add_all(self.boxes.entry(b).or_default(), vals, &mut changed);
                self.changed |= changed;
            }
            for (scope, slot, value) in &facts.assigns {
                let vals = self.eval(value, *scope, 0);
                self.put(*scope, slot, vals, Some(value));
            }
            for (f, value) in &facts.returns {
                let vals = self.eval(value, *f, 0);
                let mut changed = false;
                add_all(self.rets.entry(*f).or_default(), vals, &mut changed);
                self.changed |= changed;
            }
            for c in &facts.calls {
                self.pass_arguments(c);
            }
            if !self.changed {
                break;
            }
        }
    }

    /// Arguments flow into the parameters of the functions a call reaches in this file.
    fn pass_arguments(&mut self, c: &CallFact) {
        for v in self.eval(&c.func, c.scope, 0) {
            let (target, bound) = match v {
                Val::Def(d) if self.elements[d].kind == ElementKind::Class => {
                    match self.method_of(d, "__init__") {
                        Some(init) => (init, 1),
                        None => continue,
                    }
                }
                Val::Def(d) => {
                    let bound =
                        matches!(c.func, Expr::Attr(_)) && self.elements[d].kind == ElementKind::Method;
                    (d, usize::from(bound))
                }
                _ => continue,
            };
            let Some(params) = self.facts.params.get(&target) else {
                continue;
            };
            let params = params.clone();
            for (i, a) in c.args.iter().enumerate() {
                if let Some(p) = params.get(i + bound) {
                    let vals = self.eval(a, c.scope, 0);
                    self.put(target, &Slot::Name(p.clone()), vals, None);
                }
            }
            for (k, a) in &c.kwargs {
                if params.contains(k) {
                    let vals = self.eval(a, c.scope, 0);
                    self.put(target, &Slot::Name(k.clone()), vals, None);
                }
            }
        }
    }

    /// Is this call made through a value the analysis knows (not a plain name the
    /// resolver looks up itself)? With the values it may call.
    fn through_values(&self, c: &CallFact) -> Option<Set> {
        match &c.func {
            Expr::Name(n) => match self.lookup(c.scope, n) {
                Lookup::Found(Some(s), _) => {
                    let vals = self.vars.get(&(s, n.clone()))?;
                    (!vals.is_empty()).then(|| vals.clone())
                }
                _ => None,
            },
            Expr::Attr(path) => {
                let last = path.last()?;
                let mut vals: Set = self.attrs.get(last).cloned().unwrap_or_default();
                // `obj.method()` where `obj` holds an instance of a class of this file.
                if path.len() > 1 && path[0] != "self" {
                    for v in self.eval(&c.func, c.scope, 0) {
                        if let Val::Def(_) = v {
                            vals.insert(v);
                        }
                    }
                }
                (!vals.is_empty()).then_some(vals)
            }
            Expr::Call { .. } | Expr::Item(_) | Expr::Def(_) => {
                let vals = self.eval(&c.func, c.scope, 0);
                (!vals.is_empty()).then_some(vals)
            }
            _ => None,
        }
    }
}

fn declare(declared: &mut std::collections::HashSet<(usize, String)>, scope: usize, slot: &Slot) {
    match slot {
        Slot::Name(n) => {
            declared.insert((scope, n.clone()));
        }
        Slot::Tuple(s) => s.iter().for_each(|s| declare(declared, scope, s)),
        Slot::Starred(s) => declare(declared, scope, s),
        _ => {}
    }
}

enum Lookup {
    /// The scope whose variable it is, and a definition of the name there.
    Found(Option<usize>, Option<usize>),
    /// Not defined in the file's scopes: an import, a built-in or nothing.
    Outside,
}

/// A reference expression as the callee the resolver understands.
fn as_callee(e: &Expr) -> Option<Callee> {
    match e {
        Expr::Name(n) => Some(Callee::Name(n.clone())),
        Expr::Attr(path) if path.len() >= 2 => {
            let name = path.last()?.clone();
            let prefix = &path[..path.len() - 1];
            let receiver = match prefix {
                [one] if one == "self" => Receiver::SelfRef,
                [one] => Receiver::Name(one.clone()),
                more => Receiver::Path(more.to_vec()),
            };
            Some(Callee::Member { receiver, name })
        }
        _ => None,
    }
}

/// Solves the facts and adds the call sites values lead to. `calls` are the sites the
/// walker recorded; a call through a local variable that now has sites of its own loses
/// its plain site (the resolver could only leave it unresolved).
pub(crate) fn add_value_sites(elements: &[Element], facts: &Facts, calls: &mut Vec<CallSite>) {
    if facts.calls.is_empty() && facts.loops.is_empty() {
        return;
    }
    let mut solver = Solver::new(elements, facts);
    solver.solve();
    let mut added: Vec<CallSite> = Vec::new();
    let mut replaced: std::collections::HashSet<(usize, u32, u32)> = std::collections::HashSet::new();
    let push = |scope: usize, v: &Val, line: u32, col: u32, added: &mut Vec<CallSite>| -> bool {
        let site = match v {
            Val::Def(d) => CallSite {
                caller: scope,
                callee: Callee::Name(elements[*d].name.clone()),
                line,
                col,
                through: Some(Through::Definition(*d)),
            },
            Val::Ref(e, s) => {
                let Some(callee) = as_callee(e) else {
                    return false;
                };
                CallSite {
                    caller: scope,
                    callee,
                    line,
                    col,
                    through: Some(Through::Scope(*s)),
                }
            }
            Val::Inst(_) | Val::Box(_) => return false,
        };
        if !added.contains(&site) {
            added.push(site);
        }
        true
    };
    for c in &facts.calls {
        let Some((line, col)) = c.at else { continue };
        let Some(vals) = solver.through_values(c) else {
            continue;
        };
        let mut any = false;
        for v in &vals {
            // The plain site resolves the expression itself already.
            if matches!(v, Val::Ref(e, s) if *e == c.func && *s == c.scope) {
                continue;
            }
            any |= push(c.scope, v, line, col, &mut added);
        }
        if any && matches!(c.func, Expr::Name(_)) {
            replaced.insert((c.scope, line, col));
        }
    }
    // A function handed to code the file cannot follow (a built-in such as `map`, a
    // framework's registration, another module's function) may be called by it: an
    // edge from the function that hands it over, so a registered handler is never
    // shown as called by nothing. Not for decorators (`@app.route(..)` is `Call`).
    for c in &facts.calls {
        let Some((line, col)) = c.at else { continue };
        if matches!(c.func, Expr::Call { .. }) {
            continue;
        }
        let followed = solver
            .eval(&c.func, c.scope, 0)
            .iter()
            .any(|v| matches!(v, Val::Def(_) | Val::Inst(_)));
        if followed {
            continue;
        }
        for a in c.args.iter().chain(c.kwargs.iter().map(|(_, e)| e)) {
            if !matches!(a, Expr::Name(_) | Expr::Attr(_) | Expr::Def(_)) {
                continue;
            }
            for v in solver.eval(a, c.scope, 0) {
                if let Val::Def(d) = v
                    && matches!(elements[d].kind, ElementKind::Function | ElementKind::Method)
                {
                    push(c.scope, &Val::Def(d), line, col, &mut added);
                }
            }
        }
    }
    // `for x in it`: `iter(it)` calls `__iter__`, each step `__next__` of what it returned.
    for (scope, over, line, col) in &facts.loops {
        for v in solver.eval(over, *scope, 0) {
            let Val::Inst(class) = v else { continue };
            let Some(iter) = solver.method_of(class, "__iter__") else {
                continue;
            };
            push(*scope, &Val::Def(iter), *line, *col, &mut added);
            for r in solver.rets.get(&iter).cloned().unwrap_or_default() {
                if let Val::Inst(c) = r
                    && let Some(next) = solver.method_of(c, "__next__")
                {
                    push(*scope, &Val::Def(next), *line, *col, &mut added);
                }
            }
        }
    }
    calls.retain(|c| !(c.through.is_none() && replaced.contains(&(c.caller, c.line, c.col))));
    calls.extend(added);
}
