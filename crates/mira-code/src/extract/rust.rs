//! Rust: items with `crate::module::Type::method` names, `use` trees, calls (also inside
//! macro arguments, which tree-sitter leaves as token trees), `let` and parameter types.

use tree_sitter::Node;

use super::{Builder, NewElement, children, named_children, simple_type};
use crate::model::{Callee, ElementKind, Receiver, TypeHint, Visibility};

pub(crate) fn walk(b: &mut Builder<'_>, root: Node<'_>) {
    visit_children(b, root, 0, 0);
    number_twins(b);
}

/// Every function is a node of its own. Methods of trait impls are told apart from the
/// type's inherent methods by their trait (`crate::Version::fmt#Display`, see
/// [`function`]); what still shares a name after that (`#[cfg(unix)]` and
/// `#[cfg(windows)]` versions of one function, two `impl From<..>` of one type) takes its
/// place among its twins in the file: the second is `name#2`, the third `name#3`. The
/// ordinal, unlike a line, stays when code above it moves.
fn number_twins(b: &mut Builder<'_>) {
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for e in &mut b.out.elements {
        if !matches!(e.kind, ElementKind::Function | ElementKind::Method) {
            continue;
        }
        let n = seen.entry(e.qualified_name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            e.qualified_name = format!("{}#{n}", e.qualified_name);
        }
    }
}

/// `container` names new items; `scope` is the code that calls run in.
fn visit_children(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize) {
    for child in named_children(node) {
        visit(b, child, container, scope);
    }
}

