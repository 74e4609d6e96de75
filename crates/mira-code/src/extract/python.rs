//! Python: modules named by dotted path, classes with bases, functions and methods with
//! docstrings, `self.x = Type()` attributes as typed fields, imports (relative ones made
//! absolute), calls, and annotated or constructed locals.

use tree_sitter::Node;

use super::python_flow::{self, Expr, Slot};
use super::{Builder, NewElement, named_children, simple_type};
use crate::model::{Callee, ElementKind, Receiver, TypeHint, Visibility};

pub(crate) fn walk(b: &mut Builder<'_>, root: Node<'_>) {
    visit_children(b, root, 0, 0);
    let facts = std::mem::take(&mut b.py);
    python_flow::add_value_sites(&b.out.elements, &facts, &mut b.out.calls);
}

fn visit_children(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize) {
    for child in named_children(node) {
        visit(b, child, container, scope);
    }
}

fn visibility(name: &str) -> Visibility {
    if name.starts_with('_') && !(name.starts_with("__") && name.ends_with("__")) {
        Visibility::Private
    } else {
        Visibility::Public
    }
}

fn visit(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize) {
    match node.kind() {
        "function_definition" => {
            function(b, node, container, node);
        }
        "decorated_definition" => decorated(b, node, container, scope),
        "class_definition" => {
            class(b, node, container, scope, node);
        }
        "import_statement" => {
            let line = node.start_position().row as u32 + 1;
            for n in named_children(node) {
                match n.kind() {
                    // `import a.b` binds `a.b` as written; the resolver matches prefixes.
                    "dotted_name" => {
                        let m = b.text(n).to_string();
                        b.import(m.clone(), None, m, line, false);
                    }
                    "aliased_import" => {
                        let (Some(m), Some(a)) = (b.field_text(n, "name"), b.field_text(n, "alias")) else {
                            continue;
                        };
                        b.import(m, None, a, line, false);
                    }
                    _ => {}
                }
            }
        }
        "import_from_statement" => import_from(b, node),
        "call" => {
            if let Some(f) = node.child_by_field_name("function") {
                if let Some(c) = callee(b, f) {
                    b.call(scope, c, node);
                }
                if let Expr::Call { func, args, kwargs } = expr(b, node, scope) {
                    let p = node.start_position();
                    b.py.call(
                        scope,
                        *func,
                        args,
                        kwargs,
                        Some((p.row as u32 + 1, p.column as u32)),
                    );
                }
                visit(b, f, container, scope);
            }
            if let Some(args) = node.child_by_field_name("arguments") {
                visit_children(b, args, container, scope);
            }
        }
        "lambda" => {
            let idx = lambda(b, node, scope);
            if let Some(body) = node.child_by_field_name("body") {
                visit(b, body, container, idx);
            }
        }
        "return_statement" => {
            if let Some(value) = named_children(node).into_iter().next() {
                if b.kind_of(scope).is_callable() && scope != 0 {
                    let e = expr(b, value, scope);
                    b.py.returns(scope, e);
                    if b.out.elements[scope].type_ref.is_none() {
                        b.out.elements[scope].type_ref = returned_type(b, value, scope);
                    }
                }
                visit(b, value, container, scope);
            }
        }
        "for_statement" => {
            if let (Some(left), Some(right)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                let over = expr(b, right, scope);
                let p = node.start_position();
                b.py.iterate(scope, over.clone(), p.row as u32 + 1, p.column as u32);
                if let Some(slot) = slot(b, left, scope) {
                    b.py.assign(scope, slot, Expr::Item(Box::new(over)));
                }
            }
            visit_children(b, node, container, scope);
        }
        "assignment" => assignment(b, node, container, scope),
        // `raise Error` builds an instance: the class's constructor runs.
        "raise_statement" => {
            if let Some(e) = named_children(node).into_iter().next()
                && matches!(e.kind(), "identifier" | "attribute")
                && let Some(c) = callee(b, e)
                && c.name().chars().next().is_some_and(char::is_uppercase)
            {
                b.call(scope, c, e);
            }
            visit_children(b, node, container, scope);
        }
        // `with x:` calls `x.__enter__()` and `x.__exit__(..)`.
        "with_item" => {
            if let Some(v) = node.child_by_field_name("value") {
                let ctx = if v.kind() == "as_pattern" {
                    named_children(v).into_iter().next()
                } else {
                    Some(v)
                };
                if let Some(ctx) = ctx {
                    let r = receiver(b, ctx);
                    if r != Receiver::Unknown {
                        for name in ["__enter__", "__exit__"] {
                            let c = Callee::Member {
                                receiver: r.clone(),
                                name: name.into(),
                            };
                            b.call(scope, c, ctx);
                        }
                    }
                }
            }
            visit_children(b, node, container, scope);
        }
        "comment" => {}
        _ => visit_children(b, node, container, scope),
    }
}

