//! Chunks of a source file from its symbols (the code index's `code_elements`).

use std::collections::HashMap;

use super::{Chunk, dedupe_keys, short_hash, slice, split};

/// A symbol of the file, as the code index stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub id: i64,
    pub parent: Option<i64>,
    pub kind: String,
    pub qualified_name: String,
    pub start_line: u32,
    pub end_line: u32,
}

/// Kinds that get a chunk of their own. Modules and `impl` blocks only hold others;
/// fields belong to their type's chunk.
fn is_chunked_kind(kind: &str) -> bool {
    matches!(
        kind,
        "function"
            | "method"
            | "constant"
            | "type_alias"
            | "class"
            | "struct"
            | "enum"
            | "trait"
            | "interface"
    )
}

/// A function's nested definitions stay in its chunk: cut out, the rest of its body
/// would lose its middle.
fn is_body_kind(kind: &str) -> bool {
    matches!(kind, "function" | "method" | "constant")
}

/// Doc comments, attributes and decorators written above a definition belong to its chunk.
fn is_preamble(line: &str) -> bool {
    let t = line.trim_start();
    ["///", "//", "/*", "*", "#[", "#!", "@", "#"]
        .iter()
        .any(|p| t.starts_with(p))
}

/// Chunks of a source file: a chunk per symbol (a type with members gets its head: the
/// lines before its first member), long ones split in parts, and the code outside symbols
/// in file-level blocks.
pub fn chunk_code(text: &str, elements: &[Element]) -> Vec<Chunk> {
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len() as u32;
    let by_id: HashMap<i64, &Element> = elements.iter().map(|e| (e.id, e)).collect();
    let inside_body = |e: &Element| -> bool {
        let mut parent = e.parent;
        while let Some(p) = parent.and_then(|id| by_id.get(&id)) {
            if is_body_kind(&p.kind) {
                return true;
            }
            parent = p.parent;
        }
        false
    };
    let mut chunked: Vec<&Element> = elements
        .iter()
        .filter(|e| is_chunked_kind(&e.kind) && !inside_body(e) && e.start_line >= 1 && e.start_line <= n)
        .collect();
    chunked.sort_by_key(|e| (e.start_line, std::cmp::Reverse(e.end_line)));

    // Which lines each chunk takes, innermost owner last.
    let mut owner: Vec<Option<usize>> = vec![None; n as usize + 2];
    let mut spans: Vec<(u32, u32)> = Vec::with_capacity(chunked.len());
    for (i, e) in chunked.iter().enumerate() {
        let end = e.end_line.min(n).max(e.start_line);
        let mut start = e.start_line;
        while start > 1 {
            let above = start - 1;
            let line = lines[above as usize - 1];
            // A line of an enclosing chunk may be taken (a method's doc comment lies in
            // its class); one of a sibling may not.
            let enclosing = |o: usize| spans[o].0 <= e.start_line && chunked[o].end_line >= e.end_line;
            if line.trim().is_empty()
                || !is_preamble(line)
                || owner[above as usize].is_some_and(|o| !enclosing(o))
            {
                break;
            }
            start = above;
        }
        spans.push((start, end));
        for l in start..=end {
            owner[l as usize] = Some(i);
        }
    }

    let mut chunks = Vec::new();
    for (i, e) in chunked.iter().enumerate() {
        let (start, end) = spans[i];
        // A type with members: its head, up to the first member's first line.
        let first_member = (start..=end).find(|&l| owner[l as usize].is_some_and(|o| o != i));
        let head_end = match first_member {
            Some(l) => l - 1,
            None => end,
        };
        if head_end < start {
            continue;
        }
        let part_lines = &lines[start as usize - 1..head_end as usize];
        let ends = split::part_ends(part_lines);
        let parts = ends.len() as u32;
        let mut from = 0usize;
        for (p, &to) in ends.iter().enumerate() {
            let s = start + from as u32;
            let t = start + to as u32 - 1;
            chunks.push(Chunk {
                key: format!("{}#{}", e.qualified_name, p + 1),
                kind: e.kind.clone(),
                symbol: Some(e.qualified_name.clone()),
                start_line: s,
                end_line: t,
                part: p as u32 + 1,
                parts,
                text: slice(&lines, s, t),
            });
            from = to;
        }
    }

    // Code outside every chunk: imports, module-level statements, `impl` headers.
    let mut block_start = None;
    for l in 1..=n + 1 {
        let free = l <= n && owner[l as usize].is_none();
        match (free, block_start) {
            (true, None) => block_start = Some(l),
            (false, Some(s)) => {
                file_blocks(&lines, s, l - 1, &mut chunks);
                block_start = None;
            }
            _ => {}
        }
    }
    chunks.sort_by_key(|c| (c.start_line, c.part));
    dedupe_keys(&mut chunks);
    chunks
}

/// File-level chunks of the free lines `start..=end`, trimmed of blank lines, split when
/// long; a run with fewer than two lines of words (a lone `impl X {` or `}`) is left out.
fn file_blocks(lines: &[&str], start: u32, end: u32, out: &mut Vec<Chunk>) {
    let mut s = start;
    let mut e = end;
    while s <= e && lines[s as usize - 1].trim().is_empty() {
        s += 1;
    }
    while e >= s && lines[e as usize - 1].trim().is_empty() {
        e -= 1;
    }
    if s > e {
        return;
    }
    let wordy = (s..=e)
        .filter(|&l| lines[l as usize - 1].chars().any(char::is_alphanumeric))
        .count();
    if wordy < 2 {
        return;
    }
    let run = &lines[s as usize - 1..e as usize];
    let mut from = 0usize;
    for to in split::part_ends(run) {
        let cs = s + from as u32;
        let ce = s + to as u32 - 1;
        let text = slice(lines, cs, ce);
        out.push(Chunk {
            key: format!("@{}", short_hash(&text)),
            kind: "file".into(),
            symbol: None,
            start_line: cs,
            end_line: ce,
            part: 1,
            parts: 1,
            text,
        });
        from = to;
    }
}
