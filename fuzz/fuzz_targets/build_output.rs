//! The build-output parsers (`mira_build::parse`), fed any bytes a command could print,
//! for every tool and for an unknown one. The first byte picks the tool, the second how
//! the output is cut into chunks on its way from the pipe; the rest is the output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mira_build::parse::{Pipeline, parse};
use mira_build::{Diagnostic, Location, Tool};

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

fuzz_target!(|data: &[u8]| {
    let [pick, cut, output @ ..] = data else {
        return;
    };
    // One more than the tools: an unknown tool asks every parser.
    let tool = TOOLS.get(usize::from(*pick) % (TOOLS.len() + 1)).copied();
    let chunk = usize::from(*cut).max(1);

    // The runner's path: raw bytes as they come from the pipe, non-UTF-8 included.
    let mut pipeline = Pipeline::new(tool);
    for piece in output.chunks(chunk) {
        pipeline.bytes(piece);
        pipeline.take_new().iter().for_each(check);
    }
    let streamed = pipeline.finish();
    streamed.iter().for_each(check);

    // The same output read whole (as the tests and tools do, after the lossy decoding
    // the runner applies) gives the same diagnostics: how the pipe cut it changes nothing.
    let whole = parse(tool, &String::from_utf8_lossy(output));
    let mut pipeline = Pipeline::new(tool);
    for piece in output.chunks(chunk) {
        pipeline.bytes(piece);
    }
    let mut all = pipeline.take_new();
    all.extend(pipeline.finish());
    assert_eq!(all, whole, "streamed in chunks of {chunk} vs read whole");
});

/// What every diagnostic must be to be shown, stored and opened at its place.
fn check(d: &Diagnostic) {
    assert!(!d.message.trim().is_empty(), "empty message: {d:?}");
    assert!(
        d.file.as_ref().is_none_or(|f| !f.trim().is_empty()),
        "empty file: {d:?}"
    );
    assert!(
        d.code.as_ref().is_none_or(|c| !c.trim().is_empty()),
        "empty code: {d:?}"
    );
    // Lines and columns are 1-based: 0 would place a marker before the file's start.
    for n in [d.line, d.column, d.end_line, d.end_column].into_iter().flatten() {
        assert!(n >= 1, "line or column 0: {d:?}");
    }
    if d.line.is_none() {
        assert!(d.column.is_none(), "a column without a line: {d:?}");
    }
    if let (Some(start), Some(end)) = (d.line, d.end_line) {
        assert!(end >= start, "span ends before it starts: {d:?}");
    }
    d.related.iter().for_each(|r| check_place(r, d));
}

fn check_place(place: &Location, d: &Diagnostic) {
    assert!(
        !place.file.trim().is_empty(),
        "related place without a file: {d:?}"
    );
    for n in [place.line, place.column].into_iter().flatten() {
        assert!(n >= 1, "related line or column 0: {d:?}");
    }
}
