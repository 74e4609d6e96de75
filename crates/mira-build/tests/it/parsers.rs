//! Each parser on output captured now from the real tool on a broken fixture project.

use mira_build::parse::parse;
use mira_build::{Diagnostic, Severity, Tool};

use crate::fixtures::{self, write};
use crate::tools::{self, capture, cargo_env, env_refs};

fn find<'a>(diags: &'a [Diagnostic], code: &str, file: &str) -> &'a Diagnostic {
    diags
        .iter()
        .find(|d| d.code.as_deref() == Some(code) && d.file.as_deref() == Some(file))
        .unwrap_or_else(|| panic!("no {code} in {file} among {diags:#?}"))
}

fn position(d: &Diagnostic) -> (Option<u32>, Option<u32>) {
    (d.line, d.column)
}

fn rust_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("Cargo.toml", fixtures::CARGO_TOML),
            ("src/main.rs", fixtures::RUST_MAIN),
            ("src/store.rs", fixtures::RUST_STORE),
        ],
    );
    dir
}

#[test]
fn cargo_human_output_agrees_with_its_json_output() {
    let dir = rust_fixture();
    let cargo = tools::program("cargo", "install Rust with rustup");
    let env = cargo_env(dir.path());
    let (json_out, code) = capture(
        dir.path(),
        &cargo,
        &["build", "--message-format=json"],
        &env_refs(&env),
    );
    assert_ne!(code, 0, "the fixture must fail to build");
    let (human_out, _) = capture(dir.path(), &cargo, &["build"], &env_refs(&env));
    let json = parse(Some(Tool::Cargo), &json_out);
    let human = parse(Some(Tool::Cargo), &human_out);

    let mismatch = find(&json, "E0308", "src/main.rs");
    assert_eq!(position(mismatch), (Some(22), Some(25)));
    assert_eq!(mismatch.severity, Severity::Error);
    assert_eq!(mismatch.message, "mismatched types");
    let missing = find(&json, "E0425", "src/main.rs");
    assert_eq!(position(missing), (Some(24), Some(20)));
    assert_eq!(missing.message, "cannot find value `missing_total` in this scope");
    assert_eq!(missing.end_column, Some(33));
    let store = find(&json, "E0308", "src/store.rs");
    assert_eq!(store.line, Some(3));
    // Summaries ("aborting due to", "could not compile") are not diagnostics.
    assert!(
        json.iter().all(|d| !d.message.starts_with("aborting")),
        "{json:#?}"
    );

    assert_eq!(human.len(), json.len(), "human {human:#?}\njson {json:#?}");
    for (h, j) in human.iter().zip(&json) {
        assert_eq!(
            (h.severity, &h.message, &h.file, h.line, h.column),
            (j.severity, &j.message, &j.file, j.line, j.column),
            "human output parsed differently from JSON:\n{h:#?}\n{j:#?}"
        );
        if j.code.as_deref().is_some_and(|c| c.starts_with('E')) || h.code.is_some() {
            assert_eq!(h.code, j.code);
        }
        if h.end_column.is_some() {
            assert_eq!(
                (h.end_line, h.end_column),
                (j.end_line, j.end_column),
                "{h:#?}\n{j:#?}"
            );
        }
    }
    assert!(
        human.iter().any(|d| d.end_column.is_some()),
        "carets give end columns"
    );
    assert!(
        human.iter().any(|d| !d.notes.is_empty()),
        "notes and help are kept"
    );
}

