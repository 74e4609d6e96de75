//! TypeScript, TSX and JavaScript: functions (declared or bound to a `const`), classes
//! with `extends`/`implements`, interfaces, ES imports and re-exports, `require`, calls,
//! `new`, and typed or constructed locals and class fields.

use tree_sitter::Node;

use super::{Builder, NewElement, named_children, simple_type};
use crate::model::{Callee, ElementKind, Receiver, TypeHint, Visibility};

pub(crate) fn walk(b: &mut Builder<'_>, root: Node<'_>) {
    visit_children(b, root, 0, 0, false);
}

fn visit_children(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize, exported: bool) {
    for child in named_children(node) {
        visit(b, child, container, scope, exported);
    }
}

fn doc(b: &Builder<'_>, node: Node<'_>) -> Option<String> {
    // An exported declaration's comment sits above the `export` keyword.
    let anchor = match node.parent() {
        Some(p) if p.kind() == "export_statement" => p,
        _ => node,
    };
    b.preceding_comments(anchor, |t| t.starts_with("/**") || t.starts_with("//"))
}

fn top_visibility(exported: bool) -> Visibility {
    if exported {
        Visibility::Public
    } else {
        Visibility::Private
    }
}

fn visit(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize, exported: bool) {
    match node.kind() {
        "function_declaration" | "generator_function_declaration" => {
            let Some(name) = b.field_text(node, "name") else {
                return;
            };
            let mut e = NewElement::new(ElementKind::Function, name, node, container);
            e.visibility = top_visibility(exported);
            e.doc = doc(b, node);
            e.type_ref = return_type(b, node);
            let idx = b.add(e);
            body(b, node, idx);
        }
        "class_declaration" | "abstract_class_declaration" | "class" => {
            class(b, node, container, scope, exported)
        }
        "interface_declaration" => {
            let Some(name) = b.field_text(node, "name") else {
                return;
            };
            let mut e = NewElement::new(ElementKind::Interface, name, node, container);
            e.visibility = top_visibility(exported);
            e.doc = doc(b, node);
            for n in named_children(node) {
                if n.kind() == "extends_type_clause" {
                    e.bases = named_children(n)
                        .into_iter()
                        .filter_map(|t| simple_type(b.text(t)))
                        .collect();
                }
            }
            let idx = b.add(e);
            if let Some(body) = node.child_by_field_name("body") {
                for m in named_children(body) {
                    if m.kind() == "method_signature" {
                        if let Some(name) = b.field_text(m, "name") {
                            let mut e = NewElement::new(ElementKind::Method, name, m, idx);
                            e.type_ref = return_type(b, m);
                            b.add(e);
                        }
                    } else if m.kind() == "property_signature" {
                        field(b, m, idx);
                    }
                }
            }
        }
        "type_alias_declaration" => {
            if let Some(name) = b.field_text(node, "name") {
                let mut e = NewElement::new(ElementKind::TypeAlias, name, node, container);
                e.visibility = top_visibility(exported);
                e.doc = doc(b, node);
                b.add(e);
            }
        }
        "enum_declaration" => {
            if let Some(name) = b.field_text(node, "name") {
                let mut e = NewElement::new(ElementKind::Enum, name, node, container);
                e.visibility = top_visibility(exported);
                b.add(e);
            }
        }
        "export_statement" => export(b, node, container, scope),
        "import_statement" => import(b, node),
        "lexical_declaration" | "variable_declaration" => {
            for d in named_children(node) {
                if d.kind() == "variable_declarator" {
                    declarator(b, d, container, scope, exported);
                }
            }
        }
        "call_expression" => {
            if let Some(f) = node.child_by_field_name("function") {
                if let Some(c) = callee(b, f) {
                    b.call(scope, c, node);
                }
                visit(b, f, container, scope, false);
            }
            if let Some(args) = node.child_by_field_name("arguments") {
                visit_children(b, args, container, scope, false);
            }
        }
        "new_expression" => {
            if let Some(ctor) = node.child_by_field_name("constructor")
                && let Some(name) = constructor_name(b, ctor)
            {
                b.call(scope, Callee::New(name), node);
            }
            if let Some(args) = node.child_by_field_name("arguments") {
                visit_children(b, args, container, scope, false);
            }
        }
        "comment" => {}
        _ => visit_children(b, node, container, scope, false),
    }
}