fn docstring(b: &Builder<'_>, body: Option<Node<'_>>) -> Option<String> {
    let first = named_children(body?).into_iter().next()?;
    if first.kind() != "expression_statement" {
        return None;
    }
    let s = named_children(first).into_iter().next()?;
    if s.kind() != "string" {
        return None;
    }
    let text = b.text(s);
    let text = text.trim_start_matches(['r', 'u', 'b', 'R', 'U', 'B']);
    let inner = text
        .strip_prefix("\"\"\"")
        .and_then(|t| t.strip_suffix("\"\"\""))
        .or_else(|| text.strip_prefix("'''").and_then(|t| t.strip_suffix("'''")))
        .or_else(|| text.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
        .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
        .unwrap_or(text);
    let doc = inner.trim();
    (!doc.is_empty()).then(|| doc.to_string())
}

fn function(b: &mut Builder<'_>, node: Node<'_>, container: usize, outer: Node<'_>) -> Option<usize> {
    let name = b.field_text(node, "name")?;
    let in_class = b.kind_of(container) == ElementKind::Class;
    let kind = if in_class {
        ElementKind::Method
    } else {
        ElementKind::Function
    };
    let mut e = NewElement::new(kind, name.clone(), outer, container);
    e.visibility = visibility(&name);
    e.doc = docstring(b, node.child_by_field_name("body"));
    e.type_ref = node
        .child_by_field_name("return_type")
        .and_then(|t| simple_type(b.text(t)));
    let class_is_test = in_class && b.out.elements[container].name.starts_with("Test");
    e.is_test = name.starts_with("test") && (b.out.elements[0].is_test || class_is_test);
    let idx = b.add(e);
    if let Some(params) = node.child_by_field_name("parameters") {
        let names = param_names(b, params);
        b.py.params(idx, names);
        for p in named_children(params) {
            let plain = match p.kind() {
                "identifier" => Some(p),
                "default_parameter" => p.child_by_field_name("name"),
                _ => None,
            };
            if let Some(n) = plain {
                let name = b.text(n).to_string();
                if name != "self" && name != "cls" {
                    b.bind(idx, &name, TypeHint::Unknown, p);
                }
                continue;
            }
            if !matches!(p.kind(), "typed_parameter" | "typed_default_parameter") {
                continue;
            }
            let name = p
                .child_by_field_name("name")
                .or_else(|| named_children(p).into_iter().find(|n| n.kind() == "identifier"))
                .map(|n| b.text(n).to_string());
            let ty = p.child_by_field_name("type").and_then(|t| simple_type(b.text(t)));
            if let (Some(name), Some(ty)) = (name, ty) {
                b.bind(idx, &name, TypeHint::Type(ty), p);
            }
        }
    }
    if let Some(body) = node.child_by_field_name("body") {
        visit_children(b, body, idx, idx);
    }
    Some(idx)
}

fn class(
    b: &mut Builder<'_>,
    node: Node<'_>,
    container: usize,
    scope: usize,
    outer: Node<'_>,
) -> Option<usize> {
    let name = b.field_text(node, "name")?;
    let mut e = NewElement::new(ElementKind::Class, name.clone(), outer, container);
    e.visibility = visibility(&name);
    e.doc = docstring(b, node.child_by_field_name("body"));
    if let Some(supers) = node.child_by_field_name("superclasses") {
        e.bases = named_children(supers)
            .into_iter()
            .filter(|n| matches!(n.kind(), "identifier" | "attribute"))
            .map(|n| b.text(n).to_string())
            .collect();
    }
    let idx = b.add(e);
    // A class body runs when the module loads: its calls belong to the enclosing scope.
    if let Some(body) = node.child_by_field_name("body") {
        visit_children(b, body, idx, scope);
    }
    Some(idx)
}

fn assignment(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize) {
    let left = node.child_by_field_name("left");
    let right = node.child_by_field_name("right");
    let annotation = node
        .child_by_field_name("type")
        .and_then(|t| simple_type(b.text(t)));
    let hint = annotation
        .clone()
        .map(TypeHint::Type)
        .or_else(|| right.and_then(|r| value_hint(b, r)));
    if let Some(left) = left {
        match left.kind() {
            "identifier" => {
                let name = b.text(left).to_string();
                let at_top = scope == 0 && container == 0;
                if at_top
                    && name.len() > 1
                    && name
                        .chars()
                        .all(|c| c.is_uppercase() || c == '_' || c.is_ascii_digit())
                {
                    let mut e = NewElement::new(ElementKind::Constant, name.clone(), node, 0);
                    e.type_ref = annotation.clone();
                    b.add(e);
                }
                b.bind(scope, &name, hint.clone().unwrap_or(TypeHint::Unknown), node);
            }
            // `self.repo = Repository(...)` in a method: a typed attribute of the class.
            "attribute" => {
                let object = left.child_by_field_name("object").map(|o| b.text(o).to_string());
                let attr = b.field_text(left, "attribute");
                let class = b.out.elements[scope]
                    .parent
                    .filter(|&p| b.kind_of(p) == ElementKind::Class);
                if let (Some("self"), Some(attr), Some(class)) = (object.as_deref(), attr, class) {
                    let type_name = match &hint {
                        Some(TypeHint::Type(t)) => Some(t.clone()),
                        Some(TypeHint::CallResult(Callee::Name(n))) => Some(n.clone()),
                        Some(TypeHint::CallResult(Callee::Member {
                            receiver: Receiver::Name(m),
                            name,
                        })) => Some(format!("{m}.{name}")),
                        _ => None,
                    };
                    let known =
                        b.out.elements.iter().any(|e| {
                            e.parent == Some(class) && e.kind == ElementKind::Field && e.name == attr
                        });
                    if !known {
                        let mut e = NewElement::new(ElementKind::Field, attr.clone(), node, class);
                        e.visibility = visibility(&attr);
                        e.type_ref = type_name;
                        b.add(e);
                    }
                }
            }
            _ => {}
        }
    }
    if let (Some(left), Some(right)) = (left, right) {
        // `a = b = f`: the value is the innermost right-hand side.
        let mut value = right;
        while value.kind() == "assignment" {
            match value.child_by_field_name("right") {
                Some(r) => value = r,
                None => break,
            }
        }
        if let Some(slot) = slot(b, left, scope) {
            let e = expr(b, value, scope);
            b.py.assign(scope, slot, e);
        }
    }
    if let Some(right) = right {
        visit(b, right, container, scope);
    }
}

fn value_hint(b: &Builder<'_>, value: Node<'_>) -> Option<TypeHint> {
    match value.kind() {
        "call" => callee(b, value.child_by_field_name("function")?).map(TypeHint::CallResult),
        "identifier" => Some(TypeHint::Alias(b.text(value).to_string())),
        "await" => named_children(value)
            .into_iter()
            .next()
            .and_then(|v| value_hint(b, v)),
        _ => None,
    }
}

fn import_from(b: &mut Builder<'_>, node: Node<'_>) {
    let line = node.start_position().row as u32 + 1;
    let Some(module_node) = node.child_by_field_name("module_name") else {
        return;
    };
    let module = absolute_module(b, b.text(module_node));
    let mut any = false;
    for n in named_children(node) {
        if n.id() == module_node.id() {
            continue;
        }
        match n.kind() {
            "dotted_name" => {
                let name = b.text(n).to_string();
                b.import(module.clone(), Some(name.clone()), name, line, false);
                any = true;
            }
            "aliased_import" => {
                if let (Some(name), Some(alias)) = (b.field_text(n, "name"), b.field_text(n, "alias")) {
                    b.import(module.clone(), Some(name), alias, line, false);
                    any = true;
                }
            }
            "wildcard_import" => {
                b.import(module.clone(), Some("*".into()), "*".into(), line, false);
                any = true;
            }
            _ => {}
        }
    }
    if !any {
        b.import(module.clone(), None, module, line, false);
    }
}

/// `from ..a import b` inside `pkg/sub/mod.py` imports from `pkg.a`.
fn absolute_module(b: &Builder<'_>, written: &str) -> String {
    let dots = written.chars().take_while(|&c| c == '.').count();
    if dots == 0 {
        return written.to_string();
    }
    let rest = &written[dots..];
    let is_package = b.out.path.ends_with("__init__.py");
    let mut parts: Vec<&str> = b.out.module.split('.').collect();
    // The current package: the module itself for `__init__.py`, else its parent.
    let up = if is_package { dots - 1 } else { dots };
    for _ in 0..up {
        parts.pop();
    }
    let mut base = parts.join(".");
    if !rest.is_empty() {
        if !base.is_empty() {
            base.push('.');
        }
        base.push_str(rest);
    }
    base
}

fn callee(b: &Builder<'_>, f: Node<'_>) -> Option<Callee> {
    match f.kind() {
        "identifier" => Some(Callee::Name(b.text(f).to_string())),
        "attribute" => {
            let object = f.child_by_field_name("object")?;
            let name = b.field_text(f, "attribute")?;
            Some(Callee::Member {
                receiver: receiver(b, object),
                name,
            })
        }
        _ => None,
    }
}

fn receiver(b: &Builder<'_>, node: Node<'_>) -> Receiver {
    match node.kind() {
        "identifier" if b.text(node) == "self" => Receiver::SelfRef,
        "identifier" => Receiver::Name(b.text(node).to_string()),
        "attribute" => b.member_path(node, "attribute", "attribute", "object", |n| {
            (n.kind() == "identifier").then(|| b.text(n).to_string())
        }),
        "call" => {
            let Some(f) = node.child_by_field_name("function") else {
                return Receiver::Unknown;
            };
            if f.kind() == "identifier" && b.text(f) == "super" {
                return Receiver::Super;
            }
            callee(b, f)
                .map(|c| Receiver::Call(Box::new(c)))
                .unwrap_or(Receiver::Unknown)
        }
        "parenthesized_expression" | "await" => named_children(node)
            .into_iter()
            .next()
            .map(|n| receiver(b, n))
            .unwrap_or(Receiver::Unknown),
        _ => Receiver::Unknown,
    }
}

/// `@a @b(x) def f`: the decorators run when the definition does, innermost first, and
/// the name is bound to what the outermost returns.
fn decorated(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize) {
    let Some(def) = node.child_by_field_name("definition") else {
        return;
    };
    let decorators: Vec<Node<'_>> = named_children(node)
        .into_iter()
        .filter(|n| n.kind() == "decorator")
        .collect();
    for d in &decorators {
        visit_children(b, *d, container, scope);
    }
    let (idx, is_function) = match def.kind() {
        "function_definition" => (function(b, def, container, node), true),
        "class_definition" => (class(b, def, container, scope, node), false),
        _ => {
            visit(b, def, container, scope);
            return;
        }
    };
    let Some(idx) = idx else { return };
    let mut value = Expr::Def(idx);
    for d in decorators.iter().rev() {
        let Some(e) = named_children(*d).into_iter().next() else {
            continue;
        };
        let func = expr(b, e, scope);
        let p = e.start_position();
        let at = (p.row as u32 + 1, p.column as u32);
        match e.kind() {
            // `@dec`: a call of `dec` with the definition.
            "identifier" | "attribute" => {
                if let Some(c) = callee(b, e) {
                    b.call(scope, c, e);
                }
                b.py.call(scope, func.clone(), vec![value.clone()], Vec::new(), None);
            }
            // `@make(x)`: `make(x)` is recorded as a call already; what it returns is
            // called with the definition.
            _ => {
                b.py.call(scope, func.clone(), vec![value.clone()], Vec::new(), Some(at))
            }
        }
        value = Expr::Call {
            func: Box::new(func),
            args: vec![value],
            kwargs: Vec::new(),
        };
    }
    let in_class = b.kind_of(container) == ElementKind::Class;
    if is_function && !in_class && !decorators.is_empty() {
        let name = b.out.elements[idx].name.clone();
        b.py.assign(scope, Slot::Name(name), value);
    }
}

/// Parameter names in order, `self` included (a bound call skips it).
fn param_names(b: &Builder<'_>, params: Node<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for p in named_children(params) {
        let n = match p.kind() {
            "identifier" => Some(p),
            "default_parameter" | "typed_default_parameter" => p.child_by_field_name("name"),
            "typed_parameter" => named_children(p).into_iter().find(|n| n.kind() == "identifier"),
            _ => None,
        };
        if let Some(n) = n {
            out.push(b.text(n).to_string());
        }
    }
    out
}

