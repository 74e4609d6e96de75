//! The languages Mira parses, how a file's language is told from its name, and each
//! language's naming convention for modules and members.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Rust,
    Python,
    TypeScript,
    Tsx,
    JavaScript,
    Go,
}

impl Language {
    pub fn from_path(path: &str) -> Option<Self> {
        let ext = path.rsplit_once('.')?.1;
        Some(match ext {
            "rs" => Self::Rust,
            "py" | "pyi" => Self::Python,
            "ts" | "mts" | "cts" => Self::TypeScript,
            "tsx" => Self::Tsx,
            "js" | "jsx" | "mjs" | "cjs" => Self::JavaScript,
            "go" => Self::Go,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::TypeScript => "typescript",
            Self::Tsx => "tsx",
            Self::JavaScript => "javascript",
            Self::Go => "go",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "rust" => Self::Rust,
            "python" => Self::Python,
            "typescript" => Self::TypeScript,
            "tsx" => Self::Tsx,
            "javascript" => Self::JavaScript,
            "go" => Self::Go,
            _ => return None,
        })
    }

    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Self::Rust => tree_sitter_rust::LANGUAGE.into(),
            Self::Python => tree_sitter_python::LANGUAGE.into(),
            Self::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Self::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Self::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Self::Go => tree_sitter_go::LANGUAGE.into(),
        }
    }

    /// Separator between a container and its member in qualified names.
    pub fn separator(self) -> &'static str {
        match self {
            Self::Rust => "::",
            _ => ".",
        }
    }

    /// TypeScript, TSX and JavaScript import each other freely.
    pub fn family(self) -> &'static str {
        match self {
            Self::TypeScript | Self::Tsx | Self::JavaScript => "js",
            other => other.as_str(),
        }
    }
}

/// The container part of a qualified name (`crate::a::T` for `crate::a::T::f`).
pub fn owner_of(qualified: &str, language: Language) -> Option<&str> {
    let sep = language.separator();
    qualified.rfind(sep).map(|i| &qualified[..i])
}

/// Python: the dotted path from the project root, a package named by its `__init__.py`.
pub fn python_module(path: &str) -> String {
    let stem = path
        .strip_suffix(".pyi")
        .or_else(|| path.strip_suffix(".py"))
        .unwrap_or(path);
    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
    if stem == "__init__" {
        return "__init__".into();
    }
    stem.replace('/', ".")
}

/// JavaScript family: the path without its extension; `dir/index` names `dir`, as
/// Node's resolution does.
pub fn js_module(path: &str) -> String {
    let stem = path.rsplit_once('.').map(|(s, _)| s).unwrap_or(path);
    match stem.strip_suffix("/index") {
        Some(dir) => dir.to_string(),
        None => stem.to_string(),
    }
}

/// Go: the package's import path (the module path from go.mod joined with the
/// directory), so every file of a package shares it.
pub fn go_package(path: &str, go_module: Option<&str>) -> String {
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    match (go_module, dir) {
        (Some(m), "") => m.to_string(),
        (Some(m), d) => format!("{m}/{d}"),
        (None, "") => "main".to_string(),
        (None, d) => d.to_string(),
    }
}

/// Rust: `crate::a::b` for `src/a/b.rs` (or `src/a/b/mod.rs`) of the crate at
/// `crate_dir`; `crate_name` replaces `crate` for crates other than the project's own,
/// so the crates of a workspace do not collide.
pub fn rust_module(path: &str, crate_dir: &str, crate_name: Option<&str>) -> String {
    let root = crate_name.unwrap_or("crate");
    let inside = if crate_dir.is_empty() {
        path
    } else {
        path.strip_prefix(crate_dir)
            .map(|p| p.trim_start_matches('/'))
            .unwrap_or(path)
    };
    let inside = inside.strip_prefix("src/").unwrap_or(inside);
    let stem = inside.strip_suffix(".rs").unwrap_or(inside);
    let stem = stem.strip_suffix("/mod").unwrap_or(stem);
    if matches!(stem, "lib" | "main") {
        return root.to_string();
    }
    let mut parts: Vec<&str> = stem.split('/').collect();
    // `src/bin/tool.rs` and `tests/it/main.rs` are crate roots of their own.
    if parts.last() == Some(&"main") {
        parts.pop();
    }
    let mut name = root.to_string();
    for p in parts {
        name.push_str("::");
        name.push_str(&p.replace('-', "_"));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_modules_follow_packages() {
        assert_eq!(python_module("pkg/mod.py"), "pkg.mod");
        assert_eq!(python_module("pkg/__init__.py"), "pkg");
        assert_eq!(python_module("pkg/sub/__init__.py"), "pkg.sub");
        assert_eq!(python_module("top.py"), "top");
    }

    #[test]
    fn rust_modules_follow_the_crate_layout() {
        assert_eq!(rust_module("src/lib.rs", "", None), "crate");
        assert_eq!(rust_module("src/a/b.rs", "", None), "crate::a::b");
        assert_eq!(rust_module("src/a/mod.rs", "", None), "crate::a");
        assert_eq!(
            rust_module("crates/x/src/store.rs", "crates/x", Some("x")),
            "x::store"
        );
    }

    #[test]
    fn js_and_go_modules() {
        assert_eq!(js_module("src/user.ts"), "src/user");
        assert_eq!(js_module("src/index.tsx"), "src");
        assert_eq!(
            go_package("store/db.go", Some("example.com/app")),
            "example.com/app/store"
        );
        assert_eq!(go_package("main.go", Some("example.com/app")), "example.com/app");
        assert_eq!(owner_of("crate::a::T::f", Language::Rust), Some("crate::a::T"));
    }
}