fn body(b: &mut Builder<'_>, node: Node<'_>, idx: usize) {
    if let Some(params) = node.child_by_field_name("parameters") {
        parameters(b, params, idx);
    }
    if let Some(body) = node.child_by_field_name("body") {
        visit(b, body, idx, idx, false);
    }
}

fn parameters(b: &mut Builder<'_>, params: Node<'_>, idx: usize) {
    for p in named_children(params) {
        if p.kind() == "identifier" {
            let name = b.text(p).to_string();
            b.bind(idx, &name, TypeHint::Unknown, p);
            continue;
        }
        if !matches!(p.kind(), "required_parameter" | "optional_parameter") {
            continue;
        }
        let Some(pattern) = p.child_by_field_name("pattern") else {
            continue;
        };
        if pattern.kind() != "identifier" {
            continue;
        }
        let name = b.text(pattern).to_string();
        let ty = p.child_by_field_name("type").and_then(|t| type_annotation(b, t));
        // `constructor(private repo: Repo)` declares a field as well.
        let is_property = named_children(p)
            .iter()
            .any(|n| n.kind() == "accessibility_modifier");
        if is_property && let Some(class) = b.out.elements[idx].parent {
            let mut e = NewElement::new(ElementKind::Field, name.clone(), p, class);
            e.type_ref = ty.clone();
            e.visibility = modifier_visibility(b, p);
            b.add(e);
        }
        b.bind(idx, &name, ty.map(TypeHint::Type).unwrap_or(TypeHint::Unknown), p);
    }
}

fn type_annotation(b: &Builder<'_>, t: Node<'_>) -> Option<String> {
    simple_type(b.text(t).trim_start_matches(':'))
}

fn return_type(b: &Builder<'_>, node: Node<'_>) -> Option<String> {
    node.child_by_field_name("return_type")
        .and_then(|t| type_annotation(b, t))
}

fn modifier_visibility(b: &Builder<'_>, node: Node<'_>) -> Visibility {
    for n in named_children(node) {
        if n.kind() == "accessibility_modifier" {
            return match b.text(n) {
                "private" => Visibility::Private,
                "protected" => Visibility::Restricted,
                _ => Visibility::Public,
            };
        }
    }
    Visibility::Public
}

fn class(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize, exported: bool) {
    let name = b.field_text(node, "name").unwrap_or_else(|| "default".into());
    let mut e = NewElement::new(ElementKind::Class, name, node, container);
    e.visibility = top_visibility(exported);
    e.doc = doc(b, node);
    for n in named_children(node) {
        if n.kind() == "class_heritage" {
            for clause in named_children(n) {
                match clause.kind() {
                    "extends_clause" => {
                        if let Some(v) = clause.child_by_field_name("value") {
                            e.bases.extend(simple_type(b.text(v)));
                        }
                    }
                    "implements_clause" => {
                        e.bases.extend(
                            named_children(clause)
                                .into_iter()
                                .filter_map(|t| simple_type(b.text(t))),
                        );
                    }
                    // JavaScript: `class A extends B` has the expression directly.
                    _ => e.bases.extend(simple_type(b.text(clause))),
                }
            }
        }
    }
    let idx = b.add(e);
    let Some(body) = node.child_by_field_name("body") else {
        return;
    };
    for m in named_children(body) {
        match m.kind() {
            "method_definition" | "abstract_method_signature" | "method_signature" => {
                let Some(name) = b.field_text(m, "name") else {
                    continue;
                };
                let mut e = NewElement::new(ElementKind::Method, name.clone(), m, idx);
                e.visibility = if name.starts_with('#') {
                    Visibility::Private
                } else {
                    modifier_visibility(b, m)
                };
                e.doc = b.preceding_comments(m, |t| t.starts_with("/**") || t.starts_with("//"));
                e.type_ref = return_type(b, m);
                let midx = b.add(e);
                body_of_method(b, m, midx);
            }
            "public_field_definition" | "field_definition" => {
                field(b, m, idx);
                if let Some(v) = m.child_by_field_name("value") {
                    visit(b, v, idx, scope, false);
                }
            }
            _ => visit(b, m, idx, scope, false),
        }
    }
}

