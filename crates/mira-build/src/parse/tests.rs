//! The pipeline's own behaviour: chunked input, colours, mixed tools, unknown lines.
//! Each tool's format is tested on real output in `tests/it/parsers.rs`.

use super::*;
use crate::diagnostic::Severity;

#[test]
fn lines_split_across_chunks_are_joined() {
    let text = "src/a.c:3:5: error: 'x' undeclared\nsrc/b.c:1:1: warning: unused [-Wunused]\n";
    let whole = parse(Some(Tool::Gcc), text);
    let mut p = Pipeline::new(Some(Tool::Gcc));
    for chunk in text.as_bytes().chunks(7) {
        p.bytes(chunk);
    }
    assert_eq!(p.finish(), whole);
    assert_eq!(whole.len(), 2);
    assert_eq!(whole[1].code.as_deref(), Some("-Wunused"));
}

#[test]
fn colours_do_not_hide_diagnostics() {
    let text = "\u{1b}[0m\u{1b}[1m\u{1b}[38;5;9merror[E0425]\u{1b}[0m\u{1b}[0m\u{1b}[1m: cannot find value `y` in this scope\u{1b}[0m\n \u{1b}[0m\u{1b}[0m\u{1b}[1m\u{1b}[38;5;12m--> \u{1b}[0m\u{1b}[0msrc/main.rs:3:13\u{1b}[0m\n\n";
    let d = parse(Some(Tool::Cargo), text);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code.as_deref(), Some("E0425"));
    assert_eq!(d[0].location(), "src/main.rs:3:13");
}

#[test]
fn unknown_commands_are_read_by_every_parser() {
    let text = "\
> build
src/app.ts(4,7): error TS2322: Type 'string' is not assignable to type 'number'.
./cmd/main.go:5:2: undefined: foo
lib/util.py:12: something odd happened
Compiling done in 3s
";
    let d = parse(None, text);
    let tools: Vec<Tool> = d.iter().map(|d| d.tool).collect();
    assert_eq!(tools, vec![Tool::Tsc, Tool::Go, Tool::Generic]);
    assert_eq!(d[2].severity, Severity::Info);
    assert_eq!(d[1].file.as_deref(), Some("cmd/main.go"));
}

#[test]
fn urls_and_clock_times_are_not_file_locations() {
    let d = parse(
        None,
        "fetching http://localhost:8080/app.js:12 failed\nstarted at 12:30:01 ok\n",
    );
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn generic_locations_in_their_common_spellings() {
    let d = parse(
        Some(Tool::Generic),
        "C:\\src\\app.cs:12:5: error: bad thing\nlib/x.rb:7 - warning: old style\n  ./a.py:3: oops\nnotes.txt:abc no\nMakefile:12: *** missing separator\n",
    );
    type Row = (String, Option<u32>, Option<u32>, Severity, String);
    let got: Vec<Row> = d
        .iter()
        .map(|d| {
            (
                d.file.clone().unwrap(),
                d.line,
                d.column,
                d.severity,
                d.message.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "C:/src/app.cs".to_string(),
                Some(12),
                Some(5),
                Severity::Error,
                "bad thing".to_string()
            ),
            (
                "lib/x.rb".to_string(),
                Some(7),
                None,
                Severity::Warning,
                "old style".to_string()
            ),
            (
                "a.py".to_string(),
                Some(3),
                None,
                Severity::Info,
                "oops".to_string()
            ),
        ]
    );
}

#[test]
fn gcc_lines_without_a_column_and_the_linker() {
    let text = "util.c:40: warning: comparison is always true [-Wtype-limits]\n\
                /usr/bin/ld: main.o: in function `main':\n\
                main.c:(.text+0x9): undefined reference to `helper'\n\
                collect2: error: ld returned 1 exit status\n";
    let d = parse(Some(Tool::Gcc), text);
    assert_eq!(d[0].location(), "util.c:40");
    assert_eq!(d[0].code.as_deref(), Some("-Wtype-limits"));
    assert_eq!(d[1].message, "undefined reference to `helper'");
    assert_eq!(d[1].file.as_deref(), Some("main.c"));
}

#[test]
fn python_frames_without_an_exception_line_are_not_errors() {
    // A frame-shaped line in a log, and a traceback cut off before its exception.
    let text = "  File \"app.py\", line 3, in main\nall good\nTraceback (most recent call last):\n  File \"app.py\", line 3, in main\n    run()\n";
    assert!(parse(None, text).is_empty(), "{:?}", parse(None, text));
    // A bare frame (a syntax error's place) ends only in an error.
    let text = "  File \"app.py\", line 3\n    x = (\n        ^\nSummary: 3 files\n";
    assert!(parse(None, text).is_empty(), "{:?}", parse(None, text));
    let text = "log: starting\nTraceback (most recent call last):\n  File \"lib/app.py\", line 9, in <module>\n    main()\n  File \"/usr/lib/python3.11/json/decoder.py\", line 355, in raw_decode\n    raise JSONDecodeError(\"Expecting value\", s, err.value) from None\njson.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)\nlog: done\n";
    let d = parse(None, text);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].location(), "lib/app.py:9");
    assert_eq!(
        d[0].message,
        "JSONDecodeError: Expecting value: line 1 column 1 (char 0)"
    );
}