fn visit(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize) {
    match node.kind() {
        "function_item" | "function_signature_item" => function(b, node, container),
        "struct_item" | "union_item" => {
            let Some(name) = b.field_text(node, "name") else {
                return;
            };
            let mut e = item(b, ElementKind::Struct, name, node, container);
            e.is_test = false;
            let idx = b.add(e);
            if let Some(body) = node.child_by_field_name("body") {
                fields(b, body, idx);
            }
        }
        "enum_item" => {
            if let Some(name) = b.field_text(node, "name") {
                let e = item(b, ElementKind::Enum, name, node, container);
                b.add(e);
            }
        }
        "trait_item" => {
            let Some(name) = b.field_text(node, "name") else {
                return;
            };
            let mut e = item(b, ElementKind::Trait, name, node, container);
            if let Some(bounds) = node.child_by_field_name("bounds") {
                e.bases = named_children(bounds)
                    .into_iter()
                    .filter_map(|n| simple_type(b.text(n)))
                    .collect();
            }
            let idx = b.add(e);
            if let Some(body) = node.child_by_field_name("body") {
                visit_children(b, body, idx, scope);
            }
        }
        "impl_item" => impl_block(b, node, container, scope),
        "mod_item" => {
            // `mod x;` is named by its own file; only inline modules are elements here.
            let Some(body) = node.child_by_field_name("body") else {
                return;
            };
            let Some(name) = b.field_text(node, "name") else {
                return;
            };
            let mut e = item(b, ElementKind::Module, name, node, container);
            e.is_test = has_attribute(b, node, "cfg(test)");
            let idx = b.add(e);
            let outer = std::mem::replace(&mut b.import_scope, b.out.elements[idx].qualified_name.clone());
            visit_children(b, body, idx, idx);
            b.import_scope = outer;
        }
        "const_item" | "static_item" => {
            if let Some(name) = b.field_text(node, "name") {
                let mut e = item(b, ElementKind::Constant, name, node, container);
                e.type_ref = node
                    .child_by_field_name("type")
                    .and_then(|t| simple_type(b.text(t)));
                b.add(e);
            }
            if let Some(value) = node.child_by_field_name("value") {
                visit(b, value, container, scope);
            }
        }
        "type_item" => {
            if let Some(name) = b.field_text(node, "name") {
                let mut e = item(b, ElementKind::TypeAlias, name, node, container);
                e.type_ref = node
                    .child_by_field_name("type")
                    .and_then(|t| simple_type(b.text(t)));
                b.add(e);
            }
        }
        "use_declaration" => {
            let reexport = visibility(b, node) == Visibility::Public;
            if let Some(arg) = node.child_by_field_name("argument") {
                let line = node.start_position().row as u32 + 1;
                use_tree(b, arg, &[], line, reexport);
            }
        }
        "call_expression" => {
            if let Some(f) = node.child_by_field_name("function") {
                if let Some(callee) = callee(b, f) {
                    b.call(scope, callee, node);
                }
                // Calls inside the callee expression: `a().b()`.
                visit(b, f, container, scope);
            }
            if let Some(args) = node.child_by_field_name("arguments") {
                visit_children(b, args, container, scope);
            }
        }
        "macro_invocation" => {
            let trees: Vec<Node<'_>> = named_children(node)
                .into_iter()
                .filter(|n| n.kind() == "token_tree")
                .collect();
            let at_item_level = node
                .parent()
                .is_some_and(|p| matches!(p.kind(), "source_file" | "declaration_list"));
            for tree in trees {
                if at_item_level && b.text(tree).starts_with('{') {
                    item_macro(b, tree, container, scope);
                } else {
                    macro_calls(b, tree, scope);
                }
            }
        }
        "let_declaration" => {
            if let Some(pattern) = node.child_by_field_name("pattern")
                && pattern.kind() == "tuple_pattern"
            {
                bind_tuple(
                    b,
                    scope,
                    pattern,
                    node.child_by_field_name("type"),
                    node.child_by_field_name("value"),
                    node,
                );
            } else if let Some(pattern) = node.child_by_field_name("pattern")
                && pattern.kind() == "tuple_struct_pattern"
            {
                // `let Some(x) = v else { .. };`
                if let Some(value) = node.child_by_field_name("value") {
                    bind_unwrapped(b, scope, pattern, value, node);
                }
            } else if let Some(pattern) = node.child_by_field_name("pattern") {
                let name = binding_name(b, pattern);
                let hint = node
                    .child_by_field_name("type")
                    .and_then(|t| simple_type(b.text(t)))
                    .map(TypeHint::Type)
                    .or_else(|| node.child_by_field_name("value").and_then(|v| value_hint(b, v)));
                if let Some(name) = name {
                    b.bind(scope, &name, hint.unwrap_or(TypeHint::Unknown), node);
                }
            }
            if let Some(value) = node.child_by_field_name("value") {
                visit(b, value, container, scope);
            }
            if let Some(alt) = node.child_by_field_name("alternative") {
                visit(b, alt, container, scope);
            }
        }
        "closure_expression" => closure(b, node, container, scope),
        "let_condition" => {
            if let (Some(pattern), Some(value)) = (
                node.child_by_field_name("pattern"),
                node.child_by_field_name("value"),
            ) {
                match binding_name(b, pattern) {
                    Some(name) => {
                        let hint = value_hint(b, value).unwrap_or(TypeHint::Unknown);
                        b.bind(scope, &name, hint, node);
                    }
                    None => bind_unwrapped(b, scope, pattern, value, node),
                }
            }
            visit_children(b, node, container, scope);
        }
        "match_expression" => {
            if let (Some(value), Some(body)) = (
                node.child_by_field_name("value"),
                node.child_by_field_name("body"),
            ) {
                for arm in named_children(body)
                    .into_iter()
                    .filter(|a| a.kind() == "match_arm")
                {
                    if let Some(pattern) = arm.child_by_field_name("pattern") {
                        bind_unwrapped(b, scope, pattern, value, arm);
                    }
                }
            }
            visit_children(b, node, container, scope);
        }
        "attribute_item" | "inner_attribute_item" | "line_comment" | "block_comment" => {}
        _ => visit_children(b, node, container, scope),
    }
}