/// The element of a lambda (made the first time the lambda is reached): a function of
/// its own, named as PyCG names it, whose body's calls are its calls.
fn lambda(b: &mut Builder<'_>, node: Node<'_>, scope: usize) -> usize {
    if let Some(i) = b.py.lambda(node.id()) {
        return i;
    }
    let name = b.py.lambda_name(scope);
    let mut e = NewElement::new(ElementKind::Function, name, node, scope);
    e.visibility = Visibility::Private;
    let idx = b.add(e);
    b.py.remember_lambda(node.id(), idx);
    if let Some(params) = node.child_by_field_name("parameters") {
        let names = param_names(b, params);
        for n in &names {
            b.bind(idx, n, TypeHint::Unknown, params);
        }
        b.py.params(idx, names);
    }
    idx
}

/// Where an assignment target puts the value.
fn slot(b: &Builder<'_>, target: Node<'_>, scope: usize) -> Option<Slot> {
    let _ = scope;
    match target.kind() {
        "identifier" => Some(Slot::Name(b.text(target).to_string())),
        "attribute" => b.field_text(target, "attribute").map(Slot::Attr),
        "subscript" => {
            let value = target.child_by_field_name("value")?;
            Some(Slot::Item(plain_expr(b, value)))
        }
        "pattern_list" | "tuple_pattern" | "list_pattern" | "expression_list" | "tuple" | "list" => {
            Some(Slot::Tuple(
                named_children(target)
                    .into_iter()
                    .filter_map(|t| slot(b, t, scope))
                    .collect(),
            ))
        }
        "list_splat_pattern" | "list_splat" => {
            let inner = named_children(target).into_iter().next()?;
            Some(Slot::Starred(Box::new(slot(b, inner, scope)?)))
        }
        "parenthesized_expression" => slot(b, named_children(target).into_iter().next()?, scope),
        _ => None,
    }
}

