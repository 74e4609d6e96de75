//! Which glob imports (`use super::*;`, `from pkg.mod import *`, `export * from`) a
//! change reaches. A file that glob-imports a module sees every name the module exports,
//! so it is re-linked when that module's exported names change; a glob of another module
//! is not affected. Calls are already found by the names they call (`callee_name`); this
//! is for the names a glob brings in without naming them.

use std::collections::HashSet;

use crate::lang::Language;

/// One stored glob import.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct GlobImport {
    pub file_id: i64,
    /// The module as written (`super`, `crate::io`, `flask.helpers`, `./x`).
    pub module: String,
    /// The module the import is in (an inline module's, or the file's).
    pub scope: String,
    pub reexport: bool,
    pub language: Option<String>,
}

/// Files whose glob imports reach one of `changed` (modules whose exported names
/// changed), following glob re-exports: a module that re-exports a changed module with
/// `pub use m::*` (or Python's `from m import *`, which always re-binds) changes too.
/// `is_file_module` says whether a Rust module is a file's own (not an inline `mod`), so
/// a glob of `a::b` is traced to the file that defines it.
pub(crate) fn reached(
    globs: &[GlobImport],
    changed: &HashSet<String>,
    is_file_module: &dyn Fn(&str) -> bool,
) -> HashSet<i64> {
    let mut changed = changed.clone();
    let mut out = HashSet::new();
    loop {
        let mut grew = false;
        for g in globs {
            if !reaches(g, &changed, is_file_module) {
                continue;
            }
            out.insert(g.file_id);
            let rebinds = g.reexport || language(g) == Some(Language::Python);
            if rebinds && changed.insert(g.scope.clone()) {
                grew = true;
            }
        }
        if !grew {
            return out;
        }
    }
}

fn language(g: &GlobImport) -> Option<Language> {
    g.language.as_deref().and_then(Language::parse)
}

fn reaches(g: &GlobImport, changed: &HashSet<String>, is_file_module: &dyn Fn(&str) -> bool) -> bool {
    match language(g) {
        Some(Language::Rust) => rust_targets(&g.module, &g.scope).iter().any(|t| {
            changed.contains(t)
                || match owning_file_module(t, is_file_module) {
                    Some(owner) => changed.contains(owner),
                    // Not a module of the project as far as the table knows: any changed
                    // module it sits in may define it inline.
                    None => changed.iter().any(|m| is_inside(t, m, "::")),
                }
        }),
        Some(Language::Python) => changed.iter().any(|m| {
            // Either name may carry a layout prefix the other lacks (`src.flask` and
            // `flask`), so a dotted suffix of one matching the other counts.
            m == &g.module || is_suffix(m, &g.module, '.') || is_suffix(&g.module, m, '.')
        }),
        // Relative JS paths and Go packages are not worth resolving here: such globs
        // are rare, and re-linking them on every change is the safe side.
        _ => true,
    }
}

/// The longest prefix of `module` (itself included) that is a file's own module: the
/// file an inline module (`crate::a::tests`) is written in.
fn owning_file_module<'m>(module: &'m str, is_file_module: &dyn Fn(&str) -> bool) -> Option<&'m str> {
    let mut end = module.len();
    loop {
        let prefix = &module[..end];
        if is_file_module(prefix) {
            return Some(prefix);
        }
        end = prefix.rfind("::")?;
    }
}

/// `inner` is a module nested in `outer` (`crate::a::b` in `crate::a`).
fn is_inside(inner: &str, outer: &str, sep: &str) -> bool {
    inner.len() > outer.len() + sep.len() && inner.starts_with(outer) && inner[outer.len()..].starts_with(sep)
}

/// `long` ends with `sep` + `short` (`src.flask.helpers` and `flask.helpers`).
fn is_suffix(long: &str, short: &str, sep: char) -> bool {
    long.len() > short.len() && long.ends_with(short) && long[..long.len() - short.len()].ends_with(sep)
}