fn item<'t>(
    b: &Builder<'_>,
    kind: ElementKind,
    name: String,
    node: Node<'t>,
    parent: usize,
) -> NewElement<'t> {
    let mut e = NewElement::new(kind, name, node, parent);
    e.visibility = visibility(b, node);
    e.doc = b.preceding_comments(node, |t| t.starts_with("///") || t.starts_with("/**"));
    e
}

fn visibility(b: &Builder<'_>, node: Node<'_>) -> Visibility {
    for child in named_children(node) {
        if child.kind() == "visibility_modifier" {
            return if b.text(child) == "pub" {
                Visibility::Public
            } else {
                Visibility::Restricted
            };
        }
    }
    Visibility::Private
}

fn has_attribute(b: &Builder<'_>, node: Node<'_>, needle: &str) -> bool {
    let mut cur = node.prev_sibling();
    while let Some(c) = cur {
        match c.kind() {
            "attribute_item" => {
                if b.text(c).replace(' ', "").contains(needle) {
                    return true;
                }
            }
            "line_comment" | "block_comment" => {}
            _ => break,
        }
        cur = c.prev_sibling();
    }
    false
}

fn function(b: &mut Builder<'_>, node: Node<'_>, container: usize) {
    let Some(name) = b.field_text(node, "name") else {
        return;
    };
    let in_type = matches!(b.kind_of(container), ElementKind::Impl | ElementKind::Trait);
    let kind = if in_type {
        ElementKind::Method
    } else {
        ElementKind::Function
    };
    let mut e = item(b, kind, name, node, container);
    e.is_test = has_attribute(b, node, "test]") || has_attribute(b, node, "::test");
    e.type_ref = node
        .child_by_field_name("return_type")
        .and_then(|t| simple_type(b.text(t)))
        .map(|t| self_to_owner(b, &t, container));
    // Trait methods are part of the trait's interface, whatever their modifier.
    if b.kind_of(container) == ElementKind::Trait {
        e.visibility = b.out.elements[container].visibility;
    }
    // A trait impl's method is named with its trait, so that `Debug::fmt` and
    // `Display::fmt` of one type (and an inherent method of the same name) are
    // distinct nodes; the owner (what comes before the last `::`) is still the type.
    let trait_name = (b.kind_of(container) == ElementKind::Impl)
        .then(|| b.out.elements[container].bases.first())
        .flatten()
        .map(|t| t.rsplit("::").next().unwrap_or(t).to_string());
    let idx = match trait_name {
        Some(t) => {
            let q = format!("{}::{}#{t}", b.out.elements[container].qualified_name, e.name);
            b.add_named(e, q)
        }
        None => b.add(e),
    };
    let outer_generics = b.generics.len();
    push_generics(b, node);
    if let Some(params) = node.child_by_field_name("parameters") {
        for p in named_children(params) {
            if p.kind() != "parameter" {
                continue;
            }
            let (Some(pattern), Some(ty)) = (p.child_by_field_name("pattern"), p.child_by_field_name("type"))
            else {
                continue;
            };
            if let Some((name, ty)) = param_type(b, pattern, ty) {
                let ty = self_to_owner(b, &ty, container);
                b.bind(idx, &name, TypeHint::Type(ty), p);
            }
        }
    }
    if let Some(body) = node.child_by_field_name("body") {
        visit_children(b, body, idx, idx);
    }
    b.generics.truncate(outer_generics);
}

/// The name a parameter binds and the type whose methods it has: `x: T` with `T: Store`
/// is a `Store`; `State(auth): State<Auth>` (an extractor, a newtype pattern) binds
/// `auth` to the wrapped `Auth`.
fn param_type(b: &Builder<'_>, pattern: Node<'_>, ty: Node<'_>) -> Option<(String, String)> {
    if pattern.kind() == "tuple_struct_pattern" {
        let inner: Vec<Node<'_>> = named_children(pattern)
            .into_iter()
            .filter(|n| Some(*n) != pattern.child_by_field_name("type"))
            .collect();
        let [only] = inner.as_slice() else { return None };
        let name = binding_name(b, *only)?;
        let args = ty.child_by_field_name("type_arguments")?;
        let first = named_children(args).into_iter().next()?;
        return Some((name, generic_bound(b, simple_type(b.text(first))?)));
    }
    let name = binding_name(b, pattern)?;
    Some((name, generic_bound(b, simple_type(b.text(ty))?)))
}