#[test]
fn clippy_lints_carry_their_names_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("Cargo.toml", fixtures::CARGO_TOML),
            ("src/main.rs", fixtures::CLIPPY_MAIN),
        ],
    );
    let cargo = tools::program("cargo", "install Rust with rustup");
    let env = cargo_env(dir.path());
    let (json_out, _) = capture(
        dir.path(),
        &cargo,
        &["clippy", "--message-format=json"],
        &env_refs(&env),
    );
    // Touch the file so clippy runs again rather than replaying from its cache.
    write(
        dir.path(),
        &[("src/main.rs", &format!("{}\n", fixtures::CLIPPY_MAIN))],
    );
    let (human_out, _) = capture(dir.path(), &cargo, &["clippy"], &env_refs(&env));
    for out in [&json_out, &human_out] {
        let diags = parse(Some(Tool::Clippy), out);
        let ret = find(&diags, "clippy::needless_return", "src/main.rs");
        assert_eq!(ret.tool, Tool::Clippy);
        assert_eq!(ret.severity, Severity::Warning);
        assert_eq!(ret.line, Some(2));
        let len = find(&diags, "clippy::len_zero", "src/main.rs");
        assert_eq!(len.line, Some(7));
    }
}

#[test]
fn rustc_alone_prints_the_same_format() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("lib.rs", "pub fn f() -> u8 { 300 }\n")]);
    let rustc = tools::program("rustc", "install Rust with rustup");
    let out_dir = dir.path().display().to_string();
    let (out, code) = capture(
        dir.path(),
        &rustc,
        &[
            "--crate-type=lib",
            "--edition=2021",
            "--out-dir",
            &out_dir,
            "lib.rs",
        ],
        &[],
    );
    assert_ne!(code, 0);
    let diags = parse(Some(Tool::Rustc), &out);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].message, "literal out of range for `u8`");
    assert_eq!(diags[0].location(), "lib.rs:1:20");
    assert_eq!(diags[0].end_column, Some(23));
}

#[test]
fn tsc_plain_and_pretty_output_give_the_same_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("tsconfig.json", fixtures::TS_CONFIG),
            ("src/app.ts", fixtures::TS_APP),
        ],
    );
    let tsc = tools::node_bin("tsc");
    let (plain, code) = capture(dir.path(), &tsc, &["-p", "."], &[]);
    assert_ne!(code, 0);
    let (pretty, _) = capture(dir.path(), &tsc, &["-p", ".", "--pretty"], &[]);
    let a = parse(Some(Tool::Tsc), &plain);
    let b = parse(None, &pretty);
    let key = |d: &Diagnostic| {
        (
            d.code.clone(),
            d.file.clone(),
            d.line,
            d.column,
            d.message.clone(),
        )
    };
    assert_eq!(
        a.iter().map(key).collect::<Vec<_>>(),
        b.iter().map(key).collect::<Vec<_>>(),
        "{plain}\n{pretty}"
    );
    let assign = find(&a, "TS2322", "src/app.ts");
    assert_eq!((assign.line, assign.column), (Some(7), Some(9)));
    assert_eq!(
        assign.message,
        "Type 'string' is not assignable to type 'number'."
    );
    let prop = find(&a, "TS2551", "src/app.ts");
    assert_eq!(prop.line, Some(8));
    let missing = find(&a, "TS2741", "src/app.ts");
    assert_eq!(missing.line, Some(12));
    assert!(
        a.iter()
            .all(|d| d.tool == Tool::Tsc && d.severity == Severity::Error)
    );
}

#[test]
fn eslint_stylish_and_unix_formats_give_the_same_problems() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("eslint.config.js", fixtures::ESLINT_CONFIG),
            ("src/compute.js", fixtures::ESLINT_SRC),
            ("package.json", "{\"type\":\"module\"}"),
        ],
    );
    let eslint = tools::node_bin("eslint");
    let (stylish, code) = capture(dir.path(), &eslint, &["src"], &[]);
    assert_eq!(code, 1, "{stylish}");
    let unix_formatter = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/toolchain/node_modules/eslint-formatter-unix/index.js");
    let (unix, _) = capture(
        dir.path(),
        &eslint,
        &["-f", unix_formatter.to_str().unwrap(), "src"],
        &[],
    );
    let a = parse(Some(Tool::Eslint), &stylish);
    let b = parse(Some(Tool::Eslint), &unix);
    let key = |d: &Diagnostic| {
        (
            d.code.clone(),
            d.line,
            d.column,
            d.severity,
            d.message.clone(),
            d.file.as_ref().map(|f| f.ends_with("src/compute.js")),
        )
    };
    assert_eq!(a.len(), 3, "{stylish}");
    assert_eq!(
        a.iter().map(key).collect::<Vec<_>>(),
        b.iter().map(key).collect::<Vec<_>>(),
        "{stylish}\n{unix}"
    );
    assert_eq!(
        (a[0].code.as_deref(), a[0].line, a[0].column),
        (Some("no-unused-vars"), Some(2), Some(9))
    );
    assert_eq!(a[1].severity, Severity::Warning);
    assert_eq!(a[1].code.as_deref(), Some("no-console"));
    assert_eq!(a[2].code.as_deref(), Some("eqeqeq"));
    assert_eq!(a[2].message, "Expected '===' and instead saw '=='");
}

