//! Go: a package per directory (named by its import path), functions, methods named
//! `pkg.Type.Method` with the receiver as a typed local, structs with fields and
//! embedded types, interfaces, imports by path, calls and `:=` locals.

use tree_sitter::Node;

use super::{Builder, NewElement, named_children, simple_type};
use crate::model::{Callee, ElementKind, Receiver, TypeHint, Visibility};

pub(crate) fn walk(b: &mut Builder<'_>, root: Node<'_>) {
    visit_children(b, root, 0);
}

fn visit_children(b: &mut Builder<'_>, node: Node<'_>, scope: usize) {
    for child in named_children(node) {
        visit(b, child, scope);
    }
}

fn visibility(name: &str) -> Visibility {
    if name.chars().next().is_some_and(char::is_uppercase) {
        Visibility::Public
    } else {
        Visibility::Private
    }
}

fn doc(b: &Builder<'_>, node: Node<'_>) -> Option<String> {
    b.preceding_comments(node, |t| t.starts_with("//"))
}

fn is_test_name(b: &Builder<'_>, name: &str) -> bool {
    b.out.path.ends_with("_test.go")
        && ["Test", "Benchmark", "Example", "Fuzz"]
            .iter()
            .any(|p| name.starts_with(p))
}

fn visit(b: &mut Builder<'_>, node: Node<'_>, scope: usize) {
    match node.kind() {
        "function_declaration" => {
            let Some(name) = b.field_text(node, "name") else {
                return;
            };
            let mut e = NewElement::new(ElementKind::Function, name.clone(), node, 0);
            e.visibility = visibility(&name);
            e.doc = doc(b, node);
            e.is_test = is_test_name(b, &name);
            e.type_ref = result_type(b, node);
            let idx = b.add(e);
            params(b, node, idx);
            if let Some(body) = node.child_by_field_name("body") {
                visit_children(b, body, idx);
            }
        }
        "method_declaration" => method(b, node),
        "type_declaration" => {
            for spec in named_children(node) {
                if spec.kind() == "type_spec" || spec.kind() == "type_alias" {
                    type_spec(b, spec, node);
                }
            }
        }
        "const_declaration" | "var_declaration" if scope == 0 => {
            for spec in named_children(node) {
                for n in named_children(spec)
                    .into_iter()
                    .filter(|n| n.kind() == "identifier")
                {
                    let name = b.text(n).to_string();
                    let mut e = NewElement::new(ElementKind::Constant, name.clone(), spec, 0);
                    e.visibility = visibility(&name);
                    e.type_ref = spec
                        .child_by_field_name("type")
                        .and_then(|t| simple_type(b.text(t)));
                    b.add(e);
                }
                if let Some(v) = spec.child_by_field_name("value") {
                    visit(b, v, scope);
                }
            }
        }
        "var_spec" => {
            if let Some(ty) = node
                .child_by_field_name("type")
                .and_then(|t| simple_type(b.text(t)))
            {
                for n in named_children(node)
                    .into_iter()
                    .filter(|n| n.kind() == "identifier")
                {
                    let name = b.text(n).to_string();
                    b.bind(scope, &name, TypeHint::Type(ty.clone()), n);
                }
            }
            visit_children(b, node, scope);
        }
        "import_declaration" => {
            for spec in descendants_of_kind(node, "import_spec") {
                let Some(path) = b.field_text(spec, "path") else {
                    continue;
                };
                let path = path.trim_matches('"').to_string();
                let alias = b
                    .field_text(spec, "name")
                    .unwrap_or_else(|| path.rsplit('/').next().unwrap_or(&path).to_string());
                let line = spec.start_position().row as u32 + 1;
                b.import(path, None, alias, line, false);
            }
        }
        "short_var_declaration" | "assignment_statement" => {
            let left = node
                .child_by_field_name("left")
                .map(named_children)
                .unwrap_or_default();
            let right = node
                .child_by_field_name("right")
                .map(named_children)
                .unwrap_or_default();
            if left.len() >= right.len() {
                for (i, r) in right.iter().enumerate() {
                    if left[i].kind() != "identifier" {
                        continue;
                    }
                    let name = b.text(left[i]).to_string();
                    if let Some(hint) = value_hint(b, *r) {
                        b.bind(scope, &name, hint, left[i]);
                    }
                }
            }
            for r in right {
                visit(b, r, scope);
            }
        }
        "call_expression" => {
            if let Some(f) = node.child_by_field_name("function") {
                if let Some(c) = callee(b, f) {
                    b.call(scope, c, node);
                }
                visit(b, f, scope);
            }
            if let Some(args) = node.child_by_field_name("arguments") {
                visit_children(b, args, scope);
            }
        }
        "comment" => {}
        _ => visit_children(b, node, scope),
    }
}

fn descendants_of_kind<'t>(node: Node<'t>, kind: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    for c in named_children(node) {
        if c.kind() == kind {
            out.push(c);
        } else {
            out.extend(descendants_of_kind(c, kind));
        }
    }
    out
}

fn result_type(b: &Builder<'_>, node: Node<'_>) -> Option<String> {
    let result = node.child_by_field_name("result")?;
    if result.kind() == "parameter_list" {
        // `(T, error)`: the first result is the value.
        let first = named_children(result).into_iter().next()?;
        let ty = first.child_by_field_name("type").unwrap_or(first);
        return simple_type(b.text(ty));
    }
    simple_type(b.text(result))
}

fn params(b: &mut Builder<'_>, node: Node<'_>, idx: usize) {
    let Some(list) = node.child_by_field_name("parameters") else {
        return;
    };
    for p in named_children(list) {
        let Some(ty) = p.child_by_field_name("type").and_then(|t| simple_type(b.text(t))) else {
            continue;
        };
        for n in named_children(p).into_iter().filter(|n| n.kind() == "identifier") {
            let name = b.text(n).to_string();
            b.bind(idx, &name, TypeHint::Type(ty.clone()), n);
        }
    }
}