/// A generic parameter's type stands for the trait that bounds it.
fn generic_bound(b: &Builder<'_>, ty: String) -> String {
    b.generics
        .iter()
        .rev()
        .find(|(param, _)| *param == ty)
        .map(|(_, bound)| bound.clone())
        .unwrap_or(ty)
}

/// The bounds of an item's generic parameters, from `<T: Trait>` and `where T: Trait`.
fn push_generics(b: &mut Builder<'_>, node: Node<'_>) {
    let first_bound = |b: &Builder<'_>, bounds: Node<'_>| {
        named_children(bounds)
            .into_iter()
            .filter(|n| n.kind() != "lifetime")
            .find_map(|n| simple_type(b.text(n)))
    };
    if let Some(params) = node.child_by_field_name("type_parameters") {
        for p in named_children(params) {
            if p.kind() != "type_parameter" && p.kind() != "constrained_type_parameter" {
                continue;
            }
            let name = p
                .child_by_field_name("name")
                .or_else(|| p.child_by_field_name("left"));
            let bounds = p.child_by_field_name("bounds");
            if let (Some(name), Some(bounds)) = (name, bounds)
                && let Some(bound) = first_bound(b, bounds)
            {
                let name = b.text(name).to_string();
                b.generics.push((name, bound));
            }
        }
    }
    let where_clause = named_children(node)
        .into_iter()
        .find(|n| n.kind() == "where_clause");
    for pred in where_clause.map(named_children).unwrap_or_default() {
        let (Some(left), Some(bounds)) = (
            pred.child_by_field_name("left"),
            pred.child_by_field_name("bounds"),
        ) else {
            continue;
        };
        if left.kind() == "type_identifier"
            && let Some(bound) = first_bound(b, bounds)
        {
            let name = b.text(left).to_string();
            b.generics.push((name, bound));
        }
    }
}

/// `Some(x)` / `Ok(x)` matched against a value: `x` has the methods the value's type
/// has once its `Option` / `Result` is taken off, which is what a hint already names.
fn bind_unwrapped(b: &mut Builder<'_>, scope: usize, pattern: Node<'_>, value: Node<'_>, at: Node<'_>) {
    let pattern = if pattern.kind() == "match_pattern" {
        match named_children(pattern).into_iter().next() {
            Some(p) => p,
            None => return,
        }
    } else {
        pattern
    };
    if pattern.kind() != "tuple_struct_pattern" {
        return;
    }
    let Some(ctor) = pattern.child_by_field_name("type") else {
        return;
    };
    if !matches!(b.text(ctor), "Some" | "Ok") {
        return;
    }
    let inner: Vec<Node<'_>> = named_children(pattern)
        .into_iter()
        .filter(|n| *n != ctor)
        .collect();
    let [only] = inner.as_slice() else { return };
    if let Some(name) = binding_name(b, *only) {
        let hint = value_hint(b, value).unwrap_or(TypeHint::Unknown);
        b.bind(scope, &name, hint, at);
    }
}

/// `Self` means the impl's type, which is what the resolver looks members up on.
fn self_to_owner(b: &Builder<'_>, ty: &str, container: usize) -> String {
    if ty == "Self" && b.kind_of(container) == ElementKind::Impl {
        b.out.elements[container].name.clone()
    } else {
        ty.to_string()
    }
}

