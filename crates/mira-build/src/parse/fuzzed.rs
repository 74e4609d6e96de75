//! Inputs the fuzzer found (`fuzz/fuzz_targets/build_output.rs`), replayed with the
//! target's checks: each broke one before its fix. An input is the target's: the first
//! byte picks the tool, the second the chunk size, the rest is the output.

use super::*;
use crate::diagnostic::Location;

const TOOLS: [Tool; 13] = [
    Tool::Cargo,
    Tool::Rustc,
    Tool::Clippy,
    Tool::Tsc,
    Tool::Eslint,
    Tool::Jest,
    Tool::Vitest,
    Tool::Pytest,
    Tool::Python,
    Tool::Go,
    Tool::Gcc,
    Tool::Clang,
    Tool::Generic,
];

/// Runs one input as the fuzz target does and returns what it parsed.
fn replay(data: &[u8]) -> Vec<Diagnostic> {
    let [pick, cut, output @ ..] = data else {
        panic!("an input has a tool byte and a chunk byte");
    };
    let tool = TOOLS.get(usize::from(*pick) % (TOOLS.len() + 1)).copied();
    let mut pipeline = Pipeline::new(tool);
    for piece in output.chunks(usize::from(*cut).max(1)) {
        pipeline.bytes(piece);
    }
    let streamed = pipeline.finish();
    assert_eq!(streamed, parse(tool, &String::from_utf8_lossy(output)));
    streamed.iter().for_each(check);
    streamed
}

fn check(d: &Diagnostic) {
    assert!(!d.message.trim().is_empty(), "{d:?}");
    assert!(d.file.as_ref().is_none_or(|f| !f.trim().is_empty()), "{d:?}");
    assert!(d.code.as_ref().is_none_or(|c| !c.trim().is_empty()), "{d:?}");
    for n in [d.line, d.column, d.end_line, d.end_column].into_iter().flatten() {
        assert!(n >= 1, "{d:?}");
    }
    assert!(d.line.is_some() || d.column.is_none(), "{d:?}");
    if let (Some(start), Some(end)) = (d.line, d.end_line) {
        assert!(end >= start, "{d:?}");
    }
    d.related.iter().for_each(|r: &Location| {
        assert!(!r.file.trim().is_empty(), "{d:?}");
        assert!([r.line, r.column].into_iter().flatten().all(|n| n >= 1), "{d:?}");
    });
}

#[test]
fn a_jest_failure_header_without_a_test_name_is_not_a_failure() {
    // `  ● ` with nothing after it gave a failed test whose id (the code) was "".
    let d = replay(b"SS  \xe2\x97\x8f \nS\n\nS");
    assert!(d.iter().all(|d| d.code.is_none()), "{d:?}");
    let d = replay(b"\x05\x01FAIL \n  \xe2\x97\x8f \n    boom\n");
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn a_vitest_fail_line_without_a_file_is_not_a_failure() {
    let d = replay(b"\x06\x01 FAIL \nAssertionError: x\n");
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn carriage_returns_before_a_newline_are_all_line_ending() {
    // `\r\r\n` left a `\r` in the streamed line but not in the whole output's.
    let d = replay(
        b"\x0e\x23error: \x01\x00\x00\x00\x00\x01 \x00\xef\xbf\xbd\x00\r\r\n\x1b\x1b\x1brnig4\x00\xc0",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(!d[0].message.ends_with('\r'), "{d:?}");
    let d = parse(Some(Tool::Gcc), "src/a.c:3:5: error: x\r\r\n");
    assert_eq!(d[0].message, "x");
}

#[test]
fn line_0_is_no_line_and_takes_its_column_with_it() {
    // eslint's unix format at `a.js:0:7` gave line 0, then (0 read as unknown) a column
    // without a line.
    let d = replay(b"\x04\xff/home/u/proj/src/a.js:0:7: 'unused' is assigned a value but never used. [Error/no-unused-vars]\n");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].line, d[0].column), (None, None));
    assert_eq!(d[0].file.as_deref(), Some("/home/u/proj/src/a.js"));
    let d = replay(b")\x00&\x00\x04\xffK\x00&\x00\x04\xff&\x00\x04\xffK.go:0\r:K.go:6\r:4;\x1b\xdb[\xe3\xe8");
    assert!(d.iter().all(|d| d.line != Some(0)), "{d:?}");
}

