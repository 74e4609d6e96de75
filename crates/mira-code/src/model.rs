//! The facts one file yields: elements (the symbol hierarchy), imports, call sites and
//! the local bindings that let the resolver know a receiver's type. Plain data, no I/O.

use serde::Serialize;

use crate::lang::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    Module,
    Class,
    Struct,
    Enum,
    Trait,
    Interface,
    Impl,
    Function,
    Method,
    Constant,
    TypeAlias,
    Field,
}

impl ElementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Module => "module",
            Self::Class => "class",
            Self::Struct => "struct",
            Self::Enum => "enum",
            Self::Trait => "trait",
            Self::Interface => "interface",
            Self::Impl => "impl",
            Self::Function => "function",
            Self::Method => "method",
            Self::Constant => "constant",
            Self::TypeAlias => "type_alias",
            Self::Field => "field",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "module" => Self::Module,
            "class" => Self::Class,
            "struct" => Self::Struct,
            "enum" => Self::Enum,
            "trait" => Self::Trait,
            "interface" => Self::Interface,
            "impl" => Self::Impl,
            "function" => Self::Function,
            "method" => Self::Method,
            "constant" => Self::Constant,
            "type_alias" => Self::TypeAlias,
            "field" => Self::Field,
            _ => return None,
        })
    }

    /// Kinds that name a type whose members a receiver can reach.
    pub fn is_type(self) -> bool {
        matches!(
            self,
            Self::Class | Self::Struct | Self::Enum | Self::Trait | Self::Interface | Self::Impl
        )
    }

    /// Kinds that run code, so they can be callers and callees.
    pub fn is_callable(self) -> bool {
        matches!(self, Self::Function | Self::Method | Self::Module)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    /// Rust `pub(crate)` / `pub(super)`, TypeScript `protected`.
    Restricted,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Restricted => "restricted",
            Self::Private => "private",
        }
    }
}

/// Lines are 1-based (as editors show them), columns 0-based bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Span {
    pub start_line: u32,
    pub start_col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

impl Span {
    pub fn contains(&self, line: u32, col: u32) -> bool {
        (line > self.start_line || (line == self.start_line && col >= self.start_col))
            && (line < self.end_line || (line == self.end_line && col <= self.end_col))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Element {
    pub kind: ElementKind,
    pub name: String,
    pub qualified_name: String,
    pub span: Span,
    pub signature: String,
    pub doc: Option<String>,
    pub visibility: Visibility,
    /// Index of the enclosing element in the file's list; the module element has none.
    pub parent: Option<usize>,
    /// Base classes, implemented interfaces or, for a Rust impl, the trait (as written).
    pub bases: Vec<String>,
    /// For functions the returned type, for fields the declared type (as written, with
    /// wrappers such as `Result<..>` and references removed), when known.
    pub type_ref: Option<String>,
    pub is_test: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Import {
    /// The module imported from, in the language's notation (`crate::store`, `pkg.mod`,
    /// `./user`, `github.com/x/y/store`); relative forms are kept as written.
    pub module: String,
    /// The item imported from it; `None` when the module itself is bound.
    pub name: Option<String>,
    /// The local name the import binds (the alias, or the item's own name).
    pub alias: String,
    pub line: u32,
    /// `pub use`, `export { x } from`: the binding is visible to importers of this file.
    pub reexport: bool,
    /// The module whose names the import adds to: the file's, or an inline Rust `mod`.
    pub scope: String,
}

/// What a call expression names, before resolution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Callee {
    /// `foo()`
    Name(String),
    /// `a::b::c()` (Rust paths).
    Path(Vec<String>),
    /// `receiver.name()`
    Member { receiver: Receiver, name: String },
    /// `new Foo()`
    New(String),
}

impl Callee {
    /// The last name, which is what a definition of the callee would be called.
    pub fn name(&self) -> &str {
        match self {
            Self::Name(n) | Self::New(n) => n,
            Self::Path(p) => p.last().map(String::as_str).unwrap_or(""),
            Self::Member { name, .. } => name,
        }
    }

    /// The call as written (roughly), for unresolved nodes.
    pub fn text(&self) -> String {
        match self {
            Self::Name(n) => n.clone(),
            Self::New(n) => format!("new {n}"),
            Self::Path(p) => p.join("::"),
            Self::Member { receiver, name } => format!("{}.{name}", receiver.text()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Receiver {
    /// `self`, `this`
    SelfRef,
    /// `super` (Python `super()`, JavaScript `super`)
    Super,
    /// A variable, a module alias or a type name.
    Name(String),
    /// `a.b.c` where `a` may be `self`
    Path(Vec<String>),
    /// `f().g()`: the value a call returns.
    Call(Box<Callee>),
    Unknown,
}

impl Receiver {
    fn text(&self) -> String {
        match self {
            Self::SelfRef => "self".into(),
            Self::Super => "super".into(),
            Self::Name(n) => n.clone(),
            Self::Path(p) => p.join("."),
            Self::Call(c) => format!("{}()", c.text()),
            Self::Unknown => "<expr>".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallSite {
    /// Index of the calling element (the module element for top-level code).
    pub caller: usize,
    pub callee: Callee,
    pub line: u32,
    pub col: u32,
    /// Set when the call goes through a value followed to its definition (Python:
    /// `b = f; b()`); `None` for a call the resolver looks up by its callee alone.
    pub through: Option<Through>,
}

/// Where a call through a value leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Through {
    /// An element of the same file (a function, lambda, method or class).
    Definition(usize),
    /// What the callee expression names when read in this scope (an element index of
    /// the file): the value was assigned or passed there.
    Scope(usize),
}

/// What is known of a local name's type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TypeHint {
    /// An annotation or a constructor expression: `x: Repo`, `new Repo()`, `&Repo{}`.
    Type(String),
    /// The result of a call: `x = Repo()`, `let x = Repo::open()?`.
    CallResult(Callee),
    /// A copy of another local: `y = x`.
    Alias(String),
    /// The value of an expression the resolver follows as it follows receivers: a
    /// field `self.repo`, `state.auth`.
    Of(Receiver),
    /// Bound, type not known (an unannotated parameter): it still shadows outer names.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binding {
    /// The element whose body binds the name (function, method or module).
    pub scope: usize,
    pub name: String,
    pub hint: TypeHint,
    pub line: u32,
}

/// Everything extracted from one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedFile {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub language: Language,
    /// The module's qualified name; element 0 is the module element with this name.
    pub module: String,
    pub elements: Vec<Element>,
    pub imports: Vec<Import>,
    pub calls: Vec<CallSite>,
    pub bindings: Vec<Binding>,
    /// Lines where the parser found a syntax error (the rest of the file is indexed).
    pub error_lines: Vec<u32>,
    pub line_count: u32,
}

impl ParsedFile {
    pub fn has_tests(&self) -> bool {
        self.elements.iter().any(|e| e.is_test)
    }
}