#[test]
fn jest_failures_name_the_test_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("package.json", "{}"),
            ("sum.js", fixtures::JS_SUM),
            ("sum.test.js", fixtures::JEST_TEST),
        ],
    );
    let (out, code) = capture(dir.path(), &tools::node_bin("jest"), &["--ci"], &[]);
    assert_eq!(code, 1, "{out}");
    let d = parse(Some(Tool::Jest), &out);
    assert_eq!(d.len(), 3, "{out}\n{d:#?}");
    let first = find(&d, "sum › adds two numbers", "sum.test.js");
    assert_eq!((first.line, first.column), (Some(5), Some(23)));
    assert_eq!(
        first.message,
        "expect(received).toBe(expected) // Object.is equality"
    );
    assert!(first.notes.contains(&"Received: 4".to_string()), "{first:#?}");
    let thrown = find(&d, "throws on strings", "sum.test.js");
    assert_eq!(thrown.message, "TypeError: strings are not numbers");
    assert_eq!(thrown.line, Some(14));
}

#[test]
fn vitest_failures_name_the_test_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("package.json", "{\"type\":\"module\"}"),
            ("sum.js", fixtures::VITEST_SUM),
            ("sum.test.js", fixtures::VITEST_TEST),
        ],
    );
    let (out, code) = capture(dir.path(), &tools::node_bin("vitest"), &["run"], &[]);
    assert_eq!(code, 1, "{out}");
    let d = parse(Some(Tool::Vitest), &out);
    assert_eq!(d.len(), 3, "{out}\n{d:#?}");
    let first = find(&d, "sum.test.js > sum > adds two numbers", "sum.test.js");
    assert_eq!((first.line, first.column), (Some(6), Some(23)));
    assert_eq!(
        first.message,
        "AssertionError: expected 4 to be 3 // Object.is equality"
    );
    let thrown = find(&d, "sum.test.js > throws on strings", "sum.test.js");
    assert_eq!(thrown.message, "TypeError: strings are not numbers");
    assert_eq!(thrown.line, Some(15));
    // The same output read without knowing the command.
    assert_eq!(parse(None, &out).len(), 3);
}

#[test]
fn pytest_failures_errors_and_collection_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("calc.py", fixtures::PY_CALC),
            ("test_calc.py", fixtures::PY_TEST),
            ("test_broken.py", fixtures::PY_BROKEN),
        ],
    );
    let python = tools::python_with_pytest();
    let args = [
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
    ];
    let (out, code) = capture(dir.path(), &python, &args, &[("CI", "")]);
    assert_eq!(code, 1, "{out}");
    let d = parse(Some(Tool::Pytest), &out);
    // With CI set, pytest prints each summary message whole, over several lines.
    let (ci_out, _) = capture(dir.path(), &python, &args, &[("CI", "true")]);
    assert_eq!(parse(Some(Tool::Pytest), &ci_out), d, "{ci_out}");
    assert_eq!(d.len(), 5, "{out}\n{d:#?}");
    let add = find(&d, "test_calc.py::test_add", "test_calc.py");
    assert_eq!(add.message, "assert 4 == 3");
    assert_eq!(add.line, Some(5));
    let method = find(&d, "test_calc.py::TestCalc::test_negative", "test_calc.py");
    assert_eq!(method.line, Some(10));
    let raised = find(&d, "test_calc.py::test_raises", "test_calc.py");
    assert_eq!(raised.message, "ValueError: bad value 3");
    assert_eq!(raised.line, Some(21), "the test's own line");
    assert_eq!(
        raised.related.last().and_then(|r| r.line),
        Some(17),
        "where it was raised"
    );
    let setup = find(&d, "test_calc.py::test_uses_database", "test_calc.py");
    assert_eq!(setup.message, "RuntimeError: no database here");
    let collect = find(&d, "test_broken.py", "test_broken.py");
    assert_eq!(
        collect.message,
        "ModuleNotFoundError: No module named 'nonexistent_module_xyz'"
    );
    assert_eq!(collect.line, Some(1));
}

