//! Strong evidence a task carries on its face: file paths and line numbers it quotes,
//! the frames of a stack trace, identifiers written as code, dotted module names, and
//! whether it is an error report or asks what a change would break. Pure: text in,
//! facts out.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

/// A file the task names, maybe at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// As written (absolute, relative, with a prefix such as `site-packages/`).
    pub path: String,
    pub line: Option<u32>,
    /// Part of a stack trace (the innermost frame comes last in Python's order).
    pub in_trace: bool,
}

/// An identifier the task writes as code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The last segment (`bar` of `foo.bar` or `Foo::bar`).
    pub name: String,
    /// The whole dotted or `::` path when there was one.
    pub qualified: Option<String>,
    /// In backticks, a code block, a call `name(` or a trace frame: strong. Only its
    /// shape (snake_case, CamelCase) in prose: weaker.
    pub strong: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    pub mentions: Vec<Mention>,
    pub names: Vec<Named>,
    /// Dotted names that may be modules (`astropy.io.fits`), as path stems
    /// (`astropy/io/fits`).
    pub modules: Vec<String>,
    /// A pasted error, panic, failing test or traceback.
    pub is_error: bool,
    /// Asks what breaks or who depends on something.
    pub asks_impact: bool,
    /// Talks about tests (so test files are not pushed down).
    pub about_tests: bool,
}

const EXTENSIONS: &str = "py|pyi|rs|ts|tsx|js|jsx|mjs|cjs|go|java|kt|c|h|cc|cpp|hpp|rb|php|cs|swift|scala|md|rst|toml|json|yaml|yml|cfg|ini|txt|html|css|sql|sh";

static PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?:^|[\s"'`(\[<=,])((?:[A-Za-z]:)?[\w.\-/\\]*[\w\-]\.(?:{EXTENSIONS}))(?:(?::|", line |, line | line )(\d+))?"#
    ))
    .expect("path regex")
});

static PY_FRAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"File "([^"]+)", line (\d+)(?:, in (\w+))?"#).expect("frame regex"));

static BACKTICK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"`([^`\n]{1,200})`").expect("backtick regex"));

static FENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)```[^\n]*\n(.*?)```").expect("fence regex"));

static IDENT_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|::)[A-Za-z_][A-Za-z0-9_]*)*(\s*\()?")
        .expect("identifier regex")
});

static ERROR_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)Traceback \(most recent call last\)|panicked at|^error(\[E\d+\])?:|^\s*at .+:\d+:\d+|\b\w*(Error|Exception):|FAILED|AssertionError|Segmentation fault|undefined reference|cannot find|is not defined",
    )
    .expect("error regex")
});

static IMPACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(break|breaks|broken|impact|affect|affects|affected|depend|depends|dependents|who (calls|uses)|what (calls|uses)|callers?|safe to (change|remove|rename)|rename|refactor)\b",
    )
    .expect("impact regex")
});

/// Asks for work on tests themselves (writing, fixing, finding them). A bug report that
/// only mentions tests, pytest or a test run ("I tested it", a traceback through
/// pytest) is fixed in the code under test: on SWE-bench Lite the broad word match
/// fired on 28 of 140 reports, all fixed outside the tests.
static TESTS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:(?:write|add|adding|update|fix|improve|extend|create|missing|flaky|skip)\s+(?:(?:a|an|the|some|more|unit|new|missing|regression|these|those)\s+)*(?:tests?|specs?|test\s+cases?|fixtures?)|test\s+coverage|(?:which|what)\s+tests?)\b",
    )
    .expect("tests regex")
});

/// Words that look like code by shape but are prose or too common to point anywhere.
const COMMON: &[&str] = &[
    "self",
    "this",
    "super",
    "cls",
    "none",
    "null",
    "true",
    "false",
    "return",
    "import",
    "from",
    "def",
    "fn",
    "class",
    "pub",
    "let",
    "const",
    "var",
    "function",
    "print",
    "len",
    "str",
    "int",
    "list",
    "dict",
    "set",
    "type",
    "object",
    "init",
    "__init__",
    "main",
    "test",
    "tests",
    "new",
    "get",
    "set_",
    "e.g",
    "i.e",
    "etc",
    "python",
    "rust",
    "http",
    "https",
    "www",
    "com",
    "org",
    "github",
    "pip",
    "install",
    "version",
    "error",
    "exception",
    "traceback",
    "file",
    "line",
    "most",
    "recent",
    "call",
    "last",
];