fn impl_block(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize) {
    let Some(ty) = node.child_by_field_name("type") else {
        return;
    };
    let Some(type_name) = simple_type(b.text(ty)) else {
        return;
    };
    let short = type_name.rsplit("::").next().unwrap_or(&type_name).to_string();
    let mut e = NewElement::new(ElementKind::Impl, short.clone(), node, container);
    e.doc = b.preceding_comments(node, |t| t.starts_with("///"));
    if let Some(tr) = node.child_by_field_name("trait") {
        e.bases = simple_type(b.text(tr)).into_iter().collect();
    }
    // Methods are named after the type, wherever the impl block sits.
    let parent_q = b.out.elements[container].qualified_name.clone();
    let outer_generics = b.generics.len();
    push_generics(b, node);
    // `impl<T: Buf> Buf for &mut T`: `self` has the methods of the bound, which the
    // resolver reads from the impl's type.
    let bound = generic_bound(b, type_name.clone());
    if bound != type_name {
        e.type_ref = Some(bound);
    }
    let idx = b.add_named(e, format!("{parent_q}::{short}"));
    if let Some(body) = node.child_by_field_name("body") {
        visit_children(b, body, idx, scope);
    }
    b.generics.truncate(outer_generics);
}

fn fields(b: &mut Builder<'_>, body: Node<'_>, owner: usize) {
    for f in named_children(body) {
        if f.kind() != "field_declaration" {
            continue;
        }
        let Some(name) = b.field_text(f, "name") else {
            continue;
        };
        let mut e = item(b, ElementKind::Field, name, f, owner);
        e.type_ref = f.child_by_field_name("type").and_then(|t| simple_type(b.text(t)));
        b.add(e);
    }
}

fn use_tree(b: &mut Builder<'_>, node: Node<'_>, prefix: &[String], line: u32, reexport: bool) {
    match node.kind() {
        "scoped_identifier" | "identifier" | "crate" | "self" | "super" => {
            let mut segs = prefix.to_vec();
            segs.extend(path_segments(b, node));
            push_use(b, segs, None, line, reexport);
        }
        "use_as_clause" => {
            let (Some(path), Some(alias)) = (
                node.child_by_field_name("path"),
                node.child_by_field_name("alias"),
            ) else {
                return;
            };
            let mut segs = prefix.to_vec();
            segs.extend(path_segments(b, path));
            let alias = b.text(alias).to_string();
            push_use(b, segs, Some(alias), line, reexport);
        }
        "scoped_use_list" => {
            let mut segs = prefix.to_vec();
            if let Some(path) = node.child_by_field_name("path") {
                segs.extend(path_segments(b, path));
            }
            if let Some(list) = node.child_by_field_name("list") {
                use_tree(b, list, &segs, line, reexport);
            }
        }
        "use_list" => {
            for child in named_children(node) {
                use_tree(b, child, prefix, line, reexport);
            }
        }
        "use_wildcard" => {
            let mut segs = prefix.to_vec();
            for child in named_children(node) {
                segs.extend(path_segments(b, child));
            }
            b.import(segs.join("::"), Some("*".into()), "*".into(), line, reexport);
        }
        _ => {}
    }
}

fn push_use(b: &mut Builder<'_>, mut segs: Vec<String>, alias: Option<String>, line: u32, reexport: bool) {
    let Some(last) = segs.pop() else { return };
    if last == "self" {
        // `use a::b::{self}` binds the module `b`.
        let Some(module_name) = segs.last().cloned() else {
            return;
        };
        let alias = alias.unwrap_or(module_name);
        b.import(segs.join("::"), None, alias, line, reexport);
        return;
    }
    if segs.is_empty() {
        // `use serde;` binds a crate.
        let alias = alias.unwrap_or_else(|| last.clone());
        b.import(last, None, alias, line, reexport);
        return;
    }
    let alias = alias.unwrap_or_else(|| last.clone());
    b.import(segs.join("::"), Some(last), alias, line, reexport);
}

pub(crate) fn path_segments(b: &Builder<'_>, node: Node<'_>) -> Vec<String> {
    match node.kind() {
        "scoped_identifier" | "scoped_type_identifier" => {
            let mut segs = node
                .child_by_field_name("path")
                .map(|p| path_segments(b, p))
                .unwrap_or_default();
            if let Some(name) = node.child_by_field_name("name") {
                segs.push(b.text(name).to_string());
            }
            segs
        }
        "generic_type" | "generic_function" => node
            .child_by_field_name("type")
            .or_else(|| node.child_by_field_name("function"))
            .map(|t| path_segments(b, t))
            .unwrap_or_default(),
        _ => {
            let text = b.text(node);
            let text = text.split('<').next().unwrap_or(text);
            vec![text.to_string()]
        }
    }
}

