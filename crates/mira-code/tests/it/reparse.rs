//! Re-parsing from a kept syntax tree gives what a fresh parse gives: every fixture file
//! and mira-code's own (larger) sources go through a series of edits, each re-parsed
//! from the tree of the version before, and after every edit the facts of the file and
//! the edges resolved from them are compared with those of a fresh parse of the same
//! text.

use std::path::Path;

use mira_code::extract::{self, FileInfo, KeptTree};
use mira_code::lang::Language;
use mira_code::model::ParsedFile;
use mira_code::resolve::{self, SymbolTable};

use crate::fixture::fixture;

/// One edit: bytes `start..end` (clamped to character boundaries) replaced by `with`.
struct Edit {
    what: &'static str,
    start: usize,
    end: usize,
    with: String,
}

fn floor(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where line `n` (0-based, clamped) starts.
fn line_start(text: &str, n: usize) -> usize {
    text.split_inclusive('\n').take(n).map(str::len).sum()
}

fn lines(text: &str) -> usize {
    text.split_inclusive('\n').count()
}

/// A comment line and a small function in the file's language.
fn snippets(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::Python => (
            "# a comment, naïve and “quoted”\n",
            "\ndef added_helper(x):\n    return helper_two(x) + len([x])\n",
        ),
        Language::Rust => (
            "// a comment, naïve and “quoted”\n",
            "\nfn added_helper(x: u32) -> u32 {\n    helper_two(x) + x.count_ones()\n}\n",
        ),
        Language::Go => (
            "// a comment, naïve and “quoted”\n",
            "\nfunc addedHelper(x int) int {\n\treturn helperTwo(x) + len(\"x\")\n}\n",
        ),
        Language::TypeScript | Language::Tsx | Language::JavaScript => (
            "// a comment, naïve and “quoted”\n",
            "\nfunction addedHelper(x) {\n  return helperTwo(x) + Math.max(x, 1);\n}\n",
        ),
    }
}

/// The edits applied one after the other to `text` (each computed on the text the ones
/// before left): at both ends, in the middle, across definitions, and back.
fn edits_for(text: &str, language: Language) -> Vec<Edit> {
    let (comment, function) = snippets(language);
    let mut out = Vec::new();
    let mut cur = text.to_string();
    let mut push = |cur: &mut String, what: &'static str, start: usize, end: usize, with: String| {
        let start = floor(cur, start);
        let end = floor(cur, end).max(start);
        cur.replace_range(start..end, &with);
        out.push(Edit {
            what,
            start,
            end,
            with,
        });
    };
    let n = lines(&cur);
    push(&mut cur, "comment inserted at the start", 0, 0, comment.into());
    let len = cur.len();
    push(
        &mut cur,
        "function appended at the end",
        len,
        len,
        function.into(),
    );
    let mid = line_start(&cur, lines(&cur) / 2);
    push(
        &mut cur,
        "comment inserted in the middle",
        mid,
        mid,
        comment.into(),
    );
    let mid = line_start(&cur, lines(&cur) / 2);
    push(
        &mut cur,
        "function inserted in the middle",
        mid,
        mid,
        function.into(),
    );
    // A line duplicated: usually a statement repeated in a body.
    let at = line_start(&cur, n / 3);
    let line_end = line_start(&cur, n / 3 + 1);
    let line = cur[at..line_end].to_string();
    push(&mut cur, "a line duplicated", at, at, line);
    // An identifier renamed in place (same length and longer).
    let half = floor(&cur, cur.len() / 2);
    if let Some(i) = cur[half..].find(['_', 'e']).map(|i| i + half) {
        push(
            &mut cur,
            "a character replaced in the middle",
            i,
            i + 1,
            "Q".into(),
        );
        push(
            &mut cur,
            "a character replaced by a word",
            i,
            i + 1,
            "Qrenamed".into(),
        );
    }
    // Lines deleted across definitions, then the same text put back.
    let from = line_start(&cur, lines(&cur) / 3);
    let to = line_start(&cur, lines(&cur) * 2 / 3);
    let removed = cur[from..to].to_string();
    push(
        &mut cur,
        "a third of the file deleted across definitions",
        from,
        to,
        String::new(),
    );
    push(&mut cur, "the deleted third put back", from, from, removed);
    // Broken, then fixed: an unclosed bracket in the middle.
    let mid = line_start(&cur, lines(&cur) / 2);
    push(
        &mut cur,
        "syntax broken in the middle",
        mid,
        mid,
        "x = (((\n".into(),
    );
    push(
        &mut cur,
        "syntax fixed again",
        mid,
        mid + "x = (((\n".len(),
        String::new(),
    );
    // The last line deleted, the first line deleted.
    let last = line_start(&cur, lines(&cur).saturating_sub(1));
    let len = cur.len();
    push(&mut cur, "the last line deleted", last, len, String::new());
    let first = line_start(&cur, 1);
    push(&mut cur, "the first line deleted", 0, first, String::new());
    // Everything replaced, then the original back.
    let len = cur.len();
    push(&mut cur, "everything replaced", 0, len, function.into());
    let len = cur.len();
    push(&mut cur, "the original back", 0, len, text.to_string());
    let len = cur.len();
    push(&mut cur, "nothing changed", len, len, String::new());
    out
}