pub fn parse(task: &str) -> Evidence {
    let mut ev = Evidence {
        is_error: ERROR_MARK.is_match(task),
        asks_impact: IMPACT.is_match(task),
        about_tests: TESTS.is_match(task),
        ..Evidence::default()
    };
    let mut seen_paths = HashSet::new();
    for cap in PY_FRAME.captures_iter(task) {
        let path = cap[1].to_string();
        let line = cap[2].parse().ok();
        if seen_paths.insert((path.clone(), line)) {
            ev.mentions.push(Mention {
                path,
                line,
                in_trace: true,
            });
        }
        if let Some(func) = cap.get(3) {
            push_name(&mut ev.names, func.as_str(), None, true);
        }
    }
    let trace_like = ev.is_error;
    for cap in PATH.captures_iter(task) {
        let raw = cap[1].replace('\\', "/");
        let path = raw.trim_start_matches("./").to_string();
        if path.starts_with("http")
            || path.contains("://")
            || path.split('/').any(|p| p == "..") && path.len() < 4
        {
            continue;
        }
        let line = cap.get(2).and_then(|m| m.as_str().parse().ok());
        if seen_paths.iter().any(|(p, _)| p == &path) && line.is_none() {
            continue;
        }
        if seen_paths.insert((path.clone(), line)) {
            ev.mentions.push(Mention {
                path,
                line,
                // `path:line` in an error report is a frame or a diagnostic location.
                in_trace: trace_like && line.is_some(),
            });
        }
    }
    // Code: backticks and fenced blocks, where every identifier counts.
    let mut code_spans: Vec<(usize, usize)> = Vec::new();
    for cap in FENCE.captures_iter(task) {
        let m = cap.get(1).expect("group");
        code_spans.push((m.start(), m.end()));
        collect_identifiers(m.as_str(), true, &mut ev);
    }
    for cap in BACKTICK.captures_iter(task) {
        let m = cap.get(1).expect("group");
        if code_spans.iter().any(|(a, b)| m.start() >= *a && m.end() <= *b) {
            continue;
        }
        code_spans.push((m.start(), m.end()));
        collect_identifiers(m.as_str(), true, &mut ev);
    }
    // Prose: identifiers by their shape only.
    let mut prose = String::with_capacity(task.len());
    let mut last = 0;
    code_spans.sort();
    for (a, b) in &code_spans {
        if *a >= last {
            prose.push_str(&task[last..*a]);
            prose.push(' ');
            last = *b;
        }
    }
    prose.push_str(&task[last.min(task.len())..]);
    collect_identifiers(&prose, false, &mut ev);
    ev
}

fn collect_identifiers(text: &str, in_code: bool, ev: &mut Evidence) {
    for cap in IDENT_PATH.captures_iter(text) {
        let whole = cap.get(0).expect("match").as_str();
        let is_call = cap.get(1).is_some();
        let path = whole.trim_end_matches('(').trim_end();
        let sep = if path.contains("::") { "::" } else { "." };
        let parts: Vec<&str> = path.split(sep).filter(|p| !p.is_empty()).collect();
        let Some(last) = parts.last() else { continue };
        // A file name like `setup.py` was taken as a mention already.
        if parts.len() == 2 && EXTENSIONS.split('|').any(|e| e == parts[1]) {
            continue;
        }
        let qualified = (parts.len() > 1).then(|| path.to_string());
        if parts.len() > 1
            && sep == "."
            && parts.iter().all(|p| {
                p.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
            })
        {
            let stem = parts.join("/");
            if !ev.modules.contains(&stem) {
                ev.modules.push(stem);
            }
        }
        let strong = in_code || is_call;
        if strong || looks_like_code(last) {
            push_name(&mut ev.names, last, qualified.clone(), strong);
        }
        // `module.Class.method`: the class is named too.
        if parts.len() > 2 {
            let owner = parts[parts.len() - 2];
            if owner.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                push_name(&mut ev.names, owner, None, strong);
            }
        }
    }
}

/// snake_case with a letter on both sides, CamelCase with a lower-case letter after an
/// inner capital, or a dunder name: shapes prose words rarely have.
fn looks_like_code(word: &str) -> bool {
    let trimmed = word.trim_matches('_');
    if trimmed.len() < 3 {
        return false;
    }
    let snake = trimmed.contains('_') && trimmed.chars().any(|c| c.is_ascii_alphabetic());
    let chars: Vec<char> = trimmed.chars().collect();
    let camel = chars
        .iter()
        .skip(1)
        .enumerate()
        .any(|(i, c)| c.is_ascii_uppercase() && chars.get(i + 2).is_some_and(|n| n.is_ascii_lowercase()))
        && chars.iter().any(|c| c.is_ascii_lowercase());
    let dunder = word.starts_with("__") && word.ends_with("__") && word.len() > 4;
    snake || camel || dunder
}