#[test]
fn a_severity_word_alone_is_not_a_message() {
    // The generic parser stripped `warning:` and kept a diagnostic with nothing in it.
    assert!(replay(b"\x0c\xffb.c:2:52: warning:\n").is_empty());
    assert!(replay(b"\x00(b.c:2:52: warning:\n").is_empty());
    assert!(replay(b"\x0a\xffb.c:2:52: error:   \n :3:1: error: x\n").is_empty());
}

#[test]
fn cargo_json_spans_are_checked_not_trusted() {
    // A compiler-message line whose span ends (line 5) before it starts (line 6) was
    // taken as is; so were line 0, an empty file name and an empty message.
    let span = |start: u32, end: u32, col: u32, file: &str| {
        format!(
            r#"{{"file_name":"{file}","line_start":{start},"line_end":{end},"column_start":{col},"column_end":21,"is_primary":true,"label":null}}"#
        )
    };
    let line = |message: &str, span: String| {
        format!(
            r#"{{"reason":"compiler-message","message":{{"message":"{message}","code":{{"code":"E0425"}},"level":"error","spans":[{span}],"children":[]}}}}"#
        )
    };
    let d = parse(
        Some(Tool::Cargo),
        &line("cannot find value", span(6, 5, 20, "src/main.rs")),
    );
    assert_eq!((d[0].line, d[0].column, d[0].end_line), (Some(6), Some(20), None));
    let d = parse(
        Some(Tool::Cargo),
        &line("cannot find value", span(0, 0, 0, "src/main.rs")),
    );
    assert_eq!((d[0].line, d[0].column, d[0].end_column), (None, None, None));
    let d = parse(Some(Tool::Cargo), &line("cannot find value", span(1, 1, 1, "")));
    assert_eq!(d[0].file, None);
    assert!(parse(Some(Tool::Cargo), &line(" ", span(1, 1, 1, "a.rs"))).is_empty());
    for d in [
        line("m", span(6, 5, 20, "src/main.rs")),
        line("m", span(0, 0, 0, "")),
    ] {
        let mut input = vec![0, 0xff];
        input.extend_from_slice(d.as_bytes());
        replay(&input);
    }
}

#[test]
fn a_place_without_a_file_or_a_message_is_not_a_diagnostic() {
    // tsc's `(10,3): error TS2304: ...` gave a diagnostic in the file "".
    assert!(replay(b"\x03\xff(10,3): error TS2304: Cannot find name 'foo'.\n").is_empty());
    assert!(replay(b"\x03\xff :10:3 - error TS2304: x\nsrc/a.ts(1,1): error TS1: \n").is_empty());
    // (The generic fallback may still read `a.js:1:2: [Error/r]`, a message of its own.)
    let d = replay(b"\x04\xff :1:2: x [Error/r]\na.js:1:2:  [Error/r]\n");
    assert!(d.iter().all(|d| d.tool != Tool::Eslint), "{d:?}");
    assert!(replay(b"\x09\xffa.go:1:2: \n").is_empty());
    assert!(replay(b"\x0a\xff :(.text+0x1): undefined reference\na.o:(.text+0x1):  \n").is_empty());
    let d =
        replay(b"\x08\xffTraceback (most recent call last):\n  File \" \", line 3, in f\nValueError: x\n");
    assert!(d.iter().all(|d| d.file.is_none()), "{d:?}");
}

#[test]
fn an_eslint_message_that_is_only_a_period_keeps_it() {
    // The unix format's final period is dropped to match stylish; a message of just "."
    // was left empty.
    let d = replay(b"\x04@/home/u/proj/src/a.js:4:1: . [Error/no-unused-vars]\n");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].message, ".");
}
