//! Chunks that follow the code: one per symbol (its doc comment, signature and body,
//! with the file path and enclosing names as context), long symbols split at statement
//! boundaries, file-level chunks for code outside symbols, and Markdown by section.
//!
//! Chunking is a pure function of a file's text and its symbols; chunk keys depend only
//! on what a chunk is (a symbol's qualified name and part, a block's content), so
//! unchanged code keeps its key, and with it its stored vector, across re-index.

mod code;
mod markdown;
mod split;

pub use code::{Element, chunk_code};
pub use markdown::{chunk_markdown, is_markdown};

/// A part of a file to index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Unique within the file; stable while the chunk's identity is.
    pub key: String,
    /// The symbol's kind (`function`, `method`, `class`...), `file` for code outside
    /// symbols, `doc` for a Markdown section.
    pub kind: String,
    /// Qualified name of the symbol, or the heading path of a Markdown section.
    pub symbol: Option<String>,
    /// 1-based, inclusive.
    pub start_line: u32,
    pub end_line: u32,
    /// 1-based part of a long symbol, of `parts`.
    pub part: u32,
    pub parts: u32,
    /// The source lines `start_line..=end_line`, joined with `\n`.
    pub text: String,
}

/// Longest chunk before a symbol is split: the embedder reads about 256 tokens (some
/// 900 characters of code), and shorter chunks point at the matching lines more closely.
pub const MAX_CHUNK_CHARS: usize = 1_200;
pub const MAX_CHUNK_LINES: usize = 50;

/// What is embedded and what BM25 counts for a chunk: the path and the symbol as context
/// (so `store/db.rs` or `Db::open` find the chunk even where its body never says so),
/// then its lines. Built from stored fields, so it can be rebuilt from the database.
pub fn embed_text(path: &str, kind: &str, symbol: Option<&str>, part: u32, parts: u32, text: &str) -> String {
    let mut header = String::with_capacity(path.len() + 64);
    header.push_str(path);
    if let Some(symbol) = symbol {
        header.push_str(" | ");
        header.push_str(kind);
        header.push(' ');
        header.push_str(symbol);
    }
    if parts > 1 {
        header.push_str(&format!(" | part {part} of {parts}"));
    }
    format!("{header}\n{text}")
}

/// The lines `start..=end` (1-based) of `lines`.
fn slice(lines: &[&str], start: u32, end: u32) -> String {
    let from = (start.max(1) - 1) as usize;
    let to = (end as usize).min(lines.len());
    if from >= to {
        return String::new();
    }
    lines[from..to].join("\n")
}

fn short_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes keys unique within a file by suffixing repeats (`name#1`, `name#1~2`).
fn dedupe_keys(chunks: &mut [Chunk]) {
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for c in chunks.iter_mut() {
        let n = seen.entry(c.key.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            c.key = format!("{}~{}", c.key, n);
        }
    }
}
