//! edit_file and write_file: the new content is worked out here; the change itself
//! (checkpoint, artifact, decision, atomic write) is [`crate::changes`].

use super::{Args, ToolContext, ToolOutput, refused, str_arg};
use crate::changes;
use crate::confine;

/// Lines of the file shown around the nearest match of a search block that failed.
const NEAR_CONTEXT: usize = 2;

/// Where `search` is in `text`: exactly once, or why not (with the nearest lines when
/// it is nowhere, so the model can copy the real text).
pub fn apply_block(path: &str, text: &str, search: &str, replace: &str) -> Result<String, String> {
    if search.is_empty() {
        return Err(format!(
            "the search block is empty; copy the exact lines to change from {path}, or use write_file to write the whole file"
        ));
    }
    let count = text.matches(search).count();
    match count {
        1 => Ok(text.replacen(search, replace, 1)),
        0 => Err(format!(
            "the search block matches nothing in {path}; nothing was changed. {}",
            nearest(text, search)
        )),
        n => Err(format!(
            "the search block matches {n} places in {path}; nothing was changed. Add more lines of context around the part to change so it matches once."
        )),
    }
}

/// The window of the file's lines most like the search block, with its line numbers.
fn nearest(text: &str, search: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let wanted: Vec<&str> = search.lines().collect();
    if lines.is_empty() || wanted.is_empty() {
        return "The file is empty.".into();
    }
    let n = wanted.len().min(lines.len());
    let mut best = (0usize, -1.0f32);
    // Very long files: the first 20,000 lines are enough to point the model at a place.
    for start in 0..=(lines.len() - n).min(20_000) {
        let score: f32 = (0..n)
            .map(|i| similar::TextDiff::from_chars(lines[start + i].trim(), wanted[i].trim()).ratio())
            .sum::<f32>()
            / n as f32;
        if score > best.1 {
            best = (start, score);
        }
    }
    let (start, score) = best;
    let from = start.saturating_sub(NEAR_CONTEXT);
    let to = (start + n + NEAR_CONTEXT).min(lines.len());
    let shown: Vec<String> = (from..to).map(|i| format!("{}\t{}", i + 1, lines[i])).collect();
    format!(
        "The most similar lines are {}-{} ({:.0}% alike); the search block must match the file exactly, whitespace included:\n{}",
        start + 1,
        start + n,
        score * 100.0,
        shown.join("\n")
    )
}

pub async fn edit_file(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let rel = str_arg(args, "path")?;
    let search = str_arg(args, "search")?;
    let replace = str_arg(args, "replace")?;
    let target = confine::resolve(&ctx.root, rel).map_err(refused)?;
    if target.is_dir() {
        return Err(format!("{rel} is a directory"));
    }
    let path = confine::display_relative(&ctx.root, &target);
    let bytes = read_checked(ctx, rel)
        .await?
        .ok_or_else(|| format!("no such file: {rel}"))?;
    let text =
        String::from_utf8(bytes.clone()).map_err(|_| format!("{rel} is not a text file (not UTF-8)"))?;
    let new = apply_block(&path, &text, search, replace)?;
    changes::propose(ctx, &path, &target, Some(bytes), new.into_bytes()).await
}

pub async fn write_file(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let rel = str_arg(args, "path")?;
    let content = str_arg(args, "content")?;
    let target = confine::resolve_for_write(&ctx.root, rel).map_err(refused)?;
    if target.is_dir() {
        return Err(format!("{rel} is a directory"));
    }
    let path = confine::display_relative(&ctx.root, &target);
    let previous = read_checked(ctx, rel).await?;
    changes::propose(ctx, &path, &target, previous, content.as_bytes().to_vec()).await
}

/// The file's bytes read through one checked open (`fsutil::read_in`), off the runtime;
/// `None` when it does not exist. A FIFO or device is refused, never read.
async fn read_checked(ctx: &ToolContext, rel: &str) -> Result<Option<Vec<u8>>, String> {
    let (root, relative) = (ctx.root.clone(), rel.to_string());
    tokio::task::spawn_blocking(move || crate::fsutil::read_in(&root, &relative))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot read {rel}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_that_matches_once_is_replaced() {
        let out = apply_block("a.rs", "fn a() {}\nfn b() {}\n", "fn b() {}", "fn b() { 1 }").unwrap();
        assert_eq!(out, "fn a() {}\nfn b() { 1 }\n");
    }

    #[test]
    fn no_match_shows_the_nearest_lines() {
        let text = "fn one() {\n    1\n}\n\nfn add(a: i32, b: i32) -> i32 {\n    a - b\n}\n";
        let err = apply_block(
            "lib.rs",
            text,
            "fn add(a: i32, b: i32) -> i32 {\n    a - c\n}",
            "x",
        )
        .unwrap_err();
        assert!(err.contains("matches nothing"), "{err}");
        assert!(err.contains("most similar lines are 5-7"), "{err}");
        assert!(err.contains("6\t    a - b"), "{err}");
    }

    #[test]
    fn two_matches_ask_for_more_context() {
        let err = apply_block("a.rs", "x = 1\nx = 1\n", "x = 1", "x = 2").unwrap_err();
        assert!(err.contains("matches 2 places"), "{err}");
        assert!(err.contains("more lines of context"), "{err}");
    }
}