fn callee(b: &Builder<'_>, f: Node<'_>) -> Option<Callee> {
    match f.kind() {
        "identifier" => Some(Callee::Name(b.text(f).to_string())),
        "scoped_identifier" => {
            let segs = path_segments(b, f);
            if segs.len() == 1 {
                return Some(Callee::Name(segs[0].clone()));
            }
            Some(Callee::Path(segs))
        }
        "field_expression" => {
            let value = f.child_by_field_name("value")?;
            let name = b.field_text(f, "field")?;
            Some(Callee::Member {
                receiver: receiver(b, value),
                name,
            })
        }
        "generic_function" => callee(b, f.child_by_field_name("function")?),
        _ => None,
    }
}

fn receiver(b: &Builder<'_>, node: Node<'_>) -> Receiver {
    match node.kind() {
        "self" => Receiver::SelfRef,
        "identifier" => Receiver::Name(b.text(node).to_string()),
        "field_expression" => {
            let mut segs = Vec::new();
            let mut cur = node;
            loop {
                match cur.kind() {
                    "field_expression" => {
                        let Some(field) = cur.child_by_field_name("field") else {
                            return Receiver::Unknown;
                        };
                        segs.push(b.text(field).to_string());
                        let Some(value) = cur.child_by_field_name("value") else {
                            return Receiver::Unknown;
                        };
                        cur = value;
                    }
                    "self" | "identifier" => {
                        segs.push(b.text(cur).to_string());
                        break;
                    }
                    _ => return Receiver::Unknown,
                }
            }
            segs.reverse();
            Receiver::Path(segs)
        }
        "call_expression" => node
            .child_by_field_name("function")
            .and_then(|f| callee(b, f))
            .map(|c| Receiver::Call(Box::new(c)))
            .unwrap_or(Receiver::Unknown),
        "scoped_identifier" => Receiver::Path(path_segments(b, node)),
        "try_expression"
        | "await_expression"
        | "reference_expression"
        | "parenthesized_expression"
        | "unary_expression" => named_children(node)
            .into_iter()
            .next()
            .map(|n| receiver(b, n))
            .unwrap_or(Receiver::Unknown),
        _ => Receiver::Unknown,
    }
}

fn binding_name(b: &Builder<'_>, pattern: Node<'_>) -> Option<String> {
    match pattern.kind() {
        "identifier" => Some(b.text(pattern).to_string()),
        "mut_pattern" | "ref_pattern" => named_children(pattern)
            .into_iter()
            .last()
            .and_then(|n| binding_name(b, n)),
        _ => None,
    }
}

/// `|repo: &Repo| repo.save()`: annotated parameters are typed locals of the enclosing
/// function while the closure lasts (a closure is no element of its own). A local of the
/// same name bound before is bound again on the line after the closure, so the closure's
/// parameter does not shadow it for the rest of the function.
fn closure(b: &mut Builder<'_>, node: Node<'_>, container: usize, scope: usize) {
    let mut restore = Vec::new();
    if let Some(params) = node.child_by_field_name("parameters") {
        for p in named_children(params) {
            if p.kind() != "parameter" {
                continue;
            }
            let name = p.child_by_field_name("pattern").and_then(|n| binding_name(b, n));
            let ty = p.child_by_field_name("type").and_then(|t| simple_type(b.text(t)));
            if let (Some(name), Some(ty)) = (name, ty) {
                let earlier = b
                    .out
                    .bindings
                    .iter()
                    .rev()
                    .find(|x| x.scope == scope && x.name == name)
                    .cloned();
                restore.extend(earlier);
                let ty = self_to_owner(b, &ty, container);
                b.bind(scope, &name, TypeHint::Type(ty), p);
            }
        }
    }
    visit_children(b, node, container, scope);
    let after = node.end_position().row as u32 + 2;
    for mut earlier in restore {
        earlier.line = after;
        b.out.bindings.push(earlier);
    }
}