fn go_env(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("GOCACHE", dir.join(".gocache").display().to_string()),
        ("GOPATH", dir.join(".gopath").display().to_string()),
        ("GOFLAGS", "-mod=mod".into()),
        ("GOPROXY", "off".into()),
        ("GOTOOLCHAIN", "local".into()),
    ]
}

#[test]
fn go_build_vet_and_test_failures() {
    let go = tools::program("go", "install Go (apt-get install golang-go)");
    let build_dir = tempfile::tempdir().unwrap();
    write(
        build_dir.path(),
        &[("go.mod", fixtures::GO_MOD), ("main.go", fixtures::GO_MAIN)],
    );
    let env = go_env(build_dir.path());
    let (out, code) = capture(build_dir.path(), &go, &["build", "./..."], &env_refs(&env));
    assert_ne!(code, 0);
    let d = parse(Some(Tool::Go), &out);
    assert_eq!(d.len(), 2, "{out}\n{d:#?}");
    assert_eq!(d[0].location(), "main.go:6:2");
    assert!(
        d[0].message.contains("declared") && d[0].message.contains("not used"),
        "{}",
        d[0].message
    );
    assert_eq!(d[1].location(), "main.go:7:14");
    assert_eq!(d[1].message, "undefined: totl");

    let vet_dir = tempfile::tempdir().unwrap();
    write(
        vet_dir.path(),
        &[("go.mod", fixtures::GO_MOD), ("main.go", fixtures::GO_VET_MAIN)],
    );
    let env = go_env(vet_dir.path());
    let (out, code) = capture(vet_dir.path(), &go, &["vet", "./..."], &env_refs(&env));
    assert_ne!(code, 0);
    let d = parse(Some(Tool::Go), &out);
    assert_eq!(d.len(), 1, "{out}\n{d:#?}");
    assert_eq!(d[0].location(), "main.go:7:2");
    assert!(d[0].message.contains("wrong type string"), "{}", d[0].message);

    let test_dir = tempfile::tempdir().unwrap();
    write(
        test_dir.path(),
        &[
            ("go.mod", fixtures::GO_MOD),
            ("calc.go", fixtures::GO_LIB),
            ("calc_test.go", fixtures::GO_TEST),
        ],
    );
    let env = go_env(test_dir.path());
    let (out, code) = capture(test_dir.path(), &go, &["test", "./..."], &env_refs(&env));
    assert_ne!(code, 0);
    let d = parse(Some(Tool::Go), &out);
    assert_eq!(d.len(), 2, "{out}\n{d:#?}");
    assert_eq!(d[0].code.as_deref(), Some("TestAdd"));
    assert_eq!(d[0].location(), "calc_test.go:7");
    assert_eq!(d[0].message, "Add(1, 2) = 4, want 3");
    assert_eq!(d[1].code.as_deref(), Some("TestIndex"));
    assert!(
        d[1].message
            .starts_with("panic: runtime error: index out of range"),
        "{}",
        d[1].message
    );
    assert!(
        d[1].file.as_deref().is_some_and(|f| f.ends_with("calc_test.go")),
        "{:?}",
        d[1].file
    );
    assert_eq!(d[1].line, Some(14));
}

