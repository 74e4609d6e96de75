//! Markdown documents by section: a chunk per heading with its text, named by the path
//! of headings above it ("Setup > Linux"); long sections split at paragraph breaks.

use super::{Chunk, dedupe_keys, slice, split};

pub fn is_markdown(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

/// `Some(level, title)` for an ATX heading line (`## Title`).
fn heading(line: &str) -> Option<(usize, &str)> {
    let t = line.trim_start();
    if line.len() - t.len() > 3 {
        return None;
    }
    let level = t.chars().take_while(|&c| c == '#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &t[level..];
    if !rest.is_empty() && !rest.starts_with(' ') && !rest.starts_with('\t') {
        return None;
    }
    Some((level, rest.trim().trim_end_matches('#').trim()))
}

pub fn chunk_markdown(text: &str) -> Vec<Chunk> {
    let lines: Vec<&str> = text.lines().collect();
    // Section starts: (line index, heading path), code fences skipped.
    let mut sections: Vec<(usize, String)> = vec![(0, String::new())];
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut fence: Option<&str> = None;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
            continue;
        }
        if let Some((level, title)) = heading(line) {
            while stack.last().is_some_and(|(l, _)| *l >= level) {
                stack.pop();
            }
            stack.push((level, title.to_string()));
            let path = stack
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join(" > ");
            sections.push((i, path));
        }
    }
    let mut chunks = Vec::new();
    for (k, (start, path)) in sections.iter().enumerate() {
        let end = sections.get(k + 1).map_or(lines.len(), |(s, _)| *s);
        let body = &lines[*start..end];
        if !body.iter().any(|l| l.chars().any(char::is_alphanumeric)) {
            continue;
        }
        let ends = split::part_ends(body);
        let parts = ends.len() as u32;
        let mut from = 0usize;
        for (p, &to) in ends.iter().enumerate() {
            let s = (*start + from) as u32 + 1;
            let e = (*start + to) as u32;
            let symbol = if path.is_empty() { None } else { Some(path.clone()) };
            chunks.push(Chunk {
                key: format!("§{}#{}", path, p + 1),
                kind: "doc".into(),
                symbol,
                start_line: s,
                end_line: e,
                part: p as u32 + 1,
                parts,
                text: slice(&lines, s, e),
            });
            from = to;
        }
    }
    dedupe_keys(&mut chunks);
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_named_by_their_heading_path_and_fences_are_not_headings() {
        let doc = "intro text\n\n# Setup\nInstall it.\n## Linux\napt install x\n```sh\n# not a heading\n```\n# Usage\nRun it.\n";
        let chunks = chunk_markdown(doc);
        let names: Vec<Option<&str>> = chunks.iter().map(|c| c.symbol.as_deref()).collect();
        assert_eq!(names, [None, Some("Setup"), Some("Setup > Linux"), Some("Usage")]);
        let linux = &chunks[2];
        assert_eq!((linux.start_line, linux.end_line), (5, 9));
        assert!(linux.text.contains("# not a heading"));
    }
}