fn body_of_method(b: &mut Builder<'_>, m: Node<'_>, idx: usize) {
    if let Some(params) = m.child_by_field_name("parameters") {
        parameters(b, params, idx);
    }
    if let Some(body) = m.child_by_field_name("body") {
        visit(b, body, idx, idx, false);
    }
}

fn field(b: &mut Builder<'_>, m: Node<'_>, owner: usize) {
    let Some(name) = m
        .child_by_field_name("name")
        .or_else(|| m.child_by_field_name("property"))
        .map(|n| b.text(n).to_string())
    else {
        return;
    };
    let mut e = NewElement::new(ElementKind::Field, name, m, owner);
    e.visibility = modifier_visibility(b, m);
    e.type_ref = m
        .child_by_field_name("type")
        .and_then(|t| type_annotation(b, t))
        .or_else(|| {
            let v = m.child_by_field_name("value")?;
            (v.kind() == "new_expression")
                .then(|| {
                    v.child_by_field_name("constructor")
                        .and_then(|c| constructor_name(b, c))
                })
                .flatten()
        });
    b.add(e);
}

fn declarator(b: &mut Builder<'_>, d: Node<'_>, container: usize, scope: usize, exported: bool) {
    let Some(name_node) = d.child_by_field_name("name") else {
        return;
    };
    let value = d.child_by_field_name("value");
    if name_node.kind() != "identifier" {
        if let Some(v) = value {
            visit(b, v, container, scope, false);
        }
        return;
    }
    let name = b.text(name_node).to_string();
    match value.map(|v| (v, v.kind())) {
        Some((v, "arrow_function" | "function_expression" | "function")) => {
            let mut e = NewElement::new(ElementKind::Function, name, d, container);
            e.visibility = top_visibility(exported);
            e.doc = d.parent().and_then(|p| doc(b, p));
            e.type_ref = return_type(b, v);
            let idx = b.add(e);
            body(b, v, idx);
        }
        Some((v, "call_expression")) if is_require(b, v) => {
            if let Some(module) = require_target(b, v) {
                let line = d.start_position().row as u32 + 1;
                b.import(module, None, name, line, false);
            }
        }
        Some((v, kind)) => {
            let annotated = d.child_by_field_name("type").and_then(|t| type_annotation(b, t));
            let hint = annotated.map(TypeHint::Type).or_else(|| match kind {
                "new_expression" => v
                    .child_by_field_name("constructor")
                    .and_then(|c| constructor_name(b, c))
                    .map(TypeHint::Type),
                "call_expression" => v
                    .child_by_field_name("function")
                    .and_then(|f| callee(b, f))
                    .map(TypeHint::CallResult),
                "await_expression" => named_children(v)
                    .into_iter()
                    .next()
                    .filter(|c| c.kind() == "call_expression")
                    .and_then(|c| c.child_by_field_name("function"))
                    .and_then(|f| callee(b, f))
                    .map(TypeHint::CallResult),
                "identifier" => Some(TypeHint::Alias(b.text(v).to_string())),
                _ => None,
            });
            b.bind(scope, &name, hint.unwrap_or(TypeHint::Unknown), d);
            visit(b, v, container, scope, false);
        }
        None => {
            let ty = d.child_by_field_name("type").and_then(|t| type_annotation(b, t));
            b.bind(
                scope,
                &name,
                ty.map(TypeHint::Type).unwrap_or(TypeHint::Unknown),
                d,
            );
        }
    }
}

fn is_require(b: &Builder<'_>, call: Node<'_>) -> bool {
    call.child_by_field_name("function")
        .is_some_and(|f| f.kind() == "identifier" && b.text(f) == "require")
}

fn require_target(b: &Builder<'_>, call: Node<'_>) -> Option<String> {
    let args = call.child_by_field_name("arguments")?;
    let first = named_children(args).into_iter().next()?;
    (first.kind() == "string").then(|| unquote(b.text(first)))
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| c == '"' || c == '\'' || c == '`').to_string()
}

