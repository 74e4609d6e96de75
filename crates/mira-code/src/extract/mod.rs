//! From source text to [`ParsedFile`]: tree-sitter parses, and one walker per language
//! turns the syntax tree into elements, imports, call sites and bindings. Pure: no I/O.

mod go;
mod js;
mod python;
mod python_flow;
mod rust;
mod types;

use tree_sitter::{InputEdit, Node, Parser, Point, Tree};

use crate::lang::Language;
use crate::model::{
    Binding, CallSite, Callee, Element, ElementKind, Import, ParsedFile, Span, TypeHint, Visibility,
};

pub use types::simple_type;

/// Where a file sits, as far as naming its module goes.
#[derive(Debug, Clone)]
pub struct FileInfo<'a> {
    pub path: &'a str,
    pub language: Language,
    pub module: String,
    /// Rust: the package name of the project's own crate, which its integration tests,
    /// examples and benches use in paths (`tokio::spawn`) where its code says `crate`.
    pub crate_alias: Option<String>,
}

/// Parses `source` and extracts its facts. A syntax error does not stop extraction:
/// tree-sitter recovers, the lines are reported, and what parsed is kept.
pub fn parse(info: &FileInfo<'_>, source: &str) -> ParsedFile {
    let tree = syntax(info.language, source, None);
    facts(info, source, tree.as_ref())
}

/// A file's syntax tree kept with the text it was parsed from, so that the next parse
/// of the same file after an edit ([`parse_reusing`]) re-parses only what the edit
/// touched instead of the whole file.
pub struct KeptTree {
    language: Language,
    text: String,
    tree: Tree,
}

impl KeptTree {
    /// The size of the text the tree was parsed from (its nodes take a multiple of it).
    pub fn text_len(&self) -> usize {
        self.text.len()
    }
}

/// [`parse`], starting from the tree of an earlier version of the file when there is
/// one, and returning the new tree to keep for the next version. The facts are those
/// [`parse`] gives for `source`: an incremental re-parse whose tree has a syntax error
/// is not trusted (error recovery may take another path than in a fresh parse, and
/// scanners with state are where incremental parsers are known to disagree with fresh
/// ones), so such a file is parsed again from scratch.
pub fn parse_reusing(
    info: &FileInfo<'_>,
    source: &str,
    previous: Option<KeptTree>,
) -> (ParsedFile, Option<KeptTree>) {
    let previous = previous.filter(|p| p.language == info.language);
    let tree = match previous {
        Some(p) if p.text == source => Some(p.tree),
        // Most likely broken again: a fresh parse is needed anyway.
        Some(p) if p.tree.root_node().has_error() => syntax(info.language, source, None),
        Some(mut p) => {
            p.tree.edit(&edit_between(&p.text, source));
            syntax(info.language, source, Some(&p.tree))
                .filter(|t| !t.root_node().has_error())
                .or_else(|| syntax(info.language, source, None))
        }
        None => syntax(info.language, source, None),
    };
    let file = facts(info, source, tree.as_ref());
    let kept = tree.map(|tree| KeptTree {
        language: info.language,
        text: source.to_string(),
        tree,
    });
    (file, kept)
}

/// The one edit that turns `old` into `new`: everything between their common prefix and
/// their common suffix is replaced. Offsets are kept on character boundaries.
fn edit_between(old: &str, new: &str) -> InputEdit {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !(old.is_char_boundary(prefix) && new.is_char_boundary(prefix)) {
        prefix -= 1;
    }
    let room = a.len().min(b.len()) - prefix;
    let mut suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    while !(old.is_char_boundary(a.len() - suffix) && new.is_char_boundary(b.len() - suffix)) {
        suffix -= 1;
    }
    let start_position = point_at(a, prefix, Point { row: 0, column: 0 }, 0);
    InputEdit {
        start_byte: prefix,
        old_end_byte: a.len() - suffix,
        new_end_byte: b.len() - suffix,
        start_position,
        old_end_position: point_at(a, a.len() - suffix, start_position, prefix),
        new_end_position: point_at(b, b.len() - suffix, start_position, prefix),
    }
}

/// The (row, byte column) of `offset` in `text`, counting on from `from` at byte `at`.
fn point_at(text: &[u8], offset: usize, from: Point, at: usize) -> Point {
    let span = &text[at..offset];
    match span.iter().rposition(|&c| c == b'\n') {
        Some(last) => Point {
            row: from.row + span.iter().filter(|&&c| c == b'\n').count(),
            column: span.len() - last - 1,
        },
        None => Point {
            row: from.row,
            column: from.column + span.len(),
        },
    }
}

/// The syntax tree of `source`, re-using `old` (already edited) where it still holds.
fn syntax(language: Language, source: &str, old: Option<&Tree>) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&language.grammar()).ok()?;
    parser.parse(source, old)
}

