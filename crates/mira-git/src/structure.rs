//! How two paths relate by name alone, for ranking co-change partners: a test and the code
//! it tests, or two files of one directory. Only paths are used, so mira-git needs nothing
//! from the code index (dependencies point from mira-code's users to mira-git, not back).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// One is a test whose name names the other (`tests/test_app.py` and `src/flask/app.py`,
    /// `tokio/tests/sync_watch.rs` and `tokio/src/sync/watch.rs`).
    TestAndCode,
    /// Both in the same directory.
    SameDirectory,
}

impl Relation {
    pub fn describe(self) -> &'static str {
        match self {
            Relation::TestAndCode => "a test and the code it names",
            Relation::SameDirectory => "same directory",
        }
    }
}

fn split(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some((dir, file)) => (dir, file),
        None => ("", path),
    }
}

/// The file name without its extensions.
fn stem(file: &str) -> &str {
    file.split('.').next().unwrap_or(file)
}

fn is_test(path: &str) -> bool {
    let (dir, file) = split(path);
    let s = stem(file);
    dir.split('/')
        .any(|d| matches!(d, "test" | "tests" | "__tests__" | "spec" | "testing"))
        || s.starts_with("test_")
        || s.ends_with("_test")
        || s.ends_with("_tests")
        || s.ends_with("_spec")
        || file.contains(".test.")
        || file.contains(".spec.")
}

/// What a code file is called: its stem, or its directory's name for a module's index file
/// (`mod.rs`, `__init__.py`, `index.ts`, `lib.rs`).
fn code_name(path: &str) -> &str {
    let (dir, file) = split(path);
    let s = stem(file);
    if matches!(s, "mod" | "__init__" | "index" | "lib") {
        split(dir).1
    } else {
        s
    }
}

/// The words of a test's name, without the words that only say it is a test.
fn test_words(path: &str) -> impl Iterator<Item = &str> {
    stem(split(path).1)
        .split(['_', '-'])
        .filter(|w| !w.is_empty() && !matches!(*w, "test" | "tests" | "spec"))
}

pub fn relation(a: &str, b: &str) -> Option<Relation> {
    let (test, code) = match (is_test(a), is_test(b)) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => ("", ""),
    };
    if !test.is_empty() {
        let name = code_name(code);
        // A test named for several things (`sync_watch`) tests each of them.
        if !name.is_empty() && test_words(test).any(|w| w == name) {
            return Some(Relation::TestAndCode);
        }
    }
    (split(a).0 == split(b).0).then_some(Relation::SameDirectory)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_pair_with_the_code_they_name() {
        for (test, code) in [
            ("tests/test_app.py", "src/flask/app.py"),
            ("tokio/tests/sync_watch.rs", "tokio/src/sync/watch.rs"),
            ("tokio/tests/sync_mpsc.rs", "tokio/src/sync/mod.rs"),
            ("tests/test_json.py", "src/flask/json/__init__.py"),
            ("src/parser_test.go", "src/parser.go"),
            ("web/button.test.tsx", "web/button.tsx"),
        ] {
            assert_eq!(relation(test, code), Some(Relation::TestAndCode), "{test} {code}");
            assert_eq!(relation(code, test), Some(Relation::TestAndCode), "{code} {test}");
        }
    }

    #[test]
    fn unrelated_names_are_not_paired() {
        assert_eq!(relation("tests/test_app.py", "src/flask/cli.py"), None);
        // Two tests are neighbours, not a test and its code.
        assert_eq!(
            relation("tests/test_app.py", "tests/test_cli.py"),
            Some(Relation::SameDirectory)
        );
        assert_eq!(relation("a/x.rs", "b/x.rs"), None);
        assert_eq!(relation("README.md", "Cargo.toml"), Some(Relation::SameDirectory));
    }
}