fn method(b: &mut Builder<'_>, node: Node<'_>) {
    let Some(name) = b.field_text(node, "name") else {
        return;
    };
    let Some(recv) = node.child_by_field_name("receiver") else {
        return;
    };
    let Some(decl) = named_children(recv).into_iter().next() else {
        return;
    };
    let Some(type_name) = decl
        .child_by_field_name("type")
        .and_then(|t| simple_type(b.text(t)))
    else {
        return;
    };
    let type_name = type_name.split('[').next().unwrap_or(&type_name).to_string();
    let parent = b
        .out
        .elements
        .iter()
        .position(|e| e.name == type_name && e.kind.is_type())
        .unwrap_or(0);
    let mut e = NewElement::new(ElementKind::Method, name.clone(), node, parent);
    e.visibility = visibility(&name);
    e.doc = doc(b, node);
    e.type_ref = result_type(b, node);
    let qualified = format!("{}.{type_name}.{name}", b.out.module);
    let idx = b.add_named(e, qualified);
    if let Some(recv_name) = decl.child_by_field_name("name") {
        let recv_name = b.text(recv_name).to_string();
        b.bind(idx, &recv_name, TypeHint::Type(type_name), decl);
    }
    params(b, node, idx);
    if let Some(body) = node.child_by_field_name("body") {
        visit_children(b, body, idx);
    }
}

fn type_spec(b: &mut Builder<'_>, spec: Node<'_>, decl: Node<'_>) {
    let Some(name) = b.field_text(spec, "name") else {
        return;
    };
    let Some(ty) = spec.child_by_field_name("type") else {
        return;
    };
    let kind = match ty.kind() {
        "struct_type" => ElementKind::Struct,
        "interface_type" => ElementKind::Interface,
        _ => ElementKind::TypeAlias,
    };
    let mut e = NewElement::new(kind, name.clone(), spec, 0);
    e.visibility = visibility(&name);
    e.doc = doc(b, decl);
    if kind == ElementKind::TypeAlias {
        e.type_ref = simple_type(b.text(ty));
    }
    let idx = b.add(e);
    match ty.kind() {
        "struct_type" => {
            for fd in descendants_of_kind(ty, "field_declaration") {
                let field_type = fd
                    .child_by_field_name("type")
                    .and_then(|t| simple_type(b.text(t)));
                let names: Vec<String> = named_children(fd)
                    .into_iter()
                    .filter(|n| n.kind() == "field_identifier")
                    .map(|n| b.text(n).to_string())
                    .collect();
                if names.is_empty() {
                    // An embedded type: its methods are promoted, like inheritance.
                    if let Some(t) = field_type {
                        b.out.elements[idx].bases.push(t);
                    }
                    continue;
                }
                for n in names {
                    let mut e = NewElement::new(ElementKind::Field, n.clone(), fd, idx);
                    e.visibility = visibility(&n);
                    e.type_ref = field_type.clone();
                    b.add(e);
                }
            }
        }
        "interface_type" => {
            for m in named_children(ty) {
                match m.kind() {
                    "method_elem" | "method_spec" => {
                        if let Some(mname) = b.field_text(m, "name") {
                            let mut e = NewElement::new(ElementKind::Method, mname.clone(), m, idx);
                            e.visibility = visibility(&mname);
                            e.type_ref = result_type(b, m);
                            b.add(e);
                        }
                    }
                    "type_elem" | "constraint_elem" => {
                        if let Some(t) = simple_type(b.text(m)) {
                            b.out.elements[idx].bases.push(t);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn value_hint(b: &Builder<'_>, value: Node<'_>) -> Option<TypeHint> {
    match value.kind() {
        "composite_literal" => value
            .child_by_field_name("type")
            .and_then(|t| simple_type(b.text(t)))
            .map(TypeHint::Type),
        "unary_expression" => value
            .child_by_field_name("operand")
            .and_then(|o| value_hint(b, o)),
        "call_expression" => value
            .child_by_field_name("function")
            .and_then(|f| callee(b, f))
            .map(TypeHint::CallResult),
        "identifier" => Some(TypeHint::Alias(b.text(value).to_string())),
        _ => None,
    }
}

fn callee(b: &Builder<'_>, f: Node<'_>) -> Option<Callee> {
    match f.kind() {
        "identifier" => Some(Callee::Name(b.text(f).to_string())),
        "selector_expression" => {
            let operand = f.child_by_field_name("operand")?;
            let name = b.field_text(f, "field")?;
            Some(Callee::Member {
                receiver: receiver(b, operand),
                name,
            })
        }
        "generic_type" | "index_expression" => {
            named_children(f).into_iter().next().and_then(|n| callee(b, n))
        }
        _ => None,
    }
}

fn receiver(b: &Builder<'_>, node: Node<'_>) -> Receiver {
    match node.kind() {
        "identifier" => Receiver::Name(b.text(node).to_string()),
        "selector_expression" => b.member_path(node, "selector_expression", "field", "operand", |n| {
            (n.kind() == "identifier").then(|| b.text(n).to_string())
        }),
        "call_expression" => node
            .child_by_field_name("function")
            .and_then(|f| callee(b, f))
            .map(|c| Receiver::Call(Box::new(c)))
            .unwrap_or(Receiver::Unknown),
        "parenthesized_expression" | "unary_expression" => named_children(node)
            .into_iter()
            .next()
            .map(|n| receiver(b, n))
            .unwrap_or(Receiver::Unknown),
        _ => Receiver::Unknown,
    }
}