/// The facts of a parsed file; without a tree (the grammar failed to load or the parser
/// gave up), only the module element and an error on line 1.
fn facts(info: &FileInfo<'_>, source: &str, tree: Option<&Tree>) -> ParsedFile {
    let mut out = ParsedFile {
        path: info.path.to_string(),
        language: info.language,
        module: info.module.clone(),
        elements: Vec::new(),
        imports: Vec::new(),
        calls: Vec::new(),
        bindings: Vec::new(),
        error_lines: Vec::new(),
        line_count: source.lines().count() as u32,
    };
    let module_name = info
        .module
        .rsplit(['.', ':', '/'])
        .next()
        .unwrap_or(&info.module)
        .to_string();
    out.elements.push(Element {
        kind: ElementKind::Module,
        name: module_name,
        qualified_name: info.module.clone(),
        span: Span {
            start_line: 1,
            start_col: 0,
            end_line: out.line_count.max(1),
            end_col: 0,
        },
        signature: String::new(),
        doc: None,
        visibility: Visibility::Public,
        parent: None,
        bases: Vec::new(),
        type_ref: None,
        is_test: is_test_path(info.path),
    });
    let Some(tree) = tree else {
        out.error_lines.push(1);
        return out;
    };
    if let Some(alias) = info
        .crate_alias
        .as_ref()
        .filter(|_| info.language == Language::Rust)
    {
        out.imports.push(Import {
            module: "crate".into(),
            name: None,
            alias: alias.clone(),
            line: 0,
            reexport: false,
            scope: info.module.clone(),
        });
    }
    let root = tree.root_node();
    let mut b = Builder {
        src: source.as_bytes(),
        language: info.language,
        out,
        import_scope: info.module.clone(),
        py: python_flow::Facts::default(),
        generics: Vec::new(),
    };
    if root.has_error() {
        collect_errors(root, &mut b.out.error_lines);
    }
    match info.language {
        Language::Rust => rust::walk(&mut b, root),
        Language::Python => python::walk(&mut b, root),
        Language::TypeScript | Language::Tsx | Language::JavaScript => js::walk(&mut b, root),
        Language::Go => go::walk(&mut b, root),
    }
    b.out
}

/// Test files by the conventions of each language's tooling.
pub fn is_test_path(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    path.starts_with("tests/")
        || path.contains("/tests/")
        || path.starts_with("test/")
        || path.contains("/test/")
        || file.starts_with("test_")
        || file.ends_with("_test.py")
        || file.ends_with("_test.go")
        || file.contains(".test.")
        || file.contains(".spec.")
}

fn collect_errors(node: Node<'_>, lines: &mut Vec<u32>) {
    if node.is_error() || node.is_missing() {
        let line = node.start_position().row as u32 + 1;
        if lines.last() != Some(&line) {
            lines.push(line);
        }
        return;
    }
    if !node.has_error() {
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect_errors(child, lines);
    }
}

/// What a walker needs while it goes: the source, the output so far.
pub(crate) struct Builder<'s> {
    pub src: &'s [u8],
    pub language: Language,
    pub out: ParsedFile,
    /// The module imports are recorded in (changes inside inline Rust modules).
    pub import_scope: String,
    /// Python: where values go, for following them to the calls they reach.
    pub(crate) py: python_flow::Facts,
    /// Rust: generic parameters in scope with the trait that bounds them (`T: Store`),
    /// innermost last, so a value of type `T` has the trait's methods.
    pub generics: Vec<(String, String)>,
}

/// The parts of an element a walker decides; the builder derives the rest.
pub(crate) struct NewElement<'t> {
    pub kind: ElementKind,
    pub name: String,
    pub node: Node<'t>,
    pub parent: usize,
    pub visibility: Visibility,
    pub doc: Option<String>,
    pub bases: Vec<String>,
    pub type_ref: Option<String>,
    pub is_test: bool,
}

impl<'t> NewElement<'t> {
    pub fn new(kind: ElementKind, name: String, node: Node<'t>, parent: usize) -> Self {
        Self {
            kind,
            name,
            node,
            parent,
            visibility: Visibility::Public,
            doc: None,
            bases: Vec::new(),
            type_ref: None,
            is_test: false,
        }
    }
}