/// A name or attribute chain as a value expression; anything else is unknown (used
/// where no lambda or literal may be made, such as assignment targets).
fn plain_expr(b: &Builder<'_>, node: Node<'_>) -> Expr {
    match node.kind() {
        "identifier" => Expr::Name(b.text(node).to_string()),
        "attribute" => match b.member_path(node, "attribute", "attribute", "object", |n| {
            (n.kind() == "identifier").then(|| b.text(n).to_string())
        }) {
            Receiver::Path(p) => Expr::Attr(p),
            _ => Expr::Unknown,
        },
        "subscript" => match node.child_by_field_name("value") {
            Some(v) => Expr::Item(Box::new(plain_expr(b, v))),
            None => Expr::Unknown,
        },
        _ => Expr::Unknown,
    }
}

/// An expression as the value analysis sees it; lambdas and literals met here get
/// their element or box.
fn expr(b: &mut Builder<'_>, node: Node<'_>, scope: usize) -> Expr {
    match node.kind() {
        "identifier" | "attribute" => plain_expr(b, node),
        "subscript" => match node.child_by_field_name("value") {
            Some(v) => Expr::Item(Box::new(expr(b, v, scope))),
            None => Expr::Unknown,
        },
        "call" => {
            let Some(f) = node.child_by_field_name("function") else {
                return Expr::Unknown;
            };
            let func = expr(b, f, scope);
            let mut args = Vec::new();
            let mut kwargs = Vec::new();
            if let Some(list) = node.child_by_field_name("arguments") {
                for a in named_children(list) {
                    match a.kind() {
                        "keyword_argument" => {
                            if let (Some(k), Some(v)) =
                                (b.field_text(a, "name"), a.child_by_field_name("value"))
                            {
                                let e = expr(b, v, scope);
                                kwargs.push((k, e));
                            }
                        }
                        "comment" => {}
                        _ => {
                            let e = expr(b, a, scope);
                            args.push(e);
                        }
                    }
                }
            }
            Expr::Call {
                func: Box::new(func),
                args,
                kwargs,
            }
        }
        "lambda" => Expr::Def(lambda(b, node, scope)),
        "list" | "tuple" | "set" | "expression_list" => {
            let items: Vec<Expr> = named_children(node)
                .into_iter()
                .map(|n| expr(b, n, scope))
                .collect();
            b.py.new_box(scope, items)
        }
        "dictionary" => {
            let items: Vec<Expr> = named_children(node)
                .into_iter()
                .filter(|p| p.kind() == "pair")
                .filter_map(|p| p.child_by_field_name("value"))
                .map(|v| expr(b, v, scope))
                .collect();
            b.py.new_box(scope, items)
        }
        "list_splat" | "parenthesized_expression" | "await" => {
            match named_children(node).into_iter().next() {
                Some(inner) => expr(b, inner, scope),
                None => Expr::Unknown,
            }
        }
        _ => Expr::Unknown,
    }
}

/// The class an unannotated function returns an instance of, when a return says so:
/// `return Repo(..)`, `return mod.Repo(..)`, or a local built that way. A capitalised
/// callee is taken as a class (PEP 8), which the resolver checks when it resolves it.
fn returned_type(b: &Builder<'_>, value: Node<'_>, scope: usize) -> Option<String> {
    let class_name = |c: &Callee| -> Option<String> {
        let (written, last) = match c {
            Callee::Name(n) => (n.clone(), n.as_str()),
            Callee::Member {
                receiver: Receiver::Name(m),
                name,
            } => (format!("{m}.{name}"), name.as_str()),
            _ => return None,
        };
        last.chars().next().filter(|c| c.is_uppercase()).map(|_| written)
    };
    match value.kind() {
        "call" => class_name(&callee(b, value.child_by_field_name("function")?)?),
        "identifier" => {
            let name = b.text(value);
            let hint = b
                .out
                .bindings
                .iter()
                .rev()
                .find(|x| x.scope == scope && x.name == name)
                .map(|x| &x.hint)?;
            match hint {
                TypeHint::CallResult(c) => class_name(c),
                TypeHint::Type(t) => Some(t.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}