/// `let (a, b) = (Repo::open(), Cache::new());` or `let (a, b): (Repo, Cache) = ..;`:
/// each name of the pattern takes the type of its position in the annotation, else in
/// the tuple value (nested tuples likewise); a name nothing types is still bound, so it
/// shadows outer names.
fn bind_tuple(
    b: &mut Builder<'_>,
    scope: usize,
    pattern: Node<'_>,
    ty: Option<Node<'_>>,
    value: Option<Node<'_>>,
    node: Node<'_>,
) {
    let types: Vec<Node<'_>> = ty
        .filter(|t| t.kind() == "tuple_type")
        .map(named_children)
        .unwrap_or_default();
    let values: Vec<Node<'_>> = value
        .filter(|v| v.kind() == "tuple_expression")
        .map(named_children)
        .unwrap_or_default();
    for (i, part) in named_children(pattern).into_iter().enumerate() {
        let (ty, value) = (types.get(i).copied(), values.get(i).copied());
        if part.kind() == "tuple_pattern" {
            bind_tuple(b, scope, part, ty, value, node);
            continue;
        }
        let Some(name) = binding_name(b, part) else {
            continue;
        };
        let hint = ty
            .and_then(|t| simple_type(b.text(t)))
            .map(TypeHint::Type)
            .or_else(|| value.and_then(|v| value_hint(b, v)));
        b.bind(scope, &name, hint.unwrap_or(TypeHint::Unknown), node);
    }
}

/// The type a `let` value gives its binding, when the value says it.
fn value_hint(b: &Builder<'_>, value: Node<'_>) -> Option<TypeHint> {
    match value.kind() {
        "call_expression" => {
            let f = value.child_by_field_name("function")?;
            callee(b, f).map(TypeHint::CallResult)
        }
        "struct_expression" => value
            .child_by_field_name("name")
            .and_then(|n| simple_type(b.text(n)))
            .map(TypeHint::Type),
        "identifier" => Some(TypeHint::Alias(b.text(value).to_string())),
        "field_expression" => match receiver(b, value) {
            Receiver::Unknown => None,
            r => Some(TypeHint::Of(r)),
        },
        "try_expression" | "await_expression" | "reference_expression" | "parenthesized_expression" => {
            named_children(value)
                .into_iter()
                .next()
                .and_then(|n| value_hint(b, n))
        }
        _ => None,
    }
}

/// `cfg_rt! { pub fn spawn(..) {..} }`: items wrapped in a macro (a common way to gate
/// them on features) are items all the same. The braces' content is parsed as Rust on
/// its own and walked in place, positions shifted back to the file's.
fn item_macro<'s>(b: &mut Builder<'s>, tree: Node<'_>, container: usize, scope: usize) {
    let src: &'s [u8] = b.src;
    let (start, end) = (tree.start_byte() + 1, tree.end_byte().saturating_sub(1));
    if start >= end {
        return;
    }
    let inner = &src[start..end];
    let mut parser = tree_sitter::Parser::new();
    if parser.set_language(&b.language.grammar()).is_err() {
        return;
    }
    let Some(parsed) = parser.parse(inner, None) else {
        return;
    };
    let (elements, calls, bindings, imports) = (
        b.out.elements.len(),
        b.out.calls.len(),
        b.out.bindings.len(),
        b.out.imports.len(),
    );
    b.src = inner;
    visit_children(b, parsed.root_node(), container, scope);
    b.src = src;
    let rows = tree.start_position().row as u32;
    let first_col = tree.start_position().column as u32 + 1;
    for e in &mut b.out.elements[elements..] {
        if e.span.start_line == 1 {
            e.span.start_col += first_col;
        }
        if e.span.end_line == 1 {
            e.span.end_col += first_col;
        }
        e.span.start_line += rows;
        e.span.end_line += rows;
    }
    for c in &mut b.out.calls[calls..] {
        if c.line == 1 {
            c.col += first_col;
        }
        c.line += rows;
    }
    for x in &mut b.out.bindings[bindings..] {
        x.line += rows;
    }
    for i in &mut b.out.imports[imports..] {
        i.line += rows;
    }
}