impl Builder<'_> {
    pub fn text(&self, node: Node<'_>) -> &str {
        node.utf8_text(self.src).unwrap_or("")
    }

    pub fn field_text(&self, node: Node<'_>, field: &str) -> Option<String> {
        node.child_by_field_name(field).map(|n| self.text(n).to_string())
    }

    /// A member chain such as `a.b.c` as a path receiver: `chain` is the grammar's node
    /// for one `object.member` step, with the member in `member_field` and the rest in
    /// `object_field`; `leaf` names the innermost object (an identifier, `this`), or
    /// gives `None` when the chain does not start with a name.
    pub fn member_path(
        &self,
        node: Node<'_>,
        chain: &str,
        member_field: &str,
        object_field: &str,
        leaf: impl Fn(Node<'_>) -> Option<String>,
    ) -> crate::model::Receiver {
        use crate::model::Receiver;
        let mut segs = Vec::new();
        let mut cur = node;
        while cur.kind() == chain {
            let (Some(member), Some(object)) = (
                cur.child_by_field_name(member_field),
                cur.child_by_field_name(object_field),
            ) else {
                return Receiver::Unknown;
            };
            segs.push(self.text(member).to_string());
            cur = object;
        }
        let Some(first) = leaf(cur) else {
            return Receiver::Unknown;
        };
        segs.push(first);
        segs.reverse();
        Receiver::Path(segs)
    }

    /// Adds an element named under its parent and returns its index.
    pub fn add(&mut self, e: NewElement<'_>) -> usize {
        let parent_q = &self.out.elements[e.parent].qualified_name;
        let qualified_name = format!("{parent_q}{}{}", self.language.separator(), e.name);
        self.add_named(e, qualified_name)
    }

    /// Adds an element with a qualified name the walker computed (Rust impls, Go methods).
    pub fn add_named(&mut self, e: NewElement<'_>, qualified_name: String) -> usize {
        let signature = self.signature(e.node);
        let start = e.node.start_position();
        let end = e.node.end_position();
        self.out.elements.push(Element {
            kind: e.kind,
            name: e.name,
            qualified_name,
            span: Span {
                start_line: start.row as u32 + 1,
                start_col: start.column as u32,
                end_line: end.row as u32 + 1,
                end_col: end.column as u32,
            },
            signature,
            doc: e.doc,
            visibility: e.visibility,
            parent: Some(e.parent),
            bases: e.bases,
            type_ref: e.type_ref,
            is_test: e.is_test,
        });
        self.out.elements.len() - 1
    }

    /// The declaration up to its body, on one line.
    fn signature(&self, node: Node<'_>) -> String {
        let end = node
            .child_by_field_name("body")
            .map(|b| b.start_byte())
            .unwrap_or_else(|| node.end_byte());
        let raw = std::str::from_utf8(&self.src[node.start_byte()..end]).unwrap_or("");
        let mut sig = String::with_capacity(raw.len().min(240));
        for word in raw.split_whitespace() {
            if !sig.is_empty() {
                sig.push(' ');
            }
            sig.push_str(word);
            if sig.len() > 240 {
                let mut cut = 240;
                while !sig.is_char_boundary(cut) {
                    cut -= 1;
                }
                sig.truncate(cut);
                sig.push_str("...");
                break;
            }
        }
        sig.trim_end_matches([':', '{', ' ']).to_string()
    }

    pub fn call(&mut self, caller: usize, callee: Callee, node: Node<'_>) {
        if callee.name().is_empty() {
            return;
        }
        let p = node.start_position();
        self.out.calls.push(CallSite {
            caller,
            callee,
            line: p.row as u32 + 1,
            col: p.column as u32,
            through: None,
        });
    }

    pub fn bind(&mut self, scope: usize, name: &str, hint: TypeHint, node: Node<'_>) {
        if name.is_empty() || name == "_" {
            return;
        }
        self.out.bindings.push(Binding {
            scope,
            name: name.to_string(),
            hint,
            line: node.start_position().row as u32 + 1,
        });
    }

    pub fn import(&mut self, module: String, name: Option<String>, alias: String, line: u32, reexport: bool) {
        self.out.imports.push(Import {
            module,
            name,
            alias,
            line,
            reexport,
            scope: self.import_scope.clone(),
        });
    }

    pub fn kind_of(&self, index: usize) -> ElementKind {
        self.out.elements[index].kind
    }

    /// Comments right above `node` (no blank line between), markers removed.
    pub fn preceding_comments(&self, node: Node<'_>, accept: impl Fn(&str) -> bool) -> Option<String> {
        let mut lines = Vec::new();
        let mut next_row = node.start_position().row;
        let mut cur = node.prev_sibling();
        while let Some(c) = cur {
            let kind = c.kind();
            if kind == "attribute_item" || kind == "decorator" {
                next_row = c.start_position().row;
                cur = c.prev_sibling();
                continue;
            }
            if !kind.contains("comment") || c.end_position().row + 1 < next_row {
                break;
            }
            let text = self.text(c);
            if !accept(text) {
                break;
            }
            lines.push(strip_comment(text));
            next_row = c.start_position().row;
            cur = c.prev_sibling();
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        let doc = lines.join("\n").trim().to_string();
        (!doc.is_empty()).then_some(doc)
    }
}

fn strip_comment(text: &str) -> String {
    let t = text.trim();
    if let Some(body) = t.strip_prefix("/**").or_else(|| t.strip_prefix("/*")) {
        let body = body.strip_suffix("*/").unwrap_or(body);
        return body
            .lines()
            .map(|l| l.trim().trim_start_matches('*').trim())
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string();
    }
    t.trim_start_matches('/')
        .trim_start_matches('!')
        .trim_start_matches('#')
        .trim()
        .to_string()
}

/// Children of `node`, for walkers that recurse by hand.
pub(crate) fn children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

pub(crate) fn named_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}
