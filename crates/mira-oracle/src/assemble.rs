//! Fitting ranked items into a token budget and rendering them for the model. Pure.

use crate::Item;

/// Tokens an item takes in the prompt, header and fence included (cautious: about
/// three characters a token, as the gateway's budget estimates).
pub fn tokens_of(citation: &str, source: &str, text: &str, fenced: bool) -> usize {
    let frame = citation.len() + source.len() + 12 + if fenced { 16 } else { 0 };
    mira_llm::gateway::estimate_text_tokens(frame + text.len()) as usize
}

/// Keeps items in order while they fit; an item too big for what is left is passed
/// over and smaller ones after it may still fit. Returns the kept items and their
/// tokens, which never exceed `budget`.
pub fn fit(items: Vec<Item>, budget: usize) -> (Vec<Item>, usize) {
    let mut used = 0;
    let mut kept = Vec::new();
    for item in items {
        if used + item.tokens <= budget {
            used += item.tokens;
            kept.push(item);
        }
    }
    (kept, used)
}

/// Drops an item that quotes lines another, better item quotes already (more than half
/// of the smaller one's lines shared), keeping the order.
pub fn drop_overlaps(items: Vec<Item>) -> Vec<Item> {
    let mut kept: Vec<Item> = Vec::with_capacity(items.len());
    for item in items {
        let covered = match (&item.path, item.lines) {
            (Some(path), Some([a, b])) => kept.iter().any(|k| match (&k.path, k.lines) {
                (Some(kp), Some([ka, kb])) if kp == path => {
                    let shared = b.min(kb) as i64 - a.max(ka) as i64 + 1;
                    let smaller = (b - a).min(kb - ka) as i64 + 1;
                    shared * 2 > smaller
                }
                _ => false,
            }),
            _ => false,
        };
        if !covered {
            kept.push(item);
        }
    }
    kept
}

/// Cuts `text` to about `max_tokens`, at a line boundary, saying how much was left out.
pub fn truncate_lines(text: &str, max_tokens: usize) -> String {
    let max_chars = max_tokens * 3;
    if text.len() <= max_chars {
        return text.to_string();
    }
    let mut out = String::new();
    let mut lines = 0;
    for line in text.lines() {
        if out.len() + line.len() + 1 > max_chars.saturating_sub(40) {
            break;
        }
        out.push_str(line);
        out.push('\n');
        lines += 1;
    }
    let rest = text.lines().count() - lines;
    out.push_str(&format!("... ({rest} more lines)\n"));
    out
}

/// The fence language for a path, from its extension.
fn fence_language(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "rs" => "rust",
        "py" | "pyi" => "python",
        "ts" => "typescript",
        "tsx" => "tsx",
        "js" | "mjs" | "cjs" => "javascript",
        "jsx" => "jsx",
        "go" => "go",
        "md" => "markdown",
        "toml" => "toml",
        "json" => "json",
        "yaml" | "yml" => "yaml",
        "sh" => "sh",
        _ => "",
    }
}

/// One item under its number: `[n] citation (source)`, then the text, fenced when it
/// quotes a file's lines.
pub fn render(n: usize, item: &Item) -> String {
    let mut out = format!("[{n}] {} ({})\n", item.citation, item.source);
    match (&item.path, item.lines) {
        (Some(path), Some(_)) => {
            out.push_str("```");
            out.push_str(fence_language(path));
            out.push('\n');
            out.push_str(item.text.trim_end_matches('\n'));
            out.push_str("\n```\n");
        }
        _ => {
            out.push_str(item.text.trim_end_matches('\n'));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(tokens: usize) -> Item {
        Item {
            source: "search".into(),
            path: Some("a.rs".into()),
            lines: Some([1, 2]),
            text: "fn a() {}".into(),
            tokens,
            citation: "a.rs:1-2".into(),
        }
    }

    #[test]
    fn fitting_never_passes_the_budget_and_keeps_smaller_items_after_a_big_one() {
        let (kept, used) = fit(vec![item(50), item(80), item(30), item(25)], 110);
        assert_eq!(
            kept.iter().map(|i| i.tokens).collect::<Vec<_>>(),
            vec![50, 30, 25]
        );
        assert_eq!(used, 105);
        let (kept, used) = fit(vec![item(10)], 0);
        assert!(kept.is_empty());
        assert_eq!(used, 0);
    }

    #[test]
    fn overlapping_excerpts_keep_the_better_one() {
        let mut a = item(5);
        a.lines = Some([10, 40]);
        let mut b = item(5);
        b.lines = Some([12, 30]);
        b.source = "symbol".into();
        let mut c = item(5);
        c.lines = Some([38, 80]);
        let mut d = item(5);
        d.path = Some("b.rs".into());
        d.lines = Some([12, 30]);
        let kept = drop_overlaps(vec![a.clone(), b, c.clone(), d.clone()]);
        assert_eq!(kept, vec![a, c, d]);
    }

    #[test]
    fn rendering_fences_file_excerpts() {
        let text = render(2, &item(5));
        assert_eq!(text, "[2] a.rs:1-2 (search)\n```rust\nfn a() {}\n```\n");
        let mut note = item(5);
        note.path = None;
        note.lines = None;
        note.citation = "commit abc1234".into();
        note.text = "Fix the parser".into();
        assert_eq!(render(1, &note), "[1] commit abc1234 (search)\nFix the parser\n");
        assert!(tokens_of("a.rs:1-2", "search", "fn a() {}", true) >= render(2, &item(5)).len() / 3);
    }

    #[test]
    fn truncation_keeps_whole_lines_and_says_what_is_left() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let cut = truncate_lines(&text, 20);
        assert!(cut.len() <= 60 + 25);
        assert!(cut.starts_with("line 0\n"));
        assert!(cut.ends_with("more lines)\n"));
        assert_eq!(truncate_lines("short", 20), "short");
    }
}