/// Macro arguments are unparsed tokens; `name(`, `a::b(` and `x.m(` shapes in them are
/// calls as surely as outside (this is how `assert_eq!(parse(x), y)` reaches `parse`).
fn macro_calls(b: &mut Builder<'_>, tree: Node<'_>, scope: usize) {
    let tokens = children(tree);
    for (i, tok) in tokens.iter().enumerate() {
        // `#[cfg(feature = "x")]` inside a macro is an attribute, not a call to `cfg`.
        if tok.kind() == "token_tree" && i > 0 && b.text(tokens[i - 1]) == "#" {
            continue;
        }
        if tok.kind() == "token_tree" {
            if i > 0 && tokens[i - 1].kind() == "identifier" && b.text(*tok).starts_with('(') {
                let name_node = tokens[i - 1];
                // `a::b(`, `x.m(`, `f(x).m(`, or a plain `f(`; a macro `m!(` is not a call.
                let callee = macro_callee(b, &tokens, i - 1, 0);
                b.call(scope, callee, name_node);
            }
            macro_calls(b, *tok, scope);
        }
    }
}

/// The call whose name is the token at `name` in a macro's tokens, read backwards:
/// `a::b::c(`, `x.m(`, `self.f.m(`, and chains such as `T::open(p).unwrap().m(` or
/// `f(x)?.m(`, whose receiver is the value the call before returns.
fn macro_callee(b: &Builder<'_>, tokens: &[Node<'_>], name: usize, depth: u8) -> Callee {
    let text = |k: usize| b.text(tokens[k]);
    let name_text = text(name).to_string();
    if name >= 2 && text(name - 1) == "::" {
        let mut segs = vec![name_text];
        let mut j = name as isize - 1;
        while j >= 1 && text(j as usize) == "::" {
            segs.insert(0, text(j as usize - 1).to_string());
            j -= 2;
        }
        return Callee::Path(segs);
    }
    if name >= 2 && text(name - 1) == "." {
        let receiver = macro_receiver(b, tokens, name - 2, depth + 1);
        return Callee::Member {
            receiver,
            name: name_text,
        };
    }
    Callee::Name(name_text)
}

/// The receiver ending at token `end` of a macro's tokens (see [`macro_callee`]).
fn macro_receiver(b: &Builder<'_>, tokens: &[Node<'_>], end: usize, depth: u8) -> Receiver {
    if depth > 8 {
        return Receiver::Unknown;
    }
    let tok = tokens[end];
    match tok.kind() {
        "self" => Receiver::SelfRef,
        "identifier" => {
            // `a.b.c`: a field path.
            let mut segs = vec![b.text(tok).to_string()];
            let mut j = end;
            while j >= 2
                && b.text(tokens[j - 1]) == "."
                && matches!(tokens[j - 2].kind(), "identifier" | "self")
            {
                segs.insert(0, b.text(tokens[j - 2]).to_string());
                j -= 2;
            }
            if segs == ["self"] {
                Receiver::SelfRef
            } else if segs.len() == 1 {
                Receiver::Name(segs.remove(0))
            } else {
                Receiver::Path(segs)
            }
        }
        "token_tree"
            if b.text(tok).starts_with('(') && end >= 1 && tokens[end - 1].kind() == "identifier" =>
        {
            Receiver::Call(Box::new(macro_callee(b, tokens, end - 1, depth + 1)))
        }
        _ if b.text(tok) == "?" && end >= 1 => macro_receiver(b, tokens, end - 1, depth + 1),
        _ => Receiver::Unknown,
    }
}