fn export(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize) {
    let line = node.start_position().row as u32 + 1;
    if let Some(source) = node.child_by_field_name("source") {
        let module = unquote(b.text(source));
        let mut any = false;
        for n in named_children(node) {
            if n.kind() == "export_clause" {
                for s in named_children(n)
                    .into_iter()
                    .filter(|s| s.kind() == "export_specifier")
                {
                    let Some(name) = b.field_text(s, "name") else {
                        continue;
                    };
                    let alias = b.field_text(s, "alias").unwrap_or_else(|| name.clone());
                    b.import(module.clone(), Some(name), alias, line, true);
                    any = true;
                }
            } else if n.kind() == "namespace_export"
                && let Some(alias) = named_children(n).into_iter().next()
            {
                let alias = b.text(alias).to_string();
                b.import(module.clone(), None, alias, line, true);
                any = true;
            }
        }
        if !any {
            // `export * from './x'`
            b.import(module, Some("*".into()), "*".into(), line, true);
        }
        return;
    }
    for n in named_children(node) {
        visit(b, n, container, scope, true);
    }
}

fn import(b: &mut Builder<'_>, node: Node<'_>) {
    let line = node.start_position().row as u32 + 1;
    let Some(source) = node.child_by_field_name("source") else {
        return;
    };
    let module = unquote(b.text(source));
    for clause in named_children(node)
        .into_iter()
        .filter(|n| n.kind() == "import_clause")
    {
        for part in named_children(clause) {
            match part.kind() {
                "identifier" => {
                    let alias = b.text(part).to_string();
                    b.import(module.clone(), Some("default".into()), alias, line, false);
                }
                "namespace_import" => {
                    if let Some(alias) = named_children(part).into_iter().next() {
                        let alias = b.text(alias).to_string();
                        b.import(module.clone(), None, alias, line, false);
                    }
                }
                "named_imports" => {
                    for s in named_children(part)
                        .into_iter()
                        .filter(|s| s.kind() == "import_specifier")
                    {
                        let Some(name) = b.field_text(s, "name") else {
                            continue;
                        };
                        let alias = b.field_text(s, "alias").unwrap_or_else(|| name.clone());
                        b.import(module.clone(), Some(name), alias, line, false);
                    }
                }
                _ => {}
            }
        }
    }
}

fn constructor_name(b: &Builder<'_>, ctor: Node<'_>) -> Option<String> {
    match ctor.kind() {
        "identifier" => Some(b.text(ctor).to_string()),
        "member_expression" => b.field_text(ctor, "property"),
        _ => None,
    }
}

fn callee(b: &Builder<'_>, f: Node<'_>) -> Option<Callee> {
    match f.kind() {
        "identifier" => Some(Callee::Name(b.text(f).to_string())),
        "member_expression" => {
            let object = f.child_by_field_name("object")?;
            let name = b.field_text(f, "property")?;
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
        "this" => Receiver::SelfRef,
        "super" => Receiver::Super,
        "identifier" => Receiver::Name(b.text(node).to_string()),
        "member_expression" => b.member_path(node, "member_expression", "property", "object", |n| {
            match n.kind() {
                "this" => Some("self".to_string()),
                "identifier" => Some(b.text(n).to_string()),
                _ => None,
            }
        }),
        "call_expression" => node
            .child_by_field_name("function")
            .and_then(|f| callee(b, f))
            .map(|c| Receiver::Call(Box::new(c)))
            .unwrap_or(Receiver::Unknown),
        "new_expression" => node
            .child_by_field_name("constructor")
            .and_then(|c| constructor_name(b, c))
            .map(|n| Receiver::Call(Box::new(Callee::New(n))))
            .unwrap_or(Receiver::Unknown),
        "await_expression" | "parenthesized_expression" | "non_null_expression" => named_children(node)
            .into_iter()
            .next()
            .map(|n| receiver(b, n))
            .unwrap_or(Receiver::Unknown),
        _ => Receiver::Unknown,
    }
}
