//! Where Python modules are imported from: the directories a project puts on
//! `sys.path` (its source roots), so `src/flask/app.py` is the module `flask.app`, as
//! `import flask.app` names it, and not `src.flask.app`.
//!
//! A source root is the project root, every directory holding a `pyproject.toml`,
//! `setup.cfg` or `setup.py` (a package of a monorepo), the `package_dir` / `where`
//! those declare, and a `src/` directory beside one of them (or at the root) that is
//! not itself a package. A file is named from the innermost root above it; packages
//! without `__init__.py` (namespace packages) are named by their path like any other.

/// Source roots, relative `/`-separated directories; `""` is the project root.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PythonRoots {
    roots: Vec<String>,
}

const MANIFESTS: &[&str] = &["pyproject.toml", "setup.cfg", "setup.py"];

impl PythonRoots {
    /// Is `file` (a file name) one whose presence or text decides the roots?
    pub fn is_manifest(file: &str) -> bool {
        MANIFESTS.contains(&file)
    }

    /// Roots from the manifests found (directory, text) and the directories that exist:
    /// `is_dir(d)` and `is_package(d)` (`d/__init__.py` exists) are asked of relative paths.
    pub fn new(
        manifests: &[(String, String)],
        is_dir: impl Fn(&str) -> bool,
        is_package: impl Fn(&str) -> bool,
    ) -> Self {
        let mut roots = vec![String::new()];
        let mut project_dirs: Vec<&str> = vec![""];
        for (dir, text) in manifests {
            project_dirs.push(dir);
            roots.push(dir.clone());
            for declared in declared_dirs(text) {
                roots.push(join(dir, &declared));
            }
        }
        for dir in project_dirs {
            let src = join(dir, "src");
            if is_dir(&src) && !is_package(&src) {
                roots.push(src);
            }
        }
        roots.sort();
        roots.dedup();
        Self { roots }
    }

    /// The module name of the Python file at `path`.
    pub fn module_for(&self, path: &str) -> String {
        let root = self
            .roots
            .iter()
            .filter(|r| r.is_empty() || path.starts_with(&format!("{r}/")))
            .max_by_key(|r| r.len())
            .map(String::as_str)
            .unwrap_or("");
        let rel = if root.is_empty() {
            path
        } else {
            &path[root.len() + 1..]
        };
        crate::lang::python_module(rel)
    }
}

fn join(dir: &str, sub: &str) -> String {
    let sub = sub.trim_matches('/').trim_start_matches("./");
    match (dir.is_empty(), sub.is_empty() || sub == ".") {
        (_, true) => dir.to_string(),
        (true, false) => sub.to_string(),
        (false, false) => format!("{dir}/{sub}"),
    }
}

/// Directories a manifest says packages live in: setuptools' `package_dir` with the
/// root package (`"" = "lib"`, `{'': 'lib'}`, `= lib` in setup.cfg) and
/// `find_packages(where=..)` / `[tool.setuptools.packages.find] where = [..]`.
fn declared_dirs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_package_dir = false;
    for line in text.lines() {
        let l = line.trim();
        let lower = l.to_ascii_lowercase();
        if lower.starts_with('[') {
            in_package_dir = lower.contains("package-dir") || lower.contains("package_dir");
            continue;
        }
        if lower.contains("package_dir") || lower.contains("package-dir") {
            in_package_dir = true;
        }
        if in_package_dir {
            // `"" = "src"`, `'': 'src'`, `"": "src"`, or setup.cfg's `= src`.
            let cleaned: String = l
                .chars()
                .filter(|c| !matches!(c, '{' | '}' | ',' | ')'))
                .collect();
            let after_key = cleaned
                .split_once("package_dir")
                .or_else(|| cleaned.split_once("package-dir"))
                .map(|(_, r)| r.trim_start_matches([' ', '=', '(']).trim())
                .unwrap_or(cleaned.trim());
            for key in ["\"\"", "''"] {
                if let Some(rest) = after_key.strip_prefix(key) {
                    let value = rest.trim_start_matches([' ', '=', ':']).trim();
                    if let Some(v) = unquote(value) {
                        out.push(v);
                    }
                }
            }
            if let Some(rest) = after_key.strip_prefix('=')
                && !rest.trim().is_empty()
                && !rest.contains(['"', '\'', '{'])
            {
                out.push(rest.trim().to_string());
            }
        }
        if let Some(i) = lower.find("where") {
            let rest = l[i + 5..].trim_start_matches([' ', '=', '[', '(']);
            if let Some(v) = unquote(rest.split([',', ']', ')']).next().unwrap_or("").trim()) {
                out.push(v);
            }
        }
    }
    out.retain(|d| !d.is_empty() && !d.contains(".."));
    out
}

fn unquote(s: &str) -> Option<String> {
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = &s[1..];
    let end = inner.find(q)?;
    Some(inner[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(manifests: &[(&str, &str)], dirs: &[&str], packages: &[&str]) -> PythonRoots {
        let m: Vec<(String, String)> = manifests
            .iter()
            .map(|(d, t)| (d.to_string(), t.to_string()))
            .collect();
        PythonRoots::new(&m, |d| dirs.contains(&d), |d| packages.contains(&d))
    }

    #[test]
    fn src_layouts_name_modules_from_inside_src() {
        let r = roots(&[("", "[project]\nname = \"Flask\"\n")], &["src", "tests"], &[]);
        assert_eq!(r.module_for("src/flask/app.py"), "flask.app");
        assert_eq!(r.module_for("src/flask/__init__.py"), "flask");
        assert_eq!(r.module_for("tests/test_basic.py"), "tests.test_basic");
        // Without a manifest a `src/` that is not a package is a root too.
        let r = roots(&[], &["src"], &[]);
        assert_eq!(r.module_for("src/pkg/mod.py"), "pkg.mod");
    }

    #[test]
    fn a_src_package_stays_a_package() {
        let r = roots(&[], &["src"], &["src"]);
        assert_eq!(r.module_for("src/mod.py"), "src.mod");
    }

    #[test]
    fn manifests_declare_package_dirs_and_monorepo_packages() {
        let cfg = "[options]\npackage_dir =\n    = lib\npackages = find:\n";
        let r = roots(&[("", cfg)], &[], &[]);
        assert_eq!(r.module_for("lib/pkg/a.py"), "pkg.a");
        let toml = "[tool.setuptools.package-dir]\n\"\" = \"code\"\n";
        assert_eq!(roots(&[("", toml)], &[], &[]).module_for("code/p/b.py"), "p.b");
        let py = "setup(name='x', package_dir={'': 'source'}, packages=find_packages(where='source'))";
        assert_eq!(roots(&[("", py)], &[], &[]).module_for("source/x/c.py"), "x.c");
        let r = roots(&[("libs/one", "[project]\n")], &["libs/one/src"], &[]);
        assert_eq!(r.module_for("libs/one/src/one/core.py"), "one.core");
        assert_eq!(r.module_for("libs/one/tests/test_core.py"), "tests.test_core");
    }

    #[test]
    fn namespace_packages_are_named_by_path() {
        let r = roots(&[("", "[project]\n")], &["src"], &[]);
        assert_eq!(r.module_for("src/ns/plugin/mod.py"), "ns.plugin.mod");
        assert_eq!(r.module_for("scripts/tool.py"), "scripts.tool");
    }
}