/// The absolute module paths a Rust glob may name: `super`, `self` and `crate` resolved
/// against the import's module; a path starting with a crate name may be this crate
/// under its package name (`tokio::time` in tokio's own tests), so that is tried too.
fn rust_targets(written: &str, scope: &str) -> Vec<String> {
    let segs: Vec<&str> = written.split("::").filter(|s| !s.is_empty()).collect();
    let Some(&first) = segs.first() else {
        return Vec::new();
    };
    match first {
        "crate" => vec![segs.join("::")],
        "self" | "super" => {
            let mut base: Vec<&str> = scope.split("::").collect();
            let mut rest = segs.as_slice();
            if first == "self" {
                rest = &rest[1..];
            }
            while let Some((&"super", tail)) = rest.split_first() {
                base.pop();
                rest = tail;
            }
            base.extend_from_slice(rest);
            vec![base.join("::")]
        }
        _ => {
            let mut in_crate = vec!["crate"];
            in_crate.extend_from_slice(&segs[1..]);
            vec![segs.join("::"), in_crate.join("::")]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(file_id: i64, module: &str, scope: &str, reexport: bool, language: &str) -> GlobImport {
        GlobImport {
            file_id,
            module: module.into(),
            scope: scope.into(),
            reexport,
            language: Some(language.into()),
        }
    }

    fn none(_: &str) -> bool {
        false
    }

    fn set(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rust_super_in_a_test_module_reaches_only_its_own_file() {
        let files = |m: &str| {
            [
                "crate::io::util",
                "crate::io::util::chain",
                "crate::io::util::take",
            ]
            .contains(&m)
        };
        let globs = vec![
            glob(1, "super", "crate::io::util::chain::tests", false, "rust"),
            glob(2, "super", "crate::io::util::take::tests", false, "rust"),
        ];
        assert_eq!(
            reached(&globs, &set(&["crate::io::util::chain"]), &files),
            HashSet::from([1])
        );
        assert!(reached(&globs, &set(&["crate::io::util"]), &files).is_empty());
    }

    #[test]
    fn rust_paths_resolve_self_super_crate_and_the_package_name() {
        assert_eq!(
            rust_targets("super::super::x", "crate::a::b::c"),
            vec!["crate::a::x"]
        );
        assert_eq!(rust_targets("self::inner", "crate::a"), vec!["crate::a::inner"]);
        assert_eq!(
            rust_targets("crate::fs::mocks", "crate::fs"),
            vec!["crate::fs::mocks"]
        );
        assert_eq!(
            rust_targets("tokio::time", "crate"),
            vec!["tokio::time", "crate::time"]
        );
        // A glob of an inline module of a changed file is reached.
        let globs = vec![glob(3, "crate::a::inner", "crate::b", false, "rust")];
        assert_eq!(reached(&globs, &set(&["crate::a"]), &none), HashSet::from([3]));
        let a_is_a_file = |m: &str| m == "crate::a" || m == "crate::b";
        assert_eq!(
            reached(&globs, &set(&["crate::a"]), &a_is_a_file),
            HashSet::from([3])
        );
        assert!(reached(&globs, &set(&["crate"]), &a_is_a_file).is_empty());
    }

    #[test]
    fn glob_re_exports_carry_a_change_onward() {
        // crate::prelude re-exports crate::a; file 5 glob-imports the prelude.
        let globs = vec![
            glob(4, "crate::a", "crate::prelude", true, "rust"),
            glob(5, "crate::prelude", "crate::user", false, "rust"),
            glob(6, "crate::other", "crate::user2", false, "rust"),
        ];
        assert_eq!(reached(&globs, &set(&["crate::a"]), &none), HashSet::from([4, 5]));
        // Without `pub`, the prelude's glob does not re-export.
        let private = vec![
            glob(4, "crate::a", "crate::prelude", false, "rust"),
            glob(5, "crate::prelude", "crate::user", false, "rust"),
        ];
        assert_eq!(reached(&private, &set(&["crate::a"]), &none), HashSet::from([4]));
    }

    #[test]
    fn python_star_imports_match_across_a_src_prefix_and_rebind() {
        let globs = vec![
            glob(7, "flask.helpers", "src.flask.app", false, "python"),
            glob(8, "src.flask.app", "tests.test_app", false, "python"),
            glob(9, "flask.json", "tests.test_json", false, "python"),
        ];
        assert_eq!(
            reached(&globs, &set(&["src.flask.helpers"]), &none),
            HashSet::from([7, 8])
        );
        assert!(reached(&globs, &set(&["src.flask.ctx"]), &none).is_empty());
    }

    #[test]
    fn javascript_globs_stay_conservative() {
        let globs = vec![glob(10, "./x", "src/index", true, "typescript")];
        assert_eq!(reached(&globs, &set(&["src/y"]), &none), HashSet::from([10]));
    }
}