#[test]
fn gcc_errors_warnings_and_notes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("main.c", fixtures::C_MAIN)]);
    let gcc = tools::program("gcc", "install gcc");
    let (out, code) = capture(
        dir.path(),
        &gcc,
        &["-Wall", "-c", "main.c", "-o", "main.o"],
        &[("LC_ALL", "C")],
    );
    assert_ne!(code, 0);
    let d = parse(Some(Tool::Gcc), &out);
    let undeclared = d
        .iter()
        .find(|d| d.severity == Severity::Error)
        .expect("an error");
    assert_eq!(undeclared.location(), "main.c:9:27");
    assert_eq!(
        undeclared.message,
        "'count' undeclared (first use in this function)"
    );
    assert_eq!(undeclared.end_column, Some(32));
    assert!(
        undeclared.notes.iter().any(|n| n.contains("reported only once")),
        "{undeclared:#?}"
    );
    let unused = d
        .iter()
        .find(|d| d.severity == Severity::Warning)
        .expect("a warning");
    assert_eq!(unused.code.as_deref(), Some("-Wunused-variable"));
    assert_eq!(unused.location(), "main.c:8:9");
    // Unknown output of the same run, read by every parser, finds the same.
    let any = parse(None, &out);
    assert_eq!(any.iter().filter(|d| d.tool == Tool::Gcc).count(), d.len());
}

#[test]
fn python_tracebacks_of_any_script_name_the_users_frame() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "pricing.py",
                "import json\n\n\ndef load(text):\n    try:\n        return json.loads(text)\n    except ValueError as e:\n        raise RuntimeError(\"price list unreadable\") from e\n",
            ),
            (
                "main.py",
                "import pricing\n\n\ndef run():\n    return pricing.load(\"{not json\")\n\n\nrun()\n",
            ),
            ("broken.py", "def f(:\n    pass\n"),
        ],
    );
    let python = tools::program("python3", "install Python 3");
    let (out, code) = capture(dir.path(), &python, &["main.py"], &[]);
    assert_eq!(code, 1, "{out}");
    let d = parse(None, &out);
    assert_eq!(d.len(), 2, "a chain of two exceptions: {out}\n{d:#?}");
    assert!(
        d.iter()
            .all(|d| d.tool == Tool::Python && d.severity == Severity::Error)
    );
    // The first: raised inside the json module, called from the user's pricing.py.
    assert_eq!(d[0].code.as_deref(), Some("JSONDecodeError"), "{d:#?}");
    assert!(
        d[0].message
            .starts_with("JSONDecodeError: Expecting property name"),
        "{d:#?}"
    );
    assert!(d[0].file.as_deref().unwrap().ends_with("pricing.py"), "{d:#?}");
    assert_eq!(d[0].line, Some(6));
    assert!(d[0].related.len() > 1, "every frame is kept: {d:#?}");
    assert!(d[0].related.last().unwrap().file.contains("json"), "{d:#?}");
    // The second: the one the script died of, raised in pricing.py, called from main.py.
    assert_eq!(d[1].message, "RuntimeError: price list unreadable");
    assert!(d[1].file.as_deref().unwrap().ends_with("pricing.py"));
    assert_eq!(d[1].line, Some(8));
    let called_from: Vec<(bool, Option<u32>, Option<&str>)> = d[1]
        .related
        .iter()
        .map(|r| (r.file.ends_with("main.py"), r.line, r.message.as_deref()))
        .collect();
    assert_eq!(
        called_from[..2],
        [
            (true, Some(8), Some("in <module>")),
            (true, Some(5), Some("in run"))
        ]
    );

    // A syntax error in the main script has no `Traceback` header.
    let (out, code) = capture(dir.path(), &python, &["broken.py"], &[]);
    assert_eq!(code, 1, "{out}");
    let d = parse(None, &out);
    assert_eq!(d.len(), 1, "{out}\n{d:#?}");
    assert_eq!(d[0].code.as_deref(), Some("SyntaxError"));
    assert!(d[0].file.as_deref().unwrap().ends_with("broken.py"));
    assert_eq!(d[0].line, Some(1));
}