fn push_name(names: &mut Vec<Named>, name: &str, qualified: Option<String>, strong: bool) {
    if name.len() < 2
        || COMMON.contains(&name.to_ascii_lowercase().as_str())
        || name.chars().all(|c| c.is_ascii_digit())
    {
        return;
    }
    if let Some(existing) = names.iter_mut().find(|n| n.name == name) {
        existing.strong |= strong;
        if existing.qualified.is_none() {
            existing.qualified = qualified;
        }
        return;
    }
    names.push(Named {
        name: name.to_string(),
        qualified,
        strong,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(ev: &Evidence) -> Vec<&str> {
        ev.names.iter().map(|n| n.name.as_str()).collect()
    }

    #[test]
    fn python_traceback_frames_and_the_error() {
        let task = "Crash when saving:\nTraceback (most recent call last):\n  File \"/usr/lib/python3/site-packages/pkg/io/writer.py\", line 42, in save_table\n    out.write(x)\n  File \"pkg/core.py\", line 7, in flush\nValueError: bad header\n";
        let ev = parse(task);
        assert!(ev.is_error);
        let frames: Vec<_> = ev
            .mentions
            .iter()
            .filter(|m| m.in_trace)
            .map(|m| (m.path.as_str(), m.line))
            .collect();
        assert_eq!(
            frames,
            vec![
                ("/usr/lib/python3/site-packages/pkg/io/writer.py", Some(42)),
                ("pkg/core.py", Some(7))
            ]
        );
        assert!(names(&ev).contains(&"save_table"));
        assert!(names(&ev).contains(&"flush"));
    }

    #[test]
    fn rust_panic_and_diagnostic_locations() {
        let ev = parse(
            "thread 'main' panicked at src/parser/lex.rs:118:9:\nindex out of bounds\nerror[E0308]: mismatched types\n --> crates/a/src/lib.rs:10:5",
        );
        assert!(ev.is_error);
        let paths: Vec<_> = ev
            .mentions
            .iter()
            .map(|m| (m.path.as_str(), m.line, m.in_trace))
            .collect();
        assert!(paths.contains(&("src/parser/lex.rs", Some(118), true)));
        assert!(paths.contains(&("crates/a/src/lib.rs", Some(10), true)));
    }

    #[test]
    fn code_in_backticks_and_blocks_is_strong_prose_shapes_are_weak() {
        let ev = parse(
            "Calling `separability_matrix` on nested models is wrong; see ModelBase and\n```python\nfrom astropy.modeling import models as m\nm.Pix2Sky_TAN() & m.Linear1D(10)\n```\nalso the plain word table.",
        );
        let find = |n: &str| ev.names.iter().find(|x| x.name == n).cloned();
        assert!(find("separability_matrix").unwrap().strong);
        assert!(find("Linear1D").unwrap().strong);
        assert!(find("Pix2Sky_TAN").unwrap().strong);
        assert!(!find("ModelBase").unwrap().strong);
        assert!(find("table").is_none());
        assert!(ev.modules.contains(&"astropy/modeling".to_string()));
        assert!(!ev.is_error);
    }

    #[test]
    fn paths_with_lines_in_prose() {
        let ev = parse("The bug is in `src/app/server.ts` near src/app/routes.ts:88, see README.md.");
        let paths: Vec<_> = ev.mentions.iter().map(|m| (m.path.as_str(), m.line)).collect();
        assert!(paths.contains(&("src/app/server.ts", None)));
        assert!(paths.contains(&("src/app/routes.ts", Some(88))));
        assert!(paths.contains(&("README.md", None)));
        assert!(!names(&ev).contains(&"ts"));
    }

    #[test]
    fn impact_and_tests_questions() {
        assert!(parse("what breaks if I change parse_config?").asks_impact);
        assert!(!parse("how does parse_config work?").asks_impact);
        assert!(parse("write a test for parse_config").about_tests);
        assert!(parse("which tests cover parse_config?").about_tests);
        assert!(!parse("the test for parse_config fails").about_tests);
        assert!(!parse("running pytest shows a TypeError in parse_config").about_tests);
    }
}
