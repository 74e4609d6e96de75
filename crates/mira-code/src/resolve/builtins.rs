//! Names every program of a language can call without importing them. A call to one is
//! an edge to an external node (`builtins.len`), not an unresolved one.

use crate::lang::Language;

const PYTHON: &[&str] = &[
    "abs",
    "all",
    "any",
    "bool",
    "bytes",
    "callable",
    "chr",
    "dict",
    "dir",
    "enumerate",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "hasattr",
    "hash",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "map",
    "max",
    "min",
    "next",
    "object",
    "open",
    "ord",
    "print",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "sorted",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
    "Exception",
    "ValueError",
    "TypeError",
    "KeyError",
    "RuntimeError",
    "NotImplementedError",
    "AttributeError",
    "IndexError",
    "OSError",
    "StopIteration",
    "staticmethod",
    "classmethod",
    "property",
];

const JS: &[&str] = &[
    "console",
    "Math",
    "JSON",
    "Object",
    "Array",
    "Promise",
    "String",
    "Number",
    "Boolean",
    "Date",
    "Error",
    "TypeError",
    "Map",
    "Set",
    "WeakMap",
    "RegExp",
    "Symbol",
    "parseInt",
    "parseFloat",
    "setTimeout",
    "clearTimeout",
    "setInterval",
    "clearInterval",
    "fetch",
    "require",
    "describe",
    "it",
    "test",
    "expect",
    "beforeEach",
    "afterEach",
    "window",
    "document",
    "process",
    "Buffer",
    "structuredClone",
    "queueMicrotask",
    "encodeURIComponent",
    "decodeURIComponent",
];

const GO: &[&str] = &[
    "append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max", "min",
    "new", "panic", "print", "println", "real", "recover", "string", "int", "int64", "int32", "uint",
    "uint64", "uint8", "byte", "rune", "float64", "float32", "error", "bool", "any",
];

const RUST: &[&str] = &["drop", "Box", "Vec", "String", "Some", "Ok", "Err", "Default"];

/// The external node for a built-in name, if `name` is one.
pub fn builtin(language: Language, name: &str) -> Option<String> {
    let (list, prefix) = match language {
        Language::Python => (PYTHON, "builtins."),
        Language::TypeScript | Language::Tsx | Language::JavaScript => (JS, "globalThis."),
        Language::Go => (GO, "builtin."),
        Language::Rust => (RUST, "std::prelude::"),
    };
    list.contains(&name).then(|| format!("{prefix}{name}"))
}

/// Roots of Rust paths that are never the project's own.
pub fn is_rust_std(root: &str) -> bool {
    matches!(root, "std" | "core" | "alloc")
}
