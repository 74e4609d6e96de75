//! What a query says beyond its words: whether it is about tests, and the identifiers
//! and paths it spells out exactly. Only tokens shaped like code count as names
//! (`snake_case`, `camelCase`, `a.b`, `a::b`, `f()`, or quoted in backticks): plain
//! English words such as `name` or `default` match too many symbols to mean one.

use std::collections::HashSet;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    pub about_tests: bool,
    /// Last segments of the identifiers the query names (`run_migrations` for
    /// `Database::run_migrations`).
    pub names: HashSet<String>,
    /// Paths and dotted modules as `/`-separated suffixes, without extension for
    /// modules (`flask/sessions` for `flask.sessions`).
    pub paths: Vec<String>,
}

/// Words that make a short query about tests.
const TEST_WORDS: [&str; 9] = [
    "test", "tests", "testing", "tested", "pytest", "unittest", "fixture", "fixtures", "spec",
];

/// Verbs that, right before a test word, ask for work on tests even in a long text
/// ("add a test", "missing tests"); a bug report that merely ran its tests is not.
const TEST_VERBS: [&str; 9] = [
    "write", "add", "adding", "update", "fix", "improve", "extend", "create", "missing",
];

/// A query of at most this many words is a search someone typed: a test word in it
/// means they look for tests.
const SHORT_QUERY: usize = 12;

const EXTENSIONS: [&str; 12] = [
    "py", "pyi", "rs", "ts", "tsx", "js", "jsx", "go", "md", "toml", "rst", "cfg",
];

impl Signals {
    pub fn parse(query: &str) -> Signals {
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let short = words.len() <= SHORT_QUERY;
        let about_tests = words.iter().enumerate().any(|(i, w)| {
            TEST_WORDS.contains(&w.as_str())
                && (short
                    || words[i.saturating_sub(3)..i]
                        .iter()
                        .any(|v| TEST_VERBS.contains(&v.as_str())))
        });
        let mut signals = Signals {
            about_tests,
            ..Signals::default()
        };
        for raw in query.split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    ',' | ';' | '"' | '\'' | '[' | ']' | '{' | '}' | '<' | '>' | '='
                )
        }) {
            let quoted = raw.starts_with('`') || raw.ends_with('`');
            let token = raw
                .trim_matches(|c: char| matches!(c, '`' | '(' | ')' | ':' | '.' | '!' | '?' | '*'))
                .trim_start_matches("./");
            if token.is_empty() {
                continue;
            }
            if let Some(path) = path_of(token) {
                if !signals.paths.contains(&path) {
                    signals.paths.push(path);
                }
                continue;
            }
            if !token
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':'))
            {
                continue;
            }
            let called = raw.contains("()");
            if quoted || called || is_code_shaped(token) {
                if let Some(last) = token.rsplit(['.', ':']).find(|s| !s.is_empty()) {
                    signals.names.insert(last.to_string());
                }
                // A dotted name of three parts or more reads as a module path too.
                if token.matches('.').count() >= 2 {
                    signals.paths.push(token.replace('.', "/"));
                }
            }
        }
        signals
    }

    /// The query names this symbol (by its last segment, exactly).
    pub fn names_symbol(&self, symbol: &str) -> bool {
        !self.names.is_empty()
            && symbol
                .rsplit(['.', ':'])
                .find(|s| !s.is_empty())
                .is_some_and(|last| self.names.contains(last))
    }

    /// The query names this file: its path, a path suffix of it (at a `/`), or its
    /// module.
    pub fn names_path(&self, path: &str) -> bool {
        if self.paths.is_empty() {
            return false;
        }
        let stem = path.rsplit_once('.').map_or(path, |(s, _)| s);
        let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
        self.paths
            .iter()
            .any(|p| ends_at_segment(path, p) || ends_at_segment(stem, p))
    }
}

/// `a/b/c.py` ends with `c.py` and `b/c.py`, not with `bc.py`.
fn ends_at_segment(path: &str, suffix: &str) -> bool {
    path == suffix || path.ends_with(suffix) && path[..path.len() - suffix.len()].ends_with('/')
}

/// A token that is a file path (`src/app.py`, `app.py`, `a/b`): `/`-separated, or with
/// a known source extension.
fn path_of(token: &str) -> Option<String> {
    let token = token.replace('\\', "/");
    let ext_ok = token
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && EXTENSIONS.contains(&ext));
    let slashed = token.contains('/')
        && !token.contains("//")
        && token.split('/').all(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        });
    (ext_ok || slashed).then(|| token.trim_start_matches('/').to_string())
}

/// `snake_case`, `camelCase` / `HashMap` (an uppercase letter after a lowercase one),
/// `a.b`, `a::b`.
fn is_code_shaped(token: &str) -> bool {
    let inner_upper = token
        .chars()
        .zip(token.chars().skip(1))
        .any(|(a, b)| a.is_lowercase() && b.is_uppercase());
    let joined = token.contains("::") || token.split('.').filter(|s| !s.is_empty()).count() >= 2;
    let snake = token.trim_matches('_').contains('_');
    inner_upper || joined || snake
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_shaped_tokens_are_names_and_english_words_are_not() {
        let s = Signals::parse(
            "why does Database::run_migrations fail, and `name` in HashMap or the default name?",
        );
        assert!(s.names.contains("run_migrations"));
        assert!(s.names.contains("name"), "quoted in backticks");
        assert!(s.names.contains("HashMap"));
        assert!(!s.names.contains("default"));
        assert!(!s.names.contains("fail"));
        assert!(s.names_symbol("crate::store::Database::run_migrations"));
        assert!(!s.names_symbol("crate::store::Database::open"));
    }

    #[test]
    fn paths_and_modules_match_at_segments() {
        let s = Signals::parse("the error is in src/flask/sessions.py and flask.json.tag");
        assert!(s.names_path("src/flask/sessions.py"));
        assert!(s.names_path("src/flask/json/tag.py"));
        assert!(!s.names_path("src/flask/json/tags.py"));
        let file = Signals::parse("see app.py");
        assert!(file.names_path("src/flask/app.py"));
        assert!(!file.names_path("src/flask/myapp.py"));
    }

    #[test]
    fn tests_count_in_short_queries_and_as_work_in_long_ones() {
        assert!(Signals::parse("tests for the session cookie").about_tests);
        assert!(!Signals::parse("session cookie").about_tests);
        let report = "When I run pytest the session cookie is not saved after the request ends and the user is logged out, which should not happen";
        assert!(!Signals::parse(report).about_tests);
        let work = format!("{report}; please add a regression test for it");
        assert!(Signals::parse(&work).about_tests);
    }
}