fn source_files(dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            source_files(&path, out);
        } else if Language::from_path(path.to_str().unwrap()).is_some() {
            out.push((
                path.to_str().unwrap().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

fn info(path: &str) -> FileInfo<'_> {
    FileInfo {
        path,
        language: Language::from_path(path).unwrap(),
        module: "edited".into(),
        crate_alias: Some("edited".into()),
    }
}

/// Asserts two parses of the same text agree, and so do the edges resolved from them
/// (against a table holding the file as parsed that way).
#[track_caller]
fn assert_same(reused: &ParsedFile, fresh: &ParsedFile, context: &str) {
    assert_eq!(reused, fresh, "{context}: facts differ");
    let reused_edges = resolve::resolve_file(reused, &SymbolTable::new(std::iter::once(reused)));
    let fresh_edges = resolve::resolve_file(fresh, &SymbolTable::new(std::iter::once(fresh)));
    assert_eq!(reused_edges, fresh_edges, "{context}: edges differ");
}

#[test]
fn a_file_re_parsed_from_its_previous_tree_gives_what_a_fresh_parse_gives() {
    let mut files = Vec::new();
    for language in ["python", "rust", "go", "ts"] {
        source_files(&fixture(language), &mut files);
    }
    // Larger, real files: mira-code's own sources.
    source_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    assert!(files.len() > 30, "{} files", files.len());

    let (mut edits_run, mut clean) = (0, 0);
    for (path, text) in &files {
        let info = info(path);
        let (first, mut kept): (ParsedFile, Option<KeptTree>) = extract::parse_reusing(&info, text, None);
        assert_same(
            &first,
            &extract::parse(&info, text),
            &format!("{path}, first parse"),
        );
        let mut cur = text.clone();
        for edit in edits_for(text, info.language) {
            cur.replace_range(edit.start..edit.end, &edit.with);
            let (reused, tree) = extract::parse_reusing(&info, &cur, kept.take());
            let fresh = extract::parse(&info, &cur);
            assert_same(&reused, &fresh, &format!("{path}, after {}", edit.what));
            clean += usize::from(fresh.error_lines.is_empty());
            edits_run += 1;
            kept = tree;
            assert!(kept.is_some(), "{path}: a tree is kept after {}", edit.what);
        }
        assert_eq!(&cur, text, "{path}: the edits end with the original text");
    }
    // Most edited versions parse without errors, so the re-use of the tree (not the fresh
    // parse it falls back to on a syntax error) is what was compared.
    assert!(
        clean * 2 > edits_run,
        "{clean} of {edits_run} edited versions parse cleanly"
    );
}

#[test]
fn a_tree_kept_for_one_language_is_not_used_for_another() {
    let (_, kept) = extract::parse_reusing(&info("a.py"), "def f():\n    return g()\n", None);
    let text = "fn f() -> u32 {\n    g()\n}\n";
    let (reused, _) = extract::parse_reusing(&info("a.rs"), text, kept);
    assert_same(
        &reused,
        &extract::parse(&info("a.rs"), text),
        "python tree, rust text",
    );
}
